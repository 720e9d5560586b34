"""The validators' parts on their own: checksums, sketches, tolerances, the hash-multiset difference and
row locations in text files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from migrate.validators.diff import _excess
from migrate.validators.digest import Checksum, Digester
from migrate.validators.locate import locate_rows
from migrate.validators.profiles import SKETCH_K, ColumnProfile, sketch_estimate, sketch_update
from migrate.validators.sides import list_source
from migrate.validators.tolerance import Tolerances

from migrate.plan import ValidationRule, load_plan_text

SCHEMA = pa.schema([("id", pa.int64()), ("x", pa.float64()), ("s", pa.string()), ("ts", pa.timestamp("us"))])


def _table(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({"id": np.arange(n), "x": rng.normal(size=n), "s": [f"v{i % 97}" for i in range(n)],
                     "ts": pa.array(rng.integers(0, 10**15, n), pa.int64()).cast(pa.timestamp("us"))},
                    schema=SCHEMA)


def _checksum(dig: Digester, tables: list[pa.Table]) -> Checksum:
    c = Checksum()
    for t in tables:
        c.add(dig.row_hashes(dig.canonical(t)))
    return c


def test_checksum_is_order_and_split_independent_and_sees_every_change() -> None:
    dig = Digester(SCHEMA)
    t = _table(5000)
    whole = _checksum(dig, [t])
    shuffled = t.take(pa.array(np.random.default_rng(1).permutation(5000)))
    assert whole.differing_buckets(_checksum(dig, [shuffled.slice(0, 1234), shuffled.slice(1234)])) == []
    changed = t.to_pylist()
    changed[17]["x"] += 1e-12
    assert len(whole.differing_buckets(_checksum(dig, [pa.Table.from_pylist(changed, SCHEMA)]))) == 2
    dup = pa.concat_tables([t, t.slice(3, 1)])
    assert len(whole.differing_buckets(_checksum(dig, [dup]))) == 1
    # Values swapped between two rows of one column: every column sum stays, the checksum does not.
    swapped = t.to_pylist()
    swapped[0]["s"], swapped[1]["s"] = swapped[1]["s"], swapped[0]["s"]
    assert whole.differing_buckets(_checksum(dig, [pa.Table.from_pylist(swapped, SCHEMA)]))


def test_sketch_is_exact_when_small_close_when_large_and_mergeable() -> None:
    rng = np.random.default_rng(7)
    small = rng.integers(0, 2**63, 300).astype(np.uint64)
    assert sketch_estimate(sketch_update(np.empty(0, np.uint64), np.concatenate([small, small]))) == 300
    big = rng.integers(0, 2**64, 200_000, dtype=np.uint64)  # hashes span all 64 bits
    one = sketch_update(np.empty(0, np.uint64), big)
    assert len(one) == SKETCH_K and abs(sketch_estimate(one) - 200_000) < 0.15 * 200_000
    halves = sketch_update(sketch_update(np.empty(0, np.uint64), big[:90_000]), big[90_000:])
    assert np.array_equal(halves, one)
    p = ColumnProfile("string")
    p.update(pa.array(["a", None, "b", "a"]), np.array([5, 999, 6, 5], np.uint64))
    assert (p.count, p.nulls, p.min, p.max) == (3, 1, "a", "b")


def test_int64_sums_do_not_wrap() -> None:
    p = ColumnProfile("int64")
    p.update(pa.array([2**62, 2**62, 2**62], pa.int64()), None)
    assert p.sum == 3 * 2**62


def test_tolerance_rules() -> None:
    rules = [ValidationRule(check="tolerance", columns=["x"], absolute=0.01),
             ValidationRule(check="tolerance", columns=["ts"], timestamp="1ms")]
    tol = Tolerances(rules, SCHEMA)
    assert tol.equal("x", 1.0, 1.009) and not tol.equal("x", 1.0, 1.011)
    t0 = dt.datetime(2024, 1, 1)
    assert tol.equal("ts", t0, t0 + dt.timedelta(microseconds=999))
    assert not tol.equal("ts", t0, t0 + dt.timedelta(milliseconds=2))
    assert not tol.equal("id", 1, 2) and tol.equal("x", None, None) and not tol.equal("x", None, 1.0)
    q = tol.quantize("x", pa.array([1.0, 1.004, 1.006, None]))
    assert q.to_pylist() == [100.0, 100.0, 101.0, None]  # an edge: 1.004 and 1.006 hash apart, yet are equal
    rel = Tolerances([ValidationRule(check="tolerance", tolerance=1e-6)], SCHEMA)
    assert rel.equal("x", 1e9, 1e9 + 999) and not rel.equal("x", 1e9, 1e9 + 1001)


def test_excess_finds_surplus_occurrences_and_duplicates() -> None:
    h = np.array([5, 7, 7, 9, 9, 9], np.uint64)
    pos = np.arange(6)
    other = np.array([5, 7, 9, 11], np.uint64)
    idx, dup = _excess(h, pos, other)
    assert sorted(idx.tolist()) == [2, 4, 5] and dup.all()  # the later occurrences; the others have the hash
    idx, dup = _excess(other, np.arange(4), h)
    assert idx.tolist() == [3] and not dup.any()  # 11 is in one side only


def test_rows_are_located_on_their_physical_lines(tmp_path: Path) -> None:
    """Header, a quoted field with a newline, a blank line and quarantined lines all move the lines."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.csv").write_text(
        "id,name\n"          # line 1: header
        "0,plain\n"          # 2 -> row 0
        '1,"two\nlines"\n'   # 3-4 -> row 1
        "\n"                 # 5 blank
        "x,bad id\n"         # 6 quarantined (not a bigint)
        "3,after\n"          # 7 -> row 2
        "4,a,b\n"            # 8 quarantined (ragged)
        "5,last\n")          # 9 -> row 3
    plan = load_plan_text("""
version: 1
name: loc
sources: {src: {kind: local, path: src}}
targets: {out: {kind: local, path: out}}
datasets:
  - name: d
    source: {store: src}
    format: {kind: csv}
    schema: [{name: id, type: bigint}, {name: name, type: string}]
    target: {kind: parquet, store: out, path: d}
""", base_dir=tmp_path)
    ds = plan.dataset("d")
    side = list_source(plan, ds)
    from migrate.formats.types import arrow_schema

    got = locate_rows(side, side.files[0], ds, arrow_schema(ds.schema), [0, 1, 2, 3], quarantined=2)
    assert got == {0: {"line": 2}, 1: {"line": 3}, 2: {"line": 7}, 3: {"line": 9}}


