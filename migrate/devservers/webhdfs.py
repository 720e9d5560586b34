"""A WebHDFS protocol server over a local folder: a protocol-level test server, NOT HDFS.

It speaks the Hadoop WebHDFS REST API (``/webhdfs/v1/<path>?op=...&user.name=...``) closely enough for
HdfsCLI (the ``hdfs`` package) and ``migrate.storage.webhdfs`` to be tested against it: the two-step
OPEN/CREATE/APPEND/GETFILECHECKSUM dance (a 307 from the "namenode" endpoint to a "datanode" URL on the
same server, carrying a signed token), LISTSTATUS_BATCH paging, HDFS's rename/delete semantics, JSON
``RemoteException`` error bodies with the status codes Hadoop uses, simple (``user.name``) auth, and
GETFILECHECKSUM computed like HDFS (MD5 of block MD5s of per-512-byte CRC32Cs).

It is not HDFS: no blocks, replicas, leases, quotas, ACLs, Kerberos or delegation tokens; owners and
permissions come from the local filesystem; a file being written is visible as it grows.

In-process::

    with WebHdfsServer(Path("/tmp/root"), batch_size=3) as srv:
        srv.url  # "http://127.0.0.1:PORT"

As a process: ``python -m migrate.devservers.webhdfs --root DIR --port N`` prints the URL on its first
line of stdout and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import stat as stat_mod
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

NN_PREFIX = "/webhdfs/v1"
DN_PREFIX = "/datanode/webhdfs/v1"
CHUNK = 1 << 20
BYTES_PER_CRC = 512
DEFAULT_BLOCK_SIZE = 128 << 20

# op -> HTTP method, as in Hadoop's GetOpParam/PutOpParam/PostOpParam/DeleteOpParam enums.
OPS: dict[str, str] = {
    "OPEN": "GET", "GETFILESTATUS": "GET", "LISTSTATUS": "GET", "LISTSTATUS_BATCH": "GET",
    "GETCONTENTSUMMARY": "GET", "GETFILECHECKSUM": "GET", "GETHOMEDIRECTORY": "GET",
    "CREATE": "PUT", "MKDIRS": "PUT", "RENAME": "PUT",
    "APPEND": "POST",
    "DELETE": "DELETE",
}
_ENUM = {"GET": "GetOpParam", "PUT": "PutOpParam", "POST": "PostOpParam", "DELETE": "DeleteOpParam"}
# Query parameters covered by the datanode token (a forged redirect cannot change them).
_SIGNED = ("op", "user.name", "offset", "length", "overwrite", "permission", "expires", "namenoderpcaddress")


# --------------------------------------------------------------------------------------------- crc32c


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


def _crc32c_pure(data: bytes) -> int:
    # Fallback only (slow); crc32c is a declared dependency.
    table = _crc32c_table_cached()
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_crc32c_table_cached = functools.cache(_crc32c_table)

crc32c: Callable[[bytes], int]
try:
    from migrate.checksums import crc32c_value as crc32c
except ImportError:  # pragma: no cover - depends on the install
    crc32c = _crc32c_pure


def hdfs_file_checksum(path: Path, block_size: int = DEFAULT_BLOCK_SIZE) -> tuple[str, bytes]:
    """HDFS's MD5MD5CRC32 file checksum of a local file: (algorithm name, the 28 serialized bytes).

    Per block: MD5 of the big-endian CRC32C of each 512-byte chunk. Per file: MD5 of the block MD5s as
    HDFS digests them, i.e. the whole backing array of a Java DataOutputBuffer (32 bytes, doubling), so
    the block MD5s are zero-padded to that capacity. An empty file is HDFS's "MD5-of-0MD5-of-0CRC32" of 32
    zero bytes. Checked against the empty-file and b"world\\n" values HDFS's own tests expect.
    """
    block_md5s: list[bytes] = []
    with open(path, "rb") as f:
        while True:
            md5 = hashlib.md5()
            left = block_size
            got = 0
            while left > 0:
                data = f.read(min(left, CHUNK))
                if not data:
                    break
                crcs = [crc32c(data[i : i + BYTES_PER_CRC]) for i in range(0, len(data), BYTES_PER_CRC)]
                md5.update(struct.pack(f">{len(crcs)}I", *crcs))
                left -= len(data)
                got += len(data)
            if not got:
                break
            block_md5s.append(md5.digest())
            if left > 0:
                break
    if not block_md5s:
        return "MD5-of-0MD5-of-0CRC32", struct.pack(">iq", 0, 0) + hashlib.md5(bytes(32)).digest()
    joined = b"".join(block_md5s)
    capacity = 32
    while capacity < len(joined):
        capacity *= 2
    digest = hashlib.md5(joined + bytes(capacity - len(joined))).digest()
    # crcPerBlock is reported only for multi-block files (HDFS leaves it 0 for a single block).
    crc_per_block = -(-block_size // BYTES_PER_CRC) if len(block_md5s) > 1 else 0
    algorithm = f"MD5-of-{crc_per_block}MD5-of-{BYTES_PER_CRC}CRC32C"
    return algorithm, struct.pack(">iq", BYTES_PER_CRC, crc_per_block) + digest


# --------------------------------------------------------------------------------------------- errors


class RemoteError(Exception):
    """An error answered as Hadoop's ``{"RemoteException": {...}}`` JSON body."""

    JAVA = {
        "FileNotFoundException": "java.io.FileNotFoundException",
        "AccessControlException": "org.apache.hadoop.security.AccessControlException",
        "SecurityException": "java.lang.SecurityException",
        "IllegalArgumentException": "java.lang.IllegalArgumentException",
        "FileAlreadyExistsException": "org.apache.hadoop.fs.FileAlreadyExistsException",
        "ParentNotDirectoryException": "org.apache.hadoop.fs.ParentNotDirectoryException",
        "PathIsNotEmptyDirectoryException": "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException",
        "EOFException": "java.io.EOFException",
        "InvalidToken": "org.apache.hadoop.security.token.SecretManager$InvalidToken",
        "IOException": "java.io.IOException",
        "RuntimeException": "java.lang.RuntimeException",
    }

    def __init__(self, status: int, exception: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.exception = exception
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"RemoteException": {
            "exception": self.exception,
            "javaClassName": self.JAVA.get(self.exception, "java.io.IOException"),
            "message": self.message,
        }}


