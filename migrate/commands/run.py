"""``migrate run PLAN``: copy and convert a plan's datasets (a Prefect flow unless --no-prefect)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from migrate.commands import plan_command_errors, write_output
from migrate.errors import MigrateError
from migrate.retry import retries_text, retries_total

# Wide when piped (CI logs), so the summary table is not truncated.
console = Console(width=None if sys.stdout.isatty() else 140)


def summary_table(title: str, datasets: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for col in ("dataset", "wave", "target", "files", "source rows", "quarantined", "target rows", "match",
                "retries", "status"):
        table.add_column(col, justify="right" if col in ("files", "source rows", "quarantined",
                                                         "target rows", "wave", "retries") else "left")
    for d in datasets:
        rep = d.get("report") or {}
        match = d.get("counts_match")
        table.add_row(
            d["dataset"], str(d["wave"]), d["target_kind"], str(rep.get("files_total", "")),
            _n(d.get("source_rows")), _n(d.get("source_quarantined")), _n(d.get("target_rows")),
            {True: "[green]equal[/]", False: "[red]DIFFER[/]", None: "-"}[match],
            _n(retries_total(rep)) if rep else "-",
            _status(d),
        )
    return table


def _status(d: dict[str, Any]) -> str:
    """The status cell: never a bare ``ok`` when rows went to quarantine."""
    quarantined = d.get("rows_quarantined") or 0
    if d.get("quarantine_over"):
        return f"[red]FAILED: {quarantined:,} quarantined[/] (see below)"
    if not d["ok"]:
        return "[red]failed[/] (see below)"
    return f"[yellow]ok, {quarantined:,} quarantined[/]" if quarantined else "[green]ok[/]"


def print_outcome_details(datasets: list[dict[str, Any]], state_dir: Path | None = None) -> None:
    """Below the table, unwrapped: each failure in full (the file, row or endpoint at fault) and where
    quarantined rows are, so nothing is cut off by a column width."""
    for d in datasets:
        if not d["ok"]:
            err = d.get("error") or "failed (no detail; see the log above)"
            console.print(f"error: dataset {d['dataset']}: {err}", markup=False, highlight=False, soft_wrap=True)
        elif d.get("counts_match") is False:
            console.print(f"error: dataset {d['dataset']}: source has {_n(d.get('source_rows'))} rows "
                          f"({_n(d.get('source_quarantined'))} quarantined) but the target has "
                          f"{_n(d.get('target_rows'))}", markup=False, highlight=False, soft_wrap=True)
        reconverted = (d.get("report") or {}).get("reconverted") or {}
        if reconverted:
            planned, done = sum(reconverted.values()), (d.get("report") or {}).get("files_reconverted", 0)
            console.print(f"note: dataset {d['dataset']}: re-converted {done} file(s)"
                          f"{f' of {planned}' if done < planned else ''}: conversion settings changed "
                          f"({'; '.join(reconverted)})", markup=False, highlight=False, soft_wrap=True)
        retries = (d.get("report") or {}).get("retries") or {}
        if retries:
            console.print(f"note: dataset {d['dataset']}: {retries_text(retries)}",
                          markup=False, highlight=False, soft_wrap=True)
        quarantined = d.get("rows_quarantined") or (d.get("report") or {}).get("rows_quarantined") or 0
        if quarantined and state_dir is not None:
            console.print(f"note: dataset {d['dataset']}: {quarantined:,} row(s) quarantined (not loaded)"
                          f"{_first_quarantined(state_dir / 'quarantine' / d['dataset'])}; all of them, with file "
                          f"and line: {state_dir / 'quarantine' / d['dataset']}/*.jsonl",
                          markup=False, highlight=False, soft_wrap=True)


def print_count_sources(datasets: list[dict[str, Any]]) -> None:
    """Where the summary's row counts come from (none of them re-reads the source: `migrate validate` does)."""
    for origin in sorted({d["counted_from"] for d in datasets if d.get("counted_from")}):
        console.print(f"counts: {origin}", markup=False, highlight=False, soft_wrap=True)


