"""File-range upload bodies: hashing a range, sending it by sendfile(2), timeouts, a shrinking file."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
from pathlib import Path

import pytest

from migrate import checksums
from migrate.errors import IntegrityError
from migrate.storage.filerange import FileRange, hash_fd_range, regular_fd, send_body, set_send_timeout


def _file(tmp_path: Path, size: int) -> tuple[Path, bytes]:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    return path, data


def _receive(sock: socket.socket, out: bytearray) -> threading.Thread:
    def run() -> None:
        while chunk := sock.recv(1 << 20):
            out.extend(chunk)

    t = threading.Thread(target=run)
    t.start()
    return t


def test_hash_fd_range_feeds_every_sink_and_stops_at_end_of_file(tmp_path: Path) -> None:
    path, data = _file(tmp_path, 3 * (1 << 20) + 123)
    with open(path, "rb") as f:
        crc, sha = checksums.new("crc32c"), hashlib.sha256()
        assert hash_fd_range(f.fileno(), 1000, 2 << 20, crc.update, sha.update) == 2 << 20
        assert sha.digest() == hashlib.sha256(data[1000:1000 + (2 << 20)]).digest()
        assert crc.digest() == checksums.crc32c_value(data[1000:1000 + (2 << 20)]).to_bytes(4, "big")
        tail = hashlib.sha256()
        assert hash_fd_range(f.fileno(), len(data) - 10, 100, tail.update) == 10  # the file ends first
        assert tail.digest() == hashlib.sha256(data[-10:]).digest()


def test_file_range_is_sent_whole_and_its_md5_is_of_the_range(tmp_path: Path) -> None:
    path, data = _file(tmp_path, 5 * (1 << 20) + 7)
    a, b = socket.socketpair()
    got = bytearray()
    with open(path, "rb") as f, a, b:
        a.settimeout(5)  # the socket's own timeout is restored after the blocking send
        rng = FileRange(f.fileno(), 4096, len(data) - 4096, "unused", str(path))
        reader = _receive(b, got)
        send_body(a, rng)
        assert a.gettimeout() == 5
        send_body(a, b"and bytes")
        a.shutdown(socket.SHUT_WR)
        reader.join(10)
        assert bytes(got) == data[4096:] + b"and bytes"
        assert rng.md5_b64() == base64.b64encode(hashlib.md5(data[4096:]).digest()).decode()


def test_a_file_that_shrank_is_an_integrity_error_naming_it(tmp_path: Path) -> None:
    path, data = _file(tmp_path, 1 << 20)
    a, b = socket.socketpair()
    got = bytearray()
    with open(path, "rb") as f, a, b:
        reader = _receive(b, got)
        os.truncate(path, 1000)  # after the range was measured, before it is sent
        with pytest.raises(IntegrityError, match=r"f\.bin changed while read"):
            send_body(a, FileRange(f.fileno(), 0, len(data), "unused", str(path)))
        a.shutdown(socket.SHUT_WR)
        reader.join(10)
        assert len(got) == 1000


def test_a_peer_that_stops_reading_times_the_send_out(tmp_path: Path) -> None:
    path, _ = _file(tmp_path, 16 << 20)
    a, b = socket.socketpair()
    with open(path, "rb") as f, a, b:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 << 10)
        set_send_timeout(a, 0.3)
        with pytest.raises(TimeoutError):
            send_body(a, FileRange(f.fileno(), 0, 16 << 20, "unused", str(path)))
        with pytest.raises(TimeoutError):
            send_body(a, bytes(16 << 20))


def test_regular_fd_only_for_regular_files(tmp_path: Path) -> None:
    path, _ = _file(tmp_path, 10)
    with open(path, "rb") as f:
        assert regular_fd(f) == f.fileno()
    r, w = os.pipe()
    try:
        with open(r, "rb") as pipe:
            assert regular_fd(pipe) is None
    finally:
        os.close(w)
    assert regular_fd(object()) is None
