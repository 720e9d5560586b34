"""Start-up tax of ``migrate run``: how long before data moves, as ratios against the bare library run.

Each round runs the same small plan (FILES CSV files, fresh state and target every time) in a child
process, in alternating order:

- ``library``: ``runner.run_plan(load_plan(PLAN))`` in a bare ``python -c`` (the peer: no CLI, no Prefect);
- ``cli``: ``migrate run PLAN`` with no Prefect server configured (the default a new user meets);
- ``server``: ``migrate run PLAN`` as a Prefect flow on the project's running server (``migrate server start``,
  started once before the rounds; its own start-up is printed apart);
- ``ephemeral`` (``--ephemeral``): the old behaviour, a flow with Prefect's temporary server per run.

"First data" is the moment the engine starts the first dataset (``runs.started_at`` in the ledger) minus
the moment the child was spawned. Medians of the rounds; the machine's load average is printed too.

    python benchmarks/startup_bench.py [--rounds 5 --files 20 --rows 20000 --ephemeral]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable

PLAN = """\
version: 1
name: startup
settings: {state_dir: state}
sources:
  legacy: {kind: local, path: legacy}
targets:
  out: {kind: local, path: out}
datasets:
  - name: events
    source: {store: legacy, path: events}
    format: {kind: csv, header: true}
    target: {kind: parquet, store: out, path: events}
"""

LIBRARY = ("from migrate import runner; from migrate.plan import load_plan; "
           "import sys; r = runner.run_plan(load_plan(sys.argv[1]), count=False); sys.exit(0 if r.ok else 1)")


def make_estate(base: Path, files: int, rows: int) -> Path:
    src = base / "legacy" / "events"
    src.mkdir(parents=True)
    for f in range(files):
        lines = ["id,user,amount,ts"] + [f"{f * rows + i},u{i % 997},{i * 0.25:.2f},2024-01-01 00:00:{i % 60:02d}"
                                         for i in range(rows)]
        (src / f"part-{f:05d}.csv").write_text("\n".join(lines) + "\n")
    (base / "plan.yaml").write_text(PLAN)
    return base / "plan.yaml"


def clean_env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | extra


def one(name: str, cmd: list[str], base: Path, env: dict[str, str]) -> tuple[float, float]:
    """(seconds to first data, seconds in all) of one child run on a fresh state and target."""
    for d in ("state", "out"):
        shutil.rmtree(base / d, ignore_errors=True)
    t_wall = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=base, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    total = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    with sqlite3.connect(base / "state" / "ledger.db") as db:
        (started,) = db.execute("SELECT MIN(started_at) FROM runs").fetchone()
    return started - t_wall, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--ephemeral", action="store_true", help="also measure the old per-run temporary server")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    # The server's PREFECT_HOME outside the plan's folder: `cli` must not find it (it looks upwards from
    # the working directory); `server` is pointed at it with PREFECT_HOME.
    home = Path(tempfile.mkdtemp(prefix="startup-bench-prefect-"))
    try:
        plan = make_estate(base, args.files, args.rows)
        size = sum(f.stat().st_size for f in (base / "legacy" / "events").iterdir())
        print(f"plan: {args.files} CSV files, {size / 2**20:.1f} MiB; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores")
        t0 = time.perf_counter()
        start = subprocess.run([PY, "-m", "migrate.cli", "server", "start", "--home", str(home), "--port", "0"],
                               env=clean_env(), capture_output=True, text=True)
        if start.returncode:
            raise SystemExit(f"migrate server start failed:\n{start.stdout}{start.stderr}")
        print(f"migrate server start (once, then reused by every command): {time.perf_counter() - t0:.1f} s")
        runs = {
            "library": ([PY, "-c", LIBRARY, str(plan)], clean_env(HOME=str(base))),
            "cli": ([PY, "-m", "migrate.cli", "run", str(plan), "--no-count"], clean_env(HOME=str(base))),
            "server": ([PY, "-m", "migrate.cli", "run", str(plan), "--no-count"], clean_env(PREFECT_HOME=str(home))),
        }
        if args.ephemeral:
            code = ("import sys; from migrate.flows.run import run_plan_flow; "
                    "sys.exit(0 if run_plan_flow(sys.argv[1], count=False)['ok'] else 1)")
            runs["ephemeral"] = ([PY, "-c", code, str(plan)],
                                 clean_env(PREFECT_HOME=str(base / ".ephemeral"), HOME=str(base),
                                           PREFECT_SERVER_ALLOW_EPHEMERAL_MODE="true",
                                           PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180"))
        first: dict[str, list[float]] = {k: [] for k in runs}
        total: dict[str, list[float]] = {k: [] for k in runs}
        for r in range(args.rounds):
            order = list(runs) if r % 2 == 0 else list(reversed(runs))
            for name in order:
                f, t = one(name, runs[name][0], base, runs[name][1])
                first[name].append(f)
                total[name].append(t)
            print(f"round {r + 1}: " + ", ".join(f"{n} {first[n][-1]:.2f}/{total[n][-1]:.2f} s" for n in runs),
                  flush=True)
        lib_f, lib_t = statistics.median(first["library"]), statistics.median(total["library"])
        print(f"\nmedians of {args.rounds} rounds (load average now {os.getloadavg()[0]:.1f}):")
        print(f"{'run':<10} {'first data':>11} {'ratio':>7} {'total':>8} {'ratio':>7}")
        for name in runs:
            f, t = statistics.median(first[name]), statistics.median(total[name])
            print(f"{name:<10} {f:>9.2f} s {f / lib_f:>6.2f}x {t:>6.2f} s {t / lib_t:>6.2f}x")
        cli_f = statistics.median(first["cli"])
        print(f"\nbar: `migrate run` without a server moves data within 3 s: {cli_f:.2f} s -> "
              f"{'OK' if cli_f <= 3 else 'FAIL'}")
    finally:
        subprocess.run([PY, "-m", "migrate.cli", "server", "stop", "--home", str(home)], env=clean_env(),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
