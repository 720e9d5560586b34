"""Statements that move files in and out of tables: ``LOAD DATA`` and ``INSERT OVERWRITE [LOCAL] DIRECTORY``.

``LOAD DATA [LOCAL] INPATH p [OVERWRITE] INTO TABLE t [PARTITION (...)]`` moved raw files under a Hive table,
which read them through its SerDe. A Parquet/Iceberg table cannot adopt raw files, so the translation reads
them the way the SerDe did, from a temporary view over the (mapped) path, and inserts the rows:

    CREATE OR REPLACE TEMPORARY VIEW migrate_load_N USING text OPTIONS (path '...', lineSep '\\n');
    INSERT INTO|OVERWRITE TABLE t [PARTITION (...)]
    SELECT try_cast(nullif(try_element_at(f, 1), '\\N') AS INT) AS a, ...
    FROM (SELECT split(value, '\\u0001', -1) AS f FROM migrate_load_N);

Text files follow LazySimpleSerDe: fields split on the field delimiter, the null marker read as NULL, a value
that does not parse as the column's type read as NULL, missing trailing fields NULL, extra fields ignored,
arrays and maps split on the collection / map-key delimiters. RegexSerDe tables use the same regex (a line
that does not match gives a row of NULLs), OpenCSVSerde tables Spark's CSV reader, JSON SerDe tables Spark's
JSON reader, ORC/Parquet/Avro files their own readers. The table's shape comes from the DDL earlier in the
script, the DDL dump or the plan (``catalog``).

``INSERT OVERWRITE [LOCAL] DIRECTORY p [ROW FORMAT ...] [STORED AS ...] SELECT`` becomes Spark's own
``INSERT OVERWRITE DIRECTORY p USING fmt OPTIONS (...) SELECT``, the path mapped to the target store.
"""

from __future__ import annotations

import re

from sqlglot import exp

from . import catalog
from .context import Context, TableInfo
from .rules import is_legacy_location, map_location, map_table_parts

_NUMERIC = re.compile(r"^(tinyint|smallint|int|integer|bigint|float|double|decimal.*|boolean|date|timestamp|"
                      r"binary)$")


def sql_string(value: str) -> str:
    """A Spark SQL string literal holding exactly ``value`` (Spark unescapes backslashes in literals)."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def regex_quote(text: str) -> str:
    """``text`` as a Java regex that matches it literally (split() and str_to_map() take regexes)."""
    return "".join("\\" + c if c in "\\^$.|?*+()[]{}" else c for c in text)


def mapped_path(uri: str, ctx: Context, what: str, local: bool) -> str | None:
    """The target URI for a legacy path, or None (with the reason recorded) when the plan does not map it."""
    mapped = map_location(uri, ctx, local=local)
    if mapped is not None:
        ctx.note("locations", f"{what} {uri} -> {mapped}")
        return mapped
    if local:
        ctx.fail("locations", f"{what} {uri} is on the Hive client's machine: copy it to the target store and map "
                              "it (--location-map or a plan dataset)")
        return None
    if is_legacy_location(uri) or not re.match(r"^[a-z][a-z0-9+.-]*://", uri, re.I):
        ctx.fail("locations", f"{what} {uri} is on the legacy store and not mapped by the plan (add a dataset or "
                              "--location-map)")
        return None
    return uri


def mapped_table(table: exp.Table, ctx: Context) -> str:
    parts = map_table_parts(table.db or None, table.name, ctx)
    if parts is None:
        return table.sql("spark")
    ctx.hit("table_names")
    return ".".join(exp.to_identifier(p).sql("spark") for p in parts)


# ---------------------------------------------------------------- LOAD DATA

def _spark_type(hive_type: str) -> str:
    return exp.DataType.build(hive_type, dialect="hive").sql("spark")


def _separator(info: TableInfo, level: int) -> str:
    """LazySimpleSerDe's separator for a nesting level: 1 fields, 2 collection items / struct fields / map
    entries, 3 map keys, then \\004 for level 4, \\005 for level 5, ... (deeper nesting)."""
    if level == 1:
        return info.field_delim or "\x01"
    if level == 2:
        return info.collection_delim or "\x02"
    if level == 3:
        return info.map_key_delim or "\x03"
    return chr(level)


def split_type_args(inner: str) -> list[str]:
    """``a:int,b:map<string,int>,c:decimal(38,18)`` -> ['a:int', 'b:map<string,int>', 'c:decimal(38,18)']
    (commas inside <> and () kept)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        depth += c in "<("
        depth -= c in ">)"
        if c == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return [p for p in parts if p]


