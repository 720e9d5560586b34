"""Engine against real servers: SeaweedFS S3 and the JuiceFS S3 gateway (Parquet and copy targets)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from migrate.engine import run_dataset, target_row_count
from tests.engine.helpers import (
    assert_equal_rows,
    make_dataset,
    make_plan,
    read_parquet_target,
    reader_options,
    source_table,
    store_yaml,
)


def _target(kind: str, request: pytest.FixtureRequest) -> tuple[str, str, dict[str, Any]]:
    """(store yaml, root uri of dataset 't', storage options)."""
    if kind == "s3":
        fx = request.getfixturevalue("seaweedfs")
        bucket = fx.root_uri("engine").removeprefix("s3://")
        return store_yaml("s3", fx, bucket), f"s3://{bucket}/t", fx.options
    fx = request.getfixturevalue("juicefs_gateway")
    return store_yaml("jfs", fx), f"jfs://{fx.volume}/t", fx.options


REMOTES = [pytest.param("s3", marks=pytest.mark.s3), pytest.param("jfs", marks=pytest.mark.juicefs)]


@pytest.mark.parametrize("kind", REMOTES)
def test_csv_to_parquet_remote(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> None:
    yaml, root, opts = _target(kind, request)
    if kind == "jfs":  # the shared volume: a folder of our own
        root = root.replace("/t", f"/{tmp_path.name}")
    total = make_dataset(tmp_path / "src", files=4, rows=300, partitions=["a", "b"])
    plan = make_plan(tmp_path, "parquet", target_store=yaml, partition=True,
                     target_path=root.rsplit("/", 1)[-1])
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.ok, rep.errors
    got, names = read_parquet_target(root, opts)
    assert len(names) == 4 and all("/dt=" in n for n in names)
    assert_equal_rows(got, source_table(tmp_path / "src"))
    assert sorted(set(got.column("dt").to_pylist())) == ["a", "b"]
    assert run_dataset(plan, "events", options=reader_options()).files_skipped == 4
    assert target_row_count(plan, "events") == total


@pytest.mark.parametrize("kind", REMOTES)
def test_copy_as_is_remote(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> None:
    yaml, root, opts = _target(kind, request)
    if kind == "jfs":
        root = root.replace("/t", f"/{tmp_path.name}")
    src = tmp_path / "src"
    make_dataset(src, files=3, rows=100)
    (src / "big.bin").write_bytes(bytes(range(256)) * (12 << 12))  # 12 MiB: a multipart upload
    plan = make_plan(tmp_path, "copy", target_store=yaml, target_path=root.rsplit("/", 1)[-1])
    rep = run_dataset(plan, "events")
    assert rep.ok and rep.files_processed == 4 and rep.bytes_out == rep.bytes_in
    from migrate.storage import open_storage

    store = open_storage(root, **opts)
    for p in src.rglob("*"):
        h = hashlib.sha256(p.read_bytes()).hexdigest()
        assert store.checksum(f"{root}/{p.relative_to(src)}", "sha256") == f"sha256:{h}"


@pytest.mark.s3
def test_copy_source_rewritten_between_hash_and_send_is_redone(tmp_path: Path, request: pytest.FixtureRequest,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A local file is hashed, then sent by sendfile(2): rewritten in between (same size), the server
    refuses the body (its CRC32C no longer matches) and the engine, seeing the changed source, redoes it."""
    import os
    import time

    from migrate.storage import open_storage
    from migrate.storage.s3 import _S3Writer

    yaml, root, opts = _target("s3", request)
    src = tmp_path / "src"
    make_dataset(src, files=2, rows=100)
    victim = sorted(src.rglob("*.csv"))[0]
    original = _S3Writer.send_file
    calls: list[str] = []

    def send_then_rewrite(self: Any, fd: int, length: int, name: str, progress: Any = None) -> int:
        got = original(self, fd, length, name, progress)
        if name.endswith(victim.name) and not calls:
            calls.append(name)
            data = victim.read_bytes()
            victim.write_bytes(data[::-1])  # same size, other bytes
            os.utime(victim, (time.time(), time.time() + 5))
        return got

    monkeypatch.setattr(_S3Writer, "send_file", send_then_rewrite)
    plan = make_plan(tmp_path, "copy", target_store=yaml, target_path=root.rsplit("/", 1)[-1])
    rep = run_dataset(plan, "events")
    assert calls, "the copy went through send_file"
    assert rep.ok and rep.files_processed == 2 and rep.files_redone_changed == 1, rep.to_dict()
    store = open_storage(root, **opts)
    assert store.read_bytes(f"{root}/{victim.relative_to(src)}") == victim.read_bytes()
