"""CSV -> Parquet: migrate's typed reader vs DuckDB COPY vs bare pyarrow streaming.

    .venv/bin/python benchmarks/csv_read_bench.py --mib 256 --repeat 3

Generates (once, cached in --dir) a CSV of about --mib MiB with bigint, double, quoted strings, date,
timestamp, boolean and ~5% nulls, then runs each contender in its own child process, pinned to
--cores CPUs, interleaved --repeat times. Wall time is the best of the repeats (the machine may be
shared); peak RSS comes from os.wait4's rusage of that child alone. Prints MiB/s, the throughput ratio
against DuckDB and peak RSS, and checks that every output holds the same number of rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = [("id", "bigint"), ("amount", "double"), ("name", "string"), ("day", "date"),
           ("ts", "timestamp"), ("flag", "boolean"), ("score", "bigint")]


def generate(path: Path, mib: int, seed: int = 1) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    words = np.array(["alpha", "beta", "gamma", "delta, with comma", "epsilon", "zeta eta", "theta",
                      "iota kappa lambda", 'say "hi"', "ünïcødé"])
    n, start, target = 200_000, 0, mib << 20
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write((",".join(c for c, _ in COLUMNS) + "\n").encode())
        while f.tell() < target:
            def mask() -> object:
                return rng.random(n) < 0.05

            t = pa.table({
                "id": np.arange(start, start + n, dtype=np.int64),
                "amount": pa.array(np.round(rng.normal(1000, 300, n), 2), mask=mask()),
                "name": pa.array(words[rng.integers(0, len(words), n)], mask=mask()),
                "day": pa.array((np.datetime64("2015-01-01") + rng.integers(0, 3000, n)).astype("datetime64[D]"),
                                mask=mask()),
                "ts": pa.array((np.datetime64("2015-01-01T00:00:00")
                                + rng.integers(0, 300_000_000, n).astype("timedelta64[s]")).astype("datetime64[s]"),
                               mask=mask()),
                "flag": pa.array(rng.integers(0, 2, n).astype(bool), mask=mask()),
                "score": pa.array(rng.integers(-1_000_000, 1_000_000, n), mask=mask()),
            })
            start += n
            pcsv.write_csv(t, f, write_options=pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    tmp.rename(path)


def _writer_options(schema: object) -> dict[str, object]:
    import pyarrow as pa

    # Dictionary-encode only string columns: trying dictionaries on unique ints/timestamps costs ~40%
    # of the write time for nothing (DuckDB makes the same choice).
    strings = [f.name for f in schema if pa.types.is_string(f.type)]  # type: ignore[attr-defined]
    return {"use_dictionary": strings, "compression": "snappy"}


def run_contender(name: str, csv: str, out: str) -> dict[str, object]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    if name == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads={len(os.sched_getaffinity(0))}")
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet)")
    elif name == "pyarrow":
        import pyarrow.csv as pcsv

        from migrate.formats import arrow_schema

        schema = arrow_schema([_Col(n, t) for n, t in COLUMNS])
        reader = pcsv.open_csv(csv, convert_options=pcsv.ConvertOptions(
            column_types={f.name: f.type for f in schema}, strings_can_be_null=False))
        with pq.ParquetWriter(out, reader.schema, **_writer_options(reader.schema)) as w:
            for b in reader:
                w.write_batch(b)
    elif name in ("migrate", "migrate_noqnl"):
        from migrate.formats import Quarantine, arrow_schema, open_batches
        from migrate.storage.local import LocalStorage

        schema = arrow_schema([_Col(n, t) for n, t in COLUMNS])
        with Quarantine(out + ".quarantine.jsonl") as q:
            # migrate_noqnl: the caller asserts no quoted field holds a newline (faster pyarrow chunker).
            stream = open_batches(LocalStorage(), "file://" + csv, _Fmt(), schema, quarantine=q,
                                  quoted_newlines=name == "migrate")
            with stream, pq.ParquetWriter(out, stream.schema, **_writer_options(stream.schema)) as w:
                for b in stream:
                    w.write_batch(b)
            assert stream.counts.balanced and stream.counts.rows_quarantined == 0, stream.counts
    else:
        raise SystemExit(f"unknown contender {name}")
    elapsed = time.perf_counter() - t0
    rows = pq.ParquetFile(out).metadata.num_rows
    _ = pa
    return {"seconds": elapsed, "rows": rows}


class _Col:
    def __init__(self, name: str, type: str) -> None:
        self.name, self.type, self.nullable = name, type, True


class _Fmt:
    kind, delimiter, header, quote, escape = "csv", ",", True, '"', None
    null_marker, compression, encoding = None, "auto", "utf-8"


def child(name: str, csv: Path, out: Path, cores: int) -> tuple[dict[str, object], float]:
    cmd = [sys.executable, __file__, "--child", name, "--csv", str(csv), "--out", str(out), "--cores", str(cores)]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    data = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{name} failed with exit code {proc.returncode}")
    return json.loads(data), usage.ru_maxrss / 1024  # KiB -> MiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "migrate-bench"))
    ap.add_argument("--contenders", default="duckdb,migrate,pyarrow")
    ap.add_argument("--child")
    ap.add_argument("--csv")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.child:
        cpus = sorted(os.sched_getaffinity(0))[: a.cores]
        os.sched_setaffinity(0, cpus)
        os.environ["OMP_NUM_THREADS"] = str(len(cpus))
        import pyarrow as pa

        pa.set_cpu_count(len(cpus))
        print(json.dumps(run_contender(a.child, a.csv, a.out)))
        return
    d = Path(a.dir)
    d.mkdir(parents=True, exist_ok=True)
    csv = d / f"mixed_{a.mib}mib.csv"
    if not csv.exists():
        t0 = time.perf_counter()
        generate(csv, a.mib)
        print(f"generated {csv} in {time.perf_counter() - t0:.1f}s")
    size_mib = csv.stat().st_size / (1 << 20)
    names = a.contenders.split(",")
    best: dict[str, float] = {}
    rss: dict[str, float] = {}
    rows: dict[str, object] = {}
    for r in range(a.repeat):
        for n in names:
            out = d / f"out_{n}.parquet"
            res, peak = child(n, csv, out, a.cores)
            secs = float(res["seconds"])  # type: ignore[arg-type]
            print(f"  round {r + 1} {n:8s} {secs:6.2f}s  {size_mib / secs:7.1f} MiB/s  peak RSS {peak:6.0f} MiB")
            best[n] = min(best.get(n, secs), secs)
            rss[n] = max(rss.get(n, 0.0), peak)
            rows[n] = res["rows"]
            out.unlink()
    print(f"\nCSV {size_mib:.0f} MiB, {a.cores} cores, best of {a.repeat}:")
    for n in names:
        ratio = best["duckdb"] / best[n] if "duckdb" in best else float("nan")
        print(f"  {n:8s} {best[n]:6.2f}s  {size_mib / best[n]:7.1f} MiB/s  x{ratio:4.2f} vs duckdb  "
              f"peak RSS {rss[n]:5.0f} MiB  rows {rows[n]}")
    if len(set(rows.values())) != 1:
        raise SystemExit(f"row counts differ: {rows}")
    _ = resource


if __name__ == "__main__":
    main()
