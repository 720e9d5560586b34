"""``migrate-run``: plan -> one sub-flow per wave -> one task per dataset (and per batch of files), artifacts.

Thin: every step is a ``migrate.runner`` call. Run names say what runs (``run demo (all waves)``,
``demo wave 1``, ``demo w1 users``). A dataset task is retried only when it failed with a transient
error (an endpoint that did not answer, throttling); a terminal error fails it at once. A dataset with more
pending files than a batch (``migrate.batches``: 1,000 files or 16 GiB) first runs them batch by batch, one
task each (``demo w1 users batch 2/7``), so the UI shows how far a big dataset is and a retry redoes one
batch; its dataset task then finishes it (what the batches left, deletions, counts). Artifacts: one
copy-stats table per dataset and a summary table + status line per run. The plan travels as a path
so the run's parameters in the UI say which plan ran.
"""

from __future__ import annotations

from typing import Any, cast

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from migrate import runner
from migrate.errors import TransientError
from migrate.flows.common import key, param, plan_name, progress, progress_to, retry_delays, transient_only
from migrate.flows.common import waves_label as _waves_label
from migrate.plan import load_plan
from migrate.retry import retries_total

__all__ = ["migrate_run_flow", "progress_to", "run_plan_flow"]


def _outcome_dict(outcome: runner.DatasetOutcome) -> dict[str, Any]:
    return outcome.to_dict()


@task(name="migrate-dataset", retries=3, retry_delay_seconds=retry_delays(), retry_condition_fn=transient_only,
      task_run_name="{plan}/w{wave}/{name}")
def migrate_dataset_task(plan_path: str, plan: str, wave: int, name: str, count: bool = True) -> dict[str, Any]:
    loaded = load_plan(plan_path)
    outcome = runner.migrate_dataset(loaded, loaded.dataset(name), progress=progress(), count=count)
    if not outcome.ok and outcome.transient:
        # Prefect retries it (transient_only); the next attempt resumes from the ledger.
        raise TransientError(outcome.error or f"dataset {name}: transient failure")
    _copy_stats_artifact(plan, outcome)
    return _outcome_dict(outcome)


@task(name="migrate-batch", retries=3, retry_delay_seconds=retry_delays(), retry_condition_fn=transient_only,
      task_run_name="{plan}/w{wave}/{name} batch {index}/{total}", cache_policy=NO_CACHE)
def migrate_batch_task(plan_path: str, plan: str, wave: int, name: str, index: int, total: int,
                       files: list[Any]) -> dict[str, Any]:
    loaded = load_plan(plan_path)
    return runner.migrate_batch(loaded, loaded.dataset(name), files, progress=progress())


def _run_batches(plan_path: str, plan: Any, wave: int, name: str) -> None:
    """The dataset's pending files batch by batch; stops at a batch that fails (its dataset task says why)."""
    from migrate.batches import pending_batches

    batches = pending_batches(plan, plan.dataset(name))
    for i, files in enumerate(batches, 1):
        state = migrate_batch_task(plan_path, plan.name, wave, name, i, len(batches), files, return_state=True)
        if not state.is_completed():
            return


def _copy_stats_artifact(plan: str, o: runner.DatasetOutcome) -> None:
    rep = o.report or {}
    secs = rep.get("duration") or 0.0
    rows = [
        ("target", o.target or o.target_kind), ("files (listed)", rep.get("files_total")),
        ("files copied now", rep.get("files_processed")), ("files already done", rep.get("files_skipped")),
        ("files re-converted (conversion settings changed)", rep.get("files_reconverted")),
        ("files failed", rep.get("files_failed")), ("files gone from the source", rep.get("files_missing")),
        ("rows read", rep.get("rows_in")), ("rows written", rep.get("rows_written")),
        ("rows quarantined", rep.get("rows_quarantined")), ("bytes read", rep.get("bytes_in")),
        ("bytes written", rep.get("bytes_out")), ("seconds", secs),
        ("MB/s read", round((rep.get("bytes_in") or 0) / secs / 1e6, 1) if secs else None),
        ("source rows read (ledger)", o.source_rows), ("target rows now (footers / manifests)", o.target_rows),
        ("counts", {True: "equal", False: "DIFFER", None: "not counted"}[o.counts_match]),
        ("rows quarantined, all runs", o.rows_quarantined), ("max_quarantine", o.max_quarantine),
        ("status", o.status if o.ok or o.quarantine_over else f"failed: {o.error}"),
    ]
    create_table_artifact(key=key(plan, o.dataset, "copy"), table=[{"measure": m, "value": v} for m, v in rows],
                          description=f"Copy stats of dataset {o.dataset} (plan {plan}, wave {o.wave})")


