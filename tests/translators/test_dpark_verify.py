"""Proof by running both engines: every job of the corpus runs under the DPark reference runtime (Python 2.7,
subprocesses) and, translated, under local PySpark (the shared session); their outputs must be equal.

The reference runtime is installed by ``make setup`` (scripts/setup-dpark.sh). When it is missing these tests
fail with the reason: they never skip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from migrate.translators.dpark import translate_paths
from migrate.translators.dpark.output import write_translations
from migrate.translators.dpark.verify import Verdict, compare, dpark_python, is_job, verify_translations

from .dpark.make_input import make_input

CORPUS = Path(__file__).parent / "dpark" / "corpus"
JOBS = sorted(p.stem for p in CORPUS.glob("*.py") if is_job(p.read_text()))

pytestmark = [pytest.mark.dpark, pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def verdicts(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    dpark_python()  # raises with the reason (e.g. no Python 2.7) instead of skipping
    root = tmp_path_factory.mktemp("dpark-verify")
    inputs = make_input(root / "input")
    report, files = translate_paths([CORPUS])
    write_translations(files, [CORPUS], root / "out")
    assert report.to_dict()["summary"]["files_by_status"]["unsupported"] == 0
    return {Path(v.job).stem: v for v in verify_translations(files, [CORPUS], root / "out", inputs)}


def test_corpus_has_the_promised_jobs() -> None:
    assert len(JOBS) >= 12 and "wordcount" in JOBS and "by_key_output" in JOBS


@pytest.mark.parametrize("job", JOBS)
def test_dpark_and_spark_give_equal_outputs(verdicts: dict[str, Verdict], job: str) -> None:
    v = verdicts[job]
    assert v.verdict == "equal", f"{job}: {v.verdict}: {v.detail}"
    assert v.outputs >= 1


def test_comparison_sees_a_difference(tmp_path: Path) -> None:
    """The comparison can fail: a changed number, a missing line, a missing folder."""
    (tmp_path / "d" / "x").mkdir(parents=True)
    (tmp_path / "s" / "x").mkdir(parents=True)
    (tmp_path / "d" / "x" / "0000").write_text("a\t1.0000000001\nb\t2\n")
    (tmp_path / "s" / "x" / "part-00000").write_text("b\t2\na\t1.0\n")
    assert compare(tmp_path / "d", tmp_path / "s", "n 3L\n", "n 3\n")[0]
    (tmp_path / "s" / "x" / "part-00000").write_text("b\t2\na\t1.1\n")
    same, detail, _ = compare(tmp_path / "d", tmp_path / "s", "", "")
    assert not same and "x:" in detail
    (tmp_path / "d" / "y").mkdir()
    (tmp_path / "d" / "y" / "0000").write_text("z\n")
    assert "only DPark ['y']" in compare(tmp_path / "d", tmp_path / "s", "", "")[1]
