"""Hive statements sqlglot cannot read (or reads into an opaque ``Command``), handled on their text.

Each handler is a small pure function ``(match, text, ctx) -> Handled``: the Spark statements to emit, or a
rewritten Hive text for the normal parse path (``reparse``), with its decision recorded on ``ctx`` under its
own rule name. A dropped statement always carries a note, an untranslatable one a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from .catalog import lookup, type_problem
from .context import Context
from .rules import map_table_parts

_NAME = r"(`[^`]+`|[\w$]+)(\.(`[^`]+`|[\w$]+))?"


@dataclass
class Handled:
    kind: str
    outputs: list[str] = field(default_factory=list)
    reparse: list[str] = field(default_factory=list)  # Hive texts to translate the usual way instead
    after: list[str] = field(default_factory=list)  # Spark statements to emit after the reparsed ones
    append_to_last: str = ""  # a clause to add at the end of the (last) reparsed statement


def mapped_name(name: str, ctx: Context) -> str:
    """A legacy ``[db.]table`` as the target names it (unchanged when the plan does not map it)."""
    parts = [p.strip("`") for p in name.split(".")]
    db, table = (parts[-2], parts[-1]) if len(parts) > 1 else (None, parts[0])
    target = map_table_parts(db, table, ctx)
    if target is None:
        return name
    ctx.hit("table_names")
    return ".".join(target)


def _drop(kind: str, rule: str, why: str) -> Callable[[re.Match[str], str, Context], Handled]:
    def handler(m: re.Match[str], text: str, ctx: Context) -> Handled:
        ctx.construct(kind)
        ctx.note(rule, f"{_head(text)} dropped: {why}")
        return Handled(kind)
    return handler


def _fail(kind: str, rule: str, why: str) -> Callable[[re.Match[str], str, Context], Handled]:
    def handler(m: re.Match[str], text: str, ctx: Context) -> Handled:
        ctx.construct(kind)
        ctx.fail(rule, f"{_head(text)}: {why}")
        return Handled(kind)
    return handler


def _head(text: str) -> str:
    words = text.split()
    return " ".join(words[:4]).rstrip("(") + (" ..." if len(words) > 4 else "")


def list_resources(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``LIST JARS`` / ``LIST FILES``: the same command in Spark."""
    ctx.construct("list_resources")
    ctx.hit("resources")
    return Handled("add_resource", [f"LIST {m.group(1).upper()}"])


