"""Against real Spark (one shared session): every translation parses with Spark's parser, and realistic ETL
scripts give equal tables when the original runs in Spark's Hive mode (non-ANSI, Hive serde tables, Hive
semantics for dynamic partitions) and the translation runs in plain Spark 4 (ANSI on, Parquet tables)."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from migrate.translators.hive import UNSUPPORTED, HiveTranslator, Options, Variables, split_statements
from migrate.translators.hive.spark_check import SparkParsers, check_report
from migrate.translators.hive.variables import substitute

from .test_hive_golden import GOLDEN, golden_options

pytestmark = pytest.mark.spark

ETL = Path(__file__).parent / "etl"
RUN_DATE = "2024-01-02"
LEGACY = "hdfs://nn:8020/warehouse"


@pytest.mark.parametrize("fmt", ["iceberg", "parquet"])
def test_every_output_parses_in_spark(spark: Any, fmt: str) -> None:
    opts = golden_options(fmt)
    opts.variables.define("run_date", RUN_DATE)
    report = HiveTranslator(opts).translate_paths([GOLDEN, ETL])
    check_report(report, SparkParsers(spark))
    rejected = [f"{s.where}: {s.spark_check}" for s in report.spark_failures()]
    assert rejected == []
    assert sum(1 for s in report.statements if s.spark_check == "ok") > 50


def test_hive_parser_tells_invalid_input_from_gaps(spark: Any) -> None:
    report = HiveTranslator(Options()).translate_paths([])
    script = "SELECT FROM WHERE;\nALTER TABLE t EXCHANGE PARTITION (dt='1') WITH TABLE u"
    report.files.append(HiveTranslator(Options()).translate_script(script))
    check_report(report, SparkParsers(spark))
    verdicts = [s.failures[-1].message for s in report.statements]
    assert verdicts[0].startswith("Hive's own parser rejects it too")
    assert verdicts[1].startswith("Hive's own parser accepts it")


# ------------------------------------------------------------------ equality runs

def _gen_data(spark: Any) -> None:
    rnd = random.Random(7)
    kinds = ["view", "click", "purchase"]
    tags = [["a", "b"], ["b"], [], None, ["c", "a", "d"]]
    events = []
    for i in range(1, 301):
        dt = f"2024-01-0{1 + i % 3}"
        amount = None if i % 17 == 0 else round(rnd.uniform(0, 100), 2)
        ts = f"{dt} {i % 24:02d}:{i % 60:02d}:00"
        events.append((i, None if i % 41 == 0 else i % 23, kinds[i % 3], amount, ts, tags[i % 5], dt))
    users = [(u, [None, "DE", "FR", "US"][u % 4], f"2023-{1 + u % 12:02d}-15",
              ["31", "unknown", "42x", "", "27"][u % 5]) for u in range(0, 23)]
    orders = [(o, o % 23, Decimal(f"{rnd.uniform(1, 500):.2f}"), o % 4, ["paid", "refunded", "cancelled"][o % 3],
               f"2024-01-0{1 + o % 3} 10:00:00", f"2024-01-0{1 + o % 3}") for o in range(1, 121)]
    spark.createDataFrame(events, "event_id bigint, user_id bigint, event_type string, amount double, "
                          "event_ts string, tags array<string>, dt string").createOrReplaceTempView("gen_events")
    spark.createDataFrame(users, "user_id bigint, country string, signup_date string, age_str string") \
        .createOrReplaceTempView("gen_users")
    spark.createDataFrame(orders, "order_id bigint, user_id bigint, amount decimal(12,2), items int, "
                          "status string, order_ts string, dt string").createOrReplaceTempView("gen_orders")


def _options(target: Path) -> Options:
    return Options(target_format="parquet", table_map={"ods": "t_ods", "dw": "t_dw"},
                   location_map=[(LEGACY, f"file://{target}")],
                   variables=Variables.from_assignments([f"run_date={RUN_DATE}"]))


def _run_original(spark: Any, script: str, legacy: Path) -> None:
    spark.conf.set("spark.sql.ansi.enabled", "false")  # closest to Hive: NULL on bad casts, x/0
    spark.sql("USE default")
    variables = Variables.from_assignments([f"run_date={RUN_DATE}"])
    for st in split_statements(script).statements:
        text = substitute(st.text, variables).text.replace(LEGACY, f"file://{legacy}")
        spark.sql(text)


def _run_translated(spark: Any, script: str, name: str, target: Path) -> None:
    spark.conf.set("spark.sql.ansi.enabled", "true")
    spark.conf.unset("spark.sql.sources.partitionOverwriteMode")
    spark.sql("USE default")
    fr = HiveTranslator(_options(target)).translate_script(script, name)
    bad = [f"{s.where}: {s.failures}" for s in fr.statements if s.status == UNSUPPORTED]
    assert bad == []
    for s in fr.statements:
        for out in s.outputs:
            spark.sql(out)


@pytest.fixture(scope="module")
def sources(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    legacy, target = tmp_path_factory.mktemp("legacy"), tmp_path_factory.mktemp("target")
    for db in ("ods", "dw", "t_ods", "t_dw"):
        spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
    for db in ("t_ods", "t_dw"):
        spark.sql(f"CREATE DATABASE {db}")
    _gen_data(spark)
    script = (ETL / "00_sources.hql").read_text()
    _run_original(spark, script, legacy)
    spark.sql("SET hive.exec.dynamic.partition.mode=nonstrict")
    for t in ("events", "users", "orders"):  # the legacy data, written by Hive's serde as text files
        spark.sql(f"INSERT OVERWRITE TABLE ods.{t} {'PARTITION (dt) ' if t != 'users' else ''}"
                  f"SELECT * FROM gen_{t}")
    _run_translated(spark, script, "00_sources.hql", target)
    for t in ("events", "users", "orders"):  # the migration copy: legacy rows into the target tables
        spark.sql(f"INSERT INTO t_ods.{t} SELECT * FROM ods.{t}")
    return legacy, target


def _norm(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    if isinstance(v, Decimal):
        return round(float(v), 6)
    if isinstance(v, list):
        return tuple(_norm(x) for x in v)
    return v


def _rows(spark: Any, table: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(_norm(v) for v in r) for r in spark.table(table).collect()), key=repr)


SCRIPTS = sorted(p.name for p in ETL.glob("*.hql") if not p.name.startswith("00_"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_translation_gives_equal_tables(spark: Any, sources: tuple[Path, Path], name: str) -> None:
    legacy, target = sources
    script = (ETL / name).read_text()
    before = {r.tableName for r in spark.sql("SHOW TABLES IN dw").collect()}
    _run_original(spark, script, legacy)
    _run_translated(spark, script, name, target)
    written = {r.tableName for r in spark.sql("SHOW TABLES IN dw").collect()} - before
    written |= {t for t in before if t in script}
    assert written, "the script wrote no table"
    for table in sorted(written):
        if table not in script:
            continue
        original, translated = _rows(spark, f"dw.{table}"), _rows(spark, f"t_dw.{table}")
        assert original, f"dw.{table} is empty: the test data does not exercise it"
        assert translated == original, f"{name}: dw.{table} differs"
