"""``migrate-validate``: one Prefect task per dataset and the run's Markdown report as an artifact.

A thin layer over ``migrate.validators``: each task validates one dataset (writing its verdict); the flow
writes the reports and publishes the Markdown summary. A dataset that fails validation fails the flow
run in the UI, with the whole run summary as its data.
"""

from __future__ import annotations

from typing import Any, cast

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed

from migrate.plan import load_plan


def _key(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())


@task(name="validate-dataset", task_run_name="{name}")
def validate_dataset_task(plan_path: str, name: str, reports: dict[str, str], use_cache: bool = True,
                          expectations: bool = True) -> dict[str, Any]:
    from migrate.validators.validate import Options, validate_dataset

    plan = load_plan(plan_path)
    return validate_dataset(plan, name, reports=reports,
                            options=Options(use_cache=use_cache, expectations=expectations))


@flow(name="migrate-validate", log_prints=True)
def migrate_validate_flow(plan_path: str, datasets: list[str] | None = None, waves: list[int] | None = None,
                          out_dir: str | None = None, use_cache: bool = True,
                          expectations: bool = True) -> dict[str, Any]:
    from pathlib import Path

    from migrate.reports.validation import report_paths
    from migrate.validators.run import default_report_dir, run_summary, select, write_reports

    plan = load_plan(plan_path)
    paths = report_paths(Path(out_dir) if out_dir else default_report_dir(plan))
    results = [validate_dataset_task(plan_path, ds.name, paths, use_cache, expectations)
               for ds in select(plan, datasets, waves)]
    run = run_summary(plan, results, paths)
    write_reports(run)
    from migrate.reports.validation import to_markdown

    create_markdown_artifact(key=f"migrate-validate-{_key(plan.name)}", markdown=to_markdown(run),
                             description=f"Validation of plan {plan.name}")
    if not run["ok"]:
        bad = [d["dataset"] for d in results if d["verdict"] != "pass"]
        return Failed(message=f"{len(bad)} of {len(results)} datasets did not pass validation: "  # type: ignore[return-value]
                      + ", ".join(bad), data=run)
    return run


def run_validate_flow(plan_path: str, **kwargs: Any) -> dict[str, Any]:
    """Run the flow in-process and return the run summary whether the flow Completed or Failed."""
    state = migrate_validate_flow(plan_path, return_state=True, **kwargs)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return cast(dict[str, Any], result)
