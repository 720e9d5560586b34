"""The compatibility module translated jobs import (``dparkcompat``): each DPark-only operation against the
result DPark 0.5.0 gives for the same input (values taken from runs of the reference runtime), on real Spark."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from migrate.translators.dpark import compat

# ------------------------------------------------------------------ no Spark needed


def test_py2_round_and_cmp() -> None:
    assert [compat.py2_round(x) for x in (0.5, 1.5, 2.5, -2.5)] == [1.0, 2.0, 3.0, -3.0]
    assert compat.py2_round(2.675, 2) == 2.67  # the binary value is below the half, as Python 2 saw it
    assert compat.py2_round(1234.5, -1) == 1230.0
    assert (compat.cmp(1, 2), compat.cmp(2, 2), compat.cmp("b", "a")) == (-1, 0, 1)


def test_text_and_flags() -> None:
    assert compat.as_text(b"caf\xc3\xa9") == "café" and compat.as_text("café") == "café"
    assert compat.strip_dpark_flags(["-m", "mesos", "-p4", "--mem=2g", "-c", "2", "--day", "x", "in"]) == \
        ["--day", "x", "in"]
    parser = compat.option_parser()
    parser.add_option("-d", "--day", dest="day")
    opts, args = parser.parse_args(["-m", "process", "-p", "8", "-d", "2024", "in", "out"])
    assert opts.day == "2024" and args == ["in", "out"]


def test_quantiles_interpolate() -> None:
    assert compat._quantiles(list(range(101)), [50, 90, 99]) == [50.0, 90.0, 99.0]
    assert compat._quantiles([1, 5, 3, 9], [50]) == [4.0]


def test_csv_line_uses_python_csv() -> None:
    assert compat.csv_line(["a", "b,c", 1]) == 'a,"b,c",1'
    assert compat.csv_line(("x", 2), "excel-tab") == "x\t2"
    assert compat.csv_line(7) == "7"


# ------------------------------------------------------------------ on Spark


@pytest.fixture(scope="module")
def sc(spark: Any) -> Any:
    return spark.sparkContext


@pytest.fixture(scope="module")
def dc(sc: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The module as translated jobs get it: ``dparkcompat.py`` beside the job, shipped to the executors."""
    import importlib
    import sys

    from migrate.translators.dpark.output import compat_source

    folder = tmp_path_factory.mktemp("dparkcompat")
    (folder / "dparkcompat.py").write_text(compat_source())
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("dparkcompat")
    finally:
        sys.path.remove(str(folder))
    module.ship(sc)
    return module


PAIRS = [(1, 5), (1, 3), (1, 9), (1, 1), (2, 4)]


@pytest.mark.spark
def test_top_by_key_and_hot_as_dpark(sc: Any, dc: Any) -> None:
    r = sc.parallelize(PAIRS, 2)
    assert sorted(dc.top_by_key(r, 2).collect()) == [(1, [1, 3]), (2, [4])]
    assert sorted(dc.top_by_key(r, 2, reverse=True).collect()) == [(1, [9, 5]), (2, [4])]
    assert sorted(dc.top_by_key(r, 2, order_func=lambda v: -v).collect()) == [(1, [9, 5]), (2, [4])]
    assert dc.hot(sc.parallelize([1, 2, 2, 3, 3, 3]), 2) == [(3, 3), (2, 2)]
    assert dc.top(sc.parallelize([4, 1, 3]), 2, reverse=True) == [1, 3]


