"""JSON lines: pyarrow's multithreaded JSON reader on newline-aligned chunks.

JSON strings cannot hold a raw newline, so every newline ends a record and chunks are cut at the last
one. Each chunk is read with an explicit schema (the declared one, or the one inferred from the first
chunk, so every chunk has the same types). When a chunk fails (a value of the wrong JSON type, a
malformed line), its lines are bisected: halves are parsed again until the single failing lines are
found; they are quarantined with their line number and pyarrow's message, the rest is kept.
Types pyarrow's JSON reader cannot produce from strings (date, binary) are read as strings and cast
with ``convert.cast_locate``. Fields absent from an object are null; fields not in the schema are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.json as pj

from migrate.errors import FormatError
from migrate.formats.compression import open_decompressed
from migrate.formats.convert import FileCounts, Target
from migrate.formats.delimited import DEFAULT_CHUNK_BYTES, fmt_attr
from migrate.formats.quarantine import Quarantine
from migrate.formats.types import FormatLike
from migrate.storage.base import Storage

_BLOCK = 4 << 20


def _read_type(t: pa.DataType) -> pa.DataType:
    """The type asked of the JSON reader for a target type."""
    if pa.types.is_date(t) or pa.types.is_binary(t):
        return pa.string()
    return t


class JsonlSource:
    def __init__(self, store: Storage, uri: str, fmt: FormatLike, target: Target, *,
                 quarantine: Quarantine, counts: FileCounts, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.uri, self.target, self.quarantine, self.counts = uri, target, quarantine, counts
        self.chunk_bytes = chunk_bytes
        self._stream, _ = open_decompressed(lambda: store.open(uri), uri, fmt_attr(fmt, "compression", "auto"))
        self._buf = b""
        self._eof = False
        if target.declared is None:
            self._infer()
        self.read_schema = pa.schema([pa.field(f.name, _read_type(f.type)) for f in target.data_fields])

    def _fill(self, want: int) -> None:
        while len(self._buf) < want and not self._eof:
            more = self._stream.read(max(want - len(self._buf), 1 << 16))
            if not more:
                self._eof = True
            self._buf += more

    def _infer(self) -> None:
        self._fill(1 << 20)
        k = self._buf.rfind(b"\n") + 1 if not self._eof else len(self._buf)
        sample = self._buf[:k]
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

    def _parse(self, data: bytes, block: int = _BLOCK) -> pa.Table:
        try:
            table = pj.read_json(
                pa.py_buffer(data),
                read_options=pj.ReadOptions(use_threads=True, block_size=block),
                parse_options=pj.ParseOptions(explicit_schema=self.read_schema, unexpected_field_behavior="ignore"),
            )
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc) or block > len(data):
                raise
            return self._parse(data, len(data) + 1)  # a line longer than a parse block: the chunk as one block
        table.validate(full=True)  # the JSON reader passes invalid UTF-8 into strings: ArrowInvalid, line salvaged
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
                        self._fill(len(self._buf) * 2)
                        k = self._buf.rfind(b"\n") + 1 if not self._eof else len(self._buf)
                piece, self._buf = self._buf[:k], self._buf[k:]
                if piece:
                    yield self._convert(piece, line)
                    line += piece.count(b"\n")
                if self._eof and not self._buf:
                    return
        finally:
            self._stream.close()

    def _convert(self, piece: bytes, first_line: int) -> pa.Table:
        lines = piece.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        starts = [i for i, s in enumerate(lines) if s.strip()]  # pyarrow skips blank lines
        rows_in = len(starts)
        try:
            table = self._parse(piece)
            kept = starts
        except pa.ArrowInvalid:
            table, kept = self._salvage(lines, starts, first_line)
        if table.num_rows != len(kept):
            raise FormatError(f"{self.uri}: JSON reader returned {table.num_rows} rows for {len(kept)} lines "
                              f"near line {first_line}")
        table, bad = self.target.cast_table(table)

        def locate(rows: Sequence[int]) -> list[dict[str, int]]:
            return [{"line": first_line + kept[r]} for r in rows]

        out = self.target.finish(table, bad, rows_in=table.num_rows, locate=locate,
                                 quarantine=self.quarantine, counts=self.counts)
        dropped = rows_in - len(kept)
        self.counts.rows_in += dropped
        self.counts.rows_quarantined += dropped
        return out

    def _salvage(self, lines: list[bytes], starts: list[int], first_line: int) -> tuple[pa.Table, list[int]]:
        """Bisect the chunk's lines: quarantine the ones that fail alone, parse the rest together."""
        bad: list[tuple[int, str]] = []

        def walk(idx: Sequence[int]) -> None:
            try:
                self._parse(b"\n".join(lines[i] for i in idx) + b"\n")
                return
            except pa.ArrowInvalid as exc:
                if len(idx) == 1:
                    bad.append((idx[0], str(exc)))
                    return
            h = len(idx) // 2
            walk(idx[:h])
            walk(idx[h:])

        walk(starts)
        bad_set = {i for i, _ in bad}
        for i, why in sorted(bad):
            self.quarantine.add(self.uri, f"invalid JSON line: {why}", line=first_line + i, value=lines[i])
        kept = [i for i in starts if i not in bad_set]
        if not kept:
            return pa.Table.from_batches([], self.read_schema), kept
        return self._parse(b"\n".join(lines[i] for i in kept) + b"\n"), kept
