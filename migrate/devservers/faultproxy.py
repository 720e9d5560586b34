"""A fault-injecting HTTP proxy on loopback, in front of an S3 endpoint (SeaweedFS), for reliability tests.

Requests are forwarded unchanged (the Host header too, so SigV4 signatures still verify upstream)
except those a ``Fault`` picks, which get instead:

- ``slowdown``: ``503 SlowDown`` with S3's XML error body (the request is not forwarded);
- ``reset``: the connection reset (RST) halfway through reading the request body (or right after
  its headers when it has none): the client cannot know how much arrived;
- ``stall``: the request read, then no answer for ``stall_seconds`` (the client's read timeout
  fires), then a reset;
- ``truncate``: the request forwarded and done upstream, the answer cut off halfway through its body
  (or its headers when it has no body) with a reset: the operation happened, the client never hears.

A fault applies to requests whose ``"METHOD /path?query"`` contains ``match``: to the ``first`` n of
them, then to each further one with probability ``rate`` (a seeded RNG: the same seed injects the same
faults into the same request sequence). ``injected`` counts what was done, ``requests`` what came in.

Run it by hand: ``python -m migrate.devservers.faultproxy http://127.0.0.1:8333 --slowdown 0.1 --reset 0.05``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import random
import signal
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO
from urllib.parse import urlsplit

KINDS = ("slowdown", "reset", "stall", "truncate")
SLOWDOWN_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                 b"<Message>Please reduce your request rate.</Message></Error>")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "expect"}
CHUNK = 64 << 10


@dataclass(frozen=True)
class Fault:
    kind: str  # one of KINDS
    rate: float = 0.0  # probability per matching request (after the first ``first``)
    first: int = 0  # the first n matching requests always get it
    match: str = ""  # substring of "METHOD /path?query"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(KINDS)})")
        if not 0.0 <= self.rate <= 1.0 or self.first < 0:
            raise ValueError(f"fault {self.kind}: rate must be in [0, 1] and first >= 0")


class _Reset(Exception):
    """End this client connection with a reset."""


def _rst(sock: socket.socket) -> None:
    """Close with a TCP reset rather than an orderly FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    """The proxy (module doc). ``start()`` / ``stop()`` or a ``with`` block; ``endpoint`` is its URL."""

    def __init__(self, upstream: str, faults: Sequence[Fault] = (), *, seed: int = 0, stall_seconds: float = 30.0,
                 host: str = "127.0.0.1", port: int = 0, upstream_timeout: float = 120.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL: {upstream}")
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self.faults = list(faults)
        self.stall_seconds = stall_seconds
        self.upstream_timeout = upstream_timeout
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self._rng = random.Random(seed)
        self._seen: Counter[int] = Counter()  # matching requests per fault index
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._clients: set[socket.socket] = set()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve_connection(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server((host, port), Handler, bind_and_activate=True)
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="faultproxy", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        with self._lock:
            clients, self._clients = set(self._clients), set()
        for c in clients:
            _rst(c)

    def set_faults(self, faults: Sequence[Fault]) -> None:
        """Replace the faults (their ``first`` counts start again)."""
        with self._lock:
            self.faults = list(faults)
            self._seen.clear()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- per connection --------------------------------------------------------------------------
    def _pick(self, line: str) -> str | None:
        with self._lock:
            self.requests += 1
            for i, f in enumerate(self.faults):
                if f.match not in line:
                    continue
                self._seen[i] += 1
                if self._seen[i] <= f.first or (f.rate and self._rng.random() < f.rate):
                    self.injected[f.kind] += 1
                    return f.kind
            return None

    def _serve_connection(self, sock: socket.socket) -> None:
        with self._lock:
            self._clients.add(sock)
        rfile = sock.makefile("rb")
        box: list[http.client.HTTPConnection | None] = [None]  # the kept-alive upstream connection
        try:
            while not self._stopping.is_set() and self._one_request(sock, rfile, box):
                pass
        except _Reset:
            _rst(sock)
        except (OSError, http.client.HTTPException, ValueError):
            _rst(sock)
        finally:
            with self._lock:
                self._clients.discard(sock)
            if box[0] is not None:
                box[0].close()
            with contextlib.suppress(OSError):
                rfile.close()
                sock.close()

    def _exchange(self, box: list[http.client.HTTPConnection | None], method: str, target: str,
                  headers: Any, body: bytes) -> http.client.HTTPResponse:
        """Send the request upstream on the kept-alive connection (a new one if that was closed)."""
        for reused in (box[0] is not None, False):
            up = box[0]
            if up is None:
                up = box[0] = http.client.HTTPConnection(self.upstream_host, self.upstream_port,
                                                         timeout=self.upstream_timeout)
            try:
                up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for k, v in headers.items():
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                        up.putheader(k, v)
                up.putheader("Content-Length", str(len(body)))
                up.endheaders(body if body else None)
                return up.getresponse()
            except (OSError, http.client.HTTPException):
                up.close()
                box[0] = None
                if not reused:
                    raise
        raise AssertionError("unreachable")

    def _one_request(self, sock: socket.socket, rfile: BinaryIO, box: list[http.client.HTTPConnection | None]
                     ) -> bool:
        """Serve one request; False when the connection should close."""
        line = rfile.readline(65537).decode("latin-1")
        if not line.strip():
            return False
        method, target, _version = line.split(" ", 2)
        headers = http.client.parse_headers(rfile)
        if headers.get("Expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        length = int(headers.get("Content-Length") or 0)
        chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        kind = self._pick(f"{method} {target}")
        if kind == "reset":
            if length:
                rfile.read(length // 2)
            raise _Reset
        body = self._read_body(rfile, length, chunked)
        if kind == "stall":
            deadline = time.monotonic() + self.stall_seconds
            while time.monotonic() < deadline and not self._stopping.is_set():
                time.sleep(0.05)
            raise _Reset
        if kind == "slowdown":
            sock.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                         + f"Content-Length: {len(SLOWDOWN_BODY)}\r\n\r\n".encode() + SLOWDOWN_BODY)
            return True
        resp = self._exchange(box, method, target, headers, body)
        up = box[0]
        assert up is not None
        has_body = method != "HEAD" and resp.status not in (204, 304) and not 100 <= resp.status < 200
        data: bytes | None = None
        if resp.chunked or (has_body and resp.length is None):
            data = resp.read()  # small XML answers: sent with a length instead
        size = len(data) if data is not None else (resp.length or 0)
        head = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        head += [f"{k}: {v}" for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}]
        if has_body or method == "HEAD":
            head.append(f"Content-Length: {size if has_body else resp.getheader('Content-Length', '0')}")
        close = resp.will_close
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if kind == "truncate":
            if has_body and size > 1:
                sock.sendall(raw_head)
                first = data[: size // 2] if data is not None else resp.read(size // 2)
                sock.sendall(first)
            else:
                sock.sendall(raw_head[: len(raw_head) // 2])
            up.close()
            box[0] = None
            raise _Reset
        sock.sendall(raw_head)
        if data is not None:
            sock.sendall(data)
        elif has_body:
            while chunk := resp.read(CHUNK):
                sock.sendall(chunk)
        else:
            resp.read()
        if close:
            up.close()
            box[0] = None
        return headers.get("Connection", "").lower() != "close"

    @staticmethod
    def _read_body(rfile: BinaryIO, length: int, chunked: bool) -> bytes:
        if not chunked:
            return rfile.read(length) if length else b""
        out = bytearray()
        while True:
            size = int(rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out)
            out += rfile.read(size)
            rfile.readline()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m migrate.devservers.faultproxy", description=__doc__.split("\n")[0])
    ap.add_argument("upstream", help="the endpoint to front, e.g. http://127.0.0.1:8333")
    for kind in KINDS:
        ap.add_argument(f"--{kind}", type=float, default=0.0, metavar="RATE", help=f"{kind} rate in [0, 1]")
    ap.add_argument("--match", default="", help="only requests whose 'METHOD /path?query' contains this")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stall-seconds", type=float, default=30.0)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args(argv)
    faults = [Fault(k, rate=getattr(a, k), match=a.match) for k in KINDS if getattr(a, k)]
    with FaultProxy(a.upstream, faults, seed=a.seed, stall_seconds=a.stall_seconds, port=a.port) as p:
        print(f"fault proxy {p.endpoint} -> {a.upstream}; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
        print(f"{p.requests} requests, injected: {dict(p.injected)}")


if __name__ == "__main__":
    main()
