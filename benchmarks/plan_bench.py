"""A user's plan, as `migrate plan init` writes it, against its peers: ratios measured in one run.

    python benchmarks/plan_bench.py                          # everything: 1 GiB per shape, 200 tables
    python benchmarks/plan_bench.py --mib 64 --tables 20 --repeat 2        # a quick smoke run

1. CSV shapes (``text_shapes.py``: quoted CSV, CSV with quoted newlines, Hive ``\\x01`` text, TSV), each
   converted to Parquet by DuckDB ``COPY``, by bare pyarrow (``open_csv`` streamed into a zstd
   ``ParquetWriter``) and by ours: ``run_dataset`` on the plan that ``migrate inventory`` + ``migrate plan
   init`` write for the folder, with default engine options (nothing a user would not set). One line
   per shape, ratios of best and of medians against DuckDB and pyarrow. Times are the work alone.
2. The default command against the engine alone, on the quoted shape, each a whole process timed from
   outside (start-up, imports, counting included): ``run_dataset`` in a bare interpreter, ``migrate run
   PLAN`` (no Prefect server is up: it runs the library directly), ``--no-prefect``, and then in rounds
   of its own ``--prefect`` (starts the project's Prefect server in its first round, reuses it after;
   stopped at the end).
3. Many small tables: ``--tables`` datasets of one small CSV each, local -> SeaweedFS S3, through
   ``migrate run PLAN --no-prefect`` with Parquet targets and with Iceberg targets (SQLite catalog,
   warehouse on the same S3 via ``catalog.s3_store``): the Iceberg tax per table.

Every contender runs in its own process, in alternating rounds (load drifts hit all alike); peak RSS is
the largest sampled sum over the process tree. The load average is printed: 2 cores shared with others.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import copy_convert_bench as ccb  # noqa: E402
import text_shapes  # noqa: E402

MIGRATE = str(Path(sys.executable).parent / "migrate")


# ----------------------------------------------------------------------------- children (timed inside)
def child_duckdb(a: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    shape = a["shape"]
    con = duckdb.connect()
    con.execute(f"SET threads={a['workers']}")
    cols = "{" + ", ".join(f"'{n}': '{t.upper()}'" for n, t in text_shapes.COLUMNS) + "}"
    quote = text_shapes.QUOTE[shape] or ""
    # The delimiter as itself inside the SQL string (\x01 and tab need no escaping there).
    opts = (f"header={text_shapes.HEADER[shape]}, delim='{text_shapes.DELIMITER[shape]}', quote='{quote}', "
            f"escape='{quote}', nullstr='{text_shapes.NULL[shape]}', columns={cols}")
    out = f"{a['out']}/duck.parquet"
    con.execute(f"COPY (SELECT * FROM read_csv('{a['csv']}', {opts})) TO '{out}' (FORMAT parquet)")
    rows = con.execute(f"SELECT count(*) FROM '{out}'").fetchone()
    return {"rows": rows[0] if rows else 0}


def child_pyarrow(a: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from migrate.formats.types import arrow_type

    shape = a["shape"]
    names = [n for n, _ in text_shapes.COLUMNS]
    reader = pacsv.open_csv(
        a["csv"],
        read_options=pacsv.ReadOptions(block_size=8 << 20, column_names=names,
                                       skip_rows=1 if text_shapes.HEADER[shape] else 0),
        parse_options=pacsv.ParseOptions(delimiter=text_shapes.DELIMITER[shape],
                                         quote_char=text_shapes.QUOTE[shape] or False,
                                         newlines_in_values=shape == "newlines"),
        convert_options=pacsv.ConvertOptions(column_types={n: arrow_type(t) for n, t in text_shapes.COLUMNS},
                                             null_values=[text_shapes.NULL[shape]], strings_can_be_null=True))
    out = f"{a['out']}/pyarrow.parquet"
    rows = 0
    with pq.ParquetWriter(out, reader.schema, compression="zstd") as w:
        for b in reader:
            w.write_batch(b)
            rows += b.num_rows
    return {"rows": rows}


def child_engine(a: dict[str, Any]) -> dict[str, Any]:
    from migrate.engine import run_dataset
    from migrate.plan import load_plan

    rep = run_dataset(load_plan(a["plan"]), a["dataset"])
    if rep.files_failed:
        raise SystemExit(f"ours failed: {rep.errors}")
    return {"rows": rep.rows_written, "quarantined": rep.rows_quarantined}


CHILDREN = {"duckdb": child_duckdb, "pyarrow": child_pyarrow, "engine": child_engine}


def run(name: str, args: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """One contender: ``cmd`` (an argv timed from outside, whole process) or a child of this script."""
    if name != "cmd":
        return dict(ccb.spawn(name, args, env, script=__file__))
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(args["argv"], cwd=args.get("cwd"), env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with ccb.PeakSampler(pid=proc.pid) as s:
        out, err = proc.communicate()
    secs = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0  # the process and the children it waited for, start-up included
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args['argv'])} failed ({proc.returncode}):\n{(out + err)[-3000:]}")
    return {"seconds": secs, "cpu_seconds": cpu, "peak_rss_mib": s.peak / 1024, "output": out[-2000:]}


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# ----------------------------------------------------------------------------- 1. shapes
def user_plan(work: Path, root: Path) -> Path:
    """inventory + plan init over ``root``, exactly as a user runs them; returns the plan path."""
    pdir = work / "plan"
    pdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([MIGRATE, "inventory", "--root", f"shapes=file://{root}", "-o", str(pdir / "inv.json")],
                   check=True, cwd=pdir, stdout=subprocess.DEVNULL)
    subprocess.run([MIGRATE, "plan", "init", "--from-inventory", str(pdir / "inv.json"), "-o",
                    str(pdir / "plan.yaml"), "--force"], check=True, cwd=pdir, stdout=subprocess.DEVNULL)
    return pdir / "plan.yaml"


def make_shapes(work: Path, mib: int, shapes: list[str]) -> Path:
    root = work / "shapes"
    for shape in shapes:
        d = root / shape
        f = d / text_shapes.FILE_NAMES[shape]
        if f.exists() and abs(f.stat().st_size - (mib << 20)) <= (mib << 20) // 10 + (8 << 20):
            continue
        ccb.fresh(d)
        t0 = time.perf_counter()
        n = text_shapes.generate(f, shape, mib)
        print(f"generated {f} ({f.stat().st_size / 2**20:,.0f} MiB, {n:,} rows) in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
    return root


def clean_plan_state(plan: Path) -> None:
    shutil.rmtree(plan.parent / ".migrate", ignore_errors=True)
    shutil.rmtree(plan.parent / "lake", ignore_errors=True)


def bench_shapes(work: Path, ns: argparse.Namespace, root: Path, plan: Path) -> list[str]:
    out = work / "out"
    lines = []
    for shape in ns.shapes:
        csv = root / shape / text_shapes.FILE_NAMES[shape]
        mib = csv.stat().st_size / 2**20
        args = {"csv": str(csv), "out": str(out), "workers": ns.workers, "shape": shape}

        def clean() -> None:
            ccb.fresh(out)
            clean_plan_state(plan)

        contenders = [("duckdb", "duckdb", args, None, clean), ("pyarrow", "pyarrow", args, None, clean),
                      ("ours", "engine", {"plan": str(plan), "dataset": shape}, None, clean)]
        before = ccb.load_line()
        rows = ccb.rounds(contenders, ns.repeat, run=run)
        r = dict(rows)
        counts = {k: v.get("rows") for k, v in r.items()}
        lines.append(f"\n{shape}: before: {before}; after: {ccb.load_line()}; best of {ns.repeat} rounds; "
                     f"rows {counts}")
        lines += ccb.table(f"{shape} -> Parquet", rows, mib, "duckdb", cpu=True)[1:]
        ours = r["ours"]
        cpu = {k: v["median_cpu_seconds"] for k, v in r.items()}
        lines.append(
            f"SHAPE {shape:<9} ours vs duckdb {r['duckdb']['seconds'] / ours['seconds']:.2f}x "
            f"(medians {r['duckdb']['median_seconds'] / ours['median_seconds']:.2f}x), vs pyarrow "
            f"{r['pyarrow']['seconds'] / ours['seconds']:.2f}x (medians "
            f"{r['pyarrow']['median_seconds'] / ours['median_seconds']:.2f}x); peak RSS {ours['peak_rss_mib']:.0f} MiB "
            f"(goals >= 1.00x duckdb, <= 600 MiB); CPU-seconds (median) duckdb {cpu['duckdb']:.1f}, pyarrow "
            f"{cpu['pyarrow']:.1f}, ours {cpu['ours']:.1f}")
    return lines


# ----------------------------------------------------------------------------- 2. the command
def bench_command(work: Path, ns: argparse.Namespace, plan: Path, shape: str) -> list[str]:
    env = {"PREFECT_HOME": str(work / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1"}
    engine = [sys.executable, "-c", "import sys; from migrate.engine import run_dataset; from migrate.plan import "
              "load_plan; r = run_dataset(load_plan(sys.argv[1]), sys.argv[2]); sys.exit(1 if r.files_failed else 0)",
              str(plan), shape]
    clean = lambda: clean_plan_state(plan)  # noqa: E731
    contenders = [
        ("engine alone (run_dataset)", "cmd", {"argv": engine, "cwd": str(plan.parent)}, env, clean),
        ("migrate run (default)", "cmd", {"argv": [MIGRATE, "run", str(plan), "-d", shape],
                                          "cwd": str(plan.parent)}, env, clean),
        ("migrate run --no-prefect", "cmd", {"argv": [MIGRATE, "run", str(plan), "--no-prefect", "-d", shape],
                                             "cwd": str(plan.parent)}, env, clean),
    ]
    stop_server = lambda: subprocess.run(  # noqa: E731
        [MIGRATE, "server", "stop"], env={**os.environ, **env}, cwd=str(plan.parent),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    before = ccb.load_line()
    try:
        stop_server()  # "default" means no server up: one left by an earlier run would turn it into --prefect
        rows = ccb.rounds(contenders, ns.repeat, run=run)
        if not ns.skip_prefect:
            # In rounds of its own, after the others: the server --prefect starts (and keeps) would
            # otherwise be found by the default command of the next round.
            rows += ccb.rounds([("migrate run --prefect", "cmd", {"argv": [MIGRATE, "run", str(plan), "--prefect",
                                                                          "-d", shape], "cwd": str(plan.parent)},
                                 env, clean)], ns.repeat, run=run)
    finally:  # --prefect started the project's background server (in our PREFECT_HOME): stop it
        stop_server()
    r = dict(rows)
    mib = (plan.parent.parent / "shapes" / shape / text_shapes.FILE_NAMES[shape]).stat().st_size / 2**20
    lines = [f"\nthe command ({shape}): before: {before}; after: {ccb.load_line()}; best of {ns.repeat} rounds; "
             "whole processes timed from outside"]
    lines += ccb.table(f"{shape}: command vs engine", rows, mib, "engine alone (run_dataset)")[1:]
    base = r["engine alone (run_dataset)"]
    for label, _ in rows[1:]:
        x = r[label]
        lines.append(f"COMMAND {label}: {x['seconds'] / base['seconds']:.2f}x the engine alone (CPU-seconds "
                     f"{x['median_cpu_seconds'] / base['median_cpu_seconds']:.2f}x; medians "
                     f"{x['median_seconds'] / base['median_seconds']:.2f}x; goal <= 1.20 without a Prefect server), "
                     "peak RSS "
                     f"{x['peak_rss_mib']:.0f} MiB (goal <= 600)")
    return lines


# ----------------------------------------------------------------------------- 3. many small tables
def small_tables_plan(path: Path, src: Path, n: int, endpoint: str, bucket: str, iceberg: bool) -> None:
    datasets = []
    for i in range(n):
        target = (f"{{kind: iceberg, store: s3, table: bench.t{i:04d}}}" if iceberg
                  else f"{{kind: parquet, store: s3, path: parquet/t{i:04d}}}")
        datasets.append(f"""  - name: t{i:04d}
    source: {{store: src, path: t{i:04d}}}
    format: {{kind: csv, header: true}}
    schema: [{', '.join(f'{{name: {c}, type: {t}}}' for c, t in text_shapes.COLUMNS)}]
    target: {target}""")
    catalog = (f"catalog: {{kind: sqlite, uri: 'sqlite:///state/catalog.db', warehouse: 's3://{bucket}/warehouse', "
               "s3_store: s3}\n" if iceberg else "")
    path.write_text(f"""version: 1
