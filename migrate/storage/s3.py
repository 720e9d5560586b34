"""S3 and S3-compatible stores (SeaweedFS, a JuiceFS gateway, AWS) through boto3.

URIs are ``s3://bucket/key`` (``s3a://`` too), never percent-encoded: boto3 encodes keys on the wire.
One boto3 client per store (clients are thread-safe; sessions are not). Writes are atomic: small
objects are buffered and PUT on commit, larger ones go through a multipart upload that is completed
on commit and aborted on abort, so nothing is visible before commit.

Integrity without a second hash: on ``s3``/``s3a`` endpoints a PUT or part upload carries its own
CRC32C (``x-amz-checksum-crc32c``, which the server verifies: a corrupted body is refused with BadDigest)
and is sent with ``UNSIGNED-PAYLOAD``, so SigV4 does not hash every body with SHA-256 on top of the
content checksum the writer already computes (over plain http as well; the headers, the checksum among
them, stay signed). An endpoint that refuses the flexible-checksum headers gets Content-MD5 instead.
The JuiceFS gateway (``jfs``, built on an older MinIO) keeps signed payloads.

The data path to an http or https endpoint reached without a proxy (PUT, and the multipart create /
part / complete calls, and the upload listing of crash recovery) skips botocore's request pipeline
(~1 ms of Python per request): ``_LeanClient`` signs requests with SigV4 itself and sends them on a
kept-alive connection per thread. It uses the same credentials (our env vars / profile / chain,
refreshed like botocore's), retry policy and error mapping (it raises botocore's exception types).
Bodies go out with the socket blocking (one kernel call per body, not a wake-up per socket buffer), and
a copy from a local file hands the kernel the file itself (sendfile(2), module ``filerange``) instead
of reading it; over https (TLS in this process, where sendfile cannot go) the file range is read into
one reused buffer and encrypted by OpenSSL without the GIL. ``ca_bundle`` names the CA certificates
trusted for https (botocore's ``verify`` and the lean client's context alike); an untrusted
certificate is a TlsError naming the endpoint, never retried.
Everything else goes through boto3, whose client (~0.2 s to import and build) is made on first use.

Retries: every request, lean or botocore's (whose own retries are off), goes through one retry loop
(``migrate.retry``): at most ``max_attempts`` tries with full-jitter backoff, at most
``CONNECT_ATTEMPTS`` for a refused connection (a dead endpoint fails fast), within the store's retry
quota (no retry storm), each retry counted by reason for the run summary.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import hashlib
import hmac
import http.client
import io
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, BinaryIO, NoReturn, cast
from urllib.parse import quote, urlsplit

from migrate import retry
from migrate.checksums import CRC32C
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
from migrate.retry import RetryBudget, RetryPolicy, call_with_retry
from migrate.storage.base import DEFAULT_CHECKSUM, AtomicWriter, FileInfo, ReadStream, Storage
from migrate.storage.filerange import FileRange, hashed_range, send_body, set_send_timeout

log = logging.getLogger(__name__)

Body = bytes | bytearray | FileRange  # an upload body: in memory, or a range of a local file (sendfile)

MiB = 1 << 20
MIN_PART = 5 * MiB  # S3's floor for every part but the last
MAX_PARTS = 10_000
DELETE_BATCH = 1000  # DeleteObjects limit
# Answers of an endpoint that does not know the flexible-checksum headers (x-amz-checksum-*): NotImplemented,
# or one of these naming the checksum in its message.
CHECKSUM_UNSUPPORTED_CODES = {"InvalidArgument", "InvalidRequest", "BadRequest"}
CONNECT_ATTEMPTS = RetryPolicy.connect_attempts  # tries for refused / timed-out connections before EndpointUnreachable
PARTS_IN_FLIGHT_PER_STORE = 2  # x max_concurrency: parts uploading at once over all writers of a store
UPLOAD_BUFFER_BYTES = 512 * MiB  # ... and no more part bodies than this in flight per store (at least one)

AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "InvalidToken",
              "ExpiredToken", "InvalidSecurity", "AccountProblem", "AllAccessDisabled"}
NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}
THROTTLE_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests",
                  "RequestThrottled", "RequestTimeout", "ServiceUnavailable", "InternalError", "503", "500"}


def _botocore_exc() -> Any:
    import botocore.exceptions as be

    return be


def split_uri(uri: str) -> tuple[str, str, str]:
    """``scheme://bucket/key`` -> (scheme, bucket, key); the key keeps its raw text."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise StorageError(f"not an object-store URI (want s3://bucket/key): {uri}", uri)
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise StorageError(f"no bucket in {uri}", uri)
    return scheme.lower(), bucket, key


