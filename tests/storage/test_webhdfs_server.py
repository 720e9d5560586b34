"""The WebHDFS protocol test server (raw HTTP and HdfsCLI) and the webhdfs:// storage backend."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hdfs import InsecureClient
from hdfs.util import HdfsError

from migrate.devservers import webhdfs as dev
from migrate.devservers.webhdfs import WebHdfsServer, hdfs_file_checksum
from migrate.errors import (
    AuthError,
    ConfigError,
    EndpointUnreachable,
    NotFound,
    StorageError,
    TransientStorageError,
)
from migrate.storage import open_storage
from migrate.storage.webhdfs import WebHdfsStorage, from_uri

from ..fixtures.webhdfs import BATCH_SIZE, WebHdfsHandle

pytestmark = pytest.mark.webhdfs


def api(srv: WebHdfsHandle | WebHdfsServer, path: str) -> str:
    return f"{srv.url}/webhdfs/v1{quote(path, safe='/')}"


def remote(resp: requests.Response) -> dict[str, Any]:
    body = resp.json()["RemoteException"]
    assert set(body) == {"exception", "javaClassName", "message"}
    return dict(body)


def put_local(root: Path, rel: str, data: bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


@pytest.fixture
def folder(webhdfs_server: WebHdfsHandle, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh HDFS folder (path) for one test."""
    path = f"/t/{request.node.name.split('[')[0]}-{os.urandom(3).hex()}"
    (webhdfs_server.local_dir / path.lstrip("/")).mkdir(parents=True)
    yield path


@pytest.fixture
def store(webhdfs_server: WebHdfsHandle) -> WebHdfsStorage:
    s = open_storage(webhdfs_server.root_uri, **webhdfs_server.options)
    assert isinstance(s, WebHdfsStorage)
    return s


# ------------------------------------------------------------------------------------ protocol, raw


