"""Migrations through a fault-injecting proxy in front of SeaweedFS (migrate.devservers.faultproxy).

503 SlowDown, connection resets mid-request, stalls past the read timeout and answers cut off halfway:
the migration still completes with exactly the source's bytes and rows, every injected fault costs
exactly one counted retry (DatasetReport.retries), a dead or silent endpoint fails within a bounded
time naming the endpoint, and the store's retry quota stops a retry storm (migrate.retry).
"""

from __future__ import annotations

import hashlib
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from migrate import retry
from migrate.devservers.faultproxy import Fault, FaultProxy
from migrate.devservers.seaweedfs import free_ports
from migrate.engine import run_dataset
from migrate.errors import TransientStorageError
from migrate.ledger import Ledger
from migrate.retry import RetryPolicy
from migrate.runner import migrate_dataset
from migrate.storage.s3 import S3Storage
from tests.engine.helpers import make_dataset, read_parquet_target
from tests.fixtures.s3 import KEY_ENV, SECRET_ENV
from tests.reliability.helpers import plan_for, s3_yaml

pytestmark = pytest.mark.s3

MiB = 1 << 20


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def objects(client: Any, bucket: str, prefix: str) -> dict[str, bytes]:
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix):]] = client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return out


FAULTS = [Fault("slowdown", rate=0.08), Fault("reset", rate=0.05), Fault("truncate", rate=0.05),
          Fault("stall", rate=0.03)]


def test_copy_through_faults_is_exact_and_every_fault_is_one_retry(tmp_path: Path, seaweedfs: Any) -> None:
    """Copy as-is, local -> S3 (single PUTs and multipart uploads), through every kind of fault."""
    src = tmp_path / "src"
    rng = random.Random(19)
    files = {f"small/f{i:03d}.bin": rng.randbytes(rng.randint(0, 200_000)) for i in range(40)}
    files.update({f"big/b{i}.bin": rng.randbytes(11 * MiB + i) for i in range(2)})  # 3 parts each
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    bucket = seaweedfs.root_uri("faultcopy").removeprefix("s3://")
    with FaultProxy(seaweedfs.endpoint, FAULTS, seed=19, stall_seconds=6) as proxy:
        plan = plan_for(tmp_path, "{kind: local, path: src}",
                        s3_yaml(proxy.endpoint, bucket, read_timeout=3, max_attempts=6), "copy")
        t0 = time.monotonic()
        rep = run_dataset(plan, "events")
        took = time.monotonic() - t0
    assert rep.ok and rep.files_processed == len(files), rep.errors
    assert set(proxy.injected) == {"slowdown", "reset", "truncate", "stall"}, proxy.injected
    # Each fault made exactly one request fail, and each failed request was retried once, counted.
    # (A loaded machine may add timeouts of its own: at least one per stall.)
    r, i = rep.retries, proxy.injected
    assert r.get("throttled", 0) == i["slowdown"], (r, i)
    assert r.get("connection", 0) == i["reset"] + i["truncate"], (r, i)
    assert r.get("timeout", 0) >= i["stall"], (r, i)
    assert "budget_exhausted" not in rep.retries
    got = objects(seaweedfs.client(), bucket, "t/")
    assert {k: sha(v) for k, v in got.items()} == {k: sha(v) for k, v in files.items()}
    assert seaweedfs.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with Ledger.in_state_dir(plan.state_dir) as ledger:
        assert ledger.counts("events") == {"committed": len(files)}
    print(f"\n[faults] copy: {proxy.requests} requests, injected {dict(proxy.injected)}, "
          f"retries {rep.retries}, {took:.1f}s")


