"""Nested JSON lines -> Parquet: ours (the engine, the plan's declared nested types) vs DuckDB COPY vs pyarrow.

    .venv/bin/python benchmarks/nested_json_bench.py --mib 128 --repeat 3

Two shapes of event log, generated once per run (``tests/nested_estate.py`` has the same fields, smaller):
- ``struct``: ``meta`` an object (two levels), ``tags`` an array of strings, ``items`` an array of objects;
  our reader takes it through pyarrow's JSON reader (plus a check for undeclared nested fields);
- ``irregular``: the same plus ``daily`` (an object keyed by dates: a map) and ``attrs`` (object, string,
  number or array: JSON text); our reader goes value by value (orjson) as pyarrow has no JSON-text or map
  conversion, and pyarrow cannot take it at all. DuckDB reads ``attrs`` as its JSON type, ``daily`` as a MAP.
Every contender runs in its own child process, in alternating rounds; best and median are printed with the
load average, and the row counts of all outputs must agree.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.copy_convert_bench import fresh, load_line, rounds, run_child, table  # noqa: E402

STRUCT = [("id", "bigint"), ("kind", "string"), ("ts", "timestamp"),
          ("meta", "struct<k:bigint,ref:string,ab:struct<bucket:bigint,on:boolean>>"),
          ("tags", "array<string>"), ("items", "array<struct<sku:string,qty:bigint,price:double>>")]
IRREGULAR = [*STRUCT, ("daily", "map<string,bigint>"), ("attrs", "json")]
DUCK = {"bigint": "BIGINT", "string": "VARCHAR", "timestamp": "TIMESTAMP", "json": "JSON",
        "struct<k:bigint,ref:string,ab:struct<bucket:bigint,on:boolean>>":
            "STRUCT(k BIGINT, ref VARCHAR, ab STRUCT(bucket BIGINT, \"on\" BOOLEAN))",
        "array<string>": "VARCHAR[]", "array<struct<sku:string,qty:bigint,price:double>>":
            "STRUCT(sku VARCHAR, qty BIGINT, price DOUBLE)[]", "map<string,bigint>": "MAP(VARCHAR, BIGINT)"}


def columns(shape: str) -> list[tuple[str, str]]:
    return IRREGULAR if shape == "irregular" else STRUCT


def generate(path: Path, shape: str, mib: int) -> int:
    rnd = random.Random(1)
    n, target = 0, mib << 20
    with open(path, "w", encoding="utf-8") as f:
        while f.tell() < target:
            lines = []
            for i in range(n, n + 10_000):
                e: dict[str, Any] = {
                    "id": i, "kind": rnd.choice(["view", "click", "buy"]),
                    "ts": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00",
                    "meta": {"k": i, "ref": None if i % 4 == 0 else f"r{i % 13}",
                             "ab": {"bucket": i % 2, "on": i % 3 == 0}},
                    "tags": [rnd.choice(["red", "green", "blue"]) for _ in range(i % 4)],
                    "items": [{"sku": f"S{j}", "qty": j + 1, "price": round(rnd.uniform(1, 99), 2)}
                              for j in range(i % 3)]}
                if shape == "irregular":
                    e["daily"] = {f"2026-01-{d:02d}": rnd.randrange(50) for d in range(1, 2 + i % 6)}
                    e["attrs"] = [{"plan": "pro", "seats": i % 9}, "legacy-client", i % 100, [1, "two"], None][i % 5]
                lines.append(json.dumps(e))
            f.write("\n".join(lines) + "\n")
            n += 10_000
    return n


def child_duckdb(a: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={a['workers']}")
    cols = "{" + ", ".join(f"'{n}': '{DUCK[t]}'" for n, t in columns(a["shape"])) + "}"
    out = f"{a['out']}/duck.parquet"
    con.execute(f"COPY (SELECT * FROM read_json('{a['json']}', format='newline_delimited', columns={cols})) "
                f"TO '{out}' (FORMAT parquet)")
    return {"rows": con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]}  # type: ignore[index]


def child_pyarrow(a: dict[str, Any]) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    from migrate.formats.types import arrow_field

    schema = pa.schema([arrow_field(n, t) for n, t in columns(a["shape"])])
    reader = pj.open_json(a["json"], parse_options=pj.ParseOptions(explicit_schema=schema))
    out, rows = f"{a['out']}/pyarrow.parquet", 0
    with pq.ParquetWriter(out, reader.schema, compression="zstd") as w:
        for b in reader:
            w.write_batch(b)
            rows += b.num_rows
    return {"rows": rows}


def child_ours(a: dict[str, Any]) -> dict[str, Any]:
    from migrate.engine import run_dataset
    from migrate.plan import load_plan_text

    base = Path(a["out"]) / "ours"
    schema = ", ".join(f'{{name: {n}, type: "{t}"}}' for n, t in columns(a["shape"]))
    plan = load_plan_text(f"""
version: 1
name: bench
settings: {{state_dir: state}}
sources: {{src: {{kind: local, path: "{Path(a['json']).parent}"}}}}
targets: {{out: {{kind: local, path: out}}}}
datasets:
  - name: data
    source: {{store: src, path: ""}}
    format: {{kind: jsonl}}
    schema: [{schema}]
    target: {{kind: parquet, store: out, path: data}}
""", base_dir=base)
    rep = run_dataset(plan, "data", concurrency=a["workers"])
    if rep.files_failed or rep.rows_quarantined:
        raise SystemExit(f"ours failed: {rep.errors} ({rep.rows_quarantined} quarantined)")
    return {"rows": rep.rows_written}


CHILDREN = {"duckdb": child_duckdb, "pyarrow": child_pyarrow, "ours": child_ours}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--mib", type=int, default=128, help="size of each generated JSON lines file")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds; best and median are printed")
    ap.add_argument("--shapes", default="struct,irregular")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir, removed after)")
    ns = ap.parse_args()
    if ns.child:
        print(json.dumps(run_child(ns.child[0], json.loads(ns.child[1]), CHILDREN)))
        return
    work = Path(ns.workdir or tempfile.mkdtemp(prefix="migrate-nbench-"))
    report: list[str] = []
    try:
        for shape in ns.shapes.split(","):
            src = fresh(work / f"src-{shape}")
            t0 = time.perf_counter()
            nrows = generate(src / "events.json", shape, ns.mib)
            print(f"generated {shape}: {nrows:,} rows in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
            args = {"json": str(src / "events.json"), "out": str(work / "out"), "workers": ns.workers,
                    "shape": shape}

            def clean() -> None:
                fresh(work / "out")
            contenders = [("duckdb", "duckdb", args, None, clean), ("ours", "ours", args, None, clean)]
            if shape == "struct":
                contenders.append(("pyarrow", "pyarrow", args, None, clean))
            before = load_line()
            rows = rounds(contenders, ns.repeat, script=__file__)
            counts = {label: r["rows"] for label, r in rows}
            if len(set(counts.values())) != 1:
                raise SystemExit(f"row counts differ: {counts}")
            mib = (src / "events.json").stat().st_size / 2**20
            report.append(f"\n{shape}: before: {before}; after: {load_line()}; best of {ns.repeat}")
            report += table(f"nested JSON lines ({shape}) -> Parquet", rows, mib, "duckdb", cpu=True)
            r = dict(rows)
            report.append(f"ours vs duckdb: {r['duckdb']['seconds'] / r['ours']['seconds']:.2f}x best, "
                          f"{r['duckdb']['median_seconds'] / r['ours']['median_seconds']:.2f}x of the medians")
    finally:
        if not ns.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(report))


if __name__ == "__main__":
    main()
