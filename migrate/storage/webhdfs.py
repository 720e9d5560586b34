"""HDFS through its WebHDFS REST API (``webhdfs://host:port/path``, ``hdfs://nameservice/path``).

Talks HTTP with one ``requests.Session`` (HdfsCLI's client has no LISTSTATUS_BATCH paging, no streaming
writer with a temp+rename commit and no error mapping we can rely on, so this speaks the protocol itself):

* ``list`` pages with LISTSTATUS_BATCH (``startAfter``), falling back to LISTSTATUS on servers that do not
  know that op; ``walk`` recurses over it.
* ``stat`` is one GETFILESTATUS (no checksum: HDFS computes it by reading every block);
  ``native_checksum(uri)`` asks for GETFILECHECKSUM when wanted (MD5-of-MD5-of-CRC32C: comparable only
  with another HDFS using the same block size, never with S3 ETags).
* ``open`` follows OPEN's redirect to a datanode and streams ``length`` bytes from ``offset``.
* ``writer`` streams a chunked PUT (CREATE) to ``<dir>/.<name>.migrate-tmp-<random>`` from a background
  thread, then on commit RENAMEs it to the final name. WebHDFS RENAME never overwrites (and moves *into*
  an existing folder), so an existing final file is DELETEd first: between that DELETE and the RENAME
  (one round trip) readers see no file at all. ``abort`` finishes the upload and deletes the temp.

URIs are never percent-encoded here: ``webhdfs://nn:9870/a b/ü`` is HDFS path ``/a b/ü``; encoding
happens only on the wire. Errors: FileNotFoundException -> NotFound; AccessControlException, 401, 403
auth refusals -> AuthError naming the user and endpoint; refused/timed-out connections ->
EndpointUnreachable (connect timeout at most 5 s); 5xx, Retriable/StandbyException -> TransientStorageError.
"""

from __future__ import annotations

import contextlib
import getpass
import io
import os
import posixpath
import queue
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO, NoReturn
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import requests.adapters

from migrate.errors import (
    AuthError,
    ConfigError,
    EndpointUnreachable,
    IntegrityError,
    NotFound,
    StorageError,
    TlsError,
    TransientStorageError,
)
from migrate.storage.base import CHUNK, DEFAULT_CHECKSUM, AtomicWriter, FileInfo, Storage

TMP_MARK = ".migrate-tmp-"
CONNECT_TIMEOUT = 5.0
_AUTH_EXCEPTIONS = {"AccessControlException", "SecurityException", "AuthorizationException",
                    "AuthenticationException", "InvalidToken"}
_TRANSIENT_EXCEPTIONS = {"RetriableException", "StandbyException", "ObserverRetryOnActiveException",
                         "SafeModeException"}
_END = object()  # end of a writer's body


def from_uri(uri: str, user: str | None = None, url: str | None = None, timeout: float = 30.0,
             batch_size: int = 1000, auth: str = "simple", principal: str | None = None,
             ca_bundle: str | None = None) -> WebHdfsStorage:
    """The backend for ``uri``'s namenode.

    ``url``: the namenode's ``http(s)://host:port`` (required for ``hdfs://nameservice``; for
    ``webhdfs://host:port`` it defaults to ``http://host:port``). ``user``: the simple-auth
    ``user.name`` (default ``$HADOOP_USER_NAME`` or the login name). ``timeout``: seconds to wait for
    an answer. ``batch_size`` is accepted for plan compatibility only: WebHDFS pages are sized by the
    server (``dfs.ls.limit``), a client cannot ask for another size. ``ca_bundle``: for an https
    ``url`` (swebhdfs), a PEM file of the CA certificates to trust instead of the system's.
    """
    scheme, sep, rest = uri.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("webhdfs", "hdfs"):
        raise ConfigError(f"not a webhdfs:// or hdfs:// URI: {uri}")
    authority = rest.split("/", 1)[0]
    if url is None:
        if scheme == "hdfs":
            raise ConfigError(
                f"{uri}: an hdfs:// URI names a namenode or nameservice, not an HTTP endpoint; give the "
                "WebHDFS base URL with the `url` option (e.g. url='http://namenode:9870')"
            )
        if not authority:
            raise ConfigError(f"{uri}: a webhdfs:// URI needs host:port (or give the `url` option)")
        url = f"http://{authority}"
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{uri}: the WebHDFS url must start with http:// or https:// (got {_public(url)})")
    user = user or os.environ.get("HADOOP_USER_NAME") or getpass.getuser()
    if ca_bundle is not None and not os.path.isfile(ca_bundle):
        raise ConfigError(f"ca_bundle {ca_bundle} (for {_public(url)}) is not a file")
    store = WebHdfsStorage(scheme, authority, url, user, timeout=timeout, batch_size=batch_size, ca_bundle=ca_bundle)
    if auth == "kerberos":
        kerberize(store, principal)
    elif auth != "simple":
        raise ConfigError(f"{uri}: unknown WebHDFS auth {auth!r} (simple or kerberos)")
    return store


