"""``migrate server start|stop|status``: the project's Prefect server (API + UI) on loopback.

One background server per project (PREFECT_HOME = ./.prefect unless set), started once and reused by
every ``migrate`` command, so no command pays Prefect's 10-30 s server start-up.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from migrate.errors import ConfigError

app = typer.Typer(help="The project's Prefect server (API + UI on 127.0.0.1), reused by every command.",
                  no_args_is_help=True)

_HOME = typer.Option(None, "--home", help="PREFECT_HOME of the server (default: $PREFECT_HOME, else ./.prefect)")


def _home(home: Path | None) -> Path:
    from migrate.devservers.prefect import project_home

    return home.resolve() if home is not None else project_home()


@app.command("start")
def start(
    home: Path | None = _HOME,
    port: int | None = typer.Option(None, "--port",
                                    help="port on 127.0.0.1 (default 4200 when free; 0: any free port)"),
    timeout: float = typer.Option(120.0, "--timeout", help="seconds to wait for the server to answer"),
) -> None:
    """Start the server in the background (or show the one already running)."""
    from migrate.devservers.prefect import DevServerError, running_server, start_background

    where = _home(home)
    if running_server(where) is None:
        typer.echo(f"starting a Prefect server (PREFECT_HOME {where}); the first start takes 10-30 s ...", err=True)
    try:
        state = start_background(where, port, timeout)
    except DevServerError as exc:
        raise ConfigError(str(exc)) from None
    _print(state)


@app.command("stop")
def stop(home: Path | None = _HOME) -> None:
    """Stop the server by the PID it was started with."""
    from migrate.devservers.prefect import stop_background

    where = _home(home)
    state = stop_background(where)
    if state is None:
        typer.echo(f"no Prefect server recorded in {where}")
        return
    typer.echo(f"stopped the Prefect server (pid {state.pid}, {state.ui_url})")


@app.command("status")
def status(home: Path | None = _HOME) -> None:
    """Say whether the server runs and where (exit 1 when it does not)."""
    from migrate.devservers.prefect import health, read_state

    where = _home(home)
    state = read_state(where)
    if state is None or not state.alive():
        typer.echo(f"no Prefect server running for {where} (`migrate server start` starts one)")
        raise typer.Exit(1)
    why = health(state.api_url)
    if why is not None:
        typer.echo(f"Prefect server pid {state.pid} runs but {state.api_url}/health does not answer ({why}); "
                   f"log: {state.log}")
        raise typer.Exit(1)
    _print(state)


def _print(state: object) -> None:
    from migrate.devservers.prefect import ServerState

    assert isinstance(state, ServerState)
    up = time.time() - state.started_at
    typer.echo(f"Prefect server running: UI {state.ui_url}  API {state.api_url}  pid {state.pid}  "
               f"up {up:.0f}s  PREFECT_HOME {state.home}  log {state.log}")
    typer.echo("every `migrate` command in this project now runs as a Prefect flow on it "
               "(`migrate server stop` to stop it)")
