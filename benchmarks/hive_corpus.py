"""Corpus run for the HiveQL -> Spark SQL translator, side by side with raw ``sqlglot.transpile``.

Corpora: TPC-DS (99) and TPC-H (22) queries shipped by the duckdb-extension-tpcds/-tpch wheels, the
project's own ETL scripts (tests/translators/etl), hand-written HiveQL covering Hive's features broadly
(tests/translators/unseen), and optionally a local copy of hortonworks/hive-testbench
(``--testbench DIR``; DDL, settings and Hive-dialect queries; not committed here).

Both pipelines get the same statements (our splitter, with variables substituted, since sqlglot has no
notion of Hive variables). A statement counts as translated when the pipeline produced Spark SQL without
error, fallback or warning, and (with Spark) Spark's own parser accepts every output statement.

    python benchmarks/hive_corpus.py [--testbench DIR] [--no-spark] [--repeat 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
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
from migrate.translators.hive.report import UNSUPPORTED  # noqa: E402
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


def load_corpora(testbench: str | None) -> dict[str, list[tuple[str, str]]]:
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
    corpora["hive_unseen"] = [(str(p.relative_to(ROOT)), p.read_text()) for p in unseen]
    if testbench:
        tb = Path(testbench)
        files = sorted(p for p in tb.rglob("*.sql") if "spark-queries" not in p.parts and "tpch-gen" not in p.parts)
        corpora["hive_testbench"] = [(str(p.relative_to(tb)), p.read_text()) for p in files]
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


def run(corpora: dict[str, list[tuple[str, str]]], variables: list[str], spark: Any, repeat: int,
        target_format: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    parser = spark._jsparkSession.sessionState().sqlParser() if spark is not None else None

    def spark_ok(sql: str) -> bool:
        if parser is None:
            return True
        try:
            parser.parsePlan(sql)
            return True
        except Exception:
            return False

    all_stmts = 0
    all_secs = 0.0
    for name, files in corpora.items():
        opts = Options(target_format=target_format, catalog="lake",
                       variables=Variables.from_assignments(variables))
        best = float("inf")
        report = TranslationReport()
        for _ in range(repeat):
            translator = HiveTranslator(Options(**{**opts.__dict__, "variables": opts.variables.copy(),
                                                   "table_map": {}}))
            start = time.perf_counter()
            report = TranslationReport(files=[translator.translate_script(text, path) for path, text in files])
            best = min(best, time.perf_counter() - start)
        stmts = report.statements
        n = len(stmts)
        all_stmts += n
        all_secs += best
        ours_ok = ours_parse_fail = 0
        for s in stmts:
            if s.status == UNSUPPORTED:
                continue
            if all(spark_ok(o) for o in s.outputs):
                ours_ok += 1
            else:
                ours_parse_fail += 1
                print(f"  translator output rejected by Spark: {s.where}", file=sys.stderr)
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
        }
    results["_total"] = {
        "statements": all_stmts,
        "translator_ok": sum(r["translator_ok"] for r in results.values()),
        "raw_sqlglot_ok": sum(r["raw_sqlglot_ok"] for r in results.values()),
        "statements_per_second": round(all_stmts / all_secs, 1) if all_secs else None,
    }
    t = results["_total"]
    t["translator_ok_pct"] = round(100 * t["translator_ok"] / all_stmts, 2) if all_stmts else 100.0
    t["raw_sqlglot_ok_pct"] = round(100 * t["raw_sqlglot_ok"] / all_stmts, 2) if all_stmts else 100.0
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--testbench", help="local copy of hortonworks/hive-testbench")
    ap.add_argument("--no-spark", action="store_true", help="skip Spark's parser check")
    ap.add_argument("--repeat", type=int, default=3, help="translation timing: best of N")
    ap.add_argument("--format", default="iceberg", choices=["iceberg", "parquet"])
    ap.add_argument("--json", help="write the full results here")
    args = ap.parse_args(argv)
    corpora = load_corpora(args.testbench)
    variables = [*TESTBENCH_VARS, "dt=2024-01-02", "run_date=2024-01-02", "target_db=dw", "suffix=20240315",
                 "old_dt=2024-03-08", "hiveconf:end_dt=2024-02-01"]
    spark = None
    if not args.no_spark:
        from migrate.translators.hive.spark_check import local_spark_session

        spark = local_spark_session("hive-corpus")
    try:
        results = run(corpora, variables, spark, args.repeat, args.format)
    finally:
        if spark is not None:
            spark.stop()
    check = "accepted by Spark's parser" if spark is not None else "(no Spark check)"
    print(f"{'corpus':<16}{'stmts':>7}{'translator ok':>16}{'raw sqlglot ok':>17}{'unsupported':>13}"
          f"{'w/ reason':>11}{'stmts/s':>10}")
    for name, r in results.items():
        if name == "_total":
            continue
        print(f"{name:<16}{r['statements']:>7}{r['translator_ok']:>8} {r['translator_ok_pct']:>6.2f}%"
              f"{r['raw_sqlglot_ok']:>9} {r['raw_sqlglot_ok_pct']:>6.2f}%{r['translator_unsupported']:>13}"
              f"{r['translator_unsupported_with_reason']:>11}{r['statements_per_second']:>10}")
    t = results["_total"]
    print(f"{'TOTAL':<16}{t['statements']:>7}{t['translator_ok']:>8} {t['translator_ok_pct']:>6.2f}%"
          f"{t['raw_sqlglot_ok']:>9} {t['raw_sqlglot_ok_pct']:>6.2f}%{'':>24}{t['statements_per_second']:>10}")
    print(f"ok = translated {check}; stmts/s = translator alone, best of {args.repeat}")
    for name, r in results.items():
        for line in r.get("unsupported", []):
            print(f"  [{name}] {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