def kerberize(store: WebHdfsStorage, principal: str | None = None) -> None:
    """SPNEGO on the store's session through the ``hdfs`` package's KerberosClient (its throttled
    authenticator; the ticket comes from the cache ``kinit`` fills). ``user.name`` is no longer sent."""
    try:
        from hdfs.ext.kerberos import KerberosClient
    except ImportError as exc:
        raise ConfigError(
            f"Kerberos for WebHDFS ({_public(store.base)}) needs the kerberos extra ({exc.name} is missing): "
            "apt-get install libkrb5-dev gcc && pip install 'migrate[kerberos]' (see docs/security.md)"
        ) from None
    kwargs = {"principal": principal} if principal else {}
    KerberosClient(store.base, session=store._session, mutual_auth="OPTIONAL", max_concurrency=8, **kwargs)
    store.user = None


def _public(url: str) -> str:
    """``url`` without any user:password part, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return url


class _Remote:
    """A WebHDFS error answer, parsed."""

    def __init__(self, resp: requests.Response) -> None:
        self.status = resp.status_code
        self.exception = ""
        self.message = ""
        try:
            body = resp.json()["RemoteException"]
            self.exception = str(body.get("exception") or "")
            self.message = str(body.get("message") or "")
        except (ValueError, KeyError, TypeError):
            self.message = (resp.text or "")[:200].strip()


def _batch_unsupported(err: _Remote) -> bool:
    # Hadoop < 2.8 and some gateways answer 400 IllegalArgumentException naming the unknown op enum
    # constant, or UnsupportedOperationException.
    return err.exception == "UnsupportedOperationException" or (
        err.exception == "IllegalArgumentException" and "LISTSTATUS_BATCH" in err.message)


class WebHdfsStorage(Storage):
    scheme = "webhdfs"

    def __init__(self, scheme: str, authority: str, url: str, user: str | None, timeout: float = 30.0,
                 batch_size: int = 1000, ca_bundle: str | None = None) -> None:
        self.scheme = scheme
        self.authority = authority
        self.base = url.rstrip("/")
        self.user = user
        self.timeout = (min(CONNECT_TIMEOUT, timeout), timeout)
        self.batch_size = batch_size
        self._batch_ok = True  # False once the server said it has no LISTSTATUS_BATCH
        self._session = requests.Session()
        self.ca_bundle = ca_bundle
        # Passed with every request: requests lets $REQUESTS_CA_BUNDLE override a Session's own verify.
        self.verify: str | bool = ca_bundle if ca_bundle is not None else True
        # Room for many concurrent transfers (the default pool keeps 10 connections per host).
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"WebHdfsStorage({self.scheme}://{self.authority}, url={_public(self.base)}, user={self.user})"

    # ---- naming

    def path_of(self, uri: str) -> str:
        """The HDFS path of a URI of this store (raw text, not percent-encoded)."""
        scheme, sep, rest = uri.partition("://")
        if not sep or scheme.lower() != self.scheme:
            raise StorageError(f"not a {self.scheme}:// URI: {uri}", uri)
        authority, _, path = rest.partition("/")
        if authority != self.authority:
            raise StorageError(
                f"{uri} is on {authority or '(no authority)'}, this store serves {self.authority}", uri)
        return "/" + path.strip("/") if path.strip("/") else "/"

    def uri_of(self, path: str) -> str:
        return f"{self.scheme}://{self.authority}{path}"

    def _url(self, path: str, prefix: str = "/webhdfs/v1") -> str:
        return f"{self.base}{prefix}{quote(path, safe='/')}"

    # ---- HTTP

    def _request(self, method: str, uri: str, op: str, path: str | None = None, *,
                 ok: tuple[int, ...] = (200,), **kw: Any) -> requests.Response:
        url = self._url(self.path_of(uri) if path is None else path)
        params = {"op": op, **({"user.name": self.user} if self.user else {}), **(kw.pop("params", None) or {})}
        kw.setdefault("timeout", self.timeout)
        kw.setdefault("verify", self.verify)
        try:
            resp = self._session.request(method, url, params=params, **kw)
        except requests.RequestException as exc:
            self._raise_network(exc, uri, op)
        if resp.status_code not in ok:
            try:
                self._raise_for(resp, uri, op)
            finally:
                resp.close()
        return resp

    def _raise_network(self, exc: BaseException, uri: str, op: str) -> NoReturn:
        endpoint = _public(self.base)
        if isinstance(exc, requests.exceptions.SSLError):
            why = re.search(r"certificate verify failed: ([^(]+)", str(exc))
            raise TlsError(
                f"TLS with WebHDFS endpoint {endpoint} failed ({op} {uri}): "
                f"{'certificate not trusted: ' + why.group(1).strip() if why else type(exc).__name__}; trusted CAs: "
                f"{self.ca_bundle or 'the system store'} (set ca_bundle in the plan's store to the CA file that "
                "signed the server's certificate)", uri) from exc
        if isinstance(exc, requests.ConnectTimeout | requests.ConnectionError | requests.ReadTimeout):
            kind = "timed out" if isinstance(exc, requests.Timeout) else "refused or dropped the connection"
            raise EndpointUnreachable(
                f"WebHDFS endpoint {endpoint} {kind} ({op} {uri}): {type(exc).__name__}", uri) from exc
        raise TransientStorageError(f"WebHDFS {op} {uri} at {endpoint} failed: {type(exc).__name__}",
                                    uri) from exc

    def _raise_for(self, resp: requests.Response, uri: str, op: str) -> NoReturn:
        err = _Remote(resp)
        endpoint = _public(self.base)
        detail = f"{err.exception}: {err.message}" if err.exception else err.message or resp.reason
        if resp.status_code == 401 or err.exception in _AUTH_EXCEPTIONS:
            raise AuthError(
                f"WebHDFS refused {op} {uri}: wrong credentials or permissions for "
                f"{f'user {self.user}' if self.user else 'the Kerberos principal (klist shows it)'} "
                f"at {endpoint} (HTTP {resp.status_code}: {detail})", uri)
        if resp.status_code == 404 or err.exception == "FileNotFoundException":
            raise NotFound(f"not found: {uri} ({detail})", uri)
        if resp.status_code >= 500 or err.exception in _TRANSIENT_EXCEPTIONS or resp.status_code == 429:
            raise TransientStorageError(
                f"WebHDFS {op} {uri} at {endpoint}: HTTP {resp.status_code} ({detail})", uri)
        raise StorageError(f"WebHDFS {op} {uri} at {endpoint}: HTTP {resp.status_code} ({detail})", uri)

    def _json(self, method: str, uri: str, op: str, path: str | None = None, **kw: Any) -> Any:
        resp = self._request(method, uri, op, path, **kw)
        try:
            return resp.json()
        except ValueError as exc:
            raise TransientStorageError(f"WebHDFS {op} {uri}: the answer is not JSON", uri) from exc
        finally:
            resp.close()

    # ---- metadata

    def _info(self, uri: str, st: dict[str, Any]) -> FileInfo:
        is_dir = st.get("type") == "DIRECTORY"
        return FileInfo(
            uri, 0 if is_dir else int(st.get("length", 0)), int(st.get("modificationTime", 0)) / 1000.0,
            is_dir=is_dir, owner=st.get("owner"),
        )

    def stat(self, uri: str) -> FileInfo:
        return self._info(uri, self._json("GET", uri, "GETFILESTATUS")["FileStatus"])

    def native_checksum(self, uri: str) -> str:
        """HDFS's own file checksum, ``hdfs-md5md5crc32c:<hex>`` (the 28 bytes HDFS serializes:
        bytesPerCRC, crcPerBlock, MD5). The namenode redirects to a datanode that reads every block."""
        fc = self._json("GET", uri, "GETFILECHECKSUM")["FileChecksum"]
        algorithm = str(fc.get("algorithm", ""))
        if algorithm.endswith("CRC32C"):
            kind = "hdfs-md5md5crc32c"
        elif algorithm.endswith("CRC32"):
            kind = "hdfs-md5md5crc32"
        else:
            kind = "hdfs-" + algorithm.lower()
        return f"{kind}:{fc['bytes']}"

    def list(self, uri: str) -> Iterator[FileInfo]:
        path = self.path_of(uri)
        base = uri.rstrip("/") if path != "/" else self.uri_of("")
        for st in self._list_status(uri, path):
            suffix = st.get("pathSuffix", "")
            if not suffix:  # HDFS lists a file as itself: it is not a folder
                raise NotFound(f"not a folder: {uri}", uri)
            yield self._info(f"{base}/{suffix}", st)

    def _list_status(self, uri: str, path: str) -> Iterator[dict[str, Any]]:
        if self._batch_ok:
            after: str | None = None
            while True:
                params = {"startAfter": after} if after is not None else {}
                resp = self._request("GET", uri, "LISTSTATUS_BATCH", path, ok=(200, 400), params=params)
                if resp.status_code == 400:
                    err = _Remote(resp)
                    if after is None and _batch_unsupported(err):
                        resp.close()
                        self._batch_ok = False
                        break
                    try:
                        self._raise_for(resp, uri, "LISTSTATUS_BATCH")
                    finally:
                        resp.close()
                try:
                    listing = resp.json()["DirectoryListing"]
                except (ValueError, KeyError) as exc:
                    raise TransientStorageError(
                        f"WebHDFS LISTSTATUS_BATCH {uri}: unexpected answer", uri) from exc
                finally:
                    resp.close()
                page = listing["partialListing"]["FileStatuses"]["FileStatus"]
                yield from page
                if not page or int(listing.get("remainingEntries", 0)) <= 0:
                    return
                after = page[-1]["pathSuffix"]
                if not after:
                    return
        yield from self._json("GET", uri, "LISTSTATUS", path)["FileStatuses"]["FileStatus"]

    # ---- data

    def open(self, uri: str, offset: int = 0, length: int | None = None) -> BinaryIO:
        if offset < 0 or (length is not None and length < 0):
            raise StorageError(f"bad range offset={offset} length={length} for {uri}", uri)
        params: dict[str, Any] = {"offset": offset}
        if length is not None:
            params["length"] = length
        try:
            resp = self._request("GET", uri, "OPEN", params=params, stream=True)
        except StorageError as exc:
            # HDFS refuses to seek past the end (EOFException); a local file just reads nothing there.
            if offset > 0 and type(exc) is StorageError and "EOFException" in str(exc):
                return io.BytesIO(b"")
            raise
        return io.BufferedReader(_HttpReader(resp, uri, self), CHUNK)

    def writer(self, uri: str, checksum: str = DEFAULT_CHECKSUM) -> AtomicWriter:
        return _WebHdfsWriter(self, uri, checksum)

    def delete(self, uri: str, recursive: bool = False) -> None:
        self._json("DELETE", uri, "DELETE", params={"recursive": "true" if recursive else "false"})

    def makedirs(self, uri: str) -> None:
        """Create a folder and its parents (not part of the Storage interface; writes create parents)."""
        self._json("PUT", uri, "MKDIRS")

    def rename(self, src_uri: str, dst_uri: str) -> bool:
        """HDFS rename: False if ``dst`` exists; a ``dst`` folder receives ``src`` inside it."""
        body = self._json("PUT", src_uri, "RENAME", params={"destination": self.path_of(dst_uri)})
        return bool(body.get("boolean"))

    def close(self) -> None:
        self._session.close()


class _HttpReader(io.RawIOBase):
    """The streamed body of an OPEN answer; network failures become storage errors."""

    def __init__(self, resp: requests.Response, uri: str, store: WebHdfsStorage) -> None:
        super().__init__()
        self._resp = resp
        self._uri = uri
        self._store = store

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            return int(self._resp.raw.readinto(b))
        except Exception as exc:
            # A dropped or short stream (urllib3 checks Content-Length): retryable.
            raise TransientStorageError(
                f"WebHDFS read of {self._uri} from {_public(self._store.base)} broke: {type(exc).__name__}",
                self._uri) from exc

    def close(self) -> None:
        if not self.closed:
            self._resp.close()
        super().close()


class _WebHdfsWriter(AtomicWriter):
    """CREATE of a hidden temp, fed by a bounded queue to a chunked PUT on a thread; RENAME on commit."""

    QUEUE_DEPTH = 4  # chunks in flight: memory stays at a few MiB whatever the file size

    def __init__(self, store: WebHdfsStorage, uri: str, checksum: str) -> None:
        super().__init__(uri, checksum)
        self.store = store
        self.path = store.path_of(uri)
        if self.path == "/":
            raise StorageError(f"cannot write to the root folder: {uri}", uri)
        parent, name = posixpath.split(self.path)
        self.tmp = posixpath.join(parent, f".{name}{TMP_MARK}{secrets.token_hex(6)}")
        self._buf = bytearray()
        self._q: queue.Queue[object] = queue.Queue(self.QUEUE_DEPTH)
        self._resp: requests.Response | None = None
        self._error: BaseException | None = None
        # Step one: the namenode answers with the datanode URL (no data sent before the redirect).
        resp = store._request("PUT", uri, "CREATE", self.tmp, ok=(307,), allow_redirects=False,
                              params={"overwrite": "false"})
        resp.close()
        location = resp.headers.get("Location")
        if not location:
            raise StorageError(f"WebHDFS CREATE of {uri}: the namenode gave no datanode Location", uri)
        self._thread = threading.Thread(target=self._upload, args=(location,), daemon=True,
                                        name=f"webhdfs-put-{name[:40]}")
        self._thread.start()

    def _body(self) -> Iterator[bytes]:
        while True:
            item = self._q.get()
            if item is _END:
                return
            yield item  # type: ignore[misc]

    def _upload(self, location: str) -> None:
        try:
            # A generator body makes requests send Transfer-Encoding: chunked, so nothing is buffered.
            self._resp = self.store._session.put(
                location, data=self._body(), timeout=self.store.timeout, verify=self.store.verify,
                headers={"Content-Type": "application/octet-stream"})
        except BaseException as exc:  # handed to the writing thread
            self._error = exc

    def _feed(self, item: object) -> None:
        while True:
            try:
                self._q.put(item, timeout=0.2)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self._fail("WRITE")

    def _fail(self, op: str) -> NoReturn:
        if self._error is not None:
            self.store._raise_network(self._error, self.uri, op)
        if self._resp is not None and self._resp.status_code not in (200, 201):
            self.store._raise_for(self._resp, self.uri, op)
        raise StorageError(f"WebHDFS {op} of {self.uri}: the datanode ended the upload early", self.uri)

    def _write(self, data: memoryview) -> None:
        if not self._thread.is_alive():
            self._fail("CREATE")
        self._buf += data
        if len(self._buf) >= CHUNK:
            self._feed(bytes(self._buf))
            self._buf.clear()

    def _finish_upload(self) -> None:
        if self._thread.is_alive():
            if self._buf:
                self._feed(bytes(self._buf))
                self._buf.clear()
            self._feed(_END)
            self._thread.join()
        if self._error is not None or self._resp is None or self._resp.status_code not in (200, 201):
            self._fail("CREATE")
        self._resp.close()

    def _commit(self) -> FileInfo:
        store, uri = self.store, self.uri
        try:
            self._finish_upload()
            written = store.stat(store.uri_of(self.tmp))
            if written.size != self.hasher.size:
                raise IntegrityError(
                    f"WebHDFS wrote {written.size} bytes for {uri}, {self.hasher.size} were sent", uri)
            try:
                final = store.stat(uri)
            except NotFound:
                final = None
            if final is not None:
                if final.is_dir:
                    raise StorageError(f"a folder stands at {uri}", uri)
                # RENAME does not overwrite: remove the old file first (readers briefly see none).
                store.delete(uri)
            if not store.rename(store.uri_of(self.tmp), uri):
                raise StorageError(f"WebHDFS RENAME to {uri} refused (created meanwhile?)", uri)
        except BaseException:
            self._abort()
            raise
        return FileInfo(uri, written.size, written.mtime, owner=written.owner)

    def _abort(self) -> None:
        # End the upload cleanly (the datanode closes the temp), then delete the temp: no race with a
        # datanode still creating it, and no half-written file held open by a lease on a real HDFS.
        with contextlib.suppress(StorageError):
            if self._thread.is_alive():
                self._buf.clear()
                self._feed(_END)
                self._thread.join(timeout=self.store.timeout[1] + 5)
        with contextlib.suppress(StorageError):  # best effort: the temp is hidden, marked for a sweep
            self.store.delete(self.store.uri_of(self.tmp))
