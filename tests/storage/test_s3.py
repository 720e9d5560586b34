"""S3 backend against a real SeaweedFS: multipart, abort, orphans, auth, dead endpoints, SlowDown retries."""

from __future__ import annotations

import hashlib
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from migrate import checksums
from migrate.devservers.faultproxy import Fault, FaultProxy
from migrate.errors import AuthError, EndpointUnreachable, NotFound, StorageError, TransientStorageError
from migrate.retry import RetryPolicy
from migrate.storage import open_storage
from migrate.storage.s3 import MiB, S3Storage, from_uri

from ..fixtures.s3 import S3Fixture

pytestmark = pytest.mark.s3


def generated(total: int, seed: int = 7, chunk: int = MiB) -> Iterator[bytes]:
    """Deterministic pseudo-random bytes made on the fly: the test never holds the whole object."""
    rnd = random.Random(seed)
    left = total
    while left:
        n = min(chunk, left)
        yield rnd.randbytes(n)
        left -= n


def upload(store: S3Storage, uri: str, total: int, algorithm: str = checksums.DEFAULT) -> tuple[str, float]:
    h = checksums.new(algorithm)
    t0 = time.monotonic()
    with store.writer(uri, algorithm) as w:
        for chunk in generated(total):
            h.update(chunk)
            w.write(chunk)
    elapsed = time.monotonic() - t0
    assert w.result is not None
    assert w.result.checksum == f"{algorithm}:" + h.hexdigest()
    return w.result.checksum, elapsed


