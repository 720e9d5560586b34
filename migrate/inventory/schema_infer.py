"""Typed schema from a bounded sample of text values, and mappings from self-describing formats.

Types, narrowest first: boolean, bigint, double, date, timestamp, string. A column's type is the
narrowest one every non-null sampled value fits; bigint widens to double; anything else to string.

Nested JSON values (``JsonShape``): objects become ``struct<...>`` (the union of the keys seen), arrays
``array<T>``; an object whose keys look like data (numbers, dates, ids) or are too many to be a record
becomes ``map<string,T>``; where the shapes disagree (an object in some rows, a string in others; map
values of different kinds; arrays or objects that were always empty) the value is kept as ``json`` text,
and the column's ``note`` says which and why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from migrate.column_types import ColType, json_kind, parse_type, quote_name, struct_of
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
    if a in _NUMERIC and b in _NUMERIC:  # files of one dataset written over years: int then bigint
        return str(merge_types(parse_type(a), parse_type(b)))
    if "<" in a or "<" in b or "json" in (a, b):  # nested types (two files of a dataset)
        try:
            return str(merge_types(parse_type(a), parse_type(b)))
        except ValueError:
            return "string"
    return "string"


_NUMERIC = ("tinyint", "smallint", "int", "bigint", "float", "double")


def merge_types(a: ColType, b: ColType) -> ColType:
    """The narrowest type both fit: structs take the union of their fields, arrays and maps merge their
    items; a nested type against anything else of another shape is ``json``."""
    if a == b:
        return a
    if "json" in (a.kind, b.kind):
        return ColType("json")
    if a.kind == b.kind == "struct":
        fields = dict(a.fields)
        for name, t in b.fields:
            fields[name] = merge_types(fields[name], t) if name in fields else t
        return struct_of(list(fields.items()))
    if a.kind == b.kind == "array":
        assert a.element is not None and b.element is not None
        return ColType("array", element=merge_types(a.element, b.element))
    if a.kind == b.kind == "map":
        assert a.key is not None and b.key is not None and a.value is not None and b.value is not None
        key = parse_type(merge(str(a.key), str(b.key)))
        return ColType("map", key=key, value=merge_types(a.value, b.value))
    if a.nested or b.nested:
        return ColType("json")
    if a.kind in _NUMERIC and b.kind in _NUMERIC:
        return ColType("double") if "double" in (a.kind, b.kind) or "float" in (a.kind, b.kind) else ColType("bigint")
    return parse_type(merge(str(a), str(b)))


def merge_named(a: list[Column], b: list[Column]) -> list[Column]:
    """Columns of two samples matched by name (JSON keys have no position); new names go last, nullable."""
    names_b = {c.name for c in b}
    # A column one sample lacks is null there.
    out = {c.name: c if c.name in names_b else c.model_copy(update={"nullable": True}) for c in a}
    for c in b:
        old = out.get(c.name)
        if old is None:
            out[c.name] = Column(name=c.name, type=c.type, nullable=True, note=c.note)
        else:
            typ = merge(old.type, c.type)
            note = "; ".join(n for n in dict.fromkeys([old.note, c.note]) if n) or None
            if typ == "json" and "json" not in (old.type, c.type):
                note = f"JSON text: {old.type} in one file, {c.type} in another"
            out[c.name] = Column(name=c.name, type=typ, nullable=old.nullable or c.nullable, note=note)
    for name in set(out) - {c.name for c in b}:
        out[name] = out[name].model_copy(update={"nullable": True})
    return list(out.values())


# --- nested JSON values ------------------------------------------------------------------------------

MAX_STRUCT_FIELDS = 100  # more distinct keys than this: a map (or JSON text), not a record
_DATA_KEY = re.compile(r"^(-?\d+(\.\d+)?|\d{4}-\d{2}-\d{2}.*|[0-9a-fA-F-]{8,}|.*\s.*)$")


class JsonShape:
    """Running shape of the values at one place of a JSON document (a column, a field, array items)."""

    __slots__ = ("elements", "empty_arrays", "fields", "kinds", "objects", "prim")

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.prim: str | None = None
        self.fields: dict[str, JsonShape] = {}
        self.objects = 0
        self.elements: JsonShape | None = None
        self.empty_arrays = 0

    def add(self, v: Any) -> None:
        if v is None:
            return
        k = json_kind(v)
        self.kinds[k] += 1
        if k == "object":
            self.objects += 1
            for key, sub in v.items():
                shape = self.fields.get(key)
                if shape is None:
                    shape = self.fields[key] = JsonShape()
                shape.add(sub)
        elif k == "array":
            if not v:
                self.empty_arrays += 1
            for sub in v:
                if self.elements is None:
                    self.elements = JsonShape()
                self.elements.add(sub)
        elif self.prim != "string":
            if k == "boolean":
                t = "boolean"
            elif k == "number":
                t = "bigint" if isinstance(v, int) else "double"
            else:
                t = value_type(v)
                t = t if t in ("date", "timestamp") else "string"
            self.prim = merge(self.prim, t)

    def result(self, path: str) -> tuple[ColType, list[str]]:
        """(type, notes naming the path of every value kept as a map or as JSON text, and why)."""
        shapes = {"object", "array"} & set(self.kinds)
        scalars = set(self.kinds) - shapes
        if len(shapes) + (1 if scalars else 0) > 1:
            seen = ", ".join(f"{k} in {n}" for k, n in self.kinds.most_common())
            return ColType("json"), [f"{path}: JSON text, shapes vary ({seen})"]
        if "object" in shapes:
            return self._object(path)
        if "array" in shapes:
            if self.elements is None:
                return ColType("json"), [f"{path}: JSON text, arrays were always empty in the sample"]
            element, notes = self.elements.result(f"{path}[]")
            return ColType("array", element=element), notes
        return parse_type(self.prim or "string"), []

    def _object(self, path: str) -> tuple[ColType, list[str]]:
        keys = list(self.fields)
        if not keys:
            return ColType("json"), [f"{path}: JSON text, objects were always empty in the sample"]
        data_keys = sum(1 for k in keys if _DATA_KEY.match(k))
        mapish = len(keys) > MAX_STRUCT_FIELDS or (len(keys) >= 4 and data_keys * 2 >= len(keys))
        if not mapish:
            fields, notes = [], []
            for k in keys:
                t, n = self.fields[k].result(f"{path}.{k}")
                fields.append((k, t))
                notes += n
            return struct_of(fields), notes
        value = JsonShape()
        for shape in self.fields.values():
            value.absorb(shape)
        vt, notes = value.result(f"{path}.value")
        why = (f"{len(keys)} distinct keys" if len(keys) > MAX_STRUCT_FIELDS
               else f"keys look like data ({', '.join(repr(k) for k in keys[:3])}, ...)")
        if vt.kind == "json":
            return ColType("json"), [f"{path}: JSON text, {why}, and their values differ in shape"]
        return ColType("map", key=ColType("string"), value=vt), [f"{path}: map, {why}", *notes]

    def absorb(self, other: JsonShape) -> None:
        """Merge another shape's observations into this one (the values of a map)."""
        self.kinds.update(other.kinds)
        if other.prim is not None and self.prim != "string":
            self.prim = merge(self.prim, other.prim)
        for key, shape in other.fields.items():
            mine = self.fields.get(key)
            if mine is None:
                mine = self.fields[key] = JsonShape()
            mine.absorb(shape)
        self.objects += other.objects
        self.empty_arrays += other.empty_arrays
        if other.elements is not None:
            if self.elements is None:
                self.elements = JsonShape()
            self.elements.absorb(other.elements)


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
    """The plan type of an Arrow type (nested types included; see ``formats.types.type_text``)."""
    from migrate.formats.types import type_text

    return type_text(t)


