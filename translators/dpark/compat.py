"""DPark behaviours PySpark lacks, for jobs translated by ``migrate translate dpark``.

Shipped two ways: importable as ``migrate.translators.dpark.compat``, and copied beside every translation as
``dparkcompat.py`` (translated jobs ``import dparkcompat``; a SparkApplication ships it with ``deps.pyFiles``).
So it imports nothing from ``migrate``: only the standard library and pyspark.

Every function takes the RDD (or SparkContext) first and keeps DPark's argument names, so a call reads like the
DPark method it replaces: ``rdd.hot(10)`` -> ``dparkcompat.hot(rdd, 10)``.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
import optparse
import posixpath
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# DPark's own command-line flags (dpark/context.py): accepted and ignored by translated jobs so old command
# lines keep working; on Kubernetes the same settings come from spark-submit / the SparkApplication.
DPARK_FLAGS_WITH_VALUE = ("-m", "--master", "-p", "--parallel", "-c", "--cpus", "-M", "--mem", "-g", "--group",
                          "--err", "--checkpoint_dir", "--stats_dir", "--role", "-I", "--image", "-V", "--volumes")
DPARK_FLAGS = ("--color", "--no-color", "--profile")


# ----------------------------------------------------------------------------- context and options

def spark_context(app_name: str | None = None, master: str | None = None) -> Any:
    """The SparkContext of this application (replaces ``DparkContext(master)``). The master comes from
    spark-submit; ``master`` is kept only for ``local``/``local[N]`` runs outside spark-submit.

    DPark reads folders recursively: the Hadoop input setting that does the same is switched on."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if app_name:
        builder = builder.appName(app_name)
    if master and master.startswith("local") and not _has_master():
        builder = builder.master(master)
    sc = builder.getOrCreate().sparkContext
    sc._jsc.hadoopConfiguration().set("mapreduce.input.fileinputformat.input.dir.recursive", "true")
    ship(sc)
    return sc


def ship(sc: Any) -> None:
    """Make this module importable on the executors (its functions travel by reference in closures)."""
    if not getattr(sc, "_dparkcompat_shipped", False) and __name__ == "dparkcompat":
        sc.addPyFile(__file__)
        sc._dparkcompat_shipped = True


def _has_master() -> bool:
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


def spark_session() -> Any:
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


class _DparkOptionParser(optparse.OptionParser):
    """An OptionParser that also accepts DPark's flags (``-m process -p 4 -M 2g``) and drops them."""

    def parse_args(self, args: Any = None, values: Any = None) -> Any:
        return super().parse_args(strip_dpark_flags(sys.argv[1:] if args is None else list(args)), values)


