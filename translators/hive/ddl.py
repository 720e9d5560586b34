"""DDL and script commands: Hive tables become target tables (Iceberg or Parquet), names and locations
are mapped to the target, and Hive-only commands become their Spark form or are dropped with a reason.

Every handler takes the parsed statement and the context and returns the Spark statements to emit
(sqlglot trees or ready SQL strings); an empty list means "dropped", which always comes with a note.
"""

from __future__ import annotations

import re

from sqlglot import exp

from . import catalog
from .context import Context, TableInfo
from .rules import (
    is_legacy_location,
    map_database,
    map_location,
    map_table_parts,
    table_for_location,
)

Output = exp.Expression | str

# Table properties that only mean something to Hive's readers/writers or its metastore.
_HIVE_PROPS = {"skip.header.line.count", "skip.footer.line.count", "serialization.null.format", "transactional",
               "transactional_properties", "orc.compress", "parquet.compression", "external.table.purge",
               "numfiles", "numrows", "rawdatasize", "totalsize", "last_modified_by", "last_modified_time",
               "transient_lastddltime", "bucketing_version", "orc.create.index", "orc.bloom.filter.columns",
               "avro.schema.url", "avro.schema.literal", "hive.sql.query"}

_FORMAT_PROPS = (exp.RowFormatDelimitedProperty, exp.RowFormatSerdeProperty, exp.SerdeProperties,
                 exp.FileFormatProperty, exp.InputOutputFormat, exp.ExternalProperty)


def _location_literal(lit: exp.Expression, ctx: Context, what: str) -> exp.Expression | None:
    """Map a legacy location; returns the new literal, or None when the location must be dropped."""
    uri = lit.name
    mapped = map_location(uri, ctx)
    if mapped is not None:
        ctx.note("locations", f"{what} location {uri} -> {mapped}")
        return exp.Literal.string(mapped)
    if is_legacy_location(uri):
        if ctx.options.target_format == "iceberg":
            ctx.note("locations", f"{what} location {uri} is not mapped by the plan: dropped, the Iceberg "
                                  "catalog chooses the table location")
            return None
        ctx.fail("locations", f"{what} location {uri} is on the legacy store and not mapped by the plan "
                              "(add a dataset or --location-map)")
    return lit


def _column_type_fixes(schema: exp.Expression, ctx: Context) -> None:
    if ctx.options.target_format != "iceberg":
        return
    for dt in list(schema.find_all(exp.DataType)):
        if dt.is_type(exp.DataType.Type.CHAR, exp.DataType.Type.VARCHAR):
            dt.replace(exp.DataType.build("string"))
            ctx.note("ddl_types", "CHAR/VARCHAR columns become STRING in Iceberg (no length check or padding)")
        elif dt.is_type(exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT):
            ctx.note("ddl_types", "TINYINT/SMALLINT columns are stored as INT by Iceberg")


def create_table(tree: exp.Create, ctx: Context) -> list[Output]:
    """``CREATE [EXTERNAL|TEMPORARY] TABLE ... ROW FORMAT ... STORED AS ... LOCATION`` -> target table."""
    props = tree.args.get("properties")
    plist = list(props.expressions) if props else []
    temporary = any(isinstance(p, exp.TemporaryProperty) for p in plist)
    like = next((p for p in plist if isinstance(p, exp.LikeProperty)), None)
    if (tree.kind or "").upper() == "TABLE":
        info = catalog.from_create(tree, ctx)
        if info is not None:
            catalog.remember(info, ctx)
        if temporary and tree.expression is None:
            # Rows are inserted into it later: a temporary view (what a temporary CTAS becomes) cannot take
            # them, and Spark's CREATE TEMPORARY TABLE ... USING is a view over no files (INSERT fails).
            tree.set("properties", exp.Properties(expressions=[p for p in plist
                                                               if not isinstance(p, exp.TemporaryProperty)]))
            ctx.construct("temporary_table")
            ctx.note("temporary_table", "TEMPORARY table with its own columns becomes a regular table (Spark has "
                                        "no temporary table to insert into): drop it at the end of the job, as "
                                        "Hive did at the end of the session")
            temporary = False
        if like is not None and not temporary:
            return _create_like(tree, like, info, ctx)
    if temporary or (tree.kind or "").upper() == "VIEW":
        if temporary:
            ctx.construct("temporary_table")
            ctx.note("temporary_table", "temporary table becomes a temporary view: it is recomputed on each use "
                                        "(use CACHE TABLE name AS SELECT ... to materialize it once)")
        return [tree]
    return create_table_columns(tree, ctx)


