"""Source files appended, rewritten, truncated and deleted while the copy reads them, and between runs.

During a run the engine re-stats every file after reading it: a change (size or mtime) discards what
was written and redoes the file from its new version, in the same run; a file deleted while read is
failed with a clear message, and its data is not published. Between runs the next run picks up exactly
the changed files. A file deleted at the source has its target data removed by the next run (its
ledger row goes too), so the cutover gate "final delta synced" (``cutover.source_delta``) sees an
empty delta exactly when the target matches the source.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import migrate.copy
from migrate.cutover import source_delta
from migrate.engine import EngineOptions, run_dataset
from migrate.ledger import Ledger
from tests.engine.helpers import make_plan as engine_plan
from tests.engine.helpers import read_parquet_target, write_csv

OPTIONS = EngineOptions(use_processes=False)


def make_plan(base: Path, kind: str) -> Any:
    return engine_plan(base, kind, schema=kind != "copy")


def target_ids(plan: Any, kind: str) -> list[int]:
    if kind == "iceberg":
        from migrate import iceberg

        table = iceberg.load_catalog(plan, state_dir=plan.state_dir).load_table("ns.events")
        return sorted(table.scan(selected_fields=("id",)).to_arrow()["id"].to_pylist())
    got, _ = read_parquet_target(plan.location("out", "t")[0], {})
    return sorted(got.column("id").to_pylist()) if got.num_rows else []


def source_ids(src: Path) -> list[int]:
    ids = []
    for p in sorted(src.glob("*.csv")):
        ids.extend(int(line.split(",", 1)[0]) for line in p.read_text().splitlines()[1:])
    return sorted(ids)


def during_read(monkeypatch: pytest.MonkeyPatch, name: str, change: Callable[[Path], None]) -> list[int]:
    """Run ``change(path)`` once, when the first bytes of the source file ``name`` have been read."""
    done: list[int] = []
    lock = threading.Lock()
    real = migrate.copy.run_part

    def run_part(task: Any, queue: Any = None) -> Any:
        if task.src_uri.endswith("/" + name):
            with lock:
                first = not done
                done.append(1)
            if first:  # read the file (the whole part), then change it before the engine re-stats
                out = real(task, queue)
                change(Path(task.src_uri.removeprefix("file://")))
                return out
        return real(task, queue)

    monkeypatch.setattr(migrate.copy, "run_part", run_part)
    monkeypatch.setattr("migrate.engine.run_part", run_part)
    return done


def append(p: Path) -> None:
    with open(p, "a") as f:
        f.write("900001,appended,1.5,2024-01-01,2024-01-01 00:00:00,true\n")


def rewrite_same_size(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data.replace(b"name ", b"NAME "))  # same size, new content
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def truncate(p: Path) -> None:
    lines = p.read_text().splitlines(keepends=True)
    p.write_text("".join(lines[: len(lines) // 2]))


CHANGES = {"appended": append, "rewritten": rewrite_same_size, "truncated": truncate}


@pytest.mark.parametrize("kind", ["parquet", "iceberg"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_change_while_read_is_redone_in_the_same_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     change: str, kind: str) -> None:
    src = tmp_path / "src"
    for i in range(4):
        write_csv(src / f"f{i}.csv", i * 1000, 200)
    plan = make_plan(tmp_path, kind)
    hit = during_read(monkeypatch, "f2.csv", CHANGES[change])
    rep = run_dataset(plan, "events", options=OPTIONS)
    assert hit and rep.ok, rep.errors
    assert rep.files_redone_changed == 1
    assert target_ids(plan, kind) == source_ids(src)  # the new version, once
    if change == "rewritten":
        got, _ = read_parquet_target(plan.location("out", "t")[0], {}) if kind == "parquet" else (None, None)
        if got is not None:
            assert "NAME 2001" in got.column("name").to_pylist()
    assert source_delta(plan, plan.dataset("events")) == {"new": [], "changed": [], "deleted": []}
    again = run_dataset(plan, "events", options=OPTIONS)
    assert again.files_processed == 0


@pytest.mark.parametrize("kind", ["parquet", "copy"])
def test_deleted_while_read_fails_clearly_then_next_run_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              kind: str) -> None:
    src = tmp_path / "src"
    for i in range(3):
        write_csv(src / f"f{i}.csv", i * 1000, 100)
    plan = make_plan(tmp_path, kind)
    assert run_dataset(plan, "events", options=OPTIONS).ok
    append(src / "f1.csv")  # a new version, whose read then sees the file deleted
    during_read(monkeypatch, "f1.csv", lambda p: p.unlink())
    rep = run_dataset(plan, "events", options=OPTIONS)
    assert rep.files_failed == 1 and "disappeared while it was read" in rep.errors[0]["error"]
    monkeypatch.undo()
    # The next run: the file is gone; the old version's data leaves the target, the ledger forgets it.
    rep2 = run_dataset(plan, "events", options=OPTIONS)
    assert rep2.ok and rep2.files_deleted == 1 and rep2.missing == [f"file://{src}/f1.csv"]
    if kind == "copy":
        assert sorted(p.name for p in (tmp_path / "out" / "t").iterdir()) == ["f0.csv", "f2.csv"]
    else:
        assert target_ids(plan, kind) == source_ids(src)
    assert source_delta(plan, plan.dataset("events")) == {"new": [], "changed": [], "deleted": []}
    with Ledger.in_state_dir(plan.state_dir) as ledger:
        assert {r.source_uri.rsplit("/", 1)[-1] for r in ledger.records("events")} == {"f0.csv", "f2.csv"}
    assert run_dataset(plan, "events", options=OPTIONS).files_deleted == 0


@pytest.mark.parametrize("kind", ["parquet", "iceberg", "copy"])
def test_changes_between_runs_are_the_delta_and_the_next_run_syncs_exactly_them(tmp_path: Path, kind: str) -> None:
    src = tmp_path / "src"
    for i in range(6):
        write_csv(src / f"f{i}.csv", i * 1000, 150)
    plan = make_plan(tmp_path, kind)
    ds = plan.dataset("events")
    assert run_dataset(plan, "events", options=OPTIONS).ok
    assert source_delta(plan, ds) == {"new": [], "changed": [], "deleted": []}
    append(src / "f0.csv")
    rewrite_same_size(src / "f1.csv")
    truncate(src / "f2.csv")
    (src / "f3.csv").unlink()
    write_csv(src / "f9.csv", 9000, 10)
    delta = source_delta(plan, ds)
    names = {k: [u.rsplit("/", 1)[-1] for u in v] for k, v in delta.items()}
    assert names == {"new": ["f9.csv"], "changed": ["f0.csv", "f1.csv", "f2.csv"], "deleted": ["f3.csv"]}
    rep = run_dataset(plan, "events", options=OPTIONS)
    assert rep.ok and rep.files_processed == 4 and rep.files_deleted == 1 and rep.files_skipped == 2
    assert source_delta(plan, ds) == {"new": [], "changed": [], "deleted": []}
    if kind == "copy":
        out = tmp_path / "out" / "t"
        assert {p.name: p.read_bytes() for p in out.iterdir()} == {p.name: p.read_bytes() for p in src.iterdir()}
    else:
        assert target_ids(plan, kind) == source_ids(src)


def test_an_empty_listing_deletes_nothing(tmp_path: Path) -> None:
    """An unmounted mount point lists as an empty folder: no target data may go because of that."""
    src = tmp_path / "src"
    for i in range(2):
        write_csv(src / f"f{i}.csv", i * 1000, 50)
    plan = make_plan(tmp_path, "parquet")
    assert run_dataset(plan, "events", options=OPTIONS).ok
    for p in src.iterdir():
        p.unlink()
    rep = run_dataset(plan, "events", options=OPTIONS)
    assert rep.files_missing == 2 and rep.files_deleted == 0
    assert len(target_ids(plan, "parquet")) == 100
