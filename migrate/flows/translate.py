"""``migrate-translate``: a translator's library call as a flow run, with its coverage as artifacts
(totals, and every unsupported construct with file:line and reason)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from migrate.flows.common import key, param
from migrate.translation import (
    TranslationRun,
    dpark_options,
    hive_options,
    translate_dpark,
    translate_hive,
    translate_jobs,
)


def coverage_artifacts(run: TranslationRun) -> None:
    data = run.report.to_dict()
    s = data["summary"]
    k = key("translate", run.kind)
    create_markdown_artifact(key=k, description=f"{run.kind} translation coverage", markdown="\n".join([
        f"# {run.kind} translation coverage", "",
        f"**{s.get('translated_pct')}% translated**: {s.get('statements')} statements in {s.get('files')} files: "
        f"{s.get('translated')} translated, {s.get('translated_with_notes')} with notes, "
        f"{s.get('unsupported')} unsupported.", "",
        f"Report: `{run.written.get('html')}` (also `{run.written.get('json')}`, `{run.written.get('md')}`)."]))
    create_table_artifact(key=f"{k}-files", description="Coverage per file", table=[
        {"file": f["path"], "output": f.get("output_path"), **f.get("counts", {})} for f in data["files"]])
    unsupported = [{"where": f"{f['path']}:{st['line']}", "rule": n["rule"], "reason": n["message"]}
                   for f in data["files"] for st in f.get("statements", []) for n in st.get("failures", [])]
    if unsupported:
        create_table_artifact(key=f"{k}-unsupported", table=unsupported[:500],
                              description="Constructs not translated (file:line, reason)")


def _name() -> str:
    paths = param("paths") or []
    shown = ", ".join("/".join(Path(p).parts[-2:]) for p in paths[:3])
    return f"translate hive {shown}" + (" ..." if len(paths) > 3 else "")


@flow(name="migrate-translate", flow_run_name=_name, log_prints=True)
def translate_hive_flow(paths: list[str], out: str, options: dict[str, Any],
                        check_spark: bool = False) -> TranslationRun:
    run = translate_hive([Path(p) for p in paths], Path(out), hive_options(**options), check_spark=check_spark,
                         plan=options.get("plan"))
    coverage_artifacts(run)
    return run


def _dpark_name() -> str:
    paths = param("paths") or []
    shown = ", ".join("/".join(Path(p).parts[-2:]) for p in paths[:3])
    return f"translate dpark {shown}" + (" ..." if len(paths) > 3 else "")


@flow(name="migrate-translate-dpark", flow_run_name=_dpark_name, log_prints=True)
def translate_dpark_flow(paths: list[str], out: str, options: dict[str, Any],
                         verify: str | None = None) -> TranslationRun:
    run = translate_dpark([Path(p) for p in paths], Path(out), dpark_options(**options),
                          verify=Path(verify) if verify else None, plan=options.get("plan"))
    coverage_artifacts(run)
    return run


def _jobs_name() -> str:
    paths = param("paths") or []
    shown = ", ".join("/".join(Path(p).parts[-2:]) for p in paths[:3])
    return f"translate jobs {shown}" + (" ..." if len(paths) > 3 else "")


@flow(name="migrate-translate-jobs", flow_run_name=_jobs_name, log_prints=True)
def translate_jobs_flow(paths: list[str], out: str, target: dict[str, Any], options: dict[str, Any]) -> TranslationRun:
    from migrate.translators.jobs import Target

    run = translate_jobs([Path(p) for p in paths], Path(out), target=Target(**target),
                         location_map=[(a, b) for a, b in options.get("location_map") or []],
                         dpark_scripts=[Path(p) for p in options.get("dpark_scripts") or []],
                         work_pool=options.get("work_pool", "kubernetes"), plan=options.get("plan"))
    coverage_artifacts(run)
    return run
