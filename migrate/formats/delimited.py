"""CSV, TSV and Hive text: pyarrow's multithreaded CSV parser on newline-aligned chunks.

The file is read in chunks of ``chunk_bytes`` cut after a record end; each chunk is parsed by
``pyarrow.csv.read_csv`` directly into the target types (all cores, no Python per row). Only when that
typed parse fails is the *same chunk* parsed again as raw bytes and cast column by column with
``convert.cast_locate``, which finds the rows that do not fit; they are quarantined, the rest is kept.

Row accounting and locations:
- Ragged rows (wrong field count) are skipped by pyarrow's ``invalid_row_handler`` and quarantined
  with their line. Threaded parsing does not report row numbers, so a chunk that has ragged rows is
  parsed again single-threaded (rare path).
- Line numbers are physical 1-based lines of the (decompressed) file. They are computed lazily, only
  for chunks that quarantine something: counting newlines costs ~1 s/GiB, which clean files never pay.
  A record's line follows from where records end (``records.py``: quote parity, escapes).
- Blank lines are not rows (pyarrow skips them) and are not counted.
- A record longer than ``max_record_bytes`` (64 MiB) is quarantined with its line and read past in 1 MiB
  pieces, never held whole; longer records than pyarrow's 4 MiB parse block (up to that limit) are parsed
  with a block of the chunk's size. An unterminated quote at the end of the file would make its record
  swallow every line after it: that record is quarantined whole with the line where it starts.
- A zero-byte file (an empty reducer's output) has no header and no rows: it is empty, not an error.

Chunk cuts: a newline inside a quoted field or after an escape character is not a record end
(``records.py`` finds record ends by quote parity, vectorised). With a quote or an escape character
pyarrow parses with ``newlines_in_values=True`` (its lexing block splitter). ``quoted_newlines=False`` is
an assertion by the caller that no newline is quoted or escaped (SequenceFile values are whole rows):
cuts go at the last newline and pyarrow's fast splitter is used.

Byte ranges (``split_ranges`` / ``byte_range``): a range ``[start, end)`` owns every record that starts
inside it: it skips through the first newline at or after ``start - 1`` and stops after the record
that holds byte ``end - 1``. For quoted or escaped text the newline alone cannot say that, so
``split_ranges`` places every cut of such a file exactly at a record start (``records.align_cuts``: one
parallel pass counts the quotes before each cut) and a ranged read refuses a start that is not one.
Ranged reads parse on the calling thread (the ranges give the parallelism): less CPU per byte than
pyarrow's threaded reader, whose lexing splitter runs serially before its parse tasks. Splitting is
refused (one whole-file range) for compressed files, and for quoted files whose quotes do not all
stand where RFC 4180 puts them.

Null semantics: ``null_marker`` (e.g. ``\\N``) is NULL in every column; an empty field is NULL in
non-string columns and the empty string in string columns. Booleans accept
true/True/TRUE/t/T/1 and false/False/FALSE/f/F/0. Timestamps are ISO 8601 (``T`` or space).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pcsv

from migrate.errors import FormatError, UnsupportedError
from migrate.formats import records
from migrate.formats.compression import normalize, open_decompressed
from migrate.formats.convert import (
    FALSE_VALUES,
    TRUE_VALUES,
    Bad,
    FileCounts,
    Locate,
    Target,
    cast_locate,
)
from migrate.formats.quarantine import Quarantine
from migrate.formats.types import FormatLike
from migrate.storage.base import Storage

DEFAULT_CHUNK_BYTES = 32 << 20
MAX_RECORD_BYTES = 64 << 20  # a longer record is quarantined (with its line) and read past, never held whole
_BLOCK_BYTES = 4 << 20  # pyarrow's unit of parallel parsing inside a chunk
_DEFAULTS = {"csv": (",", '"', None), "tsv": ("\t", None, None), "hive_text": ("\x01", None, "\\N")}
_ASCII_COMPATIBLE = {"utf-8", "utf8", "ascii", "us-ascii", "latin-1", "latin1", "iso-8859-1", "cp1252",
                     "windows-1252", "gbk", "gb18030", "gb2312", "big5", "shift_jis", "euc-jp", "euc-kr"}


def fmt_attr(fmt: Any, name: str, default: Any = None) -> Any:
    v = getattr(fmt, name, default)
    return getattr(v, "value", v)  # enums from the plan models


@dataclass(frozen=True)
class TextOptions:
    delimiter: str
    quote: str | None
    escape: str | None
    header: bool
    null_marker: str | None
    encoding: str
    compression: str
    quoted_newlines: bool = True
    ignore_empty_lines: bool = True

    @classmethod
    def from_format(cls, fmt: FormatLike, *, quoted_newlines: bool = True) -> TextOptions:
        kind = str(fmt_attr(fmt, "kind", "csv"))
        d_delim, d_quote, d_null = _DEFAULTS.get(kind, _DEFAULTS["csv"])
        delim = fmt_attr(fmt, "delimiter") or d_delim
        if len(delim) != 1:
            raise UnsupportedError(f"delimiter must be one character, got {delim!r}")
        quote = fmt_attr(fmt, "quote", d_quote)
        escape = fmt_attr(fmt, "escape")
        null = fmt_attr(fmt, "null_marker", d_null)
        enc = (fmt_attr(fmt, "encoding") or "utf-8").lower()
        if enc not in _ASCII_COMPATIBLE:
            raise UnsupportedError(f"encoding {enc!r}: newline-aligned chunking needs an ASCII-compatible encoding")
        return cls(delim, quote or None, escape or None, bool(fmt_attr(fmt, "header", False)), null,
                   enc, normalize(fmt_attr(fmt, "compression", "auto")), quoted_newlines)

    @property
    def syntax(self) -> records.Syntax:
        """What decides where records end; ``quoted_newlines=False``: every newline does."""
        if not self.quoted_newlines:
            return records.Syntax(None, None, ord(self.delimiter))
        return records.Syntax.of(self.quote, self.escape, self.delimiter)

    @property
    def utf8(self) -> bool:
        return self.encoding in ("utf-8", "utf8", "ascii", "us-ascii")

    def parse_options(self, handler: Callable[[Any], str] | None) -> pcsv.ParseOptions:
        return pcsv.ParseOptions(
            delimiter=self.delimiter, quote_char=self.quote or False, double_quote=self.quote is not None,
            escape_char=self.escape or False, newlines_in_values=not self.syntax.plain,
            ignore_empty_lines=self.ignore_empty_lines, invalid_row_handler=handler,
        )


# ----------------------------------------------------------------------------------------------------
# chunking (record ends: ``records.py``)


def record_end(data: bytes | bytearray | memoryview, opts: TextOptions, limit: int | None = None) -> int:
    """Index just past the last complete record in ``data[:limit]`` (0 when none is complete)."""
    return records.record_end(data, opts.syntax, limit)


def first_record_end(data: bytes | bytearray | memoryview, opts: TextOptions) -> int:
    """Index just past the first complete record of ``data`` (0 when there is none)."""
    return records.first_record_end(data, opts.syntax)


def record_lines(data: bytes, opts: TextOptions) -> list[int]:
    """0-based physical line (within ``data``) where each record that pyarrow sees starts."""
    return records.record_lines(data, opts.syntax, opts.ignore_empty_lines)


def read_until(stream: BinaryIO, buf: bytes, pred: Callable[[bytes], int], step: int) -> tuple[bytes, int, bool]:
    """Read more of ``stream`` into ``buf`` until ``pred(buf) > 0``; returns (buf, pred value, eof)."""
    while True:
        k = pred(buf)
        if k > 0:
            return buf, k, False
        more = stream.read(step)
        if not more:
            return buf, 0, True
        buf += more


# ----------------------------------------------------------------------------------------------------
# the per-chunk converter (shared with SequenceFile, whose values are Hive text rows)


class ChunkConverter:
    """Turns newline-separated bytes into a table of the target's data fields, quarantining misfits."""

    def __init__(self, opts: TextOptions, file_columns: Sequence[str], target: Target, *,
                 quarantine: Quarantine, counts: FileCounts, threads: bool = True) -> None:
        self.opts = opts
        self.threads = threads  # pyarrow's thread pool per chunk; False: parse on the calling thread
        self.file_columns = list(file_columns)
        self.target = target
        self.quarantine = quarantine
        self.counts = counts
        names = set(self.file_columns)
        missing = [f.name for f in target.data_fields if f.name not in names]
        if missing:
            raise FormatError(f"{target.source}: columns {missing} of the schema are not in the file "
                              f"(file columns: {self.file_columns})")
        self.fields = target.data_fields
        self.include = [f.name for f in self.fields]
        has_str = any(pa.types.is_string(f.type) or pa.types.is_binary(f.type) for f in self.fields)
        marker = opts.null_marker
        if marker is None:
            self.null_values, self.strings_null = [""], False
        elif not has_str:
            self.null_values, self.strings_null = [marker, ""], True  # no string column to protect
        else:
            self.null_values, self.strings_null = [marker], True

    def _read(self, data: bytes | memoryview, types: dict[str, pa.DataType], *, threads: bool, raw: bool,
              block: int = _BLOCK_BYTES) -> tuple[pa.Table, list[tuple[int | None, str, int, int]]]:
        ragged: list[tuple[int | None, str, int, int]] = []

        def handler(row: Any) -> str:
            ragged.append((row.number, row.text, row.expected_columns, row.actual_columns))
            return "skip"

        if raw:
            null_values = [self.opts.null_marker] if self.opts.null_marker is not None else []
            strings_null = True
        else:
            null_values, strings_null = self.null_values, self.strings_null
        try:
            table = pcsv.read_csv(
                pa.py_buffer(data),
                read_options=pcsv.ReadOptions(use_threads=threads, block_size=block,
                                              column_names=self.file_columns, encoding=self.opts.encoding),
                parse_options=self.opts.parse_options(handler),
                convert_options=pcsv.ConvertOptions(
                    column_types=types, include_columns=self.include, null_values=null_values,
                    strings_can_be_null=strings_null, true_values=TRUE_VALUES, false_values=FALSE_VALUES,
                    check_utf8=not raw,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc) or block > len(data):
                raise
            # A record longer than a parse block (up to max_record_bytes): the chunk as one block.
            return self._read(data, types, threads=threads, raw=raw, block=len(data) + 1)
        return table, ragged

    def _read_counted(self, data: bytes | memoryview, types: dict[str, pa.DataType], raw: bool,
                      ) -> tuple[pa.Table, list[tuple[int | None, str, int, int]]]:
        table, ragged = self._read(data, types, threads=self.threads, raw=raw)
        if ragged and any(r[0] is None for r in ragged):
            # Threaded parsing does not number rows: redo this chunk serially to learn which records.
            table, ragged = self._read(data, types, threads=False, raw=raw)
        return table, ragged

    def convert(self, data: bytes | memoryview, locate_records: Locate) -> pa.Table:
        """``locate_records`` maps 0-based record indices of ``data`` (as pyarrow counts them) to locations."""
        types = {f.name: f.type for f in self.fields}
        bad: dict[int, Bad] = {}
        try:
            table, ragged = self._read_counted(data, types, raw=False)
        except pa.ArrowInvalid as exc:
            if "CSV parse error" in str(exc) and "conversion" not in str(exc):
                raise FormatError(f"{self.target.source}: {exc}") from exc
            table, ragged = self._read_counted(data, {n: pa.binary() for n in self.include}, raw=True)
            table, bad = self._cast_raw(table)
        ragged_idx = sorted((r[0] or 0) - 1 for r in ragged)
        if ragged:
            locs = locate_records(ragged_idx)
            for (_, text, exp, act), loc in zip(sorted(ragged, key=lambda r: r[0] or 0), locs, strict=True):
                self.quarantine.add(self.target.source, f"expected {exp} fields, found {act}",
                                    value=text, location=loc)

        def locate_rows(rows: Sequence[int]) -> list[dict[str, int]]:
            if not ragged_idx:
                return locate_records(rows)
            skip = set(ragged_idx)
            total = table.num_rows + len(ragged_idx)
            kept = [i for i in range(total) if i not in skip]
            return locate_records([kept[r] for r in rows])

        self.counts.rows_in += len(ragged)
        self.counts.rows_quarantined += len(ragged)
        return self.target.finish(table, bad, rows_in=table.num_rows, locate=locate_rows,
                                  quarantine=self.quarantine, counts=self.counts)

    def _cast_raw(self, table: pa.Table) -> tuple[pa.Table, dict[int, Bad]]:
        """The slow path: raw bytes columns -> target types, one vectorized cast per column."""
        bad: dict[int, Bad] = {}
        cols = []
        for f in self.fields:
            raw = table.column(f.name)
            if pa.types.is_binary(f.type):
                cols.append(raw.combine_chunks())
                continue
            s, errs = cast_locate(raw, pa.string(), f.name)
            for i in errs:
                bad.setdefault(i, Bad(f.name, raw[i].as_py(), "invalid UTF-8"))
            if not pa.types.is_string(f.type):
                s = pa.compute.if_else(pa.compute.equal(s, ""), pa.scalar(None, pa.string()), s)
                out, errs = cast_locate(s, f.type, f.name)
                for i, why in errs.items():
                    bad.setdefault(i, Bad(f.name, s[i].as_py(), f"cannot convert to {f.type}: {why}"))
                s = out
            cols.append(s)
        return pa.Table.from_arrays(cols, names=self.include), bad


# ----------------------------------------------------------------------------------------------------
# files


def parse_header(line: bytes, opts: TextOptions) -> list[str]:
    t = pcsv.read_csv(
        io.BytesIO(line),
        read_options=pcsv.ReadOptions(autogenerate_column_names=False, encoding=opts.encoding, use_threads=False),
        parse_options=pcsv.ParseOptions(delimiter=opts.delimiter, quote_char=opts.quote or False,
                                        escape_char=opts.escape or False),
    )
    return [str(n) for n in t.column_names]


class DelimitedSource:
    """One delimited text file (or one byte range of it) -> tables in the target's output schema."""

    def __init__(self, store: Storage, uri: str, opts: TextOptions, target: Target, *,
                 quarantine: Quarantine, counts: FileCounts, byte_range: tuple[int, int] | None = None,
                 chunk_bytes: int = DEFAULT_CHUNK_BYTES, infer_rows: int = 10_000,
                 max_record_bytes: int = MAX_RECORD_BYTES) -> None:
        self.store, self.uri, self.opts, self.target = store, uri, opts, target
        self.quarantine, self.counts = quarantine, counts
        self.chunk_bytes = chunk_bytes
        self.max_record_bytes = max(max_record_bytes, 1 << 16)
        self.byte_range = byte_range
        # Ranges run side by side (one per worker): each parses on its own thread.
        self.threads = byte_range is None
        self._stream, self.codec = self._open()
        self._buf: bytes | bytearray = b""
        self._pos = 0  # offset (in the decompressed file) of self._buf[0]
        self._end: int | None = None
        self._header_lines = 0
        names: list[str] | None = None
        if byte_range is not None:
            start, end = byte_range
            if self.codec != "none":
                raise UnsupportedError(f"byte ranges need an uncompressed file; {uri} is {self.codec}")
            self._end = end
            if start > 0:
                self._pos = start - 1
                self._buf, k, _ = read_until(self._stream, b"", lambda b: b.find(b"\n") + 1, 1 << 16)
                if k != 1 and not opts.syntax.plain:
                    # Quote parity and escapes make a newline's meaning depend on every byte before it:
                    # only ``split_ranges`` (which counted them) knows where a record starts.
                    raise FormatError(f"{uri}: byte range {start}-{end} does not start at a record start; ranges "
                                      "of quoted or escaped text must come from split_ranges")
                if k == 0:  # no newline after start: the range owns nothing
                    self._buf, self._pos = b"", self._pos + len(self._buf)
                else:
                    self._buf, self._pos = self._buf[k:], self._pos + k
                if opts.header:
                    names = self._header_of_file()
        if opts.header and self._pos == 0:
            self._buf, k, eof = read_until(self._stream, self._buf, lambda b: first_record_end(b, opts), 1 << 16)
            if k == 0 and eof and self._buf:
                k = len(self._buf)
            # A zero-byte file (Hadoop writes one per empty reducer) has no header: it is simply empty.
            names = parse_header(self._buf[:k], opts) if k else None
            self._header_lines = self._buf[:k].count(b"\n") or 1
            self._buf, self._pos = self._buf[k:], k
        self._first_pos = self._pos
        # Line of the first record: known unless the range starts mid-file (then counted lazily).
        self._first_line: int | None = None
        if byte_range is None or byte_range[0] == 0:
            self._first_line = 1 + self._header_lines
        if names is None:
            names = self._names_without_header()
        self.file_columns = names
        self.converter = ChunkConverter(opts, names, target, quarantine=quarantine, counts=counts,
                                        threads=self.threads)

    # -- opening

    def _open(self) -> tuple[BinaryIO, str]:
        if self.byte_range is not None and self.byte_range[0] > 0:
            return self.store.open(self.uri, self.byte_range[0] - 1), "none"
        return open_decompressed(lambda: self.store.open(self.uri), self.uri, self.opts.compression)

    def _header_of_file(self) -> list[str]:
        with self.store.open(self.uri, 0, 1 << 20) as f:
            head = f.read()
        k = first_record_end(head, self.opts) or len(head)
        return parse_header(head[:k], self.opts)

    def _names_without_header(self) -> list[str]:
        if self.target.declared is not None:
            return [f.name for f in self.target.data_fields]
        # No header, no schema: Spark's _c0.._cN, counted on the first record; types from a sample.
        self._fill(min(self.chunk_bytes, 1 << 20))
        k = first_record_end(self._buf, self.opts) or len(self._buf)
        first = self._buf[:k]
        n = 0
        if first.strip():
            t = pcsv.read_csv(io.BytesIO(first), read_options=pcsv.ReadOptions(
                autogenerate_column_names=True, encoding=self.opts.encoding, use_threads=False),
                parse_options=self.opts.parse_options(None))
            n = t.num_columns
        return [f"_c{i}" for i in range(n)]

    def infer(self) -> None:
        """Without a declared schema: infer the data fields from the first MiB (see ``infer.py``)."""
        from migrate.formats.infer import infer_fields

        self._fill(min(self.chunk_bytes, 1 << 20))
        k = record_end(self._buf, self.opts) or len(self._buf)
        sample = self._buf[:k]
        if self._end is not None:
            sample = sample[: max(0, self._end - self._pos)]
        fields: list[pa.Field] = []
        if sample.strip():
            t = pcsv.read_csv(
                pa.py_buffer(sample),
                read_options=pcsv.ReadOptions(column_names=self.file_columns, encoding=self.opts.encoding),
                parse_options=self.opts.parse_options(lambda r: "skip"),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pa.string() for n in self.file_columns},
                    null_values=[self.opts.null_marker] if self.opts.null_marker is not None else [""],
                    strings_can_be_null=True),
            )
            fields = infer_fields(t)
        else:
            fields = [pa.field(n, pa.string()) for n in self.file_columns]
        self.target.set_inferred(fields)
        self.converter = ChunkConverter(self.opts, self.file_columns, self.target,
                                        quarantine=self.quarantine, counts=self.counts, threads=self.threads)

    def _fill(self, want: int) -> bool:
        """Grow the buffer to at least ``want`` bytes; False at the end of the stream.

        The chunk is read straight into one buffer of its final size (``readinto``), instead of read
        and then concatenated to the carried-over tail: one copy of each byte, one fresh allocation.
        """
        have = len(self._buf)
        if have >= want:
            return True
        readinto = getattr(self._stream, "readinto", None)
        if readinto is None:
            while len(self._buf) < want:
                more = self._stream.read(max(want - len(self._buf), 1 << 16))
                if not more:
                    return False
                self._buf += more
            return True
        want = max(want, have + (1 << 16))
        buf = bytearray(want)
        buf[:have] = self._buf
        n, eof = have, False
        with memoryview(buf) as view:
            while n < want:
                got = readinto(view[n:])
                if not got:
                    eof = True
                    break
                n += got
        self._buf = buf if n == want else buf[:n]
        return not eof

    # -- line numbers (lazy)

    def _line_at(self, pos: int) -> int:
        """1-based line number of the line starting at decompressed offset ``pos``."""
        if self._first_line is not None and pos == self._first_pos:
            return self._first_line
        if self._known is not None and self._known[0] == pos:
            return self._known[1]
        # Count newlines before pos by reading the file again (only files that quarantine pay this).
        if self.byte_range is not None and self.byte_range[0] > 0:
            f = self.store.open(self.uri, 0, pos)
        else:
            f, _ = open_decompressed(lambda: self.store.open(self.uri), self.uri, self.opts.compression)
        n, left = 0, pos
        with f:
            while left > 0:
                b = f.read(min(left, 1 << 22))
                if not b:
                    break
                n += b.count(b"\n")
                left -= len(b)
        self._known = (pos, n + 1)
        return n + 1

    _known: tuple[int, int] | None = None

    # -- iteration

    def tables(self) -> Iterator[pa.Table]:
        opts = self.opts
        want = self.chunk_bytes
        try:
            while True:
                if self._end is not None and self._pos >= self._end:
                    return  # the range owns the records that start before its end: none left
                eof = not self._fill(want)
                want = self.chunk_bytes
                limit = None
                if self._end is not None and self._pos + len(self._buf) >= self._end:
                    # The last line of the range is the one holding byte end-1.
                    nl = self._buf.find(b"\n", max(0, self._end - 1 - self._pos))
                    while nl < 0 and not eof:
                        eof = not self._fill(len(self._buf) + (1 << 16))
                        nl = self._buf.find(b"\n", max(0, self._end - 1 - self._pos))
                    limit = nl + 1 if nl >= 0 else len(self._buf)
                    eof = True
                data = self._buf if limit is None else self._buf[:limit]
                if eof:
                    k = len(data)
                else:
                    k = record_end(data, opts)
                    if k == 0 and len(self._buf) >= self.max_record_bytes:
                        eof = self._skip_long_record()
                    elif k == 0:  # one record larger than the chunk: read on (the top handles the range end)
                        want = min(len(self._buf) * 2, self.max_record_bytes)
                        continue
                if eof and k and opts.syntax.quote is not None:
                    k = self._quarantine_unterminated(data, k)
                # A memoryview: the parser reads the chunk in place instead of a 32 MiB copy.
                piece, pos = memoryview(self._buf)[:k], self._pos
                self._buf, self._pos = self._buf[k:], self._pos + k
                if piece:
                    yield self._convert(piece, pos)
                if eof:
                    return
        finally:
            self._stream.close()

    def _skip_long_record(self) -> bool:
        """Quarantine the record at the start of the buffer, longer than ``max_record_bytes``, and read past
        it in bounded pieces: its bytes are never held whole. True when it ran to the end of the file (an
        unterminated quote looks like that too)."""
        syn = self.opts.syntax
        line = self._line_at(self._pos)
        head = bytes(self._buf[:4096])
        buf, skipped, odd, eof = self._buf, 0, 0, False
        while True:
            a = records.view(buf)
            ends = records.boundaries(a, 0, len(a), odd, syn, complete=True)
            if ends.size:  # a newline outside quotes: the record ends here
                end = int(ends[0]) + 1
                skipped += end
                self._buf = buf[end:]
                break
            odd = (odd + records.count_quotes(a, 0, len(a), syn, complete=True)) & 1
            skipped += len(buf)
            buf = self._stream.read(1 << 20)
            if not buf:
                self._buf, eof = b"", True
                break
        self.quarantine.add(self.target.source, f"record of {skipped:,} bytes is longer than the limit of "
                            f"{self.max_record_bytes:,} bytes (max_record_bytes); not loaded", value=head, line=line)
        self.counts.rows_in += 1
        self.counts.rows_quarantined += 1
        self._pos += skipped
        return eof

    def _quarantine_unterminated(self, data: bytes | bytearray, k: int) -> int:
        """The file's last ``k`` bytes end inside a quoted field: the quote opened in the last record never
        closes, so that record swallowed every line after it. pyarrow accepts an open quote at the end of
        its input; here that record is quarantined whole (with its line) and the rest is parsed."""
        syn = self.opts.syntax
        if not records.count_quotes(records.view(data), 0, k, syn, complete=True) & 1:
            return k
        # An odd count: an unterminated quote, or a quote inside an unquoted field (a literal to pyarrow).
        start = records.unterminated_start(memoryview(data)[:k], syn)
        if start is None:
            return k
        good = start
        self.quarantine.add(self.target.source, "unterminated quote: the quoted field opened in this record "
                            "never closes, so it runs to the end of the file", value=bytes(data[good:k]),
                            line=self._line_at(self._pos + good))
        self.counts.rows_in += 1
        self.counts.rows_quarantined += 1
        return good

    def _convert(self, piece: bytes | memoryview, pos: int) -> pa.Table:
        base: list[int] = []

        def locate(records: Sequence[int]) -> list[dict[str, int]]:
            if not base:
                base.append(self._line_at(pos))
            starts = record_lines(bytes(piece), self.opts)
            return [{"line": base[0] + starts[r]} for r in records]

        table = self.converter.convert(piece, locate)
        if not base and self._known is not None and self._known[0] == pos:
            base.append(self._known[1])
        if base:
            # Once a file has needed line numbers, keep counting so later chunks do not re-read.
            self._known = (pos + len(piece), base[0] + bytes(piece).count(b"\n"))
        return table