def test_convert_s3_to_s3_through_faults_keeps_every_row(tmp_path: Path, seaweedfs: Any) -> None:
    """CSV on S3 -> Parquet on S3, both through the proxy: cut-off GETs resume, rows stay exact."""
    local = tmp_path / "gen"
    total = make_dataset(local, files=12, rows=3_000)
    bucket = seaweedfs.root_uri("faultconv").removeprefix("s3://")
    client = seaweedfs.client()
    for p in sorted(local.rglob("*.csv")):
        client.put_object(Bucket=bucket, Key=f"in/{p.name}", Body=p.read_bytes())
    cut_reads = Fault("truncate", first=3, match=f"GET /{bucket}/in/f")  # object reads cut off: resumed
    with FaultProxy(seaweedfs.endpoint, [cut_reads, *FAULTS], seed=7, stall_seconds=6) as proxy:
        store = s3_yaml(proxy.endpoint, bucket, prefix="in", read_timeout=3)
        target = s3_yaml(proxy.endpoint, bucket, prefix="out", read_timeout=3)
        plan = plan_for(tmp_path, store, target, "parquet")
        rep = run_dataset(plan, "events")
    assert rep.ok, rep.errors
    assert rep.rows_written == total and rep.rows_quarantined == 0
    r, i = rep.retries, proxy.injected
    assert i["truncate"] >= 3
    assert r.get("throttled", 0) == i["slowdown"], (r, i)
    assert r.get("connection", 0) == i["reset"] + i["truncate"], (r, i)
    assert r.get("timeout", 0) >= i["stall"], (r, i)
    got, _ = read_parquet_target(f"s3://{bucket}/out/t", seaweedfs.options)
    ids = got.column("id").to_pylist()
    assert len(ids) == len(set(ids)) == total
    print(f"\n[faults] convert: {proxy.requests} requests, injected {dict(proxy.injected)}, retries {rep.retries}")


def test_dead_endpoint_fails_fast_naming_it(tmp_path: Path, seaweedfs: Any) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.bin").write_bytes(b"abc")
    port = free_ports(1, with_grpc=False)[0]  # nothing listens there
    plan = plan_for(tmp_path, "{kind: local, path: src}", s3_yaml(f"http://127.0.0.1:{port}", "nobucket"), "copy")
    t0 = time.monotonic()
    out = migrate_dataset(plan, plan.datasets[0])
    assert not out.ok and time.monotonic() - t0 < 15
    assert f"S3 endpoint http://127.0.0.1:{port} unreachable" in (out.error or ""), out.error


def test_silent_endpoint_fails_within_the_retry_bound(tmp_path: Path, seaweedfs: Any) -> None:
    """Connections accepted, requests never answered: read timeout x tries, then a clear error."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.bin").write_bytes(b"abc")
    bucket = seaweedfs.root_uri("silent").removeprefix("s3://")
    with FaultProxy(seaweedfs.endpoint, [Fault("stall", rate=1.0)], stall_seconds=60) as proxy:
        plan = plan_for(tmp_path, "{kind: local, path: src}",
                        s3_yaml(proxy.endpoint, bucket, read_timeout=1, max_attempts=3), "copy")
        t0 = time.monotonic()
        out = migrate_dataset(plan, plan.datasets[0])
        took = time.monotonic() - t0
    # 3 tries of 1 s plus two pauses of at most 0.2 s and 0.4 s: well inside 10 s.
    assert not out.ok and took < 10, (took, out.error)
    assert proxy.endpoint in (out.error or "") and "ReadTimeout" in (out.error or ""), out.error
    assert proxy.injected["stall"] == 3


def test_retry_quota_stops_a_storm(seaweedfs: Any) -> None:
    """Every PUT refused: without the quota 150 puts x 6 tries = 900 requests; with it at most
    150 + 100 (500 tokens / 5 per retry), and the rest fail at once, counted."""
    bucket = seaweedfs.root_uri("storm").removeprefix("s3://")
    with FaultProxy(seaweedfs.endpoint, [Fault("slowdown", rate=1.0, match="PUT ")]) as proxy:
        store = S3Storage(endpoint_url=proxy.endpoint, region="us-east-1", access_key_id_env=KEY_ENV,
                          secret_access_key_env=SECRET_ENV)
        store.retry_policy = RetryPolicy(attempts=6, base_delay=0.001, max_delay=0.01)
        before = retry.STATS.snapshot()

        def put(i: int) -> bool:
            try:
                store.put(f"s3://{bucket}/k{i}", b"x")
                return True
            except TransientStorageError:
                return False

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(put, range(150)))
        counted = retry.STATS.since(before)
    assert not any(results)
    assert proxy.requests <= 150 + 100, proxy.requests
    assert counted.get("throttled", 0) == proxy.requests - 150 <= 100
    assert counted.get("budget_exhausted", 0) >= 150 - 100 // 5
    assert store.retry_budget.tokens < retry.RetryBudget.retry_cost