def _convert(value: str, hive_type: str, info: TableInfo, level: int = 2, var: int = 0) -> str | None:
    """Spark SQL that turns the text ``value`` into ``hive_type`` as LazySimpleSerDe does (None: cannot); the
    elements of a collection at ``level`` are separated by that level's separator."""
    t = re.sub(r"\s+", "", hive_type.lower())
    if t == "string" or t.startswith(("varchar", "char")):
        return value
    if _NUMERIC.match(t):
        return f"try_cast({value} AS {_spark_type(t)})"
    inner = t[t.index("<") + 1:t.rindex(">")] if "<" in t else ""
    x = f"x{var}"
    sep = sql_string(regex_quote(_separator(info, level)))
    null = sql_string(info.null_format if info.null_format is not None else "\\N")

    def nulled(name: str) -> str:  # the null marker inside a collection is a NULL element too
        return f"nullif({name}, {null})"

    if t.startswith("array<"):
        elem = _convert(nulled(x), inner, info, level + 1, var + 1)
        if elem is None:
            return None
        split = f"split({value}, {sep}, -1)"
        # an empty field is an empty array for the SerDe
        return f"IF({value} = '', array(), transform({split}, {x} -> {elem}))"
    if t.startswith("map<"):
        key_type, val_type = [*split_type_args(inner), "string", "string"][:2]
        keys = sql_string(regex_quote(_separator(info, level + 1)))
        mapped = f"str_to_map({value}, {sep}, {keys})"
        k, v = f"k{var}", f"v{var}"
        conv_k = _convert(k, key_type, info, level + 2, var + 1)
        conv_v = _convert(nulled(v), val_type, info, level + 2, var + 1)
        if conv_k is None or conv_v is None:
            return None
        if conv_k != k:
            mapped = f"transform_keys({mapped}, ({k}, {v}) -> {conv_k})"
        mapped = f"transform_values({mapped}, ({k}, {v}) -> {conv_v})"
        return f"IF({value} = '', map(), {mapped})"
    if t.startswith("struct<"):
        fields = []
        for i, spec in enumerate(split_type_args(inner)):
            name, _, ftype = spec.partition(":")
            conv = _convert(nulled(f"try_element_at({x}, {i + 1})"), ftype, info, level + 1, var + 1)
            if conv is None:
                return None
            fields.append(f"{sql_string(name)}, {conv}")
        # a NULL struct stays NULL; split() of a value gives the fields
        return (f"CASE WHEN {value} IS NOT NULL THEN transform(array(split({value}, {sep}, -1)), {x} -> "
                f"named_struct({', '.join(fields)}))[0] END")
    return None  # uniontype


def load_data(tree: exp.LoadData, ctx: Context) -> list[str]:
    ctx.construct("load_data")
    table = tree.this
    local = bool(tree.args.get("local"))
    inpath = tree.args["inpath"].name
    if not isinstance(table, exp.Table):
        ctx.fail("load_data", "LOAD DATA into something that is not a table")
        return []
    info = catalog.lookup(table, ctx)
    if info is None or not info.columns_known or not info.columns:
        ctx.fail("load_data", f"LOAD DATA INTO TABLE {table.sql('hive')}: the table's columns and storage format "
                              "are not known (not created earlier in the script, nor in the DDL dump or the plan), "
                              "so its files cannot be read the way Hive's SerDe read them")
        return []
    problems = [p for p in (catalog.type_problem(t) for _, t in info.columns) if p]
    if problems:
        ctx.fail("load_data", f"{info.name}: {problems[0]}")
        return []
    partition = tree.args.get("partition")
    spec = [e for e in partition.expressions] if partition is not None else []
    before: list[str] = []
    read_as = info
    if info.partitions and not spec:
        # Hive 3+: the files hold the partition columns after the data columns; the load is an INSERT with
        # dynamic partitions (HIVE-19083)
        read_as = info.copy()
        read_as.columns, read_as.partitions = [*info.columns, *info.partitions], []
        spec = [exp.column(exp.to_identifier(n)) for n, _ in info.partitions]
        ctx.note("load_data", "LOAD DATA into a partitioned table without PARTITION: the files' last columns are the "
                              "partition values, as Hive 3 reads them (dynamic partitions)")
        if tree.args.get("overwrite") and not ctx.state.dynamic_overwrite_set:
            before.append("SET spark.sql.sources.partitionOverwriteMode=dynamic")
            ctx.state.dynamic_overwrite_set = True
    elif info.partitions and len(spec) != len(info.partitions):
        ctx.fail("load_data", f"LOAD DATA into partitioned table {info.name} without a full PARTITION spec")
        return []
    path = mapped_path(inpath, ctx, "input path", local)
    if path is None:
        return []
    ctx.state.views += 1
    view = f"migrate_load_{ctx.state.views}"
    read = _reader(read_as, view, path, ctx)
    if read is None:
        return []
    create_view, select = read
    target = mapped_table(table, ctx)
    part_sql = f" PARTITION ({', '.join(e.sql('spark') for e in spec)})" if spec else ""
    verb = "INSERT OVERWRITE TABLE" if tree.args.get("overwrite") else "INSERT INTO"
    ctx.hit("load_data")
    ctx.note("load_data", f"LOAD DATA -> INSERT {'OVERWRITE' if tree.args.get('overwrite') else 'INTO'} ... SELECT "
                          f"from a temporary view reading the files as {info.storage}"
                          + (f" ({info.serde.rsplit('.', 1)[-1]})" if info.serde else "")
                          + "; Hive moved the files into the table, the translation copies their rows (the input "
                            "path keeps its files)")
    return [*before, create_view, f"{verb} {target}{part_sql}\n{select}"]


