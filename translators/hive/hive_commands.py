"""Hive statements sqlglot cannot read (or reads into an opaque ``Command``), handled on their text.

Each handler is a small pure function ``(match, text, ctx) -> Handled``: the Spark statements to emit, or a
rewritten Hive text for the normal parse path (``reparse``), with its decision recorded on ``ctx`` under its
own rule name. A dropped statement always carries a note, an untranslatable one a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .rules import Context, map_table_parts

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


def unset_tblproperties(m: re.Match[str], text: str, ctx: Context) -> Handled:
    ctx.construct("alter_table")
    ctx.hit("ddl")
    return Handled("alter", [f"ALTER TABLE {mapped_name(m.group('name'), ctx)} {m.group('rest').strip()}"])


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
        ctx.fail("partitions", "ALTER TABLE ... PARTITION RENAME TO PARTITION: Iceberg partition values are row "
                               "values: UPDATE the partition column instead (UPDATE t SET p = new WHERE p = old)")
        return Handled("alter")
    ctx.hit("partitions")
    return Handled("alter", [f"ALTER TABLE {mapped_name(m.group('name'), ctx)} {m.group('rest').strip()}"])


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
    ctx.construct("insert_overwrite")
    ctx.fail("insert", "INSERT OVERWRITE ... IF NOT EXISTS (skip when the partition exists) is not supported "
                       "for Iceberg tables: check the partition first (SELECT 1 ... LIMIT 1) in the job's flow")
    return Handled("insert")


def macro(m: re.Match[str], text: str, ctx: Context) -> Handled:
    """``CREATE TEMPORARY MACRO f (x T, ...) expr`` -> Spark SQL function ``CREATE TEMPORARY FUNCTION f(x T)
    RETURN expr`` (Spark 3.5+); the body is translated like any expression (by the caller)."""
    ctx.construct("macro")
    ctx.hit("macro")
    return Handled("create_function", reparse=[f"SELECT {m.group('body')}"],
                   after=[f"CREATE TEMPORARY FUNCTION {m.group('name')}({m.group('params').strip()}) RETURN {{body}}"])


_T = r"^\s*alter\s+table\s+(?P<name>" + _NAME + r")\s+"
HANDLERS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str, Context], Handled]]] = [
    (re.compile(r"^\s*list\s+(jars?|files?|archives?)\s*$", re.I), list_resources),
    (re.compile(r"^\s*delete\s+(jars?|files?|archives?)\b", re.I),
     _drop("add_resource", "resources", "a Spark session cannot unload a resource; a job ends with its session")),
    (re.compile(r"^\s*show\s+(locks|compactions|transactions|roles?|current\s+roles|grant|principals|conf|"
                r"(formatted\s+)?index(es)?)\b", re.I),
     _drop("show", "show", "Hive metastore/engine state with no Spark counterpart (informational only)")),
    (re.compile(r"^\s*(show\s+(partitions|create\s+table|tblproperties|columns\s+(in|from)|table\s+extended\s+"
                r"(in|from)\s+\S+\s+like)|desc(ribe)?(\s+(formatted|extended))?)\s+(?!database\b|schema\b|"
                r"function\b|extended\b|formatted\b)(?P<name>" + _NAME + r")", re.I), show_describe),
    (re.compile(r"^\s*(lock|unlock)\s+(table|database|schema)\b", re.I),
     _drop("lock", "locks", "Iceberg commits are atomic (optimistic concurrency); no explicit locks")),
    (re.compile(r"^\s*(grant|revoke)\b|^\s*(create|drop)\s+role\b|^\s*set\s+role\b", re.I),
     _fail("grant", "privileges", "privileges are managed by the target catalog and store, not by the job's SQL; "
                                  "port them to the catalog's access control")),
    (re.compile(r"^\s*(create|drop|alter)\s+index\b", re.I),
     _drop("index", "index", "Hive indexes (removed in Hive 3) have no Spark equivalent; Iceberg prunes files "
                             "with column statistics")),
    (re.compile(r"^\s*(export|import)\s+(external\s+)?table\b", re.I),
     _fail("export_import", "export_import", "EXPORT/IMPORT copies a table with its metadata between Hive "
                                             "warehouses: copy it with a plan dataset instead")),
    (re.compile(_T + r"(partition\s*\([^)]*\)\s*)?(concatenate|compact\b)", re.I),
     _drop("alter_table", "compaction", "small-file compaction: Iceberg does it with CALL "
                                        "<catalog>.system.rewrite_data_files")),
    (re.compile(_T + r"(touch|(un)?archive)\b", re.I),
     _drop("alter_table", "alter", "TOUCH/ARCHIVE only act on Hive metastore hooks or Hadoop archives")),
    (re.compile(_T + r"(partition\s*\([^)]*\)\s*)?set\s+serdeproperties\b", re.I), serde_properties),
    (re.compile(_T + r"(clustered|not\s+clustered|not\s+sorted|skewed|not\s+skewed)\b", re.I),
     _drop("alter_table", "alter", "Hive bucketing/skew metadata for future writes; the target's layout is set "
                                   "by its own DDL (Iceberg: ALTER TABLE ... ADD PARTITION FIELD bucket(N, col))")),
    (re.compile(_T + r"(?P<rest>unset\s+tblproperties\b.*)$", re.I | re.S), unset_tblproperties),
    (re.compile(_T + r"add\s+(?P<ine>if\s+not\s+exists\s+)?(?P<rest>partition\b.*)$", re.I | re.S), add_partitions),
    (re.compile(_T + r"drop\s+.*\)\s*(?P<purge>purge)\s*$", re.I | re.S), drop_partition_purge),
    (re.compile(_T + r"change\s+(column\s+)?\S+\s+(?P<new>\S+)\s+.*?\s(?P<pos>first|after\s+\S+)"
                r"(?P<tail>\s+(cascade|restrict))?\s*$", re.I | re.S), change_column_position),
    (re.compile(_T + r"(?P<rest>partition\s*\([^)]*\)\s*rename\s+to\s+partition\b.*)$", re.I | re.S),
     rename_partition),
    (re.compile(r"\bskewed\s+by\s*\([^)]*\)\s*on\s*\((?:[^()]|\([^)]*\))*\)(\s*stored\s+as\s+directories)?", re.I),
     skewed_by),
    (re.compile(r"\s+with\s+dbproperties\s*(?P<props>\([^)]*\))", re.I), db_properties),
    (re.compile(r"^\s*insert\s+overwrite\s+table\s+\S+(\s+partition\s*\([^)]*\))?\s+if\s+not\s+exists\b", re.I),
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
