"""JSON lines: pyarrow's multithreaded JSON reader on newline-aligned chunks, Python where it cannot.

JSON strings cannot hold a raw newline, so every newline ends a record and chunks are cut at the last
one. Each chunk is read with an explicit schema (the declared one, or the one inferred from the first
chunk, so every chunk has the same types), structs and lists included. Where pyarrow's reader cannot go
(a map or a ``json`` column anywhere in the schema, a ``string`` column holding objects or numbers, a
value of the wrong JSON type, a malformed line, text that is not UTF-8) the chunk is read with
``json.loads`` instead, value by value against the declared types (``nested.from_json_values``): each
row that does not fit is quarantined with its line number and what is wrong (``invalid JSON: ...`` for
a syntax error, ``column meta: expected struct<k:bigint>, found string`` for a schema mismatch), the
rest is kept. Types pyarrow's JSON reader cannot produce from strings (date, binary) are read as strings
and cast. Fields absent from an object are null; top-level fields not in the schema are not read; a
nested field that a declared struct does not name is a mismatch (never dropped silently). A line longer
than ``JSON_MAX_LINE_BYTES`` (256 MiB) is quarantined with its line number and read past
in 1 MiB pieces, never held whole: one hostile line cannot exhaust the worker's memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.json as pj

from migrate.column_types import json_kind
from migrate.errors import FormatError, UnsupportedError
from migrate.formats.compression import open_decompressed
from migrate.formats.convert import Bad, FileCounts, Target
from migrate.formats.delimited import DEFAULT_CHUNK_BYTES, fmt_attr
from migrate.formats.nested import (
    READY_KEY,
    dumps,
    from_json_values,
    has_long_number,
    has_struct,
    loads,
    needs_python,
    ready_field,
)
from migrate.formats.quarantine import Quarantine
from migrate.formats.types import FormatLike, is_json
from migrate.storage.base import Storage

_BLOCK = 4 << 20
# Longer lines are quarantined, never held whole. Higher than delimited text's 64 MiB: a JSON line has no
# quoting ambiguity, and document-sized rows (100 MB) are real; a file without newlines is not a row.
JSON_MAX_LINE_BYTES = 256 << 20


def _fast_field(f: pa.Field) -> pa.Field:
    """The field asked of pyarrow's JSON reader for a declared field (date and binary leaves as strings)."""
    t = f.type
    if pa.types.is_struct(t):
        nt: pa.DataType = pa.struct([_fast_field(g) for g in t])
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        nt = pa.list_(_fast_field(t.value_field))
    elif pa.types.is_date(t) or pa.types.is_binary(t):
        nt = pa.string()
    else:
        nt = t
    return pa.field(f.name, nt, True, f.metadata)


def _rewritable(f: pa.Field) -> bool:
    """A top-level JSON text column, or a map with text keys holding what pyarrow reads."""
    if is_json(f):
        return True
    t = f.type
    return pa.types.is_map(t) and pa.types.is_string(t.key_type) and not needs_python(t.item_field)


def _rewrite_field(f: pa.Field) -> pa.Field:
    if is_json(f):
        return pa.field(f.name, pa.string())
    if pa.types.is_map(f.type):
        entry = pa.struct([pa.field("key", pa.string()), _fast_field(f.type.item_field).with_name("value")])
        return pa.field(f.name, pa.list_(entry))
    return _fast_field(f)


_PY_LINES = 16_384  # lines per json.loads batch: bounds the Python objects alive at once