def show_describe(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """SHOW / DESCRIBE of a table: same syntax in Spark; a qualified legacy name is mapped to the target."""
    ctx.construct("show")
    ctx.hit("show")
    name = m.group("name")
    new = mapped_name(name, ctx) if name and "." in name else name
    return Handled("show", [text[:m.start("name")] + new + text[m.end("name"):] if name else text])


def describe_partition_column(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``DESCRIBE [FORMATTED] t PARTITION (...) col``: Spark describes a column or a partition, not a column
    of one partition: the column is dropped (Spark keeps column statistics per table, not per partition)."""
    ctx.construct("show")
    ctx.note("show", f"DESCRIBE ... PARTITION (...) {m.group('col')}: Spark cannot describe a column of one "
                     "partition; the partition is described instead")
    return show_describe(m, text[:m.start("col")].rstrip(), ctx)


def show_table_extended(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``SHOW TABLE EXTENDED [IN db] LIKE name``: Spark wants the pattern as a string literal."""
    ctx.construct("show")
    ctx.hit("show")
    return Handled("show", [f"{text[:m.start('pat')]}'{m.group('pat').strip(chr(96))}'{text[m.end('pat'):]}"])


def drop_macro(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``DROP TEMPORARY MACRO f``: macros became temporary SQL functions (``macro``)."""
    ctx.construct("macro")
    ctx.hit("macro")
    return Handled("create_function", [f"DROP TEMPORARY FUNCTION IF EXISTS {m.group('name')}"])


def partition_column_type(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``ALTER TABLE t PARTITION COLUMN (c type)`` retypes a partition column in Hive's metastore only (the
    partition values, strings in the metastore, are read as the new type from then on). Iceberg widens a
    column only (int -> bigint) and Spark's Parquet tables cannot retype at all, so the table is rewritten
    with the new type: CTAS into a new table with the partition column cast (TRY_CAST: a value that does not
    convert reads as NULL in Hive too), drop the old one, rename the new one. Needs the table's shape."""
    ctx.construct("alter_table")
    spec = re.match(r"\s*(?P<col>`[^`]+`|\w+)\s+(?P<type>.+?)\s*\)\s*$", text[m.end():], re.S)
    info = lookup(m.group("name").replace("`", "").lower(), ctx)
    col = spec.group("col").strip("`").lower() if spec else ""
    if spec is None or info is None or not info.columns_known or col not in {p for p, _ in info.partitions}:
        why = ("the column spec is not understood" if spec is None else
               f"{col} is not a partition column of the table as declared" if info is not None
               and info.columns_known else "the table's columns are not known (not created earlier in the "
               "script, nor in the DDL dump or the plan)")
        ctx.fail("alter", "ALTER TABLE ... PARTITION COLUMN (c type) retypes a partition column in Hive's metastore "
                          f"only; the rewrite with the new type (CTAS, drop, rename) needs the table's shape: {why}")
        return Handled("alter")
    new_type = spec.group("type").strip().lower()
    problem = type_problem(new_type)
    if problem:
        ctx.fail("types", problem)
        return Handled("alter")
    try:
        spark_type = exp.DataType.build(new_type, dialect="hive").sql("spark")
    except (SqlglotError, ValueError):
        ctx.fail("alter", f"ALTER TABLE ... PARTITION COLUMN: type {new_type} not understood")
        return Handled("alter")
    table = mapped_name(m.group("name"), ctx)
    parts = table.split(".")
    tmp = ".".join([*parts[:-1], parts[-1].strip("`") + "__retyped"])

    def quote(name: str) -> str:
        return exp.to_identifier(name, quoted=not re.fullmatch(r"[a-z_][a-z0-9_]*", name)).sql("spark")

    select = ", ".join(f"TRY_CAST({quote(n)} AS {spark_type}) AS {quote(n)}" if n == col else quote(n)
                       for n, _ in (*info.columns, *info.partitions))
    fmt = ctx.options.target_format
    ctx.hit("alter")
    ctx.note("alter", f"ALTER TABLE ... PARTITION COLUMN ({col} {new_type}) -> the table rewritten with the new type "
                      f"(CREATE TABLE {tmp} AS SELECT ... TRY_CAST({col}), DROP TABLE, RENAME): Hive changed only "
                      "the metastore; the rewrite copies the table's data and is not atomic")
    retyped = info.copy()
    retyped.partitions = [(n, new_type if n == col else t) for n, t in info.partitions]
    retyped.source = "ALTER TABLE ... PARTITION COLUMN"
    ctx.state.tables[info.name] = retyped
    return Handled("alter", [
        f"DROP TABLE IF EXISTS {tmp}",
        f"CREATE TABLE {tmp} USING {fmt} PARTITIONED BY ({', '.join(quote(n) for n, _ in info.partitions)}) "
        f"AS SELECT {select} FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE {tmp} RENAME TO {table}"])


def unset_tblproperties(m: re.Match[str], text: str, ctx: Context) -> Handled:
    ctx.construct("alter_table")
    ctx.hit("ddl")
    what = m.group("what").upper()
    rest = m.group("rest").strip()
    keys = re.search(r"\((.*)\)\s*$", rest, re.S)
    if keys:  # Hive accepts a key named twice; Spark refuses the duplicate
        unique = list(dict.fromkeys(k.strip() for k in keys.group(1).split(",")))
        rest = rest[:keys.start()] + "(" + ", ".join(unique) + ")"
    return Handled("alter", [f"ALTER {what} {mapped_name(m.group('name'), ctx)} {rest}"])


def show_columns_pattern(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``SHOW COLUMNS IN t [IN db] [LIKE] 'pattern'``: Spark lists all the columns (no pattern)."""
    ctx.construct("show")
    ctx.note("show", f"SHOW COLUMNS pattern {m.group('pat').strip()} dropped: Spark lists every column")
    rest = text[:m.start("pat")].strip()
    again = match_handler(rest)  # the table name mapped as for any SHOW COLUMNS
    return again[1](again[0], rest, ctx) if again else Handled("show", [rest])


def show_hive_only(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """SHOW forms Spark lacks: materialized views (tables in the translation) -> SHOW TABLES; SHOW CREATE
    DATABASE -> DESCRIBE DATABASE EXTENDED; resource plans (workload management) dropped."""
    ctx.construct("show")
    what = " ".join(m.group(1).lower().split())
    rest = text[m.end():].strip()
    if what == "materialized views":
        ctx.note("show", "SHOW MATERIALIZED VIEWS -> SHOW TABLES: the materialized views became tables")
        return Handled("show", [f"SHOW TABLES {rest}".strip()])
    if what == "create database":
        ctx.note("show", "SHOW CREATE DATABASE -> DESCRIBE DATABASE EXTENDED (Spark has no SHOW CREATE DATABASE)")
        return Handled("show", [f"DESCRIBE DATABASE EXTENDED {rest}".strip()])
    ctx.note("workload", f"{_head(text)} dropped: Hive workload management has no Spark counterpart")
    return Handled("workload")


def transactional_table(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``CREATE TRANSACTIONAL TABLE`` (Hive 4): a full-ACID table; Iceberg tables take UPDATE/DELETE/MERGE."""
    ctx.note("ddl", "CREATE TRANSACTIONAL TABLE -> CREATE TABLE: Iceberg tables are transactional (Spark's Parquet "
                    "tables are not: UPDATE/DELETE/MERGE need Iceberg)")
    return Handled("create_table", reparse=["CREATE TABLE" + text[m.end():]])


def serde_properties(m: re.Match[str], text: str, ctx: Context) -> Handled:
    ctx.construct("alter_table")
    ctx.note("alter", "ALTER TABLE ... SET SERDEPROPERTIES dropped: Iceberg/Parquet tables have no SerDe (the "
                      "migration copy reads the legacy files with these properties)")
    return Handled("alter")


def add_partitions(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``ALTER TABLE t ADD [IF NOT EXISTS] PARTITION (..) [LOCATION ..] PARTITION (..) ...``: one statement per
    partition (sqlglot reads only one), each translated the usual way."""
    specs = re.findall(r"partition\s*\([^)]*\)(?:\s*location\s*(?:'[^']*'|\"[^\"]*\"))?", m.group("rest"), re.I)
    if len(specs) < 2:
        return Handled("alter", reparse=[text])
    ine = "IF NOT EXISTS " if m.group("ine") else ""
    ctx.hit("add_partitions")
    return Handled("alter", reparse=[f"ALTER TABLE {m.group('name')} ADD {ine}{spec}" for spec in specs])


def drop_partition_purge(m: re.Match[str], text: str, ctx: Context) -> Handled:
    ctx.note("partitions", "PURGE dropped: the target store has no trash (deleted Iceberg files go with snapshot "
                           "expiry)")
    return Handled("alter", reparse=[text[:m.start("purge")].rstrip()])


def change_column_position(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``CHANGE [COLUMN] a b type ... FIRST|AFTER c``: Iceberg reorders columns by id (safe), Spark's own
    tables cannot reorder."""
    base = text[:m.start("pos")] + (m.group("tail") or "")
    if ctx.options.target_format != "iceberg":
        ctx.fail("alter", "CHANGE COLUMN ... FIRST/AFTER: Spark's Parquet tables cannot reorder columns")
        return Handled("alter")
    table = mapped_name(m.group("name"), ctx)
    after = m.group("pos").strip()
    ctx.hit("alter")
    ctx.note("alter", "CHANGE COLUMN ... FIRST/AFTER: Hive only moved the column in the metadata (text files "
                      "were still read by position); Iceberg moves it by column id")
    position = "FIRST" if after.lower() == "first" else f"AFTER {after.split()[-1]}"
    return Handled("alter", reparse=[base.strip()],
                   after=[f"ALTER TABLE {table} ALTER COLUMN {m.group('new')} {position}"])


def rename_partition(m: re.Match[str], text: str, ctx: Context) -> Handled:
    ctx.construct("alter_table")
    if ctx.options.target_format == "iceberg":
        specs = re.match(r"partition\s*\((?P<old>.*)\)\s*rename\s+to\s+partition\s*\((?P<new>.*)\)\s*$",
                         m.group("rest").strip(), re.I | re.S)
        old, new = (_partition_spec(specs.group(g)) for g in ("old", "new")) if specs else (None, None)
        if not old or not new:
            ctx.fail("partitions", "ALTER TABLE ... PARTITION RENAME TO PARTITION: partition specs not understood")
            return Handled("alter")
        # Iceberg partition values are row values: renaming the partition is updating them.
        ctx.hit("partitions")
        ctx.note("partitions", "ALTER TABLE ... PARTITION (...) RENAME TO PARTITION (...) -> UPDATE ... SET the "
                               "partition columns WHERE they hold the old values (Iceberg partitions are row values)")
        sets = ", ".join(e.sql("hive") for e in new)
        where = " AND ".join(e.sql("hive") for e in old)
        return Handled("alter", reparse=[f"UPDATE {m.group('name')} SET {sets} WHERE {where}"])
    ctx.hit("partitions")
    return Handled("alter", [f"ALTER TABLE {mapped_name(m.group('name'), ctx)} {m.group('rest').strip()}"])


def _partition_spec(spec: str) -> list[exp.Expression] | None:
    """``k='v', k2=3`` -> the equalities, read by sqlglot (quotes, escapes and commas in values as Hive has them)."""
    try:
        tree = sqlglot.parse_one(f"INSERT OVERWRITE TABLE t PARTITION ({spec}) SELECT 1", read="hive")
    except SqlglotError:
        return None
    part = tree.this.args.get("partition") if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Table) \
        else None
    eqs = list(part.expressions) if part is not None else []
    return eqs if eqs and all(isinstance(e, exp.EQ) for e in eqs) else None


def skewed_by(m: re.Match[str], text: str, ctx: Context) -> Handled:
    ctx.note("ddl", "SKEWED BY ... [STORED AS DIRECTORIES] dropped: a Hive list-bucketing layout; Spark's AQE "
                    "handles skewed joins at run time")
    return Handled("create_table", reparse=[text[:m.start()] + " " + text[m.end():]])


def db_properties(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``CREATE DATABASE ... WITH DBPROPERTIES (...)``: sqlglot cannot read the clause; Spark has it as is."""
    ctx.hit("ddl")
    pairs = re.findall(r"('[^']*'|\"[^\"]*\")\s*=\s*('[^']*'|\"[^\"]*\")", m.group("props"))
    reserved = [k for k, _ in pairs if k.strip("'\"").lower() in ("owner", "location", "comment")]
    if reserved:
        ctx.note("ddl", f"reserved database properties dropped ({', '.join(reserved)}): Spark sets them itself")
    kept = [f"{k}={v}" for k, v in pairs if k not in reserved]
    return Handled("create_database", reparse=[text[:m.start()] + text[m.end():]],
                   append_to_last=f" WITH DBPROPERTIES ({', '.join(kept)})" if kept else "")


def insert_if_not_exists(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``INSERT OVERWRITE TABLE t PARTITION (p='x') IF NOT EXISTS SELECT ...`` writes only when the partition does
    not exist yet: ``INSERT INTO t PARTITION (p='x') SELECT * FROM (...) WHERE NOT EXISTS (SELECT 1 FROM t WHERE
    p = 'x')`` (translate.py adds the condition). Without a partition spec Hive ignores IF NOT EXISTS."""
    ctx.construct("insert_overwrite")
    rest = text[:m.start("ine")] + text[m.end("ine"):]
    if not m.group("part"):
        ctx.note("insert", "IF NOT EXISTS without a partition spec: Hive ignores it (the table is overwritten)")
        return Handled("insert", reparse=[rest])
    ctx.if_not_exists = True
    return Handled("insert", reparse=[rest])


def macro(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``CREATE TEMPORARY MACRO f (x T, ...) expr`` -> Spark SQL function ``CREATE TEMPORARY FUNCTION f(x T)
    RETURN expr`` (Spark 3.5+); the body is translated like any expression (by the caller)."""
    ctx.construct("macro")
    ctx.hit("macro")
    ctx.state.temp_functions.add(m.group("name").lower())
    return Handled("create_function", reparse=[f"SELECT {m.group('body')}"],
                   after=[f"CREATE TEMPORARY FUNCTION {m.group('name')}({m.group('params').strip()}) RETURN {{body}}"])


_MV_CLAUSE = re.compile(r"\b(?P<kw>disable\s+rewrite|enable\s+rewrite|partitioned\s+on|clustered\s+on|"
                        r"distributed\s+on|sorted\s+on)\b\s*(?P<cols>\((?:[^()]|\([^)]*\))*\))?", re.I)


def create_materialized_view(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``CREATE MATERIALIZED VIEW mv [DISABLE REWRITE] [PARTITIONED ON (c)] [STORED AS ..] AS query``: Spark
    has materialized views only inside declarative pipelines (its parser reads the statement, running it
    fails), so the view becomes what Hive stores: a table filled by the query (CTAS), partitioned the same way.
    The query is remembered for ``ALTER MATERIALIZED VIEW mv REBUILD``. Hive's automatic query rewriting to
    use the view has no counterpart: queries keep reading the base tables."""
    ctx.construct("materialized_view")
    clauses = m.group("clauses")
    dropped: list[str] = []

    def clause(c: re.Match[str]) -> str:
        kw = " ".join(c.group("kw").lower().split())
        if kw == "partitioned on" and c.group("cols"):
            return f"PARTITIONED BY {c.group('cols')}"
        dropped.append(kw.upper())
        return " "
    clauses = _MV_CLAUSE.sub(clause, clauses)
    name = m.group("name")
    ctx.state.materialized_views[name.replace("`", "").lower()] = m.group("query")
    ctx.hit("materialized_view")
    ctx.note("materialized_view", "CREATE MATERIALIZED VIEW -> CREATE TABLE ... AS SELECT (Spark runs materialized "
                                  "views only in declarative pipelines): the table is refreshed by ALTER "
                                  "MATERIALIZED VIEW ... REBUILD, and queries are not rewritten to read it"
             + (f"; {', '.join(dropped)} dropped" if dropped else ""))
    return Handled("create_table", reparse=[f"CREATE TABLE {m.group('ine') or ''}{name} {clauses.strip()} AS "
                                            f"{m.group('query')}"])


def rebuild_materialized_view(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``ALTER MATERIALIZED VIEW mv REBUILD``: the table that stands for the view is filled again from its query
    (INSERT OVERWRITE, the whole table); the query must have been seen (CREATE MATERIALIZED VIEW earlier in the
    script)."""
    ctx.construct("materialized_view")
    query = ctx.state.materialized_views.get(m.group("name").replace("`", "").lower())
    if query is None:
        ctx.fail("materialized_view", "ALTER MATERIALIZED VIEW ... REBUILD: the view's query is not known (not "
                                      "created earlier in the script): the view became a table; refill it with "
                                      "INSERT OVERWRITE TABLE ... SELECT its query")
        return Handled("alter")
    ctx.hit("materialized_view")
    ctx.note("materialized_view", "ALTER MATERIALIZED VIEW ... REBUILD -> INSERT OVERWRITE TABLE ... with the "
                                  "view's query (the whole table is recomputed; Hive may have refreshed it "
                                  "incrementally)")
    before = []
    if ctx.state.dynamic_overwrite_set:  # an earlier dynamic-partition insert: back to replacing the whole table
        before.append("SET spark.sql.sources.partitionOverwriteMode=static")
        ctx.state.dynamic_overwrite_set = False
    return Handled("insert", before, reparse=[f"INSERT OVERWRITE TABLE {m.group('name')} {query}"])


def drop_materialized_view(m: re.Match[str], text: str, ctx: Context) -> Handled:
    ctx.construct("materialized_view")
    ctx.state.materialized_views.pop(m.group("name").replace("`", "").lower(), None)
    ctx.hit("materialized_view")
    return Handled("drop_table", reparse=[f"DROP TABLE {m.group('ie') or ''}{m.group('name')}"])


def view_partitioned_on(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``CREATE VIEW v PARTITIONED ON (c) AS ...``: a partitioned view only lets Hive register partitions for
    lineage and authorization (ALTER VIEW ADD PARTITION); the rows are those of the query either way."""
    ctx.construct("create_view")
    ctx.note("ddl", "CREATE VIEW ... PARTITIONED ON (...) -> CREATE VIEW: Spark views have no partitions (Hive "
                    "used them for metadata only; the view returns the same rows)")
    return Handled("create_view", reparse=[text[:m.start("part")] + " " + text[m.end("part"):]])


_T = r"^\s*alter\s+table\s+(?P<name>" + _NAME + r")\s+"
_MV = r"^\s*(?P<verb>create|alter|drop)\s+materialized\s+view\s+"
HANDLERS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str, Context], Handled]]] = [
    (re.compile(r"^\s*list\s+(jars?|files?|archives?)\s*$", re.I), list_resources),
    (re.compile(r"^\s*show\s+columns\s+(in|from)\s+\S+(\s+(in|from)\s+\S+)?(?P<pat>\s+(like\s+)?('[^']*'|\"[^\"]*\"))\s*$",
                re.I), show_columns_pattern),
    (re.compile(_MV.replace("(?P<verb>create|alter|drop)", "create") + r"(?P<ine>if\s+not\s+exists\s+)?(?P<name>"
                + _NAME + r")(?P<clauses>.*?)\bas\s+(?P<query>(select|with|from|\()\b.*)$", re.I | re.S),
     create_materialized_view),
    (re.compile(_MV.replace("(?P<verb>create|alter|drop)", "alter") + r"(?P<name>" + _NAME + r")\s+rebuild\s*$",
                re.I), rebuild_materialized_view),
    (re.compile(_MV.replace("(?P<verb>create|alter|drop)", "alter") + r"(?P<name>" + _NAME +
                r")\s+(enable|disable)\s+rewrite\s*$", re.I),
     _drop("alter_table", "materialized_view", "Hive's query rewriting with a materialized view has no Spark "
                                               "counterpart (the view is a table in the translation)")),
    (re.compile(_MV.replace("(?P<verb>create|alter|drop)", "drop") + r"(?P<ie>if\s+exists\s+)?(?P<name>" + _NAME +
                r")\s*$", re.I), drop_materialized_view),
    (re.compile(r"^\s*delete\s+(jars?|files?|archives?)\b", re.I),
     _drop("add_resource", "resources", "a Spark session cannot unload a resource; a job ends with its session")),
    (re.compile(r"^\s*show\s+(locks|compactions|transactions|roles?|current\s+roles|grant|principals|conf|"
                r"(formatted\s+)?index(es)?)\b", re.I),
     _drop("show", "show", "Hive metastore/engine state with no Spark counterpart (informational only)")),
    (re.compile(r"^\s*desc(ribe)?(\s+(formatted|extended))?\s+(?P<name>" + _NAME + r")\s+partition\s*\([^)]*\)\s*"
                r"(?P<col>[\w`.]+)\s*$", re.I), describe_partition_column),
    (re.compile(r"^\s*show\s+table\s+extended\s+((in|from)\s+\S+\s+)?like\s+(?P<pat>[\w`.*]+)", re.I),
     show_table_extended),
    (re.compile(r"^\s*drop\s+temporary\s+macro\s+(if\s+exists\s+)?(?P<name>\w+)\s*$", re.I), drop_macro),
    (re.compile(r"^\s*alter\s+table\s+(?P<name>" + _NAME + r")\s+partition\s+column\s*\(", re.I),
     partition_column_type),
    (re.compile(r"^\s*(show\s+(partitions|create\s+table|tblproperties|columns\s+(in|from)|table\s+extended\s+"
                r"(in|from)\s+\S+\s+like)|desc(ribe)?(\s+(formatted|extended))?)\s+(?!database\b|schema\b|"
                r"function\b|extended\b|formatted\b)(?P<name>" + _NAME + r")", re.I), show_describe),
    (re.compile(r"^\s*((create|alter|drop)\s+(resource\s+plan|trigger|pool|(user|group|application)\s+mapping)|"
                r"(enable|disable)\s+workload\s+management|replace\s+(active\s+)?resource\s+plan)\b", re.I),
     _drop("workload", "workload", "Hive workload management (LLAP resource plans, pools, triggers, mappings) "
                                   "configures the Hive cluster; size the Spark job or its scheduler pool instead")),
    (re.compile(r"^\s*create\s+transactional\s+table\b", re.I), transactional_table),
    (re.compile(r"^\s*kill\s+query\b", re.I),
     _drop("workload", "workload", "KILL QUERY stops a running Hive query; Spark jobs are cancelled through their "
                                   "cluster (spark-submit --kill, the Kubernetes application)")),
    (re.compile(r"^\s*show\s+(resource\s+plans?|materialized\s+views|create\s+database)\b", re.I), show_hive_only),
    (re.compile(r"^\s*(lock|unlock)\s+(table|database|schema)\b", re.I),
     _drop("lock", "locks", "Iceberg commits are atomic (optimistic concurrency); no explicit locks")),
    (re.compile(r"^\s*(grant|revoke)\b|^\s*(create|drop)\s+role\b|^\s*set\s+role\b", re.I),
     _fail("grant", "privileges", "privileges are managed by the target catalog and store, not by the job's SQL; "
                                  "port them to the catalog's access control")),
    (re.compile(r"^\s*(create|drop|alter)\s+index\b", re.I),
     _drop("index", "index", "Hive indexes (removed in Hive 3) have no Spark equivalent; Iceberg prunes files "
                             "with column statistics")),
    (re.compile(r"^\s*(export\s+table|import\s+((external\s+)?table|from))\b", re.I),
     _fail("export_import", "export_import", "EXPORT/IMPORT copies a table with its metadata between Hive "
                                             "warehouses: copy it with a plan dataset instead")),
    (re.compile(_T + r"(partition\s*\([^)]*\)\s*)?(concatenate|compact\b)", re.I),
     _drop("alter_table", "compaction", "small-file compaction: Iceberg does it with CALL "
                                        "<catalog>.system.rewrite_data_files")),
    (re.compile(_T + r"(partition\s*\([^)]*\)\s*)?update\s+statistics\b", re.I),
     _drop("analyze", "statistics", "statistics written by hand into Hive's metastore; Spark and Iceberg keep "
                                    "their own (ANALYZE TABLE ... COMPUTE STATISTICS)")),
    (re.compile(r"^\s*create\s+(or\s+replace\s+)?view\s+(if\s+not\s+exists\s+)?" + _NAME +
                r"(?:(?!\bas\b).)*?(?P<part>\bpartitioned\s+on\s*\([^)]*\))", re.I | re.S), view_partitioned_on),
    (re.compile(r"^\s*alter\s+view\s+" + _NAME + r"\s+(add|drop)\s+(if\s+(not\s+)?exists\s+)?partition\b", re.I),
     _drop("alter_view", "ddl", "partitions of a view (CREATE VIEW ... PARTITIONED ON) are Hive metadata only; "
                                "Spark views have none and return the same rows")),
    (re.compile(_T + r"partition\s*\([^)]*\)\s*((add|replace)\s+columns|change|rename\s+column)\b", re.I),
     _drop("alter_table", "alter", "a column change of one partition: Hive keeps a schema per partition for the "
                                   "files already written; an Iceberg/Parquet table has one schema (change the "
                                   "table's columns instead)")),
    (re.compile(_T + r"(touch|(un)?archive)\b", re.I),
     _drop("alter_table", "alter", "TOUCH/ARCHIVE only act on Hive metastore hooks or Hadoop archives")),
    (re.compile(_T + r"(partition\s*\([^)]*\)\s*)?set\s+serdeproperties\b", re.I), serde_properties),
    (re.compile(_T + r"(partition\s*\([^)]*\)\s*)?(clustered|not\s+clustered|not\s+sorted|skewed|not\s+skewed|"
                r"into\s+\d+\s+buckets)\b", re.I),
     _drop("alter_table", "alter", "Hive bucketing/skew metadata for future writes; the target's layout is set "
                                   "by its own DDL (Iceberg: ALTER TABLE ... ADD PARTITION FIELD bucket(N, col))")),
    (re.compile(_T.replace("table", "(?P<what>table|view)") + r"(?P<rest>unset\s+tblproperties\b.*)$", re.I | re.S),
     unset_tblproperties),
    (re.compile(_T + r"add\s+(?P<ine>if\s+not\s+exists\s+)?(?P<rest>partition\b.*)$", re.I | re.S), add_partitions),
    (re.compile(_T + r"drop\s+.*\)\s*(?P<purge>purge)\s*$", re.I | re.S), drop_partition_purge),
    (re.compile(_T + r"change\s+(column\s+)?\S+\s+(?P<new>\S+)\s+.*?\s(?P<pos>first|after\s+\S+)"
                r"(?P<tail>\s+(cascade|restrict))?\s*$", re.I | re.S), change_column_position),
    (re.compile(_T + r"(?P<rest>partition\s*\([^)]*\)\s*rename\s+to\s+partition\b.*)$", re.I | re.S),
     rename_partition),
    (re.compile(r"\bskewed\s+by\s*\([^)]*\)\s*on\s*\((?:[^()]|\([^)]*\))*\)(\s*stored\s+as\s+directories)?", re.I),
     skewed_by),
    (re.compile(r"\s+with\s+dbproperties\s*(?P<props>\([^)]*\))", re.I), db_properties),
    (re.compile(r"^\s*insert\s+overwrite\s+table\s+\S+(?P<part>\s+partition\s*\([^)]*\))?(?P<ine>\s+if\s+not\s+exists)\b",
                re.I),
     insert_if_not_exists),
    (re.compile(r"^\s*create\s+temporary\s+macro\s+(?P<name>\w+)\s*\((?P<params>(?:[^()]|\([^)]*\))*)\)\s*"
                r"(?P<body>.+)$", re.I | re.S), macro),
    (re.compile(r"\btablesample\s*\(\s*\d+(\.\d+)?\s*[bkmg]\s*\)", re.I),
     _fail("query", "tablesample", "TABLESAMPLE(<n> bytes) is not supported by Spark: use TABLESAMPLE(x PERCENT) "
                                   "or LIMIT")),
    (re.compile(r"\buniontype\s*<", re.I),
     _fail("create_table", "ddl", "UNIONTYPE has no Spark/Iceberg type: use a STRUCT with one field per "
                                  "alternative")),
]


def match_handler(text: str) -> tuple[re.Match[str], Callable[[re.Match[str], str, Context], Handled]] | None:
    for rx, handler in HANDLERS:
        # Statement-level patterns are anchored (^); clause-level ones (SKEWED BY, TABLESAMPLE) search.
        m = rx.match(text) if rx.pattern.startswith("^") else rx.search(text)
        if m:
            return m, handler
    return None
