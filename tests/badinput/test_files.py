"""Bad data files (``corpus.CASES``) migrated beside a good file of the same format.

For every case: the run goes on past the bad file; the good file's rows all land; the bad file either
fails with an error naming it (a re-run tries it again, the good file is skipped) or has its bad rows
quarantined with their file and line/record; rows in = rows written + rows quarantined; nothing is
written outside the target folder and no temporary file is left.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from migrate.engine import PART_RE, EngineOptions, parquet_file, run_dataset
from migrate.ledger import Ledger
from migrate.plan import load_plan_text
from migrate.storage import open_storage
from tests.badinput.corpus import CASES, ROWS, SCHEMA, Case


def plan_for(base: Path, fmt: str, schema: bool = True, target: str = "parquet") -> object:
    return load_plan_text(f"""
version: 1
name: badinput
settings: {{state_dir: state, concurrency: 2}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {{kind: local, path: out}}}}
datasets:
  - name: ds
    source: {{store: src, path: ""}}
    format: {fmt}
    {"schema: " + SCHEMA if schema else ""}
    target: {{kind: {target}, store: out, path: t}}
""", base_dir=base)


def target_ids(base: Path) -> list[int]:
    root = f"file://{base}/out/t"
    store = open_storage(root)
    tables = [parquet_file(store, f.uri).read() for f in store.walk(root) if PART_RE.match(f.name)]
    if not tables:
        return []
    t = pa.concat_tables(tables, promote_options="permissive")
    return sorted(t.column("id").to_pylist())


def files_under(base: Path) -> set[str]:
    return {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()}


def assert_nothing_outside_target(base: Path, before: set[str]) -> None:
    new = files_under(base) - before
    stray = sorted(f for f in new if not f.startswith(("out/t/", "state/")))
    assert not stray, stray
    assert not [f for f in new if ".migrate-tmp-" in f]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_file_is_named_or_quarantined(tmp_path: Path, case: Case) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / f"good.{case.ext}").write_bytes(case.good(tmp_path))
    bad = src / f"bad.{case.ext}"
    bad.write_bytes(case.bad(tmp_path))
    bad_uri = f"file://{bad}"
    before = files_under(tmp_path)
    plan = plan_for(tmp_path, case.fmt, case.schema)

    rep = run_dataset(plan, "ds", options=EngineOptions(catalog_helper="none"))
    assert rep.files_total == 2
    assert_nothing_outside_target(tmp_path, before)
    ids = target_ids(tmp_path)
    assert [i for i in ids if i < ROWS] == list(range(ROWS)), "the good file's rows must all land"
    assert rep.rows_in == rep.rows_written + rep.rows_quarantined, rep.to_dict()

    if case.expect == "fail":
        assert rep.files_failed == 1 and rep.files_processed == 1, rep.to_dict()
        (err,) = rep.errors
        assert err["uri"] == bad_uri
        assert str(bad) in err["error"], err  # the message itself names the file
        assert case.where in err["error"], err
        assert "Traceback" not in err["error"]
        assert ids == list(range(ROWS)), "nothing of a failed file may be visible"
        with Ledger.in_state_dir(tmp_path / "state") as ledger:
            rec = ledger.get("ds", bad_uri)
        assert rec is not None and rec.state == "failed"
        again = run_dataset(plan, "ds", options=EngineOptions(catalog_helper="none"))
        assert (again.files_skipped, again.files_failed) == (1, 1), again.to_dict()
        return

    assert rep.ok and rep.files_processed == 2, rep.to_dict()
    if case.expect == "rows":
        assert rep.rows_quarantined == 0 and len(ids) == ROWS + case.rows, rep.to_dict()
        return
    assert case.expect == "quarantine"
    assert rep.rows_quarantined == case.quarantined, rep.to_dict()
    records = [json.loads(line) for f in sorted((tmp_path / "state" / "quarantine" / "ds").glob("*.jsonl"))
               for line in f.read_text().splitlines()]
    assert len(records) == case.quarantined, records
    for r in records:
        assert r["source"] == bad_uri and r["reason"], r
        assert case.where in r, r  # line (text) or record (binary formats)
    assert len(ids) == len(set(ids)), "no row twice"


def _write_long_line(path: Path, head: bytes, size: int, tail: bytes) -> None:
    with open(path, "wb") as f:
        f.write(head)
        block = b"x" * (1 << 20)
        for _ in range(size >> 20):
            f.write(block)
        f.write(tail)


def test_100mb_single_line_csv_is_quarantined_in_bounded_memory(tmp_path: Path) -> None:
    """A 100 MB record (over the 64 MiB max_record_bytes) is quarantined with its line and read past in
    1 MiB pieces; the rows after it still load. A 6 MiB field (over pyarrow's 4 MiB parse block, under
    the limit) loads intact."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.csv").write_bytes(b"id,name\n0,a\n")
    _write_long_line(src / "long.csv", b"id,name\n1000,a\n1001,", 100 << 20, b"\n1002,c\n")
    _write_long_line(src / "wide.csv", b"id,name\n2000,", 6 << 20, b"\n2001,d\n")
    rep = run_dataset(plan_for(tmp_path, "{kind: csv}"), "ds", options=EngineOptions(catalog_helper="none"))
    assert rep.ok and rep.files_processed == 3, rep.to_dict()
    assert (rep.rows_in, rep.rows_written, rep.rows_quarantined) == (6, 5, 1)
    assert target_ids(tmp_path) == [0, 1000, 1002, 2000, 2001]
    (record,) = [json.loads(line) for f in (tmp_path / "state" / "quarantine" / "ds").glob("*.jsonl")
                 for line in f.read_text().splitlines()]
    assert record["source"] == f"file://{src / 'long.csv'}" and record["line"] == 3
    assert "longer than the limit" in record["reason"] and len(record["value"]) < 1000
    root = f"file://{tmp_path}/out/t"
    store = open_storage(root)
    names = [n for f in store.walk(root) if PART_RE.match(f.name)
             for n in parquet_file(store, f.uri).read().column("name").to_pylist()]
    assert max(len(n) for n in names) == 6 << 20


@pytest.mark.slow
def test_100mb_single_line_jsonl_loads_whole(tmp_path: Path) -> None:
    """JSON lines have no quoting ambiguity: a valid 100 MB line is a row like any other."""
    src = tmp_path / "src"
    src.mkdir()
    _write_long_line(src / "long.jsonl", b'{"id": 1000, "name": "a"}\n{"id": 1001, "name": "', 100 << 20,
                     b'"}\n{"id": 1002, "name": "c"}\n')
    rep = run_dataset(plan_for(tmp_path, "{kind: jsonl}"), "ds", options=EngineOptions(catalog_helper="none"))
    assert rep.ok and (rep.rows_in, rep.rows_written, rep.rows_quarantined) == (3, 3, 0), rep.to_dict()
    assert target_ids(tmp_path) == [1000, 1001, 1002]
