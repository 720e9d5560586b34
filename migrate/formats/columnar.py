"""ORC and Parquet: read batch by batch (a stripe / up to ``batch_size`` rows at a time, bounded
memory) through a seekable ranged-read file, cast to the declared schema if any."""

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


class ColumnarSource:
    def __init__(self, kind: str, store: Storage, uri: str, target: Target, *, quarantine: Quarantine,
                 counts: FileCounts, batch_size: int) -> None:
        self.kind, self.uri, self.target, self.quarantine, self.counts = kind, uri, target, quarantine, counts
        self.batch_size = batch_size
        self._f = open_seekable(store, uri)
        try:
            if kind == "orc":
                import pyarrow.orc as po

                self._file: Any = po.ORCFile(self._f)
                self._schema: pa.Schema = self._file.schema
            else:
                import pyarrow.parquet as pq

                self._file = pq.ParquetFile(self._f)
                self._schema = self._file.schema_arrow
        except (pa.ArrowInvalid, OSError) as exc:
            self._f.close()
            raise FormatError(f"not a readable {NAMES[kind]} file: {uri}: {exc}") from exc
        if target.declared is None:
            target.set_inferred(list(self._schema))

    def _batches(self, cols: list[str]) -> Iterator[pa.RecordBatch]:
        if self.kind == "orc":
            for i in range(self._file.nstripes):
                yield self._file.read_stripe(i, columns=cols)
        else:
            yield from self._file.iter_batches(batch_size=self.batch_size, columns=cols)

    def tables(self) -> Iterator[pa.Table]:
        record = 1
        cols = [f.name for f in self.target.data_fields if f.name in self._schema.names]
        try:
            for batch in self._batches(cols):
                table, bad = self.target.cast_table(pa.Table.from_batches([batch]))
                base = record

                def locate(rows: Sequence[int], base: int = base) -> list[dict[str, int]]:
                    return [{"record": base + r} for r in rows]

                yield self.target.finish(table, bad, rows_in=batch.num_rows, locate=locate,
                                         quarantine=self.quarantine, counts=self.counts)
                record += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise FormatError(f"cannot read {NAMES[self.kind]} file {self.uri} near record {record}: {exc}") from exc
        finally:
            self._f.close()
