"""Issue 15, done when: nested data lands, roots below a store's top keep their folder, and rows lost to
quarantine never hide behind a green status.

A legacy estate of nested JSON lines, Avro, Parquet and ORC (``tests/nested_estate.py``) goes through
inventory -> plan init -> run as a user types it (the CLI, plans unedited except where a user must say where
S3 targets are), and through the engine; every dataset is read back and compared value by value, on local
and S3 (SeaweedFS) targets, as Parquet and as Iceberg. Roots sit below the top of local, WebHDFS and S3
stores. A dataset over its quarantine threshold fails with exit code 1 and a Failed Prefect flow run.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from migrate.cli import app
from migrate.plan import Plan, load_plan
from migrate.storage import open_storage
from tests import nested_estate
from tests.fixtures.s3 import KEY_ENV, SECRET_ENV

JSON_COLUMNS = ("attrs", "ext", "score")  # JSON text in the target: compared parsed
DATASETS = ("clickstream", "sessions", "profiles", "devices")


@pytest.fixture(autouse=True)
def _iceberg_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # The catalog helper process re-imports pyiceberg for each table (seconds each); in-process is the same
    # catalog work without that start-up, which keeps these tests inside their time budget.
    monkeypatch.setenv("MIGRATE_ICEBERG_HELPER", "none")


def cli(*args: str | Path, code: int = 0) -> str:
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == code, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.output


def inventory_and_plan(work: Path, root: str, *options: str, target_kind: str = "auto") -> Path:
    """`migrate inventory --root src=ROOT` then `migrate plan init` and `migrate plan check`, into ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    opts = [a for o in options for a in ("--option", f"src.{o}")]
    cli("inventory", "--root", f"src={root}", *opts, "-o", work / "inv.json", "-q")
    cli("plan", "init", "--from-inventory", work / "inv.json", "-o", work / "plan.yaml", "--target-kind", target_kind)
    cli("plan", "check", work / "plan.yaml")
    return work / "plan.yaml"


def run(plan: Path, code: int = 0) -> str:
    return cli("run", plan, "--no-prefect", code=code)


def _read_parquet(store: Any, uri: str) -> pa.Table:
    from migrate.engine import parquet_file

    tables = [parquet_file(store, f.uri).read() for f in store.walk(uri) if f.name.endswith(".parquet")]
    assert tables, f"no Parquet files under {uri}"
    return pa.concat_tables(tables)


def target_tables(plan: Plan) -> dict[str, pa.Table]:
    """Every dataset as it is in the target: our Parquet part files, or the Iceberg table's data files
    (read with pyarrow: pyiceberg's scan turns a null list<struct> into [], apache/iceberg-python#3833)."""
    out = {}
    for ds in plan.datasets:
        if ds.target.kind == "iceberg":
            from migrate import iceberg

            table = iceberg.load_catalog(plan).load_table(ds.target.table)
            files = [t.file.file_path for t in table.scan().plan_files()]
            schema = table.schema().as_arrow()
            parts = []
            for path in files:
                with table.io.new_input(path).open() as f:
                    parts.append(pq.read_table(pa.BufferReader(f.read())).select(schema.names))
            out[ds.name] = pa.concat_tables(parts)
        else:
            uri, opts = plan.location(ds.target.store, ds.target.path or "")
            out[ds.name] = _read_parquet(open_storage(uri, **opts), uri)
    return out


def assert_landed_equal(plan: Plan, output: str) -> None:
    """Every row of every dataset landed, values equal to the source's, and the summary says so."""
    got = target_tables(plan)
    assert sorted(got) == sorted(DATASETS)
    for name, table in got.items():
        want = sorted(nested_estate.expected(name), key=lambda r: next(iter(r.values())))
        assert nested_estate.comparable(table, JSON_COLUMNS) == want, name
    if output:  # the summary: a plain "ok" for each dataset (nothing quarantined), no error, no note
        assert len(re.findall(r"│ ok\s+│", output)) == len(DATASETS), output
        assert "error:" not in output and "note:" not in output and "DIFFER" not in output


def test_local_root_cli_parquet_then_iceberg(tmp_path: Path) -> None:
    root = tmp_path / "mfs" / "legacy"
    nested_estate.write(root)
    plan_path = inventory_and_plan(tmp_path / "parquet", f"file://{root}")
    text = plan_path.read_text()
    # What the inventory inferred, and why where it kept JSON text or a map.
    assert "{name: meta, type: 'struct<k:bigint,ref:string,ab:struct<bucket:bigint,on:boolean>>'" in text
    assert "type: 'array<struct<sku:string,qty:bigint,price:double>>'" in text
    assert "{name: daily, type: 'map<string,bigint>'" in text and "{name: attrs, type: json}" in text
    assert "# dataset clickstream, column attrs: JSON text, shapes vary" in text
    assert_landed_equal(load_plan(plan_path), run(plan_path))
    ice = inventory_and_plan(tmp_path / "iceberg", f"file://{root}", target_kind="iceberg")
    assert_landed_equal(load_plan(ice), run(ice))


