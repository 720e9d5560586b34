"""The main job on embedded defaults: generate a legacy estate, serve its HDFS part over WebHDFS, then run the
whole story on ``plans/examples/demo.yaml`` as a user would type it (inventory -> plan -> run -> validate ->
translate -> cutover status; as Prefect flows when a server is up) and say where to look."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from migrate.errors import MigrateError

DEMO_PORT = 9870  # the plan names http://127.0.0.1:9870 (Hadoop 3's NameNode HTTP port)
# Another port for the WebHDFS server (tests that run demos side by side, each in a scratch copy): the demo
# then runs a copy of the plan naming that port, beside the original (same relative paths).
PORT_ENV = "MIGRATE_DEMO_PORT"


def demo_port() -> int:
    return int(os.environ.get(PORT_ENV) or DEMO_PORT)


def plan_for_port(plan_path: Path, port: int) -> Path:
    if port == DEMO_PORT:
        return plan_path
    copy = plan_path.with_name(f".demo-{port}.yaml")
    copy.write_text(plan_path.read_text().replace(f"127.0.0.1:{DEMO_PORT}", f"127.0.0.1:{port}"))
    return copy


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


def _cli(args: list[str]) -> int:
    """One ``migrate`` command, in this process, exactly as a user would type it; its exit code."""
    import click
    import typer

    from migrate.cli import app

    try:
        rc = typer.main.get_command(app).main(args=args, prog_name="migrate", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return rc if isinstance(rc, int) else 0


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run_demo(fresh: bool = True, prefect: bool | None = None) -> int:
    """inventory -> plan -> run -> validate -> translate -> cutover status on a generated estate; says where to
    look."""
    from migrate.commands.run import console
    from migrate.estate import generate_estate
    from migrate.flows import launch

    port = demo_port()
    plan_path = find_demo_plan()
    work = plan_path.parent.parent.parent / ".demo"
    # Before anything is generated or deleted: a second demo (or a real NameNode) may hold the port.
    if not _port_free(port):
        raise MigrateError(f"port 127.0.0.1:{port} is taken: the demo's WebHDFS server needs it "
                           f"(another `migrate demo` running? `ss -ltnp 'sport = :{port}'` shows who holds it)")
    plan_path = plan_for_port(plan_path, port)
    where = launch.decide(prefect)  # once for every step (each step is told --prefect / --no-prefect)
    mode = "--prefect" if where.prefect else "--no-prefect"
    if fresh and work.exists():
        shutil.rmtree(work)
    estate = generate_estate(work / "estate")
    console.print(f"legacy estate: {len(estate.datasets)} datasets, {len(estate.jobs)} jobs in "
                  f"{_rel(work / 'estate')} (mfs/ stands in for a MooseFS mount, hdfs/ is served over WebHDFS)")
    console.print(f"Prefect: flows on {where.api_url} ({where.why})" if where.prefect else
                  "Prefect: no server, the library runs directly (`migrate server start` first to watch the "
                  "steps as flow runs in the UI)", markup=False)
    plan, state = _rel(plan_path), work / "state"
    steps = [
        ("inventory", ["inventory", "--plan", plan, "--ddl", _rel(estate.ddl), "--jobs", _rel(estate.jobs_dir),
                       "-o", _rel(work / "inventory.json"), "--mermaid", _rel(work / "lineage.mmd"), "-q", mode]),
        ("plan", ["plan", "init", "--from-inventory", _rel(work / "inventory.json"), "-o",
                  _rel(work / "plan.generated.yaml"), "--name", "demo_generated", "--force"]),
        ("plan check", ["plan", "check", plan]),
        ("run", ["run", plan, mode, "--report", _rel(work / "run-report.json")]),
        ("validate", ["validate", plan, mode]),
        ("translate hive", ["translate", "hive", _rel(estate.jobs_dir / "hive"), "--var", "dt=2024-01-01", "-o",
                            _rel(work / "translated" / "hive"), "--plan", plan, mode]),
        ("translate dpark", ["translate", "dpark", _rel(estate.jobs_dir / "dpark"), "-o",
                             _rel(work / "translated" / "dpark"), "--plan", plan, mode]),
        ("translate jobs", ["translate", "jobs", _rel(estate.jobs_dir), "--dpark-scripts",
                            _rel(estate.jobs_dir / "dpark"), "-o", _rel(work / "translated" / "jobs"), "--plan", plan,
                            mode]),
        ("cutover status", ["cutover", "status", plan, mode]),
    ]
    codes: dict[str, int] = {}
    log = open(work / "webhdfs.log", "wb")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        [sys.executable, "-m", "migrate.devservers.webhdfs", "--root", str(work / "estate" / "hdfs"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_http(port, server)
        console.print(f"WebHDFS protocol test server (a stand-in for HDFS) on http://127.0.0.1:{port}")
        for n, (name, args) in enumerate(steps, 1):
            console.rule(f"{n}/{len(steps)} {name}: migrate {' '.join(args)}", style="cyan")
            codes[name] = _cli(args)
            if name == "cutover status":  # the checklist as a page too
                _cli(["cutover", "status", plan, "--no-prefect", "--format", "html", "-o",
                      _rel(work / "cutover.html")])
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    # `validate` and `cutover status` are verdicts: exit 1 means "not passed yet" (shown above), not a broken step.
    verdicts = ("validate", "cutover status")
    broken = [name for name, rc in codes.items() if rc != 0 and not (name in verdicts and rc == 1)]
    console.rule("where to look", style="cyan")
    for what, path in (("inventory (JSON; lineage as Mermaid)", work / "inventory.json"),
                       ("plan generated from it (the curated one is the demo plan)", work / "plan.generated.yaml"),
                       ("migrated data (Parquet, Iceberg warehouse)", work / "lake"),
                       ("run report; ledger and quarantine", work / "run-report.json"),
                       ("validation report (verdicts per dataset in state/validation/)",
                        state / "validation" / "report" / "validation.html"),
                       ("translated Hive jobs and their coverage report",
                        work / "translated" / "hive" / "translation-report.html"),
                       ("translated DPark jobs (PySpark) and their coverage report", work / "translated" / "dpark"),
                       ("Mesos-era schedules as Kubernetes manifests and Prefect deployments",
                        work / "translated" / "jobs"),
                       ("cutover checklist (also `migrate cutover status PLAN`)", work / "cutover.html")):
        console.print(f"  {what}: {_rel(path)}", markup=False)
    console.print(f"  ledger, locks, quarantine, translation records, cutover log: {_rel(state)}", markup=False)
    if where.prefect:
        console.print(f"  Prefect UI: {where.ui_url}/runs (flow runs, task runs and their artifacts)", markup=False)
    if codes.get("cutover status"):
        console.print("the checklist is not ready yet, as expected on day one: finish what translation left, compare "
                      "shadow runs (`migrate cutover shadow`), sign off (`migrate cutover sign ...`), then "
                      "`migrate cutover execute PLAN --wave 1 --by NAME`", markup=False)
    if broken:
        console.print(f"[red]demo: step(s) {', '.join(broken)} failed (see above)[/]")
        return 1
    validated = "every dataset validated" if codes.get("validate") == 0 else \
        "validation found differences (above; the checklist holds those datasets back)"
    console.print(f"[green]demo OK[/]: every step ran; every dataset migrated, counts equal; {validated}; "
                  "jobs translated; checklist written")
    return 0
