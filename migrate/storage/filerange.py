"""A byte range of an open local file as an upload body sent with sendfile(2).

A copy from a local (or FUSE-mounted: MooseFS, JuiceFS) file to an object store need not pass the bytes
through Python at all: the writer hashes the range once (``hash_range``, into one small reused buffer,
which also gives the part's CRC32C the server checks) and the HTTP client then hands the kernel the file
descriptor, offset and length (``send_body``). That halves the client's CPU per byte against reading
each part into memory and sending it, and the copy holds no part bodies (its memory no longer grows with
part size x parts in flight). A retry sends the range again from the file.

A file that changes between the hashing and the sending is caught either way: the server refuses a body
whose CRC32C differs from the header (BadDigest), and a file that shrank sends short, which
``send_body`` reports as an IntegrityError (the engine then sees the changed source and redoes it).
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import stat
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from migrate import checksums
from migrate.errors import IntegrityError

HASH_CHUNK = 1 << 20  # read size of the hashing pass: stays in cache, one buffer per call
TLS_CHUNK = 256 << 10  # read-and-encrypt size over TLS (``_send_range_tls``; 1 MiB measured no better)
# Hashing is CPU-bound (a copy from the page cache and the CRC): at most one range per core at a time,
# so with many copy threads the first ranges are ready (and on the wire) at once instead of all of
# them together after sharing the cores.
_HASHING = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


@dataclass(frozen=True)
class FileRange:
    """``length`` bytes at ``offset`` of the open file ``fd``; ``crc32c_b64`` as x-amz-checksum-crc32c wants it."""

    fd: int
    offset: int
    length: int
    crc32c_b64: str
    name: str  # the source, for error messages

    def __len__(self) -> int:
        return self.length

    def md5_b64(self) -> str:
        """Content-MD5 of the range (for endpoints that refuse the CRC32C header): one more read."""
        h = hashlib.md5()
        hash_fd_range(self.fd, self.offset, self.length, h.update)
        return base64.b64encode(h.digest()).decode()


def regular_fd(f: Any) -> int | None:
    """The descriptor of ``f`` if it is an open regular file (a local or FUSE path), else None."""
    try:
        fd = int(f.fileno())
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (AttributeError, OSError, ValueError, TypeError):
        return None


def hash_fd_range(fd: int, offset: int, length: int, *sinks: Callable[[memoryview], Any]) -> int:
    """Feed ``length`` bytes at ``offset`` to every sink; the bytes read (fewer at end of file)."""
    buf = bytearray(min(HASH_CHUNK, max(length, 1)))
    view = memoryview(buf)
    done = 0
    with _HASHING:
        while done < length:
            n = os.preadv(fd, [view[: min(len(buf), length - done)]], offset + done)
            if n == 0:
                break
            chunk = view[:n]
            for sink in sinks:
                sink(chunk)
            done += n
    return done


def hashed_range(fd: int, offset: int, length: int, name: str, feed: Callable[[memoryview], Any],
                 crc: Any = None) -> FileRange:
    """Hash a range once, feeding ``feed`` (the content checksum), and describe it with its CRC32C.

    ``crc``: a CRC32C hash that ``feed`` already updates (the content checksum of a one-range upload),
    so the range is not checksummed twice. The range is shorter if the file ended early.
    """
    own = crc is None
    crc = checksums.new(checksums.CRC32C) if own else crc
    got = hash_fd_range(fd, offset, length, feed, crc.update) if own else hash_fd_range(fd, offset, length, feed)
    return FileRange(fd, offset, got, base64.b64encode(crc.digest()).decode(), name)


def send_body(sock: socket.socket, body: bytes | bytearray | FileRange) -> None:
    """Send an upload body, a FileRange by sendfile(2), with the socket blocking for the duration.

    A blocking send hands the kernel the whole body in one call. With Python's socket timeout (a
    non-blocking socket polled between sends) every socket-buffer's worth wakes the thread, which must
    then take the GIL back from the other copy threads: measured ~40x the calls and ~1.5x the CPU per
    byte. The send timeout meanwhile is the socket's SO_SNDTIMEO (``set_send_timeout``): no progress
    for that long raises TimeoutError. IntegrityError if a file range ended early (the file shrank).
    """
    timeout = sock.gettimeout()
    sock.settimeout(None)
    try:
        if isinstance(body, FileRange):
            if isinstance(sock, ssl.SSLSocket):
                _send_range_tls(sock, body)
            else:
                _sendfile(sock.fileno(), body)
        else:
            sock.sendall(body)
    except (BlockingIOError, ssl.SSLWantWriteError) as exc:  # SO_SNDTIMEO ran out with nothing sent
        raise TimeoutError(f"timed out sending {getattr(body, 'name', 'a request body')}") from exc
    finally:
        sock.settimeout(timeout)


def set_send_timeout(sock: socket.socket, seconds: float) -> None:
    """The timeout of blocking sends on ``sock`` (see ``send_body``)."""
    whole = int(seconds)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", whole, int((seconds - whole) * 1e6)))


def _send_range_tls(sock: ssl.SSLSocket, body: FileRange) -> None:
    """A file range over TLS, where sendfile(2) cannot go (the bytes are encrypted in this process):
    read into one reused buffer (``TLS_CHUNK``, in the page cache since the hashing pass) and hand each
    chunk to OpenSSL, which encrypts it without the GIL (benchmarks/tls_copy_bench.py measured the
    choices)."""
    buf = bytearray(min(TLS_CHUNK, max(body.length, 1)))
    view = memoryview(buf)
    offset, left = body.offset, body.length
    while left:
        n = os.preadv(body.fd, [view[: min(len(buf), left)]], offset)
        if n == 0:
            raise IntegrityError(f"{body.name} changed while read: it ended {left} bytes before the "
                                 f"{body.length} bytes at offset {body.offset} were sent", body.name)
        sock.sendall(view[:n])
        offset += n
        left -= n


def _sendfile(out: int, body: FileRange) -> None:
    offset, left = body.offset, body.length
    while left:
        n = os.sendfile(out, body.fd, offset, min(left, 1 << 30))
        if n == 0:
            raise IntegrityError(f"{body.name} changed while read: it ended {left} bytes before the "
                                 f"{body.length} bytes at offset {body.offset} were sent", body.name)
        offset += n
        left -= n
