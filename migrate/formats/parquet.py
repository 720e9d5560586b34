"""Parquet: passed through batch by batch (row group at a time), cast to the declared schema if any."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from migrate.errors import FormatError
from migrate.formats.convert import FileCounts, Target
from migrate.formats.quarantine import Quarantine
from migrate.storage.base import Storage
from migrate.storage.seekable import open_seekable


class ParquetSource:
    def __init__(self, store: Storage, uri: str, target: Target, *, quarantine: Quarantine,
                 counts: FileCounts, batch_size: int) -> None:
        self.uri, self.target, self.quarantine, self.counts = uri, target, quarantine, counts
        self.batch_size = batch_size
        self._f = open_seekable(store, uri)
        try:
            self._pf = pq.ParquetFile(self._f)
        except (pa.ArrowInvalid, OSError) as exc:
            self._f.close()
            raise FormatError(f"not a readable Parquet file: {uri}: {exc}") from exc
        if target.declared is None:
            target.set_inferred(list(self._pf.schema_arrow))

    def tables(self) -> Iterator[pa.Table]:
        record = 1
        names = [f.name for f in self.target.data_fields]
        cols = [n for n in names if n in self._pf.schema_arrow.names]
        try:
            for batch in self._pf.iter_batches(batch_size=self.batch_size, columns=cols):
                table, bad = self.target.cast_table(pa.Table.from_batches([batch]))
                base = record

                def locate(rows: Sequence[int], base: int = base) -> list[dict[str, int]]:
                    return [{"record": base + r} for r in rows]

                yield self.target.finish(table, bad, rows_in=batch.num_rows, locate=locate,
                                         quarantine=self.quarantine, counts=self.counts)
                record += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise FormatError(f"cannot read Parquet file {self.uri} near record {record}: {exc}") from exc
        finally:
            self._f.close()
