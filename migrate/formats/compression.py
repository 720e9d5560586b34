"""Streaming decompression chosen by the plan or, with ``auto``, by magic bytes.

gzip (1f 8b), bzip2 ('BZh') and zstd (28 b5 2f fd); multi-member gzip / multi-stream bzip2 / multi-frame
zstd are read to the end (``cat a.gz b.gz`` is valid). Corrupt or truncated input raises FormatError
naming the file. Decompression runs on stdlib zlib/bz2 and ``zstandard``: all release the GIL, so the
parser threads keep running.
"""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

from migrate.errors import FormatError, UnsupportedError
from migrate.storage.base import ReadStream

MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\x28\xb5\x2f\xfd": "zstd"}
ALIASES = {"gz": "gzip", "gzip": "gzip", "bz2": "bzip2", "bzip2": "bzip2", "zstd": "zstd", "zst": "zstd",
           "none": "none", "auto": "auto", "": "auto"}


def normalize(compression: str | None) -> str:
    c = (compression or "auto").strip().lower()
    if c not in ALIASES:
        raise UnsupportedError(f"unknown compression {compression!r} (auto, none, gzip, bzip2, zstd)")
    return ALIASES[c]


def detect(head: bytes) -> str:
    """The codec whose magic starts ``head``, or ``none``."""
    for magic, name in MAGIC.items():
        if head.startswith(magic):
            return name
    return "none"


def _new(codec: str) -> Any:
    if codec == "gzip":
        return zlib.decompressobj(wbits=31)
    if codec == "bzip2":
        return bz2.BZ2Decompressor()
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


class DecompressingReader(ReadStream):
    """Decompresses ``raw`` on the fly; ``read(n)`` returns up to n bytes (b"" at the end)."""

    def __init__(self, raw: BinaryIO, codec: str, uri: str, head: bytes = b"") -> None:
        super().__init__()
        self._raw = raw
        self._codec = codec
        self._uri = uri
        self._d = _new(codec)
        self._pending = head  # compressed bytes not fed yet
        self._out = bytearray()
        self._eof = False
        self._fed = 0  # compressed bytes consumed, for error messages
        self._member_bytes = 0  # output of the current member; bzip2/zstd objects are single-stream


    def _fail(self, why: str) -> FormatError:
        return FormatError(f"corrupt {self._codec} data in {self._uri} near compressed byte {self._fed}: {why}")

    def _fill(self, want: int) -> None:
        while len(self._out) < want and not self._eof:
            data = self._pending or self._raw.read(1 << 20)
            self._pending = b""
            if not data:
                if not self._d.eof:
                    raise FormatError(f"truncated {self._codec} stream in {self._uri} "
                                      f"(ended after {self._fed} compressed bytes)")
                self._eof = True
                break
            if self._d.eof:  # a new member / stream / frame follows
                if not data.strip(b"\x00"):  # zero padding after the last gzip member is tolerated
                    continue
                self._d = _new(self._codec)
            try:
                out = self._d.decompress(data)
            except (zlib.error, OSError, EOFError, ValueError) as exc:
                raise self._fail(str(exc)) from exc
            except Exception as exc:  # zstandard.ZstdError
                if type(exc).__name__ == "ZstdError":
                    raise self._fail(str(exc)) from exc
                raise
            self._fed += len(data)
            self._out += out
            if self._d.eof:
                rest = self._d.unused_data
                self._fed -= len(rest)
                self._pending = bytes(rest)

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            chunks: list[bytes] = []
            while True:
                c = self.read(1 << 22)
                if not c:
                    return b"".join(chunks)
                chunks.append(c)
        self._fill(n)
        out = bytes(self._out[:n])
        del self._out[:n]
        return out


    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class _Prefixed(ReadStream):
    """``head`` followed by the rest of ``raw`` (the magic bytes we peeked at)."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        super().__init__()
        self._head = head
        self._raw = raw


    def read(self, n: int | None = -1) -> bytes:
        if self._head:
            if n is None or n < 0:
                out, self._head = self._head + self._raw.read(), b""
                return out
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._raw.read(-1 if n is None else n)


    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_decompressed(
    opener: Callable[[], BinaryIO], uri: str, compression: str | None
) -> tuple[BinaryIO, str]:
    """(stream of plain bytes, codec used). ``opener`` returns the raw stream from offset 0."""
    codec = normalize(compression)
    raw = opener()
    head = b""
    if codec == "auto":
        while len(head) < 4:
            more = raw.read(4 - len(head))
            if not more:
                break
            head += more
        codec = detect(head)
    if codec == "none":
        return (_Prefixed(head, raw) if head else raw), "none"  # type: ignore[return-value]
    return DecompressingReader(raw, codec, uri, head), codec  # type: ignore[return-value]