def create_table_columns(tree: exp.Create, ctx: Context) -> list[Output]:
    """A Hive table with its own column list (or CTAS) -> an Iceberg / Parquet table."""
    props = tree.args.get("properties")
    plist = list(props.expressions) if props else []
    fmt = ctx.options.target_format
    external = any(isinstance(p, exp.ExternalProperty) for p in plist)
    ctx.construct("create_external_table" if external else "create_table")
    if tree.expression is not None:
        ctx.construct("ctas")
    keep: list[exp.Expression] = []
    dropped_props: list[str] = []
    partition_cols: list[exp.ColumnDef] = []
    partition_names: list[exp.Expression] = []
    location: exp.Expression | None = None
    bucket: exp.Expression | None = None
    for p in plist:
        if isinstance(p, exp.StorageHandlerProperty):
            ctx.fail("ddl", f"STORED BY {p.name or p.sql('hive')}: a storage handler (HBase, Kudu, JDBC ...) "
                            "table has no Parquet/Iceberg equivalent; migrate it separately")
        elif isinstance(p, _FORMAT_PROPS):
            continue
        elif isinstance(p, exp.LocationProperty):
            location = p
        elif isinstance(p, exp.PartitionedByProperty):
            cols = p.this.expressions if isinstance(p.this, exp.Schema) else [p.this]
            for col in cols:
                if isinstance(col, exp.ColumnDef):
                    partition_cols.append(col)
                    partition_names.append(exp.to_identifier(col.name))
                else:
                    partition_names.append(col)
        elif isinstance(p, exp.ClusteredByProperty):
            cols = p.expressions
            n = p.args.get("buckets")
            if fmt == "iceberg" and len(cols) == 1 and n is not None:
                bucket = exp.PartitionedByBucket(this=cols[0].copy(), expression=n.copy())
                ctx.note("ddl", f"CLUSTERED BY ({cols[0].sql('hive')}) INTO {n.sql()} BUCKETS -> Iceberg "
                                "partition transform bucket(): a different hash than Hive's buckets")
            elif fmt == "iceberg":
                ctx.note("ddl", "CLUSTERED BY on several columns dropped: Iceberg buckets one column each "
                                "(add bucket(N, col) transforms by hand if needed)")
            else:
                keep.append(p)
                ctx.note("ddl", "CLUSTERED BY kept: Spark's bucketing hashes differently from Hive's, so Hive "
                                "bucket files are not bucket-compatible")
        elif isinstance(p, exp.Property):
            key = p.name.lower()
            if key in _HIVE_PROPS or key.startswith(("hive.", "orc.", "avro.", "serialization.")):
                dropped_props.append(key)
            else:
                keep.append(p)
        else:
            keep.append(p)
    if dropped_props:
        ctx.note("ddl", f"Hive table properties dropped: {', '.join(sorted(dropped_props))}")
    schema = tree.this
    if partition_cols:
        if isinstance(schema, exp.Schema):
            schema.set("expressions", [*schema.expressions, *partition_cols])
        else:
            ctx.fail("ddl", "PARTITIONED BY with column types on a table without a column list")
    _column_type_fixes(schema, ctx)
    keep.insert(0, exp.FileFormatProperty(this=exp.Var(this=fmt)))
    if partition_names or bucket is not None:
        parts = [*partition_names, *([bucket] if bucket is not None else [])]
        keep.append(exp.PartitionedByProperty(this=exp.Schema(expressions=parts)))
        ctx.construct("partitioned_table")
    if location is not None:
        _adopt_plan_table(tree, location.this.name, ctx)
        lit = _location_literal(location.this, ctx, "table")
        if lit is not None:
            keep.append(exp.LocationProperty(this=lit))
    if external:
        ctx.note("ddl", f"EXTERNAL table becomes a {fmt} table: its data must be copied by a plan dataset, "
                        "and DROP TABLE may now delete data")
    tree.set("properties", exp.Properties(expressions=keep))
    ctx.hit("ddl")
    return [tree]


