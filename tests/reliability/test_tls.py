"""S3 and WebHDFS over https with a CA bundle from the plan (SeaweedFS with a test CA's certificate,
the WebHDFS test server wrapped in TLS): the copy keeps its lean fast path, data stays exact, and an
untrusted certificate fails at once with a message naming the endpoint and the CA file in use."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from migrate.devservers.tlscert import make_tls_files
from migrate.devservers.webhdfs import WebHdfsServer
from migrate.engine import run_dataset
from migrate.errors import ConfigError, TlsError
from migrate.plan import load_plan_text
from migrate.runner import migrate_dataset
from migrate.storage import open_storage
from tests.engine.helpers import SCHEMA_YAML, make_dataset, read_parquet_target
from tests.reliability.helpers import plan_for, s3_yaml

MiB = 1 << 20


def s3_tls_yaml(endpoint: str, bucket: str, ca: str | None, prefix: str = "") -> str:
    return s3_yaml(endpoint, bucket, prefix=prefix, **({"ca_bundle": ca} if ca else {}))


def plan(base: Path, source: str, target: str, kind: str) -> Any:
    return plan_for(base, source, target, kind, name="tls")


@pytest.mark.s3
def test_copy_over_https_is_exact_on_the_lean_path(tmp_path: Path, seaweedfs_tls: Any) -> None:
    rng = random.Random(5)
    files = {f"f{i}.bin": rng.randbytes(rng.randint(1, 400_000)) for i in range(12)}
    files["big.bin"] = rng.randbytes(12 * MiB + 5)  # a multipart upload, file ranges read and encrypted here
    (tmp_path / "src").mkdir()
    for name, data in files.items():
        (tmp_path / "src" / name).write_bytes(data)
    bucket = seaweedfs_tls.bucket("tlscopy")
    p = plan(tmp_path, "{kind: local, path: src}", s3_tls_yaml(seaweedfs_tls.endpoint, bucket, seaweedfs_tls.ca_bundle),
             "copy")
    uri, opts = p.location("out", "t")
    assert opts["ca_bundle"] == seaweedfs_tls.ca_bundle
    store = open_storage(uri, **opts)
    assert store._lean is not None and store._lean.tls  # type: ignore[attr-defined]
    rep = run_dataset(p, "events")
    assert rep.ok and rep.files_processed == len(files), rep.errors
    client = seaweedfs_tls.server.client(https=True)
    for name, data in files.items():
        assert client.get_object(Bucket=bucket, Key=f"t/{name}")["Body"].read() == data, name


@pytest.mark.s3
def test_convert_from_and_to_s3_over_https(tmp_path: Path, seaweedfs_tls: Any) -> None:
    total = make_dataset(tmp_path / "gen", files=6, rows=2_000)
    bucket = seaweedfs_tls.bucket("tlsconv")
    client = seaweedfs_tls.server.client(https=True)
    for f in sorted((tmp_path / "gen").glob("*.csv")):
        client.put_object(Bucket=bucket, Key=f"in/{f.name}", Body=f.read_bytes())
    ca = seaweedfs_tls.ca_bundle
    p = plan(tmp_path, s3_tls_yaml(seaweedfs_tls.endpoint, bucket, ca, "in"),
             s3_tls_yaml(seaweedfs_tls.endpoint, bucket, ca, "out"), "parquet")
    rep = run_dataset(p, "events")
    assert rep.ok and rep.rows_written == total, rep.errors
    got, _ = read_parquet_target(f"s3://{bucket}/out/t", seaweedfs_tls.options)
    assert sorted(got.column("id").to_pylist()) == list(range(total))


@pytest.mark.s3
def test_untrusted_certificate_fails_at_once_naming_endpoint(tmp_path: Path, seaweedfs_tls: Any) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.bin").write_bytes(b"abc")
    bucket = seaweedfs_tls.bucket("tlsbad")
    p = plan(tmp_path, "{kind: local, path: src}", s3_tls_yaml(seaweedfs_tls.endpoint, bucket, None), "copy")
    t0 = time.monotonic()
    out = migrate_dataset(p, p.datasets[0])
    assert not out.ok and time.monotonic() - t0 < 10
    assert f"TLS certificate of S3 endpoint {seaweedfs_tls.endpoint} not trusted" in (out.error or ""), out.error
    assert "ca_bundle" in (out.error or "")
    with pytest.raises(ConfigError, match="is not a file"):
        open_storage(f"s3://{bucket}/x", **{**seaweedfs_tls.options, "ca_bundle": str(tmp_path / "nope.pem")})


@pytest.mark.webhdfs
def test_swebhdfs_source_with_ca_bundle(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    root = tmp_path / "hdfs"
    total = make_dataset(root / "data", files=4, rows=500)
    with WebHdfsServer(root, ssl_context=tls.server_context()) as srv:  # type: ignore[arg-type]
        assert srv.url.startswith("https://")
        source = f'{{kind: webhdfs, url: "{srv.url}", user: tester, ca_bundle: "{tls.ca_cert}"}}'
        p = load_plan_text(f"""
version: 1
name: swebhdfs
settings: {{state_dir: state}}
sources: {{hdfs: {source}}}
targets: {{out: {{kind: local, path: out}}}}
datasets:
  - name: events
    source: {{store: hdfs, path: /data}}
    format: {{kind: csv, header: true}}
    schema: {SCHEMA_YAML}
    target: {{kind: parquet, store: out, path: t}}
""", base_dir=tmp_path)
        rep = run_dataset(p, "events")
        assert rep.ok and rep.rows_written == total, rep.errors
        untrusted = open_storage(f"webhdfs://127.0.0.1:{srv.port}/", url=srv.url, user="tester")
        with pytest.raises(TlsError, match=f"WebHDFS endpoint {srv.url} failed .*certificate not trusted"):
            untrusted.stat(f"webhdfs://127.0.0.1:{srv.port}/data")