def _code_status(exc: BaseException) -> tuple[str, int]:
    resp = getattr(exc, "response", None) or {}
    code = str(resp.get("Error", {}).get("Code", ""))
    status = int(resp.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code, status


def _is_connect_failure(exc: BaseException) -> bool:
    be = _botocore_exc()
    return isinstance(exc, be.EndpointConnectionError | be.ConnectTimeoutError | be.ProxyConnectionError)


def retry_reason(exc: BaseException) -> str | None:
    """Why another try may help (a ``migrate.retry`` reason), or None: throttling, 5xx, a reset or
    closed connection, a read timeout, a refused connection (tried at most CONNECT_ATTEMPTS times)."""
    if isinstance(exc, TransientStorageError):
        return retry.SERVER_ERROR
    if _cert_failure(exc) is not None:
        return None
    be = _botocore_exc()
    if isinstance(exc, be.ClientError):
        code, status = _code_status(exc)
        if code in THROTTLE_CODES - {"InternalError", "500", "RequestTimeout"} or status in (429, 503):
            return retry.THROTTLED
        return retry.SERVER_ERROR if code in THROTTLE_CODES or status >= 500 else None
    if _is_connect_failure(exc):
        return retry.CONNECT
    if isinstance(exc, be.ReadTimeoutError):
        return retry.TIMEOUT
    if isinstance(exc, be.ConnectionClosedError | be.ResponseStreamingError | be.IncompleteReadError
                  | be.HTTPClientError | ConnectionResetError | BrokenPipeError | http.client.HTTPException):
        return retry.CONNECTION
    try:
        from urllib3.exceptions import ProtocolError, ReadTimeoutError

        if isinstance(exc, ReadTimeoutError):
            return retry.TIMEOUT
        return retry.CONNECTION if isinstance(exc, ProtocolError) else None
    except ImportError:  # pragma: no cover - urllib3 ships with botocore
        return None


def is_transient(exc: BaseException) -> bool:
    """Worth another try later: throttling, 5xx, a dropped connection, a read timeout; not a refused
    connection (a dead endpoint is EndpointUnreachable)."""
    return retry_reason(exc) not in (None, retry.CONNECT)


def _crc32c_b64(body: bytes | bytearray | memoryview) -> str:
    """Base64 of the big-endian CRC32C, as ``x-amz-checksum-crc32c`` wants it."""
    from migrate.checksums import crc32c_value

    return base64.b64encode(crc32c_value(body).to_bytes(4, "big")).decode()


def composite_crc32c(part_checksums: list[str]) -> str:
    """S3's checksum of a multipart object from its parts' base64 CRC32Cs: the CRC32C of the parts'
    digests, then ``-<number of parts>``."""
    digests = b"".join(base64.b64decode(c) for c in part_checksums)
    return f"{_crc32c_b64(digests)}-{len(part_checksums)}"


def _md5_b64(body: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def _add_content_md5(params: dict[str, Any], **_: Any) -> None:
    """MinIO-based gateways (JuiceFS) insist on Content-MD5 for DeleteObjects; new botocore sends CRC32."""
    body = params.get("body")
    headers = params.setdefault("headers", {})
    if isinstance(body, bytes | bytearray) and "Content-MD5" not in headers:
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()


class _LeanClient:
    """The copy data path without botocore's pipeline: SigV4 with UNSIGNED-PAYLOAD, one connection per thread.

    Only for plain-http endpoints with path-style addressing and no proxy (``S3Storage`` decides). The
    body's checksum header (CRC32C or Content-MD5) is signed and verified by the server. Failures are
    raised as botocore's exception types so ``S3Storage._translate`` and ``is_transient`` apply as is.
    """

    def __init__(self, endpoint_url: str, region: str, credentials: Any, connect_timeout: float,
                 read_timeout: float, ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(endpoint_url)
        self.endpoint_url = endpoint_url
        self.tls = parts.scheme.lower() == "https"
        self.ssl_context = ssl_context if self.tls else None
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.tls else 80)
        self.host_header = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.region = region
        self.credentials = credentials
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()  # every thread's, for close()
        self._all_lock = threading.Lock()
        self._keys: dict[tuple[str, str], bytes] = {}

    def _signing_key(self, secret: str, day: str) -> bytes:
        key = self._keys.get((secret, day))
        if key is None:
            k = hmac.digest(("AWS4" + secret).encode(), day.encode(), "sha256")
            for part in (self.region, "s3", "aws4_request"):
                k = hmac.digest(k, part.encode(), "sha256")
            self._keys = {(secret, day): k}  # one live key: the day or a rotated secret replaces it
            key = k
        return key

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.tls:
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.connect_timeout,
                                                   context=self.ssl_context)
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._all_lock:
                self._all.discard(conn)
            conn.close()

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = self._all, set()
        for conn in conns:
            conn.close()  # a thread still holding one connects it again on its next put

    def put(self, bucket: str, key: str, body: Body, extra: dict[str, str]) -> dict[str, Any]:
        resp, _ = self.request("PUT", bucket, key, {}, body, extra, "PutObject")
        return {"ETag": resp.getheader("ETag"), "ResponseMetadata": {"HTTPStatusCode": resp.status}}

    def create_upload(self, bucket: str, key: str, extra: dict[str, str]) -> str:
        _, data = self.request("POST", bucket, key, {"uploads": ""}, b"", extra, "CreateMultipartUpload")
        upload_id = _xml_fields(data).get("UploadId")
        if not upload_id:
            raise _botocore_exc().ClientError(_error_response(500, data), "CreateMultipartUpload")
        return upload_id

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, body: Body,
                    extra: dict[str, str]) -> str:
        resp, _ = self.request("PUT", bucket, key, {"partNumber": str(number), "uploadId": upload_id}, body, extra,
                               "UploadPart")
        return str(resp.getheader("ETag") or "")

    def complete(self, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
        from xml.sax.saxutils import escape

        xml = "".join(
            f"<Part><PartNumber>{p['PartNumber']}</PartNumber><ETag>{escape(str(p['ETag']))}</ETag>"
            + (f"<ChecksumCRC32C>{p['ChecksumCRC32C']}</ChecksumCRC32C>" if "ChecksumCRC32C" in p else "")
            + "</Part>" for p in parts)
        body = (f'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{xml}'
                "</CompleteMultipartUpload>").encode()
        _, data = self.request("POST", bucket, key, {"uploadId": upload_id}, body, {"Content-MD5": _md5_b64(body)},
                               "CompleteMultipartUpload")
        fields = _xml_fields(data)
        if "Code" in fields:  # S3 may answer 200 and report the failure in the body
            raise _botocore_exc().ClientError(_error_response(500, data), "CompleteMultipartUpload")
        return {"ETag": fields.get("ETag", "")}

    def list_uploads(self, bucket: str, query: dict[str, str]) -> dict[str, Any]:
        """One ListMultipartUploads page, shaped like botocore's answer."""
        import xml.etree.ElementTree as ET

        _, data = self.request("GET", bucket, "", {"uploads": "", **query}, None, {}, "ListMultipartUploads")
        root = ET.fromstring(data)
        uploads: list[dict[str, Any]] = []
        page: dict[str, str] = {}
        for el in root:
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "Upload":
                u: dict[str, Any] = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in el}
                initiated = u.get("Initiated")
                u["Initiated"] = (datetime.fromisoformat(initiated.replace("Z", "+00:00")) if initiated
                                  else datetime.fromtimestamp(0, UTC))
                uploads.append(u)
            else:
                page[tag] = el.text or ""
        return {"Uploads": uploads, "IsTruncated": page.get("IsTruncated", "").lower() == "true",
                "NextKeyMarker": page.get("NextKeyMarker", ""),
                "NextUploadIdMarker": page.get("NextUploadIdMarker", "")}

    def sign(self, method: str, bucket: str, key: str, query: dict[str, str], extra: dict[str, str],
             amz_date: str | None = None) -> tuple[str, dict[str, str], str]:
        """SigV4 with UNSIGNED-PAYLOAD: (path?query to send, headers with the authorization, canonical request).

        Keys are sent and signed percent-encoded except ``/`` and ``~`` (as botocore encodes them), query
        names and values except unreserved characters, sorted; ``uploads`` goes as ``uploads=``. Checked
        against botocore's signer in tests/storage/test_sigv4.py."""
        creds = self.credentials.get_frozen_credentials()
        amz_date = amz_date or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        path = f"{self.prefix}/{quote(bucket, safe='')}" + (f"/{quote(key, safe='/~')}" if key else "")
        qs = "&".join(f"{k}={v}" for k, v in sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~"))
                                                     for k, v in query.items()))
        headers = {"host": self.host_header, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amz_date}
        headers.update((k.lower(), v) for k, v in extra.items())
        if creds.token:
            headers["x-amz-security-token"] = creds.token
        names = sorted(headers)
        signed = ";".join(names)
        canonical = "\n".join([method, path, qs, *(f"{n}:{' '.join(headers[n].split())}" for n in names), "",
                               signed, "UNSIGNED-PAYLOAD"])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._signing_key(creds.secret_key, day), to_sign.encode(), "sha256").hexdigest()
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
                                    f"SignedHeaders={signed}, Signature={signature}")
        return (f"{path}?{qs}" if qs else path), headers, canonical

    def request(self, method: str, bucket: str, key: str, query: dict[str, str], body: Body | None,
                extra: dict[str, str], op: str) -> tuple[http.client.HTTPResponse, bytes]:
        """One signed request; a 2xx answer and its body, else botocore's exception for the failure.

        The body goes out after the headers by ``send_body`` (a FileRange by sendfile(2), again on a retry)."""
        be = _botocore_exc()
        url, headers, _ = self.sign(method, bucket, key, query, extra)
        if body is not None:
            headers["content-length"] = str(len(body))
        for fresh in (False, True):  # a kept-alive connection the server closed meanwhile: one new try
            conn = self._connection()
            reused = conn.sock is not None
            try:
                if conn.sock is None:
                    try:
                        conn.connect()
                    except ssl.SSLCertVerificationError as exc:
                        raise be.SSLError(endpoint_url=self.endpoint_url, error=exc) from exc
                    except TimeoutError as exc:
                        raise be.ConnectTimeoutError(endpoint_url=self.endpoint_url, error=exc) from exc
                    except OSError as exc:
                        raise be.EndpointConnectionError(endpoint_url=self.endpoint_url, error=exc) from exc
                    cast(Any, conn.sock).settimeout(self.read_timeout)
                    set_send_timeout(cast(Any, conn.sock), self.read_timeout)
                    with self._all_lock:
                        self._all.add(conn)
                conn.request(method, url, body=None, headers=headers)  # content-length is set
                if body:
                    send_body(cast(Any, conn.sock), body)
                resp = conn.getresponse()
                data = resp.read()
            except (be.EndpointConnectionError, be.ConnectTimeoutError, be.SSLError, IntegrityError):
                self._drop()  # an IntegrityError: the source shrank mid-body; the request is half sent
                raise
            except TimeoutError as exc:
                self._drop()
                raise be.ReadTimeoutError(endpoint_url=self.endpoint_url, error=exc) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                if reused and not fresh:  # e.g. the server closed it while idle: a retry, counted
                    retry.STATS.add(retry.CONNECTION)
                    continue
                raise be.ConnectionClosedError(endpoint_url=self.endpoint_url, error=exc) from exc
            if resp.will_close:
                self._drop()
            if resp.status >= 300:
                raise be.ClientError(_error_response(resp.status, data), op)
            return resp, data
        raise AssertionError("unreachable")