def _reader(info: TableInfo, view: str, path: str, ctx: Context) -> tuple[str, str] | None:
    """(CREATE TEMPORARY VIEW over the files, SELECT of the table's data columns from it)."""
    cols = info.columns
    names = [exp.to_identifier(n).sql("spark") for n, _ in cols]
    opts = [f"path {sql_string(path)}"]
    storage = info.storage
    if storage in ("orc", "parquet", "avro"):
        return (f"CREATE OR REPLACE TEMPORARY VIEW {view} USING {storage} OPTIONS ({', '.join(opts)})",
                f"SELECT {', '.join(names)} FROM {view}")
    if storage == "json":
        schema = ", ".join(f"{n} {_spark_type(t)}" for n, t in zip(names, (t for _, t in cols), strict=True))
        return (f"CREATE OR REPLACE TEMPORARY VIEW {view} ({schema}) USING json OPTIONS ({', '.join(opts)})",
                f"SELECT {', '.join(names)} FROM {view}")
    if storage == "csv":
        props = info.serde_properties
        sep, quote, esc = (props.get("separatorChar", ","), props.get("quoteChar", '"'),
                           props.get("escapeChar", "\\"))
        opts += [f"sep {sql_string(sep)}", f"quote {sql_string(quote)}", f"escape {sql_string(esc)}",
                 "header 'false'"]
        schema = ", ".join(f"{n} STRING" for n in names)
        ctx.note("load_data", "OpenCSVSerde reads every column as STRING, as Hive did")
        return (f"CREATE OR REPLACE TEMPORARY VIEW {view} ({schema}) USING csv OPTIONS ({', '.join(opts)})",
                f"SELECT {', '.join(names)} FROM {view}")
    if storage == "regex":
        regex = info.serde_properties.get("input.regex")
        if not regex:
            ctx.fail("load_data", f"{info.name}: RegexSerDe table without input.regex")
            return None
        anchored = sql_string(f"^(?:{regex})$")  # RegexSerDe needs the whole line to match
        exprs = []
        for i, (n, t) in enumerate(cols):
            conv = _convert(f"regexp_extract(value, {anchored}, {i + 1})", t, info)
            if conv is None:
                ctx.fail("load_data", f"{info.name}.{n} {t}: RegexSerDe columns must be primitive")
                return None
            exprs.append(f"CASE WHEN value RLIKE {anchored} THEN {conv} END AS {names[i]}")
        return (f"CREATE OR REPLACE TEMPORARY VIEW {view} USING text OPTIONS ({', '.join(opts)}, lineSep '\\n')",
                f"SELECT {', '.join(exprs)} FROM {view}")
    if storage != "text":
        ctx.fail("load_data", f"{info.name} is stored as {storage}: Spark reads {storage.upper()} files only through "
                              "Hive's SerDe (Hive support): convert the files with a plan dataset instead")
        return None
    delim = info.field_delim or "\x01"
    null = info.null_format if info.null_format is not None else "\\N"
    exprs = []
    for i, (n, t) in enumerate(cols):
        conv = _convert(f"nullif(try_element_at(f, {i + 1}), {sql_string(null)})", t, info)
        if conv is None:
            ctx.fail("load_data", f"{info.name}.{n} {t}: a UNIONTYPE column has no Spark type: convert the files "
                                  "with a plan dataset instead")
            return None
        exprs.append(f"{conv} AS {names[i]}")
    if info.escape:
        ctx.note("load_data", f"ESCAPED BY {info.escape!r}: escaped delimiters inside values are split like plain "
                              "ones by the translation")
    return (f"CREATE OR REPLACE TEMPORARY VIEW {view} USING text OPTIONS ({', '.join(opts)}, lineSep '\\n')",
            f"SELECT {', '.join(exprs)}\nFROM (SELECT split(value, {sql_string(regex_quote(delim))}, -1) AS f "
            f"FROM {view})")


