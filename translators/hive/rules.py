"""Small rewrite rules over sqlglot trees (Hive in, Spark out), applied in order.

Each rule is a pure function ``(tree, ctx) -> tree`` that records under its own name what it changed
(``ctx.hit``), what a reviewer must know (``ctx.note``) and what cannot be translated (``ctx.fail``).
Policy for Spark 4's ANSI mode (on by default): where Hive returns NULL and Spark would raise, the rule
rewrites to the ``try_*`` form so results match Hive, and says so in a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from . import catalog, infer
from .context import Context
from .hive_functions import rule_hive_functions
from .spark_functions import SPARK_BUILTIN_FUNCTIONS

Rule = Callable[[exp.Expression, Context], exp.Expression]


# ---------------------------------------------------------------- names and locations

def _split_name(name: str) -> list[str]:
    return [p.strip("`") for p in name.split(".")]


def map_table_parts(db: str | None, name: str, ctx: Context) -> list[str] | None:
    """Target [catalog, db, table] for a legacy table, or None when it stays as written."""
    opts = ctx.options
    key_db = (db or ctx.state.current_db or "").lower()
    full = f"{key_db}.{name.lower()}" if key_db else name.lower()
    if full in opts.table_map:
        return _split_name(opts.table_map[full])
    if db is None:
        return None  # unqualified names follow the (mapped) USE db
    if key_db in opts.table_map:
        return [*_split_name(opts.table_map[key_db]), name]
    if opts.catalog:
        return [opts.catalog, db, name]
    return None


def map_database(db: str, ctx: Context) -> str:
    opts = ctx.options
    if db.lower() in opts.table_map:
        return opts.table_map[db.lower()]
    return f"{opts.catalog}.{db}" if opts.catalog else db


_SCHEME = re.compile(r"^(hdfs|viewfs|mfs|maprfs|file)://[^/]*", re.I)


def _path_only(uri: str) -> str:
    return _SCHEME.sub("", uri)


def map_location(uri: str, ctx: Context, local: bool = False) -> str | None:
    """The target URI for a legacy location (longest mapped prefix wins), or None if unmapped. A ``local``
    path (on the Hive client's machine) only matches prefixes without a cluster scheme."""
    best: tuple[int, str] | None = None
    for old, new in ctx.options.location_map:
        if local and re.match(r"^(hdfs|viewfs|mfs|maprfs)://", old, re.I):
            continue
        for cand_old, cand_uri in ((old, uri), (_path_only(old), _path_only(uri))):
            if cand_old and (cand_uri == cand_old or cand_uri.startswith(cand_old.rstrip("/") + "/")):
                if best is None or len(cand_old) > best[0]:
                    best = (len(cand_old), new.rstrip("/") + cand_uri[len(cand_old.rstrip("/")):])
                break
    return best[1] if best else None


def table_for_location(uri: str, ctx: Context) -> str | None:
    """The target table a plan dataset gives for a legacy table location, if any."""
    want = _path_only(uri).rstrip("/")
    for legacy, table in ctx.options.location_tables:
        if _path_only(legacy).rstrip("/") == want:
            return table
    return None


def is_legacy_location(uri: str) -> bool:
    return bool(re.match(r"^(hdfs|viewfs|mfs|maprfs)://", uri, re.I)) or uri.startswith("/")


def _cte_names(ctx: Context) -> set[str]:
    return {cte.alias_or_name.lower() for cte in ctx.of(exp.CTE)}


def rule_table_names(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Legacy ``db.table`` -> target ``catalog.db.table`` (plan mapping, ``--table-map``, ``--catalog``)."""
    ctes = _cte_names(ctx)
    for table in ctx.of(exp.Table):
        if table.meta.get("database_name"):
            continue  # a database name, already mapped (ddl.set_database_name)
        if not isinstance(table.this, exp.Identifier) or table.args.get("catalog"):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        parts = map_table_parts(table.db or None, table.name, ctx)
        if parts is None:
            continue
        if [*(x for x in (table.catalog, table.db) if x), table.name] == parts:
            continue
        names = [exp.to_identifier(p) for p in parts]
        table.set("this", names[-1])
        table.set("db", names[-2] if len(names) >= 2 else None)
        table.set("catalog", names[-3] if len(names) >= 3 else None)
        ctx.hit("table_names")
    return tree


# ---------------------------------------------------------------- ANSI semantics

_CASTABLE_FAILS = (
    exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT,
    exp.DataType.Type.DECIMAL, exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE, exp.DataType.Type.DATE,
    exp.DataType.Type.TIMESTAMP, exp.DataType.Type.BOOLEAN,
)


def rule_ansi_cast(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``CAST(x AS INT|DATE|...)``: Hive (and Spark without ANSI) yields NULL for text that does not fit, truncates
    '1.5' to 1, and wraps numbers that overflow a narrower integral type; ANSI Spark raises for all three. Written
    as the cast Hive does (``hive_cast``)."""
    if not ctx.options.ansi_rewrites:
        return tree
    types: infer.Types | None = None
    # sqlglot reads Hive's CAST as a TryCast without ``safe`` (and writes it back as CAST): mark it safe.
    for cast in ctx.of(exp.Cast):
        if cast.args.get("safe") or not cast.to.is_type(*_CASTABLE_FAILS):
            continue
        if cast.find_ancestor(exp.ColumnDef, exp.Schema) or isinstance(cast.this, exp.Null) or (
                isinstance(cast.this, exp.Literal) and (not cast.this.is_string or _literal_fits(cast.this, cast.to))):
            continue  # column defs are types, not casts; a literal that fits is converted when the plan is built
        types = types or infer.Types(ctx)
        source = types.type_of(cast.this)
        inner = cast.this
        inner.pop()
        cast.replace(hive_cast(inner, source, cast.to.sql("hive")))
        ctx.note("ansi_cast", "CAST -> TRY_CAST (as Hive casts: NULL for a bad value, '1.5' to 1, overflow wraps); "
                              "Spark 4 (ANSI) raises")
    return tree


def _literal_fits(lit: exp.Literal, to: exp.DataType) -> bool:
    """A string literal ANSI Spark casts to ``to`` without raising."""
    text = lit.name.strip()
    if to.is_type(exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP):
        return _valid_date_literal(lit)
    if to.is_type(exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT,
                  exp.DataType.Type.BIGINT):
        return bool(re.fullmatch(r"[+-]?\d{1,9}", text))
    if to.is_type(exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT, exp.DataType.Type.DECIMAL):
        return bool(re.fullmatch(r"[+-]?\d{1,15}(\.\d{0,6})?", text))
    return to.is_type(exp.DataType.Type.BOOLEAN) and text.lower() in ("true", "false")


def _nonzero_literal(e: exp.Expression) -> bool:
    return isinstance(e, exp.Literal) and not e.is_string and float(e.this or 0) != 0


def rule_ansi_division(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``a / b`` -> ``try_divide(a, b)``: Hive returns NULL on a zero divisor, Spark 4 (ANSI) raises."""
    if not ctx.options.ansi_rewrites:
        return tree
    for div in ctx.of(exp.Div):
        if _nonzero_literal(div.expression):
            continue
        div.replace(exp.Anonymous(this="try_divide", expressions=[div.this, div.expression]))
        ctx.note("ansi_division", "a / b -> try_divide(a, b): Hive returns NULL on division by zero, "
                                  "Spark 4 (ANSI) raises")
    for mod in ctx.of(exp.Mod):
        if _nonzero_literal(mod.expression):
            continue
        mod.replace(exp.Anonymous(this="try_mod", expressions=[mod.this, mod.expression]))
        ctx.note("ansi_division", "a % b -> try_mod(a, b): Hive returns NULL for a zero divisor, Spark 4 (ANSI) raises")
    for node in [*ctx.of(exp.IntDiv), *(n for n in ctx.of(exp.Anonymous) if n.name.lower() == "pmod")]:
        divisor = node.expression if isinstance(node, exp.IntDiv) else (node.expressions[1:2] or [None])[0]
        if divisor is None or _nonzero_literal(divisor):
            continue
        guarded = exp.Case(ifs=[exp.If(this=exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)),
                                       true=exp.Null())], default=node.copy())
        node.replace(guarded)
        ctx.note("ansi_division", "DIV / pmod -> CASE WHEN divisor = 0 THEN NULL ELSE ... END: Hive returns NULL for "
                                  "a zero divisor, Spark 4 (ANSI) raises")
    return tree


def rule_ansi_datetime(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``unix_timestamp(s, fmt)`` / ``to_date(s)`` on text: Hive returns NULL for text it cannot parse,
    Spark 4 (ANSI) raises: parse with ``try_to_timestamp`` / ``try_to_date`` instead."""
    if not ctx.options.ansi_rewrites:
        return tree
    for node in ctx.of(exp.Anonymous):
        if node.name.upper() not in ("UNIX_TIMESTAMP", "TO_UNIX_TIMESTAMP") or not node.expressions:
            continue
        arg = node.expressions[0]
        if isinstance(arg, exp.CurrentTimestamp | exp.Null) or (isinstance(arg, exp.Literal) and not arg.is_string):
            continue
        fmt = node.expressions[1] if len(node.expressions) > 1 else exp.Literal.string("yyyy-MM-dd HH:mm:ss")
        parsed = exp.Anonymous(this="TRY_TO_TIMESTAMP", expressions=[arg, fmt])
        node.replace(exp.Anonymous(this="UNIX_TIMESTAMP", expressions=[parsed]))
        ctx.note("ansi_datetime", "unix_timestamp(s, fmt) -> unix_timestamp(try_to_timestamp(s, fmt)): Hive returns "
                                  "NULL for text it cannot parse, Spark 4 (ANSI) raises")
    for node in reversed(ctx.of(exp.TsOrDsToDate)):  # innermost first; arguments move, they are not copied
        arg = node.this
        if not node.args.get("safe") or arg is None or node.args.get("format") is not None \
                or isinstance(arg, exp.Null) or _valid_date_literal(arg):
            continue  # only explicit to_date() calls (sqlglot also wraps datediff/year/month arguments)
        node.replace(exp.Anonymous(this="TRY_TO_DATE", expressions=[arg]))
        ctx.note("ansi_datetime", "to_date(s) -> try_to_date(s): Hive returns NULL for text that is not a date, "
                                  "Spark 4 (ANSI) raises")
    return tree


# ---------------------------------------------------------------- functions and date formats

_SPARK = Dialect.get_or_raise("spark")
# Pattern letters that Java's SimpleDateFormat (Hive) and Spark 3+'s DateTimeFormatter read differently or that
# Spark rejects: week-based Y w W u e c, F (day-of-week-in-month), and S (milliseconds in SimpleDateFormat, a
# fraction of a second in Spark) unless written SSS. With them Spark must use SimpleDateFormat too, which its
# legacy time parser policy does for every datetime function of the session.
_LEGACY_LETTERS = set("YwWuecF")
_INVALID_LETTERS = set("AnNpBb")


def _pattern_letters(pattern: str) -> set[str]:
    # Text inside single quotes in a pattern is literal.
    return set(re.sub(r"'[^']*'", "", pattern))


def _needs_legacy(pattern: str) -> set[str]:
    letters = _pattern_letters(pattern) & _LEGACY_LETTERS
    unquoted = re.sub(r"'[^']*'", "", pattern)
    if any(len(run) != 3 for run in re.findall(r"S+", unquoted)):
        letters.add("S")
    return letters


def rule_date_formats(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Hive formats and parses dates with SimpleDateFormat patterns; where a pattern means something else to
    Spark's formatter, the script switches Spark to the legacy (SimpleDateFormat) parser policy."""
    for node in ctx.of(exp.Anonymous):
        if node.name.lower() not in ("date_format", "from_unixtime",
                                                                          "unix_timestamp", "to_timestamp",
                                                                          "to_unix_timestamp"):
            continue
        ctx.construct("date_format")
        patterns = [a.name for a in node.expressions[1:] if isinstance(a, exp.Literal) and a.is_string]
        for lit in patterns:
            legacy, invalid = _needs_legacy(lit) or {"pattern"}, _pattern_letters(lit) & _INVALID_LETTERS
            if invalid:
                ctx.note("date_formats", f"date pattern '{lit}' uses {''.join(sorted(invalid))}, which "
                                         "SimpleDateFormat rejects: the statement fails in Hive and in Spark")
            if legacy and not ctx.state.legacy_time_parser:
                ctx.before.append("SET spark.sql.legacy.timeParserPolicy=LEGACY")
                ctx.state.legacy_time_parser = True
            if legacy != {"pattern"}:
                ctx.note("date_formats", f"date pattern '{lit}' uses {''.join(sorted(legacy))}, which Spark's "
                                         "formatter reads differently from Hive's SimpleDateFormat: the script sets "
                                         "spark.sql.legacy.timeParserPolicy=LEGACY (SimpleDateFormat, as Hive)")
            else:
                ctx.note("date_formats", "datetime pattern: the script sets spark.sql.legacy.timeParserPolicy=LEGACY "
                                         "so that patterns format and parse as Hive's SimpleDateFormat did (lenient "
                                         "parsing of '2008-4-8', milliseconds for S)")
    return tree


# Hive functions whose Spark namesake behaves differently.
_DIFFERENT = {
    "hash": "hash(): Spark uses Murmur3, Hive uses Java hashCode; values differ (bucketing, sampling)",
    "rand": "rand(): a different random sequence than Hive for the same seed",
    "reflect": "reflect(): the Java class must be on the Spark classpath",
    "java_method": "java_method(): the Java class must be on the Spark classpath",
    "current_user": "current_user(): the Spark job's user, not the Hive session user",
}


def rule_functions(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Flag calls that are not Spark built-ins (UDFs to register) and built-ins that differ from Hive."""
    for node in ctx.of(exp.Func):
        if isinstance(node.parent, exp.Hint | exp.AddPartition):
            continue  # a join hint (rule_hints) or a partition spec, not a call
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name in _DIFFERENT:
                ctx.note("functions", _DIFFERENT[name])
            elif name in ctx.state.temp_functions:
                ctx.construct("udf")
            elif name not in SPARK_BUILTIN_FUNCTIONS and "." not in name:
                ctx.construct("udf")
                ctx.note("functions", f"{node.name}() is not a Spark built-in: register the UDF in the Spark "
                                      "job (CREATE FUNCTION ... USING JAR) or in the catalog")
        else:
            key = node.sql_name().lower()
            if key in _DIFFERENT:
                ctx.note("functions", _DIFFERENT[key])
    if any(r.root() is tree for r in ctx.of(exp.Rand)):
        ctx.note("functions", _DIFFERENT["rand"])
    for node in ctx.of(exp.Floor, exp.Ceil):
        unit = node.args.get("to")
        if unit is None:
            continue
        name = unit.name.upper()
        if isinstance(node, exp.Floor) and name in _TRUNC_UNITS:
            # Hive's FLOOR(ts TO unit) (the floor_<unit> UDFs) is Spark's date_trunc
            node.replace(exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string(name), node.this]))
            ctx.hit("functions")
        else:
            ctx.fail("functions", f"{node.sql('hive')}: Spark has no such rounding of a timestamp")
    return tree


_TRUNC_UNITS = {"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND"}


# Hints Spark's optimizer knows (others are ignored with a warning).
_SPARK_HINTS = {"broadcast", "broadcastjoin", "mapjoin", "merge", "shuffle_merge", "mergejoin", "shuffle_hash",
                "shuffle_replicate_nl", "coalesce", "repartition", "repartition_by_range", "rebalance"}


def rule_hints(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Hive join hints: MAPJOIN is Spark's BROADCAST; hints Spark does not know (STREAMTABLE ...) are dropped."""
    for hint in ctx.of(exp.Hint):
        ctx.construct("hint")
        keep = []
        for h in hint.expressions:
            if not isinstance(h, exp.Expression):  # sqlglot keeps a hint it could not read as text
                ctx.note("hints", f"hint {h} dropped: Spark has no such hint")
                continue
            name = (h.name if isinstance(h, exp.Func | exp.Var | exp.Column) else h.sql()).lower()
            if isinstance(h, exp.Func) and not isinstance(h, exp.Anonymous):
                name = h.sql_name().lower()
            if name in _SPARK_HINTS:
                keep.append(h)
            else:
                ctx.note("hints", f"hint {h.sql('hive')} dropped: Spark has no such hint (it decides the streamed "
                                  "side and join strategy itself; AQE adapts at run time)")
        if keep:
            hint.set("expressions", keep)
        else:
            hint.pop()
    return tree


# ---------------------------------------------------------------- clauses that keep their meaning

def rule_clauses(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Record constructs; note the ones whose behaviour a reviewer must keep in mind."""
    for sel in ctx.of(exp.Select):
        group = sel.args.get("group")
        if group is not None and len(group.expressions) == 1 and isinstance(group.expressions[0], exp.Tuple) \
                and not group.expressions[0].expressions and not any(group.args.get(k) for k in (
                    "grouping_sets", "cube", "rollup")):
            sel.set("group", None)  # GROUP BY (): one group of all rows, as an aggregate without GROUP BY
            ctx.hit("clauses")
        transform = any(isinstance(e, exp.QueryTransform) for e in sel.expressions)
        if transform and sel.args.get("hint") is not None:
            ctx.note("hints", "hint dropped: Spark takes no hint on a TRANSFORM query")
            sel.set("hint", None)
        for qt in (e for e in sel.expressions if isinstance(e, exp.QueryTransform)):
            for key in ("row_format_before", "row_format_after"):
                fmt = qt.args.get(key)
                serde = fmt.find(exp.RowFormatSerdeProperty) if fmt is not None else None
                if serde is None:
                    continue
                if serde.name.rsplit(".", 1)[-1] == "LazySimpleSerDe" and not serde.args.get("serde_properties"):
                    qt.set(key, None)  # Hive's default text SerDe: Spark's default format for TRANSFORM
                    ctx.note("transform", "ROW FORMAT SERDE LazySimpleSerDe dropped: the default text format of "
                                          "TRANSFORM in Spark too (tab-separated fields, \\N for NULL)")
                else:
                    ctx.fail("transform", f"TRANSFORM ... ROW FORMAT SERDE '{serde.name}': Spark runs a TRANSFORM with "
                                          "a SerDe only with Hive support; use ROW FORMAT DELIMITED")
        if sel.args.get("sort"):
            ctx.construct("sort_by")
            ctx.note("sort_by", "SORT BY orders rows within each task only (as in Hive), not a total "
                                "order: use ORDER BY where a global order is required")
        if sel.args.get("distribute"):
            ctx.construct("distribute_by")
        if sel.args.get("cluster"):
            ctx.construct("cluster_by")
        if sel.args.get("laterals"):
            outer = any(lat.args.get("outer") for lat in sel.args["laterals"])
            ctx.construct("lateral_view_outer" if outer else "lateral_view")
        if sel.args.get("joins"):
            ctx.construct("join")
        if sel.args.get("group"):
            ctx.construct("aggregation")
        if sel.args.get("limit") and not sel.args.get("order"):
            ctx.note("limit", "LIMIT without ORDER BY: which rows come back is up to the engine; Spark may return "
                              "other rows than Hive did")
    if ctx.of(exp.Window):
        ctx.construct("window_function")
    if ctx.of(exp.With):
        ctx.construct("cte")
    if ctx.of(exp.Union, exp.Intersect, exp.Except):
        ctx.construct("set_operation")
    if ctx.of(exp.QueryTransform):
        ctx.construct("transform")
        ctx.note("transform", "TRANSFORM ... USING runs the script on every executor: ship it with ADD FILE or "
                              "spark-submit --files; without Hive support Spark uses its own text serde "
                              "(NULL written as \\N as in Hive, but complex types as JSON)")
    for sample in ctx.of(exp.TableSample):
        ctx.construct("tablesample")
        if sample.args.get("bucket_field") is None:
            ctx.note("tablesample", "TABLESAMPLE picks different rows in Spark than in Hive")
    return tree


def rule_tablesample(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``t TABLESAMPLE (BUCKET x OUT OF y ON col)`` -> ``(SELECT * FROM t WHERE pmod(hash(col), y) = x - 1) t``:
    Spark has no bucket sampling on a column; the filter is deterministic, but Spark's hash is not Hive's, so
    the sample holds other rows than Hive's bucket x. ``ON rand()`` hashes the whole row instead."""
    for sample in ctx.of(exp.TableSample):
        table, field_ = sample.parent, sample.args.get("bucket_field")
        if field_ is None or not isinstance(table, exp.Table):
            continue
        num, den = sample.args.get("bucket_numerator"), sample.args.get("bucket_denominator")
        if num is None or den is None:
            continue
        key: exp.Expression = exp.Star() if isinstance(field_, exp.Rand) else \
            exp.column(field_.name) if isinstance(field_, exp.Identifier) else field_.copy()
        bucket = exp.Anonymous(this="pmod", expressions=[exp.Anonymous(this="hash", expressions=[key]), den.copy()])
        cond = exp.EQ(this=bucket, expression=exp.Literal.number(int(num.name) - 1))
        alias = table.alias or table.name
        sample.pop()
        sub = exp.select("*").from_("placeholder").where(cond).subquery(alias)
        table.replace(sub)
        table.set("alias", None)
        sub.this.args["from_"].set("this", table)  # the same node: later rules (table names) still see it
        ctx.hit("tablesample")
        ctx.note("tablesample", "TABLESAMPLE (BUCKET x OUT OF y ON col) -> a filter pmod(hash(col), y) = x - 1: "
                                "deterministic, but Spark's hash differs from Hive's, so the sample holds other "
                                "rows than Hive's bucket x")
    return tree


def _window_parts(w: exp.Window) -> tuple[Any, Any, Any]:
    return w.args.get("partition_by"), w.args.get("order"), w.args.get("spec")


def _resolve_window(by_name: dict[str, exp.Window], name: str, seen: tuple[str, ...] = ()) -> tuple[Any, Any, Any]:
    """(partition_by, order, frame) of a named window, following the windows it builds on."""
    d = by_name.get(name.lower())
    if d is None or name.lower() in seen:
        return None, None, None
    part, order, spec = _window_parts(d)
    base = d.args.get("alias")
    if isinstance(base, exp.Identifier):
        bp, bo, bs = _resolve_window(by_name, base.name, (*seen, name.lower()))
        part, order, spec = part or bp, order or bo, spec or bs
    return part, order, spec


def rule_named_windows(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Hive lets a window build on another (``WINDOW w2 AS (w1 ROWS ...)``, ``OVER (w1 ROWS ...)``); Spark only
    refers to a named window as a whole: such windows are written out in full where they are used."""
    for sel in ctx.of(exp.Select):
        defs = sel.args.get("windows") or []
        if not defs:
            continue
        by_name = {w.name.lower(): w for w in defs if isinstance(w.this, exp.Identifier)}
        uses = [w for w in sel.find_all(exp.Window) if not isinstance(w.this, exp.Identifier)
                and isinstance(w.args.get("alias"), exp.Identifier) and w.args["alias"].name.lower() in by_name]
        if not any(w.args.get("alias") for w in defs) and not any(any(_window_parts(u)) for u in uses):
            continue

        for use in uses:
            part, order, spec = _resolve_window(by_name, use.args["alias"].name)
            own_part, own_order, own_spec = _window_parts(use)
            use.set("partition_by", own_part or ([p.copy() for p in part] if part else None))
            use.set("order", own_order or (order.copy() if order else None))
            use.set("spec", own_spec or (spec.copy() if spec else None))
            use.set("alias", None)
        sel.set("windows", None)
        ctx.hit("named_windows")
    return tree


def rule_dynamic_partitions(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``INSERT OVERWRITE ... PARTITION (dt)``: overwrite only the partitions written, as Hive does."""
    for ins in ctx.of(exp.Insert):
        table = ins.this if isinstance(ins.this, exp.Table) else None
        part = table.args.get("partition") if table else None
        if part is None:
            continue
        dynamic = any(not isinstance(e, exp.EQ) for e in part.expressions)
        if dynamic:
            ctx.construct("dynamic_partition")
            ctx.note("dynamic_partitions", "dynamic partition: a NULL or empty partition value reads back as NULL "
                                           "in Spark; Hive stored it as __HIVE_DEFAULT_PARTITION__ and reads that "
                                           "string back in a STRING partition column")
        if any(isinstance(e, exp.EQ) for e in part.expressions):
            ctx.construct("static_partition")
        if dynamic and ins.args.get("overwrite") and not ctx.state.dynamic_overwrite_set:
            # Spark's default (static) would first delete every partition of the table.
            ctx.before.append("SET spark.sql.sources.partitionOverwriteMode=dynamic")
            ctx.state.dynamic_overwrite_set = True
            ctx.note("dynamic_partitions", "dynamic-partition INSERT OVERWRITE: set "
                                           "spark.sql.sources.partitionOverwriteMode=dynamic so that only the "
                                           "partitions written are replaced (Spark's default replaces all)")
    return tree


_UNITS = {"day": "DAY", "days": "DAY", "hour": "HOUR", "hours": "HOUR", "minute": "MINUTE", "minutes": "MINUTE",
          "second": "SECOND", "seconds": "SECOND", "month": "MONTH", "months": "MONTH", "year": "YEAR",
          "years": "YEAR"}


def rule_interval_shorthand(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Hive 2.2+ reads ``d + 30 days`` as an interval; sqlglot reads ``days`` as an alias: undo that."""
    for alias in ctx.of(exp.Alias):
        unit = _UNITS.get(alias.alias.lower())
        if unit is None or isinstance(alias.parent, exp.Select):
            continue  # a projection alias named "days" stays an alias
        target = alias.this
        while isinstance(target, exp.Binary) and not isinstance(target, exp.Connector):
            target = target.expression
        if not isinstance(target, exp.Literal | exp.Paren) or target.is_string:
            continue
        target.replace(exp.Interval(this=exp.Literal.string(target.name) if isinstance(target, exp.Literal)
                                    else target.copy(), unit=exp.Var(this=unit)))
        alias.replace(alias.this)
        ctx.hit("interval_shorthand")
        ctx.construct("interval")
    # Hive's INTERVAL (5) DAY / INTERVAL (expr) DAY: Spark takes only a literal after INTERVAL.
    for iv in list(tree.find_all(exp.Interval)) if ctx.of(exp.Interval, exp.Alias) else []:
        inner = iv.this.unnest() if isinstance(iv.this, exp.Paren) else None
        if inner is None:
            continue
        ctx.construct("interval")
        ctx.hit("interval_shorthand")
        if isinstance(inner, exp.Literal):
            iv.set("this", exp.Literal.string(inner.name))
        else:
            unit = iv.args.get("unit")
            one = exp.Interval(this=exp.Literal.string("1"), unit=unit.copy() if unit else None)
            iv.replace(exp.Paren(this=exp.Mul(this=exp.Paren(this=inner.copy()), expression=one)))
    return tree


_INT_BITS = {"tinyint": 8, "smallint": 16, "int": 32, "bigint": 64}


def hive_cast(e: exp.Expression, from_type: str | None, to_type: str) -> exp.Expression:
    """Cast as Spark without ANSI (Hive's stand-in) does, in ANSI Spark: NULL for text that does not fit, text
    with decimals truncated to an integral type ('1.5' -> 1), an integral value too wide for a narrower
    integral type wrapped around (300 -> TINYINT 44), a fractional one clamped to INT first."""
    to = normalize_type(to_type)
    if to.startswith(("varchar", "char")):
        n = re.sub(r"\D", "", to) or "65535"
        return exp.Substring(this=exp.TryCast(this=e, to=exp.DataType.build("string"), safe=True),
                             start=exp.Literal.number(1), length=exp.Literal.number(int(n)))
    target = exp.DataType.build(to, dialect="hive")
    source = normalize_type(from_type) if from_type else None
    if to in _INT_BITS and (source is None or infer.is_string(source)):
        # text: '1.5' -> 1 (read as a decimal first), too large -> NULL
        return exp.TryCast(this=exp.TryCast(this=e, to=exp.DataType.build("decimal(38,6)"), safe=True), to=target,
                           safe=True)
    fractional = source is not None and (source in infer.FRACTIONAL or source.startswith("decimal"))
    if to in _INT_BITS and to != "bigint" and fractional:
        # Spark reads a fractional value into INT (saturating), then narrows it
        lo, hi = exp.Literal.number(-(2 ** 31)), exp.Literal.number(2 ** 31 - 1)
        clamped = exp.Case(ifs=[exp.If(this=exp.GT(this=e.copy(), expression=hi), true=hi.copy()),
                                exp.If(this=exp.LT(this=e.copy(), expression=lo), true=lo.copy())], default=e)
        e = exp.Cast(this=clamped, to=exp.DataType.build("int"))
        source = "int"
    if to in _INT_BITS and source in _INT_BITS and _INT_BITS[source] > _INT_BITS[to]:
        half, full = exp.Literal.number(2 ** (_INT_BITS[to] - 1)), exp.Literal.number(2 ** _INT_BITS[to])
        shifted = exp.Add(this=exp.Paren(this=exp.Cast(this=e, to=exp.DataType.build("bigint"))), expression=half)
        wrapped = exp.Sub(this=exp.Anonymous(this="pmod", expressions=[shifted, full]), expression=half.copy())
        return exp.Cast(this=wrapped, to=target)
    return exp.TryCast(this=e, to=target, safe=True)


def normalize_type(t: str) -> str:
    return infer.normalize(t)


def _wrap(node: exp.Expression, make: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """Replace ``node`` by ``make(node)`` keeping the very node inside (later rules look nodes up by identity)."""
    placeholder = exp.Null()
    node.replace(placeholder)
    wrapped = make(node)
    placeholder.replace(wrapped)
    return wrapped


def _number_literal(e: exp.Expression) -> bool:
    return isinstance(e, exp.Literal) and (not e.is_string or bool(re.fullmatch(r"\s*[+-]?\d+(\.\d*)?\s*", e.name)))


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_MATH_FUNCS = (exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Sqrt, exp.Exp, exp.Ln, exp.Log, exp.Pow, exp.Sign)
_NUMERIC_AGGREGATES = (exp.Sum, exp.Avg, exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop)


def rule_implicit_casts(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Strings met with numbers or dates: Hive (and Spark without ANSI) converts them, a bad value becoming NULL;
    ANSI Spark converts them too but raises on a bad value, and in arithmetic picks BIGINT where Hive gives
    DOUBLE (``key + 2``). Where the operand types are known, the string side is cast as Hive does."""
    if not ctx.options.ansi_rewrites:
        return tree
    nodes = ctx.of(*_COMPARISONS, *_ARITHMETIC, exp.In, exp.Between)
    aggregates = ctx.of(*_NUMERIC_AGGREGATES)
    if not nodes and not aggregates and not ctx.of(*_MATH_FUNCS):
        return tree
    types = infer.Types(ctx)
    changed = False
    for node in nodes:
        if isinstance(node, _ARITHMETIC):
            operands = [node.this, node.expression]
            kinds = [types.type_of(o) for o in operands]
            if any(k in ("date", "timestamp") or (k or "").startswith("interval") for k in kinds) or \
                    isinstance(node.expression, exp.Interval) or isinstance(node.this, exp.Interval):
                continue  # date arithmetic
            for o, k in zip(operands, kinds, strict=True):
                if infer.is_string(k):  # Hive computes in DOUBLE; ANSI Spark would cast '2.5' to BIGINT and fail
                    _wrap(o, lambda x: exp.TryCast(this=x, to=exp.DataType.build("double"), safe=True))
                    changed = True
            continue
        if isinstance(node, exp.In | exp.Between):
            others = list(node.expressions) if isinstance(node, exp.In) else [node.args.get("low"),
                                                                             node.args.get("high")]
            if not others or any(o is None for o in others) or node.args.get("query") is not None:
                continue
            pairs = [(node.this, others[0])]
        else:
            pairs = [(node.this, node.expression), (node.expression, node.this)]
        for side, other in pairs:
            if side is None or other is None:
                continue
            t_side, t_other = types.type_of(side), types.type_of(other)
            if t_side == "boolean" and infer.is_numeric(t_other) and not isinstance(node, exp.In | exp.Between):
                _wrap(side, lambda x: exp.Cast(this=x, to=exp.DataType.build("int")))
                changed = True
                continue
            if not infer.is_string(t_side) or t_other is None or infer.is_string(t_other):
                continue
            if not (infer.is_numeric(t_other) or t_other in ("date", "timestamp", "boolean")):
                continue
            if isinstance(side, exp.Literal) and (re.fullmatch(r"\s*[+-]?\d+\s*", side.name) or (
                    _number_literal(side) and t_other not in infer.INTEGRAL)):
                continue  # ANSI Spark converts a valid number literal itself
            to = t_other if t_other in infer.INTEGRAL or t_other in ("date", "timestamp", "boolean") else "double"
            _wrap(side, lambda x, to=to: hive_cast(x, "string", to))  # type: ignore[misc]
            changed = True
    for fn in ctx.of(*_MATH_FUNCS):
        for arg in [fn.this, *fn.expressions] if fn.this is not None else []:
            if isinstance(arg, exp.Expression) and infer.is_string(types.type_of(arg)):
                _wrap(arg, lambda x: exp.TryCast(this=x, to=exp.DataType.build("double"), safe=True))
                changed = True
    for agg in aggregates:
        arg = agg.this
        if isinstance(arg, exp.Distinct):
            arg = arg.expressions[0] if arg.expressions else None
        if arg is not None and infer.is_string(types.type_of(arg)):
            _wrap(arg, lambda x: exp.TryCast(this=x, to=exp.DataType.build("double"), safe=True))
            changed = True
    if changed:
        ctx.note("implicit_casts", "strings compared with or computed against numbers/dates are cast as Hive does "
                                   "(TRY_CAST: a bad value is NULL, arithmetic is DOUBLE); ANSI Spark would raise "
                                   "or compute in BIGINT")
    return tree


_WRAP_BITS = {"tinyint": 8, "smallint": 16}


def rule_small_int_overflow(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """TINYINT/SMALLINT arithmetic stays in its type in Hive and wraps around on overflow (-19Y * -19Y = 105);
    ANSI Spark raises. Computed in INT and wrapped the same way."""
    if not ctx.options.ansi_rewrites:
        return tree
    nodes = ctx.of(exp.Add, exp.Sub, exp.Mul)
    if not nodes:
        return tree
    types = infer.Types(ctx)
    for node in nodes:
        a, b = types.type_of(node.this), types.type_of(node.expression)
        if a != b or a not in _WRAP_BITS:
            continue
        bits = _WRAP_BITS[a]
        half, full = exp.Literal.number(2 ** (bits - 1)), exp.Literal.number(2 ** bits)
        for operand in (node.this, node.expression):
            _wrap(operand, lambda x: exp.Cast(this=x, to=exp.DataType.build("int")))
        _wrap(node, lambda x, a=a, half=half, full=full: exp.Cast(  # type: ignore[misc]
            this=exp.Sub(this=exp.Anonymous(this="pmod", expressions=[exp.Add(this=exp.Paren(this=x), expression=half),
                                                                      full]),
                         expression=half.copy()), to=exp.DataType.build(a)))
        ctx.note("implicit_casts", f"{a.upper()} arithmetic wraps around on overflow in Hive, ANSI Spark raises: "
                                   "computed in INT and wrapped as Hive does")
    return tree


def expand_lone_star(select: exp.Select, types: infer.Types) -> None:
    """``SELECT * FROM ...`` and ``SELECT x.*, y.* ...``: the sources' columns written out (in their order) when
    they are known, so that each value can get the cast its target column needs."""
    items = select.expressions
    bare = len(items) == 1 and (isinstance(items[0], exp.Star) or (isinstance(items[0], exp.Column)
                                                                     and items[0].is_star and not items[0].table))
    qualified = [i for i in items if isinstance(i, exp.Column) and i.is_star and i.table]
    if not bare and not qualified:
        return
    joins = select.args.get("joins") or []
    if select.args.get("laterals") or select.args.get("group"):
        return
    if bare and any(j.args.get("using") or (j.args.get("kind") or "").upper() in ("SEMI", "ANTI") for j in joins):
        return  # the star's columns depend on the join's kind: left as it is
    sources = types.scope(select).sources

    def ident(name: str) -> exp.Identifier:
        return exp.to_identifier(name, quoted=not re.fullmatch(r"[a-z_][a-z0-9_]*", name))

    if bare:
        if not sources or any(not cols for cols in sources.values()):
            return
        select.set("expressions", [exp.Column(this=ident(name), table=ident(alias) if len(sources) > 1 else None)
                                   for alias, cols in sources.items() for name in cols])
        return
    out: list[exp.Expression] = []
    for item in items:
        if item in qualified:
            alias = item.table.lower()
            cols = sources.get(alias)
            if not cols:
                return  # a source whose columns are not known: every star stays
            out.extend(exp.Column(this=ident(name), table=ident(alias)) for name in cols)
        else:
            out.append(item)
    select.set("expressions", out)


def rule_insert_casts(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``INSERT`` into a table whose column types are known: Hive casts each value to its column's type (NULL when
    it does not fit); ANSI Spark refuses unsafe casts (``INCOMPATIBLE_DATA_FOR_TABLE.CANNOT_SAFELY_CAST``). The
    casts Hive applies are written out."""
    if not ctx.options.ansi_rewrites:
        return tree
    for ins in ctx.of(exp.Insert):
        table = ins.this
        if not isinstance(table, exp.Table) or table.args.get("columns"):
            continue
        info = catalog.lookup(table, ctx)
        if info is None or not info.columns_known or not info.columns:
            continue
        spec = table.args.get("partition")
        static = {e.this.name.lower() for e in (spec.expressions if spec else []) if isinstance(e, exp.EQ)}
        targets = [*info.columns, *(p for p in info.partitions if p[0].lower() not in static)] if spec or \
            not info.partitions else [*info.columns, *info.partitions]
        query = ins.expression
        rows: list[list[exp.Expression]] = []
        if isinstance(query, exp.Select):
            expand_lone_star(query, infer.Types(ctx))
            rows = [list(query.expressions)]
        elif isinstance(query, exp.Values):
            rows = [list(t.expressions) for t in query.expressions if isinstance(t, exp.Tuple)]
        if not rows or any(len(r) != len(targets) or any(isinstance(x, exp.Star | exp.QueryTransform) or
                                                         (isinstance(x, exp.Column) and x.is_star) for x in r)
                           for r in rows):
            continue
        types = infer.Types(ctx)
        cast_any = False
        for r in rows:
            for item, (_name, target) in zip(r, targets, strict=True):
                value = item.this if isinstance(item, exp.Alias) else item
                source = types.type_of(value)
                if source == normalize_type(target) or isinstance(value, exp.Null):
                    continue
                if source is not None and infer.is_numeric(source) and normalize_type(target) in ("double",
                                                                                                    "decimal"):
                    continue  # widening: ANSI Spark does it too
                _wrap(value, lambda x, s=source, t=target: hive_cast(x, s, t))  # type: ignore[misc]
                cast_any = True
        if cast_any:
            ctx.note("insert_casts", f"INSERT into {info.name}: values cast to the column types as Hive does "
                                     "(TRY_CAST: NULL for a value that does not fit); ANSI Spark refuses such inserts")
    return tree


def rule_union_types(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """UNION of a string column with a number/date column: Hive (and Spark without ANSI) makes the result a
    string, ANSI Spark a number (``0.0, '0'`` vs ``0.0, 0.0``). The non-string branches are cast to STRING."""
    if not ctx.options.ansi_rewrites:
        return tree
    tops = [u for u in ctx.of(exp.Union, exp.Intersect, exp.Except)
            if not isinstance(u.parent, exp.Union | exp.Intersect | exp.Except)]
    if not tops:
        return tree
    types = infer.Types(ctx)
    for top in tops:
        selects: list[exp.Select] = []
        stack: list[exp.Expression] = [top]
        while stack:
            node = stack.pop()
            while isinstance(node, exp.Subquery | exp.Paren):
                node = node.this
            if isinstance(node, exp.Union | exp.Intersect | exp.Except):
                stack += [node.expression, node.this]
            elif isinstance(node, exp.Select):
                selects.append(node)
        if len(selects) < 2 or len({len(s.expressions) for s in selects}) != 1:
            continue
        for i in range(len(selects[0].expressions)):
            items = [s.expressions[i] for s in selects]
            kinds = [types.type_of(it.this if isinstance(it, exp.Alias) else it) for it in items]
            if None in kinds or not any(infer.is_string(k) for k in kinds) or all(infer.is_string(k) for k in kinds):
                continue
            for it, k in zip(items, kinds, strict=True):
                if not infer.is_string(k):
                    value = it.this if isinstance(it, exp.Alias) else it
                    _wrap(value, lambda x: exp.Cast(this=x, to=exp.DataType.build("string")))
            ctx.note("union_types", "UNION of string and non-string columns: the result is a string in Hive, a "
                                    "number in ANSI Spark; the other branches are cast to STRING")
    return tree


def rule_branch_types(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """COALESCE / NVL / IF / CASE mixing string and number branches: a string in Hive (and Spark without ANSI),
    a number in ANSI Spark, which then fails on text. The number branches are cast to STRING."""
    if not ctx.options.ansi_rewrites:
        return tree
    nodes = ctx.of(exp.Coalesce, exp.If, exp.Case)
    types = infer.Types(ctx)
    for node in nodes:
        if isinstance(node, exp.Coalesce):
            branches = [node.this, *node.expressions]
        elif isinstance(node, exp.Case):
            branches = [i.args.get("true") for i in node.args.get("ifs") or []] + [node.args.get("default")]
        else:
            if isinstance(node.parent, exp.Case):
                continue  # a WHEN of a CASE, seen with the CASE
            branches = [node.args.get("true"), node.args.get("false")]
        branches = [b for b in branches if isinstance(b, exp.Expression) and not isinstance(b, exp.Null)]
        kinds = [types.type_of(b) for b in branches]
        if not any(infer.is_string(k) for k in kinds) or not any(infer.is_numeric(k) for k in kinds):
            continue
        for b, k in zip(branches, kinds, strict=True):
            if infer.is_numeric(k):
                _wrap(b, lambda x: exp.Cast(this=x, to=exp.DataType.build("string")))
        ctx.note("union_types", "COALESCE/IF/CASE of string and number branches: a string in Hive, a number in ANSI "
                                "Spark; the number branches are cast to STRING")
    for size in ctx.of(exp.ArraySize):
        _wrap(size, lambda x: exp.Coalesce(this=x, expressions=[exp.Literal.number(-1)]))
        ctx.note("subscripts", "size(NULL) is -1 in Hive (and Spark without ANSI), NULL in ANSI Spark: "
                               "coalesce(size(x), -1)")
    return tree


def rule_subscripts(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``arr[i]`` / ``m[k]`` past the end or with a missing key: NULL in Hive, an error in ANSI Spark for arrays:
    ``get(arr, i)`` (0-based, NULL out of range) and ``try_element_at(m, k)``."""
    if not ctx.options.ansi_rewrites:
        return tree
    brackets = ctx.of(exp.Bracket)
    if not brackets:
        return tree
    types = infer.Types(ctx)
    for b in reversed(brackets):
        if len(b.expressions) != 1:
            continue
        base, key = b.this, b.expressions[0]
        kind = types.type_of(base)
        is_map = (kind or "").startswith("map<") or (kind is None and isinstance(key, exp.Literal) and key.is_string)
        fn = "try_element_at" if is_map else "get"
        b.replace(exp.Anonymous(this=fn, expressions=[base, key]))
        ctx.note("subscripts", "arr[i] / m[k] -> get(arr, i) / try_element_at(m, k): Hive returns NULL past the end "
                               "of an array, Spark 4 (ANSI) raises")
    return tree


_DATE_ARG_NODES = (exp.TsOrDsAdd, exp.DateDiff, exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.WeekOfYear,
                   exp.Quarter, exp.DayOfWeek, exp.DayOfYear, exp.LastDay, exp.AddMonths)


# Hive functions (kept as calls by sqlglot) whose first argument is a date/timestamp, read from text if needed.
_DATE_ARG_FUNCS = {"date_format": "timestamp", "trunc": "date", "from_utc_timestamp": "timestamp",
                   "to_utc_timestamp": "timestamp", "next_day": "date", "dayofweek": "date", "quarter": "date"}


def _valid_date_literal(e: exp.Expression) -> bool:
    import datetime as dt

    if not (isinstance(e, exp.Literal) and e.is_string):
        return False
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})([ T]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?)?", e.name.strip())
    if not m:
        return False
    try:
        dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def rule_date_args(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Date functions on text: Hive reads text that is not a date as NULL, ANSI Spark raises while casting it;
    the argument is cast with TRY_CAST first (a date or timestamp argument is left alone)."""
    if not ctx.options.ansi_rewrites:
        return tree
    nodes = ctx.of(*_DATE_ARG_NODES, exp.MonthsBetween, exp.Hour, exp.Minute, exp.Second)
    nodes += [n for n in ctx.of(exp.Anonymous) if n.name.lower() in _DATE_ARG_FUNCS and n.expressions]
    if not nodes:
        return tree
    types = infer.Types(ctx)
    changed = False
    for node in nodes:
        if isinstance(node, exp.Anonymous):
            to, args = _DATE_ARG_FUNCS[node.name.lower()], [node.expressions[0]]
        else:
            to = "timestamp" if isinstance(node, exp.MonthsBetween | exp.Hour | exp.Minute | exp.Second) else "date"
            args = [node.this] + ([node.expression] if isinstance(node, exp.DateDiff | exp.MonthsBetween) else [])
        for arg in args:
            if arg is None or isinstance(arg, exp.Null) or _valid_date_literal(arg):
                continue
            if isinstance(arg, exp.TsOrDsToDate) and not arg.args.get("safe"):
                arg = arg.this  # sqlglot's own wrapper: cast what it wraps
                if arg is None or _valid_date_literal(arg):
                    continue
            kind = types.type_of(arg)
            if kind in ("date", "timestamp") or isinstance(arg, exp.TryCast) or (
                    kind is not None and not infer.is_string(kind)):
                continue
            _wrap(arg, lambda x, to=to: exp.TryCast(this=x, to=exp.DataType.build(to), safe=True))  # type: ignore[misc]
            changed = True
    if changed:
        ctx.note("ansi_datetime", "date functions on text: the text is cast with TRY_CAST first (Hive reads a value "
                                  "that is not a date as NULL, Spark 4 (ANSI) raises)")
    return tree


_WINDOW_ONLY = (exp.Lag, exp.Lead, exp.Rank, exp.DenseRank, exp.RowNumber, exp.Ntile, exp.CumeDist, exp.PercentRank)


def rule_window_shapes(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Hive windowing forms Spark rejects when it analyses the query (its parser accepts them), so the statement is
    refused with the reason instead of emitted: OVER on a function that only wraps an aggregate
    (``round(sum(x), 2) OVER w``), and LEAD/LAG/ranking functions without their own OVER inside a windowed
    expression (``sum(x - lag(x, 1)) OVER w``: Hive orders the LAG by the enclosing window)."""
    for w in ctx.of(exp.Window):
        f = w.this
        if w.arg_key == "windows" or isinstance(f, (exp.Identifier, exp.AggFunc, exp.Anonymous, *_WINDOW_ONLY)):
            continue
        if isinstance(f, exp.Expression) and f.find(exp.AggFunc):
            ctx.fail("windowing", f"{f.sql('hive')[:60]} OVER (...): OVER on a function around an aggregate; Spark "
                                  "wants the OVER on the aggregate itself (e.g. round(sum(x) OVER w, 2)): rewrite it")
    lifted = 0
    for f in ctx.of(*_WINDOW_ONLY):
        if not (isinstance(f.parent, exp.Window) and f.arg_key == "this"):
            if _lift_window_function(f, ctx, lifted + 1):
                lifted += 1
                continue
            ctx.fail("windowing", f"{f.sql('hive')[:40]} without its own OVER: Hive orders it by the enclosing "
                                  "window; Spark needs an OVER clause on it (in a subquery when the enclosing "
                                  "function is an aggregate): rewrite it")
    if lifted:
        ctx.nodes = list(tree.walk())
        ctx.note("windowing", "LEAD/LAG/ranking without its own OVER inside a windowed expression -> computed "
                              "first in a subquery over the enclosing window's PARTITION BY / ORDER BY (what Hive "
                              "does), the outer window then reads it")
    return tree


def _lift_window_function(f: exp.Expression, ctx: Context, n: int) -> bool:
    """``agg(... lag(x, 1) ...) OVER w`` (Hive evaluates the LAG over w's partitions and order) -> the same
    query over ``(SELECT *, lag(x, 1) OVER (PARTITION BY .. ORDER BY ..) AS migrate_wN FROM src WHERE ..)``:
    for a query of one source, without GROUP BY, joins, lateral views or a star in its select list."""
    w = f.find_ancestor(exp.Window)
    sel = f.find_ancestor(exp.Select)
    if w is None or sel is None or w.find_ancestor(exp.Select) is not sel:
        return False
    source = sel.args.get("from_")
    if source is None or not isinstance(source.this, exp.Table | exp.Subquery) or any(
            sel.args.get(k) for k in ("joins", "group", "having", "laterals", "qualify")) or any(
            isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
            for e in sel.expressions):
        return False
    part, order, _ = _window_parts(w)
    if not part and not order and isinstance(w.args.get("alias"), exp.Identifier):
        defs = {d.name.lower(): d for d in sel.args.get("windows") or [] if isinstance(d.this, exp.Identifier)}
        part, order, _ = _resolve_window(defs, w.args["alias"].name)
    if not order:
        return False  # Spark's LAG/LEAD/ranking need an order (Hive would have refused too)
    table = source.this
    alias = table.alias_or_name
    name = f"migrate_w{n}"
    over = exp.Window(this=f.copy(), partition_by=[p.copy() for p in part or []], order=order.copy())
    inner = exp.select(exp.Star(), exp.alias_(over, name)).from_(table.copy())
    where = sel.args.get("where")
    if where is not None:
        inner.set("where", where.copy())
        sel.set("where", None)
    f.replace(exp.column(name))
    source.set("this", inner.subquery(alias))
    ctx.hit("windowing")
    return True


def rule_types(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Types neither Spark nor Hive 2+ accept (DECIMAL above 38 digits, written by Hive 0.11 scripts)."""
    for dt in ctx.of(exp.DataType):
        if dt.is_type(exp.DataType.Type.DECIMAL):
            problem = catalog.type_problem(dt.sql("hive"))
            if problem:
                ctx.fail("types", problem)
    return tree


def _partition_constant(e: exp.Expression) -> exp.Expression | None:
    """The literal a constant partition value stands for (``CAST('2000-01-01' AS DATE)`` -> ``'2000-01-01'``),
    or None when it is not a constant Spark can take."""
    if isinstance(e, exp.Literal | exp.Null | exp.Boolean):
        return e
    if isinstance(e, exp.Paren):
        return _partition_constant(e.this)
    if isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal) and not e.this.is_string:
        return exp.Literal.number(f"-{e.this.name}")
    if isinstance(e, exp.Cast):
        inner = _partition_constant(e.this)
        if inner is None or isinstance(inner, exp.Null | exp.Boolean):
            return inner
        text = inner.sql("hive") if isinstance(inner, exp.Neg) else inner.name.strip()
        if e.to.is_type(*exp.DataType.TEXT_TYPES):
            return exp.Literal.string(text if isinstance(inner, exp.Neg) else inner.name)
        if e.to.is_type(exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP):
            return exp.Literal.string(text) if _valid_date_literal(exp.Literal.string(text)) else None
        if e.to.is_type(*exp.DataType.NUMERIC_TYPES) and re.fullmatch(r"[+-]?\d+(\.\d*)?", text):
            if e.to.is_type(*exp.DataType.INTEGER_TYPES) and "." in text:
                return None  # Hive truncates; the value would differ from the literal
            return exp.Literal.number(text)
    return None


def _truncate_partial_spec(tree: exp.Expression, ctx: Context) -> None:
    """``TRUNCATE TABLE t PARTITION (ds, hr = '12')``: Hive truncates every partition with hr = '12'; Spark's
    partial spec names only the keys with a value (a spec of no value at all is the whole table)."""
    if not isinstance(tree, exp.TruncateTable):
        return
    part = tree.args.get("partition")
    if part is None:
        return
    kept = [e for e in part.expressions if isinstance(e, exp.EQ)]
    if len(kept) != len(part.expressions):
        if kept:
            part.set("expressions", kept)
        else:
            tree.set("partition", None)
        ctx.hit("partitions")


_PREDICATES = (exp.In, exp.Between, exp.Like, exp.ILike, exp.Is, exp.RegexpLike)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)


def rule_predicate_operands(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``x IN (...) = TRUE``: Hive compares the predicate's result; Spark's grammar takes a predicate (IN, BETWEEN,
    LIKE, IS, RLIKE) only as a whole condition, so as an operand of a comparison it gets parentheses."""
    for node in ctx.of(*_PREDICATES):
        if isinstance(node.parent, _COMPARISONS) and node.arg_key in ("this", "expression"):
            node.replace(exp.Paren(this=node.copy()))
            ctx.hit("clauses")
    return tree


def rule_partition_values(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``PARTITION (dt = CAST('2000-01-01 00:00:00' AS TIMESTAMP))``: Hive evaluates a constant expression in a
    partition spec and keeps the value as text; Spark's partition spec takes literals only (and converts them
    to the column's type). A cast of a literal becomes the literal; any other expression is refused."""
    _truncate_partial_spec(tree, ctx)
    changed = False
    for part in ctx.of(exp.Partition):
        for eq in part.expressions:
            if not isinstance(eq, exp.EQ) or isinstance(eq.expression, exp.Literal | exp.Null):
                continue
            const = _partition_constant(eq.expression)
            if const is None:
                ctx.fail("partitions", f"partition value {eq.expression.sql('hive')}: Spark's partition spec takes "
                                       "a literal only; compute the value first (a variable) or write the "
                                       "literal")
                continue
            eq.set("expression", const.copy())
            changed = True
    if changed:
        ctx.hit("partitions")
        ctx.nodes = list(tree.walk())
    return tree


EXPRESSION_RULES: list[tuple[str, Rule]] = [
    ("partition_values", rule_partition_values),
    ("predicate_operands", rule_predicate_operands),
    ("hive_functions", rule_hive_functions),
    ("types", rule_types),
    ("hints", rule_hints),
    ("named_windows", rule_named_windows),
    ("window_shapes", rule_window_shapes),
    ("interval_shorthand", rule_interval_shorthand),
    ("tablesample", rule_tablesample),
    ("table_names", rule_table_names),
    ("dynamic_partitions", rule_dynamic_partitions),
    ("clauses", rule_clauses),
    ("date_formats", rule_date_formats),
    ("functions", rule_functions),
    ("insert_casts", rule_insert_casts),
    ("union_types", rule_union_types),
    ("small_int_overflow", rule_small_int_overflow),
    ("implicit_casts", rule_implicit_casts),
    ("date_args", rule_date_args),
    ("branch_types", rule_branch_types),
    ("subscripts", rule_subscripts),
    ("ansi_cast", rule_ansi_cast),
    ("ansi_division", rule_ansi_division),
    ("ansi_datetime", rule_ansi_datetime),
]


def apply_rules(tree: exp.Expression, ctx: Context) -> exp.Expression:
    # Rules replace only nodes of the type they look for, so the index stays valid for later rules.
    ctx.nodes = list(tree.walk())
    for _name, rule in EXPRESSION_RULES:
        tree = rule(tree, ctx)
    ctx.nodes = []
    return tree