def test_open_redirects_to_datanode_with_range(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    data = bytes(range(256)) * 40
    put_local(webhdfs_server.local_dir, folder.lstrip("/") + "/f.bin", data)
    params: dict[str, Any] = {"op": "OPEN", "user.name": "tester", "offset": 100, "length": 1000}
    r = requests.get(api(webhdfs_server, folder + "/f.bin"), params=params, allow_redirects=False, timeout=10)
    assert r.status_code == 307
    loc = r.headers["Location"]
    assert "/datanode/webhdfs/v1/" in loc and "token=" in loc
    r2 = requests.get(loc, timeout=10)
    assert r2.status_code == 200 and r2.content == data[100:1100]
    assert r2.headers["Content-Length"] == "1000"
    # A token does not cover another range.
    forged = loc.replace("offset=100", "offset=0")
    r3 = requests.get(forged, timeout=10)
    assert r3.status_code == 403 and remote(r3)["exception"] == "InvalidToken"
    # Past the end, as HDFS: EOFException.
    r4 = requests.get(api(webhdfs_server, folder + "/f.bin"),
                      params={"op": "OPEN", "user.name": "tester", "offset": str(len(data) + 1)}, timeout=10)
    assert r4.status_code == 403 and remote(r4)["exception"] == "EOFException"
    # noredirect=true gives the Location in JSON.
    r5 = requests.get(api(webhdfs_server, folder + "/f.bin"),
                      params={"op": "OPEN", "user.name": "tester", "noredirect": "true"}, timeout=10)
    assert r5.status_code == 200 and "/datanode/" in r5.json()["Location"]


def test_remote_exception_shape_and_status(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    r = requests.get(api(webhdfs_server, folder + "/missing"), params={"op": "GETFILESTATUS"}, timeout=10)
    assert r.status_code == 404
    assert remote(r) == {"exception": "FileNotFoundException",
                         "javaClassName": "java.io.FileNotFoundException",
                         "message": f"File does not exist: {folder}/missing"}
    r = requests.get(api(webhdfs_server, folder), params={"op": "NOSUCHOP"}, timeout=10)
    assert r.status_code == 400
    err = remote(r)
    assert err["exception"] == "IllegalArgumentException" and "NOSUCHOP" in err["message"]
    r = requests.put(api(webhdfs_server, folder), params={"op": "GETFILESTATUS"}, timeout=10)  # wrong method
    assert r.status_code == 400
    r = requests.put(api(webhdfs_server, folder + "/x"), params={"op": "RENAME"}, timeout=10)
    assert r.status_code == 400 and "destination" in remote(r)["message"]
    r = requests.get(api(webhdfs_server, "/a/../etc"), params={"op": "GETFILESTATUS"}, timeout=10)
    assert r.status_code in (400, 404)  # never outside the root


def test_filestatus_fields(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    put_local(webhdfs_server.local_dir, folder.lstrip("/") + "/f.txt", b"hello")
    r = requests.get(api(webhdfs_server, folder + "/f.txt"), params={"op": "GETFILESTATUS"}, timeout=10)
    st = r.json()["FileStatus"]
    assert {"accessTime", "blockSize", "childrenNum", "fileId", "group", "length", "modificationTime",
            "owner", "pathSuffix", "permission", "replication", "type"} <= set(st)
    assert st["type"] == "FILE" and st["length"] == 5 and st["pathSuffix"] == ""
    assert st["permission"].isdigit() and int(st["permission"], 8) <= 0o1777
    assert abs(st["modificationTime"] / 1000 - time.time()) < 60
    d = requests.get(api(webhdfs_server, folder), params={"op": "GETFILESTATUS"}, timeout=10).json()
    d = d["FileStatus"]
    assert d["type"] == "DIRECTORY" and d["childrenNum"] == 1 and d["length"] == 0


def test_liststatus_batch_pages(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    names = [f"f{i:02d}" for i in range(10)] + ["日志", "a b", "Z"]
    for n in names:
        put_local(webhdfs_server.local_dir, f"{folder.lstrip('/')}/{n}", n.encode())
    full = requests.get(api(webhdfs_server, folder), params={"op": "LISTSTATUS"}, timeout=10).json()
    all_names = [s["pathSuffix"] for s in full["FileStatuses"]["FileStatus"]]
    assert all_names == sorted(names, key=lambda n: n.encode())
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        params: dict[str, Any] = {"op": "LISTSTATUS_BATCH", **({"startAfter": after} if after else {})}
        body = requests.get(api(webhdfs_server, folder), params=params, timeout=10).json()["DirectoryListing"]
        page = [s["pathSuffix"] for s in body["partialListing"]["FileStatuses"]["FileStatus"]]
        pages += 1
        assert len(page) <= BATCH_SIZE
        seen += page
        assert body["remainingEntries"] == len(names) - len(seen)
        if not body["remainingEntries"]:
            break
        after = page[-1]
    assert seen == all_names and pages == -(-len(names) // BATCH_SIZE)


def test_create_two_step_chunked_and_overwrite(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    url = api(webhdfs_server, folder + "/new dir/c.bin")
    r = requests.put(url, params={"op": "CREATE", "user.name": "tester"}, allow_redirects=False, timeout=10)
    assert r.status_code == 307
    parts = [os.urandom(70_000) for _ in range(5)]
    r2 = requests.put(r.headers["Location"], data=iter(parts), timeout=10)  # chunked transfer encoding
    assert r2.status_code == 201
    local = webhdfs_server.local_dir / folder.lstrip("/") / "new dir" / "c.bin"
    assert local.read_bytes() == b"".join(parts)
    # overwrite=false (the default): FileAlreadyExistsException, 403, already at the namenode step.
    r3 = requests.put(url, params={"op": "CREATE"}, allow_redirects=False, timeout=10)
    assert r3.status_code == 403 and remote(r3)["exception"] == "FileAlreadyExistsException"
    r4 = requests.put(url, params={"op": "CREATE", "overwrite": "true"}, allow_redirects=False, timeout=10)
    assert r4.status_code == 307
    assert requests.put(r4.headers["Location"], data=b"short", timeout=10).status_code == 201
    assert local.read_bytes() == b"short"
    # Under a file: ParentNotDirectoryException.
    r5 = requests.put(api(webhdfs_server, folder + "/new dir/c.bin/x"), params={"op": "CREATE"},
                      allow_redirects=False, timeout=10)
    assert r5.status_code == 403 and remote(r5)["exception"] == "ParentNotDirectoryException"


def test_interrupted_create_leaves_no_file(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    url = api(webhdfs_server, folder + "/cut.bin")
    loc = requests.put(url, params={"op": "CREATE"}, allow_redirects=False, timeout=10).headers["Location"]
    host, port = webhdfs_server.url.removeprefix("http://").split(":")
    target = loc.split(f"{host}:{port}", 1)[1]
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"PUT {target} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 1000\r\n\r\n".encode()
                  + b"x" * 10)
    local = webhdfs_server.local_dir / folder.lstrip("/") / "cut.bin"
    deadline = time.monotonic() + 5
    while local.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not local.exists()


def test_rename_delete_mkdirs_semantics(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    root = webhdfs_server.local_dir / folder.lstrip("/")
    put_local(root, "a", b"a")
    put_local(root, "b", b"b")
    (root / "d").mkdir()

    def rename(src: str, dst: str) -> Any:
        r = requests.put(api(webhdfs_server, f"{folder}/{src}"),
                         params={"op": "RENAME", "destination": f"{folder}/{dst}"}, timeout=10)
        assert r.status_code == 200
        return r.json()["boolean"]

    assert rename("a", "b") is False  # HDFS rename never overwrites
    assert rename("missing", "z") is False
    assert rename("a", "d") is True and (root / "d" / "a").exists()  # into an existing folder
    assert rename("b", "c ü") is True and (root / "c ü").read_bytes() == b"b"

    def delete(rel: str, recursive: bool) -> requests.Response:
        return requests.delete(api(webhdfs_server, f"{folder}/{rel}"),
                               params={"op": "DELETE", "recursive": str(recursive).lower()}, timeout=10)

    r = delete("d", False)
    assert r.status_code == 403 and remote(r)["exception"] == "PathIsNotEmptyDirectoryException"
    assert delete("d", True).json() == {"boolean": True}
    assert delete("d", True).json() == {"boolean": False}
    r = requests.put(api(webhdfs_server, f"{folder}/m/n"), params={"op": "MKDIRS", "permission": "750"},
                     timeout=10)
    assert r.json() == {"boolean": True} and (root / "m" / "n").is_dir()
    r = requests.put(api(webhdfs_server, f"{folder}/c ü"), params={"op": "MKDIRS"}, timeout=10)
    assert r.status_code == 403 and remote(r)["exception"] == "FileAlreadyExistsException"


def test_content_summary_and_home(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    root = webhdfs_server.local_dir / folder.lstrip("/")
    put_local(root, "x/1", b"12")
    put_local(root, "x/y/2", b"345")
    cs = requests.get(api(webhdfs_server, folder + "/x"), params={"op": "GETCONTENTSUMMARY"},
                      timeout=10).json()["ContentSummary"]
    assert (cs["directoryCount"], cs["fileCount"], cs["length"], cs["quota"]) == (2, 2, 5, -1)
    home = requests.get(api(webhdfs_server, "/"), params={"op": "GETHOMEDIRECTORY", "user.name": "ann"},
                        timeout=10)
    assert home.json() == {"Path": "/user/ann"}


# ------------------------------------------------------------------------------------ checksums


def test_checksum_matches_hdfs_reference_values(tmp_path: Path) -> None:
    # Values HDFS's own tests expect: an empty file and b"world\n" (one block, CRC32C).
    empty = put_local(tmp_path, "empty", b"")
    algorithm, raw = hdfs_file_checksum(empty)
    assert algorithm == "MD5-of-0MD5-of-0CRC32" and raw[12:].hex() == "70bc8f4b72a86921468bf8e8441dce51"
    world = put_local(tmp_path, "world", b"world\n")
    algorithm, raw = hdfs_file_checksum(world)
    assert algorithm == "MD5-of-0MD5-of-512CRC32C"
    assert raw.hex() == "00000200" + "0" * 16 + "a74dcf6d5ba98e50ae0182c9d5d886fe"


def test_crc32c_fallback_agrees() -> None:
    assert dev._crc32c_pure(b"123456789") == 0xE3069283  # the CRC-32C check value
    data = os.urandom(3000)
    assert dev._crc32c_pure(data) == dev.crc32c(data)


def test_getfilechecksum_shape_multiblock_and_determinism(tmp_path: Path) -> None:
    data = os.urandom(2500)  # 3 blocks of 1024 bytes, the last partial
    put_local(tmp_path, "m.bin", data)
    with WebHdfsServer(tmp_path, block_size=1024) as srv:
        url = api(srv, "/m.bin")
        r = requests.get(url, params={"op": "GETFILECHECKSUM"}, allow_redirects=False, timeout=10)
        assert r.status_code == 307 and "/datanode/" in r.headers["Location"]
        fc = requests.get(url, params={"op": "GETFILECHECKSUM"}, timeout=10).json()["FileChecksum"]
        again = requests.get(url, params={"op": "GETFILECHECKSUM"}, timeout=10).json()["FileChecksum"]
    assert fc == again
    assert fc["algorithm"] == "MD5-of-2MD5-of-512CRC32C" and fc["length"] == 28 and len(fc["bytes"]) == 56
    # Independent recomputation: block MD5s of big-endian CRC32Cs, padded to HDFS's 64-byte buffer.
    blocks = []
    for b in range(0, len(data), 1024):
        block = data[b : b + 1024]
        crcs = b"".join(dev.crc32c(block[i : i + 512]).to_bytes(4, "big") for i in range(0, len(block), 512))
        blocks.append(hashlib.md5(crcs).digest())
    joined = b"".join(blocks)
    expected = hashlib.md5(joined + bytes(64 - len(joined))).hexdigest()
    assert fc["bytes"] == "00000200" + (2).to_bytes(8, "big").hex() + expected


# ------------------------------------------------------------------------------------ HdfsCLI


def test_hdfscli_roundtrip(webhdfs_server: WebHdfsHandle, folder: str) -> None:
    client = InsecureClient(webhdfs_server.url, user="tester")
    client.write(f"{folder}/h/one.txt", data=b"one")
    client.write(f"{folder}/h/gen.bin", data=(bytes([i]) * 1000 for i in range(20)))  # chunked
    client.makedirs(f"{folder}/h/sub dir")
    assert client.list(f"{folder}/h") == ["gen.bin", "one.txt", "sub dir"]
    assert client.status(f"{folder}/h/gen.bin")["length"] == 20_000
    with client.read(f"{folder}/h/gen.bin", offset=995, length=10) as reader:
        assert reader.read() == b"\x00" * 5 + b"\x01" * 5
    with pytest.raises(HdfsError) as err:
        client.write(f"{folder}/h/one.txt", data=b"again")
    assert err.value.exception == "FileAlreadyExistsException"
    client.write(f"{folder}/h/one.txt", data=b"1", overwrite=True)
    client.write(f"{folder}/h/one.txt", data=b"23", append=True)
    with client.read(f"{folder}/h/one.txt") as reader:
        assert reader.read() == b"123"
    assert client.checksum(f"{folder}/h/one.txt")["algorithm"] == "MD5-of-0MD5-of-512CRC32C"
    assert client.content(f"{folder}/h")["fileCount"] == 2
    client.rename(f"{folder}/h/one.txt", f"{folder}/h/sub dir/ü.txt")
    assert [p for p, _, _ in client.walk(f"{folder}/h")] == [f"{folder}/h", f"{folder}/h/sub dir"]
    with pytest.raises(HdfsError):
        client.status(f"{folder}/h/one.txt")
    assert client.delete(f"{folder}/h", recursive=True)


def test_simple_auth(webhdfs_auth_server: WebHdfsHandle) -> None:
    url = api(webhdfs_auth_server, "/")
    ok = requests.get(url, params={"op": "GETFILESTATUS", "user.name": "tester"}, timeout=10)
    assert ok.status_code == 200
    r = requests.get(url, params={"op": "GETFILESTATUS"}, timeout=10)
    assert r.status_code == 401 and "wrong credentials" in remote(r)["message"]
    r = requests.get(url, params={"op": "GETFILESTATUS", "user.name": "mallory"}, timeout=10)
    assert r.status_code == 403
    assert remote(r)["exception"] == "AccessControlException" and "wrong credentials" in remote(r)["message"]
    with pytest.raises(HdfsError) as err:
        InsecureClient(webhdfs_auth_server.url, user="mallory").status("/")
    assert err.value.exception == "AccessControlException"
    good = InsecureClient(webhdfs_auth_server.url, user="tester")
    good.write("/auth/ok.txt", data=b"ok", overwrite=True)
    with good.read("/auth/ok.txt") as reader:
        assert reader.read() == b"ok"


def test_subprocess_entry_point(tmp_path: Path) -> None:
    put_local(tmp_path, "hello.txt", b"hi")
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrate.devservers.webhdfs", "--root", str(tmp_path), "--port", "0",
         "--batch-size", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = requests.get(f"{url}/webhdfs/v1/hello.txt", params={"op": "OPEN"}, timeout=10)
        assert r.content == b"hi"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert rc == 0


# ------------------------------------------------------------------------------------ backend


def test_backend_ranged_reads(store: WebHdfsStorage, webhdfs_server: WebHdfsHandle, folder: str) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    uri = webhdfs_server.root_uri + folder.lstrip("/") + "/r.bin"
    store.put(uri, data)
    assert store.read_bytes(uri, 10, 100) == data[10:110]
    assert store.read_bytes(uri, (1 << 20) - 5, 10) == data[(1 << 20) - 5 : (1 << 20) + 5]
    assert store.read_bytes(uri, len(data) - 4) == data[-4:]
    assert store.read_bytes(uri, 5, 0) == b""
    assert store.read_bytes(uri, len(data)) == b""
    assert store.read_bytes(uri, len(data) + 10) == b""  # like a local file, not an error
    with store.open(uri, 1000) as f:
        assert f.read(5) == data[1000:1005] and f.read(5) == data[1005:1010]


def test_backend_atomic_writer(store: WebHdfsStorage, webhdfs_server: WebHdfsHandle, folder: str) -> None:
    base = webhdfs_server.root_uri + folder.lstrip("/")
    local = webhdfs_server.local_dir / folder.lstrip("/")
    uri = base + "/w/target.bin"
    store.put(uri, b"old")
    w = store.writer(uri)
    w.write(b"new " * 1000)
    # In flight: only the hidden temp exists beside the old file (the upload runs on a thread).
    assert store.read_bytes(uri) == b"old"
    deadline = time.monotonic() + 5
    while not any(".migrate-tmp-" in p.name for p in (local / "w").iterdir()):
        assert time.monotonic() < deadline, "the temp file never appeared"
        time.sleep(0.02)
    w.abort()
    assert store.read_bytes(uri) == b"old"
    assert sorted(p.name for p in (local / "w").iterdir()) == ["target.bin"]
    # A failure inside `with` aborts too; a folder at the target refuses the commit.
    with pytest.raises(ZeroDivisionError), store.writer(base + "/w/never.bin") as w2:
        w2.write(b"x")
        _ = 1 / 0
    store.makedirs(base + "/w/adir")
    with pytest.raises(StorageError, match="folder"):
        store.put(base + "/w/adir", b"x")
    assert sorted(p.name for p in (local / "w").iterdir()) == ["adir", "target.bin"]
    result = store.put(uri, iter([b"a" * 10, b"b" * 5]), "sha256")
    assert result.info.size == 15
    assert result.checksum == "sha256:" + hashlib.sha256(b"a" * 10 + b"b" * 5).hexdigest()
    assert (local / "w" / "target.bin").read_bytes() == b"a" * 10 + b"b" * 5


def test_backend_listing_paging_and_errors(store: WebHdfsStorage, webhdfs_server: WebHdfsHandle,
                                           folder: str) -> None:
    base = webhdfs_server.root_uri + folder.lstrip("/")
    for i in range(8):
        put_local(webhdfs_server.local_dir, f"{folder.lstrip('/')}/p/f{i} ü", b"x" * i)
    entries = list(store.list(base + "/p"))
    assert [e.name for e in entries] == [f"f{i} ü" for i in range(8)]
    assert entries[3].uri == base + "/p/f3 ü" and entries[3].size == 3
    with pytest.raises(NotFound):
        list(store.list(base + "/p/f1 ü"))  # a file is not a folder
    with pytest.raises(NotFound, match="nope"):
        list(store.list(base + "/nope"))
    with pytest.raises(NotFound):
        store.stat(base + "/nope")
    with pytest.raises(NotFound):
        store.read_bytes(base + "/nope")
    with pytest.raises(StorageError, match="this store serves"):
        store.stat("webhdfs://elsewhere:1/x")
    root_names = {e.name for e in store.list(webhdfs_server.root_uri)}
    assert "t" in root_names and all(e.uri.count("//") == 1 for e in store.list(webhdfs_server.root_uri))


def test_backend_native_checksum(store: WebHdfsStorage, webhdfs_server: WebHdfsHandle, folder: str) -> None:
    uri = webhdfs_server.root_uri + folder.lstrip("/") + "/world.txt"
    store.put(uri, b"world\n")
    assert store.native_checksum(uri) == ("hdfs-md5md5crc32c:00000200" + "0" * 16
                                          + "a74dcf6d5ba98e50ae0182c9d5d886fe")
    assert store.stat(uri).native_checksum is None  # stat stays one cheap GETFILESTATUS


def test_backend_falls_back_to_liststatus(tmp_path: Path) -> None:
    for i in range(5):
        put_local(tmp_path, f"d/{i}", b"")
    with WebHdfsServer(tmp_path, batch_size=2, disabled_ops={"LISTSTATUS_BATCH"}) as srv:
        s = from_uri(f"webhdfs://127.0.0.1:{srv.port}/", user="u")
        assert [e.name for e in s.list(f"webhdfs://127.0.0.1:{srv.port}/d")] == ["0", "1", "2", "3", "4"]
        assert s._batch_ok is False
        s.close()


def test_backend_hdfs_scheme_needs_url(webhdfs_server: WebHdfsHandle) -> None:
    with pytest.raises(ConfigError, match="url"):
        from_uri("hdfs://nameservice1/data")
    s = open_storage("hdfs://nameservice1/", url=webhdfs_server.url, user="tester")
    s.put("hdfs://nameservice1/t/via-hdfs-scheme.txt", b"ok")
    assert s.read_bytes("hdfs://nameservice1/t/via-hdfs-scheme.txt") == b"ok"
    assert (webhdfs_server.local_dir / "t" / "via-hdfs-scheme.txt").read_bytes() == b"ok"
    s.delete("hdfs://nameservice1/t/via-hdfs-scheme.txt")


def test_backend_wrong_user_is_auth_error(webhdfs_auth_server: WebHdfsHandle) -> None:
    s = from_uri(webhdfs_auth_server.root_uri, user="intruder")
    with pytest.raises(AuthError) as err:
        s.stat(webhdfs_auth_server.root_uri + "anything")
    msg = str(err.value)
    assert "intruder" in msg and "wrong credentials" in msg and webhdfs_auth_server.url in msg
    with pytest.raises(AuthError):
        s.put(webhdfs_auth_server.root_uri + "x.bin", b"x")
    ok = from_uri(webhdfs_auth_server.root_uri, user="tester")
    ok.put(webhdfs_auth_server.root_uri + "auth-ok/x.bin", b"x")
    assert ok.read_bytes(webhdfs_auth_server.root_uri + "auth-ok/x.bin") == b"x"


def test_backend_dead_port_is_unreachable_fast() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = from_uri(f"webhdfs://127.0.0.1:{port}/", user="u", timeout=5)
    start = time.monotonic()
    with pytest.raises(EndpointUnreachable) as err:
        s.stat(f"webhdfs://127.0.0.1:{port}/x")
    assert time.monotonic() - start < 10
    assert f"127.0.0.1:{port}" in str(err.value)
    with pytest.raises(EndpointUnreachable):
        s.writer(f"webhdfs://127.0.0.1:{port}/x")


def test_backend_server_error_is_transient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: Any, hdfs_path: str, user: str | None) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(dev._Handler, "_nn_getfilestatus", boom)
    with WebHdfsServer(tmp_path) as srv:
        s = from_uri(f"webhdfs://127.0.0.1:{srv.port}/", user="u")
        with pytest.raises(TransientStorageError, match="500"):
            s.stat(f"webhdfs://127.0.0.1:{srv.port}/x")
        s.close()


def test_stopped_server_answers_nothing(tmp_path: Path) -> None:
    srv = WebHdfsServer(tmp_path).start()
    s = from_uri(f"webhdfs://127.0.0.1:{srv.port}/", user="u")
    s.put(f"webhdfs://127.0.0.1:{srv.port}/a", b"a")  # leaves kept-alive connections in the pool
    srv.stop()
    with pytest.raises(EndpointUnreachable):
        s.stat(f"webhdfs://127.0.0.1:{srv.port}/a")
    s.close()
