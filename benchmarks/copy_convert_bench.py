"""Copy/convert engine against its peers, as ratios measured in one run.

    python benchmarks/copy_convert_bench.py                       # full: 1 GiB CSV, 1 GiB copy
    python benchmarks/copy_convert_bench.py --csv-mib 64 --copy-scale 0.0625   # quick smoke run

Conversion (CSV -> Parquet, generated CSV with int, float, string, date, timestamp, bool and nulls):
  DuckDB ``COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet)``, a bare pyarrow streaming
  conversion (open_csv -> ParquetWriter), and ours (run_dataset: byte ranges converted in worker
  processes, zstd Parquet through atomic writers, ledger); then the same CSV into an Iceberg table.
Copy as-is (8 x 64 MiB + 1,024 x 512 KiB files) local -> SeaweedFS S3: ``juicefs sync --threads N``,
  boto3's TransferManager (upload_file on N threads) and ours (copy mode, N threads).

Every contender runs in its own child process; peak RSS is the largest sampled sum over that child's
process tree (so worker processes count) and never less than the child's own ru_maxrss. The sampling
runs in the parent, so it neither takes CPU from the contender nor competes for its GIL. CPU-seconds
are the child's own and its waited-for children's (juicefs), over the work only (not start-up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = [("id", "bigint"), ("amount", "double"), ("name", "string"), ("day", "date"),
           ("ts", "timestamp"), ("flag", "boolean"), ("qty", "int"), ("note", "string")]


# ----------------------------------------------------------------------------- data generation
def gen_csv(path: Path, mib: int) -> int:
    """A CSV of about ``mib`` MiB with nulls in every nullable column; returns its row count."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(42)
    rows_per_chunk = 500_000
    target = mib << 20
    total = 0
    words = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
                      "lambda, with comma", "mu \"quoted\"", "nu", "xi", "omicron", "pi"])
    with pacsv.CSVWriter(str(path), pa.schema([
        ("id", pa.int64()), ("amount", pa.float64()), ("name", pa.string()), ("day", pa.date32()),
        ("ts", pa.timestamp("us")), ("flag", pa.bool_()), ("qty", pa.int32()), ("note", pa.string()),
    ])) as w:
        while path.stat().st_size < target if path.exists() else True:
            n = rows_per_chunk

            def nulls(p: float, n: int = n) -> Any:
                return rng.random(n) < p

            ids = np.arange(total, total + n, dtype=np.int64)
            amount = pa.array(np.round(rng.normal(100, 50, n), 2), mask=nulls(0.05))
            name = pa.array(words[rng.integers(0, len(words), n)], mask=nulls(0.05))
            day = pa.array((rng.integers(17000, 20000, n)).astype("int32"), pa.int32(), mask=nulls(0.05)).cast(
                pa.date32())
            ts = pa.array(rng.integers(1_500_000_000_000_000, 1_700_000_000_000_000, n), pa.int64(),
                          mask=nulls(0.05)).cast(pa.timestamp("us"))
            flag = pa.array(rng.random(n) < 0.5, mask=nulls(0.05))
            qty = pa.array(rng.integers(0, 1000, n).astype("int32"), mask=nulls(0.1))
            note = pa.array(np.char.add("note-", rng.integers(0, 10**6, n).astype(str)), mask=nulls(0.3))
            w.write_table(pa.table([ids, amount, name, day, ts, flag, qty, note],
                                   names=[c for c, _ in COLUMNS]))
            total += n
    return total


def gen_copy_tree(root: Path, big: int, big_mib: int, small: int, small_kib: int) -> int:
    root.mkdir(parents=True, exist_ok=True)
    total = 0
    block = os.urandom(1 << 20)
    for i in range(big):
        with open(root / f"big-{i:03d}.bin", "wb") as f:
            for _ in range(big_mib):
                f.write(block)
        total += big_mib << 20
    for i in range(small):
        d = root / f"small/{i // 128:02d}"
        d.mkdir(parents=True, exist_ok=True)
        off = (i * 4099) % ((1 << 20) - (small_kib << 10))
        (d / f"s-{i:05d}.bin").write_bytes(block[off:off + (small_kib << 10)])
        total += small_kib << 10
    return total


