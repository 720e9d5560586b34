"""HiveQL script -> Spark SQL script, statement by statement, with a record of every decision.

Steps per statement: variable substitution, script-level commands handled by text (SET, ADD, MSCK, shell
commands), otherwise sqlglot parses (Hive) -> statement handlers (DDL, multi-insert, ...) -> expression
rules -> sqlglot generates (Spark). A sqlglot ``Command`` fallback, a parser or generator warning, or an
exception makes the statement ``unsupported`` unless a rule handled it: nothing passes silently.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from . import catalog, ddl, files, settings
from .context import Context, Options, ScriptState
from .hive_commands import Handled, match_handler
from .hive_functions import mark_hive_functions
from .multi_insert import split_multi_insert
from .report import FileResult, StatementResult, TranslationReport
from .rewrites import (
    rewrite_constraints,
    rewrite_legacy_windowing,
    rewrite_local_tz_timestamp,
    rewrite_map_reduce,
    rewrite_ptfs,
    rewrite_transform_columns,
    rewrite_window_cluster_by,
)
from .rules import apply_rules
from .splitter import split_statements
from .text_output import stringify_collections
from .variables import HIVECONF_DEFAULTS, substitute

HIVE_SUFFIXES = (".hql", ".sql", ".q", ".hive")


@dataclass
class Prefixed:
    """A query to translate with the usual rules, emitted after a statement head written by a handler
    (``INSERT OVERWRITE DIRECTORY ... USING csv OPTIONS (...)`` + the SELECT)."""

    head: str
    tree: exp.Expression


class _Capture(logging.Handler):
    """Collects sqlglot's warnings (its way of saying 'unsupported, fell back')."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_SQLGLOT_LOGGER = logging.getLogger("sqlglot")


def _kind(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Create):
        return f"create_{(tree.kind or 'object').lower()}"
    if isinstance(tree, exp.MultitableInserts):
        return "multi_insert"
    if isinstance(tree, exp.Query):
        return "query"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(tree).__name__).lower()


_TEXT_KINDS = [
    ("set", re.compile(r"^set(\s|$)", re.I)),
    ("reset", re.compile(r"^reset(\s|$)", re.I)),
    ("add_resource", re.compile(r"^add\s+(jar|jars|file|files|archive|archives)\s", re.I)),
    ("shell", re.compile(r"^(dfs\s|!)", re.I)),
    ("source", re.compile(r"^source\s", re.I)),
    ("msck", re.compile(r"^msck\s", re.I)),
    ("explain", re.compile(r"^explain(\s+(extended|formatted|dependency|authorization|ast|locks|analyze|ddl|"
                           r"reoptimization|cbo(\s+(cost|joincost))?|vectorization(\s+(only|summary|operator|"
                           r"expression|detail))*))?\s", re.I)),
    ("show", re.compile(r"^(show|desc|describe)\s", re.I)),
    # ADD CONSTRAINT, and CHANGE COLUMN c c <type> CONSTRAINT n NOT NULL (same name and type: only a constraint)
    ("constraint", re.compile(r"^alter\s+table\s+\S+\s+(add\s+constraint\s|change\s+(column\s+)?(\S+)\s+\3\s+"
                              r"\S+\s+constraint\s)", re.I)),
]


_PTF_HINT = re.compile(r"\bnoop\w*\s*\(\s*on\b", re.I)
_WINDOW_CLUSTER_HINT = re.compile(r"\bover\s*\(\s*cluster\s+by\b", re.I)
_LEGACY_WINDOW_HINT = re.compile(r"\bas\s+`?\w+`?\s+over\b", re.I)
_LOCAL_TZ_HINT = re.compile(r"\btimestamp(localtz\b|\s+with\s+local\s+time\s+zone\b)", re.I)
_CONSTRAINT_HINT = re.compile(r"^\s*create\b[^(]*\btable\b.*\b(constraint|primary\s+key|foreign\s+key|unique|"
                              r"not\s+null|default|check|references)\b", re.I | re.S)
