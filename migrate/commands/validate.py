"""``migrate validate PLAN``: prove each dataset's target holds exactly its source's data.

Prints one line per dataset (verdict, rows, findings, first reason), the first findings of every dataset
that did not pass (each naming partition, column, file and line where it can) and where the reports are.
Exit 0 when every dataset passes, 1 when any fails or could not be validated, 2 for a broken plan.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from migrate.commands import plan_command_errors

console = Console(width=None if sys.stdout.isatty() else 140)
FINDINGS_PRINTED = 10


def _note(text: str) -> None:
    console.print(f"note: {text}", markup=False, highlight=False, soft_wrap=True, style="dim")


def _n(v: Any) -> str:
    return "-" if v is None else f"{v:,}" if isinstance(v, int) else str(v)


def summary_table(run: dict[str, Any]) -> Table:
    table = Table(title=f"migrate validate {run['plan']}")
    for col in ("dataset", "verdict", "source rows", "quarantined", "target rows", "findings", "re-read", "why"):
        table.add_column(col, justify="right" if col in ("source rows", "quarantined", "target rows", "findings")
                         else "left")
    for d in run["datasets"]:
        r, inc = d.get("rows") or {}, d.get("incremental") or {}
        color = {"pass": "green", "fail": "red", "error": "red"}[d["verdict"]]
        reread = (f"{inc.get('source_files_read', 0)}+{inc.get('target_files_read', 0)} of "
                  f"{inc.get('source_files_read', 0) + inc.get('source_files_cached', 0)}+"
                  f"{inc.get('target_files_read', 0) + inc.get('target_files_cached', 0)}") if inc else "-"
        table.add_row(d["dataset"], f"[{color}]{d['verdict']}[/]", _n(r.get("source")), _n(r.get("quarantined")),
                      _n(r.get("target")), _n(len(d["findings"]) + d.get("findings_omitted", 0)), reread,
                      (d["reasons"] or [""])[0])
    return table


def print_details(run: dict[str, Any]) -> None:
    from migrate.reports.validation import _where

    for d in run["datasets"]:
        if d["verdict"] == "pass":
            continue
        if d.get("error"):
            console.print(f"error: dataset {d['dataset']}: {d['error']}", markup=False, highlight=False,
                          soft_wrap=True)
            continue
        for f in d["findings"][:FINDINGS_PRINTED]:
            where = _where(f)
            console.print(f"error: dataset {d['dataset']}: {f['check']}: {f['message']}"
                          + (f" [{where}]" if where and where not in f["message"] else ""),
                          markup=False, highlight=False, soft_wrap=True)
        more = len(d["findings"]) - FINDINGS_PRINTED + d.get("findings_omitted", 0)
        if more > 0:
            console.print(f"  ... and {more:,} more finding(s) in the report", markup=False, highlight=False)


def validate_command(
    plan: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="PLAN", help="the migration plan YAML"),
    dataset: list[str] = typer.Option(None, "--dataset", "-d", help="only these datasets (repeatable)"),
    wave: list[int] = typer.Option(None, "--wave", "-w", help="only these waves (repeatable)"),
    output: Path | None = typer.Option(None, "--output", "-o", file_okay=False,
                                       help="folder for the reports (default STATE_DIR/validation/report)"),
    cache: bool = typer.Option(True, "--cache/--no-cache",
                               help="reuse the summaries of files unchanged since the last validation"),
    expectations: bool = typer.Option(True, "--expectations/--no-expectations",
                                      help="run the plan's Great Expectations suites"),
    prefect: bool | None = typer.Option(
        None, "--prefect/--no-prefect",
        help="run as a Prefect flow (UI visible) or the library directly; default: a flow when a Prefect "
             "server is up (PREFECT_API_URL, or `migrate server start`), else directly, without waiting"),
) -> None:
    """Compare every selected dataset's source and target: files, row counts, schema, column profiles,
    row checksums that locate differing rows, and the plan's checks and expectations."""
    from migrate.plan import load_plan

    with plan_command_errors(plan, console):
        loaded = load_plan(plan)
        from migrate.validators.run import select

        select(loaded, dataset or None, wave or None)  # a typo in --dataset/--wave is an error before anything runs
        from migrate.flows import launch
        from migrate.progress import RichProgress
        from migrate.validators.run import validate_plan
        from migrate.validators.validate import Options

        with RichProgress(console, transient=True) as progress:
            def flow() -> dict[str, Any]:
                from migrate.flows.common import progress_to
                from migrate.flows.validate import run_validate_flow

                with progress_to(progress):
                    return run_validate_flow(str(plan.resolve()), datasets=dataset or None, waves=wave or None,
                                             out_dir=str(output.resolve()) if output else None, use_cache=cache,
                                             expectations=expectations)

            run = launch.run(
                prefect,
                lambda: validate_plan(loaded, names=dataset or None, waves=wave or None, out_dir=output,
                                      options=Options(use_cache=cache, expectations=expectations), progress=progress),
                flow, note=_note)
    console.print(summary_table(run))
    print_details(run)
    reports = run["reports"]
    console.print(f"reports: {reports['html']} (JSON {reports['json']}, Markdown {reports['md']})",
                  markup=False, highlight=False, soft_wrap=True)
    if not run["ok"]:
        raise typer.Exit(1)
