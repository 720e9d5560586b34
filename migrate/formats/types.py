"""Plan column types -> Arrow types, and Hive partition values.

Typed against small Protocols (not ``migrate.plan``) so callers can pass the plan's models or any
object with the same attribute names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Protocol
from urllib.parse import unquote

import pyarrow as pa

from migrate.column_types import ColType, parse_type, quote_name
from migrate.errors import UnsupportedError

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"


class FormatLike(Protocol):
    """The attributes of the plan's FormatSpec that the readers use (read-only)."""

    @property
    def kind(self) -> str: ...
    @property
    def delimiter(self) -> str | None: ...
    @property
    def header(self) -> bool: ...
    @property
    def quote(self) -> str | None: ...
    @property
    def escape(self) -> str | None: ...
    @property
    def null_marker(self) -> str | None: ...
    @property
    def compression(self) -> str | None: ...
    @property
    def encoding(self) -> str | None: ...


class ColumnLike(Protocol):
    """The attributes of the plan's ColumnSpec."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def nullable(self) -> bool: ...


_SIMPLE: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "binary": pa.binary(),
    "date": pa.date32(),
    # Microseconds, no zone: what Iceberg's `timestamp` and Spark's TIMESTAMP_NTZ hold.
    "timestamp": pa.timestamp("us"),
}
_DECIMAL = re.compile(r"^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
# A `json` column is an Arrow string whose field carries this mark: readers serialise every value there
# (objects, arrays, strings, numbers) as JSON text; a plain string field keeps strings as they are.
JSON_MARK = {b"migrate.type": b"json"}


def is_json(field: pa.Field) -> bool:
    """Whether ``field`` is a plan ``json`` column (or nested field)."""
    return bool(field.metadata) and field.metadata.get(b"migrate.type") == b"json"


def _arrow(t: ColType) -> pa.DataType:
    if t.kind in _SIMPLE:
        return _SIMPLE[t.kind]
    if t.kind == "json":
        return pa.string()
    if t.kind == "decimal":
        return pa.decimal128(t.precision, t.scale) if t.precision <= 38 else pa.decimal256(t.precision, t.scale)
    if t.kind == "array":
        assert t.element is not None
        return pa.list_(_field("item", t.element))
    if t.kind == "map":
        assert t.key is not None and t.value is not None
        return pa.map_(_arrow(t.key), _field("value", t.value))
    return pa.struct([_field(name, sub) for name, sub in t.fields])


def _field(name: str, t: ColType, nullable: bool = True) -> pa.Field:
    return pa.field(name, _arrow(t), nullable=nullable, metadata=JSON_MARK if t.kind == "json" else None)


def arrow_type(type_name: str) -> pa.DataType:
    """``bigint`` -> int64, ``decimal(12,2)`` -> decimal128(12, 2), ``struct<a:int>`` -> struct<a: int32>, ...

    UnsupportedError for text outside the grammar of ``migrate.column_types``. The ``json`` mark lives on
    fields: use ``arrow_field`` (or ``arrow_schema``) to keep it for a top-level column.
    """
    m = _DECIMAL.match(str(type_name).strip().lower())
    if m:  # precision up to 76 here (decimal256); the plan itself allows 38
        p, s = int(m.group(1)), int(m.group(2))
        if not 1 <= p <= 76 or s > p:
            raise UnsupportedError(f"invalid decimal precision/scale in type {type_name!r}")
        return pa.decimal128(p, s) if p <= 38 else pa.decimal256(p, s)
    try:
        return _arrow(parse_type(type_name))
    except ValueError as exc:
        raise UnsupportedError(str(exc)) from None


def arrow_field(name: str, type_name: str, nullable: bool = True) -> pa.Field:
    """The Arrow field of a plan column (a ``json`` column keeps its mark)."""
    try:
        return _field(name, parse_type(type_name), nullable)
    except ValueError:
        return pa.field(name, arrow_type(type_name), nullable=nullable)


def arrow_schema(columns: Iterable[ColumnLike]) -> pa.Schema:
    """The Arrow schema of a plan's column list (names, types, nullability, in order)."""
    return pa.schema([arrow_field(c.name, c.type, bool(c.nullable)) for c in columns])


def type_text(t: pa.DataType) -> str:
    """The plan type of an Arrow type (unsigned integers widen to the next signed type that holds them)."""
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        width = t.bit_width * (2 if pa.types.is_unsigned_integer(t) else 1)
        return {8: "tinyint", 16: "smallint", 32: "int"}.get(width, "bigint")
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return "float"
    if pa.types.is_floating(t):
        return "double"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return "binary"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_map(t):
        return f"map<{type_text(t.key_type)},{_sub_text(t.item_field)}>"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return f"array<{_sub_text(t.value_field)}>"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{quote_name(f.name)}:{_sub_text(f)}" for f in t) + ">"
    return "string"


def _sub_text(f: pa.Field) -> str:
    return "json" if is_json(f) else type_text(f.type)


def parse_partition_value(raw: str) -> str | None:
    """Hive writes NULL partitions as ``__HIVE_DEFAULT_PARTITION__`` and escapes special chars as %XX."""
    if raw == HIVE_DEFAULT_PARTITION:
        return None
    return unquote(raw) if "%" in raw else raw


def partition_values_from_path(uri: str, root: str | None = None) -> dict[str, str | None]:
    """Decoded ``k=v`` folder values of a file below ``root`` (all folders of the path when None).

    Passing the dataset root avoids picking up ``k=v`` folders that are part of the root itself.
    """
    path = uri
    if root is not None:
        r = root.rstrip("/") + "/"
        if not uri.startswith(r):
            raise ValueError(f"{uri} is not below {root}")
        path = uri[len(r) :]
    elif "://" in path:
        path = path.split("://", 1)[1]
        path = path[path.find("/") :] if "/" in path else ""
    out: dict[str, str | None] = {}
    for seg in path.split("/")[:-1]:  # the last segment is the file name
        if "=" in seg:
            k, _, v = seg.partition("=")
            if k:
                out[unquote(k)] = parse_partition_value(v)
    return out


def partition_fields(
    schema: pa.Schema | None, values: Mapping[str, str | None]
) -> list[pa.Field]:
    """Output fields of partition columns: the schema's field when declared, else a nullable string."""
    out = []
    for k in values:
        if schema is not None and schema.get_field_index(k) >= 0:
            out.append(schema.field(k))
        else:
            out.append(pa.field(k, pa.string()))
    return out