_TRANSFORM_AS_HINT = re.compile(r"\busing\s+('[^']*'|\"[^\"]*\")\s+as\s+[^\s(]", re.I)
_MAP_REDUCE_HINT = re.compile(r"\b(map|reduce)\b(?!\s*[(<])[^;]*?\busing\b", re.I | re.S)


class HiveTranslator:
    """Translates scripts with fixed options; one ``ScriptState`` per file."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()

    # ------------------------------------------------------------------ statements
    def translate_text(self, text: str, ctx: Context, result: StatementResult) -> list[str]:
        kind = next((k for k, rx in _TEXT_KINDS if rx.match(text)), None)
        handler = match_handler(text) if kind in (None, "show") else None
        if handler is not None:
            return self._handled(handler[1](handler[0], text, ctx), ctx, result)
        if kind == "set":
            result.kind = "set"
            return self._set(text, ctx)
        if kind == "reset":
            result.kind = "set"
            ctx.note("settings", "RESET dropped: the translated script sets only Spark confs it needs")
            return []
        if kind == "add_resource":
            result.kind = "add_resource"
            return [str(o) for o in ddl.add_resource(text, ctx)]
        if kind == "shell":
            result.kind = "shell"
            ctx.construct("shell_command")
            ctx.fail("shell", "dfs/! shell command: run it as a step of the job's orchestration (a Prefect task), "
                              "not inside Spark SQL")
            return []
        if kind == "source":
            result.kind = "source"
            ctx.fail("source", "SOURCE includes another script: translate that file as well and run it first")
            return []
        if kind == "msck":
            result.kind = "msck"
            return [str(o) for o in ddl.msck(text, ctx)]
        if kind == "explain":
            return self._explain(text, ctx, result)
        if kind == "show":
            result.kind = "show"
            ctx.construct("show")
            ctx.hit("show")  # same syntax in Spark; names are checked by Spark's parser (--check-spark)
            return [text]
        if kind == "constraint":
            result.kind = "alter"
            ctx.construct("constraint")
            if re.search(r"\b(disable|not\s+enforced)\b", text, re.I):
                ctx.note("constraint", "informational constraint (DISABLE NOVALIDATE) dropped: Hive did not "
                                       "enforce it and Parquet/Iceberg tables have no such constraints")
                return []
            ctx.fail("constraint", "enforced constraint: Parquet/Iceberg tables cannot enforce it; check the "
                                   "data with a validation rule (not_null/unique) in the plan instead")
            return []
        return self._parsed(text, ctx, result)

    def _explain(self, text: str, ctx: Context, result: StatementResult) -> list[str]:
        """``EXPLAIN <stmt>``: every statement the translation of ``stmt`` runs is explained, none executed (a
        split multi-insert or an ALTER that becomes several statements gives several EXPLAINs), and the
        script state is left as it was: Hive only planned the statement."""
        m = _TEXT_KINDS[6][1].match(text)
        assert m is not None
        ctx.construct("explain")
        mode = (m.group(2) or "").split()[0].upper() if m.group(2) else ""
        saved = copy.deepcopy(ctx.state)
        try:
            inner = self.translate_text(text[m.end():], ctx, result)
        finally:
            ctx.state.__dict__.update(saved.__dict__)
        result.kind = "explain"
        if mode and mode not in ("EXTENDED", "FORMATTED"):
            ctx.note("explain", f"EXPLAIN {m.group(2).strip().upper()}: Spark has no such mode; plain EXPLAIN")
        prefix = f"EXPLAIN {mode} " if mode in ("EXTENDED", "FORMATTED") else "EXPLAIN "
        settings_ = [o for o in inner if re.match(r"^\s*(set|reset|add|use)\s", o, re.I)]
        if settings_:
            ctx.note("explain", f"{len(settings_)} SET/ADD/USE statement(s) of the explained statement dropped: "
                                "EXPLAIN does not run them")
        out = [prefix + o for o in inner if o not in settings_]
        if not out and not ctx.failures:
            ctx.note("explain", "the explained statement translates to nothing in Spark: EXPLAIN dropped")
        return out

    def _handled(self, h: Handled, ctx: Context, result: StatementResult) -> list[str]:
        """Outputs of a text-level handler (hive_commands), translating any rewritten Hive text as usual."""
        outputs = list(h.outputs)
        for hive_text in h.reparse:
            outputs.extend(self._parsed(hive_text, ctx, result))
        result.kind = h.kind if not h.reparse or h.kind != "query" else result.kind
        if ctx.failures:
            return []
        if h.append_to_last and outputs:
            outputs[-1] = outputs[-1].rstrip() + h.append_to_last
        body = re.sub(r"^SELECT\s+", "", outputs[-1]) if h.reparse and outputs else ""
        outputs = [o for o in outputs if not (h.reparse and o.upper().startswith("SELECT") and "{body}" in
                                               " ".join(h.after))]
        outputs.extend(a.replace("{body}", body) for a in h.after)
        return outputs

    def _set(self, text: str, ctx: Context) -> list[str]:
        ctx.construct("set")
        kv = settings.parse_set(text)
        if kv is None:
            ctx.note("settings", f"{text.strip()}: a SET that only prints values, dropped")
            return []
        key, value = kv
        tr = settings.translate_set(key, value)
        if tr.action == settings.VARIABLE:
            ctx.state.variables.define(key, value)
            ctx.hit("variables")
            return []
        if key.lower().startswith("hiveconf:"):
            key = key.split(":", 1)[1]
        if ":" not in key:  # Hive reads SET keys back as ${hiveconf:key}
            ctx.state.variables.define(f"hiveconf:{key}", value)
        elif key.lower().startswith("system:"):  # a JVM system property, read back as ${system:key}
            ctx.state.variables.define(f"system:{key.split(':', 1)[1]}", value)
        ctx.hit("settings")
        if tr.note:
            ctx.note("settings", tr.note)
        return [tr.sql] if tr.sql else []

    def _parsed(self, text: str, ctx: Context, result: StatementResult) -> list[str]:
        text = self._rewrite_syntax(text, ctx)
        capture = _Capture()
        _SQLGLOT_LOGGER.addHandler(capture)
        try:
            trees = sqlglot.parse(mark_hive_functions(text), read="hive", error_level=ErrorLevel.RAISE)
        except SqlglotError as e:
            ctx.fail("parser", f"sqlglot cannot parse this Hive statement: {_first_line(str(e))}")
            return []
        finally:
            _SQLGLOT_LOGGER.removeHandler(capture)
        trees = [t for t in trees if t is not None]
        if len(trees) != 1:
            ctx.fail("parser", f"expected one statement, sqlglot found {len(trees)}")
            return []
        tree: Any = trees[0]
        result.kind = _kind(tree)
        if isinstance(tree, exp.Command):
            ctx.fail("parser", f"sqlglot does not understand '{tree.name} ...' (fell back to an opaque Command)")
            return []
        if isinstance(tree, exp.Alias | exp.Column | exp.Identifier | exp.Literal | exp.Dot):
            # e.g. "RELOAD FUNCTION" read as the expression "RELOAD AS FUNCTION": not a statement at all
            ctx.fail("parser", f"sqlglot read this as a bare expression ({type(tree).__name__}), not a statement")
            return []
        if capture.messages:
            ctx.fail("parser", f"sqlglot warned: {'; '.join(capture.messages)}")
            return []
        outputs: list[exp.Expression | str | Prefixed] = self._dispatch(tree, ctx)
        sql: list[str] = []
        for out in outputs:
            if isinstance(out, str):
                sql.append(out)
                continue
            head = ""
            if isinstance(out, Prefixed):
                head, out = out.head + "\n", out.tree
            out = apply_rules(out, ctx)
            sql.extend(ctx.before)
            ctx.before.clear()
            gen = _Capture()
            _SQLGLOT_LOGGER.addHandler(gen)
            try:
                sql.append(head + out.sql(dialect="spark", pretty=True, unsupported_level=ErrorLevel.RAISE))
            except SqlglotError as e:
                ctx.fail("generator", f"sqlglot cannot write this in Spark SQL: {_first_line(str(e))}")
            finally:
                _SQLGLOT_LOGGER.removeHandler(gen)
            if gen.messages:
                ctx.fail("generator", f"sqlglot warned while writing Spark SQL: {'; '.join(gen.messages)}")
        return sql

    def _rewrite_syntax(self, text: str, ctx: Context) -> str:
        """Hive-only syntax sqlglot cannot read, rewritten to equivalent HiveQL first (``rewrites``)."""
        if _PTF_HINT.search(text):
            text, ptfs = rewrite_ptfs(text)
            for name in dict.fromkeys(ptfs):
                ctx.construct("ptf")
                ctx.note("ptf", f"{name}(on t partition by p order by o) -> (SELECT * FROM t DISTRIBUTE BY p "
                                "SORT BY o): the pass-through PTF only partitions and orders its input")
        if _WINDOW_CLUSTER_HINT.search(text):
            text, n = rewrite_window_cluster_by(text)
            if n:
                ctx.hit("window_cluster_by")
        if _LEGACY_WINDOW_HINT.search(text):
            text, n = rewrite_legacy_windowing(text)
            if n:
                ctx.construct("window_function")
                ctx.note("legacy_windowing", "expr AS alias OVER w (Hive's early windowing syntax, which Hive 2 no "
                                             "longer accepts) -> expr OVER w AS alias")
        if _LOCAL_TZ_HINT.search(text):
            text, n = rewrite_local_tz_timestamp(text)
            if n:
                ctx.note("types", "TIMESTAMP WITH LOCAL TIME ZONE -> TIMESTAMP (Spark's TIMESTAMP is an instant "
                                  "shown in the session time zone, as Hive's local-time-zone timestamp)")
        if _CONSTRAINT_HINT.match(text):
            text, dropped, refused = rewrite_constraints(text, ctx.options.target_format)
            if dropped or refused:
                ctx.construct("constraint")
            if dropped:
                ctx.note("constraint", f"informational constraints dropped (Hive did not enforce them; Parquet/Iceberg "
                                       f"tables have none): {'; '.join(d.split(' (')[0] for d in dropped)}")
            for why in refused:
                ctx.fail("constraint", why)
        if _MAP_REDUCE_HINT.search(text):
            text, n = rewrite_map_reduce(text)
            if n:
                ctx.hit("transform")
        if _TRANSFORM_AS_HINT.search(text):
            text, _ = rewrite_transform_columns(text)
        return text

    def _dispatch(self, tree: exp.Expression, ctx: Context) -> list[exp.Expression | str | Prefixed]:
        if isinstance(tree, exp.MultitableInserts):
            return [out for branch in split_multi_insert(tree, ctx) for out in self._dispatch(branch, ctx)]
        if isinstance(tree, exp.Create):
            kind = (tree.kind or "").upper()
            if kind == "TABLE" or kind == "VIEW":
                if kind == "VIEW":
                    ctx.construct("create_view")
                return list(ddl.create_table(tree, ctx))
            if kind in ("DATABASE", "SCHEMA"):
                return list(ddl.create_database(tree, ctx))
            if kind == "FUNCTION":
                return list(ddl.create_function(tree, ctx))
        if isinstance(tree, exp.Use):
            return list(ddl.use(tree, ctx))
        if isinstance(tree, exp.Analyze):
            return list(ddl.analyze(tree, ctx))
        if isinstance(tree, exp.LoadData):
            return list(files.load_data(tree, ctx))
        if isinstance(tree, exp.Alter):
            return list(ddl.alter(tree, ctx))
        if isinstance(tree, exp.Insert):
            ctx.construct("insert_overwrite" if tree.args.get("overwrite") else "insert_into")
            if isinstance(tree.this, exp.Directory):
                return self._insert_directory(tree, ctx)
            if ctx.if_not_exists:
                return self._insert_if_absent(tree, ctx)
        if isinstance(tree, exp.Update | exp.Delete | exp.Merge):
            return list(self._row_level(tree, ctx))
        if isinstance(tree, exp.Drop):
            ctx.construct(f"drop_{(tree.kind or 'object').lower()}")
            if (tree.kind or "").upper() in ("DATABASE", "SCHEMA"):
                tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
                if len(tables) == 1 and isinstance(tables[0], exp.Table):
                    ddl.set_database_name(tree, tables[0].name or tables[0].db, ctx,
                                          "tables" if tree.args.get("tables") else "this")
        return [tree]

    def _insert_if_absent(self, tree: exp.Insert, ctx: Context) -> list[exp.Expression | str | Prefixed]:
        """INSERT OVERWRITE ... PARTITION (static) IF NOT EXISTS -> INSERT INTO ... WHERE NOT EXISTS (partition)."""
        table = tree.this
        part = table.args.get("partition") if isinstance(table, exp.Table) else None
        spec = list(part.expressions) if part is not None else []
        if not spec or not all(isinstance(e, exp.EQ) for e in spec) or tree.expression is None:
            ctx.fail("insert", "INSERT OVERWRITE ... IF NOT EXISTS with a dynamic partition: Hive skips the partitions "
                               "that exist; check them first in the job's flow")
            return []
        probe_table = table.copy()
        probe_table.set("partition", None)
        probe = exp.select("1").from_(probe_table).where(exp.and_(*(e.copy() for e in spec)))
        guarded = exp.select("*").from_(tree.expression.subquery("migrate_rows")).where(
            exp.Not(this=exp.Exists(this=probe)))
        tree.set("expression", guarded)
        tree.set("overwrite", False)
        ctx.hit("insert")
        ctx.note("insert", "INSERT OVERWRITE ... PARTITION (...) IF NOT EXISTS -> INSERT INTO ... WHERE NOT EXISTS "
                           "(a row of that partition): written only when the partition is absent, as in Hive")
        return [tree]

    def _row_level(self, tree: exp.Expression, ctx: Context) -> list[exp.Expression | str | Prefixed]:
        """UPDATE / DELETE / MERGE (Hive ACID tables): Iceberg has them; Spark's Parquet tables do not."""
        ctx.construct(type(tree).__name__.lower())
        if ctx.options.target_format != "iceberg":
            ctx.fail("row_level", f"{type(tree).__name__.upper()} needs a table format with row-level operations: "
                                  "Spark cannot update Parquet tables in place (target Iceberg, or rewrite the "
                                  "table with INSERT OVERWRITE ... SELECT)")
            return []
        if isinstance(tree, exp.Merge):
            target = tree.this if isinstance(tree.this, exp.Table) else None
            info = catalog.lookup(target, ctx) if target is not None else None
            for when in tree.find_all(exp.When):
                then = when.args.get("then")
                if not (isinstance(then, exp.Insert) and then.this is None and not then.is_star):
                    continue
                values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
                columns = [*info.columns, *info.partitions] if info is not None and info.columns_known else []
                if columns and len(columns) == len(values):
                    # Hive inserts the values in the table's column order (partition columns last)
                    then.set("this", exp.Tuple(expressions=[exp.column(exp.to_identifier(name))
                                                            for name, _ in columns]))
                    ctx.hit("row_level")
                    continue
                ctx.fail("row_level", "MERGE ... WHEN NOT MATCHED THEN INSERT VALUES (...) without a column list: "
                                      "Spark requires INSERT (col, ...) VALUES (...), and the target table's "
                                      "columns are not known (not created earlier in the script, nor in the DDL "
                                      "dump or the plan): list them in order")
        return [tree]

    def _insert_directory(self, tree: exp.Insert, ctx: Context) -> list[exp.Expression | str | Prefixed]:
        ctx.construct("insert_directory")
        head = files.directory_head(tree, ctx)
        if head is None or tree.expression is None:
            return []
        if head.startswith("INSERT OVERWRITE DIRECTORY USING csv"):
            stringify_collections(tree.expression, tree.this.args.get("row_format"), ctx)
        return [Prefixed(head, tree.expression)]

    def translate_statement(self, raw_text: str, file: str, line: int, end_line: int, state: ScriptState,
                            leading: Iterable[str] = ()) -> StatementResult:
        result = StatementResult(file=file, line=line, end_line=end_line, source=raw_text, kind="unknown",
                                 leading_comments=list(leading))
        ctx = Context(self.options, state)
        sub = substitute(raw_text, state.variables)
        result.substituted = sub.text if sub.used else None
        if sub.used:
            ctx.hit("variables")
            ctx.construct("variables")
        for ref in sub.defaulted:
            ctx.note("variables", f"${{{ref}}} is not defined (--var, the plan or a SET): Hive's default "
                                  f"{HIVECONF_DEFAULTS[ref.split(':')[-1]]} used; define it if the cluster sets "
                                  "another value")
        if sub.unresolved:
            # The kind does not depend on the values: a `dfs -ls ${x}` is still a shell step, a `SET k=${x}`
            # a setting (no data effect), whatever x turns out to be.
            result.kind = next((k for k, rx in _TEXT_KINDS if rx.match(sub.text.lstrip())), "unknown")
            result.unresolved = [f"${{{r}}}" for r in sub.unresolved]
            refs = ", ".join("${" + r + "}" for r in sub.unresolved)
            ctx.fail("variables", f"unresolved variable {refs}: define it with --var NAME=VALUE or in the plan")
        else:
            try:
                result.outputs = self.translate_text(sub.text, ctx, result)
            except Exception as e:  # a translator bug must still show up in the report, with its place
                ctx.fail("internal", f"translator error {type(e).__name__}: {_first_line(str(e))}")
        result.notes, result.failures = ctx.notes, ctx.failures
        result.rules, result.constructs = ctx.applied, ctx.constructs
        if result.failures:
            result.outputs = []
        return result

    # ------------------------------------------------------------------ scripts and files
    def translate_script(self, text: str, file: str = "<string>",
                         variables: dict[str, str] | None = None) -> FileResult:
        split = split_statements(text)
        state = ScriptState(variables=self.options.variables.copy())
        for name, value in (variables or {}).items():  # the job's own command line wins over --var
            state.variables.define(name, value)
        fr = FileResult(path=file, trailing_comments=split.trailing_comments)
        for st in split.statements:
            fr.statements.append(self.translate_statement(st.text, file, st.line, st.end_line, state,
                                                          st.leading_comments))
        return fr

    def translate_paths(self, paths: Iterable[str | Path]) -> TranslationReport:
        report = TranslationReport(options=_options_dict(self.options))
        files = list(iter_hive_files(paths))
        start = time.perf_counter()
        for f in files:
            report.files.append(self.translate_script(f.read_text(encoding="utf-8", errors="replace"), str(f),
                                                      self.options.file_variables.get(str(f.resolve()))))
        report.seconds = time.perf_counter() - start
        return report