@pytest.mark.webhdfs
def test_webhdfs_root_below_the_top(tmp_path: Path, webhdfs_server: Any) -> None:
    """`--root hdfs=webhdfs://HOST:PORT/<folder>`: the unedited plan points at <folder>/clicks, not /clicks."""
    folder = f"mfs-{uuid.uuid4().hex[:8]}"
    nested_estate.write(webhdfs_server.local_dir / folder / "legacy")
    plan_path = inventory_and_plan(tmp_path, f"{webhdfs_server.root_uri}{folder}/legacy", "user=tester")
    plan = load_plan(plan_path)
    assert plan.datasets[0].source.path.startswith(f"{folder}/legacy/")
    assert_landed_equal(plan, run(plan_path))


def _upload(s3: Any, bucket: str, prefix: str, root: Path) -> None:
    client = s3.client()
    for f in root.rglob("*"):
        if f.is_file():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{f.relative_to(root).as_posix()}", Body=f.read_bytes())


def _s3_opts(s3: Any) -> list[str]:
    return [f"endpoint_url={s3.endpoint}", "region=us-east-1", f"access_key_id_env={KEY_ENV}",
            f"secret_access_key_env={SECRET_ENV}"]


def _to_s3_target(plan_path: Path, s3: Any, bucket: str) -> None:
    """What a user edits after plan init to land on S3: the target store and, for Iceberg, the warehouse."""
    doc = yaml.safe_load(plan_path.read_text())
    creds = {"access_key_id_env": KEY_ENV, "secret_access_key_env": SECRET_ENV}
    doc["targets"] = {"lake": {"kind": "s3", "endpoint": s3.endpoint, "bucket": bucket, "prefix": "lake",
                               "region": "us-east-1", "credentials": creds}}
    doc["catalog"] = {"kind": "sqlite", "warehouse": f"s3://{bucket}/warehouse", "s3_store": "lake"}
    plan_path.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.mark.s3
def test_s3_root_below_the_top_then_s3_iceberg_target(tmp_path: Path, seaweedfs: Any) -> None:
    src = tmp_path / "estate"
    nested_estate.write(src)
    bucket = seaweedfs.root_uri("legacy").removeprefix("s3://")
    _upload(seaweedfs, bucket, "warehouse/raw", src)
    root = f"s3://{bucket}/warehouse/raw"
    plan_path = inventory_and_plan(tmp_path / "local", root, *_s3_opts(seaweedfs))
    assert_landed_equal(load_plan(plan_path), run(plan_path))  # unedited: S3 root -> local Parquet
    ice = inventory_and_plan(tmp_path / "s3", root, *_s3_opts(seaweedfs), target_kind="iceberg")
    _to_s3_target(ice, seaweedfs, seaweedfs.root_uri("lake").removeprefix("s3://"))
    plan = load_plan(ice)
    assert_landed_equal(plan, run(ice))
    from migrate import iceberg

    catalog = iceberg.load_catalog(plan)
    assert all(catalog.load_table(d.target.table).location().startswith("s3://") for d in plan.datasets)


@pytest.mark.s3
def test_engine_to_s3_parquet(tmp_path: Path, seaweedfs: Any) -> None:
    """The library path: inventory and plan built in Python, each dataset through ``engine.run_dataset``."""
    from migrate.engine import run_dataset
    from migrate.plan import load_plan_text

    root = tmp_path / "legacy"
    nested_estate.write(root)
    doc, _ = plan_from_inventory_of(root)
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(doc))
    _to_s3_target(tmp_path / "plan.yaml", seaweedfs, seaweedfs.root_uri("lake").removeprefix("s3://"))
    plan = load_plan_text((tmp_path / "plan.yaml").read_text(), base_dir=tmp_path)
    for ds in plan.datasets:
        report = run_dataset(plan, ds)
        assert report.ok and report.rows_quarantined == 0 and report.target.startswith("s3://"), report
    assert_landed_equal(plan, "")


# --- the quarantine threshold ----------------------------------------------------------------------------


