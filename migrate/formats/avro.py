"""Avro object container files via fastavro, streamed record by record into batches.

The Arrow type of each column comes from the writer schema (logical types included: date, timestamp-*
(UTC instants -> timestamp with UTC zone, then cast to the plan's zone-less timestamp keeping UTC
wall time), decimal); complex types (record, array, map, non-null unions) are left to pyarrow's
inference. Locations are 1-based record numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from migrate.errors import FormatError, UnsupportedError
from migrate.formats.compression import _Prefixed
from migrate.formats.convert import FileCounts, Target
from migrate.formats.quarantine import Quarantine
from migrate.storage.base import Storage

_PRIMITIVE = {"null": pa.null(), "boolean": pa.bool_(), "int": pa.int32(), "long": pa.int64(),
              "float": pa.float32(), "double": pa.float64(), "bytes": pa.binary(), "string": pa.string()}


def avro_to_arrow(schema: Any) -> pa.DataType | None:
    """The Arrow type of an Avro (parsed, JSON-like) schema; None lets pyarrow infer."""
    if isinstance(schema, str):
        return _PRIMITIVE.get(schema)
    if isinstance(schema, list):
        rest = [s for s in schema if s != "null"]
        return avro_to_arrow(rest[0]) if len(rest) == 1 else None
    if isinstance(schema, dict):
        logical, t = schema.get("logicalType"), schema.get("type")
        if logical == "date":
            return pa.date32()
        if logical in ("timestamp-millis", "timestamp-micros"):
            return pa.timestamp("us", tz="UTC")
        if logical in ("local-timestamp-millis", "local-timestamp-micros"):
            return pa.timestamp("us")
        if logical == "decimal":
            p, s = int(schema["precision"]), int(schema.get("scale", 0))
            return pa.decimal128(p, s) if p <= 38 else pa.decimal256(p, s)
        if logical == "uuid":
            return pa.string()
        if t in ("fixed",):
            return pa.binary()
        if t == "enum":
            return pa.string()
        if isinstance(t, str | list) and t not in ("record", "array", "map"):
            return avro_to_arrow(t)
    return None


MAGIC = b"Obj\x01"


class AvroSource:
    def __init__(self, store: Storage, uri: str, target: Target, *, quarantine: Quarantine,
                 counts: FileCounts, batch_size: int) -> None:
        import fastavro

        self.uri, self.target, self.quarantine, self.counts = uri, target, quarantine, counts
        self.batch_size = batch_size
        self._f = store.open(uri)
        try:
            head = self._f.read(4)  # fastavro does not check the magic: any file would be "read" as Avro
            if head != MAGIC:
                raise ValueError(f"no Avro magic 'Obj\\x01' at its start (found {head!r})")
            self._reader = fastavro.reader(_Prefixed(head, self._f))  # type: ignore[arg-type]
        except Exception as exc:
            self._f.close()
            raise FormatError(f"not a readable Avro file: {uri}: {exc}") from exc
        codec = self._reader.metadata.get("avro.codec", "null")
        if codec not in ("null", "deflate", "bzip2", "zstandard", "snappy", "xz", "lz4"):
            self._f.close()
            raise UnsupportedError(f"unsupported Avro codec {codec} in {uri}")
        ws = self._reader.writer_schema
        fields = ws.get("fields", []) if isinstance(ws, dict) else []
        self.native: list[tuple[str, pa.DataType | None]] = [(f["name"], avro_to_arrow(f["type"])) for f in fields]
        if target.declared is None:
            inferred = [pa.field(n, t if t is not None else pa.string()) for n, t in self.native]
            if any(t is None for _, t in self.native):
                inferred = []  # complex types: taken from the first batch (see tables)
            target.set_inferred(inferred)

    def _batch_table(self, recs: list[dict[str, Any]]) -> pa.Table:
        arrays, names = [], []
        for name, t in self.native:
            arrays.append(pa.array([r.get(name) for r in recs], type=t))
            names.append(name)
        return pa.Table.from_arrays(arrays, names=names)

    def tables(self) -> Iterator[pa.Table]:
        record = 1
        recs: list[dict[str, Any]] = []
        it = iter(self._reader)
        try:
            while True:
                try:
                    rec = next(it)
                except StopIteration:
                    rec = None
                except Exception as exc:
                    if "codec" in str(exc).lower() or isinstance(exc, ImportError):
                        raise UnsupportedError(f"unsupported Avro codec in {self.uri}: {exc}") from exc
                    raise FormatError(f"corrupt Avro data in {self.uri} at record {record + len(recs)}: "
                                      f"{type(exc).__name__}: {exc}") from exc
                if rec is not None:
                    recs.append(rec)  # type: ignore[arg-type]  # records of a record schema are dicts
                if recs and (rec is None or len(recs) >= self.batch_size):
                    table = self._batch_table(recs)
                    if not self.target.data_fields and self.target.declared is None:
                        self.target.set_inferred(list(table.schema))
                    table, bad = self.target.cast_table(table)
                    base = record

                    def locate(rows: Sequence[int], base: int = base) -> list[dict[str, int]]:
                        return [{"record": base + r} for r in rows]

                    yield self.target.finish(table, bad, rows_in=len(recs), locate=locate,
                                             quarantine=self.quarantine, counts=self.counts)
                    record += len(recs)
                    recs = []
                if rec is None:
                    return
        finally:
            self._f.close()
