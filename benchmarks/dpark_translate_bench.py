"""Speed of ``migrate translate dpark`` (files/s), side by side with its own first stage run alone: fissix, the
maintained lib2to3 fork, modernising the same files (the cheapest tool that touches every file). Also the
corpus figures: files translated / with notes / unsupported.

The input is the project's DPark corpus (tests/translators/dpark/corpus) copied ``--copies`` times (a few
hundred jobs, as a platform has), plus any folder given with ``--extra`` (e.g. third-party jobs kept locally;
never committed). Rounds alternate the two pipelines; the medians and their ratio are printed with the load.

    python benchmarks/dpark_translate_bench.py [--copies 25] [--rounds 3] [--extra DIR] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrate.translators.dpark import translate_paths  # noqa: E402
from migrate.translators.dpark.modernize import decode_source, modernize  # noqa: E402
from migrate.translators.dpark.translate import iter_py_files  # noqa: E402

CORPUS = ROOT / "tests" / "translators" / "dpark" / "corpus"


def build_input(folder: Path, copies: int, extra: list[Path]) -> list[Path]:
    for i in range(copies):
        shutil.copytree(CORPUS, folder / f"team{i:03d}")
    for j, e in enumerate(extra):
        shutil.copytree(e, folder / f"extra{j}")
    return iter_py_files([folder])


def fissix_only(files: list[Path]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process)"""
    start, cpu = time.perf_counter(), time.process_time()
    for f in files:
        modernize(decode_source(f.read_bytes()))
    return time.perf_counter() - start, time.process_time() - cpu


def ours(folder: Path, workers: int | None) -> tuple[float, float, dict[str, int]]:
    start, cpu = time.perf_counter(), time.process_time()
    report, _ = translate_paths([folder], workers=workers)
    return (time.perf_counter() - start, time.process_time() - cpu,
            report.to_dict()["summary"]["files_by_status"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None, help="translator processes (default: by file count)")
    ap.add_argument("--extra", type=Path, action="append", default=[])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dpark-bench-") as tmp:
        files = build_input(Path(tmp), args.copies, args.extra)
        n = len(files)
        fissix_only(files[:5])  # warm both pipelines (fixer patterns compile once per process)
        ours_t, ours_cpu, fix_t, fix_cpu, by_status = [], [], [], [], {}
        for r in range(args.rounds):
            order = [0, 1] if r % 2 == 0 else [1, 0]
            for which in order:
                if which == 0:
                    t, c, by_status = ours(Path(tmp), args.workers)
                    ours_t.append(t)
                    ours_cpu.append(c)
                else:
                    t, c = fissix_only(files)
                    fix_t.append(t)
                    fix_cpu.append(c)
        o, f = statistics.median(ours_t), statistics.median(fix_t)
        load = os.getloadavg()[0]
        print(f"{n} files, {args.rounds} alternating rounds, load average {load:.1f} on {os.cpu_count()} cores")
        print(f"migrate translate dpark : {n / o:7.1f} files/s (median {o:.2f} s; workers={args.workers or 'auto'})")
        print(f"fissix alone            : {n / f:7.1f} files/s (median {f:.2f} s, one process)")
        print(f"ratio (ours / fissix)   : {(n / o) / (n / f):7.2f}")
        if args.workers == 1:  # CPU time is what an idle core would take (the load here stretches wall time)
            oc, fc = statistics.median(ours_cpu), statistics.median(fix_cpu)
            print(f"per CPU-second          : ours {n / oc:.1f} files, fissix {n / fc:.1f} files")
        print(f"files: {by_status}")


if __name__ == "__main__":
    main()