def _not_found(path: str) -> RemoteError:
    return RemoteError(404, "FileNotFoundException", f"File does not exist: {path}")


def _bad(message: str) -> RemoteError:
    return RemoteError(400, "IllegalArgumentException", message)


class _Incomplete(Exception):
    """The client stopped sending a request body before its end."""


# --------------------------------------------------------------------------------------------- state


@functools.lru_cache(maxsize=256)
def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return str(uid)


@functools.lru_cache(maxsize=256)
def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (KeyError, ImportError):
        return str(gid)


def _utf8_key(name: str) -> bytes:
    # HDFS orders children by the bytes of their UTF-8 names.
    return name.encode("utf-8", "surrogateescape")


class _State:
    """Settings and shared state of one server (the handler is per-request)."""

    def __init__(self, root: Path, batch_size: int, required_user: str | None, block_size: int,
                 disabled_ops: frozenset[str], token_ttl: float) -> None:
        self.root = root
        self.batch_size = batch_size
        self.required_user = required_user
        self.block_size = block_size
        self.disabled_ops = disabled_ops
        self.token_ttl = token_ttl
        self.secret = secrets.token_bytes(32)
        # Namespace changes (create/rename/delete/mkdirs) check then act: serialize them.
        self.ns_lock = threading.Lock()
        self.quiet = True
        self.scheme = "http"  # "https" when the server speaks TLS (datanode redirects follow it)

    def sign(self, path: str, params: dict[str, str]) -> str:
        text = path + "\n" + "\n".join(f"{k}={params.get(k, '')}" for k in _SIGNED)
        mac = hmac.new(self.secret, text.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def local(self, hdfs_path: str) -> Path:
        parts = [p for p in hdfs_path.split("/") if p]
        for p in parts:
            if p in (".", ".."):
                raise _bad(f"Invalid path name {hdfs_path}")
        return self.root.joinpath(*parts) if parts else self.root


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    state: _State

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that drop or reset a kept-alive connection are routine, not server errors.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Cut kept-alive connections too: a stopped server must not keep answering on them."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


# --------------------------------------------------------------------------------------------- handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries a Content-Length
    server_version = "migrate-webhdfs-test/1"
    timeout = 300  # an idle client connection is dropped after this many seconds
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms stalls

    server: _HTTPServer

    # ---- plumbing

    @property
    def st(self) -> _State:
        return self.server.state

    def log_message(self, format: str, *args: Any) -> None:
        if not self.st.quiet:
            super().log_message(format, *args)

    def handle_expect_100(self) -> bool:
        # Only the datanode takes data: a namenode step must not invite the body (it redirects instead).
        if self.path.startswith(DN_PREFIX):
            return super().handle_expect_100()
        return True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _has_body(self) -> bool:
        te = self.headers.get("Transfer-Encoding", "")
        return "chunked" in te.lower() or int(self.headers.get("Content-Length") or 0) > 0

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        if self._body_pending:
            # An unread request body would be parsed as the next request: drop the connection instead.
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, obj: Any, status: int = 200) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))

    def _redirect(self, location: str) -> None:
        self._send(307, b"", "application/octet-stream", {"Location": location})

    def _dispatch(self, method: str) -> None:
        self._body_pending = self._has_body()
        try:
            target, _, query = self.path.partition("?")
            self.q = {k.lower(): v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
            if target.startswith(DN_PREFIX):
                hdfs_path = self._decode(target[len(DN_PREFIX) :])
                self._datanode(method, hdfs_path)
            elif target.startswith(NN_PREFIX):
                hdfs_path = self._decode(target[len(NN_PREFIX) :])
                self._namenode(method, hdfs_path)
            else:
                raise RemoteError(404, "FileNotFoundException", f"No WebHDFS resource at {target}")
        except RemoteError as err:
            self._json(err.body(), err.status)
        except _Incomplete:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a bug here must still answer in Hadoop's shape
            self._json(RemoteError(500, "RuntimeException", f"{type(exc).__name__}: {exc}").body(), 500)

    @staticmethod
    def _decode(raw: str) -> str:
        try:
            path = unquote(raw, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise _bad(f"Invalid path: not UTF-8: {raw}") from exc
        return "/" + path.strip("/") if path.strip("/") else "/"

    def _bool(self, name: str, default: bool) -> bool:
        v = self.q.get(name)
        if v is None or v == "":
            return default
        if v.lower() in ("true", "false"):
            return v.lower() == "true"
        raise _bad(f'Invalid value for webhdfs parameter "{name}": Failed to parse "{v}" to Boolean.')

    def _int(self, name: str, default: int | None, minimum: int = 0) -> int | None:
        v = self.q.get(name)
        if v is None or v == "" or v.lower() == "null":
            return default
        try:
            n = int(v)
        except ValueError as exc:
            raise _bad(f'Invalid value for webhdfs parameter "{name}": {v}') from exc
        if n < minimum:
            raise _bad(f'Invalid value for webhdfs parameter "{name}": {n} < {minimum}')
        return n

    def _permission(self, default: int) -> int:
        v = self.q.get("permission")
        if not v:
            return default
        try:
            mode = int(v, 8)
        except ValueError as exc:
            raise _bad(f'Invalid value for webhdfs parameter "permission": {v}') from exc
        if not 0 <= mode <= 0o1777:
            raise _bad(f'Invalid value for webhdfs parameter "permission": {v}')
        return mode

    def _user(self) -> str | None:
        user = self.q.get("user.name") or None
        req = self.st.required_user
        if req is not None:
            if user is None:
                raise RemoteError(401, "SecurityException",
                                  "Failed to obtain user group information: no user.name given "
                                  "(wrong credentials)")
            if user != req:
                raise RemoteError(403, "AccessControlException",
                                  f"Permission denied: user={user}, access=ALL, inode=\"/\" "
                                  "(wrong credentials)")
        return user

    def _op(self, method: str) -> str:
        raw = self.q.get("op", "")
        op = raw.upper()
        if OPS.get(op) != method or op in self.st.disabled_ops:
            enum = _ENUM.get(method, "GetOpParam")
            raise _bad(f'Invalid value for webhdfs parameter "op": No enum constant '
                       f"org.apache.hadoop.hdfs.web.resources.{enum}.Op.{op or 'NULL'}")
        return op

    def _addr(self) -> str:
        return f"{self.server.server_address[0]!s}:{self.server.server_port}"

    def _host(self) -> str:
        # Redirect back the way the client came (its Host header), like a datanode on the same name.
        return self.headers.get("Host") or self._addr()

    def _dn_url(self, op: str, hdfs_path: str, user: str | None, **extra: str) -> str:
        params: dict[str, str] = {"op": op, "namenoderpcaddress": self._addr(),
                                  "expires": str(int(time.time() + self.st.token_ttl))}
        if user is not None:
            params["user.name"] = user
        params.update({k: v for k, v in extra.items() if v is not None})
        params["token"] = self.st.sign(hdfs_path, params)
        return (f"{self.st.scheme}://{self._host()}{DN_PREFIX}{quote(hdfs_path, safe='/')}?"
                + urlencode(params, quote_via=quote))

    def _status(self, path: Path, suffix: str, st: os.stat_result | None = None) -> dict[str, Any]:
        if st is None:
            st = path.stat()
        is_dir = stat_mod.S_ISDIR(st.st_mode)
        children = 0
        if is_dir:
            try:
                with os.scandir(path) as it:
                    children = sum(1 for _ in it)
            except OSError:
                children = 0
        return {
            "accessTime": 0 if is_dir else st.st_atime_ns // 1_000_000,
            "blockSize": 0 if is_dir else self.st.block_size,
            "childrenNum": children,
            "fileId": st.st_ino,
            "group": _group_name(st.st_gid),
            "length": 0 if is_dir else st.st_size,
            "modificationTime": st.st_mtime_ns // 1_000_000,
            "owner": _user_name(st.st_uid),
            "pathSuffix": suffix,
            "permission": format(stat_mod.S_IMODE(st.st_mode) & 0o1777, "o"),
            "replication": 0 if is_dir else 1,
            "storagePolicy": 0,
            "type": "DIRECTORY" if is_dir else "FILE",
        }

    def _stat(self, hdfs_path: str) -> tuple[Path, os.stat_result]:
        path = self.st.local(hdfs_path)
        try:
            return path, path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise _not_found(hdfs_path) from None

    def _file(self, hdfs_path: str) -> tuple[Path, os.stat_result]:
        path, st = self._stat(hdfs_path)
        if stat_mod.S_ISDIR(st.st_mode):
            raise RemoteError(404, "FileNotFoundException", f"Path is not a file: {hdfs_path}")
        return path, st

    def _check_parent(self, hdfs_path: str) -> None:
        """HDFS creates missing parents, but a parent that is a file is an error."""
        path = self.st.local(hdfs_path)
        for parent in reversed(path.parents):
            if parent == self.st.root or self.st.root not in parent.parents:
                continue
            if parent.exists() and not parent.is_dir():
                rel = "/" + parent.relative_to(self.st.root).as_posix()
                raise RemoteError(403, "ParentNotDirectoryException", f"{rel} (is not a directory)")

    # ---- namenode

    def _namenode(self, method: str, hdfs_path: str) -> None:
        user = self._user()
        op = self._op(method)
        handler = getattr(self, f"_nn_{op.lower()}")
        handler(hdfs_path, user)

    def _nn_getfilestatus(self, hdfs_path: str, user: str | None) -> None:
        path, st = self._stat(hdfs_path)
        self._json({"FileStatus": self._status(path, "", st)})

    def _children(self, path: Path) -> list[str]:
        with os.scandir(path) as it:
            return sorted((e.name for e in it), key=_utf8_key)

    def _entries(self, path: Path, names: list[str]) -> list[dict[str, Any]]:
        out = []
        for name in names:
            child = path / name
            try:
                out.append(self._status(child, name))
            except OSError:
                continue  # deleted meanwhile (or a dangling symlink)
        return out

    def _nn_liststatus(self, hdfs_path: str, user: str | None) -> None:
        path, st = self._stat(hdfs_path)
        if not stat_mod.S_ISDIR(st.st_mode):
            self._json({"FileStatuses": {"FileStatus": [self._status(path, "", st)]}})
            return
        entries = self._entries(path, self._children(path))
        self._json({"FileStatuses": {"FileStatus": entries}})

    def _nn_liststatus_batch(self, hdfs_path: str, user: str | None) -> None:
        path, st = self._stat(hdfs_path)
        if not stat_mod.S_ISDIR(st.st_mode):
            page = [self._status(path, "", st)]
            remaining = 0
        else:
            names = self._children(path)
            after = self.q.get("startafter")
            if after:
                key = _utf8_key(after)
                names = [n for n in names if _utf8_key(n) > key]
            batch = names[: self.st.batch_size]
            page = self._entries(path, batch)
            remaining = len(names) - len(batch)
        self._json({"DirectoryListing": {"partialListing": {"FileStatuses": {"FileStatus": page}},
                                         "remainingEntries": remaining}})

    def _nn_getcontentsummary(self, hdfs_path: str, user: str | None) -> None:
        path, st = self._stat(hdfs_path)
        dirs = files = length = 0
        if stat_mod.S_ISDIR(st.st_mode):
            for _top, _dnames, fnames in os.walk(path):
                dirs += 1
                files += len(fnames)
                for f in fnames:
                    with contextlib.suppress(OSError):  # deleted meanwhile
                        length += os.stat(os.path.join(_top, f)).st_size
        else:
            files, length = 1, st.st_size
        self._json({"ContentSummary": {
            "directoryCount": dirs, "fileCount": files, "length": length, "quota": -1,
            "spaceConsumed": length, "spaceQuota": -1, "typeQuota": {},
        }})

    def _nn_gethomedirectory(self, hdfs_path: str, user: str | None) -> None:
        self._json({"Path": f"/user/{user or 'dr.who'}"})

    def _maybe_redirect(self, url: str) -> None:
        # Hadoop 2.8+ answers noredirect=true with the datanode URL in JSON instead of a 307.
        if self._bool("noredirect", False):
            self._json({"Location": url})
        else:
            self._redirect(url)

    def _nn_open(self, hdfs_path: str, user: str | None) -> None:
        self._file(hdfs_path)
        offset = self._int("offset", 0)
        length = self._int("length", None)
        self._maybe_redirect(self._dn_url("OPEN", hdfs_path, user, offset=str(offset),
                                          length="" if length is None else str(length)))

    def _nn_getfilechecksum(self, hdfs_path: str, user: str | None) -> None:
        self._file(hdfs_path)
        self._maybe_redirect(self._dn_url("GETFILECHECKSUM", hdfs_path, user))

    def _create_conflict(self, hdfs_path: str, overwrite: bool) -> None:
        path = self.st.local(hdfs_path)
        if hdfs_path == "/" or path.is_dir():
            raise RemoteError(403, "FileAlreadyExistsException",
                              f"{hdfs_path} already exists as a directory")
        if path.exists() and not overwrite:
            raise RemoteError(403, "FileAlreadyExistsException",
                              f"{hdfs_path} for client {self.client_address[0]} already exists")
        self._check_parent(hdfs_path)

    def _nn_create(self, hdfs_path: str, user: str | None) -> None:
        overwrite = self._bool("overwrite", False)
        permission = self._permission(0o644)
        self._int("blocksize", None, 1)
        self._int("replication", None, 1)
        self._create_conflict(hdfs_path, overwrite)
        self._maybe_redirect(self._dn_url("CREATE", hdfs_path, user, overwrite=str(overwrite).lower(),
                                          permission=format(permission, "o")))

    def _nn_append(self, hdfs_path: str, user: str | None) -> None:
        self._file(hdfs_path)
        self._maybe_redirect(self._dn_url("APPEND", hdfs_path, user))

    def _nn_mkdirs(self, hdfs_path: str, user: str | None) -> None:
        mode = self._permission(0o755)
        path = self.st.local(hdfs_path)
        with self.st.ns_lock:
            self._check_parent(hdfs_path)
            if path.exists() and not path.is_dir():
                raise RemoteError(403, "FileAlreadyExistsException", f"Path is not a directory: {hdfs_path}")
            if not path.exists():
                path.mkdir(parents=True)
                os.chmod(path, mode)
        self._json({"boolean": True})

    def _nn_rename(self, hdfs_path: str, user: str | None) -> None:
        dest = self.q.get("destination")
        if not dest:
            raise _bad('Required param "destination" is missing')
        if not dest.startswith("/"):
            raise _bad(f'Invalid value for webhdfs parameter "destination": {dest} is not an absolute path')
        dest = "/" + dest.strip("/") if dest.strip("/") else "/"
        src = self.st.local(hdfs_path)
        with self.st.ns_lock:
            self._json({"boolean": self._rename(hdfs_path, src, dest)})

    def _rename(self, hdfs_path: str, src: Path, dest: str) -> bool:
        # HDFS's (non-overwriting) rename: false rather than an error for the usual refusals.
        if hdfs_path == "/" or (not src.exists() and not src.is_symlink()):
            return False
        dst = self.st.local(dest)
        if dst.is_dir() and dest != hdfs_path:
            dst = dst / src.name  # into an existing folder, as HDFS does
            dest = dest.rstrip("/") + "/" + src.name
        if dest == hdfs_path:
            return True
        if dest.startswith(hdfs_path.rstrip("/") + "/"):
            return False  # into its own subtree
        if dst.exists() or not dst.parent.is_dir():
            return False
        os.rename(src, dst)
        return True

    def _nn_delete(self, hdfs_path: str, user: str | None) -> None:
        recursive = self._bool("recursive", False)
        path = self.st.local(hdfs_path)
        with self.st.ns_lock:
            if hdfs_path == "/" or (not path.exists() and not path.is_symlink()):
                self._json({"boolean": False})
                return
            if path.is_dir() and not path.is_symlink():
                if any(path.iterdir()):
                    if not recursive:
                        raise RemoteError(403, "PathIsNotEmptyDirectoryException",
                                          f"`{hdfs_path} is non empty': Directory is not empty")
                    shutil.rmtree(path)
                else:
                    path.rmdir()
            else:
                path.unlink()
        self._json({"boolean": True})

    # ---- datanode

    def _datanode(self, method: str, hdfs_path: str) -> None:
        op = self.q.get("op", "").upper()
        if OPS.get(op) != method or op not in ("OPEN", "CREATE", "APPEND", "GETFILECHECKSUM"):
            raise _bad(f'Invalid value for webhdfs parameter "op": {op} is not a datanode operation')
        token = self.q.get("token", "")
        expected = self.st.sign(hdfs_path, self.q)
        if not hmac.compare_digest(token, expected):
            raise RemoteError(403, "InvalidToken", "Datanode token is invalid (not issued for this request)")
        if float(self.q.get("expires") or 0) < time.time():
            raise RemoteError(403, "InvalidToken", "Datanode token has expired")
        getattr(self, f"_dn_{op.lower()}")(hdfs_path)

    def _dn_open(self, hdfs_path: str) -> None:
        path, _ = self._file(hdfs_path)
        offset = self._int("offset", 0) or 0
        length = self._int("length", None)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if offset > size:
                raise RemoteError(403, "EOFException", "Cannot seek after EOF")
            count = size - offset if length is None else min(length, size - offset)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(count))
            self.end_headers()
            if count:
                self.wfile.flush()
                try:
                    # sendfile streams from the page cache without copying whole files into memory.
                    self.connection.sendfile(f, offset, count)
                except OSError as exc:
                    raise _Incomplete from exc  # headers are out: all we can do is drop the connection

    def _dn_getfilechecksum(self, hdfs_path: str) -> None:
        path, _ = self._file(hdfs_path)
        algorithm, raw = hdfs_file_checksum(path, self.st.block_size)
        self._json({"FileChecksum": {"algorithm": algorithm, "bytes": raw.hex(), "length": len(raw)}})

    def _body(self) -> Iterator[bytes]:
        """The request body in pieces: Content-Length or chunked transfer encoding."""
        rfile = self.rfile
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = rfile.readline(1024)
                if not line.endswith(b"\n"):
                    raise _Incomplete
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError as exc:
                    raise _Incomplete from exc
                if size == 0:
                    while rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    self._body_pending = False
                    return
                while size:
                    data = rfile.read(min(size, CHUNK))
                    if not data:
                        raise _Incomplete
                    size -= len(data)
                    yield data
                if rfile.readline(1024) not in (b"\r\n", b"\n"):
                    raise _Incomplete
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left:
                data = rfile.read(min(left, CHUNK))
                if not data:
                    raise _Incomplete
                left -= len(data)
                yield data
            self._body_pending = False

    def _receive(self, path: Path, mode: str, created: bool) -> int:
        """Stream the body into ``path``. An interrupted CREATE leaves no file: HDFS would keep a
        partial one until lease recovery; removing it keeps aborted client writes tidy."""
        written = 0
        try:
            with open(path, mode) as f:
                for data in self._body():
                    f.write(data)
                    written += len(data)
        except (_Incomplete, OSError):
            if created:
                path.unlink(missing_ok=True)
            raise
        return written

    def _dn_create(self, hdfs_path: str) -> None:
        overwrite = self._bool("overwrite", False)
        mode = self._permission(0o644)
        path = self.st.local(hdfs_path)
        with self.st.ns_lock:
            self._create_conflict(hdfs_path, overwrite)
            path.parent.mkdir(parents=True, exist_ok=True)
            if overwrite:
                # A new inode, as HDFS gives a new file: open readers keep the old bytes.
                path.unlink(missing_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            os.close(fd)
        self._receive(path, "r+b", created=True)
        location = f"webhdfs://{self._host()}{quote(hdfs_path, safe='/')}"
        self._send(201, b"", "application/octet-stream", {"Location": location})

    def _dn_append(self, hdfs_path: str) -> None:
        path, _ = self._file(hdfs_path)
        self._receive(path, "ab", created=False)
        self._send(200, b"", "application/octet-stream")


# --------------------------------------------------------------------------------------------- server


class WebHdfsServer:
    """A protocol-level WebHDFS test server (not HDFS) over ``root``, on a thread of this process.

    ``batch_size`` is the LISTSTATUS_BATCH page size (HDFS's dfs.ls.limit); ``required_user`` turns on
    simple-auth checking (another or no ``user.name`` is refused); ``block_size`` only shapes
    GETFILECHECKSUM and FileStatus.blockSize; ``disabled_ops`` answers those ops as unknown (to test
    client fallbacks, e.g. a server without LISTSTATUS_BATCH).
    """

    def __init__(self, root: Path | str, host: str = "127.0.0.1", port: int = 0, batch_size: int = 1000,
                 required_user: str | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
                 disabled_ops: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
                 token_ttl: float = 3600.0, quiet: bool = True, ssl_context: ssl.SSLContext | None = None) -> None:
        """``ssl_context``: a server-side context with the certificate loaded: https (swebhdfs)."""
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if block_size < BYTES_PER_CRC or block_size % BYTES_PER_CRC:
            raise ValueError(f"block_size must be a multiple of {BYTES_PER_CRC}")
        self.root = Path(root).resolve()
        self.host = host
        self._port = port
        self.state = _State(self.root, batch_size, required_user, block_size,
                            frozenset(op.upper() for op in disabled_ops), token_ttl)
        self.state.quiet = quiet
        self.ssl_context = ssl_context
        self.state.scheme = "https" if ssl_context is not None else "http"
        self._httpd: _HTTPServer | None = None
        self._bound: int | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (still known after stop, so callers can check nothing answers there)."""
        if self._bound is None:
            raise RuntimeError("server not started")
        return self._bound

    @property
    def url(self) -> str:
        return f"{self.state.scheme}://{self.host}:{self.port}"

    def start(self) -> WebHdfsServer:
        if self._httpd is not None:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        httpd = _HTTPServer((self.host, self._port), _Handler)
        httpd.state = self.state
        if self.ssl_context is not None:
            httpd.socket = self.ssl_context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._bound = httpd.server_port
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"webhdfs-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WebHdfsServer:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m migrate.devservers.webhdfs",
        description="WebHDFS protocol-level test server over a local folder (not HDFS).")
    parser.add_argument("--root", required=True, type=Path, help="folder served as HDFS '/'")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--batch-size", type=int, default=1000, help="LISTSTATUS_BATCH page size")
    parser.add_argument("--required-user", default=None, help="refuse any other user.name")
    parser.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    server = WebHdfsServer(args.root, host=args.host, port=args.port, batch_size=args.batch_size,
                           required_user=args.required_user, block_size=args.block_size,
                           quiet=not args.verbose)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    print(server.url, flush=True)  # the first stdout line: callers read the URL from it
    print(f"webhdfs test server (not HDFS) serving {server.root} at {server.url}", file=sys.stderr,
          flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
