"""``migrate-run``: one Prefect task per dataset, wave by wave, and a summary artifact.

Tasks retry only transient failures (throttling, resets); a terminal error fails fast. The plan
travels as a path so the run's parameters in the UI say which plan ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, cast

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed

from migrate import runner
from migrate.errors import TransientError
from migrate.plan import load_plan

# Progress bars are a property of the calling terminal, not a flow parameter (which must serialise):
# the CLI installs a sink for the duration of an in-process flow run.
_progress: Any = None


@contextmanager
def progress_to(sink: Any) -> Iterator[None]:
    global _progress
    previous, _progress = _progress, sink
    try:
        yield
    finally:
        _progress = previous


def _transient_only(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except TransientError:
        return True
    except Exception:
        return False
    return False


@task(name="migrate-dataset", retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=_transient_only,
      task_run_name="{name}")
def migrate_dataset_task(plan_path: str, name: str, count: bool = True) -> dict[str, Any]:
    plan = load_plan(plan_path)
    outcome = runner.migrate_dataset(plan, plan.dataset(name), progress=_progress, count=count)
    return asdict(outcome) | {"counts_match": outcome.counts_match}


def _key(name: str) -> str:
    # Artifact keys allow lowercase letters, digits and dashes only.
    return "".join(c if c.isalnum() else "-" for c in name.lower())


def _summary_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        rep = r.get("report") or {}
        rows.append({
            "dataset": r["dataset"], "wave": r["wave"], "target": r["target_kind"],
            "files": rep.get("files_total", 0), "source_rows": r.get("source_rows"),
            "target_rows": r.get("target_rows"), "quarantined": r.get("source_quarantined"),
            "counts_match": r.get("counts_match"), "ok": r["ok"], "error": r.get("error") or "",
        })
    return rows


@flow(name="migrate-run", log_prints=True)
def migrate_run_flow(plan_path: str, datasets: list[str] | None = None, waves: list[int] | None = None,
                     count: bool = True) -> dict[str, Any]:
    plan = load_plan(plan_path)
    results: list[dict[str, Any]] = []
    for ds in runner.select(plan, datasets, waves):
        results.append(migrate_dataset_task(plan_path, ds.name, count=count))
    rows = _summary_rows(results)
    create_table_artifact(key=f"migrate-run-{_key(plan.name)}", table=rows,
                          description=f"Datasets migrated by plan {plan.name}")
    bad = [r for r in rows if not r["ok"] or r["counts_match"] is False]
    create_markdown_artifact(
        key=f"migrate-run-{_key(plan.name)}-status",
        markdown=f"**{len(rows) - len(bad)} of {len(rows)} datasets migrated and counted equal.**"
        + ("" if not bad else "\n\nNeeds attention: " + ", ".join(r["dataset"] for r in bad)),
    )
    summary = {"plan": plan.name, "ok": not bad, "datasets": results}
    if bad:
        # The run shows as Failed in the UI, and the caller still gets the full summary as its data.
        return Failed(message=f"{len(bad)} of {len(rows)} datasets need attention: "  # type: ignore[return-value]
                      + ", ".join(r["dataset"] for r in bad), data=summary)
    return summary


def run_plan_flow(plan_path: str, datasets: list[str] | None = None, waves: list[int] | None = None,
                  count: bool = True) -> dict[str, Any]:
    """Run the flow in-process and return its summary whether the run Completed or Failed."""
    state = migrate_run_flow(plan_path, datasets=datasets, waves=waves, count=count, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):  # the flow itself crashed (not a dataset failure)
        raise result
    return cast(dict[str, Any], result)
