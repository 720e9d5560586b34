"""ORC via pyarrow: one stripe at a time (bounded memory), cast to the declared schema if any."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa

from migrate.errors import FormatError
from migrate.formats.convert import FileCounts, Target
from migrate.formats.quarantine import Quarantine
from migrate.storage.base import Storage
from migrate.storage.seekable import open_seekable


class OrcSource:
    def __init__(self, store: Storage, uri: str, target: Target, *, quarantine: Quarantine,
                 counts: FileCounts) -> None:
        import pyarrow.orc as po

        self.uri, self.target, self.quarantine, self.counts = uri, target, quarantine, counts
        self._f = open_seekable(store, uri)
        try:
            self._orc = po.ORCFile(self._f)
        except (pa.ArrowInvalid, OSError) as exc:
            self._f.close()
            raise FormatError(f"not a readable ORC file: {uri}: {exc}") from exc
        if target.declared is None:
            target.set_inferred(list(self._orc.schema))

    def tables(self) -> Iterator[pa.Table]:
        record = 1
        names = [f.name for f in self.target.data_fields]
        cols = [n for n in names if n in self._orc.schema.names]
        try:
            for i in range(self._orc.nstripes):
                batch = self._orc.read_stripe(i, columns=cols)
                table, bad = self.target.cast_table(pa.Table.from_batches([batch]))
                base = record

                def locate(rows: Sequence[int], base: int = base) -> list[dict[str, int]]:
                    return [{"record": base + r} for r in rows]

                yield self.target.finish(table, bad, rows_in=batch.num_rows, locate=locate,
                                         quarantine=self.quarantine, counts=self.counts)
                record += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise FormatError(f"cannot read ORC file {self.uri} near record {record}: {exc}") from exc
        finally:
            self._f.close()
