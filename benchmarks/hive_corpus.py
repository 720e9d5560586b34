"""Corpus run for the HiveQL -> Spark SQL translator, side by side with raw ``sqlglot.transpile``.

Corpora: TPC-DS (99) and TPC-H (22) queries shipped by the duckdb-extension-tpcds/-tpch wheels, the
project's own ETL scripts (tests/translators/etl), hand-written HiveQL covering Hive's features broadly
(tests/translators/unseen), optionally a local copy of hortonworks/hive-testbench (``--testbench DIR``; DDL,
settings and Hive-dialect queries) and any folder of HiveQL scripts (``--corpus DIR``, repeatable: every
*.q / *.hql / *.sql / *.hive below it, e.g. scripts in the style of Hive's own clientpositive tests, which
read Hive's standard test tables: their DDL is given to the translator as a DDL dump would). None of the
external corpora is committed here.

Figures per corpus: statements; those with a data effect (SET, EXPLAIN, SHOW/DESCRIBE, ADD JAR, dfs and other
admin statements are not counted against the translator); among those, how many come out as Spark SQL that
Spark's parser accepts, how many are refused with a reason, and how many are *silent* (reported translated
but rejected by Spark's parser: must be 0). With Spark, Hive's own parser (hive-exec from pyspark's jars)
tells invalid Hive input apart; such statements are counted separately, not against the translator.

Both pipelines get the same statements (our splitter, with variables substituted, since sqlglot has no
notion of Hive variables). A statement counts as translated when the pipeline produced Spark SQL without
error, fallback or warning, and (with Spark) Spark's own parser accepts every output statement.

    python benchmarks/hive_corpus.py [--testbench DIR] [--corpus DIR ...] [--var NAME=VALUE ...]
        [--location-map OLD=NEW ...] [--no-spark] [--repeat 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrate.translators.hive import HiveTranslator, Options, TranslationReport, Variables  # noqa: E402
from migrate.translators.hive.catalog import tables_from_ddl  # noqa: E402
from migrate.translators.hive.equality import HIVE_TEST_TABLES  # noqa: E402
from migrate.translators.hive.report import UNSUPPORTED  # noqa: E402
from migrate.translators.hive.spark_check import SparkParsers  # noqa: E402
from migrate.translators.hive.splitter import split_statements  # noqa: E402
from migrate.translators.hive.variables import substitute  # noqa: E402

# hive-testbench's scripts take these on the hive command line (--hivevar / -d).
TESTBENCH_VARS = ["DB=tpcds_bin_partitioned_orc_2", "FILE=orc", "SOURCE=tpcds_text_2",
                  "LOCATION=hdfs://nn:8020/tmp/tpcds-generate/2", "REDUCERS=2", "SCALE=2"]


def duckdb_queries(name: str) -> list[tuple[str, str]]:
    import duckdb

    mod = __import__(f"duckdb_extension_{name}")
    ext = glob.glob(os.path.join(os.path.dirname(str(mod.__file__)), "extensions", "*", f"{name}.duckdb_extension"))
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{ext[0]}'")
    rows = con.execute(f"SELECT query_nr, query FROM {name}_queries() ORDER BY query_nr").fetchall()
    return [(f"{name}/q{nr:02d}.sql", q) for nr, q in rows]


# Variables Hive's own test driver (QTestUtil) defines, and where a migration would map its paths.
HIVE_TEST_VARS = ["system:test.tmp.dir=hdfs://nn:8020/tmp/hive-test", "system:hive.root=hdfs://nn:8020/hive",
                  "system:test.warehouse.dir=hdfs://nn:8020/warehouse", "system:test.dfs.mkdir=-mkdir -p",
                  "system:test.local.warehouse.dir=hdfs://nn:8020/warehouse",
                  "system:maven.local.repository=hdfs://nn:8020/maven", "system:hive.version=2.3.10",
                  "system:test.src.tables=src", "system:build.dir=hdfs://nn:8020/build"]
HIVE_TEST_LOCATIONS = ["hdfs://nn:8020/=s3://lake/", "../../data/files=s3://lake/data/files",
                       "../data/files=s3://lake/data/files"]
SUFFIXES = (".q", ".hql", ".sql", ".hive")


def load_corpora(testbench: str | None, folders: list[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    corpora: dict[str, list[tuple[str, str]]] = {}
    for name in ("tpcds", "tpch"):
        try:
            corpora[name] = duckdb_queries(name)
        except Exception as e:  # the wheels are in the test extra
            print(f"skipping {name}: {e}", file=sys.stderr)
    etl = sorted((ROOT / "tests" / "translators" / "etl").glob("*.hql"))
    corpora["project_etl"] = [(str(p.relative_to(ROOT)), p.read_text()) for p in etl]
    # Hand-written HiveQL over Hive's features at large (not TPC, not our ETL): tests/translators/unseen.
    unseen = sorted((ROOT / "tests" / "translators" / "unseen").glob("*.hql"))
    corpora["project_unseen"] = [(str(p.relative_to(ROOT)), p.read_text()) for p in unseen]
    if testbench:
        tb = Path(testbench)
        files = sorted(p for p in tb.rglob("*.sql") if "spark-queries" not in p.parts and "tpch-gen" not in p.parts)
        corpora["hive_testbench"] = [(str(p.relative_to(tb)), p.read_text()) for p in files]
    for folder in folders or []:
        root = Path(folder)
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        name = root.name or str(root)
        name = name if name not in corpora else f"{name}_{len(corpora)}"  # never shadow another corpus
        corpora[name] = [(str(p.relative_to(root)), p.read_text(errors="replace")) for p in files]
    return corpora


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def raw_sqlglot(text: str) -> tuple[list[str], str | None]:
    """What sqlglot alone does with one statement: outputs, or why it did not translate."""
    handler = _Warnings()
    log = logging.getLogger("sqlglot")
    log.addHandler(handler)
    try:
        trees = sqlglot.parse(text, read="hive")
        if any(isinstance(t, exp.Command) for t in trees if t is not None):
            return [], "Command fallback"
        out = [t.sql("spark", unsupported_level=ErrorLevel.RAISE) for t in trees if t is not None]
    except Exception as e:
        return [], f"{type(e).__name__}"
    finally:
        log.removeHandler(handler)
    if handler.count:
        return [], "warning"
    return out, None


def run(corpora: dict[str, list[tuple[str, str]]], variables: list[str], locations: list[tuple[str, str]],
        spark: Any, repeat: int, target_format: str, ddl: str = "") -> dict[str, Any]:
    results: dict[str, Any] = {}
    parsers = SparkParsers(spark) if spark is not None else None

    def spark_ok(sql: str) -> bool:
        return parsers is None or parsers.spark_error(sql) is None

    all_stmts = 0
    all_secs = 0.0
    for name, files in corpora.items():
        opts = Options(target_format=target_format, catalog="lake", location_map=list(locations),
                       variables=Variables.from_assignments(variables), known_tables=tables_from_ddl(ddl))
        best = float("inf")
        report = TranslationReport()
        for _ in range(repeat):
            translator = HiveTranslator(Options(**{**opts.__dict__, "variables": opts.variables.copy(),
                                                   "table_map": {}, "known_tables": tables_from_ddl(ddl)}))
            start = time.perf_counter()
            report = TranslationReport(files=[translator.translate_script(text, path) for path, text in files])
            best = min(best, time.perf_counter() - start)
        stmts = report.statements
        n = len(stmts)
        all_stmts += n
        all_secs += best
        ours_ok = ours_parse_fail = 0
        silent: list[str] = []
        for s in stmts:
            if s.status == UNSUPPORTED:
                continue
            if all(spark_ok(o) for o in s.outputs):
                ours_ok += 1
            else:
                ours_parse_fail += 1
                silent.append(f"{s.where}: {next(e for e in map(parsers.spark_error, s.outputs) if e)}"
                              if parsers else s.where)
        # statements with a data effect; invalid Hive input (Hive's own parser rejects it) counted apart
        data = [s for s in stmts if s.has_data_effect]
        invalid: list[str] = []
        if parsers is not None:
            vars_ = Variables.from_assignments(variables)
            for s in data:
                if s.status == UNSUPPORTED and not any(f.rule == "variables" for f in s.failures):
                    err = parsers.hive_error(substitute(s.source, vars_).text)
                    if err:
                        invalid.append(f"{s.where}: {err[:160]}")
        invalid_where = {w.split(": ", 1)[0] for w in invalid}
        counted = [s for s in data if s.where not in invalid_where]
        data_ok = sum(1 for s in counted if s.status != UNSUPPORTED and all(spark_ok(o) for o in s.outputs))
        refused = [s for s in counted if s.status == UNSUPPORTED]
        by_rule: dict[str, int] = {}
        for s in refused:
            by_rule[s.failures[0].rule] = by_rule.get(s.failures[0].rule, 0) + 1
        unsupported = [s for s in stmts if s.status == UNSUPPORTED]
        # raw sqlglot on the same statements (variables substituted the same way)
        raw_ok = 0
        raw_reasons: dict[str, int] = {}
        raw_start = time.perf_counter()
        for _path, text in files:
            vars_ = Variables.from_assignments(variables)
            for st in split_statements(text).statements:
                sub = substitute(st.text, vars_)
                out, why = raw_sqlglot(sub.text)
                if why is None and not all(spark_ok(o) for o in out):
                    why = "Spark parser rejects output"
                if why is None:
                    raw_ok += 1
                else:
                    raw_reasons[why] = raw_reasons.get(why, 0) + 1
        raw_secs = time.perf_counter() - raw_start
        results[name] = {
            "statements": n,
            "translator_ok": ours_ok,
            "translator_ok_pct": round(100 * ours_ok / n, 2) if n else 100.0,
            "data_statements": len(counted),
            "data_ok": data_ok,
            "data_ok_pct": round(100 * data_ok / len(counted), 2) if counted else 100.0,
            "data_refused": len(refused),
            "data_refused_by_rule": dict(sorted(by_rule.items(), key=lambda kv: -kv[1])),
            "invalid_hive": len(invalid),
            "silent": len(silent),
            "translator_with_notes": sum(1 for s in stmts if s.status == "translated_with_notes"),
            "translator_unsupported": len(unsupported),
            "translator_unsupported_with_reason": sum(1 for s in unsupported if s.failures),
            "translator_spark_rejected": ours_parse_fail,
            "raw_sqlglot_ok": raw_ok,
            "raw_sqlglot_ok_pct": round(100 * raw_ok / n, 2) if n else 100.0,
            "raw_sqlglot_failures": raw_reasons,
            "translator_seconds": round(best, 3),
            "statements_per_second": round(n / best, 1) if best > 0 else None,
            "raw_seconds_incl_spark_check": round(raw_secs, 3),
            "unsupported": [f"{s.where}: {s.failures[0].rule}: {s.failures[0].message}" for s in unsupported],
            "silent_list": silent,
            "invalid_hive_list": invalid,
        }
    results["_total"] = {
        "statements": all_stmts,
        "translator_ok": sum(r["translator_ok"] for r in results.values()),
        "raw_sqlglot_ok": sum(r["raw_sqlglot_ok"] for r in results.values()),
        "data_statements": sum(r["data_statements"] for r in results.values()),
        "data_ok": sum(r["data_ok"] for r in results.values()),
        "silent": sum(r["silent"] for r in results.values()),
        "statements_per_second": round(all_stmts / all_secs, 1) if all_secs else None,
    }
    t = results["_total"]
    t["translator_ok_pct"] = round(100 * t["translator_ok"] / all_stmts, 2) if all_stmts else 100.0
    t["raw_sqlglot_ok_pct"] = round(100 * t["raw_sqlglot_ok"] / all_stmts, 2) if all_stmts else 100.0
    t["data_ok_pct"] = round(100 * t["data_ok"] / t["data_statements"], 2) if t["data_statements"] else 100.0
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--testbench", help="local copy of hortonworks/hive-testbench")
    ap.add_argument("--corpus", action="append", default=[], help="a folder of HiveQL scripts (repeatable)")
    ap.add_argument("--var", action="append", default=[], help="NAME=VALUE, as for migrate translate hive --var")
    ap.add_argument("--location-map", action="append", default=[], help="OLD=NEW location prefix")
    ap.add_argument("--ddl", action="append", default=[], help="a Hive DDL dump the scripts' tables come from")
    ap.add_argument("--no-spark", action="store_true", help="skip Spark's (and Hive's) parser check")
    ap.add_argument("--repeat", type=int, default=3, help="translation timing: best of N")
    ap.add_argument("--format", default="iceberg", choices=["iceberg", "parquet"])
    ap.add_argument("--json", help="write the full results here")
    ap.add_argument("--equality", action="store_true",
                    help="also run every --corpus script on both sides (Spark's Hive mode vs the translation in "
                         "ANSI Spark) over generated test tables and compare results (slow)")
    ap.add_argument("--equality-rows", type=int, default=30, help="rows per generated table")
    ap.add_argument("--equality-ddl", action="append", default=[],
                    help="more base tables for the equality run (a DDL script such as hive-testbench's "
                         "ddl-tpcds/text/alltables.sql; variables substituted, ${DB} = default, where the "
                         "unqualified sample queries read them)")
    ap.add_argument("--verbose", action="store_true", help="list every refusal, silent and invalid statement")
    args = ap.parse_args(argv)
    corpora = load_corpora(args.testbench, args.corpus)
    variables = [*TESTBENCH_VARS, *HIVE_TEST_VARS, "dt=2024-01-02", "run_date=2024-01-02", "target_db=dw",
                 "suffix=20240315", "old_dt=2024-03-08", "hiveconf:end_dt=2024-02-01", *args.var]
    locations = [tuple(x.split("=", 1)) for x in [*HIVE_TEST_LOCATIONS, *args.location_map]]
    spark = None
    if not args.no_spark:
        from migrate.translators.hive.spark_check import local_spark_session

        spark = local_spark_session("hive-corpus", hive=args.equality)  # Hive mode needs Hive support
    equality: dict[str, Any] = {}
    try:
        ddl = "\n".join([HIVE_TEST_TABLES if args.corpus else "", *(Path(d).read_text() for d in args.ddl)])
        results = run(corpora, variables, [(a, b) for a, b in locations], spark, args.repeat, args.format, ddl)
        if args.equality and spark is not None:
            external = list(corpora)[len(corpora) - len(args.corpus):]  # the --corpus folders, loaded last
            base = "\n".join([ddl, *(substitute(Path(d).read_text(), Variables.from_assignments(
                [*variables, "DB=default"])).text for d in args.equality_ddl)])
            equality = run_equality({k: corpora[k] for k in external}, spark, base, variables, args.equality_rows)
    finally:
        if spark is not None:
            spark.stop()
    check = "accepted by Spark's parser" if spark is not None else "(no Spark check)"
    print(f"{'corpus':<16}{'stmts':>7}{'translator ok':>16}{'raw sqlglot ok':>17}{'data stmts':>11}"
          f"{'data ok':>15}{'refused':>9}{'silent':>8}{'invalid':>8}{'stmts/s':>10}")
    for name, r in results.items():
        if name == "_total":
            continue
        print(f"{name:<16}{r['statements']:>7}{r['translator_ok']:>8} {r['translator_ok_pct']:>6.2f}%"
              f"{r['raw_sqlglot_ok']:>9} {r['raw_sqlglot_ok_pct']:>6.2f}%{r['data_statements']:>11}"
              f"{r['data_ok']:>7} {r['data_ok_pct']:>6.2f}%{r['data_refused']:>9}{r['silent']:>8}"
              f"{r['invalid_hive']:>8}{r['statements_per_second']:>10}")
    t = results["_total"]
    print(f"{'TOTAL':<16}{t['statements']:>7}{t['translator_ok']:>8} {t['translator_ok_pct']:>6.2f}%"
          f"{t['raw_sqlglot_ok']:>9} {t['raw_sqlglot_ok_pct']:>6.2f}%{t['data_statements']:>11}"
          f"{t['data_ok']:>7} {t['data_ok_pct']:>6.2f}%{'':>9}{t['silent']:>8}{'':>8}"
          f"{t['statements_per_second']:>10}")
    print(f"ok = translated {check}; data = statements with a data effect (no SET/EXPLAIN/SHOW/dfs/ADD ...), "
          "valid Hive; silent = reported translated, rejected by Spark's parser; invalid = Hive's own parser "
          f"rejects it; stmts/s = translator alone, best of {args.repeat}")
    for name, r in results.items():
        if name == "_total":
            continue
        if r.get("data_refused_by_rule"):
            print(f"  [{name}] refused by rule: {r['data_refused_by_rule']}")
        for line in r.get("silent_list", []):
            print(f"  [{name}] SILENT {line}")
        if args.verbose:
            for line in r.get("unsupported", []):
                print(f"  [{name}] {line}")
            for line in r.get("invalid_hive_list", []):
                print(f"  [{name}] invalid Hive: {line}")
    if equality:
        c = equality["counts"]
        print(f"equality: {c['compared']} statements compared: {c['equal']} equal, {c['different']} different, "
              f"{c['failed_translation']} failed only after translation, {c['failed_original']} failed only in "
              f"Hive mode, {c['failed_both']} failed on both; {c['downstream']} of the differences/failures are "
              f"downstream of an earlier one; {c['unflagged']} direct ones the report does not flag "
              f"({equality['seconds']} s); {c['equal_up_to_ties']} of the equal ones differ only in rows tied under "
              f"ORDER BY ... LIMIT; {c['original_stand_in']} ran Hive-only syntax in Hive mode through a stand-in")
        print(f"  failed only in Hive mode, by cause: {equality['failed_original_causes']}")
        print(f"  failed on both sides, by cause: {equality['failed_both_causes']}")
        for line in equality["unflagged"]:
            print(f"  UNFLAGGED {line}")
        if args.verbose:
            for line in equality["not_equal"]:
                print(f"  {line}")
        results["_equality"] = equality
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def run_equality(corpora: dict[str, list[tuple[str, str]]], spark: Any, ddl: str, variables: list[str],
                 rows: int) -> dict[str, Any]:
    """Every script on both sides (equality.EqualityRun): counts, and what differs or fails, with the reason."""
    import tempfile

    from migrate.translators.hive.equality import EQUAL, FAILED_BOTH, FAILED_ORIGINAL, EqualityReport, EqualityRun

    start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="hive-equality-"))
    runner = EqualityRun(spark, work, ddl, rows=rows, variables=variables)
    total = EqualityReport()
    for name, files in corpora.items():
        for path, text in files:
            total.outcomes += runner.run_script(text, f"{name}/{path}").outcomes
    fmt = lambda o: (f"{o.where} [{o.status}{', downstream' if o.downstream else ''}"  # noqa: E731
                     f"{', Hive mode ran: ' + o.stand_in if o.stand_in else ''}] {o.reason[:200]}")
    return {"counts": total.counts(), "seconds": round(time.perf_counter() - start, 1),
            "failed_original_causes": failure_causes(total, FAILED_ORIGINAL),
            "failed_both_causes": failure_causes(total, FAILED_BOTH),
            "unflagged": [fmt(o) for o in total.unflagged()],
            "not_equal": [fmt(o) + (f" | flagged: {o.report_notes[0][:160]}" if o.report_notes else "")
                          for o in total.outcomes if o.status != EQUAL]}


def failure_causes(report: Any, status: str) -> dict[str, int]:
    """Why statements failed in Spark's Hive mode (Hive's stand-in): downstream of an earlier failure, or the
    error class of the first error (TABLE_OR_VIEW_NOT_FOUND: a table the script expects from Hive's test set-up
    that the harness does not generate; PARSE_SYNTAX_ERROR: Hive-only syntax Spark does not parse; ...)."""
    causes: dict[str, int] = {}
    for o in report.outcomes:
        if o.status != status:
            continue
        m = re.match(r"\[([A-Z_]+)", o.reason)
        cause = "downstream of an earlier failure" if o.downstream else m.group(1) if m else \
            "TRANSFORM script failed" if "Subprocess exited" in o.reason else o.reason[:60]
        causes[cause] = causes.get(cause, 0) + 1
    return dict(sorted(causes.items(), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    raise SystemExit(main())
