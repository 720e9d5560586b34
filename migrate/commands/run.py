"""``migrate run PLAN``: copy and convert a plan's datasets (a Prefect flow unless --no-prefect)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from migrate.errors import MigrateError, PlanError

# Wide when piped (CI logs), so the summary table is not truncated.
console = Console(width=None if sys.stdout.isatty() else 140)


def summary_table(title: str, datasets: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for col in ("dataset", "wave", "target", "files", "source rows", "quarantined", "target rows", "match",
                "status"):
        table.add_column(col, justify="right" if col in ("files", "source rows", "quarantined",
                                                         "target rows", "wave") else "left")
    for d in datasets:
        rep = d.get("report") or {}
        match = d.get("counts_match")
        table.add_row(
            d["dataset"], str(d["wave"]), d["target_kind"], str(rep.get("files_total", "")),
            _n(d.get("source_rows")), _n(d.get("source_quarantined")), _n(d.get("target_rows")),
            {True: "[green]equal[/]", False: "[red]DIFFER[/]", None: "-"}[match],
            "[green]ok[/]" if d["ok"] else f"[red]failed[/] {d.get('error') or ''}",
        )
    return table


def _n(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def run_command(
    plan: Path = typer.Argument(..., exists=True, dir_okay=False, help="the migration plan YAML"),
    dataset: list[str] = typer.Option(None, "--dataset", "-d", help="only these datasets (repeatable)"),
    wave: list[int] = typer.Option(None, "--wave", "-w", help="only these waves (repeatable)"),
    prefect: bool = typer.Option(True, "--prefect/--no-prefect", help="run as a Prefect flow (UI visible)"),
    count: bool = typer.Option(True, "--count/--no-count", help="re-count source and target rows afterwards"),
    report: Path | None = typer.Option(None, "--report", help="write the run report as JSON here"),
) -> None:
    """Copy and convert every selected dataset, wave by wave; print source vs target row counts."""
    from migrate.plan import load_plan

    try:
        loaded = load_plan(plan)
        from migrate.progress import RichProgress

        with RichProgress(console) as progress:
            if prefect:
                from migrate.flows.run import migrate_run_flow, progress_to

                with progress_to(progress):
                    result = migrate_run_flow(str(plan.resolve()), datasets=dataset or None, waves=wave or None,
                                              count=count)
            else:
                from migrate import runner

                result = runner.run_plan(loaded, names=dataset or None, waves=wave or None, progress=progress,
                                         count=count).to_dict()
    except PlanError as exc:
        for p in exc.problems or [str(exc)]:
            console.print(p, markup=False)
        raise typer.Exit(2) from exc
    except MigrateError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(summary_table(f"migrate run {loaded.name}", result["datasets"]))
    if report:
        report.write_text(json.dumps(result, indent=2, default=str))
    if not result["ok"]:
        raise typer.Exit(1)
