"""No secret in anything a run writes; wrong credentials name the endpoint, never the secret.

A whole migration runs as a Prefect flow (``migrate --debug run PLAN --report``) with known secret values: S3
keys of two SeaweedFS identities and the Iceberg REST catalog credential, referenced in the plan by
environment variable names and by Prefect Secret blocks. Its datasets go through every path that handles
credentials: Parquet and a byte copy to S3, an Iceberg table through the REST catalog, a dataset written with
a read-only identity (refused: an auth error), a corrupt file and a quarantined row (error and quarantine
text). Then every secret is searched in: the console output (stdout, stderr, log records at DEBUG), the
report, the plan, every file of the state folder (ledger, quarantine, locks), every object the run wrote to S3
(Iceberg metadata included), and Prefect's records of the run (flow and task runs with their states and
parameters, logs, artifacts) and its database file. None may appear.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migrate.cli import app

pytestmark = [pytest.mark.s3, pytest.mark.prefect]

CRED_ENV = "MIGRATE_TEST_SCAN_ICEBERG_CREDENTIAL"


def _plan(base: Path, s3: Any, bucket: str, rest: bool, blocks: tuple[str, str]) -> Path:
    o, ro = s3.options, s3.read_only_options
    catalog = (f'catalog: {{kind: rest, uri: "{s3.server.iceberg_rest_url}", warehouse: "s3://warehouse", '
               f"credential_env: {CRED_ENV}, s3_store: wh}}") if rest else ""
    iceberg = (f"  - {{name: events, source: {{store: src, path: events}}, format: {{kind: csv}}, "
               f"target: {{kind: iceberg, store: wh, table: scan_{uuid.uuid4().hex[:8]}.events}}}}") if rest else ""
    text = f"""
version: 1
name: secrets-scan
settings: {{state_dir: state, concurrency: 2}}
sources:
  src: {{kind: local, path: src}}
targets:
  lake: {{kind: s3, endpoint: "{o['endpoint_url']}", bucket: {bucket}, prefix: lake, region: us-east-1,
          credentials: {{access_key_id_block: {blocks[0]}, secret_access_key_block: {blocks[1]}}}}}
  wh: {{kind: s3, endpoint: "{o['endpoint_url']}", bucket: warehouse, region: us-east-1,
        credentials: {{access_key_id_env: {o['access_key_id_env']},
                       secret_access_key_env: {o['secret_access_key_env']}}}}}
  readonly: {{kind: s3, endpoint: "{ro['endpoint_url']}", bucket: {bucket}, prefix: denied, region: us-east-1,
              credentials: {{access_key_id_env: {ro['access_key_id_env']},
                             secret_access_key_env: {ro['secret_access_key_env']}}}}}
{catalog}
datasets:
  - {{name: users, source: {{store: src, path: users}}, format: {{kind: csv}},
     target: {{kind: parquet, store: lake, path: users}}}}
  - {{name: raw, source: {{store: src, path: users}}, format: {{kind: csv}},
     target: {{kind: copy, store: lake, path: raw}}}}
  - {{name: denied, source: {{store: src, path: users}}, format: {{kind: csv}},
     target: {{kind: parquet, store: readonly, path: x}}}}
{iceberg}
"""
    path = base / "plan.yaml"
    path.write_text(text)
    return path


def _sources(base: Path) -> None:
    users = base / "src" / "users"
    users.mkdir(parents=True)
    (users / "a.csv").write_text("id,name\n" + "".join(f"{i},user{i}\n" for i in range(50)) + "50,too,many\n")
    whole = gzip.compress(b"id,name\n" + "".join(f"{i},n{i}\n" for i in range(100, 2000)).encode())
    (users / "b.csv.gz").write_bytes(whole[: len(whole) // 2])  # truncated: an error text
    events = base / "src" / "events"
    events.mkdir(parents=True)
    (events / "e.csv").write_text("id,kind\n" + "".join(f"{i},k{i % 3}\n" for i in range(30)))


def _prefect_records(since: float) -> list[str]:
    """Everything Prefect's API holds about runs since ``since``: runs, states, parameters, logs, artifacts."""
    import datetime as dt

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterStartTime,
        LogFilter,
        LogFilterTimestamp,
    )

    after = dt.datetime.fromtimestamp(since - 5, tz=dt.UTC)
    out: list[str] = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=after)))
        assert runs, "the run must be recorded by Prefect"
        for run in runs:
            out.append(run.model_dump_json())
            out += [s.model_dump_json() for s in client.read_flow_run_states(run.id)]
        out += [t.model_dump_json() for t in client.read_task_runs()]
        out += [log.model_dump_json() for log in client.read_logs(
            log_filter=LogFilter(timestamp=LogFilterTimestamp(after_=after)))]
        out += [a.model_dump_json() for a in client.read_artifacts()]
        out += [v.model_dump_json() for v in client.read_variables()]
    return out


