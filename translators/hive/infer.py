"""Types of expressions, as far as the translator can know them: columns of tables declared in the script, a DDL
dump or the plan (``catalog``), literals, casts and the common built-ins. ``None`` means unknown; rules that
change semantics only act on known types.

Hive (and Spark without ANSI) convert between strings and numbers silently, ANSI Spark raises or picks other
types; the rules that keep Hive's results (``rules.rule_implicit_casts``, ``rule_insert_casts``,
``rule_union_types``) need to know which operands are strings.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from . import catalog
from .context import Context

INTEGRAL = ("tinyint", "smallint", "int", "bigint")
FRACTIONAL = ("float", "double")


def is_numeric(t: str | None) -> bool:
    return t is not None and (t in INTEGRAL or t in FRACTIONAL or t.startswith("decimal"))


def is_string(t: str | None) -> bool:
    return t is not None and (t == "string" or t.startswith(("varchar", "char")))


def normalize(t: str) -> str:
    t = re.sub(r"\s+", "", t.lower())
    return {"integer": "int", "text": "string", "real": "float"}.get(t, t)


_STRING_FUNCS = {"concat", "concat_ws", "substr", "substring", "upper", "lower", "ucase", "lcase", "trim", "ltrim",
                 "rtrim", "lpad", "rpad", "regexp_replace", "regexp_extract", "date_format", "from_unixtime",
                 "reverse", "repeat", "translate", "initcap", "get_json_object", "format_number", "printf",
                 "space", "hex", "md5", "sha1", "sha2", "base64", "parse_url", "split_part", "replace",
                 "substring_index", "current_user", "soundex"}
_INT_FUNCS = {"length", "size", "year", "month", "day", "dayofmonth", "hour", "minute", "second", "weekofyear",
              "datediff", "instr", "locate", "ascii", "quarter", "dayofweek", "find_in_set", "grouping_id"}
_BIGINT_FUNCS = {"count", "unix_timestamp", "row_number", "rank", "dense_rank", "ntile"}
_DOUBLE_FUNCS = {"avg", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "percent_rank",
                 "cume_dist", "rand", "exp", "ln", "log", "log10", "log2", "sqrt", "pow", "power", "sin", "cos",
                 "percentile", "corr", "covar_pop", "covar_samp", "degrees", "radians", "months_between"}
_DATE_FUNCS = {"to_date", "date_add", "date_sub", "last_day", "add_months", "next_day", "current_date", "trunc"}
_SAME_AS_ARG = {"min", "max", "first_value", "last_value", "lag", "lead", "abs", "coalesce", "nvl", "greatest",
                "least", "negative", "positive", "first", "last", "any_value"}


class Scope:
    """What the columns of one SELECT resolve to: its FROM/JOIN sources and their columns' types."""

    def __init__(self, sources: dict[str, dict[str, str | None]]) -> None:
        self.sources = sources

    def column(self, col: exp.Column) -> str | None:
        name = col.name.lower()
        if col.table:
            return self.sources.get(col.table.lower(), {}).get(name)
        hits = [cols[name] for cols in self.sources.values() if name in cols]
        return hits[0] if len(hits) == 1 else None


