"""Avro object container files via fastavro, streamed record by record into batches.

The Arrow type of each column comes from the writer schema (logical types included: date, timestamp-*
(UTC instants -> timestamp with UTC zone, then cast to the plan's zone-less timestamp keeping UTC
wall time), decimal), nested ones too: records are structs, arrays lists, maps ``map<string,V>``, named
types resolved by their full name. A union of several non-null types or a recursive record has no Arrow
type: its values are kept as JSON text (``nested.dumps``). Locations are 1-based record numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from migrate.errors import FormatError, UnsupportedError
from migrate.formats.compression import _Prefixed
from migrate.formats.convert import FileCounts, Target
from migrate.formats.nested import READY_KEY, dumps
from migrate.formats.quarantine import Quarantine
from migrate.storage.base import Storage

_PRIMITIVE = {"null": pa.null(), "boolean": pa.bool_(), "int": pa.int32(), "long": pa.int64(),
              "float": pa.float32(), "double": pa.float64(), "bytes": pa.binary(), "string": pa.string()}


def named_types(schema: Any, out: dict[str, Any] | None = None, namespace: str = "") -> dict[str, Any]:
    """Name -> definition of every named type (record, enum, fixed) in an Avro schema, by full name
    (``ns.Name``, the namespace inherited as Avro does) and by short name."""
    out = {} if out is None else out
    if isinstance(schema, list):
        for s in schema:
            named_types(s, out, namespace)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "error", "enum", "fixed") and "name" in schema:
            name = str(schema["name"])
            namespace = name.rsplit(".", 1)[0] if "." in name else str(schema.get("namespace", namespace) or "")
            full = name if "." in name or not namespace else f"{namespace}.{name}"
            out.setdefault(full, schema)
            out.setdefault(full.rsplit(".", 1)[-1], schema)
        for f in schema.get("fields", []) if schema.get("type") in ("record", "error") else []:
            named_types(f["type"], out, namespace)
        for key in ("items", "values"):
            if key in schema:
                named_types(schema[key], out, namespace)
        if isinstance(schema.get("type"), dict | list):
            named_types(schema["type"], out, namespace)
    return out


def avro_to_arrow(schema: Any, named: dict[str, Any] | None = None, _seen: frozenset[str] = frozenset()
                  ) -> pa.DataType | None:
    """The Arrow type of an Avro (parsed, JSON-like) schema, records, arrays and maps included.

    None where Arrow has no faithful type: unions of several non-null branches and recursive records
    (the reader keeps those values as JSON text).
    """
    named = named if named is not None else named_types(schema)
    if isinstance(schema, str):
        if schema in _PRIMITIVE:
            return _PRIMITIVE[schema]
        if schema in named and schema not in _seen:
            return avro_to_arrow(named[schema], named, _seen)
        return None
    if isinstance(schema, list):
        rest = [s for s in schema if s != "null"]
        return avro_to_arrow(rest[0], named, _seen) if len(rest) == 1 else None
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
        if t == "fixed":
            return pa.binary()
        if t == "enum":
            return pa.string()
        if t in ("record", "error"):
            name = schema.get("name", "")
            if name in _seen:
                return None  # recursive: Arrow types are finite
            fields = []
            for f in schema.get("fields", []):
                sub = avro_to_arrow(f["type"], named, _seen | {name})
                if sub is None:
                    return None
                fields.append(pa.field(f["name"], sub))
            return pa.struct(fields)
        if t == "array":
            item = avro_to_arrow(schema["items"], named, _seen)
            return None if item is None else pa.list_(item)
        if t == "map":
            value = avro_to_arrow(schema["values"], named, _seen)
            return None if value is None else pa.map_(pa.string(), value)
        if isinstance(t, str | list | dict):
            return avro_to_arrow(t, named, _seen)
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
        named = named_types(ws)
        self.native: list[tuple[str, pa.DataType | None]] = [
            (f["name"], avro_to_arrow(f["type"], named)) for f in fields]
        if target.declared is None:
            # No Arrow type (a union of several types, a recursive record): JSON text in a string column.
            target.set_inferred([pa.field(n, t if t is not None else pa.string()) for n, t in self.native])

    def _batch_table(self, recs: list[dict[str, Any]]) -> pa.Table:
        arrays, fields = [], []
        for name, t in self.native:
            values = [r.get(name) for r in recs]
            if t is None:  # see set_inferred above; marked so a `json` column does not quote it again
                arrays.append(pa.array([None if v is None else dumps(v) for v in values], pa.string()))
                fields.append(pa.field(name, pa.string(), metadata={READY_KEY: b"1"}))
            else:
                arrays.append(pa.array(values, type=t))
                fields.append(pa.field(name, t))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

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
