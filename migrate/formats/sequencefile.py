"""Hadoop SequenceFile (version 6) with Text or BytesWritable values.

Supported: uncompressed, record-compressed and block-compressed files with DefaultCodec / DeflateCodec
(zlib) or GzipCodec. Any other codec (Snappy, LZ4, BZip2, ZStandard, LZO) is an UnsupportedError
naming the codec and the file; so is a value class other than Text / BytesWritable. Keys are ignored
(Hive stores an empty key and the row in the value).

Each value is one Hive text row: it is split with the format's delimiter (``\\x01`` by default),
``null_marker`` (``\\N`` by default) is NULL, and no quoting applies (Hive's LazySimpleSerDe has none).
Rows are converted by the delimited converter in chunks, so bad values and ragged rows are quarantined
with the 1-based ``record`` number and the byte ``offset`` of the record (of its block when
block-compressed). A value holding a line break is quarantined whole.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pcsv

from migrate.errors import FormatError, UnsupportedError
from migrate.formats.convert import FileCounts, Target
from migrate.formats.delimited import DEFAULT_CHUNK_BYTES, ChunkConverter, TextOptions, fmt_attr
from migrate.formats.quarantine import Quarantine
from migrate.formats.types import FormatLike
from migrate.storage.base import Storage

TEXT = "org.apache.hadoop.io.Text"
BYTES = "org.apache.hadoop.io.BytesWritable"
CODECS = {
    "org.apache.hadoop.io.compress.DefaultCodec": "zlib",
    "org.apache.hadoop.io.compress.DeflateCodec": "zlib",
    "org.apache.hadoop.io.compress.GzipCodec": "gzip",
}
SYNC_ESCAPE = -1


def decode_vint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Hadoop WritableUtils.readVLong from ``buf[pos:]`` -> (value, new pos)."""
    first = buf[pos]
    fb = first - 256 if first > 127 else first
    if fb >= -112:
        return fb, pos + 1
    n = (-119 - fb) if fb < -120 else (-111 - fb)  # total size including the first byte
    v = 0
    for i in range(1, n):
        v = (v << 8) | buf[pos + i]
    if fb < -120:
        v = ~v
    return v, pos + n


class _In:
    """Exact reads with the absolute offset, for error messages and locations."""

    def __init__(self, f: BinaryIO, uri: str) -> None:
        self.f, self.uri, self.pos = f, uri, 0

    def read(self, n: int, what: str, eof_ok: bool = False) -> bytes:
        parts, left = [], n
        while left:
            b = self.f.read(left)
            if not b:
                break
            parts.append(b)
            left -= len(b)
        data = b"".join(parts)
        if len(data) != n and not (eof_ok and not data):
            raise FormatError(f"truncated SequenceFile {self.uri}: expected {n} bytes of {what} at offset {self.pos}")
        self.pos += len(data)
        return data

    def vint(self, what: str) -> int:
        first = self.read(1, what)
        fb = first[0] - 256 if first[0] > 127 else first[0]
        if fb >= -112:
            return fb
        n = (-119 - fb) if fb < -120 else (-111 - fb)
        v, _ = decode_vint(first + self.read(n - 1, what), 0)
        return v

    def text(self, what: str) -> str:
        n = self.vint(what)
        return self.read(n, what).decode("utf-8", "replace")

    def int32(self, what: str, eof_ok: bool = False) -> int | None:
        b = self.read(4, what, eof_ok)
        return struct.unpack(">i", b)[0] if b else None


