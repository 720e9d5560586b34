"""Check translations with the real grammars: Spark's SQL parser for every output statement, and Hive's own
parser (hive-exec, shipped in pyspark's jars) for input that sqlglot could not read, so a report can tell
invalid HiveQL from gaps in the translator. Needs the ``spark`` extra (pyspark); imported lazily.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from typing import Any

from .context import Note
from .report import TranslationReport


def _message(e: Exception) -> str:
    java = getattr(e, "java_exception", None)
    msg = java.getMessage() if java is not None else str(e)
    msg = re.sub(r"\s+", " ", str(msg)).strip()
    return msg[:400]


def local_spark_session(app_name: str = "migrate-translate-check", hive: bool = False) -> Any:
    """A small local session bound to loopback, UI off, metastore and warehouse in a temp dir."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:  # pragma: no cover - depends on the optional extra
        from migrate.errors import ConfigError

        raise ConfigError("--check-spark needs pyspark: pip install 'migrate[spark]'") from e
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    work = tempfile.mkdtemp(prefix="migrate-spark-")
    builder = (
        SparkSession.builder.master("local[2]").appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.warehouse.dir", os.path.join(work, "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work}")
        .config("javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={work}/metastore_db;create=true")
    )
    if hive:
        builder = builder.enableHiveSupport()
    spark = builder.getOrCreate()
    # Parse errors are expected and reported by the caller; Spark would also log each one as an ERROR (the JVM
    # log and pyspark's SQLQueryContextLogger, which prints the whole Java stack trace).
    spark.sparkContext.setLogLevel("OFF")
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return spark


class SparkParsers:
    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self._parser = spark._jsparkSession.sessionState().sqlParser()
        self._hive: Any = None

    def spark_error(self, sql: str) -> str | None:
        """None when Spark's parser accepts ``sql``, else its message."""
        try:
            self._parser.parsePlan(sql)
            return None
        except Exception as e:
            return _message(e)

    def hive_error(self, sql: str) -> str | None:
        """None when Hive 2.3's parser accepts ``sql``, else its message."""
        if self._hive is None:
            self._hive = self.spark._jvm.org.apache.hadoop.hive.ql.parse.ParseDriver()
        try:
            self._hive.parse(sql)
            return None
        except Exception as e:
            return _message(e)


def check_report(report: TranslationReport, parsers: SparkParsers, check_input: bool = True) -> None:
    """Run every output through Spark's parser; a rejection is a translator bug and makes it unsupported."""
    report.spark_checked = True
    for s in report.statements:
        if s.outputs:
            errors = [e for e in (parsers.spark_error(o) for o in s.outputs) if e]
            s.spark_check = errors[0] if errors else "ok"
            if errors:
                s.failures.append(Note("spark_parser", f"translator bug: Spark's parser rejects the output: "
                                                       f"{errors[0]}"))
        elif check_input and any(f.rule == "parser" for f in s.failures):
            err = parsers.hive_error(s.source)
            verdict = f"Hive's own parser rejects it too: {err}" if err else \
                "Hive's own parser accepts it: a translator gap"
            s.failures.append(Note("hive_parser", verdict))