@pytest.mark.spark
def test_update_lookup_enumerate_batch_group_with(sc: Any, dc: Any) -> None:
    r = sc.parallelize(PAIRS, 2)
    new = sc.parallelize([(1, 7), (3, 3)])
    assert sorted(dc.update(sc.parallelize([(1, 5), (2, 4)]), new).collect()) == [(1, 7), (2, 4), (3, 3)]
    assert sorted(dc.update(sc.parallelize([(1, 5), (2, 4)]), new, replace_only=True).collect()) == \
        [(1, 7), (2, 4)]
    assert dc.lookup(r, 2) == 4 and dc.lookup(r, 99) is None
    assert dc.enumerate_rdd(sc.parallelize(range(5), 2)).collect() == [(i, i) for i in range(5)]
    five = sc.parallelize(range(5), 2)  # batches never cross partitions (DPark: [[0, 1], [2], [3, 4]])
    assert dc.batch(five, 2).collect() == [p[i:i + 2] for p in five.glom().collect() for i in range(0, len(p), 2)]
    grouped = dict(dc.group_with(r, sc.parallelize([(1, "a")])).collect())
    assert sorted(grouped[1][0]) == [1, 3, 5, 9] and grouped[1][1] == ["a"] and grouped[2] == ([4], [])
    assert dc.reduce_by_key_to_driver(r, lambda a, b: a + b) == {1: 18, 2: 4}
    assert dc.merge_split(sc.parallelize(range(10), 4), 2).getNumPartitions() == 2
    assert dc.merge_split(sc.parallelize(range(10), 4), numSplits=3).getNumPartitions() == 3
    assert dc.first(sc.parallelize([], 1)) is None


@pytest.mark.spark
def test_counts_and_percentiles(sc: Any, dc: Any) -> None:
    assert abs(dc.adcount(sc.parallelize(range(1000), 3)) - 1000) <= 20
    assert sorted(dc.adcount_by_key(sc.parallelize([(1, "a"), (1, "a"), (1, "b"), (2, "c")])).collect()) == \
        [(1, 2), (2, 1)]
    assert dc.percentiles(sc.parallelize(range(101), 3), [50, 90]) == [50.0, 90.0]
    assert dc.percentiles_by_key(sc.parallelize(PAIRS), [50]).collectAsMap()[1] == [4.0]


@pytest.mark.spark
def test_text_file_and_writers_like_dpark(sc: Any, dc: Any, tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "day1").mkdir(parents=True)
    (src / "day1" / "a.log").write_text("x 1\ny 2\n")
    (src / "day1" / "b.txt").write_text("skip me\n")
    (src / "day1" / ".hidden.log").write_text("hidden\n")
    (src / "day2.log.gz").write_bytes(gzip.compress(b"z 3\n"))
    assert sorted(dc.text_file(sc, str(src), ext=".log").collect()) == ["x 1", "y 2"]
    assert sorted(dc.text_file(sc, [str(src / "day1" / "a.log"), str(src / "day2.log.gz")]).collect()) == \
        ["x 1", "y 2", "z 3"]
    assert dc.csv_file(sc, str(src / "day1" / "a.log"), dialect="excel").collect() == [["x 1"], ["y 2"]]

    out = tmp_path / "out"
    dc.save_as_text_file(sc.parallelize(["a\n", "b"], 2), str(out))
    dc.save_as_text_file(sc.parallelize(["c"], 1), str(out))  # DPark overwrote: so does the translation
    assert _lines(out) == ["c"]
    dc.save_as_csv_file(sc.parallelize([["a", "b,c"], [1, 2]]), str(tmp_path / "csv"))
    assert sorted(_lines(tmp_path / "csv")) == ["1,2", 'a,"b,c"']
    by_key = tmp_path / "bykey"
    dc.save_as_text_file_by_key(sc.parallelize([("2024-01-01", "a"), ("2024-01-02", "b"),
                                                    ("2024-01-01", "c\n"), ("x/y", "d")], 2), str(by_key))
    assert sorted(p.name for p in by_key.iterdir()) == ["2024-01-01", "2024-01-02", "x"]
    assert sorted(_lines(by_key / "2024-01-01")) == ["a", "c"] and _lines(by_key / "x" / "y") == ["d"]


def _lines(folder: Path) -> list[str]:
    out: list[str] = []
    for f in sorted(folder.glob("part-*")):
        out.extend(f.read_text().splitlines())
    return out