def _first_quarantined(folder: Path) -> str:
    """`` e.g. <file> line 3: <reason>`` of one quarantined row (no values: they may be sensitive)."""
    try:
        for f in sorted(folder.glob("*.jsonl")):
            with f.open(encoding="utf-8") as fh:
                rec = json.loads(fh.readline() or "null")
            if isinstance(rec, dict):
                where = next((f" {k} {rec[k]}" for k in ("line", "record", "offset") if k in rec), "")
                return f", e.g. {rec.get('source')}{where}: {rec.get('reason')}"
    except (OSError, ValueError):
        pass
    return ""


def _note(text: str) -> None:
    console.print(f"note: {text}", markup=False, highlight=False, soft_wrap=True, style="dim")


def _n(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def run_command(
    plan: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="PLAN", help="the migration plan YAML"),
    dataset: list[str] = typer.Option(None, "--dataset", "-d", help="only these datasets (repeatable)"),
    wave: list[int] = typer.Option(None, "--wave", "-w", help="only these waves (repeatable)"),
    prefect: bool | None = typer.Option(
        None, "--prefect/--no-prefect",
        help="run as a Prefect flow (UI visible) or the library directly; default: a flow when a Prefect "
             "server is up (PREFECT_API_URL, or `migrate server start`), else directly, without waiting"),
    count: bool = typer.Option(True, "--count/--no-count",
                               help="compare the rows read (ledger) with the rows in the target (Parquet footers, "
                                    "Iceberg manifests) afterwards; no second read of the source"),
    report: Path | None = typer.Option(None, "--report", help="write the run report as JSON here"),
    runner_spec: str | None = typer.Option(
        None, "--runner", help="what runs the copy parts: threads, processes, dask[:N] (a local Dask cluster of N "
                               "worker processes) or dask://HOST:PORT (an existing cluster); default auto "
                               "(also MIGRATE_RUNNER)"),
) -> None:
    """Copy and convert every selected dataset, wave by wave; print source vs target row counts."""
    from migrate.plan import load_plan

    with plan_command_errors(plan, console):
        if runner_spec is not None:
            from migrate import scaleout

            scaleout.parse(runner_spec)  # a typo is an error before anything runs
            os.environ[scaleout.ENV] = runner_spec  # the engine reads it, in flows and deployed runs alike
        loaded = load_plan(plan)
        from migrate import runner

        # Before a flow starts: a bad --dataset/--wave is the user's typo, not a failed flow run.
        if not runner.select(loaded, dataset or None, wave or None) and (dataset or wave):
            raise MigrateError(f"no dataset of plan {loaded.name} is in wave(s) "
                               f"{', '.join(map(str, wave))} (dataset waves: "
                               f"{', '.join(map(str, sorted({d.wave for d in loaded.datasets}))) or 'none'})")
        from migrate.flows import launch
        from migrate.progress import RichProgress

        with RichProgress(console) as progress:
            def flow() -> dict[str, Any]:
                from migrate.flows.run import progress_to, run_plan_flow

                with progress_to(progress):
                    return run_plan_flow(str(plan.resolve()), datasets=dataset or None, waves=wave or None,
                                         count=count)

            result = launch.run(
                prefect,
                lambda: runner.run_plan(loaded, names=dataset or None, waves=wave or None, progress=progress,
                                        count=count).to_dict(),
                flow, note=_note)
    console.print(summary_table(f"migrate run {loaded.name}", result["datasets"]))
    print_count_sources(result["datasets"])
    print_outcome_details(result["datasets"], loaded.state_dir)
    if report:
        write_output(report, json.dumps(result, indent=2, default=str))
    if not result["ok"]:
        if any(d.get("quarantine_over") for d in result["datasets"]):
            console.print("over max_quarantine: the quarantine files say why each row failed. Fix the source files "
                          "(changed files are converted again) or raise max_quarantine in the plan if the loss is "
                          "acceptable. A schema corrected in the plan applies to every file: "
                          "files already migrated are converted again with it", markup=False, highlight=False,
                          soft_wrap=True)
        console.print(f"fix the input named above and run `migrate run {plan}` again: files already migrated "
                      "are skipped, nothing half-written is visible in the target", markup=False, highlight=False,
                      soft_wrap=True)
        raise typer.Exit(1)
