"""The ``migrate translate hive`` command: files out, reports, --strict."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

ETL = Path(__file__).parent / "etl"


def test_cli_translates_folder_and_writes_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["translate", "hive", str(ETL), "-o", str(out), "--var", "run_date=2024-01-02",
                                   "--catalog", "lake", "--location-map",
                                   "hdfs://nn:8020/warehouse=s3://lake/warehouse", "--strict"])
    assert res.exit_code == 0, res.output
    assert (out / "02_join_aggregate.spark.sql").exists()
    data = json.loads((out / "translation-report.json").read_text())
    assert data["summary"]["unsupported"] == 0
    assert data["summary"]["files"] == len(list(ETL.glob("*.hql")))
    assert (out / "translation-report.html").read_text().startswith("<!doctype html>")


def test_cli_strict_fails_on_unsupported(tmp_path: Path) -> None:
    script = tmp_path / "job.hql"
    script.write_text("SELECT 1;\ndfs -ls /;\n")
    res = CliRunner().invoke(app, ["translate", "hive", str(script), "-o", str(tmp_path / "o"), "--strict"])
    assert res.exit_code == 1
    assert "job.hql:2" in res.output
