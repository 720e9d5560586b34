"""Engine on a local target: CSV -> Parquet / Iceberg / copy, re-runs, changes, crash recovery."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pytest

from migrate.engine import run_dataset, source_row_count, target_row_count
from migrate.ledger import Ledger
from migrate.progress import RecordingProgress
from tests.engine.helpers import (
    assert_equal_rows,
    make_dataset,
    make_plan,
    read_parquet_target,
    reader_options,
    source_table,
    write_csv,
)


def test_csv_to_parquet_roundtrip_and_rerun_noop(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", files=6, rows=500)
    plan = make_plan(tmp_path, "parquet")
    prog = RecordingProgress()
    rep = run_dataset(plan, "events", options=reader_options(), progress=prog)
    assert rep.ok, rep.errors
    assert (rep.files_total, rep.files_processed, rep.rows_in, rep.rows_written) == (6, 6, total, total)
    got, names = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert_equal_rows(got, source_table(tmp_path / "src"))
    assert got.schema.field("id").type == pa.int64() and got.schema.field("ts").type == pa.timestamp("us")
    assert len(names) == 6 and not any("migrate-tmp" in n for n in names)
    assert prog.rows == total and prog.bytes_done == rep.bytes_in
    assert json.loads(json.dumps(rep.to_dict()))["rows_written"] == total  # JSON-serialisable
    again = run_dataset(plan, "events", options=reader_options())
    assert (again.files_skipped, again.files_processed, again.rows_written) == (6, 0, 0)
    assert target_row_count(plan, "events") == total
    _, names2 = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert sorted(names2) == sorted(names)


def test_changed_new_and_deleted_sources(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", files=4, rows=100)
    plan = make_plan(tmp_path, "parquet")
    assert run_dataset(plan, "events", options=reader_options()).files_processed == 4
    src = tmp_path / "src"
    write_csv(src / "f0001.csv", 5000, 150)  # changed: 150 other rows instead of 100
    os.utime(src / "f0001.csv", (time.time() + 5, time.time() + 5))
    write_csv(src / "f0100.csv", 10_000, 30)  # new
    (src / "f0003.csv").unlink()  # deleted at the source
    rep = run_dataset(plan, "events", options=reader_options())
    assert (rep.files_processed, rep.files_skipped, rep.files_missing) == (2, 2, 1), rep.to_dict()
    assert rep.missing == [f"file://{src}/f0003.csv"] and rep.files_deleted == 1
    got, names = read_parquet_target(f"file://{tmp_path}/out/t", {})
    # f0003 is gone from the source, so its rows leave the target (EngineOptions.sync_deletions);
    # f0001's old version is gone too.
    assert len(names) == 4
    ids = got.column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 100 + 150 + 100 + 30
    assert run_dataset(plan, "events", options=reader_options()).files_processed == 0


def test_source_changing_while_read_is_redone(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", files=2, rows=100)
    marker = tmp_path / "mutate-once"
    marker.write_text(str(tmp_path / "src" / "f0000.csv"))
    os.environ["MIGRATE_TEST_MUTATE_ONCE"] = str(marker)
    try:
        opts = reader_options()
        from dataclasses import replace

        opts = replace(opts, reader="tests.engine.adapter:open_batches_mutating", use_processes=False)
        rep = run_dataset(make_plan(tmp_path, "parquet"), "events", options=opts)
    finally:
        os.environ.pop("MIGRATE_TEST_MUTATE_ONCE")
    assert rep.ok and rep.files_redone_changed == 1
    got, names = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert len(names) == 2
    assert_equal_rows(got, source_table(tmp_path / "src"))  # includes the rows appended mid-read


def test_recovery_removes_unknown_parts_and_temp_files(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", files=3, rows=50)
    plan = make_plan(tmp_path, "parquet")
    run_dataset(plan, "events", options=reader_options())
    out = tmp_path / "out" / "t"
    (out / "part-0123456789abcdef.parquet").write_bytes(b"half")  # a dead run's part, unknown to the ledger
    (out / ".part-x.parquet.migrate-tmp-abc").write_bytes(b"tmp")
    (out / "README.txt").write_text("not ours: kept")
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.recovered["unknown_parts_deleted"] == 1 and rep.recovered["temp_files_deleted"] == 1
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("part-")) == ["README.txt"]
    assert target_row_count(plan, "events") == 150


@pytest.mark.parametrize("partition", [False, True], ids=["flat", "partitioned"])
def test_csv_to_iceberg_sqlite(tmp_path: Path, partition: bool) -> None:
    total = make_dataset(tmp_path / "src", files=5, rows=200, partitions=["2024-01-01", "2024-01-02"] if partition
                         else None)
    plan = make_plan(tmp_path, "iceberg", partition=partition)
    rep = run_dataset(plan, "events", options=reader_options(iceberg_commit_files=2))
    assert rep.ok, rep.errors
    assert len(rep.snapshots) == 3  # 5 files, 2 per snapshot
    from migrate import iceberg

    table = iceberg.load_catalog(plan, state_dir=plan.state_dir).load_table("ns.events")
    got = table.scan().to_arrow().sort_by("id")
    want = source_table(tmp_path / "src")
    assert_equal_rows(got, want)
    if partition:
        assert [f.name for f in table.spec().fields] == ["dt"]
        assert sorted(set(got.column("dt").to_pylist())) == ["2024-01-01", "2024-01-02"]
    keys = iceberg.committed_source_keys(table)
    assert len(keys) == 5
    summary = table.current_snapshot().summary
    assert json.loads(summary[iceberg.FILES_PROPERTY])[0][1].startswith("crc32c:")
    assert run_dataset(plan, "events", options=reader_options()).files_processed == 0
    assert target_row_count(plan, "events") == total


def test_iceberg_never_registers_twice_after_lost_ledger_update(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", files=3, rows=100)
    plan = make_plan(tmp_path, "iceberg")
    run_dataset(plan, "events", options=reader_options())
    # Simulate a crash after the table commit but before the ledger said so.
    with Ledger.in_state_dir(plan.state_dir) as led:
        led._db.execute("UPDATE files SET state='written'")
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.recovered["promoted_from_table"] == 3 and rep.files_processed == 0
    # And with the ledger lost entirely: the table's snapshot keys stop a second append.
    os.remove(plan.state_dir / "ledger.db")
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.files_processed == 3 and rep.snapshots == []
    assert target_row_count(plan, "events") == total


class _Killed(BaseException):
    """Stands for SIGKILL: the ledger's open batch is rolled back, as a kill would lose it."""


