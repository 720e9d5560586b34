"""The ``migrate`` command line: thin commands over the library (and flows where a run shows in the UI)."""

from __future__ import annotations

import typer

from migrate.commands import plan as plan_commands
from migrate.commands import translate as translate_commands
from migrate.commands.inventory import inventory_command
from migrate.commands.run import run_command

app = typer.Typer(
    name="migrate",
    help="Move a legacy big-data platform to S3/JuiceFS, Parquet/Iceberg and Spark, with proof.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Each command group lives in migrate/commands/<group>.py and is registered here, one line each.
app.add_typer(plan_commands.app, name="plan")
app.add_typer(translate_commands.app, name="translate")
app.command("run")(run_command)
app.command("inventory")(inventory_command)


@app.command("demo")
def demo_command(
    prefect: bool = typer.Option(True, "--prefect/--no-prefect", help="run the plan as a Prefect flow"),
) -> None:
    """The main job on embedded defaults: generate a legacy estate and migrate it."""
    from migrate.demo import run_demo
    from migrate.errors import MigrateError

    try:
        code = run_demo(prefect=prefect)
    except MigrateError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
