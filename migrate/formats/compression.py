"""Streaming decompression chosen by the plan or, with ``auto``, by magic bytes (or, for Hadoop's codecs
that have none, by the file's suffix, as Hadoop's CompressionCodecFactory picks them).

gzip (1f 8b), bzip2 ('BZh'), zstd (28 b5 2f fd), deflate (Hadoop's DefaultCodec, ``.deflate``: a zlib
stream, 78 9c / 78 da / 78 01), and Hadoop's block codecs without magic: SnappyCodec (``.snappy``) and
Lz4Codec (``.lz4``), blocks of ``[raw length][compressed length][chunk]...`` (big-endian 32-bit), decoded
with pyarrow's snappy / lz4 codecs. LZO (lzop, ``.lzo``) is recognised and refused with what to do: no LZO
library ships here. Multi-member gzip / multi-stream bzip2 / multi-frame zstd are read to the end
(``cat a.gz b.gz`` is valid). Corrupt or truncated input raises FormatError naming the file. Decompression
runs on stdlib zlib/bz2, ``zstandard`` and Arrow: all release the GIL, so the parser threads keep running.
"""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

from migrate.errors import FormatError, UnsupportedError
from migrate.storage.base import ReadStream

MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\x28\xb5\x2f\xfd": "zstd", b"\x89LZO": "lzo",
         # zlib headers of levels 6, 9 and 1 ("x^", level 2-5, is left out: text may start with it)
         b"\x78\x9c": "deflate", b"\x78\xda": "deflate", b"\x78\x01": "deflate"}
SUFFIXES = {".snappy": "snappy", ".lz4": "lz4", ".deflate": "deflate", ".lzo": "lzo", ".lzo_deflate": "lzo"}
ALIASES = {"gz": "gzip", "gzip": "gzip", "bz2": "bzip2", "bzip2": "bzip2", "zstd": "zstd", "zst": "zstd",
           "deflate": "deflate", "zlib": "deflate", "snappy": "snappy", "lz4": "lz4", "lzo": "lzo",
           "none": "none", "auto": "auto", "": "auto"}
LZO_HELP = ("LZO-compressed text cannot be read here (no LZO library ships with migrate): decompress it first "
            "(lzop -d, or `hadoop fs -text`), or convert it on the legacy cluster")
CODECS = ("auto", "none", "gzip", "bzip2", "zstd", "deflate", "snappy", "lz4")


def normalize(compression: str | None) -> str:
    c = (compression or "auto").strip().lower()
    if c not in ALIASES:
        raise UnsupportedError(f"unknown compression {compression!r} ({', '.join(CODECS)})")
    return ALIASES[c]


def detect(head: bytes, name: str = "") -> str:
    """The codec whose magic starts ``head``, else the one Hadoop names by ``name``'s suffix, or ``none``."""
    for magic, codec in MAGIC.items():
        if head.startswith(magic):
            return codec
    low = name.lower()
    return next((codec for suffix, codec in SUFFIXES.items() if low.endswith(suffix)), "none")


class HadoopBlocks:
    """Hadoop's BlockCompressorStream framing (SnappyCodec, Lz4Codec) as a zlib-like decompressor object:
    ``decompress(data)`` returns the chunks completed so far; ``eof`` is true between blocks."""

    def __init__(self, codec: str) -> None:
        import pyarrow as pa

        self.codec = codec
        self._arrow = pa.Codec("snappy" if codec == "snappy" else "lz4_raw")
        self._buf = bytearray()
        self._left = 0  # raw bytes still due from the current block
        self.unused_data = b""

    @property
    def eof(self) -> bool:
        return self._left == 0 and not self._buf

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:  # max_length: zlib's signature
        self._buf += data
        buf, out = self._buf, []
        while True:
            if self._left == 0:
                if len(buf) < 4:
                    break
                self._left = int.from_bytes(buf[:4], "big")
                del buf[:4]
                continue
            if len(buf) < 4 or len(buf) < 4 + (n := int.from_bytes(buf[:4], "big")):
                break
            chunk = bytes(buf[4:4 + n])
            del buf[:4 + n]
            size = _snappy_length(chunk) if self.codec == "snappy" else _lz4_length(chunk)
            if size > self._left:
                raise ValueError(f"{self.codec} chunk of {size} bytes overruns its block ({self._left} left)")
            out.append(self._arrow.decompress(chunk, decompressed_size=size, asbytes=True))
            self._left -= size
        return b"".join(out)


def _snappy_length(chunk: bytes) -> int:
    """A raw snappy chunk starts with its uncompressed length (a little-endian base-128 varint)."""
    n = shift = 0
    for b in chunk[:5]:
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n
        shift += 7
    raise ValueError("snappy chunk without a length")


def _lz4_length(chunk: bytes) -> int:
    """The uncompressed length of a raw LZ4 block: its literal and match lengths summed (the block has
    no header; Arrow needs the exact size)."""
    i, n, end = 0, 0, len(chunk)
    while i < end:
        token = chunk[i]
        i += 1
        lit = token >> 4
        if lit == 15:
            while True:
                b = chunk[i]
                i += 1
                lit += b
                if b != 255:
                    break
        i += lit
        n += lit
        if i >= end:
            break  # the last sequence has literals only
        i += 2  # match offset
        match = token & 15
        if match == 15:
            while True:
                b = chunk[i]
                i += 1
                match += b
                if b != 255:
                    break
        n += match + 4
    return n


def new_decompressor(codec: str) -> Any:
    if codec == "gzip":
        return zlib.decompressobj(wbits=31)
    if codec == "deflate":
        return zlib.decompressobj(wbits=15)
    if codec == "bzip2":
        return bz2.BZ2Decompressor()
    if codec in ("snappy", "lz4"):
        return HadoopBlocks(codec)
    if codec == "lzo":
        raise UnsupportedError(LZO_HELP)
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


class DecompressingReader(ReadStream):
    """Decompresses ``raw`` on the fly; ``read(n)`` returns up to n bytes (b"" at the end)."""

    def __init__(self, raw: BinaryIO, codec: str, uri: str, head: bytes = b"") -> None:
        super().__init__()
        self._raw = raw
        self._codec = codec
        self._uri = uri
        self._d = new_decompressor(codec)
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
                self._d = new_decompressor(self._codec)
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
        codec = detect(head, uri)
    if codec == "lzo":
        raw.close()
        raise UnsupportedError(f"{uri}: {LZO_HELP}")
    if codec == "none":
        return (_Prefixed(head, raw) if head else raw), "none"  # type: ignore[return-value]
    return DecompressingReader(raw, codec, uri, head), codec  # type: ignore[return-value]
