"""Tell a file's format from its bytes (never its name), with a bounded read.

Magic numbers first: Parquet ``PAR1``, ORC ``ORC``, Avro ``Obj\\x01``, SequenceFile ``SEQ``; gzip / bzip2 /
zstd are decompressed and what is inside is sniffed as text: JSON lines, delimited text (delimiter among
``\\x01``, tab, comma, pipe, semicolon; header or not; quote char; ``\\N`` nulls) or plain lines. Bytes that
are neither a container nor text are reported as binary, not guessed at.

Row counts: exact when the file is read to the end (small files, or ``exact=True``), otherwise an
estimate is derived by the caller from ``sample_rows`` / ``sample_bytes`` (bytes as stored).
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from migrate.formats.compression import LZO_HELP, new_decompressor
from migrate.formats.compression import detect as detect_codec
from migrate.inventory.model import Column, FormatInfo
from migrate.inventory.schema_infer import (
    WRITABLE_TYPES,
    arrow_columns,
    avro_columns,
    columns_from_stats,
    infer_rows,
    looks_like_header,
)
from migrate.storage.base import Storage
from migrate.storage.seekable import RangeFile

HEAD = 64 * 1024
DELIMITERS = ["\x01", "\t", ",", "|", ";"]
_TEXT_CTRL = frozenset({1, 2, 3, 9, 10, 12, 13})


@dataclass
class FileProbe:
    format: FormatInfo
    columns: list[Column] = field(default_factory=list)
    rows: int | None = None  # exact row count of the whole file, when known
    sample_rows: int = 0  # rows seen in the sample
    sample_bytes: int = 0  # stored bytes those rows took (for estimates)
    problem: str | None = None  # binary garbage, unreadable container, ...


def _decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) or None when the bytes are not text."""
    if not data:
        return "", "utf-8"
    # \x01-\x03 are Hive's field/collection/map delimiters, not binary noise.
    ctrl = sum(1 for b in data[:8192] if (b < 32 and b not in _TEXT_CTRL) or b == 127)
    if ctrl > len(data[:8192]) * 0.01:
        return None
    for enc in ("utf-8", "gb18030"):
        if enc == "gb18030" and not _pairs_of_high_bytes(data):
            break
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sample boundary is still text.
            if exc.start >= len(data) - 4:
                return data[: exc.start].decode(enc), enc
    # Single-byte Western text (Zürich, café): every byte decodes, none is a control character.
    return data.decode("latin-1"), "latin-1"


def _pairs_of_high_bytes(data: bytes) -> bool:
    """GBK/GB18030 text has its bytes >= 0x80 in runs of even length (two-byte characters); Latin-1 text has
    mostly lone accented bytes between ASCII letters, which GB18030 would also 'decode' into ideographs."""
    runs = [len(m) for m in re.findall(rb"[\x80-\xff]+", data[:65536])]
    if not runs:
        return True
    return sum(1 for n in runs if n % 2) <= 0.1 * len(runs)


def _field_counts(lines: list[str], delim: str, quote: str | None) -> Counter[int]:
    if quote and delim != "\x01":
        reader = csv.reader(lines, delimiter=delim, quotechar=quote)
        return Counter(len(r) for r in reader)
    return Counter(line.count(delim) + 1 for line in lines)


def choose_delimiter(lines: list[str]) -> tuple[str | None, str | None]:
    """(delimiter, quote) with the most consistent field count above one; None when single-column."""
    quote = '"' if any(line.startswith('"') or ',"' in line or '\t"' in line for line in lines) else None
    best: tuple[float, int, str] | None = None
    for rank, d in enumerate(DELIMITERS):
        if not any(d in line for line in lines):
            continue
        counts = _field_counts(lines, d, quote)
        mode, n = counts.most_common(1)[0]
        if mode < 2:
            continue
        score = n / counts.total()  # of the records read: a quoted newline joins lines into one
        if d == "\x01" and score >= 0.8:  # \x01 never occurs by accident in text
            return d, None
        key = (score, -rank, d)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None or best[0] < 0.6:
        return None, None
    return best[2], quote


def _split_rows(lines: list[str], delim: str | None, quote: str | None) -> Iterator[list[str]]:
    if delim is None:
        for line in lines:
            yield [line]
    elif quote:
        yield from csv.reader(lines, delimiter=delim, quotechar=quote)
    else:
        for line in lines:
            yield line.split(delim)


