"""What a migration plan tells the DPark translator: where each legacy folder went (``Plan.location`` of a
dataset's source and target) and which datasets were converted to Parquet or Iceberg (read from the migrated
table instead of the legacy files). Only the attributes needed are read, so new plan keys break nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Options
from .idioms.paths import _path_only


def options_from_plan(plan_path: str | Path, options: Options) -> Options:
    from migrate.plan import load_plan

    apply_plan(load_plan(plan_path), options)
    return options


def apply_plan(plan: Any, options: Options) -> None:
    options.have_plan = True
    for ds in getattr(plan, "datasets", []) or []:
        src, tgt, fmt = getattr(ds, "source", None), getattr(ds, "target", None), getattr(ds, "format", None)
        if src is None or tgt is None:
            continue
        try:
            legacy, _ = plan.location(src.store, src.path)
            target = plan.location(tgt.store, tgt.path)[0] if getattr(tgt, "path", None) is not None else None
        except Exception:
            continue
        kind = getattr(tgt, "kind", None)
        if kind == "copy" and target:
            options.location_map.append((legacy, target))
            continue
        if kind in ("parquet", "iceberg"):
            where = tgt.table if kind == "iceberg" else target
            if where:
                delim = (getattr(fmt, "delimiter", None) or "\t") if fmt is not None else "\t"
                null = (getattr(fmt, "null_marker", None) or "") if fmt is not None else ""
                legacy_path = _path_only(legacy).rstrip("/")
                options.converted[legacy_path] = (kind, str(where), delim, null)
            if target:
                options.location_map.append((legacy, target))