def test_iceberg_counts_survive_a_kill_between_snapshot_and_ledger(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    total = make_dataset(tmp_path / "src", files=4, rows=100)
    for i in range(4):
        with open(tmp_path / "src" / f"f{i:04d}.csv", "a") as f:
            f.write(f"{999990 + i},too,many,fields,here,true,extra\n")  # one row to quarantine per file
    plan = make_plan(tmp_path, "iceberg")
    original = Ledger.mark_committed

    def killed(self: Ledger, dataset: str, uris: object) -> None:
        raise _Killed  # after the Iceberg commit, before the ledger says so

    monkeypatch.setattr(Ledger, "mark_committed", killed)
    with pytest.raises(_Killed):  # the first snapshot (of 2 files) is committed while files finish
        run_dataset(plan, "events", options=reader_options(iceberg_commit_files=2))
    monkeypatch.setattr(Ledger, "mark_committed", original)
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.recovered["promoted_from_table"] == 2 and rep.files_processed == 2
    with Ledger.in_state_dir(plan.state_dir) as led:
        records = led.records("events")
    # The counts written before the snapshot are the ones recovery promoted: nothing lost to quarantine.
    assert {r.state for r in records} == {"committed"}
    assert sum(r.rows_quarantined for r in records) == 4
    assert sum(r.rows_in for r in records) == total + 4
    assert sum(r.rows_written for r in records) == total == target_row_count(plan, "events")


def test_iceberg_changed_source_replaces_its_rows(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", files=3, rows=100)
    plan = make_plan(tmp_path, "iceberg")
    run_dataset(plan, "events", options=reader_options())
    write_csv(tmp_path / "src" / "f0001.csv", 5000, 120)
    os.utime(tmp_path / "src" / "f0001.csv", (time.time() + 5, time.time() + 5))
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.files_processed == 1
    assert target_row_count(plan, "events") == 320
    from migrate import iceberg

    ids = iceberg.load_catalog(plan, state_dir=plan.state_dir).load_table("ns.events").scan().to_arrow()["id"]
    assert len(set(ids.to_pylist())) == 320


def test_copy_as_is_with_checksums(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_dataset(src, files=3, rows=100)
    (src / "sub").mkdir()
    (src / "sub" / "blob.bin").write_bytes(os.urandom(3 << 20))
    plan = make_plan(tmp_path, "copy")
    rep = run_dataset(plan, "events")
    assert rep.ok and rep.files_processed == 4 and rep.bytes_out == rep.bytes_in
    for p in src.rglob("*"):
        if p.is_file():
            assert (tmp_path / "out" / "t" / p.relative_to(src)).read_bytes() == p.read_bytes()
    with Ledger.in_state_dir(plan.state_dir) as led:
        recs = led.records("events")
    assert all(r.source_checksum == r.target_checksums[0] and r.state == "committed" for r in recs)
    assert run_dataset(plan, "events").files_skipped == 4


def test_source_row_count(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", files=2, rows=70)
    plan = make_plan(tmp_path, "parquet")
    reader = reader_options().reader
    assert source_row_count(plan, "events", reader=reader) == (total, 0)


def test_split_large_file_into_ranges(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "big.csv", 0, 20_000)
    plan = make_plan(tmp_path, "parquet")
    rep = run_dataset(plan, "events", options=reader_options(split_bytes=256 << 10, use_processes=True),
                      concurrency=2)
    assert rep.ok, rep.errors
    got, names = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert len(names) >= 4
    assert_equal_rows(got, source_table(tmp_path / "src"))


@pytest.mark.parametrize("workers", [2, 3])
def test_a_big_file_is_cut_into_a_multiple_of_the_workers(tmp_path: Path, workers: int) -> None:
    """No wave of parts with a lone straggler: ranges come in multiples of the workers."""
    write_csv(tmp_path / "src" / "big.csv", 0, 20_000)
    size = (tmp_path / "src" / "big.csv").stat().st_size
    split = size // 4 - 1  # five ranges of at most ``split`` bytes would do; 6 on 2 workers, 6 on 3
    plan = make_plan(tmp_path, "parquet")
    rep = run_dataset(plan, "events", options=reader_options(split_bytes=split), concurrency=workers)
    assert rep.ok, rep.errors
    got, names = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert len(names) == 6
    assert_equal_rows(got, source_table(tmp_path / "src"))


def test_big_files_are_cut_while_earlier_ones_convert(tmp_path: Path) -> None:
    """Cutting a quoted file reads it once (the quote census): the next big file is cut only once the
    parts queued before it are being read, so its census overlaps their conversion; rows stay exact."""
    from tests.engine import helpers

    for i in range(3):
        write_csv(tmp_path / "src" / f"big{i}.csv", i * 8_000, 8_000 - i * 500)  # sizes differ: known order
    plan = make_plan(tmp_path, "parquet")
    helpers.EVENTS.clear()
    rep = run_dataset(plan, "events", concurrency=2, options=reader_options(
        split_bytes=128 << 10, use_processes=False, splitter="tests.engine.helpers:logging_splitter",
        reader="tests.engine.helpers:logging_reader"))
    assert rep.ok and rep.files_processed == 3, rep.errors
    events = list(helpers.EVENTS)
    cuts = [i for i, e in enumerate(events) if e[0] == "cut"]
    assert [events[i][1] for i in cuts] == ["big0.csv", "big1.csv", "big2.csv"]
    for before, after in itertools.pairwise(cuts):
        assert ("read", events[before][1]) in events[before:after], events  # cut after its forerunner's reads began
    got, names = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert len(names) >= 6
    assert_equal_rows(got, source_table(tmp_path / "src"))


def test_split_large_parquet_file_by_row_groups(tmp_path: Path) -> None:
    """A Parquet source above split_bytes is converted in parts, each a run of whole row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from migrate.plan import load_plan_text

    n = 30_000
    src = pa.table({"id": pa.array(range(n), pa.int64()), "name": [f"name-{i}" * 8 for i in range(n)]})
    (tmp_path / "src").mkdir()
    pq.write_table(src, tmp_path / "src" / "big.parquet", row_group_size=2_000, compression="none")
    plan = load_plan_text("""
version: 1
name: split-parquet
settings: {state_dir: state, concurrency: 2}
sources: {src: {kind: local, path: src}}
targets: {out: {kind: local, path: out}}
datasets:
  - name: events
    source: {store: src, path: ""}
    format: {kind: parquet}
    target: {kind: parquet, store: out, path: t}
""", base_dir=tmp_path)
    rep = run_dataset(plan, "events", options=reader_options(split_bytes=256 << 10), concurrency=2)
    assert rep.ok and rep.rows_in == rep.rows_written == n, rep.errors
    got, names = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert len(names) >= 4  # several parts from the one source file
    assert got.column("id").to_pylist() == list(range(n))
    assert got.column("name").to_pylist() == src.column("name").to_pylist()
    assert run_dataset(plan, "events", options=reader_options(split_bytes=256 << 10)).files_processed == 0