def _prefect_database() -> bytes:
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    url = str(PREFECT_API_DATABASE_CONNECTION_URL.value() or "")
    path = Path(url.split(":///", 1)[1]) if ":///" in url else None
    if path is None or not path.is_file():
        return b""
    data = path.read_bytes()
    for extra in (path.with_name(path.name + "-wal"),):
        if extra.is_file():
            data += extra.read_bytes()
    return data


def _bucket_bytes(client: Any, bucket: str) -> list[tuple[str, bytes]]:
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            out.append((obj["Key"], client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()))
    return out


def test_no_secret_in_anything_a_run_writes(tmp_path: Path, seaweedfs: Any, prefect_server: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    server = seaweedfs.server
    rest = bool(server.iceberg_port and server.table_bucket)
    monkeypatch.setenv(CRED_ENV, f"{server.access_key}:{server.secret_key}")
    secrets = {"admin secret key": server.secret_key, "read-only secret key": server.ro_secret_key}
    bucket = seaweedfs.root_uri("scan").removeprefix("s3://")
    _sources(tmp_path)
    # The lake's keys come from Prefect Secret blocks (the others from environment variables).
    from prefect.blocks.system import Secret

    tag = uuid.uuid4().hex[:8]
    blocks = (f"scan-key-{tag}", f"scan-secret-{tag}")
    Secret(value=server.access_key).save(blocks[0])
    Secret(value=server.secret_key).save(blocks[1])
    plan = _plan(tmp_path, seaweedfs, bucket, rest, blocks)
    report = tmp_path / "report.json"
    started = time.time()

    # As users run it: a process of its own, against the session's Prefect server, everything logged.
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_LOGGING_LEVEL": "DEBUG",
           "MIGRATE_DEBUG": "1", "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "migrate.cli", "--debug", "run", str(plan), "--report", str(report)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    console = proc.stdout + proc.stderr

    # The run did what it should: the auth failure is named by endpoint and env names, not by value.
    assert proc.returncode == 1, console[-3000:]
    outcome = {d["dataset"]: d for d in json.loads(report.read_text())["datasets"]}
    assert outcome["raw"]["ok"] and outcome["events"]["ok"] if rest else outcome["raw"]["ok"], outcome
    denied = outcome["denied"]["error"]
    assert seaweedfs.endpoint.removeprefix("http://") in denied and "refused" in denied, denied
    assert seaweedfs.read_only_options["secret_access_key_env"] in denied, denied
    assert "b.csv.gz" in outcome["users"]["error"]
    assert outcome["users"]["report"]["files_processed"] == 1  # written with the keys from the blocks

    texts: dict[str, bytes] = {"console": console.encode(), "report": report.read_bytes(),
                               "plan": plan.read_bytes()}
    for f in (tmp_path / "state").rglob("*"):
        if f.is_file():
            texts[f"state/{f.relative_to(tmp_path / 'state')}"] = f.read_bytes()
    assert any(k.startswith("state/quarantine/") for k in texts) and "state/ledger.db" in texts
    client = seaweedfs.client()
    for b in (bucket, "warehouse"):
        for key, data in _bucket_bytes(client, b):
            texts[f"s3://{b}/{key}"] = key.encode() + b"\n" + data
    assert any("/metadata/" in k for k in texts) or not rest
    for i, record in enumerate(_prefect_records(started)):
        texts[f"prefect record {i}"] = record.encode()
    texts["prefect database"] = _prefect_database()
    # The places searched do hold the run (a scan of empty places would prove nothing).
    assert str(plan).encode() in texts["prefect database"], "the run's records are in Prefect's database"
    assert b"migrate-dataset" in b"".join(v for k, v in texts.items() if k.startswith("prefect record"))
    assert b"DEBUG" in texts["console"] and b"denied" in texts["console"]

    found = [(what, where) for what, value in secrets.items() for where, data in texts.items()
             if value.encode() in data]
    print(f"secrets scan: {len(secrets)} secret(s) searched in {len(texts)} outputs "
          f"({sum(map(len, texts.values())):,} bytes); found {len(found)}")
    assert not found, found


def test_wrong_credentials_name_the_endpoint_not_the_secret(tmp_path: Path, seaweedfs: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    wrong_secret = "wrong-" + uuid.uuid4().hex
    o = seaweedfs.options
    monkeypatch.setenv("MIGRATE_TEST_WRONG_SECRET", wrong_secret)
    monkeypatch.setenv("MIGRATE_TEST_WRONG_ICEBERG", f"{seaweedfs.server.access_key}:{wrong_secret}")
    bucket = seaweedfs.root_uri("wrong").removeprefix("s3://")
    _sources(tmp_path)
    server = seaweedfs.server
    rest = bool(server.iceberg_port and server.table_bucket)
    catalog = (f'catalog: {{kind: rest, uri: "{server.iceberg_rest_url}", warehouse: "s3://warehouse", '
               "credential_env: MIGRATE_TEST_WRONG_ICEBERG}") if rest else ""
    table = ("  - {name: table, source: {store: src, path: events}, format: {kind: csv},\n"
             "     target: {kind: iceberg, store: lake, table: wrong.t}}")
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"""
version: 1
name: wrong
settings: {{state_dir: state}}
sources: {{src: {{kind: local, path: src}}}}
targets:
  lake: {{kind: s3, endpoint: "{o['endpoint_url']}", bucket: {bucket}, region: us-east-1,
          credentials: {{access_key_id_env: {o['access_key_id_env']},
                         secret_access_key_env: MIGRATE_TEST_WRONG_SECRET}}}}
{catalog}
datasets:
  - {{name: events, source: {{store: src, path: events}}, format: {{kind: csv}},
     target: {{kind: parquet, store: lake, path: e}}}}
{table if rest else ""}
""")
    result = CliRunner().invoke(app, ["run", str(plan), "--no-prefect", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 1
    assert wrong_secret not in result.output and wrong_secret not in (tmp_path / "r.json").read_text()
    outcome = {d["dataset"]: d["error"] for d in json.loads((tmp_path / "r.json").read_text())["datasets"]}
    endpoint = seaweedfs.endpoint.removeprefix("http://")
    assert endpoint in outcome["events"] and "MIGRATE_TEST_WRONG_SECRET" in outcome["events"], outcome
    if rest:
        err = outcome["table"]
        assert server.iceberg_rest_url.removeprefix("http://") in err and "MIGRATE_TEST_WRONG_ICEBERG" in err, err
        assert "credential" in err.lower(), err
    assert os.environ["MIGRATE_TEST_WRONG_SECRET"] == wrong_secret


@pytest.mark.prefect
def test_a_missing_secret_block_is_named(tmp_path: Path, seaweedfs: Any, prefect_server: None) -> None:
    _sources(tmp_path)
    bucket = seaweedfs.root_uri("block").removeprefix("s3://")
    plan = _plan(tmp_path, seaweedfs, bucket, False, ("no-such-key-block", "no-such-secret-block"))
    result = CliRunner().invoke(app, ["run", str(plan), "--no-prefect", "-d", "users",
                                      "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 1
    (outcome,) = json.loads((tmp_path / "r.json").read_text())["datasets"]
    assert "Prefect Secret block 'no-such-key-block'" in outcome["error"] and "cannot be loaded" in outcome["error"]


def test_credentials_by_reference_only() -> None:
    """Env names, Secret blocks or a profile (one way); a block maps to the env name the stores read."""
    from migrate.plan import check_plan_text, load_plan_text

    head = "version: 1\nname: refs\ntargets:\n  lake: {kind: s3, bucket: lake, credentials: "
    plan = load_plan_text(head + "{access_key_id_block: lake-key, secret_access_key_block: lake-secret}}\n")
    _, opts = plan.location("lake")
    assert opts == {"access_key_id_env": "MIGRATE_PREFECT_SECRET_LAKE_KEY",
                    "secret_access_key_env": "MIGRATE_PREFECT_SECRET_LAKE_SECRET"}
    mixed = check_plan_text(head + "{access_key_id_block: a, secret_access_key_block: b, profile: p}}\n")
    assert [p.message for p in mixed] == ["give one of: the *_env names, the *_block names, or profile"]
    half = check_plan_text(head + "{access_key_id_block: a}}\n")
    assert "go together" in half[0].message
    literal = check_plan_text(head + "{secret_access_key: hunter2-hunter2}}\n")
    assert any("literal secret" in p.message for p in literal) and "hunter2" not in str(literal)