class Types:
    """Infers and memoizes types for one statement tree."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._scopes: dict[int, Scope] = {}
        self._ctes: dict[str, dict[str, str | None]] = {}

    # -- sources
    def _table_columns(self, table: exp.Table) -> dict[str, str | None] | None:
        if not table.db and table.name.lower() in self._ctes:
            return self._ctes[table.name.lower()]
        info = catalog.lookup(table, self.ctx)
        if info is None or not info.columns_known:
            return None
        return {n: normalize(t) for n, t in (*info.columns, *info.partitions)}

    def output_types(self, query: exp.Expression) -> dict[str, str | None]:
        """Output column name -> type of a query (a SELECT, a set operation: its first branch)."""
        while isinstance(query, exp.Subquery | exp.Paren):
            query = query.this
        if isinstance(query, exp.SetOperation):
            return self.output_types(query.this)
        if not isinstance(query, exp.Select):
            return {}
        out: dict[str, str | None] = {}
        for e in query.expressions:
            if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
                for src in self.scope(query).sources.values():
                    out.update(src)
                continue
            name = e.alias_or_name.lower()
            if name:
                out[name] = self.type_of(e)
        return out

    def scope(self, select: exp.Select) -> Scope:
        key = id(select)
        if key in self._scopes:
            return self._scopes[key]
        with_ = select.args.get("with_")
        for cte in (with_.expressions if with_ else []):
            self._ctes[cte.alias_or_name.lower()] = self.output_types(cte.this)
        sources: dict[str, dict[str, str | None]] = {}
        from_ = select.args.get("from_")
        items = [from_.this] if from_ is not None else []
        items += [j.this for j in select.args.get("joins") or []]
        for item in items:
            alias = (item.alias_or_name or "").lower()
            if isinstance(item, exp.Table):
                cols = self._table_columns(item)
                sources[alias or item.name.lower()] = cols if cols is not None else {}
            elif isinstance(item, exp.Subquery):
                sources[alias] = self.output_types(item.this)
        scope = Scope(sources)
        self._scopes[key] = scope  # before the laterals: their arguments resolve in this scope
        for lat in select.args.get("laterals") or []:
            alias = (lat.alias or "").lower()
            cols = {c.name.lower(): None for c in (lat.args.get("alias").columns if lat.args.get("alias") else [])}
            call = lat.this
            if isinstance(call, exp.Explode) and len(cols) == 1:
                arr = self.type_of(call.this, select)
                if arr and arr.startswith("array<"):
                    cols = {next(iter(cols)): arr[6:-1]}
            sources[alias] = cols
        return scope

    # -- expressions
    def type_of(self, e: exp.Expression, select: exp.Select | None = None) -> str | None:
        t = self._type_of(e, select)
        return normalize(t) if t else None

    def _type_of(self, e: exp.Expression, select: exp.Select | None) -> str | None:
        if select is None:
            found = e.find_ancestor(exp.Select)
            select = found if isinstance(found, exp.Select) else None
        if isinstance(e, exp.Alias | exp.Paren):
            return self.type_of(e.this, select)
        if isinstance(e, exp.Literal):
            if e.is_string:
                return "string"
            return "int" if re.fullmatch(r"-?\d+", e.name) and abs(int(e.name)) < 2 ** 31 else \
                "bigint" if re.fullmatch(r"-?\d+", e.name) else "decimal"
        if isinstance(e, exp.Boolean):
            return "boolean"
        if isinstance(e, exp.Cast):  # TryCast included
            return e.to.sql("hive")
        if isinstance(e, exp.Column):
            if isinstance(e.this, exp.Star) or select is None:
                return None
            return self.scope(select).column(e)
        if isinstance(e, exp.Neg):
            return self.type_of(e.this, select)
        if isinstance(e, exp.Div):
            return "double"
        if isinstance(e, exp.Add | exp.Sub | exp.Mul | exp.Mod):
            a, b = self.type_of(e.this, select), self.type_of(e.expression, select)
            if a is None or b is None:
                return None
            if is_string(a) or is_string(b) or a in FRACTIONAL or b in FRACTIONAL:
                return "double" if (is_numeric(a) or is_string(a)) and (is_numeric(b) or is_string(b)) else None
            if is_numeric(a) and is_numeric(b):
                if a.startswith("decimal") or b.startswith("decimal"):
                    return "decimal"
                return "bigint" if "bigint" in (a, b) else "int"
            return None
        if isinstance(e, exp.Predicate | exp.Not | exp.And | exp.Or | exp.Exists):
            return "boolean"
        if isinstance(e, exp.DPipe | exp.Concat | exp.ConcatWs | exp.Upper | exp.Lower | exp.Trim | exp.Substring):
            return "string"
        if isinstance(e, exp.Count):
            return "bigint"
        if isinstance(e, exp.Avg):
            return "double"
        if isinstance(e, exp.Sum):
            inner = self.type_of(e.this, select)
            return "bigint" if inner in INTEGRAL else "double" if inner in FRACTIONAL or is_string(inner) else None
        if isinstance(e, exp.Window):
            return self.type_of(e.this, select)
        if isinstance(e, exp.Case | exp.If):
            branches = [i.args.get("true") for i in e.args.get("ifs") or []] + [e.args.get("default")] \
                if isinstance(e, exp.Case) else [e.args.get("true"), e.args.get("false")]
            types = {self.type_of(b, select) for b in branches if b is not None and not isinstance(b, exp.Null)}
            return types.pop() if len(types) == 1 else None
        if isinstance(e, exp.Func):
            name = (e.name if isinstance(e, exp.Anonymous) else e.sql_name()).lower()
            if name in _STRING_FUNCS:
                return "string"
            if name in _INT_FUNCS:
                return "int"
            if name in _BIGINT_FUNCS:
                return "bigint"
            if name in _DOUBLE_FUNCS:
                return "double"
            if name in _DATE_FUNCS:
                return "date"
            if name in _SAME_AS_ARG:
                args = [a for a in [e.this, *e.expressions] if isinstance(a, exp.Expression)]
                types = {self.type_of(a, select) for a in args if not isinstance(a, exp.Null)}
                return types.pop() if len(types) == 1 else None
        return None


def item_type(types: Types, e: Any) -> str | None:
    return types.type_of(e) if isinstance(e, exp.Expression) else None
