"""kill -9 at several points, re-run, then prove exact row and file accounting.

The run converts many small CSV files plus one big one (split into byte ranges, converted in worker
processes, written as multipart uploads on S3) and is SIGKILLed after N files are committed or while
a multipart upload is open. The re-run must finish with target rows == source rows, unique ids, only
our part files, no temp files and no open multipart uploads.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.engine import PART_RE, target_row_count
from migrate.plan import load_plan
from migrate.storage import open_storage
from migrate.storage.local import TMP_MARK
from tests.engine.helpers import make_dataset, read_parquet_target, store_yaml, write_csv
from tests.fixtures.processes import wait_group_ends

ROOT = Path(__file__).resolve().parents[2]


def _setup(tmp_path: Path, target_store: str, target: str = "parquet", big_rows: int = 250_000
           ) -> tuple[Path, int]:
    total = make_dataset(tmp_path / "src", files=40, rows=2_000)
    write_csv(tmp_path / "src" / "big.csv", 1_000_000, big_rows)  # 250k rows ~16 MiB: several ranges
    total += big_rows
    tgt = ("{kind: iceberg, store: out, table: ns.events}" if target == "iceberg"
           else "{kind: parquet, store: out, path: t}")
    (tmp_path / "plan.yaml").write_text(f"""
version: 1
name: killtest
settings: {{state_dir: state}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {target_store}}}
datasets:
  - name: events
    source: {{store: src, path: ""}}
    format: {{kind: csv, header: true}}
    schema: [{{name: id, type: bigint, nullable: false}}, {{name: name, type: string}},
             {{name: amount, type: double}}, {{name: day, type: date}}, {{name: ts, type: timestamp}},
             {{name: flag, type: boolean}}]
    target: {tgt}
""")
    return tmp_path / "plan.yaml", total


def _committed(state: Path) -> int:
    db = state / "ledger.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("SELECT COUNT(*) FROM files WHERE state='committed'").fetchone()[0])
    except sqlite3.Error:
        return 0


def _spawn(plan: Path, **env: str) -> subprocess.Popen[str]:
    # Its own process group: after the kill, the group must empty (workers die with the run).
    return subprocess.Popen([sys.executable, "-m", "tests.engine.kill_child", str(plan)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env}, start_new_session=True)


def _kill_when(proc: subprocess.Popen[str], cond: Callable[[], bool], timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False  # finished before the kill point
        if cond():
            os.kill(proc.pid, signal.SIGKILL)  # only the engine's main process: workers must die with it
            proc.wait()
            wait_group_ends(proc.pid)  # workers, forkserver, catalog helper: all gone
            return True
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    raise AssertionError("kill point never reached")


def _finish(plan: Path, **env: str) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.engine.kill_child", str(plan)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _check(plan_path: Path, total: int, root_uri: str, options: dict[str, Any], s3: Any = None,
           bucket: str | None = None) -> None:
    plan = load_plan(plan_path)
    got, names = read_parquet_target(root_uri, options)
    ids = got.column("id").to_pylist()
    assert len(ids) == total and len(set(ids)) == total  # every row once
    assert all(PART_RE.match(n.rsplit("/", 1)[-1]) for n in names), [n for n in names if TMP_MARK in n]
    with sqlite3.connect(plan.state_dir / "ledger.db") as con:
        expected = sum(len(json.loads(u)) for (u,) in con.execute("SELECT target_uris FROM files"))
        states = {s for (s,) in con.execute("SELECT DISTINCT state FROM files")}
    assert states == {"committed"}
    assert len(names) == expected >= 41  # 40 files + the big one (in ranges when split)
    assert target_row_count(plan, "events") == total
    if s3 is not None:
        assert s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # a worker orphaned by the kill must not publish anything after the re-run: wait and look again
    time.sleep(1.0)
    _, names_later = read_parquet_target(root_uri, options)
    assert sorted(names_later) == sorted(names)


@pytest.mark.slow
def test_kill_after_n_files_local(tmp_path: Path) -> None:
    plan, total = _setup(tmp_path, "{kind: local, path: out}")
    state = tmp_path / "state"
    for n in (3, 15, 30):
        killed = _kill_when(_spawn(plan), lambda n=n: _committed(state) >= n)  # type: ignore[misc]
        if not killed:
            break
    rep = _finish(plan)
    assert rep["files_failed"] == 0
    _check(plan, total, f"file://{tmp_path}/out/t", {})
    assert _finish(plan)["files_processed"] == 0  # and a further re-run is a no-op


@pytest.mark.slow
@pytest.mark.s3
def test_kill_mid_multipart_upload_s3(tmp_path: Path, seaweedfs: Any) -> None:
    bucket = seaweedfs.root_uri("kill").removeprefix("s3://")
    plan, total = _setup(tmp_path, store_yaml("s3", seaweedfs, bucket), big_rows=1_000_000)
    state = tmp_path / "state"
    client = seaweedfs.client()
    env = {"KILL_SPLIT_BYTES": str(256 << 20), "KILL_ROW_GROUP_ROWS": "50000"}  # big file: one ~11 MiB part

    def uploading() -> bool:
        return bool(client.list_multipart_uploads(Bucket=bucket).get("Uploads"))

    assert _kill_when(_spawn(plan, **env), uploading), "no multipart upload seen"
    assert uploading()  # the killed run left an open upload behind...
    _kill_when(_spawn(plan, **env), lambda: _committed(state) >= 10)
    rep = _finish(plan, **env)
    assert rep["recovered"]["uploads_aborted"] >= 0
    assert rep["files_failed"] == 0
    _check(plan, total, f"s3://{bucket}/t", seaweedfs.options, seaweedfs, bucket)


@pytest.mark.slow
def test_kill_iceberg_local(tmp_path: Path) -> None:
    plan, total = _setup(tmp_path, "{kind: local, path: out}", target="iceberg")
    state = tmp_path / "state"
    _kill_when(_spawn(plan), lambda: _committed(state) >= 5)
    _kill_when(_spawn(plan), lambda: _committed(state) >= 20)
    rep = _finish(plan)
    assert rep["files_failed"] == 0
    p = load_plan(plan)
    assert target_row_count(p, "events") == total
    from migrate import iceberg

    ids = iceberg.load_catalog(p, state_dir=p.state_dir).load_table("ns.events").scan(
        selected_fields=("id",)).to_arrow()["id"].to_pylist()
    assert len(ids) == len(set(ids)) == total
    store = open_storage(f"file://{state}")
    assert not [f.uri for f in store.walk(f"file://{state}/warehouse") if TMP_MARK in f.uri]