class JsonlSource:
    def __init__(self, store: Storage, uri: str, fmt: FormatLike, target: Target, *,
                 quarantine: Quarantine, counts: FileCounts, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                 byte_range: tuple[int, int] | None = None, max_record_bytes: int | None = None) -> None:
        self.store, self.uri, self.target, self.quarantine, self.counts = store, uri, target, quarantine, counts
        self.chunk_bytes = chunk_bytes
        self.max_record_bytes = max(max_record_bytes or JSON_MAX_LINE_BYTES, 1 << 16)
        self.compression = str(fmt_attr(fmt, "compression", "auto"))
        self._buf = b""
        self._eof = False
        self._end: int | None = None  # a range: its lines end with the one holding byte end - 1
        self._at = 0  # file offset of self._buf[0]
        self._first_line: int | None = 1  # line number of the first line read (None: counted when needed)
        if byte_range is None or byte_range[0] == 0:
            self._stream, codec = open_decompressed(lambda: store.open(uri), uri, self.compression)
        else:
            self._stream, codec = store.open(uri, byte_range[0] - 1), "none"
        if byte_range is not None:
            if codec != "none":
                self._stream.close()
                raise UnsupportedError(f"byte ranges need an uncompressed file; {uri} is {codec}")
            start, self._end = byte_range
            if start > 0:  # the line that started before the range belongs to the range before
                self._at, self._first_line = start - 1, None
                self._skip_through_newline()
        self._range_start = self._at
        self.encoding = str(fmt_attr(fmt, "encoding", "utf-8") or "utf-8").lower().replace("_", "-")
        if target.declared is None:
            self._infer()
        fields = target.data_fields
        utf8 = self.encoding in ("utf-8", "utf8")
        # pyarrow's reader: UTF-8 only, no maps, no JSON text columns.
        self.fast = utf8 and not any(needs_python(f) for f in fields)
        self.read_schema = pa.schema([_fast_field(f) for f in fields])
        # Top-level JSON text and map columns: each line rewritten (orjson) so that pyarrow can read it.
        self.json_cols = [f.name for f in fields if is_json(f)]
        self.map_cols = [f.name for f in fields if pa.types.is_map(f.type)]
        self.rewrite = utf8 and not self.fast and all(_rewritable(f) for f in fields if needs_python(f))
        self.rewrite_schema = pa.schema([_rewrite_field(f) for f in fields]) if self.rewrite else None
        # "infer" keeps nested fields a struct does not declare, so they are found (and the row quarantined)
        # instead of dropped; without structs, unknown top-level fields are simply not read.
        self.unexpected = "infer" if any(has_struct(f) for f in fields) else "ignore"

    def _skip_through_newline(self) -> None:
        while not self._eof:
            self._fill(len(self._buf) + (1 << 16))
            k = self._buf.find(b"\n")
            if k >= 0:
                self._buf, self._at = self._buf[k + 1:], self._at + k + 1
                return
        self._at, self._buf = self._at + len(self._buf), b""  # no newline after the start: nothing is ours

    def _fill(self, want: int) -> None:
        while len(self._buf) < want and not self._eof:
            more = self._stream.read(max(want - len(self._buf), 1 << 16))
            if not more:
                self._eof = True
            self._buf += more
            self._clip()

    def _clip(self) -> None:
        if self._end is not None and self._at + len(self._buf) >= self._end:
            # Past the range: keep through the newline that ends the line holding byte end - 1.
            k = self._buf.find(b"\n", max(0, self._end - 1 - self._at))
            if k >= 0:
                self._buf, self._eof = self._buf[:k + 1], True

    def _skip_long_line(self, line: int) -> None:
        """Quarantine the line at the start of the buffer, longer than ``max_record_bytes``, reading past it
        in 1 MiB pieces (its bytes are never held whole); its first 4 KiB are kept as the value."""
        head, buf, skipped = self._buf[:4096], self._buf, 0
        while True:
            k = buf.find(b"\n")
            if k >= 0:
                skipped += k + 1
                self._buf = buf[k + 1:]
                break
            skipped += len(buf)
            buf = b"" if self._eof else self._stream.read(1 << 20)
            if not buf:
                self._buf, self._eof = b"", True
                break
        self.quarantine.add(self.uri, f"line of {skipped:,} bytes is longer than the limit of "
                            f"{self.max_record_bytes:,} bytes; not loaded",
                            value=head.decode("utf-8", "replace"), line=self._line(line))
        self.counts.rows_in += 1
        self.counts.rows_quarantined += 1
        self._at += skipped
        if self._end is not None and self._at >= self._end:
            self._buf, self._eof = b"", True  # the long line was the range's last
        else:
            self._clip()

    def _line(self, rel: int) -> int:
        """The file's line number of line ``rel`` (1-based) of what this source reads. In a range that starts
        mid-file the lines before it are counted once, on demand (only when a row is quarantined)."""
        if self._first_line is None:
            start = self._range_start
            n = 0
            with self.store.open(self.uri, 0, start) as f:
                while chunk := f.read(4 << 20):
                    n += chunk.count(b"\n")
            self._first_line = n + 1
        return self._first_line + rel - 1

    def _infer(self) -> None:
        if self._first_line is None:  # a range mid-file: types from the head of the file, as every range
            with self.store.open(self.uri, 0, 1 << 20) as f:
                head = f.read()
            done = len(head) < 1 << 20
        else:
            self._fill(1 << 20)
            head, done = self._buf, self._eof
        k = head.rfind(b"\n") + 1 if not done else len(head)
        sample = head[:k]
        fields: list[pa.Field] = []
        if sample.strip():
            try:
                t = pj.read_json(pa.py_buffer(sample))
            except pa.ArrowInvalid:
                t = self._good_lines_table(sample)
            fields = [pa.field(f.name, f.type, nullable=True) for f in t.schema]
        self.target.set_inferred(fields)

    def _good_lines_table(self, sample: bytes) -> pa.Table:
        """Infer from the lines that parse alone; on type conflicts between them, from a shrinking prefix."""
        good = []
        for line in sample.split(b"\n"):
            if line.strip():
                try:
                    pj.read_json(pa.py_buffer(line))
                    good.append(line)
                except pa.ArrowInvalid:
                    continue
        while good:
            try:
                return pj.read_json(pa.py_buffer(b"\n".join(good)))
            except pa.ArrowInvalid:
                good = good[: len(good) // 2]
        return pa.table({})

    def _parse(self, data: bytes, block: int = _BLOCK, schema: pa.Schema | None = None) -> pa.Table:
        try:
            table = pj.read_json(
                pa.py_buffer(data),
                read_options=pj.ReadOptions(use_threads=True, block_size=block),
                parse_options=pj.ParseOptions(explicit_schema=schema or self.read_schema,
                                              unexpected_field_behavior=self.unexpected),
            )
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc) or block > len(data):
                raise
            # a line longer than a parse block: the chunk as one block
            return self._parse(data, len(data) + 1, schema)
        table.validate(full=True)  # the JSON reader passes invalid UTF-8 into strings: ArrowInvalid, read by line
        return table

    def tables(self) -> Iterator[pa.Table]:
        line = 1
        try:
            while True:
                self._fill(self.chunk_bytes)
                if self._eof:
                    k = len(self._buf)
                else:
                    k = self._buf.rfind(b"\n") + 1
                    while k == 0 and not self._eof:  # one line longer than a chunk
                        if len(self._buf) >= self.max_record_bytes:
                            break
                        self._fill(min(len(self._buf) * 2, self.max_record_bytes))
                        k = self._buf.rfind(b"\n") + 1 if not self._eof else len(self._buf)
                if (len(self._buf) >= self.max_record_bytes and (k == 0 or k > self.max_record_bytes)
                        and self._buf.find(b"\n", 0, self.max_record_bytes) < 0):
                    self._skip_long_line(line)  # the buffer starts with a line over the limit
                    line += 1
                    if self._eof and not self._buf:
                        return
                    continue
                piece, self._buf = self._buf[:k], self._buf[k:]
                self._at += k
                if piece:
                    yield self._convert(piece, line)
                    line += piece.count(b"\n")
                if self._eof and not self._buf:
                    return
        finally:
            self._stream.close()

    def _convert(self, piece: bytes, first_line: int) -> pa.Table:
        table: pa.Table | None = None
        if self.fast:
            try:
                table = self._parse(piece)
            except pa.ArrowInvalid:
                table = None  # read value by value: says which line and what is wrong
        elif self.rewrite:
            table = self._rewritten(piece)
        nlines = piece.count(b"\n") + (0 if piece.endswith(b"\n") or not piece else 1)
        kept: Sequence[int]
        early: dict[int, Bad] = {}
        if table is not None and table.num_rows == nlines:
            kept = range(nlines)  # no blank line: row r is line r (no need to split the chunk into lines)
            rows_seen = nlines
        else:
            lines = piece.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            kept = [i for i, s in enumerate(lines) if s.strip()]  # blank lines are not rows
            rows_seen = len(kept)
            if table is None:
                quarantined = self.quarantine.count(self.uri)
                table, kept, early = self._python(lines, kept, first_line)
                if not early and self.quarantine.count(self.uri) == quarantined:
                    # Every line fits the plan, yet pyarrow could not read them (numbers in a string column,
                    # a map of values to serialise): value by value from now on, not two reads per chunk.
                    self.fast = self.rewrite = False
        if table.num_rows != len(kept):
            raise FormatError(f"{self.uri}: JSON reader returned {table.num_rows} rows for {len(kept)} lines "
                              f"near line {self._line(first_line)}")
        table, bad = self.target.cast_table(table)
        bad.update(early)

        def locate(rows: Sequence[int]) -> list[dict[str, int]]:
            return [{"line": self._line(first_line + kept[r])} for r in rows]

        out = self.target.finish(table, bad, rows_in=table.num_rows, locate=locate,
                                 quarantine=self.quarantine, counts=self.counts)
        dropped = rows_seen - len(kept)
        self.counts.rows_in += dropped
        self.counts.rows_quarantined += dropped
        return out

    def _rewritten(self, piece: bytes) -> pa.Table | None:
        """The chunk read by pyarrow after rewriting each line: JSON text columns as JSON strings of their
        value, map objects as ``[{"key", "value"}]`` lists. None when a line does not allow it (a syntax
        error, not an object, an integer beyond 64 bits, a value of another shape): read value by value."""
        if has_long_number(piece):
            return None  # orjson would read it as a float
        # Into one buffer as we go: orjson's results each keep a ~4 KiB allocation while they live.
        out = bytearray()
        try:
            for line in piece.split(b"\n"):
                if not line.strip():
                    continue
                obj = orjson.loads(line)
                if not isinstance(obj, dict):
                    return None
                for c in self.json_cols:
                    v = obj.get(c)
                    if v is not None:
                        obj[c] = dumps(v)
                for c in self.map_cols:
                    v = obj.get(c)
                    if isinstance(v, dict):
                        obj[c] = [{"key": k, "value": x} for k, x in v.items()]
                out += orjson.dumps(obj)
                out += b"\n"
            assert self.rewrite_schema is not None
            table = self._parse(bytes(out), schema=self.rewrite_schema)
        except (orjson.JSONDecodeError, TypeError, pa.ArrowInvalid):
            return None
        cols, fields = [], []
        for f in self.target.data_fields:
            col = table.column(f.name).combine_chunks()
            if f.name in self.map_cols:  # list<struct<key, value>> -> map
                entries = col.values
                col = pa.MapArray.from_arrays(col.offsets, entries.field("key"), entries.field("value"),
                                              mask=col.is_null())
            cols.append(col)
            fields.append(pa.field(f.name, col.type, metadata={READY_KEY: b"1"}))
        return pa.Table.from_arrays(cols, schema=pa.schema(fields))

    def _loads(self, raw: bytes) -> Any:
        return loads(raw) if self.encoding in ("utf-8", "utf8") else json.loads(raw.decode(self.encoding))

    def _python(self, lines: list[bytes], starts: list[int],
                first_line: int) -> tuple[pa.Table, list[int], dict[int, Bad]]:
        """The chunk read with ``json.loads``: (table of the lines that hold JSON objects, their indices in
        ``lines``, {row: why} for values that do not fit). Lines that are not JSON objects are quarantined."""
        fields = self.target.data_fields
        schema = pa.schema([ready_field(f) for f in fields])
        tables: list[pa.Table] = []
        kept: list[int] = []
        early: dict[int, Bad] = {}
        for at in range(0, len(starts), _PY_LINES):
            idx = starts[at:at + _PY_LINES]
            try:  # one call for the whole batch when every line is valid
                objs = self._loads(b"[" + b",".join(lines[i] for i in idx) + b"]")
                ok = list(zip(idx, objs, strict=True))
            except ValueError:
                ok = []
                for i in idx:
                    try:
                        ok.append((i, self._loads(lines[i])))
                    except ValueError as exc:  # UnicodeDecodeError included
                        self.quarantine.add(self.uri, f"invalid JSON: {exc}", line=self._line(first_line + i),
                                            value=lines[i])
            good = []
            for i, obj in ok:
                if isinstance(obj, dict):
                    good.append((i, obj))
                else:
                    self.quarantine.add(self.uri, f"line holds a JSON {json_kind(obj)}, not an object",
                                        line=self._line(first_line + i), value=lines[i])
            base = len(kept)
            cols = []
            for f in fields:
                values = [obj.get(f.name) for _, obj in good]
                arr, errs = from_json_values(values, f)
                for r, why in errs.items():
                    early.setdefault(base + r, Bad(f.name, values[r], why))
                cols.append(arr)
            tables.append(pa.Table.from_arrays(cols, schema=schema))
            kept += [i for i, _ in good]
        if not tables:
            return pa.Table.from_batches([], schema), kept, early
        return pa.concat_tables(tables), kept, early