def _xml_fields(body: bytes) -> dict[str, str]:
    """Leaf elements of a small S3 XML answer by tag (namespaces dropped); {} if it is not XML."""
    import xml.etree.ElementTree as ET

    out: dict[str, str] = {}
    with contextlib.suppress(ET.ParseError):
        for el in ET.fromstring(body).iter():
            if len(el) == 0:
                out.setdefault(el.tag.rsplit("}", 1)[-1], el.text or "")
    return out


def _error_response(status: int, body: bytes) -> dict[str, Any]:
    """An S3 XML error body -> the dict botocore's ClientError carries."""
    fields = _xml_fields(body)
    return {"Error": {"Code": fields.get("Code") or str(status), "Message": fields.get("Message", "")},
            "ResponseMetadata": {"HTTPStatusCode": status}}


def _checksum_headers(args: dict[str, str]) -> dict[str, str]:
    """boto3's ChecksumCRC32C / ContentMD5 arguments as the HTTP headers they become."""
    return {("x-amz-checksum-crc32c" if k == "ChecksumCRC32C" else "Content-MD5"): v for k, v in args.items()}


def _lean_put_possible(endpoint_url: str | None) -> bool:
    """An http(s) endpoint with no proxy for the host (botocore would use one), path-style addressing."""
    if not endpoint_url:
        return False
    scheme = urlsplit(endpoint_url).scheme.lower()
    if scheme not in ("http", "https"):
        return False
    import urllib.request

    host = urlsplit(endpoint_url).hostname or ""
    proxies = urllib.request.getproxies_environment()
    return not proxies.get(scheme) or bool(urllib.request.proxy_bypass(host))


