"""The equality corpus (tests/translators/equality/*.hql, over 300 statements): every statement runs in Spark's
Hive mode (Hive's stand-in: ANSI off, Hive's implicit casts, SimpleDateFormat dates) and translated in plain
Spark 4 (ANSI on, Parquet tables), over the same generated tables; query rows and written tables are compared.

What may differ is bounded: a difference or a failure after translation must be one the translation report
flags with its reason (a note or a refusal), and the translation must not fail where Hive mode ran."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from migrate.translators.hive.equality import (
    DIFFERENT,
    EQUAL,
    FAILED_TRANSLATION,
    HIVE_TEST_TABLES,
    EqualityReport,
    EqualityRun,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]

CORPUS = Path(__file__).parent / "equality"


@pytest.fixture(scope="module")
def equality(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> EqualityReport:
    run = EqualityRun(spark, tmp_path_factory.mktemp("equality"),
                      HIVE_TEST_TABLES + "\n" + (CORPUS / "tables.sql").read_text(), rows=30)
    report = EqualityReport()
    start = time.perf_counter()
    for script in sorted(CORPUS.glob("*.hql")):
        report.outcomes += run.run_script(script.read_text(), script.name).outcomes
    counts = report.counts()
    print(f"\nequality corpus: {counts} in {time.perf_counter() - start:.0f} s")
    return report


def test_the_corpus_is_large_and_mostly_equal(equality: EqualityReport) -> None:
    counts = equality.counts()
    assert counts["compared"] >= 300
    assert counts[EQUAL] >= 0.9 * counts["compared"], counts
    assert counts["original_stand_in"] >= 3  # PTFs ran in Hive mode through their HiveQL equivalent


def test_every_difference_is_flagged_with_its_reason(equality: EqualityReport) -> None:
    unflagged = [f"{o.where} {o.status}: {o.reason}" for o in equality.unflagged()]
    assert unflagged == []


def test_the_translation_never_fails_where_hive_mode_ran(equality: EqualityReport) -> None:
    failed = [f"{o.where}: {o.reason}" for o in equality.outcomes if o.status == FAILED_TRANSLATION]
    assert failed == []


def test_differences_are_the_known_ones(equality: EqualityReport) -> None:
    """Differences that remain are Hive semantics the translation keeps on purpose (population variance, ...)
    or engine choices the report names: none is silent (see above), and there are few."""
    different = [o for o in equality.outcomes if o.status == DIFFERENT]
    assert len(different) <= 0.05 * len(equality.outcomes), [f"{o.where}: {o.reason}" for o in different]