def _create_like(tree: exp.Create, like: exp.LikeProperty, info: TableInfo | None, ctx: Context) -> list[Output]:
    """``CREATE TABLE t LIKE s``: Spark's own ``CREATE TABLE t LIKE s USING parquet`` for Parquet targets; for
    Iceberg (whose Spark catalog has no LIKE) the explicit column list and partitioning of ``s``, known from
    earlier statements, the DDL dump or the plan."""
    ctx.construct("create_table_like")
    plist = list(tree.args["properties"].expressions)
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if ctx.options.target_format == "iceberg":
        if info is None or not info.columns_known or not info.columns:
            ctx.fail("ddl", f"CREATE TABLE ... LIKE {like.this.sql('hive')}: an Iceberg table needs its column "
                            "list, and the columns of the source table are not known (not created earlier in the "
                            "script, nor in the DDL dump or the plan): write the column list")
            return []
        cols = [exp.ColumnDef(this=exp.to_identifier(n), kind=exp.DataType.build(t, dialect="hive"))
                for n, t in info.columns]
        parts = [exp.ColumnDef(this=exp.to_identifier(n), kind=exp.DataType.build(t, dialect="hive"))
                 for n, t in info.partitions]
        rest = [p for p in plist if not isinstance(p, exp.LikeProperty | exp.PartitionedByProperty)]
        if parts:
            rest.append(exp.PartitionedByProperty(this=exp.Schema(expressions=parts)))
        new = tree.copy()
        new.set("this", exp.Schema(this=target.copy(), expressions=cols))
        new.set("properties", exp.Properties(expressions=rest))
        src = like.this.sql("hive")
        origin = catalog.lookup(like.this, ctx) if isinstance(like.this, exp.Table) else None
        where = {"script": "declared earlier in the script"}.get(origin.source if origin else "", "known")
        if origin is not None and origin.source not in ("", "script"):
            where = origin.source
        ctx.note("ddl", f"CREATE TABLE ... LIKE {src} -> the column list and partitioning of {src} ({where}); "
                        "later changes to it are not followed")
        return create_table_columns(new, ctx)
    # Spark: CREATE TABLE [IF NOT EXISTS] t LIKE s USING fmt [LOCATION ...] [TBLPROPERTIES (...)]
    parts_sql = [f"CREATE TABLE {'IF NOT EXISTS ' if tree.args.get('exists') else ''}"
                 f"{_mapped(target, ctx)} LIKE {_mapped(like.this, ctx)} USING {ctx.options.target_format}"]
    kept_props = []
    for p in plist:
        if isinstance(p, exp.LocationProperty):
            lit = _location_literal(p.this, ctx, "table")
            if lit is not None:
                parts_sql.append(f"LOCATION {lit.sql('spark')}")
        elif isinstance(p, exp.ExternalProperty):
            ctx.note("ddl", "EXTERNAL dropped: Spark's CREATE TABLE ... LIKE makes an external table when it has "
                            "a LOCATION")
        elif isinstance(p, exp.Property) and type(p) is exp.Property:
            key = p.name.lower()
            if key not in _HIVE_PROPS and not key.startswith(("hive.", "orc.", "avro.", "serialization.")):
                kept_props.append(p.sql("spark"))
        elif isinstance(p, exp.FileFormatProperty | exp.RowFormatSerdeProperty | exp.RowFormatDelimitedProperty):
            ctx.note("ddl", f"{p.sql('hive')} dropped: the new table is a {ctx.options.target_format} table")
    if kept_props:
        parts_sql.append(f"TBLPROPERTIES ({', '.join(kept_props)})")
    ctx.hit("ddl")
    return [" ".join(parts_sql)]


