"""``migrate deploy PLAN`` (scheduled incremental re-sync until cutover) and ``migrate worker`` (serves it).

Both need a Prefect server (``migrate server start`` or PREFECT_API_URL): a schedule lives on a server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from migrate.errors import ConfigError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """``90s``, ``15m``, ``1h``, ``1d`` (or plain seconds) -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise typer.BadParameter(f"--every {text!r}: expected a duration like 30m, 1h or 1d")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def _server() -> tuple[Path, Any]:
    """(PREFECT_HOME holding the registry, where the server is); an error when no server runs."""
    from migrate.devservers.prefect import project_home
    from migrate.flows import launch

    where = launch.decide(None)
    if not where.prefect:
        raise ConfigError("deployments live on a Prefect server and none is running: `migrate server start` "
                          "(or set PREFECT_API_URL), then run this again")
    return where.home or project_home(), where


def deploy_command(
    plan: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="PLAN", help="the migration plan YAML"),
    every: str | None = typer.Option(None, "--every", help="re-sync interval, e.g. 1h (default 1h)"),
    cron: str | None = typer.Option(None, "--cron", help="or a cron schedule, e.g. '0 * * * *'"),
) -> None:
    """Create the plan's deployment: an incremental re-sync on a schedule until each wave is cut over."""
    from migrate.plan import load_plan

    if every and cron:
        raise typer.BadParameter("give --every or --cron, not both")
    seconds = parse_every(every or "1h") if not cron else None
    loaded = load_plan(plan)
    from migrate.flows import launch

    home, where = _server()
    with launch.prefect_env(where):
        from migrate.flows.deploy import apply

        name, dep_id = apply(home, str(plan.resolve()), loaded.name, seconds, cron)
    when = f"cron {cron}" if cron else f"every {every or '1h'}"
    typer.echo(f"deployment {name} ({dep_id}) on {where.api_url}: re-syncs plan {loaded.name} {when} until each "
               "wave is cut over; `migrate worker` runs it (start a run now from the UI or "
               f"`prefect deployment run {name}`)")


def worker_command(
    once: bool = typer.Option(False, "--once", help="run what is due (or started by hand) now, then exit"),
) -> None:
    """Serve the project's deployments: runs their scheduled flow runs until stopped (Ctrl-C)."""
    from migrate.flows import launch


    home, where = _server()
    from migrate.flows.deploy import read_registry

    entries = read_registry(home)
    if not entries:
        raise ConfigError(f"no deployments recorded in {home} (`migrate deploy PLAN` creates one)")
    typer.echo(f"serving {len(entries)} deployment(s) from {where.api_url}: "
               + ", ".join(e["plan"] for e in entries) + ("" if once else "; Ctrl-C to stop"), err=True)
    with launch.prefect_env(where):
        from migrate.flows.deploy import serve

        serve(home, run_once=once)
