"""Hand-written HiveQL covering Hive features broadly (tests/translators/unseen/*.hql), beyond the TPC and
ETL corpora: every statement is valid Hive 2.3 (checked with Hive's own parser), gets the class recorded in
EXPECTED_UNSUPPORTED (unsupported ones with a reason), and every translated statement parses in Spark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from migrate.translators.hive import UNSUPPORTED, HiveTranslator, Options, StatementResult, Variables
from migrate.translators.hive.spark_check import SparkParsers

UNSEEN = Path(__file__).parent / "unseen"
VARS = ["target_db=dw", "suffix=20240315", "old_dt=2024-03-08", "hiveconf:end_dt=2024-02-01"]

# file:line -> the rule whose reason makes the statement unsupported (everything else must translate).
EXPECTED_UNSUPPORTED = {
    "07_joins_subqueries.hql:30": "tablesample", "08_dml.hql:1": "locations", "08_dml.hql:2": "locations",
    "08_dml.hql:4": "locations", "08_dml.hql:17": "locations", "08_dml.hql:21": "row_level",
    "08_dml.hql:24": "load_data", "08_dml.hql:25": "export_import", "08_dml.hql:26": "export_import",
    "09_ddl.hql:7": "ddl", "09_ddl.hql:8": "ddl", "09_ddl.hql:15": "ddl", "09_ddl.hql:36": "alter",
    "09_ddl.hql:39": "alter", "09_ddl.hql:67": "ddl", "10_commands.hql:55": "shell", "10_commands.hql:56": "shell",
    "10_commands.hql:57": "shell", "10_commands.hql:58": "shell", "10_commands.hql:59": "source",
    "10_commands.hql:92": "privileges", "11_etl_realistic.hql:53": "locations",
    "13_hive_semantics.hql:15": "privileges",
}


def _statements() -> list[StatementResult]:
    out = []
    for f in sorted(UNSEEN.glob("*.hql")):
        opts = Options(target_format="iceberg", catalog="lake", variables=Variables.from_assignments(VARS))
        out.extend(HiveTranslator(opts).translate_script(f.read_text(), f.name).statements)
    return out


STATEMENTS = _statements()
IDS = [s.where for s in STATEMENTS]


def test_corpus_is_wide() -> None:
    assert len(STATEMENTS) > 400
    assert set(EXPECTED_UNSUPPORTED) <= set(IDS)


@pytest.mark.parametrize("st", STATEMENTS, ids=IDS)
def test_class(st: StatementResult) -> None:
    if st.where in EXPECTED_UNSUPPORTED:
        assert st.status == UNSUPPORTED
        assert st.failures[0].rule == EXPECTED_UNSUPPORTED[st.where] and st.failures[0].message
    else:
        assert st.status != UNSUPPORTED, st.failures
        assert not any("MIGRATE_HIVE_" in o for o in st.outputs)


@pytest.fixture(scope="module")
def parsers(spark: Any) -> SparkParsers:
    return SparkParsers(spark)


@pytest.mark.spark
@pytest.mark.parametrize("st", STATEMENTS, ids=IDS)
def test_input_is_hive_and_output_is_spark(parsers: SparkParsers, st: StatementResult) -> None:
    if st.kind not in ("set", "add_resource", "shell", "source") and "${" not in st.source:
        assert parsers.hive_error(st.source) is None  # our corpus holds valid Hive only
    for out in st.outputs:
        assert parsers.spark_error(out) is None, out