def _mapped(table: exp.Expression, ctx: Context) -> str:
    """A legacy table name as the target names it, in Spark SQL."""
    if not isinstance(table, exp.Table):
        return table.sql("spark")
    parts = map_table_parts(table.db or None, table.name, ctx)
    if parts is None:
        return table.sql("spark")
    ctx.hit("table_names")
    return ".".join(exp.to_identifier(p).sql("spark") for p in parts)


def _adopt_plan_table(tree: exp.Create, uri: str, ctx: Context) -> None:
    """A plan dataset migrated this table's location into an Iceberg table: use that name from now on."""
    target = table_for_location(uri, ctx)
    table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if target is None or not isinstance(table, exp.Table):
        return
    legacy = ".".join(p for p in (table.db or ctx.state.current_db or "", table.name) if p).lower()
    full = f"{ctx.options.catalog}.{target}" if ctx.options.catalog and target.count(".") == 1 else target
    ctx.options.table_map[legacy] = full
    ctx.note("table_names", f"{legacy} -> {full} (plan dataset with the same location)")


def create_database(tree: exp.Create, ctx: Context) -> list[Output]:
    ctx.construct("create_database")
    table = tree.this
    if isinstance(table, exp.Table):
        set_database_name(tree, table.name or table.db, ctx)
    props = tree.args.get("properties")
    if props:
        keep = []
        for p in props.expressions:
            if isinstance(p, exp.LocationProperty):
                lit = _location_literal(p.this, ctx, "database")
                if lit is not None:
                    keep.append(exp.LocationProperty(this=lit))
            else:
                keep.append(p)
        tree.set("properties", exp.Properties(expressions=keep) if keep else None)
    return [tree]


def set_database_name(tree: exp.Expression, db: str, ctx: Context, arg: str = "this") -> None:
    """Name a database as the target does; marked ``database_name`` so that table mapping leaves it alone
    (a mapped ``lake.dw`` read again as db.table would become ``lake.lake.dw``)."""
    table = exp.to_table(map_database(db, ctx))
    table.meta["database_name"] = True
    if arg == "this":
        tree.set("this", table)
    else:
        tree.set(arg, [table])


def create_function(tree: exp.Create, ctx: Context) -> list[Output]:
    """Hive UDF registration -> Spark's ``CREATE [TEMPORARY] FUNCTION ... [USING JAR]`` (same syntax)."""
    ctx.construct("temporary_function")
    name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.sql()
    ctx.state.temp_functions.add(name.lower())
    props = tree.args.get("properties")
    for p in props.expressions if props else []:
        if isinstance(p, exp.UsingProperty):
            mapped = map_location(p.this.name, ctx)
            if mapped is not None:
                ctx.note("locations", f"UDF jar {p.this.name} -> {mapped}")
                p.set("this", exp.Literal.string(mapped))
            elif is_legacy_location(p.this.name):
                ctx.note("resources", f"UDF jar {p.this.name}: still on the legacy store (not mapped by the plan); "
                                      "the Spark job must be able to read it")
    ctx.note("udf_registration", f"UDF {name} ({tree.expression.sql('spark') if tree.expression else '?'}): "
                                 "a Hive UDF class runs in Spark only with Hive support enabled and its jar on "
                                 "the job's classpath (spark.jars)")
    return [tree]