def iter_hive_files(paths: Iterable[str | Path]) -> Iterable[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in HIVE_SUFFIXES)
        else:
            yield p


def _options_dict(o: Options) -> dict[str, object]:
    return {"target_format": o.target_format, "catalog": o.catalog, "table_map": o.table_map,
            "location_map": [list(x) for x in o.location_map], "ansi_rewrites": o.ansi_rewrites,
            "variables": sorted([*o.variables.hivevar, *(f"hiveconf:{k}" for k in o.variables.hiveconf)])}


def _first_line(msg: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", msg).strip().splitlines()[0][:300] if msg.strip() else "(no message)"


def render_script(fr: FileResult) -> str:
    """The translated script: notes and failures as comments above each statement, file:line kept."""
    lines = [f"-- Translated from {fr.path} (HiveQL -> Spark SQL) by migrate translate hive", ""]
    missing = fr.missing_variables()
    if missing:
        lines.append("-- Variables to define (--var NAME=VALUE or the plan), and the lines that need them:")
        lines += [f"--   {ref}: line{'s' if len(at) > 1 else ''} {', '.join(map(str, at))}"
                  for ref, at in missing.items()]
        lines.append("")
    for s in fr.statements:
        lines.extend(s.leading_comments)
        lines.append(f"-- [{s.status}] {s.where}")
        for n in s.notes:
            lines.append(f"-- NOTE ({n.rule}): {n.message}")
        for n in s.failures:
            lines.append(f"-- UNSUPPORTED ({n.rule}): {n.message}")
        if s.failures or not s.outputs:
            lines.extend("--   " + ln for ln in s.source.splitlines())
        for out in s.outputs:
            lines.append(out.rstrip() + ";")
        lines.append("")
    lines.extend(fr.trailing_comments)
    return "\n".join(lines).rstrip() + "\n"
