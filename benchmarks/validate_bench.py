"""Validation against the conversion it checks, and against datacompy, as ratios measured in one run.

    python benchmarks/validate_bench.py                     # full: the 1 GiB generated CSV
    python benchmarks/validate_bench.py --csv-mib 64 --repeat 1   # quick smoke run

The data is copy_convert_bench's generated CSV (int, float, string, date, timestamp, bool, nulls). It is
converted to Parquet once by the engine (the copy that is validated), then, in alternating rounds, each
in its own child process:

- ``convert (ours)``: the same conversion again (CSV -> zstd Parquet through the engine): the reference;
- ``validate (ours)``: ``validate_dataset`` on that copy, counts + profiles + row checksums (files,
  schema, row counts per partition, column profiles, order-independent row checksums; no cache, no
  expectations), reading the whole CSV with the copy's reader and every Parquet file;
- ``datacompy (polars)``: datacompy's PolarsCompare of the same CSV against the same Parquet files
  joined on ``id`` (both sides loaded in memory; ``--datacompy-mib`` limits it to a prefix of the data
  when memory is short, and the table says so).

Goals (issue 16): validation throughput >= 0.8x the conversion's, peak RSS <= 600 MiB. Peak RSS is the
largest sampled sum over the child's process tree; the load average before and after is printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.copy_convert_bench import (  # noqa: E402 - after the path set-up
    COLUMNS,
    _engine_options,
    _plan,
    child_ours,
    fresh,
    generated_csv,
    load_line,
    rounds,
    run_child,
    table,
)


def child_validate(a: dict[str, Any]) -> dict[str, Any]:
    from migrate.validators.validate import Options, validate_dataset

    plan = _plan(Path(a["copy"]), str(Path(a["csv"]).parent), "{kind: parquet, store: out, path: data}")
    v = validate_dataset(plan, "data", options=Options(use_cache=False, expectations=False, workers=a["workers"]),
                         write=False)
    if v["verdict"] != "pass":
        raise SystemExit(f"validation did not pass: {v['reasons']} {v['findings'][:3]}")
    return {"rows": v["rows"]["source"], "checks": [c["check"] for c in v["checks"]]}


def _csv_prefix(csv: Path, mib: int | None) -> tuple[Path, int | None]:
    """``csv`` itself, or a copy of its first ``mib`` MiB of whole lines (and the largest id in it)."""
    if not mib or mib << 20 >= csv.stat().st_size:
        return csv, None
    out = csv.with_name(f"prefix-{mib}.csv")
    if not out.exists():
        with open(csv, "rb") as f:
            data = f.read(mib << 20)
        out.write_bytes(data[: data.rfind(b"\n") + 1])
    last = out.read_bytes()[-200:].splitlines()[-1]
    return out, int(last.split(b",", 1)[0])


def child_datacompy(a: dict[str, Any]) -> dict[str, Any]:
    import datacompy
    import polars as pl

    types = {"bigint": pl.Int64, "double": pl.Float64, "string": pl.Utf8, "date": pl.Date,
             "timestamp": pl.Datetime("us"), "boolean": pl.Boolean, "int": pl.Int32}
    csv, last_id = _csv_prefix(Path(a["csv"]), a.get("datacompy_mib"))
    # As the copy's reader: an empty field is an empty string in a string column (null elsewhere).
    src = pl.read_csv(csv, schema={n: types[t] for n, t in COLUMNS}, empty_string_is_null=False)
    files = sorted(str(p) for p in Path(a["copy"], "out", "data").rglob("*.parquet"))
    tgt = pl.read_parquet(files)
    if last_id is not None:
        tgt = tgt.filter(pl.col("id") <= last_id)
    cmp = datacompy.PolarsCompare(src, tgt, join_columns=["id"])
    if not cmp.matches():
        raise SystemExit(f"datacompy found differences in a clean copy:\n{cmp.report()[:3000]}")
    cmp.report()
    return {"rows": src.height, "fraction": round(csv.stat().st_size / Path(a["csv"]).stat().st_size, 3)}


CHILDREN = {"convert": child_ours, "validate": child_validate, "datacompy": child_datacompy}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--csv-mib", type=int, default=1024, help="size of the generated CSV (default 1024)")
    ap.add_argument("--workers", type=int, default=2, help="threads/processes for conversion and validation")
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds; best and median are printed")
    ap.add_argument("--datacompy-mib", type=int, default=0,
                    help="datacompy on the first N MiB only (0: all; it holds both sides in memory)")
    ap.add_argument("--datacompy-repeat", type=int, default=1, help="rounds of datacompy (slow; default 1)")
    ap.add_argument("--skip-datacompy", action="store_true")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir, removed after)")
    ns = ap.parse_args()
    if ns.child:
        print(json.dumps(run_child(ns.child[0], json.loads(ns.child[1]), CHILDREN)))
        return
    work = Path(ns.workdir or tempfile.mkdtemp(prefix="migrate-vbench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print("\n".join(bench(work, ns)))
    finally:
        if not ns.workdir:
            shutil.rmtree(work, ignore_errors=True)


def bench(work: Path, ns: argparse.Namespace) -> list[str]:
    csv = generated_csv(work, ns.csv_mib)
    src = csv.parent
    mib = csv.stat().st_size / 2**20
    copy = work / "copy"  # the Parquet copy every validation judges, made once
    if not (copy / "out" / "data").exists():
        from migrate.engine import run_dataset

        fresh(copy)
        rep = run_dataset(_plan(copy, str(src), "{kind: parquet, store: out, path: data}"), "data",
                          concurrency=ns.workers, options=_engine_options(ns.workers))
        assert rep.ok, rep.errors
    out = work / "out"
    args = {"csv": str(csv), "out": str(out), "copy": str(copy), "workers": ns.workers,
            "datacompy_mib": ns.datacompy_mib}
    contenders: list[tuple[str, str, dict[str, Any], dict[str, str] | None, Any]] = [
        ("convert (ours)", "convert", args, None, lambda: fresh(out)),
        ("validate (ours)", "validate", args, None, None)]
    before = load_line()
    rows = rounds(contenders, ns.repeat, script=__file__)
    failed = ""
    if not ns.skip_datacompy:
        # Its own rounds after ours: it holds both sides in memory (GiBs), and a machine short of memory
        # kills it (OOM) without taking the measured ratio of conversion and validation with it.
        try:
            rows += rounds([("datacompy (polars)", "datacompy", args, None, None)], ns.datacompy_repeat,
                           script=__file__)
        except RuntimeError as exc:
            failed = f"datacompy failed: {str(exc).strip().splitlines()[-1][:300]}"
    r = dict(rows)
    lines = [f"\nbefore: {before}; after: {load_line()}; best of {ns.repeat} alternating rounds, "
             f"{ns.workers} workers"]
    lines += table("Validation vs conversion vs datacompy", rows, mib, "convert (ours)")
    conv, val = r["convert (ours)"], r["validate (ours)"]
    lines.append(f"validation throughput / conversion throughput: {conv['seconds'] / val['seconds']:.2f}x "
                 f"(goal >= 0.80); of the medians: {conv['median_seconds'] / val['median_seconds']:.2f}x; "
                 f"validation peak RSS {val['peak_rss_mib']:.0f} MiB (goal <= 600)")
    if failed:
        lines.append(failed)
    if "datacompy (polars)" in r:
        dc = r["datacompy (polars)"]
        frac = dc.get("fraction") or 1.0
        note = "" if frac >= 1 else f" (datacompy on {frac:.0%} of the data; its time scaled up to all of it)"
        lines.append(f"validation vs datacompy: {dc['seconds'] / frac / val['seconds']:.2f}x the speed, "
                     f"{dc['peak_rss_mib'] / val['peak_rss_mib']:.1f}x less memory than datacompy's "
                     f"{dc['peak_rss_mib']:.0f} MiB{note}")
    return lines


if __name__ == "__main__":
    main()
