"""The contract every storage backend keeps (file, WebHDFS, S3 on SeaweedFS, JuiceFS gateway)."""

from __future__ import annotations

import hashlib
import os

import pytest

from migrate import checksums
from migrate.errors import NotFound
from migrate.storage.base import PutResult

from ..fixtures.stores import StoreUnderTest

PAYLOAD = bytes(range(256)) * 4099  # ~1 MiB, not chunk-aligned


def sha(data: bytes) -> str:
    """The default content checksum (CRC32C) of ``data``."""
    return f"crc32c:{checksums.crc32c_value(data):08x}"


def names(entries) -> set[str]:  # type: ignore[no-untyped-def]
    return {e.name for e in entries}


def test_put_stat_read_roundtrip(store_root: StoreUnderTest) -> None:
    s, uri = store_root.store, store_root.uri("a", "data.bin")
    result = s.put(uri, PAYLOAD)
    assert isinstance(result, PutResult)
    assert result.checksum == sha(PAYLOAD)
    assert result.info.size == len(PAYLOAD)
    info = s.stat(uri)
    assert info.size == len(PAYLOAD) and not info.is_dir
    assert info.mtime > 0
    assert s.read_bytes(uri) == PAYLOAD
    assert s.checksum(uri) == sha(PAYLOAD)


def test_ranged_reads(store_root: StoreUnderTest) -> None:
    s, uri = store_root.store, store_root.uri("ranged.bin")
    s.put(uri, PAYLOAD)
    assert s.read_bytes(uri, 0, 10) == PAYLOAD[:10]
    assert s.read_bytes(uri, 1000, 5000) == PAYLOAD[1000:6000]
    assert s.read_bytes(uri, len(PAYLOAD) - 7) == PAYLOAD[-7:]
    assert s.read_bytes(uri, len(PAYLOAD) - 3, 100) == PAYLOAD[-3:]
    with s.open(uri, 500_000) as f:  # streaming: several small reads add up
        parts = [f.read(1 << 16) for _ in range(3)]
    assert b"".join(parts) == PAYLOAD[500_000 : 500_000 + 3 * (1 << 16)]


def test_streaming_writer_and_overwrite(store_root: StoreUnderTest) -> None:
    s, uri = store_root.store, store_root.uri("over.bin")
    s.put(uri, b"first version")
    with s.writer(uri) as w:
        for i in range(0, len(PAYLOAD), 70_001):
            w.write(PAYLOAD[i : i + 70_001])
        # Until commit, readers still see the old content.
        assert s.read_bytes(uri) == b"first version"
    assert w.result is not None and w.result.checksum == sha(PAYLOAD)
    assert s.read_bytes(uri) == PAYLOAD


def test_aborted_write_leaves_nothing_visible(store_root: StoreUnderTest) -> None:
    s, folder = store_root.store, store_root.uri("abort")
    s.put(store_root.uri("abort", "keep.txt"), b"keep")
    uri = store_root.uri("abort", "never.bin")
    with pytest.raises(RuntimeError), s.writer(uri) as w:
        w.write(PAYLOAD)
        raise RuntimeError("crash in the middle")
    assert not s.exists(uri)
    assert names(s.list(folder)) == {"keep.txt"}
    assert names(s.walk(folder)) == {"keep.txt"}


def test_empty_file(store_root: StoreUnderTest) -> None:
    s, uri = store_root.store, store_root.uri("empty")
    result = s.put(uri, b"")
    assert result.info.size == 0 and result.checksum == sha(b"")
    assert s.stat(uri).size == 0
    assert s.read_bytes(uri) == b""


def test_unicode_and_spaces_in_names(store_root: StoreUnderTest) -> None:
    s = store_root.store
    uri = store_root.uri("dir with space", "日志 数据", "part 0 ü+%20#.csv")
    s.put(uri, b"x,y\n1,2\n")
    assert s.read_bytes(uri) == b"x,y\n1,2\n"
    assert s.stat(uri).size == 8
    found = [e.uri for e in s.walk(store_root.uri("dir with space"))]
    assert found == [uri]


def test_list_and_walk(store_root: StoreUnderTest) -> None:
    s = store_root.store
    files = ["t/dt=2024-01-01/p0", "t/dt=2024-01-01/p1", "t/dt=2024-01-02/p0", "t/top.txt", "t/a/b/c/deep"]
    for rel in files:
        s.put(store_root.uri(rel), rel.encode())
    top = {e.name: e for e in s.list(store_root.uri("t"))}
    assert set(top) == {"dt=2024-01-01", "dt=2024-01-02", "top.txt", "a"}
    assert top["dt=2024-01-01"].is_dir and not top["top.txt"].is_dir
    assert top["top.txt"].size == len(b"t/top.txt")
    walked = sorted(e.uri for e in s.walk(store_root.uri("t")))
    assert walked == sorted(store_root.uri(rel) for rel in files)
    assert all(not e.is_dir for e in s.walk(store_root.uri("t")))


def test_many_entries_are_paged(store_root: StoreUnderTest) -> None:
    # Test servers use small pages (WebHDFS batch size); S3 pages at 1000 keys.
    s = store_root.store
    n = 1005 if store_root.kind == "s3" else 25
    for i in range(n):
        s.put(store_root.uri("many", f"f{i:05d}"), b"")
    assert len(list(s.walk(store_root.uri("many")))) == n
    assert len(list(s.list(store_root.uri("many")))) == n


def test_delete(store_root: StoreUnderTest) -> None:
    s = store_root.store
    s.put(store_root.uri("d", "one"), b"1")
    s.put(store_root.uri("d", "sub", "two"), b"2")
    s.delete(store_root.uri("d", "one"))
    assert not s.exists(store_root.uri("d", "one"))
    s.delete(store_root.uri("d", "missing"))  # absent is not an error
    s.delete(store_root.uri("d"), recursive=True)
    try:  # object stores have no folders: an empty prefix walks as nothing
        left = list(s.walk(store_root.uri("d")))
    except NotFound:
        left = []
    assert left == []
    assert not s.exists(store_root.uri("d", "sub", "two"))


def test_missing_object_is_not_found(store_root: StoreUnderTest) -> None:
    s, uri = store_root.store, store_root.uri("nope", "x.bin")
    with pytest.raises(NotFound) as err:
        s.stat(uri)
    assert "x.bin" in str(err.value)
    with pytest.raises(NotFound):
        s.read_bytes(uri)
    assert not s.exists(uri)


def test_checksum_streams_large_content(store_root: StoreUnderTest) -> None:
    s, uri = store_root.store, store_root.uri("big.bin")
    data = os.urandom(3 << 20)
    with s.writer(uri) as w:
        for i in range(0, len(data), 1 << 20):
            w.write(data[i : i + (1 << 20)])
    assert s.checksum(uri) == sha(data)
    assert s.checksum(uri, "md5") == "md5:" + hashlib.md5(data).hexdigest()
