"""ORC and Parquet: read batch by batch (a stripe / up to ``batch_size`` rows at a time, bounded
memory) through a seekable ranged-read file, cast to the declared schema if any.

Large files split like text ones, by byte range, over their units (Parquet row groups, ORC stripes):
a range ``[start, end)`` reads the units whose position lies in it, so ranges that tile the file read
every unit exactly once. A row group's position is where its first column chunk starts; pyarrow does
not expose stripe offsets, so stripe ``j`` of ``n`` stands at ``(2j+1) * size // 2n`` (its share of
the file). ``split_columnar`` cuts the ranges at unit positions, about ``target_bytes`` of units each.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from migrate.errors import FormatError
from migrate.formats.convert import FileCounts, Target
from migrate.formats.quarantine import Quarantine
from migrate.storage.base import Storage
from migrate.storage.seekable import open_seekable

NAMES = {"orc": "ORC", "parquet": "Parquet"}


def _open(kind: str, f: Any, uri: str) -> Any:
    try:
        if kind == "orc":
            import pyarrow.orc as po

            return po.ORCFile(f)
        import pyarrow.parquet as pq

        return pq.ParquetFile(f)
    except (pa.ArrowException, OSError) as exc:  # any Arrow error (a corrupt stripe: "Unknown error")
        raise FormatError(f"not a readable {NAMES[kind]} file: {uri}: {exc}") from exc


def _units(kind: str, file: Any) -> list[tuple[int, int, int]]:
    """(position, compressed bytes, rows or -1 when unknown) of every row group / stripe, in file order."""
    if kind == "orc":
        n, size = file.nstripes, file.file_length
        return [((2 * j + 1) * size // (2 * n), size // max(n, 1), -1) for j in range(n)]
    md = file.metadata
    out = []
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        starts = []
        for c in range(rg.num_columns):
            col = rg.column(c)
            dict_at = col.dictionary_page_offset if col.has_dictionary_page else None
            starts.append(min(x for x in (dict_at, col.data_page_offset) if x is not None))
        nbytes = sum(rg.column(c).total_compressed_size for c in range(rg.num_columns))
        out.append((min(starts) if starts else 0, nbytes, rg.num_rows))
    return out


def split_columnar(store: Storage, uri: str, kind: str, target_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges over whole units, about ``target_bytes`` each; one range for a one-unit file."""
    size = store.stat(uri).size
    f = open_seekable(store, uri)
    try:
        units = _units(kind, _open(kind, f, uri))
    finally:
        f.close()
    cuts = [0]
    acc = 0
    for i, (_, nbytes, _) in enumerate(units):
        if acc >= target_bytes and i > 0:
            cuts.append(units[i][0])
            acc = 0
        acc += nbytes
    return [(a, b) for a, b in zip(cuts, [*cuts[1:], size], strict=True)]


class ColumnarSource:
    def __init__(self, kind: str, store: Storage, uri: str, target: Target, *, quarantine: Quarantine,
                 counts: FileCounts, batch_size: int, byte_range: tuple[int, int] | None = None) -> None:
        self.kind, self.uri, self.target, self.quarantine, self.counts = kind, uri, target, quarantine, counts
        self.batch_size = batch_size
        self.byte_range = byte_range
        self._f = open_seekable(store, uri)
        try:
            self._file: Any = _open(kind, self._f, uri)
            self._schema: pa.Schema = self._file.schema if kind == "orc" else self._file.schema_arrow
            # The units this range reads, and the rows before the first (-1 when unknown: ORC).
            units = _units(kind, self._file)
        except BaseException:
            self._f.close()
            raise
        start, end = byte_range if byte_range is not None else (0, 1 << 62)
        self._mine = [i for i, u in enumerate(units) if start <= u[0] < end]
        first = self._mine[0] if self._mine else 0
        known = first == 0 or all(u[2] >= 0 for u in units[:first])
        self._rows_before = sum(u[2] for u in units[:first]) if known else -1
        if target.declared is None:
            target.set_inferred(list(self._schema))

    def _batches(self, cols: list[str]) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(unit index, batch) of the units this range reads."""
        if self.kind == "orc":
            for i in self._mine:
                yield i, self._file.read_stripe(i, columns=cols)
        else:
            for i in self._mine:
                for batch in self._file.iter_batches(batch_size=self.batch_size, columns=cols, row_groups=[i]):
                    yield i, batch

    def tables(self) -> Iterator[pa.Table]:
        # 1-based record numbers in the file; in a range of an ORC file (stripe rows unknown until read)
        # numbered within each stripe, with the stripe named.
        record = self._rows_before + 1 if self._rows_before >= 0 else 1
        unit = -1
        cols = [f.name for f in self.target.data_fields if f.name in self._schema.names]
        try:
            for i, batch in self._batches(cols):
                if self._rows_before < 0 and i != unit:
                    record = 1
                unit = i
                table, bad = self.target.cast_table(pa.Table.from_batches([batch]))
                base = record
                where = {"stripe": i} if self._rows_before < 0 and self.byte_range is not None else {}

                def locate(rows: Sequence[int], base: int = base,
                           where: dict[str, int] = where) -> list[dict[str, int]]:
                    return [{**where, "record": base + r} for r in rows]

                yield self.target.finish(table, bad, rows_in=batch.num_rows, locate=locate,
                                         quarantine=self.quarantine, counts=self.counts)
                record += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise FormatError(f"cannot read {NAMES[self.kind]} file {self.uri} near record {record}: {exc}") from exc
        finally:
            self._f.close()
