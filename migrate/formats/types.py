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
    "bool": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
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


def arrow_type(type_name: str) -> pa.DataType:
    """``bigint`` -> int64, ``decimal(12,2)`` -> decimal128(12, 2), ...; UnsupportedError otherwise."""
    t = str(type_name).strip().lower()
    if t in _SIMPLE:
        return _SIMPLE[t]
    m = _DECIMAL.match(t)
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        if not 1 <= p <= 76 or s > p:
            raise UnsupportedError(f"invalid decimal precision/scale in type {type_name!r}")
        return pa.decimal128(p, s) if p <= 38 else pa.decimal256(p, s)
    raise UnsupportedError(
        f"unknown column type {type_name!r} (known: {', '.join(sorted(_SIMPLE))}, decimal(p,s))"
    )


def arrow_schema(columns: Iterable[ColumnLike]) -> pa.Schema:
    """The Arrow schema of a plan's column list (names, types, nullability, in order)."""
    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=bool(c.nullable)) for c in columns])


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