def _cert_failure(exc: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (botocore/urllib3 wrap it), if any."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return exc
        kwargs = getattr(exc, "kwargs", None)
        inner = kwargs.get("error") if isinstance(kwargs, dict) else None
        exc = inner if isinstance(inner, BaseException) else (exc.__cause__ or exc.__context__)
        seen += 1
    return None


@dataclass(frozen=True)
class _StaticCredentials:
    """Keys read from the environment, shaped like botocore's credentials for ``_LeanClient``."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def get_frozen_credentials(self) -> _StaticCredentials:
        return self


@dataclass(frozen=True)
class _ClientArgs:
    """What building the boto3 client needs, kept until its first use."""

    endpoint_url: str | None
    region: str | None
    key_id: str | None
    secret: str | None = field(repr=False)
    token: str | None = field(repr=False)
    profile: str | None
    max_attempts: int
    connect_timeout: float
    read_timeout: float
    ca_bundle: str | None = None


@dataclass(frozen=True)
class MultipartUpload:
    uri: str
    key: str
    upload_id: str
    initiated: datetime


class S3Storage(Storage):
    """An S3 endpoint; ``scheme`` is echoed in every URI it returns (s3, s3a, or jfs for a gateway)."""

    writes_temp_files = False

    def __init__(
        self,
        *,
        scheme: str = "s3",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id_env: str | None = None,
        secret_access_key_env: str | None = None,
        session_token_env: str | None = None,
        profile: str | None = None,
        part_size: int = 64 * MiB,
        max_concurrency: int = 8,
        connect_timeout: float = 5,
        read_timeout: float = 60,
        max_attempts: int = 6,
        ca_bundle: str | None = None,
    ) -> None:
        if part_size < MIN_PART:
            raise ConfigError(f"part_size {part_size} is below S3's 5 MiB minimum")
        if max_concurrency < 1 or max_attempts < 1:
            raise ConfigError("max_concurrency and max_attempts must be >= 1")
        self.scheme = scheme
        self.part_size = int(part_size)
        self.max_concurrency = int(max_concurrency)
        # Part uploads of all writers of this store share one pool and one cap on parts in flight, so
        # many concurrent writers (one per copy thread) hold at most PARTS_IN_FLIGHT_PER_STORE x
        # max_concurrency parts and UPLOAD_BUFFER_BYTES (64 MiB parts x 8: 8 in flight, not 16), plus the
        # one each is filling, however many files are open.
        self.parts_in_flight_max = max(1, min(PARTS_IN_FLIGHT_PER_STORE * self.max_concurrency,
                                              UPLOAD_BUFFER_BYTES // self.part_size))
        self._parts_in_flight = threading.BoundedSemaphore(self.parts_in_flight_max)
        self._part_pool: ThreadPoolExecutor | None = None
        self._part_pool_lock = threading.Lock()
        self.retry_policy = RetryPolicy(attempts=max_attempts)
        self.retry_budget = RetryBudget()  # the store's retry quota (migrate.retry)
        # Bodies carry a checksum the server verifies and are not hashed again for SigV4 (module doc).
        # "crc32c" until an endpoint refuses x-amz-checksum-*, then "md5"; None: signed payloads.
        self.body_checksum: str | None = None if scheme == "jfs" else "crc32c"

        key_id = secret = token = None
        if access_key_id_env or secret_access_key_env:
            if not (access_key_id_env and secret_access_key_env):
                raise ConfigError("give both access_key_id_env and secret_access_key_env (names of env vars)")
            key_id, secret = os.environ.get(access_key_id_env), os.environ.get(secret_access_key_env)
            missing = [n for n, v in ((access_key_id_env, key_id), (secret_access_key_env, secret)) if not v]
            if missing:
                raise ConfigError(f"S3 credentials for {endpoint_url or 'AWS S3'}: environment variable(s) "
                                  f"{', '.join(missing)} not set (export them, or use an AWS profile)")
            token = os.environ.get(session_token_env) if session_token_env else None
            self.credential_source = f"env {access_key_id_env}, secret from env {secret_access_key_env}"
        elif profile:
            self.credential_source = f"profile {profile}"
        else:
            self.credential_source = "the default credential chain"
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._lean: _LeanClient | None = None
        lean = self.body_checksum is not None and _lean_put_possible(endpoint_url)
        # Keys and region given: everything a copy needs goes through the lean client, so botocore
        # (~0.2 s to import and build a client) is only loaded if some other call needs it.
        lazy = bool(lean and key_id and region)
        session: Any = None
        if not lazy:
            session, region = self._session(profile, key_id, region)
        self._client_args = _ClientArgs(endpoint_url, region, key_id, secret, token, profile, max_attempts,
                                        connect_timeout, read_timeout, ca_bundle)
        self.ca_bundle = ca_bundle
        ssl_context = self._ssl_context(endpoint_url, ca_bundle)
        if lazy:
            assert endpoint_url is not None and key_id is not None and region is not None
            self.endpoint = endpoint_url.rstrip("/")
            self._lean = _LeanClient(self.endpoint, region, _StaticCredentials(key_id, cast(str, secret), token),
                                     connect_timeout, read_timeout, ssl_context)
            return
        self._client = self._new_client(session)
        self.endpoint = self._client.meta.endpoint_url
        if lean:
            import botocore.credentials

            creds = (botocore.credentials.Credentials(key_id, cast(str, secret), token) if key_id
                     else session.get_credentials())
            if creds is not None:  # none found: botocore's path reports it (AuthError)
                self._lean = _LeanClient(self.endpoint, cast(str, region), creds, connect_timeout, read_timeout,
                                         ssl_context)

    @staticmethod
    def _ssl_context(endpoint_url: str | None, ca_bundle: str | None) -> ssl.SSLContext | None:
        """The lean client's TLS context for an https endpoint: ``ca_bundle`` or the system's CAs."""
        if ca_bundle is not None and not os.path.isfile(ca_bundle):
            raise ConfigError(f"ca_bundle {ca_bundle} (for {endpoint_url or 'AWS S3'}) is not a file")
        if not endpoint_url or urlsplit(endpoint_url).scheme.lower() != "https":
            return None
        try:  # like botocore: $AWS_CA_BUNDLE when the plan names none
            return ssl.create_default_context(cafile=ca_bundle or os.environ.get("AWS_CA_BUNDLE") or None)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"ca_bundle {ca_bundle}: not a PEM file of CA certificates ({exc})") from None

    @staticmethod
    def _session(profile: str | None, key_id: str | None, region: str | None) -> tuple[Any, str]:
        import boto3
        import botocore.exceptions

        try:
            session = boto3.session.Session(profile_name=None if key_id else profile)
        except botocore.exceptions.ProfileNotFound as exc:
            raise ConfigError(f"AWS profile {profile!r} not found") from exc
        return session, region or session.region_name or "us-east-1"

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use when the lean client was enough so far."""
        c = self._client
        if c is None:
            with self._client_lock:
                if self._client is None:
                    a = self._client_args
                    self._client = self._new_client(self._session(a.profile, a.key_id, a.region)[0])
                c = self._client
        return c

    def _new_client(self, session: Any) -> Any:
        from botocore.config import Config

        a = self._client_args
        config = Config(
            region_name=a.region,
            signature_version="s3v4",
            # Path style: S3-compatible servers on 127.0.0.1 have no per-bucket DNS names.
            s3={**({"addressing_style": "path"} if a.endpoint_url else {}),
                **({"payload_signing_enabled": False} if self.body_checksum else {})},
            retries={"mode": "standard", "total_max_attempts": 1},  # ours (``_retried``): bounded, counted
            connect_timeout=a.connect_timeout,
            read_timeout=a.read_timeout,
            # Enough for every shared part upload plus a PUT from each caller thread: a full pool drops
            # connections, and every new one costs a TCP handshake (and server work) per request.
            max_pool_connections=max(64, 4 * self.max_concurrency),
            tcp_keepalive=True,
            # Gateways built on older MinIO reject the newer flexible-checksum headers; we checksum ourselves.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        client = session.client(
            "s3", endpoint_url=a.endpoint_url, aws_access_key_id=a.key_id, aws_secret_access_key=a.secret,
            aws_session_token=a.token, config=config, verify=a.ca_bundle,
        )
        client.meta.events.register("before-call.s3.DeleteObjects", _add_content_md5)
        if self.body_checksum:  # an unsigned CompleteMultipartUpload body still gets its checksum
            client.meta.events.register("before-call.s3.CompleteMultipartUpload", _add_content_md5)
        return client

    # -- helpers -------------------------------------------------------------------------------

    def _split(self, uri: str) -> tuple[str, str]:
        _, bucket, key = split_uri(uri)
        return bucket, key

    def _uri(self, bucket: str, key: str) -> str:
        return f"{self.scheme}://{bucket}/{key}"

    def _fail(self, exc: BaseException, uri: str, op: str) -> NoReturn:
        raise self._translate(exc, uri, op) from exc

    def _translate(self, exc: BaseException, uri: str, op: str) -> StorageError:
        """One botocore error -> one of ours, naming the object and endpoint but never a secret."""
        if isinstance(exc, StorageError):
            return exc
        be = _botocore_exc()
        bucket = self._split(uri)[0] if "://" in uri else uri
        where = f"{self.scheme}://{bucket} at {self.endpoint}"
        if isinstance(exc, be.ClientError):
            code, status = _code_status(exc)
            if code == "NoSuchBucket":
                return NotFound(f"bucket {bucket!r} does not exist at {self.endpoint} ({op} {uri})", uri)
            if code in NOT_FOUND_CODES or status == 404:
                return NotFound(f"not found: {uri}", uri)
            if code == "AccessDenied":  # valid keys (else InvalidAccessKeyId / SignatureDoesNotMatch): a permission
                return AuthError(
                    f"S3 refused the credentials (access key from {self.credential_source}) for {where}: "
                    f"AccessDenied on {op} {uri}: the identity lacks this permission (`migrate policy PLAN` "
                    "writes the policy a plan needs)", uri)
            if code in AUTH_CODES or status in (401, 403):
                return AuthError(
                    f"S3 refused the credentials (access key from {self.credential_source}) for {where}: "
                    f"{code or status} on {op} {uri}", uri)
            if code in THROTTLE_CODES or status >= 500 or status == 429:
                return TransientStorageError(
                    f"S3 {code or status} on {op} {uri} at {self.endpoint} after retries", uri)
            if code == "PreconditionFailed" or status == 412:
                return IntegrityError(f"{uri} changed while being read ({op})", uri)
            return StorageError(f"S3 {code or status} on {op} {uri} at {self.endpoint}: {exc}", uri)
        cert = _cert_failure(exc)
        if cert is not None:
            return TlsError(
                f"TLS certificate of S3 endpoint {self.endpoint} not trusted ({cert.verify_message or cert}) on "
                f"{op} {uri}; trusted CAs: {self.ca_bundle or 'the system store'} (set ca_bundle in the plan's "
                "store to the CA file that signed the server's certificate)", uri)
        if _is_connect_failure(exc):
            return EndpointUnreachable(
                f"S3 endpoint {self.endpoint} unreachable ({type(exc).__name__}) on {op} {uri}", uri)
        if isinstance(exc, be.NoCredentialsError | be.PartialCredentialsError):
            return AuthError(f"no S3 credentials found (looked in {self.credential_source}) for {where}", uri)
        if is_transient(exc):
            return TransientStorageError(f"{type(exc).__name__} on {op} {uri} at {self.endpoint}: {exc}", uri)
        if isinstance(exc, be.BotoCoreError):
            return StorageError(f"{type(exc).__name__} on {op} {uri} at {self.endpoint}: {exc}", uri)
        return StorageError(f"{type(exc).__name__} on {op} {uri}: {exc}", uri)

    def _retried(self, fn: Callable[[], Any], what: str) -> Any:
        """``fn()`` (one request) under the store's retry policy and quota (``what`` names it in the log)."""
        return call_with_retry(fn, policy=self.retry_policy, classify=retry_reason, budget=self.retry_budget,
                               what=f"{what} at {self.endpoint}")

    def _call(self, op: str, uri: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """``fn(**kwargs)``, one request, retried; its failure as one of our errors."""
        try:
            return self._retried(lambda: fn(**kwargs), f"{op} {uri}")
        except Exception as exc:
            self._fail(exc, uri, op)

    def _translated(self, op: str, uri: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """``fn(**kwargs)`` (which retries its requests itself); its failure as one of our errors."""
        try:
            return fn(**kwargs)
        except Exception as exc:
            self._fail(exc, uri, op)

    def _pages(self, uri: str, bucket: str, prefix: str, delimiter: str | None) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        while True:
            page = self._call("list", uri, self.client.list_objects_v2, **kwargs)
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            kwargs["ContinuationToken"] = token

    def _info(self, bucket: str, obj: dict[str, Any]) -> FileInfo:
        etag = str(obj.get("ETag") or "").strip('"')
        mtime = obj.get("LastModified")
        return FileInfo(
            self._uri(bucket, obj["Key"]), int(obj.get("Size", obj.get("ContentLength", 0)) or 0),
            mtime.timestamp() if mtime else 0.0, native_checksum=f"etag:{etag}" if etag else None,
        )

    def _is_folder(self, uri: str, bucket: str, key: str) -> bool:
        """A "folder": a marker object ``key/`` or any object below ``key/``."""
        page = self._call("list", uri, self.client.list_objects_v2, Bucket=bucket,
                          Prefix=key.rstrip("/") + "/", MaxKeys=1)
        return bool(page.get("KeyCount") or page.get("Contents") or page.get("CommonPrefixes"))

    # -- Storage -------------------------------------------------------------------------------

    def list(self, uri: str) -> Iterator[FileInfo]:
        bucket, key = self._split(uri)
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        seen = False
        for page in self._pages(uri, bucket, prefix, "/"):
            for cp in page.get("CommonPrefixes") or ():
                seen = True
                yield FileInfo(self._uri(bucket, cp["Prefix"].rstrip("/")), 0, 0.0, is_dir=True)
            for obj in page.get("Contents") or ():
                seen = True
                if obj["Key"] == prefix:  # the folder's own marker
                    continue
                yield self._info(bucket, obj)
        if not seen and prefix:
            raise NotFound(f"not found (no objects below): {uri}", uri)

    def walk(self, uri: str) -> Iterator[FileInfo]:
        bucket, key = self._split(uri)
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        seen = False
        for page in self._pages(uri, bucket, prefix, None):
            for obj in page.get("Contents") or ():
                seen = True
                if obj["Key"].endswith("/"):  # folder markers are not files
                    continue
                yield self._info(bucket, obj)
        if not seen and prefix:
            raise NotFound(f"not found (no objects below): {uri}", uri)

    def stat(self, uri: str) -> FileInfo:
        be = _botocore_exc()
        bucket, key = self._split(uri)
        if not key.strip("/"):
            try:
                self._retried(lambda: self.client.head_bucket(Bucket=bucket), f"stat {uri}")
            except Exception as exc:
                err = self._translate(exc, uri, "stat")
                if isinstance(err, NotFound):
                    err = NotFound(f"bucket {bucket!r} does not exist at {self.endpoint}", uri)
                raise err from exc
            return FileInfo(uri, 0, 0.0, is_dir=True)
        try:
            head = self._retried(lambda: self.client.head_object(Bucket=bucket, Key=key), f"stat {uri}")
        except be.ClientError as exc:
            err = self._translate(exc, uri, "stat")
            # A policy that grants only ``key/*`` (what `migrate policy` writes) answers HEAD on the folder's
            # own name with 403, as S3 does for a missing key without an unconditioned ListBucket: list below it.
            if not isinstance(err, NotFound | AuthError):
                raise err from exc
            try:
                if self._is_folder(uri, bucket, key):
                    return FileInfo(uri, 0, 0.0, is_dir=True)
            except AuthError:
                pass
            raise err from exc
        except Exception as exc:
            self._fail(exc, uri, "stat")
        info = self._info(bucket, {**head, "Key": key})
        # Filer-backed servers (SeaweedFS) answer HEAD on a folder entry with this content type.
        if key.endswith("/") or head.get("ContentType") == "application/x-directory":
            return FileInfo(uri, 0, info.mtime, is_dir=True)
        return FileInfo(uri, info.size, info.mtime, native_checksum=info.native_checksum)

    def open(self, uri: str, offset: int = 0, length: int | None = None) -> BinaryIO:
        if offset < 0 or (length is not None and length < 0):
            raise ValueError(f"negative offset/length for {uri}")
        if length == 0:
            return io.BytesIO(b"")
        return _S3Reader(self, uri, offset, length)  # type: ignore[return-value]

    def writer(self, uri: str, checksum: str = DEFAULT_CHECKSUM) -> AtomicWriter:
        bucket, key = self._split(uri)
        if not key or key.endswith("/"):
            raise StorageError(f"cannot write an object with an empty name or a trailing '/': {uri}", uri)
        return _S3Writer(self, uri, bucket, key, checksum)

    def delete(self, uri: str, recursive: bool = False) -> None:
        bucket, key = self._split(uri)
        if not recursive:
            if key:
                self._call("delete", uri, self.client.delete_object, Bucket=bucket, Key=key)
            return
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        batch: builtins.list[dict[str, str]] = [{"Key": key}] if key.strip("/") else []
        for page in self._pages(uri, bucket, prefix, None):
            for obj in page.get("Contents") or ():
                batch.append({"Key": obj["Key"]})
                if len(batch) >= DELETE_BATCH:
                    self._delete_batch(uri, bucket, batch)
                    batch = []
        if batch:
            self._delete_batch(uri, bucket, batch)
        self._delete_empty_folders(uri, bucket, prefix)

    def _delete_empty_folders(self, uri: str, bucket: str, prefix: str) -> None:
        """Filer-backed servers (SeaweedFS) keep emptied folders as ``dir/`` entries: remove them too.

        On plain S3 this is one empty listing.
        """
        folders: builtins.list[str] = []
        todo = [prefix]
        while todo:
            current = todo.pop()
            for page in self._pages(uri, bucket, current, "/"):
                for cp in page.get("CommonPrefixes") or ():
                    folders.append(cp["Prefix"])
                    todo.append(cp["Prefix"])
        if prefix:
            folders.append(prefix)
        folders.sort(key=lambda k: k.count("/"), reverse=True)  # children before parents
        for i in range(0, len(folders), DELETE_BATCH):
            self._delete_batch(uri, bucket, [{"Key": k} for k in folders[i : i + DELETE_BATCH]])

    def _delete_batch(self, uri: str, bucket: str, batch: builtins.list[dict[str, str]]) -> None:
        resp = self._call("delete", uri, self.client.delete_objects, Bucket=bucket,
                          Delete={"Objects": batch, "Quiet": True})
        errors = [e for e in resp.get("Errors") or () if e.get("Code") != "NoSuchKey"]
        if errors:
            first = errors[0]
            code = str(first.get("Code"))
            msg = f"{len(errors)} object(s) not deleted under {uri}; first {first.get('Key')!r}: {code}"
            if code in AUTH_CODES:
                raise AuthError(msg + f" (access key from {self.credential_source})", uri)
            if code in THROTTLE_CODES:
                raise TransientStorageError(msg, uri)
            raise StorageError(msg, uri)

    def close(self) -> None:
        with self._part_pool_lock:
            pool, self._part_pool = self._part_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        if self._lean is not None:
            self._lean.close()
        if self._client is not None:
            self._client.close()

    def _send_part(self, bucket: str, key: str, upload_id: str, number: int, body: Body,
                   checksum: dict[str, str]) -> str:
        """One UploadPart; its ETag. ``checksum``: the body's ChecksumCRC32C or ContentMD5 argument."""
        lean = self._lean
        if lean is not None:
            return lean.upload_part(bucket, key, upload_id, number, body, _checksum_headers(checksum))
        # A bytearray body is sent as is (no copy); botocore accepts it though the stubs say bytes.
        resp = self.client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                       Body=cast(bytes, body), **checksum)
        return str(resp["ETag"])

    def _parts_pool(self) -> ThreadPoolExecutor:
        with self._part_pool_lock:
            if self._part_pool is None:
                self._part_pool = ThreadPoolExecutor(self.parts_in_flight_max,
                                                     thread_name_prefix="s3-part")
            return self._part_pool

    # -- multipart housekeeping ----------------------------------------------------------------

    def list_multipart_uploads(self, prefix: str) -> builtins.list[MultipartUpload]:
        """Uploads started and neither completed nor aborted under ``prefix`` (a folder URI)."""
        bucket, key = self._split(prefix)
        # A folder: "t" must not match the uploads of a sibling "t2/" (another dataset's live writers), and a
        # policy granting "t/*" (what `migrate policy` writes) allows listing "t/" but not "t".
        key = key.rstrip("/") + "/" if key.strip("/") else ""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": key}
        out: builtins.list[MultipartUpload] = []
        lean = self._lean
        while True:
            if lean is not None:
                query = {"prefix": key}
                if "KeyMarker" in kwargs:
                    query.update({"key-marker": kwargs["KeyMarker"], "upload-id-marker": kwargs["UploadIdMarker"]})

                page = self._call("list uploads", prefix, lean.list_uploads, bucket=bucket, query=query)
            else:
                page = self._call("list uploads", prefix, self.client.list_multipart_uploads, **kwargs)
            for u in page.get("Uploads") or ():
                if not u["Key"].startswith(key):  # some servers ignore Prefix
                    continue
                initiated = u.get("Initiated") or datetime.fromtimestamp(0, UTC)
                out.append(MultipartUpload(self._uri(bucket, u["Key"]), u["Key"], u["UploadId"], initiated))
            if not page.get("IsTruncated"):
                return out
            kwargs["KeyMarker"] = page.get("NextKeyMarker", "")
            kwargs["UploadIdMarker"] = page.get("NextUploadIdMarker", "")

    def abort_orphaned_uploads(
        self, prefix: str, older_than_seconds: float = 24 * 3600
    ) -> builtins.list[MultipartUpload]:
        """Abort uploads under ``prefix`` started more than ``older_than_seconds`` ago; return them.

        Writers abort their own uploads; this sweeps up after killed processes. Keep the age well
        above the longest running upload so live writers are not cut off.
        """
        now = datetime.now(UTC)
        aborted = []
        for u in self.list_multipart_uploads(prefix):
            initiated = u.initiated if u.initiated.tzinfo else u.initiated.replace(tzinfo=UTC)
            if (now - initiated).total_seconds() < older_than_seconds:
                continue
            bucket, _ = self._split(u.uri)
            try:
                self._retried(partial(self.client.abort_multipart_upload, Bucket=bucket, Key=u.key,
                                      UploadId=u.upload_id), f"abort of upload {u.upload_id} of {u.uri}")
            except Exception as exc:
                err = self._translate(exc, u.uri, "abort upload")
                if isinstance(err, NotFound):  # finished or aborted meanwhile
                    continue
                raise err from exc
            log.info("aborted orphaned multipart upload %s of %s (started %s)",
                     u.upload_id, u.uri, u.initiated)
            aborted.append(u)
        return aborted


class _S3Reader(ReadStream):
    """A ranged GET streamed from its StreamingBody; a dropped stream resumes where it stopped.

    The resume sends If-Match with the first response's ETag, so a replaced object is an
    IntegrityError rather than a splice of two versions.
    """

    RESUMES = 3

    def __init__(self, store: S3Storage, uri: str, offset: int, length: int | None) -> None:
        super().__init__()
        self._store = store
        self.uri = uri
        self._bucket, self._key = store._split(uri)
        self._pos = offset
        self._end: int | None = None if length is None else offset + length
        self._etag: str | None = None
        self._body: Any = None
        self._get()

    def _get(self) -> None:
        be = _botocore_exc()
        kwargs: dict[str, Any] = {"Bucket": self._bucket, "Key": self._key}
        if self._pos or self._end is not None:
            # No Range for a whole read: "bytes=0-" on an empty object is a 416 on AWS.
            kwargs["Range"] = f"bytes={self._pos}-" + ("" if self._end is None else str(self._end - 1))
        if self._etag:
            kwargs["IfMatch"] = self._etag
        try:
            store = self._store
            resp = store._retried(lambda: store.client.get_object(**kwargs), f"read of {self.uri}")
        except be.ClientError as exc:
            code, status = _code_status(exc)
            if code == "InvalidRange" or status == 416:  # past the end: empty, like a file read
                self._body, self._end = None, self._pos
                return
            self._store._fail(exc, self.uri, "open")
        except Exception as exc:
            self._store._fail(exc, self.uri, "open")
        self._etag = self._etag or resp.get("ETag")
        self._body = resp["Body"]
        # The server may return less than asked (range past the end): trust what it says it sends.
        self._end = self._pos + int(resp.get("ContentLength", 0))


    def read(self, n: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError(f"read from a closed reader: {self.uri}")
        if n is not None and n >= 0:
            return self._read_some(n)
        # Read to the end: a dropped stream can hand back a short chunk, so loop until the range is done.
        parts = []
        while chunk := self._read_some(1 << 62):
            parts.append(chunk)
        return b"".join(parts)

    def _read_some(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer after a drop); b"" only at the end of the range."""
        assert self._end is not None
        left = self._end - self._pos
        if left <= 0 or self._body is None or n == 0:
            return b""
        want = min(n, left)
        for attempt in range(self.RESUMES + 1):
            try:
                data = self._body.read(want)
                if not data:
                    raise TransientStorageError(f"stream ended {left} bytes early", self.uri)
                break
            except Exception as exc:
                # A stream that ended early (TransientStorageError above) is a dropped connection.
                reason = retry.CONNECTION if isinstance(exc, TransientStorageError) else retry_reason(exc)
                if reason is None or reason == retry.CONNECT or attempt == self.RESUMES:
                    self._store._fail(exc, self.uri, "read")
                if not self._store.retry_budget.take(reason):
                    retry.STATS.add(retry.BUDGET_EXHAUSTED)
                    self._store._fail(exc, self.uri, "read")
                retry.STATS.add(reason)
                log.warning("read of %s dropped at byte %d (%s); resuming",
                            self.uri, self._pos, type(exc).__name__)
                self._close_body()
                time.sleep(self._store.retry_policy.delay(attempt))
                self._get()
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)


    def _close_body(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):  # closing a broken stream may itself fail
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._close_body()
        super().close()


class _S3Writer(AtomicWriter):
    """Buffer up to one part; below part_size -> one PUT on commit, else a concurrent multipart upload.

    Memory stays bounded: ``write`` blocks until a slot frees, with at most ``max_concurrency`` parts
    of this writer in flight and at most ``parts_in_flight_max`` over all writers of the store (they
    share one upload pool), plus the part being filled. A write of an immutable ``bytes`` of exactly
    one part (a copy reading part-sized chunks) is uploaded as is, without copying it into the buffer,
    and so is a lone ``bytes`` below one part (a small file read
    at once, or a copy's last chunk): it is held by reference and becomes the PUT body or last part.
    ``send_file`` uploads a local file without reading it into memory at all (module ``filerange``).
    """

    def __init__(self, store: S3Storage, uri: str, bucket: str, key: str, checksum: str) -> None:
        super().__init__(uri, checksum)
        self.store = store
        self.bucket = bucket
        self.key = key
        self._buf = bytearray()
        # One whole immutable write below a part, not copied (yet), or the range of a local file (send_file).
        self._held: bytes | FileRange | None = None
        self._upload_id: str | None = None
        self._crc_parts = False  # the upload was started with ChecksumAlgorithm=CRC32C: every part carries one
        self._slots = threading.BoundedSemaphore(store.max_concurrency)
        self._futures: list[Future[dict[str, Any]]] = []
        self._next_part = 1
        self._reserved = False  # room for one part taken ahead by reserve_part

    def reserve_part(self) -> None:
        """Wait now for room for one more part in flight, before the caller reads that part: a copy
        reading part-sized chunks then holds no data while it waits, so its memory is the parts in
        flight, not also one waiting chunk per copy thread."""
        if not self._reserved:
            self._slots.acquire()
            self.store._parts_in_flight.acquire()
            self._reserved = True

    def _release_reservation(self) -> None:
        if self._reserved:
            self._reserved = False
            self.store._parts_in_flight.release()
            self._slots.release()

    def accepts_file(self) -> bool:
        """True if ``send_file`` may be used: nothing written yet, and the lean client (sendfile(2))
        with a checksum header the server verifies the body against."""
        store = self.store
        return (store._lean is not None and store.body_checksum in ("crc32c", "md5") and not self.hasher.size
                and self._upload_id is None and self._held is None and not self._buf and not self._done)

    def send_file(self, fd: int, length: int, name: str, progress: Callable[[int], Any] | None = None) -> int:
        """Upload the first ``length`` bytes of the open regular file ``fd`` (once, when ``accepts_file``).

        Each part's range is hashed here (content checksum and the part's CRC32C, from one small buffer)
        and then sent by the kernel from the page cache. Returns the bytes covered: fewer if the file
        ended early (it shrank; the caller's size check then sees it).
        """
        if not self.accepts_file():
            raise ValueError(f"send_file needs a fresh writer on a lean-client store: {self.uri}")
        size = self.store.part_size
        if length <= size:  # one PUT on commit; a lone CRC32C content hash is also its header value
            whole = self.hasher if self.hasher.algorithm == CRC32C else None
            self._held = rng = hashed_range(fd, 0, length, name, self.hasher.update, crc=whole)
            if progress is not None:
                progress(rng.length)
            return rng.length
        done = 0
        while done < length:
            want = min(size, length - done)
            self.reserve_part()  # wait for room before hashing ahead of the uploads
            rng = hashed_range(fd, done, want, name, self.hasher.update)
            if rng.length == 0:
                self._release_reservation()
                break
            self._ship(rng)
            done += rng.length
            if progress is not None:
                progress(rng.length)
            if rng.length < want:
                break  # the file ended early
        return done

    def _write(self, data: memoryview) -> None:
        if isinstance(self._held, FileRange):
            raise ValueError(f"write after send_file: {self.uri}")
        size = self.store.part_size
        whole = data.obj
        if (not self._buf and self._held is None and isinstance(whole, bytes) and len(whole) == data.nbytes
                and data.nbytes <= size):
            if data.nbytes == size:
                self._ship(whole)  # immutable and exactly one part: no copy
            else:
                self._held = whole  # immutable: keep the reference; a further write folds it into the buffer
            return
        if self._held is not None:
            self._buf += self._held
            self._held = None
        while data.nbytes:
            take = min(data.nbytes, size - len(self._buf))
            self._buf += data[:take]
            data = data[take:]
            if len(self._buf) >= size:
                self._ship(self._buf)
                self._buf = bytearray()

    def _body_args(self, body: Body, crc: bool) -> dict[str, Any]:
        """The checksum header the server verifies the body against (module doc)."""
        if isinstance(body, FileRange):  # hashed by send_file; MD5 only for endpoints refusing CRC32C
            return {"ChecksumCRC32C": body.crc32c_b64} if crc else {"ContentMD5": body.md5_b64()}
        if crc:
            h = self.hasher
            if h.algorithm == CRC32C and self._upload_id is None and h.size == len(body):
                # The whole object in one PUT: its content checksum is the header value, not hashed again.
                return {"ChecksumCRC32C": base64.b64encode(h.digest()).decode()}
            return {"ChecksumCRC32C": _crc32c_b64(body)}
        if self.store.body_checksum:  # "md5": the endpoint refused x-amz-checksum-*
            return {"ContentMD5": _md5_b64(body)}
        return {}  # signed payload: SigV4 covers the body

    def _refused_checksum(self, exc: BaseException, op: str) -> bool:
        """True (and the store falls back to Content-MD5) if the endpoint refused x-amz-checksum-*."""
        store = self.store
        if store.body_checksum != "crc32c" or not isinstance(exc, _botocore_exc().ClientError):
            return False
        code, status = _code_status(exc)
        message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")).lower()
        if not (code == "NotImplemented" or status == 501
                or (code in CHECKSUM_UNSUPPORTED_CODES and "checksum" in message)):
            return False
        log.warning("%s refused x-amz-checksum-crc32c on %s (%s): using Content-MD5 from now on",
                    store.endpoint, op, code or status)
        store.body_checksum = "md5"
        return True

    def _start_upload(self) -> None:
        store = self.store
        lean = store._lean

        def create(crc: bool) -> str:
            if lean is not None:
                extra = {"x-amz-checksum-algorithm": "CRC32C"} if crc else {}
                return store._retried(lambda: lean.create_upload(self.bucket, self.key, extra),
                                      f"start of the upload of {self.uri}")
            kw = {"ChecksumAlgorithm": "CRC32C"} if crc else {}
            return str(store._retried(lambda: store.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, **kw), f"start of the upload of {self.uri}")["UploadId"])

        if store.body_checksum == "crc32c":
            try:
                self._upload_id, self._crc_parts = create(True), True
                return
            except Exception as exc:
                if not self._refused_checksum(exc, "start multipart upload"):
                    store._fail(exc, self.uri, "start multipart upload")
        self._upload_id = store._translated("start multipart upload", self.uri, create, crc=False)

    def _complete(self, upload_id: str, parts: list[dict[str, Any]]) -> Any:
        store = self.store
        lean = store._lean
        try:
            if lean is not None:
                return store._retried(lambda: lean.complete(self.bucket, self.key, upload_id, parts),
                                      f"completion of the upload of {self.uri}")
            return store._retried(lambda: store.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=upload_id, MultipartUpload={"Parts": parts}),
                f"completion of the upload of {self.uri}")
        except Exception as exc:
            done = self._completed_meanwhile(exc, parts)
            if done is None:
                raise
            return done

    def _completed_meanwhile(self, exc: BaseException, parts: list[dict[str, Any]]) -> dict[str, Any] | None:
        """A retried Complete whose first answer was lost finds the upload gone (NoSuchUpload). The object
        is then ours if its composite CRC32C is the one our parts make (a same-size older version is not)."""
        if _code_status(exc)[0] != "NoSuchUpload" or not parts or not all("ChecksumCRC32C" in p for p in parts):
            return None
        try:
            store = self.store
            head = store._retried(lambda: store.client.head_object(Bucket=self.bucket, Key=self.key,
                                                                   ChecksumMode="ENABLED"), f"stat {self.uri}")
        except Exception:
            return None
        if head.get("ChecksumCRC32C") != composite_crc32c([p["ChecksumCRC32C"] for p in parts]):
            return None
        if int(head.get("ContentLength", -1)) != self.hasher.size:
            return None
        log.info("%s: the completion's answer was lost; the object is the upload's (composite CRC32C)", self.uri)
        return {"ETag": head.get("ETag", "")}

    def _put(self, body: Body) -> Any:
        store = self.store
        # The body itself goes out (botocore takes a bytearray): no copy of the object.
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key, "Body": body}
        lean = store._lean
        if lean is not None and store.body_checksum:
            def put(crc: bool) -> Any:
                extra = _checksum_headers(self._body_args(body, crc))
                return store._retried(lambda: lean.put(self.bucket, self.key, body, extra), f"put of {self.uri}")
        else:
            def put(crc: bool) -> Any:
                return store._retried(lambda: store.client.put_object(**kwargs, **self._body_args(body, crc)),
                                      f"put of {self.uri}")
        if store.body_checksum == "crc32c":
            try:
                return put(True)
            except Exception as exc:
                if not self._refused_checksum(exc, "put"):
                    store._fail(exc, self.uri, "put")
        return store._translated("put", self.uri, put, crc=False)

    def _ship(self, part: Body) -> None:
        store = self.store
        if self._upload_id is None:
            self._start_upload()
        self._raise_failed()
        number = self._next_part
        if number > MAX_PARTS:
            raise StorageError(f"{self.uri} needs more than {MAX_PARTS} parts: raise part_size", self.uri)
        self._next_part += 1
        if self._reserved:
            self._reserved = False  # this part takes the room reserved for it
        else:
            self._slots.acquire()
            store._parts_in_flight.acquire()

        def release() -> None:
            store._parts_in_flight.release()
            self._slots.release()

        try:
            self._raise_failed()  # a part may have failed while we waited for a slot
            fut = store._parts_pool().submit(self._upload_part, number, part)
        except BaseException:
            release()
            raise
        fut.add_done_callback(lambda _f: release())
        self._futures.append(fut)

    def _upload_part(self, number: int, body: Body) -> dict[str, Any]:
        store = self.store
        upload_id = self._upload_id
        if upload_id is None:  # aborted while this part waited in the shared pool
            raise StorageError(f"upload of {self.uri} was aborted", self.uri)

        checksum = self._body_args(body, self._crc_parts)  # computed here, in the pool, once for all tries

        def once() -> str:
            return store._send_part(self.bucket, self.key, upload_id, number, body, checksum)

        try:
            resp = store._retried(once, f"upload of part {number} of {self.uri}")
        except Exception as exc:
            store._fail(exc, self.uri, f"upload part {number}")
        done = {"PartNumber": number, "ETag": resp}
        if "ChecksumCRC32C" in checksum:  # Complete must list every part's checksum
            done["ChecksumCRC32C"] = checksum["ChecksumCRC32C"]
        return done

    def _raise_failed(self) -> None:
        for fut in self._futures:
            if fut.done() and not fut.cancelled() and fut.exception() is not None:
                raise fut.exception()  # type: ignore[misc]

    def _commit(self) -> FileInfo:
        store = self.store
        try:
            tail = self._held if self._held is not None else self._buf
            self._held = None
            if self._upload_id is None:
                self._release_reservation()  # the whole object is one PUT: no part will use it
                resp = self._put(tail)
            else:
                if tail:
                    self._ship(tail)
                self._release_reservation()  # reserved for a part that never came (the source shrank)
                self._buf = bytearray()
                parts = [f.result() for f in self._futures]
                resp = store._translated("complete multipart upload", self.uri, self._complete,
                                   upload_id=self._upload_id, parts=parts)
                self._upload_id = None  # completed: nothing left to abort
                self._futures = []
        except BaseException:
            self._abort()
            raise
        etag = str(resp.get("ETag") or "").strip('"')
        return FileInfo(self.uri, self.hasher.size, time.time(),
                        native_checksum=f"etag:{etag}" if etag else None)

    def _shutdown(self) -> None:
        """Cancel this writer's queued parts and wait for its running ones (the pool is shared)."""
        futures, self._futures = self._futures, []
        for f in futures:
            f.cancel()
        wait(futures)

    def _abort(self) -> None:
        self._release_reservation()
        self._buf = bytearray()
        self._held = None
        self._shutdown()  # wait for running parts so none lands after the abort
        if self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        store = self.store
        try:
            store._retried(lambda: store.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=upload_id), f"abort of upload of {self.uri}")
        except Exception as exc:  # the original failure matters more; the orphan sweep will find it
            log.warning("could not abort multipart upload %s of %s: %s", upload_id, self.uri, exc)


def from_uri(
    uri: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id_env: str | None = None,
    secret_access_key_env: str | None = None,
    session_token_env: str | None = None,
    profile: str | None = None,
    part_size: int = 64 * MiB,
    max_concurrency: int = 8,
    connect_timeout: float = 5,
    read_timeout: float = 60,
    max_attempts: int = 6,
    ca_bundle: str | None = None,
) -> S3Storage:
    """The store for ``s3://`` / ``s3a://`` URIs (the bucket comes with each URI)."""
    scheme = uri.partition("://")[0].lower() if "://" in uri else "s3"
    return S3Storage(
        scheme=scheme, endpoint_url=endpoint_url, region=region, access_key_id_env=access_key_id_env,
        secret_access_key_env=secret_access_key_env, session_token_env=session_token_env, profile=profile,
        part_size=part_size, max_concurrency=max_concurrency, connect_timeout=connect_timeout,
        read_timeout=read_timeout, max_attempts=max_attempts, ca_bundle=ca_bundle,
    )
