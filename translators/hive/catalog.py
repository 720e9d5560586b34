"""What the translator knows about legacy tables: columns, partition columns and how their files are stored,
learnt from the DDL earlier in the script, a DDL dump (``SHOW CREATE TABLE`` output, given by the caller) or
the plan. Statements that need a table's shape use it: ``CREATE TABLE t LIKE s`` for Iceberg (an explicit
column list), ``LOAD DATA`` (read the files the way Hive's SerDe did), ``INSERT`` (the casts Hive applies
to typed columns).

Names are legacy names (``db.table``, lower case); the script's ``USE db`` decides unqualified ones.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlglot import exp

from .context import Context, TableInfo

# Hive's storage keywords and the input formats / serdes that imply them.
_STORED = {"textfile": "text", "sequencefile": "sequencefile", "rcfile": "rcfile", "orc": "orc", "orcfile": "orc",
           "parquet": "parquet", "parquetfile": "parquet", "avro": "avro", "jsonfile": "json"}
_CLASS_HINTS = (("orc", "orc"), ("parquet", "parquet"), ("avro", "avro"), ("rcfile", "rcfile"),
                ("columnar", "rcfile"), ("sequencefile", "sequencefile"), ("jsonserde", "json"),
                ("opencsv", "csv"), ("regex", "regex"), ("textinputformat", "text"), ("lazysimple", "text"))


def hive_delimiter(value: str) -> str:
    """A delimiter as Hive's LazySimpleSerDe reads it: a number below 128 is a byte value ('1' is \\x01,
    '9' a tab), octal escapes (\\001) and \\t are characters."""
    if value.isdigit() and int(value) < 128:
        return chr(int(value))
    return re.sub(r"\\([0-7]{1,3}|t|n|r)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1))
                  or chr(int(m.group(1), 8)), value)


_AVRO_PRIMITIVES = {"int": "int", "long": "bigint", "string": "string", "boolean": "boolean", "float": "float",
                    "double": "double", "bytes": "binary", "fixed": "binary", "enum": "string", "null": "void"}


def _avro_type(t: Any) -> str | None:
    if isinstance(t, list):  # union: Hive reads ["null", X] as a nullable X
        rest = [x for x in t if x != "null"]
        return _avro_type(rest[0]) if len(rest) == 1 else None
    if isinstance(t, str):
        return _AVRO_PRIMITIVES.get(t)
    if not isinstance(t, dict):
        return None
    logical = t.get("logicalType")
    if logical == "date":
        return "date"
    if logical in ("timestamp-millis", "timestamp-micros"):
        return "timestamp"
    if logical == "decimal":
        return f"decimal({t.get('precision', 10)},{t.get('scale', 0)})"
    kind = t.get("type")
    if kind == "array":
        inner = _avro_type(t.get("items"))
        return f"array<{inner}>" if inner else None
    if kind == "map":
        inner = _avro_type(t.get("values"))
        return f"map<string,{inner}>" if inner else None
    if kind == "record":
        fields = [(f.get("name"), _avro_type(f.get("type"))) for f in t.get("fields", [])]
        if not fields or any(not n or not ft for n, ft in fields):
            return None
        return "struct<" + ",".join(f"{n}:{ft}" for n, ft in fields) + ">"
    return _avro_type(kind)


def avro_columns(literal: str) -> list[tuple[str, str]]:
    """The columns Hive's AvroSerDe derives from ``avro.schema.literal`` ([] when it cannot read it)."""
    try:
        schema = json.loads(literal)
    except ValueError:
        return []
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return []
    cols = [(str(f.get("name", "")).lower(), _avro_type(f.get("type"))) for f in schema.get("fields", [])]
    return [(n, t) for n, t in cols if n and t] if all(t for _, t in cols) else []


def type_problem(hive_type: str) -> str | None:
    """Why a declared type cannot exist in Spark (nor in Hive 2+), or None."""
    for p, _s in re.findall(r"decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)", hive_type, re.I):
        if int(p) > 38:
            return (f"DECIMAL({p},{_s}): precision above 38, the maximum of Spark and of Hive 2+ (which rejects this "
                    "DDL too: the input is invalid); declare DECIMAL(38, s) or DOUBLE")
    if re.search(r"\buniontype\s*<", hive_type, re.I):
        return "UNIONTYPE has no Spark/Iceberg type: use a STRUCT with one field per alternative"
    return None


def storage_keyword(name: str) -> str:
    return _STORED.get(name.lower(), "unknown")


def refresh_storage(info: TableInfo) -> None:
    """Delimiters, null format and storage implied by the SerDe and its properties."""
    for key, attr in (("field.delim", "field_delim"), ("colelction.delim", "collection_delim"),
                      ("collection.delim", "collection_delim"), ("mapkey.delim", "map_key_delim"),
                      ("escape.delim", "escape")):
        if key in info.serde_properties:
            setattr(info, attr, hive_delimiter(info.serde_properties[key]))
    if "serialization.null.format" in info.serde_properties:
        info.null_format = info.serde_properties["serialization.null.format"]
    if info.serde and "lazysimple" not in info.serde.lower() and info.storage in ("text", "unknown"):
        info.storage = _storage_from_class(info.serde)


def _storage_from_class(cls: str) -> str:
    low = cls.lower()
    return next((kind for hint, kind in _CLASS_HINTS if hint in low), "unknown")


