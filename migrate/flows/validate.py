"""``migrate-validate``: one task per dataset, the reports, and the Markdown summary as an artifact.

Thin: each task is a ``migrate.validators.validate_dataset`` call (which writes the dataset's verdict);
the flow writes the run's reports and publishes the Markdown report and a verdict table. A dataset that
does not pass fails the flow run in the UI, with the whole run summary as its data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed

from migrate.flows.common import key, param, plan_name, progress, waves_label
from migrate.plan import load_plan

__all__ = ["migrate_validate_flow", "run_validate_flow"]


@task(name="validate-dataset", task_run_name="{plan}/{name}")
def validate_dataset_task(plan_path: str, plan: str, name: str, reports: dict[str, str], use_cache: bool = True,
                          expectations: bool = True) -> dict[str, Any]:
    from migrate.validators.validate import Options, validate_dataset

    loaded = load_plan(plan_path)
    return validate_dataset(loaded, name, reports=reports, progress=progress(),
                            options=Options(use_cache=use_cache, expectations=expectations))


def _run_name() -> str:
    return f"validate {plan_name(param('plan_path', '?'))} ({waves_label(param('waves'))})"


@flow(name="migrate-validate", flow_run_name=_run_name, log_prints=True)
def migrate_validate_flow(plan_path: str, datasets: list[str] | None = None, waves: list[int] | None = None,
                          out_dir: str | None = None, use_cache: bool = True,
                          expectations: bool = True) -> dict[str, Any]:
    from migrate.reports.validation import report_paths, to_markdown
    from migrate.validators.run import default_report_dir, run_summary, select, write_reports

    plan = load_plan(plan_path)
    paths = report_paths(Path(out_dir) if out_dir else default_report_dir(plan))
    results = [validate_dataset_task(plan_path, plan.name, ds.name, paths, use_cache, expectations)
               for ds in select(plan, datasets, waves)]
    run = run_summary(plan, results, paths)
    write_reports(run)
    create_markdown_artifact(key=key("validate", plan.name), markdown=to_markdown(run),
                             description=f"Validation of plan {plan.name}")
    create_table_artifact(key=key("validate", plan.name, "verdicts"), table=[
        {"dataset": d["dataset"], "verdict": d["verdict"], "source rows": (d.get("rows") or {}).get("source"),
         "quarantined": (d.get("rows") or {}).get("quarantined"), "target rows": (d.get("rows") or {}).get("target"),
         "findings": len(d["findings"]) + d.get("findings_omitted", 0), "why": (d["reasons"] or [""])[0]}
        for d in results], description=f"Verdict of every dataset validated (plan {plan.name})")
    if not run["ok"]:
        bad = [d["dataset"] for d in results if d["verdict"] != "pass"]
        return Failed(message=f"{len(bad)} of {len(results)} datasets did not pass validation: "  # type: ignore[return-value]
                      + ", ".join(bad), data=run)
    return run


def run_validate_flow(plan_path: str, **kwargs: Any) -> dict[str, Any]:
    """Run the flow and return the run summary whether the flow Completed or Failed."""
    state = migrate_validate_flow(plan_path, return_state=True, **kwargs)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return cast(dict[str, Any], result)
