"""``migrate plan check`` and ``migrate plan schema``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from migrate.commands import write_output
from migrate.commands.inventory import plan_init_command
from migrate.errors import MigrateError
from migrate.plan import Plan, check_plan, load_plan, plan_json_schema

app = typer.Typer(
    name="plan", help="Write (init), check and export the JSON Schema of migration plans.", no_args_is_help=True
)


@app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="plan files (YAML)", metavar="FILE..."),
) -> None:
    """Print every problem as FILE:LINE:COLUMN: key.path: message; exit 1 if any."""
    failed = 0
    for file in files:
        problems = check_plan(file)
        if problems:
            failed += 1
            for problem in problems:
                typer.echo(str(problem))
            continue
        plan = load_plan(file)  # cannot fail: the check above found nothing
        waves = plan.waves
        typer.echo(
            f"{file}: OK: plan {plan.name!r}, {len(plan.datasets)} dataset(s), {len(plan.jobs)} job(s), "
            f"{len(waves)} wave(s)" + (f" ({', '.join(map(str, waves))})" if waves else "")
        )
        _settings_notes(plan)
    if failed:
        typer.echo(f"{failed} of {len(files)} plan(s) have problems; fix them and run `migrate plan check` again",
                   err=True)
        raise typer.Exit(1)


def _settings_notes(plan: Plan) -> None:
    """Datasets whose migrated files the plan's edits would have converted again by ``migrate run``."""
    from migrate.layout import conversion_settings
    from migrate.ledger import Ledger

    path = plan.state_dir / "ledger.db"
    if not path.exists():
        return
    try:
        with Ledger(path) as ledger:
            changes = {ds.name: ledger.settings_changes(ds.name, conversion_settings(ds)) for ds in plan.datasets}
    except MigrateError as exc:  # the plan is fine; only this look-ahead cannot be made
        typer.echo(f"note: files to convert again not known: {exc}")
        return
    for name, by_reason in changes.items():
        for why, n in by_reason.items():
            typer.echo(f"note: dataset {name}: {n} migrated file(s) were converted under other settings "
                       f"({why}); the next `migrate run` converts them again")


def schema_text() -> str:
    """The JSON Schema exactly as plans/plan.schema.json stores it."""
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"


@app.command("schema")
def schema(
    output: Path | None = typer.Option(None, "-o", "--output", help="write here instead of stdout"),
) -> None:
    """Write the plan JSON Schema (for editor completion via yaml-language-server)."""
    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text)
    typer.echo(f"wrote {output}", err=True)


app.command("init")(plan_init_command)