def arrow_columns(schema: Any) -> list[Column]:
    return [Column(name=f.name, type=arrow_type_name(f.type), nullable=f.nullable) for f in schema]


_AVRO_PRIMITIVE = {
    "boolean": "boolean", "int": "int", "long": "bigint", "float": "float", "double": "double",
    "string": "string", "bytes": "binary", "null": "string",
}


def avro_type_name(t: Any, named: dict[str, Any] | None = None, _seen: frozenset[str] = frozenset()
                   ) -> tuple[str, bool]:
    """(plan type, nullable) of an Avro field type; ``json`` where Arrow has no type for it (a union of
    several non-null types, a recursive record), as the Avro reader keeps those values as JSON text."""
    if named is None:
        from migrate.formats.avro import named_types

        named = named_types(t)
    if isinstance(t, list):
        branches = [b for b in t if b != "null"]
        nullable = len(branches) != len(t)
        if len(branches) == 1:
            return avro_type_name(branches[0], named, _seen)[0], nullable
        return "json", nullable
    if isinstance(t, dict):
        logical = t.get("logicalType")
        if logical in ("timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros"):
            return "timestamp", False
        if logical == "date":
            return "date", False
        if logical == "decimal":
            return f"decimal({t.get('precision', 38)},{t.get('scale', 0)})", False
        if logical == "uuid":
            return "string", False
        kind = t.get("type")
        if kind == "array":
            item = avro_type_name(t["items"], named, _seen)[0]
            return ("json" if item == "json" else f"array<{item}>"), False
        if kind == "map":
            value = avro_type_name(t["values"], named, _seen)[0]
            return ("json" if value == "json" else f"map<string,{value}>"), False
        if kind in ("record", "error"):
            name = t.get("name", "")
            if name in _seen:
                return "json", False
            inner = []
            for f in t.get("fields", []):
                sub = avro_type_name(f["type"], named, _seen | {name})[0]
                if sub == "json":
                    return "json", False  # the reader keeps the whole record as JSON text
                inner.append(f"{quote_name(f['name'])}:{sub}")
            return (f"struct<{','.join(inner)}>" if inner else "json"), False
        if kind in ("enum", "fixed"):
            return ("string" if kind == "enum" else "binary"), False
        if isinstance(kind, str | list | dict):
            return avro_type_name(kind, named, _seen)
    if isinstance(t, str):
        if t in _AVRO_PRIMITIVE:
            return _AVRO_PRIMITIVE[t], False
        if t in named and t not in _seen:
            return avro_type_name(named[t], named, _seen)
        return "string", False
    return "string", False


def avro_columns(schema: dict[str, Any]) -> list[Column]:
    from migrate.formats.avro import named_types

    named = named_types(schema)
    out = []
    for f in schema.get("fields", []):
        name, nullable = avro_type_name(f["type"], named)
        note = "JSON text: no Arrow type for this Avro type (a union of several types, or recursive)" \
            if name == "json" else None
        out.append(Column(name=f["name"], type=name, nullable=nullable, note=note))
    return out


WRITABLE_TYPES = {
    "org.apache.hadoop.io.Text": "string", "org.apache.hadoop.io.LongWritable": "bigint",
    "org.apache.hadoop.io.IntWritable": "int", "org.apache.hadoop.io.BooleanWritable": "boolean",
    "org.apache.hadoop.io.DoubleWritable": "double", "org.apache.hadoop.io.FloatWritable": "float",
    "org.apache.hadoop.io.BytesWritable": "binary", "org.apache.hadoop.io.NullWritable": "string",
}
