"""jfs:// through a real JuiceFS volume: its S3 gateway and (where FUSE works) its mount."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator

import pytest

from migrate.errors import ConfigError, NotFound, StorageError
from migrate.storage import open_storage
from migrate.storage.jfs import JfsMountStorage, from_uri
from migrate.storage.s3 import MiB, S3Storage

from ..fixtures.juicefs import JfsFixture

pytestmark = pytest.mark.juicefs


def generated(total: int, seed: int = 11, chunk: int = MiB) -> Iterator[bytes]:
    rnd = random.Random(seed)
    left = total
    while left:
        n = min(chunk, left)
        yield rnd.randbytes(n)
        left -= n


def test_gateway_roundtrip_keeps_jfs_uris(juicefs_gateway: JfsFixture) -> None:
    root = juicefs_gateway.fresh_root()
    s = open_storage(root, **juicefs_gateway.options)
    assert isinstance(s, S3Storage) and s.scheme == "jfs"
    files = {"日志 数据/part 0 ü.csv": b"x,y\n1,2\n", "top.txt": b"top"}
    for rel, data in files.items():
        res = s.put(f"{root}/{rel}", data)
        assert res.info.uri == f"{root}/{rel}"
    assert {e.uri for e in s.walk(root)} == {f"{root}/{rel}" for rel in files}
    listed = {e.name: e for e in s.list(root)}
    assert listed["日志 数据"].is_dir and listed["日志 数据"].uri == f"{root}/日志 数据"
    info = s.stat(f"{root}/top.txt")
    assert info.size == 3 and info.native_checksum == "etag:" + hashlib.md5(b"top").hexdigest()
    assert s.stat(f"{root}/日志 数据").is_dir
    assert s.read_bytes(f"{root}/日志 数据/part 0 ü.csv", 2, 3) == b"y\n1"
    s.delete(root, recursive=True)
    with pytest.raises(NotFound):
        s.stat(f"{root}/top.txt")


@pytest.mark.slow
def test_gateway_multipart_64mib(juicefs_gateway: JfsFixture, capsys: pytest.CaptureFixture[str]) -> None:
    root = juicefs_gateway.fresh_root("big")
    s = from_uri(root, part_size=8 * MiB, max_concurrency=4, **juicefs_gateway.options)
    assert isinstance(s, S3Storage)
    h = hashlib.sha256()
    total = 64 * MiB + 5
    t0 = time.monotonic()
    with s.writer(f"{root}/big.bin") as w:
        for chunk in generated(total):
            h.update(chunk)
            w.write(chunk)
    elapsed = time.monotonic() - t0
    assert s.stat(f"{root}/big.bin").size == total
    assert s.checksum(f"{root}/big.bin", "sha256") == "sha256:" + h.hexdigest()
    assert s.list_multipart_uploads(root + "/") == []
    with capsys.disabled():
        print(f"\n[jfs gateway] 64 MiB upload {elapsed:.2f}s; "
              f"gateway start {juicefs_gateway.server.started_in:.2f}s")


def test_gateway_abort_leaves_nothing(juicefs_gateway: JfsFixture) -> None:
    root = juicefs_gateway.fresh_root("abort")
    s = from_uri(root, part_size=5 * MiB, **juicefs_gateway.options)
    assert isinstance(s, S3Storage)
    s.put(f"{root}/keep.txt", b"keep")
    with pytest.raises(RuntimeError), s.writer(f"{root}/never.bin") as w:
        for chunk in generated(11 * MiB):
            w.write(chunk)
        assert not s.exists(f"{root}/never.bin")
        raise RuntimeError("crash")
    assert not s.exists(f"{root}/never.bin")
    assert [e.name for e in s.list(root)] == ["keep.txt"]
    assert s.list_multipart_uploads(root + "/") == []


def test_mount_and_gateway_see_the_same_volume(juicefs_mount: JfsFixture,
                                               juicefs_gateway: JfsFixture) -> None:
    root = juicefs_mount.fresh_root("mnt")
    m = open_storage(root, **juicefs_mount.options)
    g = open_storage(root, **juicefs_gateway.options)
    assert isinstance(m, JfsMountStorage)
    uri = f"{root}/dir with space/ü 数据.bin"
    res = m.put(uri, b"via fuse")
    assert res.info.uri == uri and res.info.size == 8
    assert g.read_bytes(uri) == b"via fuse"  # written through FUSE, read through S3
    g.put(f"{root}/from-gateway.txt", b"via s3")
    assert m.read_bytes(f"{root}/from-gateway.txt") == b"via s3"
    assert {e.uri for e in m.walk(root)} == {uri, f"{root}/from-gateway.txt"}
    listed = {e.name: e for e in m.list(root)}
    assert listed["dir with space"].is_dir and listed["dir with space"].uri == f"{root}/dir with space"
    assert m.stat(uri).uri == uri
    assert m.read_bytes(uri, 4, 4) == b"fuse"
    with pytest.raises(RuntimeError), m.writer(f"{root}/never.bin") as w:
        w.write(b"partial")
        raise RuntimeError("crash")
    assert not m.exists(f"{root}/never.bin") and not g.exists(f"{root}/never.bin")
    m.delete(root, recursive=True)
    assert not g.exists(uri)


@pytest.mark.slow
def test_mount_large_write_checksums_match(juicefs_mount: JfsFixture, juicefs_gateway: JfsFixture) -> None:
    root = juicefs_mount.fresh_root("mntbig")
    m = open_storage(root, **juicefs_mount.options)
    g = open_storage(root, **juicefs_gateway.options)
    total = 64 * MiB + 1
    res = m.put(f"{root}/big.bin", generated(total))
    assert res.info.size == total
    assert g.checksum(f"{root}/big.bin") == res.checksum == m.checksum(f"{root}/big.bin")
    m.delete(root, recursive=True)


def test_from_uri_needs_mount_or_gateway() -> None:
    with pytest.raises(ConfigError, match="mount_path"):
        from_uri("jfs://vol/x")
    with pytest.raises(ConfigError):
        from_uri("s3://vol/x", mount_path="/tmp")
    s = from_uri("jfs://vol/x", mount_path="/mnt/jfs")
    with pytest.raises(StorageError, match="other"):
        s.stat("jfs://other/x")
