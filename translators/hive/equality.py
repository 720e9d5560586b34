"""Equal results, not only parseable ones: a HiveQL script runs in Spark's Hive mode (the stand-in for Hive:
Hive serde tables, ANSI off, Hive's implicit casts on INSERT, SimpleDateFormat dates) and its translation in
plain Spark 4 (ANSI on, Parquet tables), both over the same generated tables, statement by statement.

Every query's rows and every table a statement writes are compared (as multisets, floats to 9 significant
digits). Outcomes per statement: ``equal``, ``different``, ``failed_translation`` (the original ran, the
translation failed or was refused), ``failed_original`` (only the translation ran), ``failed_both``. A
difference or one-sided failure *downstream* of an earlier one (it reads a table that already differed) is
marked so. ``flagged`` says whether the translation report carries a note or a reason for the statement: a
direct difference the report does not flag is a translator bug.

Needs pyspark with Hive support (``tests/translators/conftest.py`` and ``benchmarks/hive_corpus.py`` give one
session; the runner opens two child sessions on it, one per side, so their SQL confs never mix).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from . import catalog, gen_data
from .context import Options, ScriptState
from .report import TRANSLATED, UNSUPPORTED, StatementResult
from .rewrites import rewrite_legacy_windowing, rewrite_ptfs, rewrite_window_cluster_by
from .splitter import split_statements
from .translate import HiveTranslator
from .variables import Variables

# The tables Hive's test driver creates before every clientpositive script (qt:dataset), as a DDL dump would
# declare them: scripts in that style read them without creating them.
HIVE_TEST_TABLES = """
CREATE TABLE default.src (key STRING, value STRING);
CREATE TABLE default.src1 (key STRING, value STRING);
CREATE TABLE default.srcpart (key STRING, value STRING) PARTITIONED BY (ds STRING, hr STRING);
CREATE TABLE default.srcbucket (key INT, value STRING) CLUSTERED BY (key) INTO 2 BUCKETS;
CREATE TABLE default.srcbucket2 (key INT, value STRING) CLUSTERED BY (key) INTO 4 BUCKETS;
CREATE TABLE default.src_thrift (aint INT, astring STRING, lint ARRAY<INT>, lstring ARRAY<STRING>,
  lintstring ARRAY<STRUCT<myint:INT, mystring:STRING, underscore_int:INT>>, mstringstring MAP<STRING, STRING>);
CREATE TABLE default.part (p_partkey INT, p_name STRING, p_mfgr STRING, p_brand STRING, p_type STRING,
  p_size INT, p_container STRING, p_retailprice DOUBLE, p_comment STRING);
CREATE TABLE default.lineitem (l_orderkey INT, l_partkey INT, l_suppkey INT, l_linenumber INT, l_quantity DOUBLE,
  l_extendedprice DOUBLE, l_discount DOUBLE, l_tax DOUBLE, l_returnflag STRING, l_linestatus STRING,
  l_shipdate STRING, l_commitdate STRING, l_receiptdate STRING, l_shipinstruct STRING, l_shipmode STRING,
  l_comment STRING) ROW FORMAT DELIMITED FIELDS TERMINATED BY '|';
CREATE TABLE default.alltypesorc (ctinyint TINYINT, csmallint SMALLINT, cint INT, cbigint BIGINT, cfloat FLOAT,
  cdouble DOUBLE, cstring1 STRING, cstring2 STRING, ctimestamp1 TIMESTAMP, ctimestamp2 TIMESTAMP,
  cboolean1 BOOLEAN, cboolean2 BOOLEAN) STORED AS ORC;
CREATE TABLE default.cbo_t1 (key STRING, value STRING, c_int INT, c_float FLOAT, c_boolean BOOLEAN)
  PARTITIONED BY (dt STRING);
CREATE TABLE default.cbo_t2 (key STRING, value STRING, c_int INT, c_float FLOAT, c_boolean BOOLEAN)
  PARTITIONED BY (dt STRING);