name: tables
settings: {{state_dir: state}}
sources: {{src: {{kind: local, path: "{src}"}}}}
targets:
  s3: {{kind: s3, endpoint: "{endpoint}", bucket: {bucket}, region: us-east-1,
       credentials: {{access_key_id_env: BENCH_KEY, secret_access_key_env: BENCH_SECRET}}}}
{catalog}datasets:
""" + "\n".join(datasets) + "\n")


def bench_tables(work: Path, ns: argparse.Namespace) -> list[str]:
    from migrate.devservers.seaweedfs import SeaweedFS

    src = work / "tables"
    if not (src / f"t{ns.tables - 1:04d}").exists():
        ccb.fresh(src)
        one = work / "one.csv"
        text_shapes.generate(one, "quoted", 1)  # ~1 MiB, cut to the first 2,000 rows
        head = one.read_text().splitlines(keepends=True)[:2001]
        for i in range(ns.tables):
            (src / f"t{i:04d}").mkdir()
            (src / f"t{i:04d}" / "part-0.csv").write_text("".join(head))
    server = SeaweedFS(work / "weed")
    server.start()
    try:
        env = {"BENCH_KEY": server.access_key, "BENCH_SECRET": server.secret_key}
        contenders = []
        for kind in ("parquet", "iceberg"):
            d = work / f"tables-{kind}"
            args: dict[str, Any] = {"argv": [MIGRATE, "run", str(d / "plan.yaml"), "--no-prefect"], "cwd": str(d)}

            def setup(d: Path = d, kind: str = kind) -> None:
                ccb.fresh(d)
                bucket = f"b{time.time_ns()}"
                server.create_bucket(bucket)
                small_tables_plan(d / "plan.yaml", src, ns.tables, server.endpoint, bucket, kind == "iceberg")

            contenders.append((f"{ns.tables} tables, {kind}", "cmd", args, env, setup))
        before = ccb.load_line()
        rows = ccb.rounds(contenders, ns.repeat, run=run)
    finally:
        server.stop()
    r = dict(rows)
    pq_, ice = r[f"{ns.tables} tables, parquet"], r[f"{ns.tables} tables, iceberg"]
    per = (ice["seconds"] - pq_["seconds"]) / ns.tables
    per_med = (ice["median_seconds"] - pq_["median_seconds"]) / ns.tables
    lines = [f"\n{ns.tables} small tables local -> SeaweedFS S3 (migrate run --no-prefect): before: {before}; "
             f"after: {ccb.load_line()}; best of {ns.repeat} rounds"]
    for label, x in rows:
        lines.append(f"{label:<28}{x['seconds']:>9.2f} s  median {x['median_seconds']:>8.2f} s  "
                     f"{x['seconds'] / ns.tables:>6.3f} s/table  peak RSS {x['peak_rss_mib']:.0f} MiB")
    lines.append(f"ICEBERG tax per table: {per:.3f} s (medians {per_med:.3f} s; goal <= 0.5 s)")
    return lines


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--mib", type=int, default=1024, help="size of each generated shape (default 1024)")
    ap.add_argument("--shapes", nargs="+", default=list(text_shapes.SHAPES), choices=text_shapes.SHAPES)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="DuckDB threads")
    ap.add_argument("--tables", type=int, default=200, help="small Iceberg / Parquet tables (default 200)")
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--skip-shapes", action="store_true")
    ap.add_argument("--skip-command", action="store_true")
    ap.add_argument("--skip-prefect", action="store_true", help="do not time the Prefect variant of the command")
    ap.add_argument("--skip-tables", action="store_true")
    ap.add_argument("--workdir", default=None, help="scratch folder, kept (default: a temp dir, removed after)")
    ns = ap.parse_args()
    if ns.child:
        print(json.dumps(ccb.run_child(ns.child[0], json.loads(ns.child[1]), CHILDREN)))
        return
    work = Path(ns.workdir or tempfile.mkdtemp(prefix="migrate-plan-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    report: list[str] = []
    try:
        if not (ns.skip_shapes and ns.skip_command):
            shapes = sorted(set(ns.shapes) | ({"quoted"} if not ns.skip_command else set()))
            root = make_shapes(work, ns.mib, shapes)
            plan = user_plan(work, root)
            if not ns.skip_shapes:
                report += bench_shapes(work, ns, root, plan)
            if not ns.skip_command:
                report += bench_command(work, ns, plan, "quoted")
        if not ns.skip_tables:
            report += bench_tables(work, ns)
    finally:
        if not ns.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(report))


if __name__ == "__main__":
    main()