class SequenceFileReader:
    """Header plus an iterator of (offset, serialized value payload) for one file."""

    def __init__(self, f: BinaryIO, uri: str) -> None:
        self.uri = uri
        self._in = _In(f, uri)
        magic = self._in.read(4, "header")
        if magic[:3] != b"SEQ":
            raise FormatError(f"not a SequenceFile (no SEQ magic): {uri}")
        if magic[3] != 6:
            raise UnsupportedError(f"SequenceFile version {magic[3]} in {uri} (only version 6 is supported)")
        self.key_class = self._in.text("key class")
        self.value_class = self._in.text("value class")
        self.compressed = self._in.read(1, "header")[0] != 0
        self.block_compressed = self._in.read(1, "header")[0] != 0
        self.codec_class = self._in.text("codec") if self.compressed else None
        n = self._in.int32("metadata")
        self.metadata: dict[str, str] = {}
        for _ in range(n or 0):
            k = self._in.text("metadata")
            self.metadata[k] = self._in.text("metadata")
        self.sync = self._in.read(16, "sync marker")
        if self.value_class not in (TEXT, BYTES):
            raise UnsupportedError(f"unsupported SequenceFile value class {self.value_class} in {uri} "
                                   f"(Text and BytesWritable are supported)")
        self.codec: str | None = None
        if self.compressed:
            codec = CODECS.get(self.codec_class or "")
            if codec is None:
                raise UnsupportedError(f"unsupported codec {self.codec_class} in {uri}")
            self.codec = codec

    def _decompress(self, data: bytes, offset: int) -> bytes:
        wbits = 31 if self.codec == "gzip" else 15
        try:
            d = zlib.decompressobj(wbits=wbits)
            out = d.decompress(data) + d.flush()
        except zlib.error as exc:
            raise FormatError(f"corrupt {self.codec} data in {self.uri} at offset {offset}: {exc}") from exc
        if not d.eof:
            raise FormatError(f"truncated {self.codec} data in {self.uri} at offset {offset}")
        return out

    def _payload(self, ser: bytes, offset: int) -> bytes:
        """The bytes inside a serialized Text (vint length) or BytesWritable (int32 length)."""
        if self.value_class == TEXT:
            n, p = decode_vint(ser, 0)
        else:
            n, p = struct.unpack(">i", ser[:4])[0], 4
        if n < 0 or p + n > len(ser):
            raise FormatError(f"bad {self.value_class} length {n} in {self.uri} at offset {offset}")
        return ser[p : p + n]

    def _check_sync(self) -> None:
        at = self._in.pos
        if self._in.read(16, "sync marker") != self.sync:
            raise FormatError(f"corrupt SequenceFile {self.uri}: sync marker mismatch at offset {at}")

    def values(self) -> Iterator[tuple[int, bytes]]:
        """(offset, value bytes) for every record, in file order."""
        if self.block_compressed:
            yield from self._block_values()
            return
        while True:
            offset = self._in.pos
            length = self._in.int32("record length", eof_ok=True)
            if length is None:
                return
            if length == SYNC_ESCAPE:
                self._check_sync()
                continue
            klen = self._in.int32("key length")
            if klen is None or length < 0 or klen < 0 or klen > length:
                raise FormatError(f"corrupt SequenceFile {self.uri}: bad record/key length at offset {offset}")
            self._in.read(klen, "key")
            ser = self._in.read(length - klen, "value")
            if self.compressed:
                ser = self._decompress(ser, offset)
            yield offset, self._payload(ser, offset)

    def _buffer(self, what: str, offset: int) -> bytes:
        n = self._in.vint(what)
        return self._decompress(self._in.read(n, what), offset)

    def _block_values(self) -> Iterator[tuple[int, bytes]]:
        while True:
            offset = self._in.pos
            esc = self._in.int32("block sync", eof_ok=True)
            if esc is None:
                return
            if esc != SYNC_ESCAPE:
                raise FormatError(f"corrupt SequenceFile {self.uri}: no sync before block at offset {offset}")
            self._check_sync()
            if not self.f_has_more():
                return
            count = self._in.vint("block record count")
            for what in ("key lengths", "keys"):  # keys are not needed: skip without inflating
                self._in.read(self._in.vint(what), what)
            lens_buf = self._buffer("value lengths", offset)
            vals = self._buffer("values", offset)
            p = q = 0
            for _ in range(count):
                n, p = decode_vint(lens_buf, p)
                yield offset, self._payload(vals[q : q + n], offset)
                q += n

    def f_has_more(self) -> bool:
        # A writer may end the file with a sync marker and no block after it.
        peek = getattr(self._in.f, "peek", None)
        if peek is not None:
            return bool(peek(1))
        return True