def _failed_outcome(ds: Any, state: Any) -> dict[str, Any]:
    """A dataset task that ended Failed (retries exhausted, or a bug): its outcome, with the error."""
    exc = state.result(raise_on_failure=False)
    error = str(exc) if isinstance(exc, BaseException) else (state.message or "task failed")
    out = runner.DatasetOutcome(ds.name, ds.wave, ds.target.kind, error=error,
                                transient=isinstance(exc, TransientError))
    return _outcome_dict(out)


def _wave_run_name() -> str:
    return f"{plan_name(param('plan_path', '?'))} wave {param('wave', '?')}"


@flow(name="migrate-wave", flow_run_name=_wave_run_name, log_prints=True)
def migrate_wave_flow(plan_path: str, wave: int, datasets: list[str], count: bool = True) -> list[dict[str, Any]]:
    plan = load_plan(plan_path)
    results = []
    for name in datasets:
        ds = plan.dataset(name)
        _run_batches(plan_path, plan, wave, name)
        state = migrate_dataset_task(plan_path, plan.name, wave, name, count=count, return_state=True)
        results.append(state.result() if state.is_completed() else _failed_outcome(ds, state))
    bad = [r["dataset"] for r in results if not r["ok"] or r["counts_match"] is False]
    if bad:
        return Failed(message=f"wave {wave}: {len(bad)} of {len(results)} datasets need attention: "  # type: ignore[return-value]
                      + ", ".join(bad), data=results)
    return results


def _summary_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        rep = r.get("report") or {}
        rows.append({
            "dataset": r["dataset"], "wave": r["wave"], "target": r["target_kind"],
            "files": rep.get("files_total", 0), "source_rows": r.get("source_rows"),
            "target_rows": r.get("target_rows"), "quarantined": r.get("source_quarantined"),
            "counts_match": r.get("counts_match"), "retries": retries_total(rep), "ok": r["ok"],
            "status": r.get("status", ""),
            "error": r.get("error") or "",
        })
    return rows


def _run_name() -> str:
    return f"run {plan_name(param('plan_path', '?'))} ({_waves_label(param('waves'))})"


@flow(name="migrate-run", flow_run_name=_run_name, log_prints=True)
def migrate_run_flow(plan_path: str, datasets: list[str] | None = None, waves: list[int] | None = None,
                     count: bool = True) -> dict[str, Any]:
    plan = load_plan(plan_path)
    chosen = runner.select(plan, datasets, waves)
    results: list[dict[str, Any]] = []
    with runner.shared_catalogs(plan, chosen):  # the wave flows run in this process: one Iceberg catalog for all
        for wave in sorted({d.wave for d in chosen}):
            names = [d.name for d in chosen if d.wave == wave]
            state = migrate_wave_flow(plan_path, wave, names, count=count, return_state=True)
            data = state.result(raise_on_failure=False)
            if isinstance(data, BaseException):  # the wave flow itself crashed
                raise data
            results.extend(cast(list[dict[str, Any]], data))
    rows = _summary_rows(results)
    create_table_artifact(key=key("migrate-run", plan.name), table=rows,
                          description=f"Datasets migrated by plan {plan.name}")
    bad = [r for r in rows if not r["ok"] or r["counts_match"] is False]
    create_markdown_artifact(
        key=key("migrate-run", plan.name, "status"),
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