def sniff_text(text: str, complete: bool, sample_rows: int) -> tuple[FormatInfo, list[Column], int, int]:
    """Format, columns, data rows in the sample and characters those rows used."""
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]  # a byte-order mark is not part of the first column's name
    lines = text.split("\n")
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line was cut by the sample boundary
    elif lines and lines[-1] == "":
        lines = lines[:-1]
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    used = sum(len(ln) + 1 for ln in lines)
    body = [ln for ln in lines if ln.strip()][:sample_rows]
    if not body:
        return FormatInfo(kind="text"), [], 0, used
    if body[0].lstrip().startswith("{"):
        recs = []
        for ln in body:
            try:
                obj = json.loads(ln)
            except ValueError:
                break
            if isinstance(obj, dict):
                recs.append(obj)
        if len(recs) >= max(1, int(len(body) * 0.9)):
            return FormatInfo(kind="jsonl", encoding="utf-8"), _json_columns(recs), len(lines), used
    delim, quote = choose_delimiter(body)
    rows = list(_split_rows(body, delim, quote))
    records = len(lines)
    if quote and delim and any(ln.count(quote) % 2 for ln in body):
        # Quoted fields span lines: rows are CSV records, not physical lines.
        records = sum(1 for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delim, quotechar=quote)
                      if r)
    has_null_n = any("\\N" in r for r in rows[:2000])
    markers = ("", "\\N")
    stats_rest = infer_rows(rows[1:], markers)
    header = delim not in (None, "\x01") and looks_like_header(rows[0], stats_rest, alone=len(rows) == 1)
    names = rows[0] if header else None
    stats = stats_rest if header else infer_rows(rows, markers)
    kind = {"\x01": "hive_text", "\t": "tsv", None: "text"}.get(delim, "csv")
    fmt = FormatInfo(
        kind=kind,  # type: ignore[arg-type]
        delimiter=delim,
        header=header,
        quote=quote if kind != "hive_text" else None,
        null_marker="\\N" if (has_null_n or kind == "hive_text") else None,
    )
    if kind == "csv" and fmt.quote is None:
        fmt.quote = '"'
    if records != len(lines):
        fmt.details["multiline_records"] = "true"
    if bom:
        fmt.details["bom"] = "true"
    cols = columns_from_stats(stats, names)
    if names and len(cols) < len(names):  # a header with no (or short) rows below: untyped columns
        cols += [Column(name=n or f"col_{i}", type="string") for i, n in enumerate(names) if i >= len(cols)]
    if kind == "text":
        cols = [Column(name="value", type="string", nullable=False)]
    return fmt, cols, records - (1 if header else 0), used


def _json_columns(recs: list[dict[str, Any]]) -> list[Column]:
    """Top-level keys are columns, in order of first appearance; nested values are typed by their shape."""
    from migrate.inventory.schema_infer import JsonShape

    shapes: dict[str, JsonShape] = {}
    present: Counter[str] = Counter()
    nulls: Counter[str] = Counter()
    for rec in recs:
        for k, v in rec.items():
            if k not in shapes:
                shapes[k] = JsonShape()
            present[k] += 1
            if v is None:
                nulls[k] += 1
            shapes[k].add(v)
    out = []
    for k, shape in shapes.items():
        t, notes = shape.result(k)
        out.append(Column(name=k, type=str(t), nullable=present[k] < len(recs) or nulls[k] > 0,
                          note="; ".join(notes) or None))
    return out


# --- compressed text ----------------------------------------------------------------------------------


def _decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(wbits=47)  # gzip or zlib header, auto-detected
    return new_decompressor(kind)


def _iter_plain(stream: BinaryIO, compression: str) -> Iterator[bytes]:
    """Decompressed chunks of a whole stream (concatenated gzip members included)."""
    d = _decompressor(compression) if compression != "none" else None
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        if d is None:
            yield chunk
            continue
        while chunk:
            out = d.decompress(chunk)
            if out:
                yield out
            unused = getattr(d, "unused_data", b"")
            if compression in ("gzip", "bzip2", "deflate") and getattr(d, "eof", False) and unused:
                d = _decompressor(compression)  # next member
                chunk = unused
            else:
                chunk = b""