def use(tree: exp.Use, ctx: Context) -> list[Output]:
    ctx.construct("use")
    db = tree.this.name if tree.this is not None else ""
    ctx.state.current_db = db
    mapped = map_database(db, ctx)
    if mapped != db:
        ctx.hit("table_names")
    return [f"USE {mapped}"]


def analyze(tree: exp.Analyze, ctx: Context) -> list[Output]:
    ctx.construct("analyze")
    if ctx.options.target_format == "iceberg":
        ctx.note("analyze", "ANALYZE TABLE dropped: Iceberg keeps file-level statistics itself (for table "
                            "statistics run CALL <catalog>.system.compute_table_stats)")
        return []
    stats = tree.expression
    if isinstance(stats, exp.AnalyzeStatistics) and str(stats.this).upper() == "FOR COLUMNS" \
            and not stats.expressions:
        stats.set("this", "FOR ALL COLUMNS")  # Hive's bare FOR COLUMNS means every column
        ctx.hit("analyze")
    return [tree]


def alter(tree: exp.Alter, ctx: Context) -> list[Output]:
    ctx.construct("alter_table")
    iceberg = ctx.options.target_format == "iceberg"
    out: list[Output] = []
    actions = tree.args.get("actions") or []
    keep: list[exp.Expression] = []
    for action in actions:
        if isinstance(action, exp.AddPartition):
            ctx.construct("add_partition")
            if iceberg:
                ctx.note("partitions", "ALTER TABLE ADD PARTITION dropped: Iceberg partitions exist once rows "
                                       "are written")
                continue
            loc = action.args.get("location")
            if not isinstance(loc, exp.LocationProperty):  # sqlglot leaves a bare True after IF NOT EXISTS
                action.set("location", None)
            else:
                lit = _location_literal(loc.this, ctx, "partition")
                action.set("location", exp.LocationProperty(this=lit) if lit is not None else None)
            keep.append(action)
        elif isinstance(action, exp.DropPartition):
            ctx.construct("drop_partition")
            if iceberg:
                conds = [e.copy() for part in action.expressions for e in part.expressions]
                where = exp.and_(*conds) if conds else None
                out.append(exp.Delete(this=tree.this.copy(), where=exp.Where(this=where)))
                ctx.note("partitions", "ALTER TABLE DROP PARTITION -> DELETE FROM ... WHERE (Iceberg drops whole "
                                       "data files when the filter matches partitions)")
                continue
            keep.append(action)
        elif isinstance(action, exp.AlterSet) and action.args.get("location") is not None:
            ctx.fail("alter", "ALTER TABLE SET LOCATION points a legacy table at other files; the target table's "
                              "files are written by the migration (a plan dataset for the new location)")
        elif isinstance(action, exp.AlterSet) and (action.args.get("file_format") or action.args.get("serde")):
            what = "FILEFORMAT" if action.args.get("file_format") else "SERDE"
            ctx.note("alter", f"ALTER TABLE SET {what} dropped: it tells Hive how to read the legacy files; the target "
                              f"table is {ctx.options.target_format} whatever the legacy storage was")
            _alter_storage(tree, action, ctx)
        elif isinstance(action, exp.AlterColumn) and action.args.get("rename_to") is not None \
                and action.args.get("dtype") is not None:
            if action.args["rename_to"].name.lower() == action.name.lower():
                ctx.note("alter", "CHANGE COLUMN c c <type> -> ALTER COLUMN c TYPE <type>: Hive only changed the "
                                  "metadata, Iceberg allows only safe widenings (int->bigint, float->double, "
                                  "wider decimal)")
            else:
                ctx.note("alter", "CHANGE COLUMN becomes RENAME COLUMN: a type change must be a separate "
                                  "ALTER COLUMN ... TYPE (Iceberg allows only safe widenings)")
            keep.append(action)
        elif isinstance(action, exp.AlterSet) and action.expressions \
                and all(isinstance(p, exp.Properties) for p in action.expressions):
            props = [p for ps in action.expressions for p in ps.expressions]
            hive = [p for p in props if p.name.lower() in _HIVE_PROPS or p.name.lower() == "external"
                    or p.name.lower().startswith(("hive.", "orc.", "avro.", "serialization."))]
            if hive:
                ctx.note("ddl", "Hive table properties dropped: "
                                f"{', '.join(sorted(p.name.lower() for p in hive))}")
            rest = [p for p in props if p not in hive]
            if rest:
                action.set("expressions", [exp.Properties(expressions=rest)])
                keep.append(action)
        elif isinstance(action, exp.ReplaceColumns):
            ctx.note("alter", "REPLACE COLUMNS: Hive only rewrote the metadata (files still read by position); "
                              "on Iceberg, columns left out are dropped with their data and new ones read NULL")
            keep.append(action)
        else:
            keep.append(action)
    if keep:
        tree.set("actions", keep)
        out.insert(0, tree)
    return out