def _threshold_estate(base: Path) -> Path:
    """The issue's event log, 600 rows a dataset: in ``mostly_bad`` 30 rows carry ``meta`` as a string where
    the plan declares an object (5%, over the default 1%); in ``few_bad`` 3 rows do (0.5%)."""
    for name, bad_every in (("mostly_bad", 20), ("few_bad", 200)):
        lines = [json.dumps({"id": i, "kind": "view", "ts": "2026-01-01T00:00:00",
                             "meta": "n/a" if i % bad_every == 7 else {"k": i}}) for i in range(600)]
        (base / "legacy" / name).mkdir(parents=True)
        (base / "legacy" / name / "part-0.json.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    datasets = "".join(f"""
  - name: {name}
    source: {{store: legacy, path: {name}}}
    format: {{kind: jsonl}}
    schema:
      - {{name: id, type: bigint}}
      - {{name: kind, type: string}}
      - {{name: ts, type: timestamp}}
      - {{name: meta, type: "struct<k:bigint>"}}
    target: {{kind: parquet, store: out, path: {name}}}
""" for name in ("mostly_bad", "few_bad"))
    plan = base / "plan.yaml"
    plan.write_text(f"""version: 1
name: threshold
settings: {{state_dir: state}}
sources:
  legacy: {{kind: local, path: legacy}}
targets:
  out: {{kind: local, path: out}}
datasets:{datasets}""")
    return plan


def test_over_the_quarantine_threshold_fails_with_exit_code_1(tmp_path: Path) -> None:
    plan = _threshold_estate(tmp_path)
    out = " ".join(run(plan, code=1).split())
    assert "FAILED: 30 quarantined" in out and "ok, 3 quarantined" in out
    assert "30 of 600 rows quarantined (5.0%), over max_quarantine 1%" in out
    assert "column meta: expected struct<k:bigint>, found string" in out  # the reason, not "invalid JSON"
    assert "invalid JSON" not in out
    rec = json.loads((tmp_path / "state" / "quarantine" / "mostly_bad").glob("*.jsonl").__next__().open().readline())
    assert rec["line"] == 8 and rec["column"] == "meta"
    # Raising the dataset's limit is a decision in the plan; then the run passes and still shows the loss.
    target = "target: {kind: parquet, store: out, path: mostly_bad}\n"
    plan.write_text(plan.read_text().replace(target, target + "    max_quarantine: 5%\n"))
    out = run(plan)
    assert out.count("ok, 30 quarantined") == 1 and "ok, 3 quarantined" in out


@pytest.mark.prefect
def test_over_the_quarantine_threshold_fails_the_prefect_flow(tmp_path: Path, prefect_server: None) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    from migrate.flows.run import run_plan_flow

    result = run_plan_flow(str(_threshold_estate(tmp_path)))
    assert not result["ok"]
    by_name = {d["dataset"]: d for d in result["datasets"]}
    assert by_name["mostly_bad"]["quarantine_over"] and not by_name["mostly_bad"]["ok"]
    assert by_name["few_bad"]["ok"] and by_name["few_bad"]["status"] == "ok, 3 quarantined"
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
    assert runs[0].state is not None and runs[0].state.is_failed()
    assert "mostly_bad" in (runs[0].state.message or "") and "few_bad" not in (runs[0].state.message or "")


def test_engine_splits_json_lines_into_ranges(tmp_path: Path) -> None:
    """A big uncompressed JSON lines file is converted in byte ranges (parts in parallel), every row once."""
    from migrate.engine import EngineOptions, run_dataset
    from migrate.plan import load_plan_text

    src = tmp_path / "legacy" / "events"
    src.mkdir(parents=True)
    events = nested_estate._events(3, 0) * 5
    (src / "events.json").write_text("".join(json.dumps(dict(e, id=i)) + "\n" for i, e in enumerate(events)))
    doc, _ = plan_from_inventory_of(tmp_path / "legacy")
    plan = load_plan_text(yaml.safe_dump(doc), base_dir=tmp_path)
    rep = run_dataset(plan, "events", options=EngineOptions(split_bytes=64 << 10, use_processes=False))
    assert rep.ok and rep.rows_written == len(events) and rep.rows_quarantined == 0
    uri, opts = plan.location("lake", plan.dataset("events").target.path or "")
    parts = [f for f in open_storage(uri, **opts).walk(uri) if f.name.endswith(".parquet")]
    assert len(parts) > 1
    got = sorted(_read_parquet(open_storage(uri, **opts), uri).column("id").to_pylist())
    assert got == list(range(len(events)))


def plan_from_inventory_of(root: Path) -> tuple[dict[str, Any], list[str]]:
    from migrate.inventory import RootSpec, build_inventory
    from migrate.inventory.plan_init import plan_from_inventory

    return plan_from_inventory(build_inventory([RootSpec("src", f"file://{root}")]), root.parent / "plan.yaml")
