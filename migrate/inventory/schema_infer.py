"""Typed schema from a bounded sample of text values, and mappings from self-describing formats.

Types, narrowest first: boolean, bigint, double, date, timestamp, string. A column's type is the
narrowest one every non-null sampled value fits; bigint widens to double; anything else to string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from migrate.inventory.model import Column

_INT = re.compile(r"^[+-]?\d{1,18}$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")
_BOOL = {"true", "false"}

ORDER = ["boolean", "bigint", "double", "date", "timestamp", "string"]


def value_type(v: str) -> str:
    if v.lower() in _BOOL:
        return "boolean"
    if _INT.match(v):
        return "bigint"
    if _FLOAT.match(v):
        return "double"
    if _DATE.match(v):
        return "date"
    if _TS.match(v):
        return "timestamp"
    return "string"


def merge(a: str | None, b: str) -> str:
    if a is None or a == b:
        return b
    if {a, b} == {"bigint", "double"}:
        return "double"
    if {a, b} == {"date", "timestamp"}:
        return "timestamp"
    return "string"


class ColumnStats:
    """Running type of one column over sampled values."""

    __slots__ = ("nulls", "type", "values")

    def __init__(self) -> None:
        self.type: str | None = None
        self.nulls = 0
        self.values = 0

    def add(self, v: str | None, null_markers: frozenset[str]) -> None:
        self.values += 1
        if v is None or v in null_markers:
            self.nulls += 1
            return
        if self.type != "string":
            self.type = merge(self.type, value_type(v))


def infer_rows(
    rows: Iterable[Sequence[str]], null_markers: Iterable[str] = ("", "\\N")
) -> list[ColumnStats]:
    markers = frozenset(null_markers)
    stats: list[ColumnStats] = []
    for row in rows:
        while len(stats) < len(row):
            s = ColumnStats()
            # A column that appears late was missing (null) in earlier rows.
            s.nulls = s.values = stats[0].values - 1 if stats else 0
            stats.append(s)
        for i, v in enumerate(row):
            stats[i].add(v, markers)
        for s in stats[len(row):]:
            s.values += 1
            s.nulls += 1
    return stats


def columns_from_stats(stats: list[ColumnStats], names: Sequence[str] | None = None) -> list[Column]:
    out = []
    for i, s in enumerate(stats):
        name = names[i] if names is not None and i < len(names) and names[i] else f"col_{i}"
        out.append(Column(name=name, type=s.type or "string", nullable=s.nulls > 0))
    return out


_NAME = re.compile(r"^[^\W_]?[\w .\-/()#%$]*$")  # letters of any script, digits, a little punctuation


def looks_like_header(first: Sequence[str], rest_stats: list[ColumnStats], alone: bool = False) -> bool:
    """A first row is a header when its cells are name-like (words, ``1d_clicks``, ``城市``; not numbers or
    dates), distinct, and at least one column below it has a non-string type that the first cell does not
    fit. ``alone``: the file has no other row, so a row of several names is taken as a header."""
    if not first or len(set(first)) != len(first):
        return False
    cells = [c.strip() for c in first]
    if not all(not c or (_NAME.match(c) and value_type(c) == "string") for c in cells):
        return False
    if alone:
        return len(cells) > 1 and all(cells)
    typed = 0
    for cell, s in zip(first, rest_stats, strict=False):
        if s.type and s.type != "string":
            if value_type(cell) == s.type or merge(s.type, value_type(cell)) == s.type:
                return False
            typed += 1
    return typed > 0


# --- self-describing formats -------------------------------------------------------------------------


def arrow_type_name(t: Any) -> str:
    import pyarrow as pa
    import pyarrow.types as pt

    if pt.is_boolean(t):
        return "boolean"
    if pt.is_int8(t) or pt.is_uint8(t):
        return "tinyint"
    if pt.is_int16(t) or pt.is_uint16(t):
        return "smallint"
    if pt.is_int32(t) or pt.is_uint32(t):
        return "int"
    if pt.is_integer(t):
        return "bigint"
    if pt.is_float32(t):
        return "float"
    if pt.is_floating(t):
        return "double"
    if pt.is_string(t) or pt.is_large_string(t):
        return "string"
    if pt.is_binary(t) or pt.is_large_binary(t) or pt.is_fixed_size_binary(t):
        return "binary"
    if pt.is_date(t):
        return "date"
    if pt.is_timestamp(t):
        return "timestamp"
    if pt.is_decimal(t):
        assert isinstance(t, pa.Decimal128Type | pa.Decimal256Type)
        return f"decimal({t.precision},{t.scale})"
    if pt.is_list(t) or pt.is_large_list(t):
        return f"array<{arrow_type_name(t.value_type)}>"
    if pt.is_map(t):
        return f"map<{arrow_type_name(t.key_type)},{arrow_type_name(t.item_type)}>"
    if pt.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{arrow_type_name(f.type)}" for f in t) + ">"
    return str(t)


def arrow_columns(schema: Any) -> list[Column]:
    return [Column(name=f.name, type=arrow_type_name(f.type), nullable=f.nullable) for f in schema]


_AVRO_PRIMITIVE = {
    "boolean": "boolean", "int": "int", "long": "bigint", "float": "float", "double": "double",
    "string": "string", "bytes": "binary", "null": "string",
}


def avro_type_name(t: Any) -> tuple[str, bool]:
    """(plan type, nullable) of an Avro field type."""
    if isinstance(t, list):
        branches = [b for b in t if b != "null"]
        nullable = len(branches) != len(t)
        if len(branches) == 1:
            return avro_type_name(branches[0])[0], nullable
        return "string", nullable
    if isinstance(t, dict):
        logical = t.get("logicalType")
        if logical in ("timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros"):
            return "timestamp", False
        if logical == "date":
            return "date", False
        if logical == "decimal":
            return f"decimal({t.get('precision', 38)},{t.get('scale', 0)})", False
        kind = t.get("type")
        if kind == "array":
            return f"array<{avro_type_name(t['items'])[0]}>", False
        if kind == "map":
            return f"map<string,{avro_type_name(t['values'])[0]}>", False
        if kind == "record":
            inner = ",".join(f"{f['name']}:{avro_type_name(f['type'])[0]}" for f in t.get("fields", []))
            return f"struct<{inner}>", False
        if kind in ("enum", "fixed"):
            return ("string" if kind == "enum" else "binary"), False
        if isinstance(kind, str | list | dict):
            return avro_type_name(kind)
    if isinstance(t, str):
        return _AVRO_PRIMITIVE.get(t.split(".")[-1], "string"), False
    return "string", False


def avro_columns(schema: dict[str, Any]) -> list[Column]:
    out = []
    for f in schema.get("fields", []):
        name, nullable = avro_type_name(f["type"])
        out.append(Column(name=f["name"], type=name, nullable=nullable))
    return out


WRITABLE_TYPES = {
    "org.apache.hadoop.io.Text": "string", "org.apache.hadoop.io.LongWritable": "bigint",
    "org.apache.hadoop.io.IntWritable": "int", "org.apache.hadoop.io.BooleanWritable": "boolean",
    "org.apache.hadoop.io.DoubleWritable": "double", "org.apache.hadoop.io.FloatWritable": "float",
    "org.apache.hadoop.io.BytesWritable": "binary", "org.apache.hadoop.io.NullWritable": "string",
}
