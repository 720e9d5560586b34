"""The ``migrate`` command line: thin commands over the library (and flows where a run shows in the UI)."""

from __future__ import annotations

import typer

from migrate.commands import plan as plan_commands

app = typer.Typer(
    name="migrate",
    help="Move a legacy big-data platform to S3/JuiceFS, Parquet/Iceberg and Spark, with proof.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Each command group lives in migrate/commands/<group>.py and is registered here, one line each.
app.add_typer(plan_commands.app, name="plan")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
