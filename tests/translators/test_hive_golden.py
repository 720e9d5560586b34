"""Golden pairs: tests/translators/golden/NAME.hql in, NAME.spark.sql (the rendered translation with its
notes) out. Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from migrate.translators.hive import HiveTranslator, Options, Variables, render_script

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.hql"))


def golden_options(target_format: str = "iceberg") -> Options:
    return Options(
        target_format=target_format,
        catalog="lake",
        table_map={"ods.clicks": "lake.web.clicks"},
        location_map=[("hdfs://nn:8020/warehouse", "s3://lake/warehouse"),
                      ("hdfs://nn:8020/libs", "s3://lake/libs"), ("hdfs://nn:8020/exports", "s3://lake/exports")],
        variables=Variables.from_assignments(["env:USER=etl"]),
    )


@pytest.mark.parametrize("fmt", ["iceberg", "parquet"])
@pytest.mark.parametrize("name", CASES)
def test_golden(name: str, fmt: str) -> None:
    src = GOLDEN / f"{name}.hql"
    fr = HiveTranslator(golden_options(fmt)).translate_script(src.read_text(), f"{name}.hql")
    got = render_script(fr)
    expected_path = GOLDEN / f"{name}.{fmt}.spark.sql"
    if os.environ.get("UPDATE_GOLDEN") or not expected_path.exists():
        expected_path.write_text(got)
    assert got == expected_path.read_text()


def test_every_construct_of_the_issue_has_a_golden_case() -> None:
    constructs: set[str] = set()
    for name in CASES:
        fr = HiveTranslator(golden_options()).translate_script((GOLDEN / f"{name}.hql").read_text(), name)
        constructs |= {c for s in fr.statements for c in s.constructs}
        constructs |= {s.kind for s in fr.statements}
    wanted = {"set", "variables", "add_jar", "add_file", "temporary_function", "use", "msck_repair", "load_data",
              "analyze", "multi_insert", "static_partition", "dynamic_partition", "transform", "distribute_by",
              "sort_by", "cluster_by", "lateral_view", "lateral_view_outer", "udf", "date_format",
              "create_external_table", "create_table", "ctas", "partitioned_table", "window_function",
              "insert_directory", "temporary_table", "create_view", "interval"}
    assert wanted <= constructs, sorted(wanted - constructs)
