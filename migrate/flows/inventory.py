"""``migrate-inventory``: one library call (``build_inventory``) as a flow run, with the inventory summary
(datasets, jobs, waves, problems) as artifacts. Roots travel as plain dicts: flow parameters are shown in
the UI, and root options never hold secrets (only the names of environment variables)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from migrate.flows.common import key, param


def _name() -> str:
    roots = param("roots") or []
    what = ", ".join(r.get("name", "?") for r in roots) or "jobs and DDL"
    return f"inventory {what}"


def summary_artifacts(inv: Any, label: str) -> None:
    from migrate.inventory.report import human_bytes

    k = key("inventory", label)
    create_markdown_artifact(key=k, description="Inventory summary", markdown="\n".join([
        f"# Inventory {label}", "",
        f"**{len(inv.datasets)} datasets** ({human_bytes(sum(d.bytes for d in inv.datasets))} in "
        f"{sum(d.files for d in inv.datasets):,} files), **{len(inv.jobs)} jobs**, {len(inv.hive_tables)} Hive "
        f"tables, {len(inv.waves)} suggested wave(s); {len(inv.problems)} problem(s), {len(inv.warnings)} "
        "warning(s).", "",
        *[f"- root {r.name} `{r.uri}`: {r.files:,} files, {human_bytes(r.bytes)}, {r.skipped} skipped, "
          f"{r.seconds:.1f} s" for r in inv.roots],
        *([""] + [f"- [{p.kind}] `{p.path}`: {p.message}" for p in [*inv.problems, *inv.warnings][:30]]
          if inv.problems or inv.warnings else []),
    ]))
    create_table_artifact(key=f"{k}-datasets", description="Datasets found", table=[
        {"dataset": d.id, "format": d.format.kind, "files": d.files, "bytes": d.bytes, "rows": d.rows,
         "partitions": d.partition_count, "small_file_ratio": round(d.small_file_ratio, 3),
         "hive_table": d.hive_table, "wave": d.wave} for d in inv.datasets])
    create_table_artifact(key=f"{k}-jobs", description="Jobs found", table=[
        {"job": j.id, "kind": j.kind, "schedule": j.schedule, "inputs": len(j.inputs), "outputs": len(j.outputs),
         "wave": j.wave} for j in inv.jobs])


@flow(name="migrate-inventory", flow_run_name=_name, log_prints=True)
def inventory_flow(roots: list[dict[str, Any]], ddl: list[str], jobs_dirs: list[str],
                   settings: dict[str, Any]) -> Any:
    from migrate.inventory import RootSpec, ScanSettings, build_inventory

    inv = build_inventory([RootSpec(**r) for r in roots], ddl=[Path(p) for p in ddl],
                          jobs_dirs=[Path(p) for p in jobs_dirs], settings=ScanSettings(**settings))
    summary_artifacts(inv, "-".join(r["name"] for r in roots) or "jobs")
    return inv


def run_inventory_flow(roots: list[Any], ddl: list[Path], jobs_dirs: list[Path], settings: Any) -> Any:
    return inventory_flow([asdict(r) for r in roots], [str(p) for p in ddl], [str(p) for p in jobs_dirs],
                          asdict(settings))