CREATE TABLE default.cbo_t3 (key STRING, value STRING, c_int INT, c_float FLOAT, c_boolean BOOLEAN);
"""

HIVE_MODE = {"spark.sql.ansi.enabled": "false", "spark.sql.storeAssignmentPolicy": "LEGACY",
             "spark.sql.legacy.timeParserPolicy": "LEGACY", "spark.sql.legacy.createHiveTableByDefault": "true",
             "hive.exec.dynamic.partition.mode": "nonstrict", "spark.sql.crossJoin.enabled": "true"}
ANSI_MODE = {"spark.sql.ansi.enabled": "true"}

EQUAL, DIFFERENT = "equal", "different"
TIES = "equal up to rows tied on the ORDER BY keys under LIMIT"
FAILED_TRANSLATION, FAILED_ORIGINAL, FAILED_BOTH = "failed_translation", "failed_original", "failed_both"
OUTCOMES = (EQUAL, DIFFERENT, FAILED_TRANSLATION, FAILED_ORIGINAL, FAILED_BOTH)

_SKEWED_BY = re.compile(r"\bskewed\s+by\s*\([^)]*\)\s*on\s*\((?:[^()]|\([^)]*\))*\)(\s*stored\s+as\s+directories)?",
                        re.I)

# Statement kinds that are run on both sides to keep them in step but not compared.
_NOT_RUN = {"shell", "source", "add_resource", "explain", "show", "msck", "analyze", "lock", "grant", "index"}
_COMPARED = {"query", "insert", "multi_insert", "load_data", "update", "delete", "merge"}


@dataclass
class Outcome:
    where: str
    kind: str
    status: str
    flagged: bool  # the translation report has a note or a reason for this statement
    downstream: bool = False  # reads a table that already differed or failed on one side
    reason: str = ""  # the first error, or what differed
    report_notes: list[str] = field(default_factory=list)
    stand_in: str = ""  # what the Hive-mode side ran instead of Hive-only syntax it cannot parse (_stand_in)


@dataclass
class EqualityReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        c = Counter(o.status for o in self.outcomes)
        out = {k: c.get(k, 0) for k in OUTCOMES}
        out["compared"] = len(self.outcomes)
        out["original_stand_in"] = sum(1 for o in self.outcomes if o.stand_in)
        out["equal_up_to_ties"] = sum(1 for o in self.outcomes if o.status == EQUAL and o.reason == TIES)
        out["downstream"] = sum(1 for o in self.outcomes if o.downstream and o.status != EQUAL)
        out["unflagged"] = len(self.unflagged())
        return out

    def unflagged(self) -> list[Outcome]:
        """Direct differences / translation-side failures the translation report says nothing about."""
        return [o for o in self.outcomes if o.status in (DIFFERENT, FAILED_TRANSLATION) and not o.downstream
                and not o.flagged]


# ---------------------------------------------------------------- comparing rows

def _norm(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else float(f"{v:.9g}")
    if isinstance(v, Decimal):
        return float(f"{float(v):.9g}")
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted(((_norm(k), _norm(x)) for k, x in v.items()), key=repr))
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def _rows(df: Any) -> Counter[Any]:
    return Counter(tuple(_norm(x) for x in r) for r in df.collect())


def _diff(a: Counter[Any], b: Counter[Any]) -> str:
    if a == b:
        return ""
    only_a, only_b = a - b, b - a
    sample = next(iter(only_a or only_b))
    side = "Hive mode" if only_a else "translation"
    return (f"{sum(a.values())} vs {sum(b.values())} rows; {sum(only_a.values())} only in Hive mode, "
            f"{sum(only_b.values())} only in the translation; e.g. {side} has {str(sample)[:160]}")


def _error(e: Exception) -> str:
    msg = str(getattr(e, "desc", None) or e)
    return re.sub(r"\s+", " ", msg.split("\n== SQL")[0].split("\nJVM stacktrace")[0]).strip()[:300]


# ---------------------------------------------------------------- the runner

class EqualityRun:
    """Runs scripts on both sides over base tables generated from a Hive DDL (a dump of the legacy tables)."""

    def __init__(self, spark: Any, work: Path, base_ddl: str, *, rows: int = 40, seed: int = 7,
                 variables: list[str] | None = None, target_format: str = "parquet") -> None:
        self.hive, self.tgt = spark.newSession(), spark.newSession()
        for k, v in HIVE_MODE.items():
            self.hive.conf.set(k, v)
        for k, v in ANSI_MODE.items():
            self.tgt.conf.set(k, v)
        for session in (self.hive, self.tgt):  # tiny tables: one task per stage
            session.conf.set("spark.sql.shuffle.partitions", "1")
        self.work, self.rows, self.seed, self.target_format = work, rows, seed, target_format
        self.orig_dir, self.tgt_dir = work / "orig", work / "tgt"
        self.variables = list(variables or [])
        self.base_ddl = base_ddl
        self.base = catalog.tables_from_ddl(base_ddl, "base tables")
        self._created: set[str] = set()
        self._made: dict[str, list[tuple[str, str]]] = {"hive": [], "tgt": []}

    # -- databases and paths
    @staticmethod
    def target_db(db: str) -> str:
        return f"t_{db.lower()}"

    def _legacy_prefixes(self) -> list[tuple[str, str, str]]:
        """(legacy prefix, original side, translated side): paths in the scripts, mapped to folders here."""
        pairs = [("hdfs://nn:8020/", "hdfs"), ("../../data/files", "data/files"), ("../data/files", "data/files"),
                 ("file:/tmp/", "tmp"), ("/tmp/", "tmp")]
        return [(old, f"file:{self.orig_dir}/{new}", f"file:{self.tgt_dir}/{new}") for old, new in pairs]

    def _orig_text(self, text: str) -> str:
        """The original statement with its legacy paths pointing at the original side's folders (one pass, so a
        replaced path is not replaced again)."""
        prefixes = {old: orig for old, orig, _ in self._legacy_prefixes()}
        pattern = "|".join(re.escape(old) for old in sorted(prefixes, key=len, reverse=True))
        return re.sub(rf"(['\"])({pattern})", lambda m: m.group(1) + prefixes[m.group(2)], text)

    def _local(self, uri: str, side: str) -> Path | None:
        for old, orig, tgt in self._legacy_prefixes():
            if uri.startswith(old):
                base = orig if side == "orig" else tgt
                return Path(base.removeprefix("file:") + "/" + uri[len(old):].lstrip("/"))
        return None

    # -- base tables
    def _databases(self, text: str) -> set[str]:
        dbs = {"default", *(info.name.split(".")[0] for info in self.base.values())}
        dbs |= {m.lower() for m in re.findall(r"\b(?:database|schema)\s+(?:if\s+(?:not\s+)?exists\s+)?`?(\w+)`?",
                                              text, re.I)}
        dbs |= {m.lower() for m in re.findall(r"^\s*use\s+`?(\w+)`?", text, re.I | re.M)}
        return dbs

    def create_base_tables(self, names: set[str]) -> None:
        """(Re)create base tables on both sides with the same generated rows (Parquet on both: the Hive side
        keeps Hive's semantics in its session confs; how base rows are stored does not change them)."""
        for name in sorted(names):
            info = self.base[name]
            db, tname = name.split(".")
            data = gen_data.rows(info, self.rows, self.seed)
            parts = [p for p, _ in info.partitions]
            for session, dbname in ((self.hive, db), (self.tgt, self.target_db(db))):
                session.sql(f"CREATE DATABASE IF NOT EXISTS {dbname}")
                session.sql(f"DROP TABLE IF EXISTS {dbname}.{tname}")
                writer = session.createDataFrame(data, gen_data.spark_schema(info)).write.format(self.target_format)
                if parts:
                    writer = writer.partitionBy(*parts)
                writer.saveAsTable(f"{dbname}.{tname}")
            self._created.add(name)

    def _reset(self, text: str) -> None:
        """Drop what the previous script created; (re)create the base tables this script reads or changes."""
        for session, objects in ((self.hive, self._made["hive"]), (self.tgt, self._made["tgt"])):
            session.sql("USE default")
            for kind, name in reversed(objects):
                try:
                    session.sql(f"DROP {kind} IF EXISTS {name}{' CASCADE' if kind == 'DATABASE' else ''}")
                except Exception:  # a view where a table was expected, or the other way round
                    session.sql(f"DROP {'VIEW' if kind == 'TABLE' else 'TABLE'} IF EXISTS {name}")
            objects.clear()
            for view in session.catalog.listTables():
                if view.isTemporary:
                    session.catalog.dropTempView(view.name)
        for d in (self.orig_dir, self.tgt_dir):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
        used = {name for name in self.base if re.search(rf"\b{re.escape(name.split('.')[1])}\b", text, re.I)}
        touched = {name for name in used & self._created if re.search(
            rf"\b(drop|insert|load|alter|create|truncate)\b[^;]*\b{re.escape(name.split('.')[1])}\b", text, re.I)}
        if (used - self._created) | touched:
            self.create_base_tables((used - self._created) | touched)
        self.tgt.sql("CREATE DATABASE IF NOT EXISTS t_default")
        self.hive.sql("USE default")
        self.tgt.sql("USE t_default")

    def _remember_created(self, sql: str, side: str) -> None:
        """Objects a statement creates, dropped before the next script (base tables are kept)."""
        m = re.match(r"^\s*create\s+(?:or\s+replace\s+)?(?:temporary\s+|external\s+)*(table|view|database|schema)"
                     r"\s+(?:if\s+not\s+exists\s+)?([`\w.]+)", sql, re.I)
        if not m:
            return
        kind = "DATABASE" if m.group(1).lower() in ("database", "schema") else m.group(1).upper()
        name = m.group(2)
        if kind != "DATABASE" and "." not in name:
            db = (self.hive if side == "hive" else self.tgt).catalog.currentDatabase()
            name = f"{db}.{name}"
        self._made[side].append((kind, name))

    # -- LOAD DATA inputs
    def _load_inputs(self, tree: exp.LoadData, state: ScriptState, options: Options) -> None:
        """Write the file a LOAD DATA reads, the same rows on both sides, in the table's storage format."""
        table = tree.this
        path = tree.args["inpath"].name
        if not isinstance(table, exp.Table):
            return
        from .context import Context

        info = catalog.lookup(table, Context(options, state))
        if info is None or not info.columns:
            return
        data = gen_data.rows(info, self.rows, self.seed + len(path), with_partitions=False)
        for side in ("orig", "tgt"):
            local = self._local(path, side)
            if local is None or local.exists():
                continue
            target = local if "." in local.name else local / "000000_0"
            target.parent.mkdir(parents=True, exist_ok=True)
            if info.storage in ("text", "unknown"):
                target.write_text(gen_data.hive_text(info, data), encoding="utf-8")
            elif info.storage == "regex":
                target.write_text("\n".join(" ".join(str(v) for v in row) for row in data) + "\n")
            elif info.storage in ("orc", "parquet", "avro", "json"):
                df = self.tgt.createDataFrame(data, gen_data.spark_schema(info, with_partitions=False))
                out = str(local if "." not in local.name else local.parent / (local.name + ".dir"))
                df.coalesce(1).write.mode("overwrite").format(info.storage).save(out)
                if "." in local.name:
                    part = next(p for p in Path(out).iterdir() if p.name.startswith("part-"))
                    shutil.move(str(part), local)
                    shutil.rmtree(out)

    # -- one script
    def run_script(self, text: str, name: str, report_into: list[StatementResult] | None = None) -> EqualityReport:
        try:
            return self._run_script(text, name, report_into)
        except Exception as e:  # the run itself broke (not one side of a statement): report it, go on
            failed = EqualityReport()
            failed.outcomes.append(Outcome(f"{name}:0", "script", FAILED_BOTH, True, False,
                                           f"equality run stopped: {_error(e)}"))
            return failed

    def _run_script(self, text: str, name: str, report_into: list[StatementResult] | None) -> EqualityReport:
        self._reset(text)
        dbs = self._databases(text)
        options = Options(target_format=self.target_format, table_map={db: self.target_db(db) for db in dbs},
                          location_map=[(old, tgt) for old, _, tgt in self._legacy_prefixes()],
                          variables=Variables.from_assignments(self.variables), known_tables=dict(self.base))
        translator = HiveTranslator(options)
        state = ScriptState(variables=options.variables.copy())
        result = EqualityReport()
        tainted: set[str] = set()  # legacy table names whose contents already differ between the sides
        for raw in split_statements(text).statements:
            loads = self._parse(raw.text, state.variables)
            if isinstance(loads, exp.LoadData):
                self._load_inputs(loads, state, options)
            st = translator.translate_statement(raw.text, name, raw.line, raw.end_line, state)
            if report_into is not None:
                report_into.append(st)
            if st.kind in _NOT_RUN:
                continue
            orig_sql = self._orig_text(st.substituted or raw.text)
            o_err, o_rows = self._run(self.hive, [orig_sql], st.kind == "query")
            stand_in = ""
            if o_err and st.status != UNSUPPORTED:
                alt = self._stand_in(orig_sql, st)
                if alt is not None:
                    a_err, a_rows = self._run(self.hive, alt[1], st.kind == "query")
                    if a_err is None:
                        o_err, o_rows, stand_in = None, a_rows, alt[0]
            t_err, t_rows = (("refused: " + st.failures[0].message, None) if st.status == UNSUPPORTED else
                             self._run(self.tgt, st.outputs, st.kind == "query"))
            if st.kind not in _COMPARED and not (st.kind.startswith("create") and "ctas" in st.constructs):
                # DDL is not compared, but a table it failed to create or change (on either side), or changed with
                # a note (a dropped SERDEPROPERTIES clause, ...), makes later reads of it downstream.
                if t_err and not o_err and st.status != UNSUPPORTED:  # the translator's own failure: an outcome
                    result.outcomes.append(Outcome(st.where, st.kind, FAILED_TRANSLATION, st.status != TRANSLATED,
                                                   False, t_err, [f"{n.rule}: {n.message}" for n in st.notes]))
                if o_err or t_err or (st.kind == "alter" and st.status != TRANSLATED):
                    tainted |= self._ddl_target(orig_sql)
                elif re.match(r"^\s*create\b", orig_sql, re.I):  # made anew on both sides
                    tainted -= self._ddl_target(orig_sql)
                continue
            written = self._written(st, orig_sql)
            read = self._read(st, orig_sql)
            downstream = bool(read & tainted)
            flagged = st.status != TRANSLATED
            notes = [f"{n.rule}: {n.message}" for n in (*st.failures, *st.notes)]
            if o_err and t_err:
                status, reason = FAILED_BOTH, o_err
                tainted |= written  # a multi-statement translation may have written part of it
            elif o_err:
                status, reason = FAILED_ORIGINAL, o_err
                tainted |= written
            elif t_err:
                status, reason = FAILED_TRANSLATION, t_err
                tainted |= written
            else:
                reason = ""
                tie = ""
                if st.kind == "query":
                    reason = _diff(o_rows or Counter(), t_rows or Counter())
                    if reason and st.outputs and self._ties_under_limit(orig_sql, st.outputs[-1]):
                        reason, tie = "", TIES
                for legacy in sorted(written):
                    d = self._compare_table(legacy)
                    if d:
                        reason = reason or f"{legacy}: {d}"
                        tainted.add(legacy)
                    else:
                        tainted.discard(legacy)
                status = DIFFERENT if reason else EQUAL
                reason = reason or tie
            st.equality = status if not downstream or status == EQUAL else f"{status} (downstream)"
            result.outcomes.append(Outcome(st.where, st.kind, status, flagged, downstream and status != EQUAL,
                                           reason, notes, stand_in))
        return result

    @staticmethod
    def _parse(text: str, variables: Variables) -> exp.Expression | None:
        from .variables import substitute

        try:
            tree = sqlglot.parse_one(substitute(text, variables).text, read="hive")
        except (SqlglotError, ValueError):
            return None
        return tree if isinstance(tree, exp.Expression) else None

    def _run(self, session: Any, statements: list[str], query: bool) -> tuple[str | None, Counter[Any] | None]:
        rows: Counter[Any] | None = None
        try:
            for i, sql in enumerate(statements):
                self._remember_created(sql, "hive" if session is self.hive else "tgt")
                df = session.sql(sql)
                if query and i == len(statements) - 1:
                    rows = _rows(df)
        except Exception as e:  # a failure on one side is an outcome, not an error of the run
            return _error(e), None
        return None, rows

    def _tables_in(self, st: StatementResult, orig_sql: str, written: bool) -> set[str]:
        """Legacy db.table names written (or read) by the statement, from the translation's outputs."""
        names: set[str] = set()
        for sql in st.outputs or [orig_sql]:
            try:
                tree = sqlglot.parse_one(sql, read="spark" if st.outputs else "hive")
            except SqlglotError:
                continue
            targets: list[Any] = []
            if written:
                if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Table):
                    targets = [tree.this]
                elif isinstance(tree, exp.Create) and tree.expression is not None:
                    targets = [tree.this.this if isinstance(tree.this, exp.Schema) else tree.this]
                elif isinstance(tree, exp.Update | exp.Delete | exp.Merge | exp.LoadData):
                    targets = [tree.this]
            else:
                targets = list(tree.find_all(exp.Table))
            for t in targets:
                if not isinstance(t, exp.Table) or not t.name:
                    continue
                db = (t.db or "").lower()
                db = db[2:] if db.startswith("t_") else (db or self._current_db())
                names.add(f"{db}.{t.name.lower()}")
        return names

    @staticmethod
    def _stand_in(orig_sql: str, st: StatementResult) -> tuple[str, list[str]] | None:
        """Hive-only syntax that Spark's Hive mode (Hive's stand-in here) cannot parse, as statements it runs with
        the same Hive semantics: SKEWED BY (a layout hint) dropped, PTFs and legacy windowing in their equivalent
        HiveQL (the translator's own rewrites: the comparison then checks everything but the rewrite), a macro
        defined the way the translation defines it. None when there is no such stand-in."""
        text, done = orig_sql, []
        if _SKEWED_BY.search(text):
            text, _ = _SKEWED_BY.subn(" ", text)
            done.append("SKEWED BY dropped")
        text, ptfs = rewrite_ptfs(text)
        if ptfs:
            done.append("PTF rewritten")
        text, n = rewrite_window_cluster_by(text)
        text, m = rewrite_legacy_windowing(text)
        if n or m:
            done.append("legacy windowing rewritten")
        if done:
            return ", ".join(done), [text]
        if st.kind == "create_function" and st.outputs:
            return "the translation's function definition", list(st.outputs)
        return None

    def _ties_under_limit(self, orig_sql: str, translated: str) -> bool:
        """Whether two different results of ``... ORDER BY k ... LIMIT n`` differ only in which rows tied on the
        sort keys made the cut: without the LIMIT both sides give the same rows, and with it the same sequence
        of key values (the keys must be plain output columns; otherwise the difference stands)."""
        try:
            orig = sqlglot.parse_one(orig_sql, read="hive")
            trans = sqlglot.parse_one(translated, read="spark")
        except SqlglotError:
            return False
        if not all(isinstance(t, exp.Select | exp.Union) and t.args.get("order") and t.args.get("limit")
                   for t in (orig, trans)):
            return False
        keys = [o.this.name.lower() if isinstance(o.this, exp.Column) else None
                for o in orig.args["order"].expressions]
        if not keys or None in keys:
            return False
        sides = []
        for session, tree, dialect in ((self.hive, orig, "hive"), (self.tgt, trans, "spark")):
            try:
                limited = session.sql(tree.sql(dialect))
                columns = [c.lower() for c in limited.columns]
                if any(columns.count(k) != 1 for k in keys):
                    return False
                at = [columns.index(str(k)) for k in keys]
                key_seq = [tuple(_norm(r[i]) for i in at) for r in limited.collect()]
                unlimited = tree.copy()
                unlimited.set("limit", None)
                sides.append((key_seq, _rows(session.sql(unlimited.sql(dialect)))))
            except Exception:  # the re-run failed: keep the difference
                return False
        return sides[0] == sides[1]

    def _ddl_target(self, sql: str) -> set[str]:
        m = re.match(r"^\s*(?:alter|create|drop|truncate)\s+(?:temporary\s+|external\s+)*(?:table|view)\s+"
                     r"(?:if\s+(?:not\s+)?exists\s+)?([`\w.]+)", sql, re.I)
        if not m:
            return set()
        name = m.group(1).replace("`", "").lower()
        return {name if "." in name else f"{self._current_db()}.{name}"}

    def _written(self, st: StatementResult, orig_sql: str) -> set[str]:
        return self._tables_in(st, orig_sql, True)

    def _read(self, st: StatementResult, orig_sql: str) -> set[str]:
        return self._tables_in(st, orig_sql, False)

    def _current_db(self) -> str:
        return str(self.hive.catalog.currentDatabase()).lower()

    def _compare_table(self, legacy: str) -> str:
        db, name = legacy.split(".", 1)
        try:
            a = _rows(self.hive.table(f"`{db}`.`{name}`"))
            b = _rows(self.tgt.table(f"`{self.target_db(db)}`.`{name}`"))
        except Exception as e:
            return f"cannot read it back: {_error(e)}"
        return _diff(a, b)