def store_for(fx: S3Fixture, **extra: Any) -> S3Storage:
    return from_uri("s3://x", **{**fx.options, **extra})


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_small_objects_list_walk_stat_unicode(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("basic")
    s = open_storage(root, **seaweedfs.options)
    names = ["a b/ü ñ 日本.txt", "a b/sub dir/x+y%20z.bin", "top.txt"]
    for n in names:
        s.put(f"{root}/{n}", n.encode())
    top = {e.name: e for e in s.list(root)}
    assert set(top) == {"a b", "top.txt"} and top["a b"].is_dir
    assert sorted(e.uri for e in s.walk(root)) == sorted(f"{root}/{n}" for n in names)
    info = s.stat(f"{root}/a b/ü ñ 日本.txt")
    assert info.size == len("a b/ü ñ 日本.txt".encode())
    assert info.native_checksum == "etag:" + hashlib.md5("a b/ü ñ 日本.txt".encode()).hexdigest()
    folder = s.stat(f"{root}/a b")
    assert folder.is_dir and folder.size == 0
    assert s.read_bytes(f"{root}/top.txt", 1, 3) == b"op."
    assert s.read_bytes(f"{root}/top.txt", 100) == b""  # past the end reads as empty, like a file
    with pytest.raises(NotFound):
        list(s.list(f"{root}/top.txt"))  # a file is not a folder


def test_missing_bucket_names_it(seaweedfs: S3Fixture) -> None:
    s = store_for(seaweedfs)
    with pytest.raises(NotFound, match="no-such-bucket-xyz"):
        list(s.list("s3://no-such-bucket-xyz/some/prefix"))
    with pytest.raises(NotFound, match="no-such-bucket-xyz"):
        s.stat("s3://no-such-bucket-xyz/key")
    with pytest.raises(NotFound, match="bucket 'no-such-bucket-xyz' does not exist"):
        s.stat("s3://no-such-bucket-xyz/")


@pytest.mark.slow
def test_multipart_64mib_default_part_size(seaweedfs: S3Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    root = seaweedfs.root_uri("big")
    s = store_for(seaweedfs)  # defaults: 64 MiB parts, 8 in flight
    uri = f"{root}/big 64.bin"
    total = 64 * MiB + 123
    checksum, elapsed = upload(s, uri, total)
    info = s.stat(uri)
    assert info.size == total
    assert info.native_checksum is not None and info.native_checksum.endswith("-2")  # multipart ETag
    t0 = time.monotonic()
    assert s.checksum(uri) == checksum  # streamed back through ranged GETs
    read_s = time.monotonic() - t0
    assert s.list_multipart_uploads(root) == []
    with capsys.disabled():
        print(f"\n[s3] 64 MiB upload {elapsed:.2f}s ({total / MiB / elapsed:.0f} MiB/s), "
              f"read+sha256 {read_s:.2f}s, server start {seaweedfs.server.started_in:.2f}s")


@pytest.mark.slow
def test_multipart_concurrency_is_bounded(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("conc")
    s = store_for(seaweedfs, part_size=5 * MiB, max_concurrency=3)
    active = peak = 0
    lock = threading.Lock()
    real = s._send_part

    def counting(*args: Any) -> Any:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            return real(*args)
        finally:
            with lock:
                active -= 1

    s._send_part = counting  # type: ignore[method-assign,assignment]
    uri = f"{root}/parts.bin"
    checksum, _ = upload(s, uri, 23 * MiB)
    assert 1 < peak <= 3
    assert s.stat(uri).native_checksum.endswith("-5")  # type: ignore[union-attr]
    assert s.checksum(uri) == checksum


def test_nothing_visible_before_commit_and_abort_cleans_up(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("abort")
    s = store_for(seaweedfs, part_size=5 * MiB)
    uri = f"{root}/never.bin"
    with pytest.raises(RuntimeError), s.writer(uri) as w:
        for chunk in generated(12 * MiB):
            w.write(chunk)
        assert not s.exists(uri)
        assert [u.key for u in s.list_multipart_uploads(root)] == ["never.bin"]
        raise RuntimeError("crash mid-upload")
    assert not s.exists(uri)
    assert s.list_multipart_uploads(root) == []
    # A small (single PUT) writer likewise publishes only on commit.
    w2 = s.writer(f"{root}/small.txt")
    w2.write(b"abc")
    assert not s.exists(f"{root}/small.txt")
    w2.commit()
    assert s.read_bytes(f"{root}/small.txt") == b"abc"


def test_orphaned_uploads_are_listed_and_aborted(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("orphans")
    bucket = root.split("://")[1]
    c = seaweedfs.client()
    up = c.create_multipart_upload(Bucket=bucket, Key="run1/part 1.bin")
    c.upload_part(Bucket=bucket, Key="run1/part 1.bin", UploadId=up["UploadId"], PartNumber=1,
                  Body=b"x" * 1024)
    c.create_multipart_upload(Bucket=bucket, Key="other/keep.bin")
    s = store_for(seaweedfs)
    listed = s.list_multipart_uploads(f"{root}/run1/")
    assert [(u.key, u.upload_id) for u in listed] == [("run1/part 1.bin", up["UploadId"])]
    assert listed[0].uri == f"{root}/run1/part 1.bin"
    assert s.abort_orphaned_uploads(f"{root}/run1/", older_than_seconds=3600) == []  # too young
    aborted = s.abort_orphaned_uploads(f"{root}/run1/", older_than_seconds=0)
    assert [u.upload_id for u in aborted] == [up["UploadId"]]
    assert s.list_multipart_uploads(f"{root}/run1/") == []
    assert [u.key for u in s.list_multipart_uploads(root + "/")] == ["other/keep.bin"]


def test_wrong_secret_is_auth_error_without_the_secret(seaweedfs: S3Fixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = seaweedfs.root_uri("auth")
    secret = "not-the-secret-4f9a1c"
    monkeypatch.setenv("BAD_S3_SECRET", secret)
    s = store_for(seaweedfs, secret_access_key_env="BAD_S3_SECRET")
    for action in (lambda: s.stat(f"{root}/x"), lambda: s.put(f"{root}/x", b"1"), lambda: list(s.list(root))):
        with pytest.raises(AuthError) as err:
            action()
        msg = str(err.value)
        assert "S3 refused the credentials" in msg and "MIGRATE_TEST_S3_KEY" in msg
        assert seaweedfs.endpoint in msg and root in msg
        assert secret not in msg and seaweedfs.server.secret_key not in msg


def test_read_only_identity_cannot_put(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("ro")
    open_storage(root, **seaweedfs.options).put(f"{root}/data.txt", b"hello")
    ro = from_uri(root, part_size=5 * MiB, **seaweedfs.read_only_options)
    assert ro.read_bytes(f"{root}/data.txt") == b"hello"
    with pytest.raises(AuthError, match="MIGRATE_TEST_S3_RO_KEY"):
        ro.put(f"{root}/new.txt", b"nope")
    with pytest.raises(AuthError), ro.writer(f"{root}/big.bin") as w:  # multipart path as well
        w.write(b"z" * (ro.part_size + 1))
    assert not open_storage(root, **seaweedfs.options).exists(f"{root}/new.txt")


def test_dead_endpoint_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEAD_S3_KEY", "k")
    monkeypatch.setenv("DEAD_S3_SECRET", "s")
    port = dead_port()
    s = from_uri("s3://b", endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1",
                 access_key_id_env="DEAD_S3_KEY", secret_access_key_env="DEAD_S3_SECRET")
    for action in (lambda: s.stat("s3://b/k"), lambda: s.put("s3://b/k", b"1")):
        t0 = time.monotonic()
        with pytest.raises(EndpointUnreachable, match=f"127.0.0.1:{port}"):
            action()
        assert time.monotonic() - t0 < 15


def test_silent_endpoint_times_out_boundedly(monkeypatch: pytest.MonkeyPatch) -> None:
    """A peer that never completes the TCP handshake: a listener whose backlog is full."""
    monkeypatch.setenv("DEAD_S3_KEY", "k")
    monkeypatch.setenv("DEAD_S3_SECRET", "s")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        try:
            s = from_uri("s3://b", endpoint_url=f"http://127.0.0.1:{port}", connect_timeout=1,
                         access_key_id_env="DEAD_S3_KEY", secret_access_key_env="DEAD_S3_SECRET")
            t0 = time.monotonic()
            with pytest.raises(EndpointUnreachable):
                s.stat("s3://b/k")
            assert time.monotonic() - t0 < 6  # CONNECT_ATTEMPTS x connect_timeout + one backoff
        finally:
            for c in fillers:
                c.close()


def test_part_upload_retries_slowdown(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("slow")
    with FaultProxy(seaweedfs.endpoint, [Fault("slowdown", first=2, match="partNumber=")]) as proxy:
        # botocore's own retries off (max_attempts=1): the recovery below is our backoff's doing.
        s = store_for(seaweedfs, endpoint_url=proxy.endpoint, part_size=5 * MiB, max_attempts=1)
        s.retry_policy = RetryPolicy(attempts=4, base_delay=0.05)
        checksum, _ = upload(s, f"{root}/retried.bin", 11 * MiB)
        assert proxy.injected["slowdown"] == 2
    direct = store_for(seaweedfs)
    assert direct.checksum(f"{root}/retried.bin") == checksum
    assert direct.list_multipart_uploads(root) == []


def test_persistent_slowdown_is_transient_and_aborts(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("slower")
    with FaultProxy(seaweedfs.endpoint, [Fault("slowdown", rate=1.0, match="partNumber=")]) as proxy:
        s = store_for(seaweedfs, endpoint_url=proxy.endpoint, part_size=5 * MiB, max_attempts=2)
        s.retry_policy = RetryPolicy(attempts=2, base_delay=0.05)
        with pytest.raises(TransientStorageError, match="SlowDown"), s.writer(f"{root}/x.bin") as w:
            for chunk in generated(11 * MiB):
                w.write(chunk)
    direct = store_for(seaweedfs)
    assert not direct.exists(f"{root}/x.bin")
    assert direct.list_multipart_uploads(root) == []


def test_slowdown_on_any_call_maps_to_transient(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("slowhead")
    with FaultProxy(seaweedfs.endpoint, [Fault("slowdown", rate=1.0)]) as proxy:
        s = store_for(seaweedfs, endpoint_url=proxy.endpoint, max_attempts=2)
        with pytest.raises(TransientStorageError):
            s.stat(f"{root}/k")


def test_dropped_read_resumes_where_it_stopped(seaweedfs: S3Fixture) -> None:
    root = seaweedfs.root_uri("resume")
    data = random.Random(3).randbytes(3 * MiB + 17)
    store_for(seaweedfs).put(f"{root}/r.bin", data)
    with FaultProxy(seaweedfs.endpoint, [Fault("truncate", first=2, match="GET /")]) as proxy:
        s = store_for(seaweedfs, endpoint_url=proxy.endpoint, max_attempts=1)
        assert s.read_bytes(f"{root}/r.bin", 100) == data[100:]
        assert proxy.injected["truncate"] == 2


def test_recursive_delete_batches(seaweedfs: S3Fixture) -> None:
    from concurrent.futures import ThreadPoolExecutor

    root = seaweedfs.root_uri("del")
    s = store_for(seaweedfs)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s.put(f"{root}/d/f{i:04d}", b""), range(1003)))
    s.put(f"{root}/dx", b"sibling, not below d/")
    s.delete(f"{root}/d", recursive=True)
    assert [e.name for e in s.list(root)] == ["dx"]


def test_bad_options_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.errors import ConfigError

    monkeypatch.delenv("UNSET_VAR_FOR_TEST", raising=False)
    with pytest.raises(ConfigError, match="UNSET_VAR_FOR_TEST"):
        from_uri("s3://b", access_key_id_env="UNSET_VAR_FOR_TEST", secret_access_key_env="UNSET_VAR_FOR_TEST")
    with pytest.raises(ConfigError, match="5 MiB"):
        from_uri("s3://b", part_size=1024)
    with pytest.raises(StorageError):
        S3Storage().writer("s3://b/dir/")


# -- the lean PUT path (small objects over plain http: our own SigV4, UNSIGNED-PAYLOAD + CRC32C) --------


@pytest.mark.s3
def test_lean_put_roundtrips_awkward_keys(seaweedfs: Any) -> None:
    from migrate.storage import open_storage

    root = seaweedfs.root_uri("lean")
    store = open_storage(root, **seaweedfs.options)
    assert store._lean is not None, "small PUTs over http take the lean path"  # type: ignore[attr-defined]
    names = ["plus+eq=amp&pct%tilde~", "bang!quote'paren()star*", "comma,semi;colon:at@dollar$",
             "空格 and spaces"]  # (no "a//b": SeaweedFS's filer folds it to "a/b" in listings)
    for i, name in enumerate(names):
        uri = f"{root}/k/{name}"
        result = store.put(uri, f"value {i}".encode())
        assert store.read_bytes(uri) == f"value {i}".encode()
        assert store.stat(uri).size == result.info.size
    assert sorted(e.uri for e in store.walk(f"{root}/k")) == sorted(f"{root}/k/{n}" for n in names)


@pytest.mark.s3
def test_lean_put_wrong_secret_is_an_auth_error(seaweedfs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.errors import AuthError
    from migrate.storage import open_storage

    root = seaweedfs.root_uri("leanauth")
    monkeypatch.setenv("LEAN_WRONG_SECRET", "lean-wrong-secret-value")
    opts = dict(seaweedfs.options, secret_access_key_env="LEAN_WRONG_SECRET")
    store = open_storage(root, **opts)
    with pytest.raises(AuthError) as err:
        store.put(f"{root}/x", b"small body")
    assert "lean-wrong-secret-value" not in str(err.value)


@pytest.mark.s3
def test_lean_put_dead_endpoint_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    from migrate.errors import EndpointUnreachable
    from migrate.storage import open_storage

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("LEAN_KEY", "k")
    monkeypatch.setenv("LEAN_SECRET", "s")
    store = open_storage("s3://b/x", endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1",
                         access_key_id_env="LEAN_KEY", secret_access_key_env="LEAN_SECRET")
    start = time.monotonic()
    with pytest.raises(EndpointUnreachable):
        store.put("s3://b/x", b"small body")
    assert time.monotonic() - start < 15


def test_reserved_part_room_always_comes_back(seaweedfs: S3Fixture) -> None:
    """A copy reserves room for a part before reading it; every outcome gives the room back."""
    root = seaweedfs.root_uri("reserve")
    s = store_for(seaweedfs, part_size=5 * MiB, max_concurrency=2)
    full = s._parts_in_flight._value
    with s.writer(f"{root}/small.bin") as w:  # reserved, then the source was small: one PUT
        w.reserve_part()  # type: ignore[attr-defined]
        w.write(b"x" * 10)
    with s.writer(f"{root}/big.bin") as w:  # reserved and used by a part, then by the tail
        w.reserve_part()  # type: ignore[attr-defined]
        w.write(bytes(5 * MiB))
        w.reserve_part()  # type: ignore[attr-defined]
        w.write(b"tail")
    with pytest.raises(RuntimeError), s.writer(f"{root}/gone.bin") as w:  # reserved, then aborted
        w.reserve_part()  # type: ignore[attr-defined]
        raise RuntimeError("boom")
    deadline = time.monotonic() + 5  # part slots are released by the futures' done callbacks
    while s._parts_in_flight._value != full and time.monotonic() < deadline:
        time.sleep(0.01)
    assert s._parts_in_flight._value == full
    assert s.stat(f"{root}/small.bin").size == 10 and s.stat(f"{root}/big.bin").size == 5 * MiB + 4
    with pytest.raises(NotFound):
        s.stat(f"{root}/gone.bin")
    assert s.list_multipart_uploads(root) == []


def test_parts_in_flight_are_bounded_in_bytes(seaweedfs: S3Fixture) -> None:
    """However many parts the concurrency allows, a store keeps at most UPLOAD_BUFFER_BYTES of them in flight."""
    from migrate.storage.s3 import UPLOAD_BUFFER_BYTES

    assert store_for(seaweedfs, part_size=5 * MiB, max_concurrency=3).parts_in_flight_max == 6
    big = store_for(seaweedfs, part_size=64 * MiB, max_concurrency=8)
    assert big.parts_in_flight_max * big.part_size <= UPLOAD_BUFFER_BYTES
    assert store_for(seaweedfs, part_size=5120 * MiB).parts_in_flight_max == 1  # never zero


def test_send_file_uploads_local_files_as_one_put_or_parts(seaweedfs: S3Fixture, tmp_path: Any) -> None:
    """A local file goes up by sendfile(2): hashed once (content checksum and each part's CRC32C)."""
    root = seaweedfs.root_uri("sendfile")
    s = store_for(seaweedfs, part_size=5 * MiB, max_concurrency=2)
    for name, size, algorithm in [("small.bin", 3 * MiB, "crc32c"), ("big.bin", 12 * MiB + 5, "crc32c"),
                                  ("exact.bin", 10 * MiB, "sha256"), ("empty.bin", 0, "crc32c")]:
        data = random.Random(size).randbytes(size)
        path = tmp_path / name
        path.write_bytes(data)
        seen: list[int] = []
        with open(path, "rb") as f, s.writer(f"{root}/{name}", algorithm) as w:
            assert w.accepts_file()  # type: ignore[attr-defined]
            assert w.send_file(f.fileno(), size, str(path), progress=seen.append) == size  # type: ignore[attr-defined]
            if size > 5 * MiB:
                assert [u.key for u in s.list_multipart_uploads(root)] == [name]
            assert not s.exists(f"{root}/{name}")  # nothing visible before commit
        h = checksums.new(algorithm)
        h.update(data)
        assert w.result is not None and w.result.checksum == f"{algorithm}:{h.hexdigest()}"
        assert sum(seen) == size and s.read_bytes(f"{root}/{name}") == data
    assert s.list_multipart_uploads(root) == []


def test_send_file_with_content_md5_for_endpoints_refusing_crc(seaweedfs: S3Fixture, tmp_path: Any) -> None:
    root = seaweedfs.root_uri("sendfile-md5")
    s = store_for(seaweedfs, part_size=5 * MiB)
    s.body_checksum = "md5"  # as after an endpoint refused x-amz-checksum-crc32c
    data = random.Random(1).randbytes(7 * MiB)
    (tmp_path / "f").write_bytes(data)
    with open(tmp_path / "f", "rb") as f, s.writer(f"{root}/f") as w:
        w.send_file(f.fileno(), len(data), "f")  # type: ignore[attr-defined]
    assert s.read_bytes(f"{root}/f") == data


@pytest.mark.parametrize("size", [2 * MiB, 7 * MiB], ids=["put", "multipart"])
def test_send_file_source_changed_after_hashing_publishes_nothing(seaweedfs: S3Fixture, tmp_path: Any,
                                                                 size: int) -> None:
    """The server checks the CRC32C taken while hashing: bytes changed before they were sent are refused,
    a file that shrank sends short; either way nothing appears and no upload is left behind."""
    root = seaweedfs.root_uri("sendfile-change")
    s = store_for(seaweedfs, part_size=5 * MiB, max_concurrency=2)  # both parts queue behind the blockers
    for how in ("rewritten", "truncated"):
        path = tmp_path / how
        path.write_bytes(random.Random(2).randbytes(size))
        uri = f"{root}/{how}"
        with pytest.raises(StorageError) as err, open(path, "rb") as f, s.writer(uri) as w:
            block = threading.Event()
            if size > 5 * MiB:  # hold the part uploads until the file has changed
                for _ in range(s.parts_in_flight_max):
                    s._parts_pool().submit(block.wait, 10)
            w.send_file(f.fileno(), size, str(path))  # type: ignore[attr-defined]
            if how == "rewritten":
                with open(path, "r+b") as g:
                    g.write(b"changed!")
            else:
                os.truncate(path, size - 100)
            block.set()
        assert how in str(err.value)  # names the file: the source (it shrank) or the target (BadDigest)
        assert not s.exists(uri)
    assert s.list_multipart_uploads(root) == []


@pytest.mark.parametrize("same_object", [True, False], ids=["ours", "older-version"])
def test_completion_whose_answer_was_lost(seaweedfs: S3Fixture, monkeypatch: pytest.MonkeyPatch,
                                          same_object: bool) -> None:
    """The server completed the upload but the answer was lost: the retry finds NoSuchUpload. The
    object counts as ours only if its composite CRC32C is what our parts make."""
    import botocore.exceptions as be

    from migrate.storage.s3 import _LeanClient

    root = seaweedfs.root_uri("lostanswer")
    s = store_for(seaweedfs, part_size=5 * MiB)
    s.retry_policy = RetryPolicy(attempts=3, base_delay=0.05)
    assert s._lean is not None
    uri = f"{root}/obj.bin"
    data = random.Random(3).randbytes(12 * MiB)
    real = _LeanClient.complete
    calls = []

    def complete_then_lose_answer(self: Any, bucket: str, key: str, upload_id: str, parts: Any) -> Any:
        calls.append(upload_id)
        if len(calls) == 1:
            if same_object:
                real(self, bucket, key, upload_id, parts)
            else:  # another upload of other bytes of the same size lands instead
                c = seaweedfs.client()
                c.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
                calls.extend(["other", "other"])  # its completion goes through unharmed
                with s.writer(uri) as other:
                    other.write(bytes(len(data)))
                del calls[1:]
            raise be.ConnectionClosedError(endpoint_url=s.endpoint)
        if len(calls) == 2:  # as S3 answers a retry of a completed upload (SeaweedFS would repeat 200)
            raise be.ClientError({"Error": {"Code": "NoSuchUpload", "Message": "gone"},
                                  "ResponseMetadata": {"HTTPStatusCode": 404}}, "CompleteMultipartUpload")
        return real(self, bucket, key, upload_id, parts)

    monkeypatch.setattr(_LeanClient, "complete", complete_then_lose_answer)
    if same_object:
        with s.writer(uri) as w:
            w.write(data)
        assert s.read_bytes(uri) == data and len(calls) == 2
    else:
        with pytest.raises(StorageError), s.writer(uri) as w:
            w.write(data)
        assert s.read_bytes(uri) == bytes(len(data))  # the other upload's object, not claimed as ours