# ----------------------------------------------------------------------------- RSS of a tree
def _tree_rss_kib(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


class PeakSampler:
    """Largest RSS sum over the process tree of ``pid`` (default: this process), sampled every ``every`` s."""

    def __init__(self, every: float = 0.02, pid: int | None = None) -> None:
        self.peak = 0
        self._pid = pid or os.getpid()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_kib(self._pid))
            time.sleep(every)

    def __enter__(self) -> PeakSampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


# ----------------------------------------------------------------------------- contenders (child side)
def _plan(base: Path, src: str, target_yaml: str, extra: str = "") -> Any:
    from migrate.plan import load_plan_text

    schema = ", ".join(f"{{name: {n}, type: {t}}}" for n, t in COLUMNS)
    return load_plan_text(f"""
version: 1
name: bench
settings: {{state_dir: state}}
sources: {{src: {{kind: local, path: "{src}"}}}}
targets:
  out: {{kind: local, path: out}}
{extra}
datasets:
  - name: data
    source: {{store: src, path: ""}}
    format: {{kind: csv, header: true}}
    schema: [{schema}]
    target: {target_yaml}
""", base_dir=base)


def _engine_options(workers: int) -> Any:
    from migrate.engine import EngineOptions

    return EngineOptions()  # what a user's run gets: quoted CSV is split without any assertion


