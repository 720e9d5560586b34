"""wave -> dataset -> batches of files: a dataset with more pending files than a batch runs batch by batch,
one Prefect task each, and its dataset task finishes it; the result is the same as one engine run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from migrate import batches
from migrate.plan import load_plan
from tests.fixtures.prefect import PrefectTestServer


def _estate(base: Path, files: int) -> Path:
    src = base / "legacy" / "events"
    src.mkdir(parents=True)
    for i in range(files):
        (src / f"part-{i:02d}.csv").write_text("id,v\n" + "".join(f"{i * 10 + j},{j}\n" for j in range(3)))
    plan = base / "plan.yaml"
    plan.write_text(textwrap.dedent("""\
        version: 1
        name: batched
        settings: {state_dir: state}
        sources: {legacy: {kind: local, path: legacy}}
        targets: {out: {kind: local, path: out}}
        datasets:
          - name: events
            source: {store: legacy, path: events}
            format: {kind: csv, header: true}
            schema: [{name: id, type: bigint}, {name: v, type: bigint}]
            target: {kind: parquet, store: out, path: events}
        """))
    return plan


def test_pending_batches_cut_by_files_and_bytes_and_skip_done_files(tmp_path: Path) -> None:
    from migrate import runner

    plan = load_plan(_estate(tmp_path, 7))
    ds = plan.dataset("events")
    assert [len(b) for b in batches.pending_batches(plan, ds, max_files=3)] == [3, 3, 1]
    assert batches.pending_batches(plan, ds, max_files=7) == []  # one batch: the dataset run does it
    size = max(f.stat().st_size for f in (tmp_path / "legacy" / "events").iterdir())
    assert [len(b) for b in batches.pending_batches(plan, ds, max_files=100, max_bytes=2 * size)] == [2, 2, 2, 1]
    first = batches.pending_batches(plan, ds, max_files=3)[0]
    report = runner.migrate_batch(plan, ds, first)
    assert report["files_processed"] == 3 and report["files_missing"] == 0
    assert [len(b) for b in batches.pending_batches(plan, ds, max_files=3)] == [3, 1]  # done files left out
    (tmp_path / "legacy" / "events" / "part-00.csv").write_text("id,v\n0,9\n")  # changed: pending again
    assert [len(b) for b in batches.pending_batches(plan, ds, max_files=3)] == [3, 2]


@pytest.mark.prefect
def test_run_flow_runs_big_datasets_batch_by_batch(tmp_path: Path, prefect_server: PrefectTestServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    from migrate.flows.run import run_plan_flow

    monkeypatch.setattr(batches, "BATCH_FILES", 2)
    plan = _estate(tmp_path, 5)
    result = run_plan_flow(str(plan))
    assert result["ok"], result
    (outcome,) = result["datasets"]
    assert (outcome["source_rows"], outcome["target_rows"]) == (15, 15)
    assert outcome["report"]["files_skipped"] == 5  # the batches did all the work
    names = [f"batched/w1/events batch {i}/3" for i in (1, 2, 3)]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=names)))
    assert sorted(r.name for r in runs) == names and all(r.state and r.state.is_completed() for r in runs)
    ids = sorted(i for f in (tmp_path / "out" / "events").glob("*.parquet")
                 for i in pq.read_table(f).column("id").to_pylist())
    assert ids == sorted(i * 10 + j for i in range(5) for j in range(3))
    again = run_plan_flow(str(plan))  # nothing pending: no batch, the dataset task skips every file
    assert again["ok"] and again["datasets"][0]["report"]["files_skipped"] == 5