def split_refusal(codec: str) -> str | None:
    """Why a file cannot be split into byte ranges before looking inside it, or None when it can."""
    if codec != "none":
        return f"compressed ({codec}) files are read from the start"
    return None


def even_ranges(size: int, target_bytes: int) -> list[tuple[int, int]]:
    if size <= 0:
        return [(0, 0)]
    n = max(1, -(-size // max(1, target_bytes)))
    step = -(-size // n)
    return [(s, min(size, s + step)) for s in range(0, size, step)]


def text_ranges(store: Storage, uri: str, opts: TextOptions, size: int, target_bytes: int, *,
                workers: int = 2) -> list[tuple[int, int]]:
    """Byte ranges of about ``target_bytes`` of an uncompressed text file; quoted or escaped text is cut
    at record starts (``records.align_cuts``), or not at all when its quoting cannot be trusted."""
    ranges = even_ranges(size, target_bytes)
    syn = opts.syntax
    if len(ranges) == 1 or syn.plain:
        return ranges
    cuts = records.align_cuts(store, uri, size, [r[0] for r in ranges[1:]], syn, workers=workers)
    if cuts is None:
        return [(0, size)]
    bounds = [0, *cuts, size]
    return list(itertools.pairwise(bounds))


__all__ = ["DEFAULT_CHUNK_BYTES", "ChunkConverter", "DelimitedSource", "TextOptions",
           "even_ranges", "first_record_end", "record_end", "record_lines", "split_refusal", "text_ranges"]