def legacy_name(table: exp.Table, ctx: Context) -> str:
    db = table.db or ctx.state.current_db or "default"
    return f"{db}.{table.name}".lower()


def lookup(table: exp.Table | str, ctx: Context) -> TableInfo | None:
    """The table's shape if the script, the DDL dump or the plan declared it."""
    key = table if isinstance(table, str) else legacy_name(table, ctx)
    if "." not in key:
        key = f"{ctx.state.current_db or 'default'}.{key}".lower()
    return ctx.state.tables.get(key) or ctx.options.known_tables.get(key)


def _columns(defs: list[exp.Expression]) -> list[tuple[str, str]]:
    out = []
    for col in defs:
        if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
            out.append((col.name.lower(), col.args["kind"].sql("hive").lower()))
    return out


def from_create(tree: exp.Create, ctx: Context) -> TableInfo | None:
    """The legacy shape declared by a Hive ``CREATE TABLE`` (read before the translator rewrites it)."""
    schema = tree.this
    table = schema.this if isinstance(schema, exp.Schema) else schema
    if not isinstance(table, exp.Table):
        return None
    props = tree.args.get("properties")
    plist = list(props.expressions) if props else []
    like = next((p for p in plist if isinstance(p, exp.LikeProperty)), None)
    info: TableInfo | None = None
    if like is not None and isinstance(like.this, exp.Table):
        src = lookup(like.this, ctx)
        if src is None:
            return None
        info = src.copy()
        info.name = legacy_name(table, ctx)
        info.location = None
    else:
        info = TableInfo(name=legacy_name(table, ctx))
        if isinstance(schema, exp.Schema):
            info.columns = _columns(list(schema.expressions))
        elif tree.expression is not None:
            info.columns_known = False
    stored_explicitly = False
    for p in plist:
        if isinstance(p, exp.PartitionedByProperty) and isinstance(p.this, exp.Schema):
            info.partitions = _columns(list(p.this.expressions))
        elif isinstance(p, exp.RowFormatDelimitedProperty):
            info.serde = None
            for arg, attr in (("fields", "field_delim"), ("collection_items", "collection_delim"),
                              ("map_keys", "map_key_delim")):
                if p.args.get(arg) is not None:
                    setattr(info, attr, hive_delimiter(p.args[arg].name))
            if p.args.get("escaped") is not None:
                info.escape = p.args["escaped"].name
            if p.args.get("null") is not None:
                info.null_format = p.args["null"].name
        elif isinstance(p, exp.RowFormatSerdeProperty):
            info.serde = p.name
            serde_props = p.args.get("serde_properties")
            if serde_props is not None:
                info.serde_properties.update({q.name: q.text("value") for q in serde_props.expressions})
            if not stored_explicitly:
                info.storage = _storage_from_class(info.serde)
        elif isinstance(p, exp.FileFormatProperty):
            stored_explicitly = True
            if isinstance(p.this, exp.InputOutputFormat):
                info.storage = _storage_from_class(p.this.text("input_format"))
            else:
                info.storage = _STORED.get(p.name.lower(), "unknown")
            if info.storage == "text" and info.serde:
                info.storage = _storage_from_class(info.serde) if "lazysimple" not in info.serde.lower() \
                    else "text"
        elif isinstance(p, exp.LocationProperty):
            info.location = p.this.name
        elif isinstance(p, exp.Property) and p.name.lower() == "serialization.null.format":
            info.null_format = p.text("value")
    refresh_storage(info)
    if not info.columns and info.columns_known:
        literal = info.serde_properties.get("avro.schema.literal") or next(
            (p.text("value") for p in plist if type(p) is exp.Property and p.name == "avro.schema.literal"), None)
        if literal:
            info.columns = avro_columns(literal)
            info.storage = "avro" if info.storage in ("text", "unknown") else info.storage
    info.source = "script"
    return info


def remember(info: TableInfo, ctx: Context) -> None:
    ctx.state.tables[info.name] = info


def forget(table: exp.Table, ctx: Context) -> None:
    ctx.state.tables.pop(legacy_name(table, ctx), None)


def tables_from_ddl(text: str, source: str = "DDL dump") -> dict[str, TableInfo]:
    """Legacy tables declared by a Hive DDL dump (``SHOW CREATE TABLE`` outputs, ``;``-separated or not):
    db.table -> shape, for ``Options.known_tables``. Statements other than CREATE TABLE are skipped; ``USE db``
    sets the database of the unqualified names after it."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    from .context import Options, ScriptState
    from .splitter import split_statements
    from .variables import Variables

    ctx = Context(Options(), ScriptState(variables=Variables()))
    for st in split_statements(text).statements:
        for part in re.split(r"\n(?=\s*create\s)", st.text, flags=re.I):
            use = re.match(r"^\s*use\s+`?(\w+)`?\s*$", part, re.I)
            if use:
                ctx.state.current_db = use.group(1)
                continue
            if not re.match(r"^\s*create\s+(external\s+|temporary\s+)*table\b", part, re.I):
                continue
            try:
                tree = sqlglot.parse_one(part, read="hive")
            except SqlglotError:
                continue
            if isinstance(tree, exp.Create):
                info = from_create(tree, ctx)
                if info is not None:
                    info.source = f"{source}:{st.line}"
                    remember(info, ctx)
    return ctx.state.tables