@pytest.mark.parametrize("rows", [0, 1])
def test_empty_and_tiny_tables_hash(rows: int) -> None:
    dig = Digester(SCHEMA)
    t: Any = _table(rows)
    assert len(dig.row_hashes(dig.canonical(t))) == rows


def test_row_hashes_from_column_hashes_equal_duckdbs_own() -> None:
    """With the columns' hashes wanted, the row hashes are combined in numpy (after a first batch that
    checks the combination against DuckDB's ``hash(c0, ..., cN)``): the same rows either way."""
    schema = pa.schema([("id", pa.int64()), ("b", pa.bool_()), ("d", pa.date32()), ("s", pa.string()),
                        ("x", pa.float64()), ("q", pa.int32())])
    t = pa.table({"id": [1, 2, None, 4], "b": [True, None, False, True],
                  "d": pa.array([0, 19000, None, -5], pa.int32()).cast(pa.date32()), "s": ["a", None, "", "long " * 9],
                  "x": [0.5, -0.0, None, float("nan")], "q": pa.array([7, None, -3, 2**31 - 1], pa.int32())},
                 schema=schema)
    dig = Digester(schema)
    rows = dig.row_hashes(t)
    for _ in range(2):  # the first call checks the combination, the second relies on it
        both, cols = dig.hashes(t, columns=True)
        assert cols is not None and len(cols) == 6
        assert np.array_equal(both, rows)
    assert dig._combine_ok is True