def strip_dpark_flags(argv: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        name = a.split("=", 1)[0]
        if name in DPARK_FLAGS_WITH_VALUE:
            i += 1 if ("=" in a or (len(a) > 2 and not a.startswith("--"))) else 2
            continue
        if len(a) > 2 and a[:2] in ("-m", "-p", "-c", "-M", "-g", "-I", "-V") and not a.startswith("--"):
            i += 1  # -mprocess, -p4
            continue
        if name in DPARK_FLAGS:
            i += 1
            continue
        out.append(a)
        i += 1
    return out


def option_parser(*args: Any, **kw: Any) -> optparse.OptionParser:
    """Replaces ``dpark.optParser``: the job's own options plus DPark's, which are dropped."""
    kw.setdefault("usage", "Usage: %prog [options] [args]")
    return _DparkOptionParser(*args, **kw)


# ----------------------------------------------------------------------------- reading

def _paths(path: str | Iterable[str]) -> list[str]:
    return [path] if isinstance(path, str) else list(path)


def _walk(sc: Any, path: str, ext: str) -> list[str]:
    """Files under ``path`` (recursively, hidden ones skipped, sorted) whose names end with ``ext``: DPark's
    ``textFile(path, ext=...)``. Uses Hadoop's file system API, so it works on s3a://, jfs:// and file:// alike."""
    jvm = sc._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    fs = p.getFileSystem(sc._jsc.hadoopConfiguration())
    if not fs.exists(p):
        raise FileNotFoundError(path)
    out: list[str] = []
    stack = [fs.getFileStatus(p)]
    while stack:
        st = stack.pop()
        name = st.getPath().getName()
        if name.startswith((".", "_")) and st.getPath() != p:
            continue
        if st.isDirectory():
            stack.extend(fs.listStatus(st.getPath()))
        elif name.endswith(ext):
            out.append(st.getPath().toString())
    return sorted(out)


def text_file(sc: Any, path: str | Iterable[str], ext: str = "", followLink: bool = True, maxdepth: int = 0,
              splitSize: int | None = None, numSplits: int | None = None) -> Any:
    """DPark's ``textFile``: a file, a folder read recursively, or a list of them; ``ext`` filters names;
    ``.gz``/``.bz2`` are decompressed (Hadoop codecs). ``splitSize`` is Spark's business (ignored)."""
    files: list[str] = []
    for p in _paths(path):
        files.extend(_walk(sc, p, ext) if ext else [p])
    if not files:
        return sc.emptyRDD()
    joined = ",".join(files)
    return sc.textFile(joined, numSplits) if numSplits else sc.textFile(joined)


def from_csv(rdd: Any, dialect: str = "excel") -> Any:
    """DPark's ``fromCsv``: lines -> lists of fields, parsed per partition with Python's csv module."""
    return rdd.mapPartitions(lambda it: csv.reader(it, dialect))


def csv_file(sc: Any, path: str | Iterable[str], dialect: str = "excel", **kw: Any) -> Any:
    return from_csv(text_file(sc, path, **kw), dialect)


def tabular(sc: Any, path: str | Iterable[str], fields: list[str] | None = None, **_: Any) -> Any:
    """DPark's ``tabular``: rows of a columnar dataset; its migrated form is Parquet (see ``save_as_tabular``)."""
    df = spark_session().read.parquet(*_paths(path))
    if fields:
        df = df.select(*fields)
    return df.rdd.map(tuple)


def table(sc: Any, path: str | Iterable[str], **_: Any) -> Any:
    """DPark's ``table`` (a tableFile with ``.field_names``): migrated to Parquet; rows as Row objects, whose
    fields read by name like DPark's namedtuples."""
    return spark_session().read.parquet(*_paths(path)).rdd


def read_table(name: str) -> Any:
    """A migrated Iceberg table (named in the plan) as an RDD of tuples."""
    return spark_session().table(name).rdd.map(tuple)


def read_parquet(path: str) -> Any:
    return spark_session().read.parquet(path).rdd.map(tuple)


def lines_of_table(df: Any, delimiter: str = "\t", null: str = "") -> Any:
    """A converted dataset read back as the delimited lines the legacy job parsed (text -> Parquet/Iceberg)."""
    def line(row: Any) -> str:
        return delimiter.join(null if v is None else str(v) for v in row)
    return df.rdd.map(line)


def text_lines_from_table(name: str, delimiter: str = "\t", null: str = "") -> Any:
    return lines_of_table(spark_session().table(name), delimiter, null)


def text_lines_from_parquet(path: str, delimiter: str = "\t", null: str = "") -> Any:
    return lines_of_table(spark_session().read.parquet(path), delimiter, null)


# ----------------------------------------------------------------------------- writing

def _hadoop_fs(sc: Any, path: str) -> tuple[Any, Any]:
    p = sc._jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(sc._jsc.hadoopConfiguration()), p


def _clear(sc: Any, path: str, overwrite: bool) -> bool:
    """DPark overwrites an output folder by default; Spark refuses an existing one. True if it may write."""
    fs, p = _hadoop_fs(sc, path)
    if fs.exists(p):
        if not overwrite:
            return False
        fs.delete(p, True)
    return True


def _line(x: Any) -> Any:
    # DPark writes each element as it is and adds '\n' only when missing; Spark always adds one.
    if isinstance(x, bytes):
        return x[:-1] if x.endswith(b"\n") else x
    x = x if isinstance(x, str) else str(x)
    return x[:-1] if x.endswith("\n") else x


_GZIP = "org.apache.hadoop.io.compress.GzipCodec"


def save_as_text_file(rdd: Any, path: str, ext: str = "", overwrite: bool = True, compress: bool = False) -> None:
    """DPark's ``saveAsTextFile``: overwrite by default, one trailing newline per line. Spark names the files
    ``part-00000`` where DPark wrote ``0000`` (``ext`` is not kept in the names)."""
    if not _clear(rdd.context, path, overwrite):
        return
    lines = rdd.map(_line)
    if compress:
        lines.saveAsTextFile(path, _GZIP)
    else:
        lines.saveAsTextFile(path)


def csv_line(row: Any, dialect: str = "excel") -> str:
    buf = io.StringIO()
    csv.writer(buf, dialect).writerow(row if isinstance(row, list | tuple) else (row,))
    return buf.getvalue().rstrip("\r\n")


def save_as_csv_file(rdd: Any, path: str, dialect: str = "excel", overwrite: bool = True,
                     compress: bool = False) -> None:
    """DPark's ``saveAsCSVFile``: each element (a row, or a value) written with Python's csv module."""
    save_as_text_file(rdd.map(lambda row: csv_line(row, dialect)), path, overwrite=overwrite, compress=compress)


def save_as_text_file_by_key(rdd: Any, path: str, ext: str = "", overwrite: bool = True,
                             compress: bool = False) -> None:
    """DPark's ``saveAsTextFileByKey``: (key, line) pairs -> ``path/<key>/part-*`` (DPark: ``path/<key>/0000``).

    Spark writes ``key=<value>`` folders (escaped) through the DataFrame writer; they are renamed to DPark's
    ``<value>`` afterwards with the Hadoop file system API, so it works on every store Spark reaches."""
    sc = rdd.context
    if not _clear(sc, path, overwrite):
        return
    from urllib.parse import unquote

    spark = spark_session()
    rows = rdd.map(lambda kv: (str(kv[0]), _text(_line(kv[1]))))
    staging = path.rstrip("/") + "/_staging_by_key"
    writer = spark.createDataFrame(rows, "key string, value string").write.partitionBy("key").mode("overwrite")
    if compress:
        writer = writer.option("compression", "gzip")
    writer.text(staging)
    fs, base = _hadoop_fs(sc, path)
    for st in fs.listStatus(sc._jvm.org.apache.hadoop.fs.Path(staging)):
        name = st.getPath().getName()
        if st.isDirectory() and name.startswith("key="):
            dest = sc._jvm.org.apache.hadoop.fs.Path(base, unquote(name[len("key="):]))
            fs.mkdirs(dest.getParent())
            if not fs.rename(st.getPath(), dest):
                raise OSError(f"could not move {st.getPath().toString()} to {dest.toString()}")
    fs.delete(sc._jvm.org.apache.hadoop.fs.Path(staging), True)


def _text(x: Any) -> str:
    return x.decode("utf-8") if isinstance(x, bytes) else x


def save_as_tabular(rdd: Any, path: str, field_names: list[str], overwrite: bool = True, **_: Any) -> None:
    """DPark's ``saveAsTabular`` (its own columnar format) -> Parquet with the same field names; the translated
    ``tabular(path)`` reads it back."""
    spark_session().createDataFrame(rdd.map(tuple), list(field_names)).write.mode(
        "overwrite" if overwrite else "ignore").parquet(path)


# ----------------------------------------------------------------------------- DPark-only operations

def sort(rdd: Any, key: Callable[[Any], Any] | None = None, reverse: bool = False,
         numSplits: int | None = None) -> Any:
    return rdd.sortBy(key or (lambda x: x), ascending=not reverse, numPartitions=numSplits)


def hot(rdd: Any, n: int = 10, numSplits: int | None = None) -> list[tuple[Any, int]]:
    """The ``n`` most frequent elements with their counts, most frequent first."""
    return rdd.map(lambda x: (x, 1)).reduceByKey(lambda a, b: a + b, numSplits).top(n, key=lambda kv: kv[1])


def top(rdd: Any, n: int = 10, key: Callable[[Any], Any] | None = None, reverse: bool = False) -> list[Any]:
    """DPark's ``top``: the largest ``n`` (``reverse=True``: the smallest), in that order."""
    return rdd.takeOrdered(n, key) if reverse else rdd.top(n, key)


def top_by_key(rdd: Any, top_n: int, order_func: Callable[[Any], Any] | None = None, reverse: bool = False,
               num_splits: int | None = None, **_: Any) -> Any:
    """DPark's ``topByKey``: per key, the ``top_n`` values in ascending order of ``order_func`` (the smallest
    ones); ``reverse=True`` keeps the largest, in descending order."""
    keyf = order_func or (lambda v: v)
    pick = heapq.nlargest if reverse else heapq.nsmallest

    def create(v: Any) -> list[Any]:
        return [v]

    def merge(acc: list[Any], v: Any) -> list[Any]:
        acc.append(v)
        return pick(top_n, acc, key=keyf) if len(acc) > 2 * top_n else acc

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        return pick(top_n, a + b, key=keyf)

    return rdd.combineByKey(create, merge, combine, num_splits).mapValues(lambda vs: pick(top_n, vs, key=keyf))


def adcount(rdd: Any) -> int:
    """DPark's ``adcount`` (HyperLogLog, ~0.4% error): Spark's HyperLogLog++ at the same precision."""
    return int(rdd.countApproxDistinct(relativeSD=0.005))


def adcount_by_key(rdd: Any, splits: int | None = None, **_: Any) -> Any:
    """Exact distinct values per key (DPark approximated them with HyperLogLog)."""
    return rdd.distinct(splits).mapValues(lambda _v: 1).reduceByKey(lambda a, b: a + b, splits)


def _quantiles(values: list[float], p: Iterable[float]) -> list[float]:
    """Linear interpolation between closest ranks (numpy's default): exact, where DPark's t-digest estimated."""
    if not values:
        return [float("nan") for _ in p]
    values = sorted(values)
    n = len(values)
    out = []
    for pp in p:
        pos = (n - 1) * float(pp) / 100.0
        lo = math.floor(pos)
        hi = min(lo + 1, n - 1)
        out.append(float(values[lo] + (values[hi] - values[lo]) * (pos - lo)))
    return out


def percentiles(rdd: Any, p: list[float], sampleRate: float = 1.0,
                func: Callable[[Any], Any] | None = None) -> list[float]:
    if sampleRate <= 0:
        raise ValueError("Sample Rate should be positive.")
    if sampleRate < 1.0:
        rdd = rdd.sample(False, sampleRate)
    if func:
        rdd = rdd.map(func)
    return _quantiles(rdd.collect(), p)


def percentiles_by_key(rdd: Any, p: list[float], sampleRate: float = 1.0, func: Callable[[Any], Any] | None = None,
                       numSplits: int | None = None, **_: Any) -> Any:
    if sampleRate <= 0:
        raise ValueError("Sample Rate should be positive.")
    if sampleRate < 1.0:
        rdd = rdd.sample(False, sampleRate)
    if func:
        rdd = rdd.mapValues(func)
    return rdd.groupByKey(numSplits).mapValues(lambda vs: _quantiles(list(vs), p))


def merge_split(rdd: Any, splitSize: int | None = None, numSplits: int | None = None) -> Any:
    """DPark's ``mergeSplit``: ``splitSize`` partitions merged into one, or down to ``numSplits``."""
    n = rdd.getNumPartitions()
    if numSplits:
        return rdd.coalesce(max(1, min(n, numSplits)))
    return rdd.coalesce(max(1, math.ceil(n / max(1, splitSize or 1))))


def reduce_by_key_to_driver(rdd: Any, func: Callable[[Any, Any], Any]) -> dict[Any, Any]:
    return rdd.reduceByKey(func).collectAsMap()


def update(rdd: Any, other: Any, replace_only: bool = False, numSplits: int | None = None, **_: Any) -> Any:
    """DPark's ``update``: values of ``other`` replace those of ``rdd`` by key; new keys are added unless
    ``replace_only``."""
    tagged = rdd.mapValues(lambda v: (v, 1)).union(other.mapValues(lambda v: (v, 2)))
    merged = tagged.reduceByKey(lambda x, y: (y[0] if y[1] > x[1] else x[0], x[1] | y[1]), numSplits)
    if replace_only:
        merged = merged.filter(lambda kv: kv[1][1] != 2)
    return merged.mapValues(lambda vr: vr[0])


def enumerate_rdd(rdd: Any) -> Any:
    """DPark's ``enumerate``: (index, element) in partition order."""
    return rdd.zipWithIndex().map(lambda xi: (xi[1], xi[0]))


def enumerate_partition(rdd: Any) -> Any:
    return rdd.mapPartitionsWithIndex(lambda i, it: ((i, x) for x in it))


def batch(rdd: Any, size: int) -> Any:
    """DPark's ``batch``: lists of ``size`` elements, per partition."""
    def chunks(it: Iterator[Any]) -> Iterator[list[Any]]:
        buf: list[Any] = []
        for x in it:
            buf.append(x)
            if len(buf) == size:
                yield buf
                buf = []
        if buf:
            yield buf
    return rdd.mapPartitions(chunks)


def lookup(rdd: Any, key: Any) -> Any:
    """DPark's ``lookup``: the first value of ``key``, or None (Spark returns the list of all of them)."""
    found = rdd.lookup(key)
    return found[0] if found else None


def group_with(rdd: Any, others: Any, numSplits: int | None = None, **_: Any) -> Any:
    """DPark's ``groupWith``/``cogroup``: (key, (values of rdd, values of each other)) with lists."""
    others = [others] if hasattr(others, "mapPartitions") else list(others)
    return rdd.groupWith(*others).mapValues(lambda vs: tuple(list(v) for v in vs)) if numSplits is None else \
        rdd.groupWith(*others).mapValues(lambda vs: tuple(list(v) for v in vs)).coalesce(numSplits)


def partition_by_key(rdd: Any, numSplits: int | None = None, **_: Any) -> Any:
    return rdd.partitionBy(numSplits or rdd.getNumPartitions())


def checkpoint(rdd: Any, path: str | None = None) -> Any:
    """DPark's ``checkpoint(path)``: Spark wants the folder set once on the context, then ``checkpoint()``."""
    if path:
        rdd.context.setCheckpointDir(path)
    rdd.checkpoint()
    return rdd


def first(rdd: Any) -> Any:
    """DPark's ``first``: None for an empty RDD (Spark raises)."""
    got = rdd.take(1)
    return got[0] if got else None


# ----------------------------------------------------------------------------- accumulators

def _acc_param(zero: Any, add: Callable[[Any, Any], Any]) -> Any:
    from pyspark.accumulators import AccumulatorParam

    class _Param(AccumulatorParam):
        def zero(self, value: Any) -> Any:
            import copy
            return copy.copy(zero)

        def addInPlace(self, a: Any, b: Any) -> Any:
            return add(a, b)

    return _Param()


def list_acc() -> Any:
    return _acc_param([], lambda x, y: x.extend(y) or x)


def map_acc() -> Any:
    return _acc_param({}, lambda x, y: x.update(y) or x)


def set_acc() -> Any:
    return _acc_param(set(), lambda x, y: x.update(y) or x)


def num_acc() -> Any:
    return None  # Spark's default parameter for numbers


# ----------------------------------------------------------------------------- Python 2 semantics

def as_text(x: Any, encoding: str = "utf-8", errors: str = "strict") -> str:
    """``x.decode(enc)`` / ``unicode(x, enc)`` of Python 2: text stays text, bytes are decoded."""
    return x.decode(encoding, errors) if isinstance(x, bytes | bytearray) else x


def py2_round(x: float, n: int = 0) -> float:
    """Python 2's ``round``: the exact binary value rounded half away from zero, always a float (Python 3
    rounds halves to even and returns an int without ``n``)."""
    from decimal import ROUND_HALF_UP, Decimal

    if math.isnan(x) or math.isinf(x):
        return float(x)
    return float(Decimal(x).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP))


def cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def part_name(index: int, ext: str = "") -> str:
    """The file name Spark gives partition ``index`` (DPark: ``%04d``)."""
    return f"part-{index:05d}{ext}"


def output_files(path: str) -> list[str]:
    """The data files of an output folder, in partition order (DPark's ``0000``..., Spark's ``part-*``),
    for code that read DPark's outputs by name."""
    sc = spark_session().sparkContext
    fs, p = _hadoop_fs(sc, path)
    names = [st.getPath().toString() for st in fs.listStatus(p)
             if not st.getPath().getName().startswith(("_", "."))]
    return sorted(names, key=posixpath.basename)