# ---------------------------------------------------------------- INSERT OVERWRITE DIRECTORY

_SERDE_FORMATS = (("jsonserde", "json"), ("delimitedjsonserde", "json"), ("opencsv", "csv"),
                  ("orc", "orc"), ("parquet", "parquet"), ("avro", "avro"))


def directory_head(tree: exp.Insert, ctx: Context) -> str | None:
    """``INSERT OVERWRITE DIRECTORY 'target' USING fmt OPTIONS (...)`` for a Hive directory write."""
    directory = tree.this
    local = bool(directory.args.get("local"))
    path = mapped_path(directory.this.name, ctx, "output directory", local)
    if path is None:
        return None
    row_format = directory.args.get("row_format")
    stored = tree.args.get("stored")
    fmt = "csv"
    storage = stored.name.lower() if isinstance(stored, exp.FileFormatProperty) and \
        not isinstance(stored.this, exp.InputOutputFormat) else "textfile"
    opts = [f"path {sql_string(path)}"]
    if storage in ("orc", "parquet", "avro"):
        fmt = storage
    elif storage in ("sequencefile", "rcfile"):
        # Hive-only containers (Spark writes them only through Hive's SerDe). Tables declared over such files
        # become Parquet tables in the translation, so the directory is written as Parquet too.
        fmt = "parquet"
        ctx.note("insert_directory", f"STORED AS {storage.upper()} -> Parquet files (Spark writes {storage.upper()} "
                                     "only through Hive's SerDe; tables over this directory are translated to "
                                     "Parquet as well): readers outside the translated jobs must read Parquet")
    elif isinstance(row_format, exp.RowFormatSerdeProperty):
        serde = row_format.name.lower()
        fmt = next((f for hint, f in _SERDE_FORMATS if hint in serde), "")
        if not fmt:
            props = {p.name: p.text("value") for p in (row_format.args.get("serde_properties") or
                                                        exp.Properties()).expressions}
            if "lazysimple" in serde:
                fmt = "csv"
                opts += [f"sep {sql_string(catalog.hive_delimiter(props.get('field.delim', chr(1))))}",
                         f"nullValue {sql_string(props.get('serialization.null.format', chr(92) + 'N'))}"]
            else:
                ctx.fail("insert_directory", f"ROW FORMAT SERDE {row_format.name}: no Spark writer for this SerDe")
                return None
        elif fmt == "json":
            ctx.note("insert_directory", "JSON SerDe output: Spark's JSON writer leaves NULL fields out of each object")
    else:
        sep = "\x01"
        if isinstance(row_format, exp.RowFormatDelimitedProperty):
            if row_format.args.get("fields") is not None:
                sep = catalog.hive_delimiter(row_format.args["fields"].name)
            if row_format.args.get("collection_items") is not None or row_format.args.get("map_keys") is not None:
                ctx.note("insert_directory", "collection/map-key delimiters: Spark's CSV writer cannot write ARRAY/MAP "
                                             "columns; cast them to STRING (e.g. concat_ws) in the SELECT")
        null = "\\N"
        if isinstance(row_format, exp.RowFormatDelimitedProperty) and row_format.args.get("null") is not None:
            null = row_format.args["null"].name
        opts += [f"sep {sql_string(sep)}", f"nullValue {sql_string(null)}", "quote ''", "escapeQuotes 'false'",
                 "header 'false'"]
        ctx.note("insert_directory", "Hive text output -> Spark CSV writer with Hive's delimiter and null marker, no "
                                     "quoting; files are named part-*.csv instead of 000000_0")
    ctx.hit("insert_directory")
    if local:
        ctx.note("insert_directory", "LOCAL DIRECTORY: Hive wrote on the client's machine; the Spark job writes to "
                                     f"{path}: copy the files back where a later step reads them")
    return f"INSERT OVERWRITE DIRECTORY USING {fmt} OPTIONS ({', '.join(opts)})"