class SequenceFileSource:
    def __init__(self, store: Storage, uri: str, fmt: FormatLike, target: Target, *,
                 quarantine: Quarantine, counts: FileCounts, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.uri, self.target, self.quarantine, self.counts = uri, target, quarantine, counts
        self.chunk_bytes = chunk_bytes
        self.opts = TextOptions(
            delimiter=fmt_attr(fmt, "delimiter") or "\x01", quote=None, escape=fmt_attr(fmt, "escape") or None,
            header=False,
            # The plan's FormatSpec carries null_marker=None for sequencefile (not settable): Hive's \N then.
            null_marker=fmt_attr(fmt, "null_marker") if fmt_attr(fmt, "null_marker") is not None else "\\N",
            encoding=(fmt_attr(fmt, "encoding") or "utf-8").lower(), compression="none",
            quoted_newlines=False, ignore_empty_lines=False,
        )
        self._f = store.open(uri)
        try:
            self.reader = SequenceFileReader(self._f, uri)
        except BaseException:
            self._f.close()
            raise
        self._values = self.reader.values()
        self._record = 0
        self._pending: list[tuple[int, int, bytes]] | None = None
        if target.declared is not None:
            names = [f.name for f in target.data_fields]
        else:
            self._pending = self._take()
            sample = b"".join(v + b"\n" for _, _, v in self._pending[:10_000])
            names, fields = self._infer(sample)
            target.set_inferred(fields)
        self.converter = ChunkConverter(self.opts, names, target, quarantine=quarantine, counts=counts)

    def _infer(self, sample: bytes) -> tuple[list[str], list[pa.Field]]:
        from migrate.formats.infer import infer_fields

        if not sample.strip():
            return [], []
        first = sample[: sample.find(b"\n")]
        n = first.count(self.opts.delimiter.encode()) + 1
        names = [f"_c{i}" for i in range(n)]
        t = pcsv.read_csv(
            pa.py_buffer(sample), read_options=pcsv.ReadOptions(column_names=names),
            parse_options=pcsv.ParseOptions(delimiter=self.opts.delimiter, quote_char=False,
                                            invalid_row_handler=lambda r: "skip"),
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                null_values=[self.opts.null_marker or ""], strings_can_be_null=True),
        )
        return names, infer_fields(t)

    def _take(self) -> list[tuple[int, int, bytes]]:
        """The next chunk of (record number, offset, value); values with line breaks are quarantined."""
        out: list[tuple[int, int, bytes]] = []
        size = 0
        for offset, value in self._values:
            self._record += 1
            if b"\n" in value or b"\r" in value:
                self.quarantine.add(self.uri, "value contains a line break", record=self._record,
                                    offset=offset, value=value)
                self.counts.rows_in += 1
                self.counts.rows_quarantined += 1
                continue
            out.append((self._record, offset, value))
            size += len(value) + 1
            if size >= self.chunk_bytes:
                break
        return out

    def tables(self) -> Iterator[pa.Table]:
        try:
            while True:
                recs = self._pending if self._pending is not None else self._take()
                self._pending = None
                if not recs:
                    return
                data = b"".join(v + b"\n" for _, _, v in recs)

                def locate(rows: Sequence[int], recs: list[tuple[int, int, bytes]] = recs) -> list[dict[str, int]]:
                    return [{"record": recs[r][0], "offset": recs[r][1]} for r in rows]

                yield self.converter.convert(data, locate)
        finally:
            self._f.close()
