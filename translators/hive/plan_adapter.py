"""What a migration plan tells the Hive translator: where legacy data went (locations), which Iceberg
table replaces a legacy table (matched by the table's LOCATION = a dataset's source path), and the variables
each Hive job's command line defined (``jobs[].variables``, for the ``${...}`` in that job's script).

Reads the plan through ``migrate.plan.load_plan`` and only the attributes it needs, so a plan format that
grows new keys does not break translation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .context import Options


def options_from_plan(plan_path: str | Path, options: Options) -> Options:
    from migrate.plan import load_plan

    plan = load_plan(plan_path)
    apply_plan(plan, options)
    return options


def apply_plan(plan: Any, options: Options) -> None:
    for ds in getattr(plan, "datasets", []) or []:
        src, tgt = getattr(ds, "source", None), getattr(ds, "target", None)
        if src is None or tgt is None:
            continue
        try:
            legacy, _ = plan.location(src.store, src.path)
        except Exception:  # an unresolvable store is reported by `migrate plan check`, not here
            continue
        if getattr(tgt, "kind", None) == "iceberg" and getattr(tgt, "table", None):
            options.location_tables.append((legacy, tgt.table))
            if getattr(tgt, "path", None):
                options.location_map.append((legacy, plan.location(tgt.store, tgt.path)[0]))
        elif getattr(tgt, "path", None) is not None:
            options.location_map.append((legacy, plan.location(tgt.store, tgt.path)[0]))
    for job in getattr(plan, "jobs", []) or []:
        if getattr(job, "kind", None) != "hive" or not getattr(job, "variables", None):
            continue
        try:
            script = plan._resolve_local(job.source).resolve()  # translate_paths looks files up resolved
        except Exception:  # reported by `migrate plan check`
            continue
        options.file_variables[str(script)] = {str(k): str(v) for k, v in job.variables.items()}