def _alter_storage(tree: exp.Alter, action: exp.AlterSet, ctx: Context) -> None:
    """Keep the catalog's view of the legacy files in step (a later LOAD DATA reads them this way)."""
    info = catalog.lookup(tree.this, ctx) if isinstance(tree.this, exp.Table) else None
    if info is None:
        return
    fmt = action.args.get("file_format")
    if fmt:
        info.storage = catalog.storage_keyword(fmt[0].name if isinstance(fmt, list) else fmt.name)
    serde = action.args.get("serde")
    if serde is not None:
        info.serde = serde.name
        for props in action.expressions or []:
            for p in props.find_all(exp.Property) if props is not None else []:
                info.serde_properties[p.name] = p.text("value")
        catalog.refresh_storage(info)


_MSCK = re.compile(r"^\s*msck\s+(?:repair\s+)?table\s+([`\w.]+)(.*)$", re.I | re.S)


def msck(text: str, ctx: Context) -> list[Output]:
    ctx.construct("msck_repair")
    m = _MSCK.match(text)
    if not m:
        ctx.fail("msck", "MSCK statement not understood")
        return []
    parts = [p.strip("`") for p in m.group(1).split(".")]
    db, name = (parts[-2], parts[-1]) if len(parts) > 1 else (None, parts[0])
    if ctx.options.target_format == "iceberg":
        ctx.note("msck", "MSCK REPAIR TABLE dropped: Iceberg tracks partitions in table metadata; files written "
                         "outside Spark must be registered with CALL <catalog>.system.add_files")
        return []
    target = map_table_parts(db, name, ctx) or parts
    ctx.hit("msck")
    return [f"MSCK REPAIR TABLE {'.'.join(target)}{m.group(2).rstrip()}"]


_ADD = re.compile(r"^\s*add\s+(jar|jars|file|files|archive|archives)\s+(.+)$", re.I | re.S)


def add_resource(text: str, ctx: Context) -> list[Output]:
    m = _ADD.match(text)
    if not m:
        ctx.fail("resources", "ADD statement not understood")
        return []
    kind = m.group(1).upper().rstrip("S")
    ctx.construct(f"add_{kind.lower()}")
    out: list[Output] = []
    for raw in m.group(2).split():
        path = raw.strip("'\"")
        mapped = map_location(path, ctx)
        if mapped is None and is_legacy_location(path):
            ctx.note("resources", f"ADD {kind} {path}: still on the legacy store (not mapped by the plan); "
                                  "the Spark job must be able to read it")
            mapped = path
        elif mapped is not None:
            ctx.note("resources", f"ADD {kind} {path} -> {mapped}")
        out.append(f"ADD {kind} '{mapped or path}'")
    need = {"JAR": "spark.jars / --jars", "FILE": "spark.files / --files",
            "ARCHIVE": "spark.archives / --archives"}[kind]
    ctx.note("resources", f"ADD {kind}: the Spark job needs it too ({need} in the job spec is preferred to "
                          "ADD at run time)")
    return out