def count_lines(stream: BinaryIO, compression: str) -> int:
    n = 0
    last = b"\n"
    for chunk in _iter_plain(stream, compression):
        n += chunk.count(b"\n")
        last = chunk[-1:]
    return n + (0 if last == b"\n" else 1)


def count_records(stream: BinaryIO, compression: str, encoding: str, delim: str, quote: str) -> int:
    """CSV records of a whole stream (quoted fields may hold newlines)."""
    raw = io.BufferedReader(_ChunkStream(_iter_plain(stream, compression)))
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    return sum(1 for r in csv.reader(text, delimiter=delim, quotechar=quote) if r)


class _ChunkStream(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self.chunks, self.buf = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self.buf:
            self.buf = next(self.chunks, b"")
            if not self.buf:
                return 0
        n = min(len(b), len(self.buf))
        b[:n], self.buf = self.buf[:n], self.buf[n:]
        return n


# --- containers ---------------------------------------------------------------------------------------


def _read_vint(f: BinaryIO) -> int:
    b = struct.unpack(">b", f.read(1))[0]
    if b >= -112:
        return b
    neg = b < -120
    n = -(b + 120) if neg else -(b + 112)
    v = int.from_bytes(f.read(n), "big")
    return ~v if neg else v


def _read_text(f: BinaryIO) -> str:
    return f.read(_read_vint(f)).decode("utf-8", "replace")


def sequence_header(f: BinaryIO) -> dict[str, Any]:
    magic = f.read(4)
    if magic[:3] != b"SEQ":
        raise ValueError("not a SequenceFile")
    version = magic[3]
    key, value = _read_text(f), _read_text(f)
    compressed = block = False
    codec = None
    if version >= 5:
        compressed, block = bool(f.read(1)[0]), bool(f.read(1)[0])
        if compressed and version >= 5:
            codec = _read_text(f)
    meta: dict[str, str] = {}
    if version >= 6:
        for _ in range(struct.unpack(">i", f.read(4))[0]):
            k = _read_text(f)
            meta[k] = _read_text(f)
    sync = f.read(16)
    return {"version": version, "key": key, "value": value, "compressed": compressed, "block": block,
            "codec": codec, "meta": meta, "sync": sync}


def sequence_rows(f: BinaryIO, header: dict[str, Any]) -> int:
    """Records in a SequenceFile read from just after its header."""
    n = 0
    while True:
        raw = f.read(4)
        if len(raw) < 4:
            return n
        length = struct.unpack(">i", raw)[0]
        if length == -1:
            f.read(16)
            if header["block"]:
                n += _read_vint(f)
                for _ in range(4):  # key lengths, keys, value lengths, values
                    f.read(_read_vint(f))
            continue
        f.read(4 + length)
        n += 1


def _codec_name(name: str | None) -> str:
    if not name:
        return "none"
    low = name.lower()
    for k, v in (("gzip", "gzip"), ("default", "zlib"), ("bzip2", "bzip2"), ("snappy", "snappy"),
                 ("zstd", "zstd"), ("lz4", "lz4"), ("deflate", "deflate"), ("zlib", "zlib")):
        if k in low:
            return v
    return "none"


def probe(
    store: Storage, uri: str, size: int, *, sample_bytes: int, sample_rows: int, exact: bool,
    opener: Callable[[str], BinaryIO] | None = None,
) -> FileProbe:
    """Format, columns and (when cheap or ``exact``) the row count of one file."""
    head = store.read_bytes(uri, 0, min(size, HEAD)) if size else b""
    if not head:
        return FileProbe(FormatInfo(kind="unknown"), rows=0, problem="empty file")
    if head[:4] == b"PAR1":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(RangeFile(store, uri, size, block=1 << 20))
        md = pf.metadata
        comp = md.row_group(0).column(0).compression.lower() if md.num_row_groups and md.num_columns else "none"
        fmt = FormatInfo(kind="parquet", compression=_codec_name(comp))  # type: ignore[arg-type]
        return FileProbe(fmt, arrow_columns(pf.schema_arrow), rows=md.num_rows)
    if head[:3] == b"ORC":
        import pyarrow.orc as orc

        of = orc.ORCFile(RangeFile(store, uri, size, block=1 << 20))
        fmt = FormatInfo(kind="orc", compression=_codec_name(str(of.compression)))  # type: ignore[arg-type]
        return FileProbe(fmt, arrow_columns(of.schema), rows=of.nrows)
    if head[:4] == b"Obj\x01":
        import fastavro

        src: io.RawIOBase = RangeFile(store, uri, size, block=1 << 20) if size > len(head) else io.BytesIO(head)  # type: ignore[assignment]
        reader = fastavro.block_reader(io.BufferedReader(src, 1 << 20))
        schema: Any = reader.writer_schema or {}
        codec = reader.metadata.get("avro.codec", "null")
        avro_rows = sum(b.num_records for b in reader) if exact or size <= sample_bytes else None
        fmt = FormatInfo(kind="avro", compression=_codec_name(codec))  # type: ignore[arg-type]
        return FileProbe(fmt, avro_columns(schema), rows=avro_rows)
    if head[:4] == b"RCF\x01":  # Hive RCFile (columnar; no reader here: schema comes from the DDL)
        return FileProbe(FormatInfo(kind="rcfile"))
    if head[:3] == b"SEQ":
        f = io.BufferedReader(RangeFile(store, uri, size, block=1 << 20), 1 << 20)
        hdr = sequence_header(f)
        if "RCFile" in hdr["key"]:  # RCFile version 0 wears a SequenceFile header
            return FileProbe(FormatInfo(kind="rcfile", compression=_codec_name(hdr["codec"])))  # type: ignore[arg-type]
        cols = [Column(name="key", type=WRITABLE_TYPES.get(hdr["key"], "binary")),
                Column(name="value", type=WRITABLE_TYPES.get(hdr["value"], "binary"))]
        fmt = FormatInfo(kind="sequencefile", compression=_codec_name(hdr["codec"]),  # type: ignore[arg-type]
                         details={"key_class": hdr["key"], "value_class": hdr["value"],
                                  "block_compressed": str(hdr["block"]).lower()})
        seq_rows = sequence_rows(f, hdr) if exact or size <= sample_bytes else None
        return FileProbe(fmt, cols, rows=seq_rows)

    compression = detect_codec(head, uri)
    if compression == "bzip2" and not (len(head) > 10 and head[4:10] == b"1AY&SY"):
        compression = "none"  # text that starts with "BZh"
    if compression == "lzo":
        return FileProbe(FormatInfo(kind="unknown", compression="none"), problem=f"lzo: {LZO_HELP}")
    raw = head if size <= HEAD else store.read_bytes(uri, 0, min(size, max(sample_bytes, HEAD)))
    whole = len(raw) >= size
    if compression != "none":
        d = _decompressor(compression)
        try:
            plain = d.decompress(raw, sample_bytes * 8) if compression != "zstd" else d.decompress(raw)
        except Exception as exc:
            return FileProbe(FormatInfo(kind="unknown", compression=compression),  # type: ignore[arg-type]
                             problem=f"corrupt {compression} data: {exc}")
        plain_done = whole and bool(getattr(d, "eof", True)) and not getattr(d, "unconsumed_tail", b"")
    else:
        plain, plain_done = raw, whole
    decoded = _decode(plain[: sample_bytes * 4])
    if decoded is None:
        return FileProbe(FormatInfo(kind="unknown", compression=compression),  # type: ignore[arg-type]
                         problem="binary data: not a known container and not text")
    text, enc = decoded
    fmt, cols, nrows, used = sniff_text(text, plain_done and len(plain) <= sample_bytes * 4, sample_rows)
    fmt.compression = compression  # type: ignore[assignment]
    fmt.encoding = enc
    rows: int | None = None
    if plain_done and len(plain) <= sample_bytes * 4:
        rows = nrows
    elif exact:
        with store.open(uri) as whole_file:
            if fmt.details.get("multiline_records"):
                rows = count_records(whole_file, compression, enc, fmt.delimiter or ",", fmt.quote or '"')
            else:
                rows = count_lines(whole_file, compression)
            rows -= 1 if fmt.header else 0
    stored_used = used if compression == "none" else int(len(raw) * min(1.0, used / max(1, len(plain))))
    return FileProbe(fmt, cols, rows=rows, sample_rows=nrows, sample_bytes=stored_used)
