"""Scale-out on Dask: the same migration run by threads here and by a local Dask cluster of 2 worker processes
gives identical targets and ledgers (the engine stays the single writer; workers only return outcomes)."""

from __future__ import annotations

import hashlib
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from migrate import scaleout
from migrate.engine import EngineOptions, run_dataset
from migrate.errors import ConfigError
from migrate.plan import load_plan
from tests.engine.helpers import SCHEMA_YAML, make_dataset


def _plan(base: Path, legacy: Path, name: str) -> Path:
    plan = base / f"{name}.yaml"
    plan.write_text(textwrap.dedent(f"""\
        version: 1
        name: {name}
        settings: {{state_dir: state-{name}, concurrency: 4}}
        sources: {{legacy: {{kind: local, path: {legacy}}}}}
        targets: {{out: {{kind: local, path: out-{name}}}}}
        datasets:
          - name: events
            source: {{store: legacy, path: events}}
            format: {{kind: csv, header: true}}
            schema: {SCHEMA_YAML}
            partition_columns: [dt]
            target: {{kind: parquet, store: out, path: events}}
          - name: logs
            source: {{store: legacy, path: logs}}
            format: {{kind: csv, header: true}}
            schema: {SCHEMA_YAML}
            target: {{kind: iceberg, store: out, table: raw.logs}}
          - name: blobs
            source: {{store: legacy, path: events}}
            format: {{kind: csv}}
            target: {{kind: copy, store: out, path: blobs}}
        """))
    return plan


def _files(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every data file under ``root`` (Iceberg metadata has run ids and times:
    its data files are compared; its rows by scan below)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "/metadata/" not in str(p)}


def _ledger(state: Path, out: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(state / "ledger.db") as db:
        rows = db.execute("SELECT dataset, source_uri, size, mtime, source_checksum, version, state, target_uris,"
                          " target_checksums, rows_in, rows_written, rows_quarantined, bytes_out, error"
                          " FROM files ORDER BY dataset, source_uri").fetchall()
    def norm(v: Any) -> Any:  # the two runs' target roots differ by design; everything else must not
        return v.replace(f"file://{out}", "<out>").replace(f"file://{state}", "<state>") if isinstance(v, str) else v

    return [tuple(norm(v) for v in r) for r in rows]


@pytest.mark.slow
def test_threads_and_a_dask_cluster_give_identical_targets_and_ledgers(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    make_dataset(legacy / "events", 6, 3000, partitions=["2024-01-01", "2024-01-02"])
    make_dataset(legacy / "logs", 4, 2500)
    # Small split size: big files are cut into byte ranges, so parts of one file run on different workers.
    split = 64 << 10
    try:
        for name, runner in (("threads", "threads"), ("dask", "dask:2")):
            plan = load_plan(_plan(tmp_path, legacy, name))
            for ds in plan.datasets:
                report = run_dataset(plan, ds, options=EngineOptions(runner=runner, split_bytes=split,
                                                                     catalog_helper="none"))
                assert report.ok and report.files_failed == 0, report.errors
                assert report.files_processed == report.files_total > 0
        client = scaleout._client(scaleout.parse("dask:2"))
        assert len(client.scheduler_info()["workers"]) == 2  # the parts really went to 2 worker processes
    finally:
        scaleout.close_all()

    a, b = tmp_path / "out-threads", tmp_path / "out-dask"
    assert _files(a) == _files(b) and len(_files(a)) > 10
    assert any("-00001.parquet" in f for f in _files(a)), "some file was split into several parts"
    assert _ledger(tmp_path / "state-threads", a) == _ledger(tmp_path / "state-dask", b)

    # Iceberg: the same data files (the warehouse is in each state dir) and the same rows.
    assert _files(tmp_path / "state-threads" / "warehouse") == _files(tmp_path / "state-dask" / "warehouse")

    def scan(name: str) -> list[dict[str, Any]]:
        from migrate.iceberg import load_catalog

        table = load_catalog(load_plan(tmp_path / f"{name}.yaml")).load_table("raw.logs")
        return sorted(table.scan().to_arrow().to_pylist(), key=lambda r: r["id"])

    rows = scan("threads")
    assert len(rows) == 4 * 2500 and rows == scan("dask")
    assert sum(pq.read_table(f).num_rows for f in (b / "events").rglob("*.parquet")) == 6 * 3000


def test_runner_specs(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrate.cli import app

    res = CliRunner().invoke(app, ["run", str(_plan(tmp_path, tmp_path, "x")), "--runner", "spark", "--no-prefect"])
    assert res.exit_code == 1 and "--runner 'spark'" in res.output and "dask://HOST:PORT" in res.output
    assert scaleout.parse("threads") == scaleout.Runner("threads")
    assert scaleout.parse("dask:3") == scaleout.Runner("dask", workers=3)
    assert scaleout.parse("dask://sched.data.svc:8786") == scaleout.Runner("dask", address="tcp://sched.data.svc:8786")
    assert scaleout.parse("tls://10.0.0.5:8786").address == "tls://10.0.0.5:8786"
    for bad in ("dask:0", "spark", "dask://"):
        with pytest.raises(ConfigError, match="--runner"):
            scaleout.parse(bad)
