"""Hive ``SET key=value`` -> Spark: mapped to a Spark conf where one exists, otherwise dropped and reported.

Each entry says why, because a reviewer reads these notes. Keys not listed fall back on their family
(``hive.*``, ``mapreduce.*``, ``tez.*`` ...: engine tuning with no Spark meaning) or are kept as a plain
Spark conf entry (a user key, which scripts may read back through ``${hiveconf:key}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Resulting action for one SET statement.
MAP, DROP, KEEP, VARIABLE = "map", "drop", "keep", "variable"


@dataclass(frozen=True)
class SetTranslation:
    action: str
    sql: str | None  # Spark statement to emit, None when dropped
    note: str | None  # what a reviewer must know; None when the mapping is exact
    key: str
    value: str


_CODECS = {
    "snappy": "snappy", "gzip": "gzip", "zstandard": "zstd", "zstd": "zstd", "lz4": "lz4", "deflate": "gzip",
    "default": "gzip", "bzip2": None, "lzo": "lzo", "none": "none", "uncompressed": "none",
}


def _codec(value: str) -> str | None:
    # Hadoop codec class names (org.apache.hadoop.io.compress.SnappyCodec) or plain names.
    name = value.rsplit(".", 1)[-1].lower().removesuffix("codec")
    return _CODECS.get(name)


def _reducers(value: str) -> str | None:
    return None if value.strip() in ("-1", "") else value.strip()


def _size(value: str) -> str | None:
    return value.strip() if re.fullmatch(r"-?\d+", value.strip()) else None


def _broadcast_switch(value: str) -> str | None:
    # Spark broadcasts small tables by default; only "off" needs a setting.
    return "-1" if value.strip().lower() == "false" else None


def _same(value: str) -> str | None:
    return value.strip()


# hive key -> (spark key, value converter returning None when nothing needs setting, note or None)
_MAPPED: dict[str, tuple[str, Callable[[str], str | None], str | None]] = {
    "mapred.reduce.tasks": ("spark.sql.shuffle.partitions", _reducers,
                            "reducer count becomes the shuffle partition count (AQE may coalesce them)"),
    "mapreduce.job.reduces": ("spark.sql.shuffle.partitions", _reducers,
                              "reducer count becomes the shuffle partition count (AQE may coalesce them)"),
    "hive.exec.reducers.bytes.per.reducer": ("spark.sql.adaptive.advisoryPartitionSizeInBytes", _size, None),
    "mapred.output.compression.codec": ("spark.sql.parquet.compression.codec", _codec,
                                        "output codec now applies to Parquet files; Iceberg tables use the "
                                        "table property write.parquet.compression-codec"),
    "mapreduce.output.fileoutputformat.compress.codec": ("spark.sql.parquet.compression.codec", _codec,
                                                         "output codec now applies to Parquet files; Iceberg "
                                                         "tables use write.parquet.compression-codec"),
    "parquet.compression": ("spark.sql.parquet.compression.codec", _codec, None),
    "hive.exec.orc.default.compress": ("spark.sql.parquet.compression.codec", _codec,
                                       "ORC codec applied to Parquet output instead"),
    "orc.compress": ("spark.sql.parquet.compression.codec", _codec, "ORC codec applied to Parquet output instead"),
    "hive.auto.convert.join": ("spark.sql.autoBroadcastJoinThreshold", _broadcast_switch, None),
    "hive.auto.convert.join.noconditionaltask.size": ("spark.sql.autoBroadcastJoinThreshold", _size,
                                                      "map-join size limit becomes the broadcast threshold"),
    "hive.mapjoin.smalltable.filesize": ("spark.sql.autoBroadcastJoinThreshold", _size,
                                         "map-join size limit becomes the broadcast threshold"),
    "hive.optimize.skewjoin": ("spark.sql.adaptive.skewJoin.enabled", _same, None),
    "hive.cbo.enable": ("spark.sql.cbo.enabled", _same, None),
    "mapred.max.split.size": ("spark.sql.files.maxPartitionBytes", _size, None),
    "mapreduce.input.fileinputformat.split.maxsize": ("spark.sql.files.maxPartitionBytes", _size, None),
    "hive.exec.max.dynamic.partitions": ("", lambda v: None,
                                         "Spark has no limit on dynamic partitions for Parquet/Iceberg tables"),
}

# Keys with a specific reason to drop them.
_DROPPED: dict[str, str] = {
    "hive.exec.dynamic.partition": "Spark always allows dynamic partitions",
    "hive.exec.dynamic.partition.mode": "Spark needs no strict/nonstrict switch; the translator sets "
    "spark.sql.sources.partitionOverwriteMode=dynamic before dynamic-partition overwrites",
    "hive.exec.max.dynamic.partitions.pernode": "Spark has no per-node dynamic partition limit",
    "hive.exec.max.created.files": "Spark has no created-files limit",
    "hive.exec.parallel": "Spark schedules independent stages in parallel by itself",
    "hive.execution.engine": "the engine is Spark",
    "hive.exec.compress.output": "Parquet/Iceberg output is always compressed (spark.sql.parquet.compression.codec)",
    "hive.mapred.mode": "Spark has no strict mode (it never forbids cartesian products or unbounded ORDER BY)",
    "hive.enforce.bucketing": "bucketing of the target is decided by the table definition",
    "hive.enforce.sorting": "sorting of the target is decided by the table definition",
    "hive.default.fileformat": "the target format is decided by the translator (Iceberg or Parquet)",
    "hive.support.concurrency": "Iceberg commits are atomic without Hive locks",
    "hive.txn.manager": "Iceberg commits are atomic without Hive's transaction manager",
    "hive.groupby.skewindata": "no equivalent; AQE handles skewed shuffles (spark.sql.adaptive.*)",
    "hive.merge.mapfiles": "no small-file merge step; use AQE coalescing or a REPARTITION hint",
    "hive.merge.mapredfiles": "no small-file merge step; use AQE coalescing or a REPARTITION hint",
    "hive.merge.tezfiles": "no small-file merge step; use AQE coalescing or a REPARTITION hint",
    "mapred.job.queue.name": "queues are set in the Spark job spec (Kubernetes/YARN), not in SQL",
    "mapreduce.job.queuename": "queues are set in the Spark job spec (Kubernetes/YARN), not in SQL",
    "tez.queue.name": "queues are set in the Spark job spec (Kubernetes/YARN), not in SQL",
    "mapred.job.name": "the job name is set in the Spark job spec",
    "mapreduce.job.name": "the job name is set in the Spark job spec",
    "hive.query.name": "the job name is set in the Spark job spec",
    "hive.cli.print.header": "client display option",
    "hive.cli.print.current.db": "client display option",
    "hive.resultset.use.unique.column.names": "client display option",
    "hive.support.quoted.identifiers": "Spark always supports backquoted identifiers",
    "hive.variable.substitute": "variables are substituted by the translator",
}

# Families of engine tuning (memory, JVM options, Tez/LLAP/MapReduce internals): no Spark meaning.
_TUNING_PREFIXES = ("hive.", "mapred.", "mapreduce.", "tez.", "yarn.", "io.", "dfs.", "fs.", "hadoop.",
                    "orc.", "parquet.", "llap.", "datanucleus.", "javax.jdo.")

_SET_RE = re.compile(r"^\s*set\s+(?P<key>[^=\s]+)\s*=\s*(?P<value>.*?)\s*$", re.I | re.S)


def parse_set(text: str) -> tuple[str, str] | None:
    m = _SET_RE.match(text)
    return (m.group("key"), m.group("value")) if m else None


def _quote_value(value: str) -> str:
    # Spark's SET grammar takes the rest of the statement as the value; no quoting needed.
    return value


def translate_set(key: str, value: str) -> SetTranslation:
    lkey = key.lower()
    if lkey.startswith(("hivevar:", "define:")):
        return SetTranslation(VARIABLE, None, None, key, value)
    if lkey.startswith("hiveconf:"):
        return translate_set(key.split(":", 1)[1], value)
    if lkey.startswith("metaconf:"):
        return SetTranslation(DROP, None, f"SET {key} dropped: a Hive metastore setting for the session; the target "
                                          "catalog has its own configuration", key, value)
    if lkey.startswith(("system:", "env:")):
        return SetTranslation(DROP, None, f"{key}: process properties are set in the Spark job spec", key, value)
    if lkey.startswith("spark."):
        return SetTranslation(KEEP, f"SET {key}={_quote_value(value)}", None, key, value)
    if lkey in _MAPPED:
        spark_key, conv, note = _MAPPED[lkey]
        converted = conv(value) if spark_key else None
        if converted is None:
            why = note or "the Spark default already behaves this way"
            return SetTranslation(DROP, None, f"SET {key}={value} dropped: {why}", key, value)
        msg = f"SET {key}={value} -> SET {spark_key}={converted}" + (f" ({note})" if note else "")
        return SetTranslation(MAP, f"SET {spark_key}={converted}", msg if note else None, key, value)
    if lkey in _DROPPED:
        return SetTranslation(DROP, None, f"SET {key} dropped: {_DROPPED[lkey]}", key, value)
    if lkey.startswith(_TUNING_PREFIXES):
        return SetTranslation(DROP, None, f"SET {key} dropped: engine tuning with no Spark equivalent", key, value)
    return SetTranslation(KEEP, f"SET {key}={_quote_value(value)}",
                          f"SET {key} kept as a Spark conf entry (not a known Hive setting)", key, value)
