"""The main job on embedded defaults: generate a legacy estate, serve its HDFS part over WebHDFS,
run ``plans/examples/demo.yaml`` (a Prefect flow when a server is up) and print source vs target row counts."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from migrate.errors import MigrateError

DEMO_PORT = 9870  # the plan names http://127.0.0.1:9870 (Hadoop 3's NameNode HTTP port)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # Like the server itself: connections of a previous run in TIME_WAIT must not count as taken.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_http(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MigrateError(f"the WebHDFS test server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise MigrateError(f"the WebHDFS test server did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


def find_demo_plan() -> Path:
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = base / "plans" / "examples" / "demo.yaml"
        if candidate.is_file():
            return candidate
    raise MigrateError("plans/examples/demo.yaml not found: run `migrate demo` from the project folder")


def run_demo(fresh: bool = True, prefect: bool | None = None) -> int:
    from migrate.commands.run import console, print_outcome_details, summary_table
    from migrate.estate import generate_estate
    from migrate.plan import load_plan

    plan_path = find_demo_plan()
    work = plan_path.parent.parent.parent / ".demo"
    # Before anything is generated or deleted: a second demo (or a real NameNode) may hold the port.
    if not _port_free(DEMO_PORT):
        raise MigrateError(f"port 127.0.0.1:{DEMO_PORT} is taken: the demo's WebHDFS server needs it "
                           f"(another `migrate demo` running? `ss -ltnp 'sport = :{DEMO_PORT}'` shows who holds it)")
    if fresh and work.exists():
        shutil.rmtree(work)
    estate = generate_estate(work / "estate")
    console.print(f"legacy estate: {len(estate.datasets)} datasets, {len(estate.jobs)} jobs in {work / 'estate'}")
    log = open(work / "webhdfs.log", "wb")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        [sys.executable, "-m", "migrate.devservers.webhdfs", "--root", str(work / "estate" / "hdfs"),
         "--host", "127.0.0.1", "--port", str(DEMO_PORT)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_http(DEMO_PORT, server)
        console.print(f"WebHDFS protocol test server (a stand-in for HDFS) on http://127.0.0.1:{DEMO_PORT}")
        from migrate import runner
        from migrate.flows import launch

        def flow() -> dict[str, Any]:
            from migrate.flows.run import run_plan_flow

            return run_plan_flow(str(plan_path))

        result = launch.run(prefect, lambda: runner.run_plan(load_plan(plan_path)).to_dict(), flow,
                            note=lambda text: console.print(f"note: {text}", markup=False, style="dim"))
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    console.print(summary_table("demo: source vs target", result["datasets"]))
    print_outcome_details(result["datasets"], load_plan(plan_path).state_dir)
    console.print("[green]demo OK[/]: every dataset migrated, counts equal" if result["ok"]
                  else "[red]demo: some datasets need attention (see above)[/]")
    return 0 if result["ok"] else 1
