"""The ``migrate`` command line: thin commands over the library (and flows where a run shows in the UI).

Every expected failure is a ``MigrateError`` (or an ``OSError`` on a path the user named): the root
group turns it into ``error: ...`` lines on stderr and exit code 1, without a traceback. ``--debug``
(or ``MIGRATE_DEBUG=1``) shows the traceback too.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from migrate.commands import cutover as cutover_commands
from migrate.commands import plan as plan_commands
from migrate.commands import server as server_commands
from migrate.commands import translate as translate_commands
from migrate.commands.deploy import deploy_command, worker_command
from migrate.commands.inventory import inventory_command
from migrate.commands.policy import policy_command
from migrate.commands.run import run_command
from migrate.commands.validate import validate_command
from migrate.errors import MigrateError, PlanError

DEBUG_ENV = "MIGRATE_DEBUG"


def _debug_wanted() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def error_lines(exc: BaseException) -> list[str]:
    """What the user sees for ``exc``: the problems of a plan, else one ``error:`` line."""
    if isinstance(exc, PlanError) and exc.problems:
        first = exc.problems[0]
        # A plan that could not be read has one problem that repeats the message.
        head = [] if len(exc.problems) == 1 and first == str(exc) else list(exc.problems)
        return [*head, f"error: {exc}"]
    if isinstance(exc, MigrateError):
        return [f"error: {exc}"]
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return [f"error: {where}{exc.strerror or exc}"]
    return [f"error: unexpected {type(exc).__name__}: {exc}",
            f"This is a bug in migrate; run again with --debug (or {DEBUG_ENV}=1) for the traceback "
            "and report it."]


class _Group(TyperGroup):
    """The root group: expected failures become ``error: ...`` lines and exit 1 (see module doc)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _debug_wanted():
                traceback.print_exception(exc)
            for line in error_lines(exc):
                typer.echo(line, err=True)
            raise typer.Exit(1) from exc


app = typer.Typer(
    name="migrate",
    cls=_Group,
    help="Move a legacy big-data platform to S3/JuiceFS, Parquet/Iceberg and Spark, with proof.",
    epilog=(
        "First time here? `migrate demo` migrates a generated estate on local defaults. "
        "A typical day: `migrate inventory` -> `migrate plan init` -> `migrate plan check` -> "
        "`migrate run PLAN`. Each command has --help."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help=f"show Python tracebacks of errors (also {DEBUG_ENV}=1)"),
) -> None:
    if debug:  # the library (runner, flows) reads the same variable
        os.environ[DEBUG_ENV] = "1"


# Each command group lives in migrate/commands/<group>.py and is registered here, one line each.
app.add_typer(plan_commands.app, name="plan")
app.add_typer(translate_commands.app, name="translate")
app.command("run")(run_command)
app.command("inventory")(inventory_command)
app.add_typer(server_commands.app, name="server")
app.add_typer(cutover_commands.app, name="cutover")
app.command("validate")(validate_command)
app.command("policy")(policy_command)
app.command("deploy")(deploy_command)
app.command("worker")(worker_command)


@app.command("demo")
def demo_command(
    prefect: bool | None = typer.Option(
        None, "--prefect/--no-prefect",
        help="run as Prefect flows; default: when a Prefect server is up (PREFECT_API_URL, `migrate server start`)"),
) -> None:
    """The main job on embedded defaults: generate a legacy estate and migrate it."""
    from migrate.demo import run_demo

    raise typer.Exit(run_demo(prefect=prefect))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