def child_duckdb(a: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={a['workers']}")
    cols = "{" + ", ".join(f"'{n}': '{t.upper()}'" for n, t in COLUMNS) + "}"
    codec = f", COMPRESSION {a['codec']}" if a.get("codec") else ""  # DuckDB's default is snappy
    con.execute(f"COPY (SELECT * FROM read_csv('{a['csv']}', header=true, columns={cols})) "
                f"TO '{a['out']}/duck.parquet' (FORMAT parquet{codec})")
    return {"bytes_out": os.path.getsize(f"{a['out']}/duck.parquet")}


def child_pyarrow(a: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from migrate.formats.types import arrow_type

    types = {n: arrow_type(t) for n, t in COLUMNS}
    reader = pacsv.open_csv(a["csv"], read_options=pacsv.ReadOptions(block_size=8 << 20),
                            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
    out = f"{a['out']}/pyarrow.parquet"
    with pq.ParquetWriter(out, reader.schema, compression="zstd") as w:
        for b in reader:
            w.write_batch(b)
    return {"bytes_out": os.path.getsize(out)}


def child_ours(a: dict[str, Any]) -> dict[str, Any]:
    from migrate.engine import run_dataset

    base = Path(a["out"]) / "ours"
    if a.get("iceberg"):
        plan = _plan(base, str(Path(a["csv"]).parent), "{kind: iceberg, store: out, table: bench.data}")
    else:
        plan = _plan(base, str(Path(a["csv"]).parent), "{kind: parquet, store: out, path: data}")
    rep = run_dataset(plan, "data", concurrency=a["workers"], options=_engine_options(a["workers"]))
    if rep.files_failed:
        raise SystemExit(f"ours failed: {rep.errors}")
    return {"bytes_out": rep.bytes_out, "rows": rep.rows_written}


def child_copy_ours(a: dict[str, Any]) -> dict[str, Any]:
    from migrate.engine import run_dataset
    from migrate.plan import load_plan_text

    base = Path(a["out"]) / "copy-ours"
    ca_yaml = f' ca_bundle: "{a["ca"]}",' if a.get("ca") else ""  # https (benchmarks/tls_copy_bench.py)
    # Our default 64 MiB parts (SeaweedFS spends less CPU per byte on fewer, larger requests; juicefs
    # sync uses 5 MiB parts, boto3 here 16 MiB), at most 2 per file in flight to bound buffered parts.
    plan = load_plan_text(f"""
version: 1
name: bench
settings: {{state_dir: state, concurrency: {a['threads']}}}
sources: {{src: {{kind: local, path: "{a['src']}"}}}}
targets:
  s3: {{kind: s3, endpoint: "{a['endpoint']}", bucket: {a['bucket']}, region: us-east-1,{ca_yaml}
       credentials: {{access_key_id_env: BENCH_KEY, secret_access_key_env: BENCH_SECRET}},
       part_size_mb: 64, max_concurrency: 2}}
datasets:
  - name: files
    source: {{store: src, path: ""}}
    format: {{kind: parquet}}
    target: {{kind: copy, store: s3, path: ours}}
""", base_dir=base)
    rep = run_dataset(plan, "files", concurrency=a["threads"])
    if rep.files_failed:
        raise SystemExit(f"ours failed: {rep.errors[:3]}")
    return {"bytes_out": rep.bytes_out}


def child_copy_boto3(a: dict[str, Any]) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    s3 = boto3.client("s3", endpoint_url=a["endpoint"], region_name="us-east-1", verify=a.get("ca"),
                      aws_access_key_id=os.environ["BENCH_KEY"], aws_secret_access_key=os.environ["BENCH_SECRET"],
                      config=Config(s3={"addressing_style": "path"}, max_pool_connections=64))
    cfg = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20, max_concurrency=4)
    files = [p for p in Path(a["src"]).rglob("*") if p.is_file()]

    def up(p: Path) -> None:
        s3.upload_file(str(p), a["bucket"], "boto3/" + str(p.relative_to(a["src"])), Config=cfg)

    with ThreadPoolExecutor(a["threads"]) as ex:
        list(ex.map(up, files))
    return {}


def child_copy_juicefs(a: dict[str, Any]) -> dict[str, Any]:
    from migrate.devservers.seaweedfs import find_binary

    host = a["endpoint"].split("://", 1)[1]
    dst = f"minio://{os.environ['BENCH_KEY']}:{os.environ['BENCH_SECRET']}@{host}/{a['bucket']}/jfs/"
    subprocess.run([find_binary("juicefs"), "sync", a["src"].rstrip("/") + "/", dst, "--threads",
                    str(a["threads"]), "--no-https", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return {}


CHILDREN = {"duckdb": child_duckdb, "pyarrow": child_pyarrow, "ours": child_ours,
            "copy-ours": child_copy_ours, "copy-boto3": child_copy_boto3, "copy-juicefs": child_copy_juicefs}


def _cpu_seconds() -> float:
    """User + system CPU of this process and its waited-for children (juicefs, worker processes)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    return total


def run_child(name: str, args: dict[str, Any], children: dict[str, Any] | None = None) -> dict[str, Any]:
    """The work, timed; the parent samples this process tree's RSS from outside (``spawn``)."""
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    extra = (children or CHILDREN)[name](args)
    secs = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0  # the work only, not interpreter start-up and imports
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": secs, "cpu_seconds": cpu, "peak_rss_mib": max(own, kids) / 1024, **extra}


# ----------------------------------------------------------------------------- parent side
def spawn(name: str, args: dict[str, Any], env: dict[str, str] | None = None, script: str = __file__,
          ) -> dict[str, Any]:
    """``script --child name args`` (another benchmark may pass its own script) in a child process."""
    proc = subprocess.Popen([sys.executable, script, "--child", name, json.dumps(args)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT),
                            env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)})
    with PeakSampler(pid=proc.pid) as s:
        stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{stderr[-3000:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["peak_rss_mib"] = max(res["peak_rss_mib"], s.peak / 1024)
    return res


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def table(title: str, rows: list[tuple[str, dict[str, Any]]], mib: float, ref: str, cpu: bool = False,
          ) -> list[str]:
    """``cpu``: add the contender's CPU-seconds per GiB (its process tree, the work only) and the server's."""
    base = dict(rows)[ref]["seconds"]
    head = f"{'contender':<28}{'seconds':>9}{'MiB/s':>9}{'speed vs ' + ref:>16}{'peak RSS MiB':>14}"
    if cpu:
        head += f"{'CPU-s/GiB':>11}{'server CPU-s/GiB':>18}"
    lines = [f"\n{title} ({mib:,.0f} MiB)", head]
    for name, r in rows:
        line = (f"{name:<28}{r['seconds']:>9.2f}{mib / r['seconds']:>9.1f}{base / r['seconds']:>15.2f}x"
                f"{r['peak_rss_mib']:>14.0f}")
        if cpu:
            line += f"{r['cpu_seconds'] * 1024 / mib:>11.2f}{r.get('server_cpu', 0.0) * 1024 / mib:>18.2f}"
        lines.append(line)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--csv-mib", type=int, default=1024, help="size of the generated CSV (default 1024)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="processes/threads for conversion")
    ap.add_argument("--threads", type=int, default=8, help="copy threads (same for every copy contender)")
    ap.add_argument("--copy-scale", type=float, default=1.0, help="scale the copy tree (1.0 = 1 GiB)")
    ap.add_argument("--skip-convert", action="store_true")
    ap.add_argument("--skip-copy", action="store_true")
    ap.add_argument("--skip-iceberg", action="store_true")
    ap.add_argument("--repeat", type=int, default=5,
                    help="alternating rounds (each contender once per round); the best time counts")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir, removed after)")
    ns = ap.parse_args()
    if ns.child:
        print(json.dumps(run_child(ns.child[0], json.loads(ns.child[1]))))
        return
    work = Path(ns.workdir or tempfile.mkdtemp(prefix="migrate-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report: list[str] = []
    try:
        if not ns.skip_convert:
            report += bench_convert(work, ns)
        if not ns.skip_copy:
            report += bench_copy(work, ns)
    finally:
        if not ns.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(report))


def best(name: str, args: dict[str, Any], repeat: int, env: dict[str, str] | None = None,
         before: Any = None) -> dict[str, Any]:
    results = []
    for _ in range(repeat):
        if before:
            before()
        results.append(spawn(name, args, env))
    return min(results, key=lambda r: r["seconds"])


def rounds(contenders: Sequence[tuple[str, str, dict[str, Any], dict[str, str] | None, Any]], repeat: int,
           server_cpu: Any = None, script: str = __file__, run: Any = None) -> list[tuple[str, dict[str, Any]]]:
    """Every contender once per round, rounds repeated (alternating, so load drifts hit all alike); best counts.

    ``contenders``: (label, child name, args, env, before-hook); ``run(name, args, env)`` runs one (default
    ``spawn``: a child of ``script``) and returns its measures. ``server_cpu``: a callable giving the
    server's CPU-seconds so far; each result then has the server's share of its run. The best result
    also carries ``median_seconds``, printed beside the best-of ratios (one lucky round moves a best).
    """
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in contenders}
    for r in range(repeat):
        for label, name, args, env, before in contenders:
            if before:
                before()
            cpu0 = server_cpu() if server_cpu else 0.0
            res = run(name, args, env) if run is not None else spawn(name, args, env, script)
            if server_cpu:
                res["server_cpu"] = server_cpu() - cpu0
            res["load"] = os.getloadavg()[0]
            results[label].append(res)
            print(f"  round {r + 1}/{repeat} {label}: {res['seconds']:.2f}s, CPU {res['cpu_seconds']:.2f}s"
                  + (f" (server {res['server_cpu']:.2f}s)" if server_cpu else "")
                  + f", peak RSS {res['peak_rss_mib']:.0f} MiB, load {res['load']:.2f}", file=sys.stderr)
    out = []
    for label, *_ in contenders:
        best_run = dict(min(results[label], key=lambda x: x["seconds"]))
        best_run["median_seconds"] = statistics.median(x["seconds"] for x in results[label])
        best_run["median_cpu_seconds"] = statistics.median(x.get("cpu_seconds", 0.0) for x in results[label])
        out.append((label, best_run))
    return out


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def generated_csv(work: Path, mib: int) -> Path:
    """``work/csv/data.csv`` of about ``mib`` MiB, generated unless a file of that size is there."""
    src = work / "csv"
    csv = src / "data.csv"
    if not csv.exists() or abs(csv.stat().st_size - (mib << 20)) > (mib << 20) // 10 + (8 << 20):
        fresh(src)
        t0 = time.perf_counter()
        nrows = gen_csv(csv, mib)
        print(f"generated {csv} ({csv.stat().st_size / 2**20:,.0f} MiB, {nrows:,} rows) in "
              f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return csv


def bench_convert(work: Path, ns: argparse.Namespace) -> list[str]:
    csv = generated_csv(work, ns.csv_mib)
    mib = csv.stat().st_size / 2**20
    out = work / "out"
    args = {"csv": str(csv), "out": str(out), "workers": ns.workers}
    clean = lambda: fresh(out)  # noqa: E731
    contenders = [("duckdb", "duckdb", args, None, clean),
                  ("duckdb (zstd)", "duckdb", {**args, "codec": "zstd"}, None, clean),
                  ("pyarrow", "pyarrow", args, None, clean),
                  ("ours (parquet, zstd)", "ours", args, None, clean)]
    if not ns.skip_iceberg:
        contenders.append(("ours (iceberg, sqlite)", "ours", {**args, "iceberg": True}, None, clean))
    before = load_line()
    rows = rounds(contenders, ns.repeat)
    lines = [f"\nbefore: {before}; after: {load_line()}; best of {ns.repeat} alternating rounds"]
    lines += table("CSV -> Parquet" + ("" if ns.skip_iceberg else " / Iceberg"), rows, mib, "duckdb")
    r = dict(rows)
    ours = r["ours (parquet, zstd)"]
    lines.append("codecs: duckdb snappy (its default), duckdb (zstd) zstd, pyarrow zstd, ours zstd (our default)")
    lines.append(f"ours vs duckdb: {r['duckdb']['seconds'] / ours['seconds']:.2f}x, "
                 f"vs duckdb (zstd): {r['duckdb (zstd)']['seconds'] / ours['seconds']:.2f}x, "
                 f"vs pyarrow: {r['pyarrow']['seconds'] / ours['seconds']:.2f}x (goal >= 1.00); "
                 f"peak RSS {ours['peak_rss_mib']:.0f} MiB (goal <= 600); of the medians: "
                 f"{r['duckdb']['median_seconds'] / ours['median_seconds']:.2f}x, "
                 f"{r['pyarrow']['median_seconds'] / ours['median_seconds']:.2f}x")
    if not ns.skip_iceberg:
        ice = r["ours (iceberg, sqlite)"]
        lines.append(f"iceberg time / parquet time: {ice['seconds'] / ours['seconds']:.2f} (goal <= 1.10); "
                     f"of the medians: {ice['median_seconds'] / ours['median_seconds']:.2f}")
    return lines


def bench_copy(work: Path, ns: argparse.Namespace) -> list[str]:
    from migrate.devservers.seaweedfs import SeaweedFS

    s = ns.copy_scale
    src = work / "tree"
    expected = round(8 * 64 * s) * (1 << 20) + round(1024 * s) * (512 << 10)
    if not src.exists():
        gen_copy_tree(src, 8, max(1, round(64 * s)), max(1, round(1024 * s)), 512)
    total = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    del expected
    server = SeaweedFS(work / "weed")
    server.start()
    try:
        env = {"BENCH_KEY": server.access_key, "BENCH_SECRET": server.secret_key}
        contenders = []
        for name in ("copy-juicefs", "copy-boto3", "copy-ours"):
            args = {"src": str(src), "endpoint": server.endpoint, "threads": ns.threads, "out": str(work / "out")}

            def make_bucket(args: dict[str, Any] = args) -> None:
                bucket = f"b{time.time_ns()}"
                server.create_bucket(bucket)
                args["bucket"] = bucket
                shutil.rmtree(work / "out" / "copy-ours", ignore_errors=True)

            contenders.append((f"{name[5:]} ({ns.threads} threads)", name, args, env, make_bucket))
        def server_cpu() -> float:  # utime + stime of the weed process (fields 14 and 15 of /proc/PID/stat)
            assert server.proc is not None
            with open(f"/proc/{server.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        before = load_line()
        rows = rounds(contenders, ns.repeat, server_cpu)
        lines = [f"\nbefore: {before}; after: {load_line()}; best of {ns.repeat} alternating rounds"]
        lines += table("Copy as-is local -> SeaweedFS S3", rows, total / 2**20, rows[0][0], cpu=True)
        r = dict(rows)
        ours = r[f"ours ({ns.threads} threads)"]["seconds"]
        jfs, b3, mine = (r[f"{who} ({ns.threads} threads)"] for who in ("juicefs", "boto3", "ours"))
        lines.append(f"ours vs juicefs sync: {jfs['seconds'] / ours:.2f}x, "
                     f"ours vs boto3 TransferManager: {b3['seconds'] / ours:.2f}x (goal >= 1.00); of the medians: "
                     f"{jfs['median_seconds'] / mine['median_seconds']:.2f}x, "
                     f"{b3['median_seconds'] / mine['median_seconds']:.2f}x")
        return lines
    finally:
        server.stop()


if __name__ == "__main__":
    _ = dt  # keep the import for readers extending the generator
    main()
