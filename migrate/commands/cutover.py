"""``migrate cutover``: the checklist (status), sign-offs and waivers, execute and rollback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(help="The cutover checklist: gates per dataset and job, sign-offs, execute, rollback.",
                  no_args_is_help=True)

_PLAN = typer.Argument(..., exists=True, dir_okay=False, metavar="PLAN", help="the migration plan YAML")
_BY = typer.Option(..., "--by", help="who you are (an approver's name or e-mail); kept in the audit log")
_GATE = typer.Option("signoff", "--gate", "-g", help="the gate: signoff (default), shadow_run, or any gate to waive")
_PREFECT = typer.Option(None, "--prefect/--no-prefect",
                        help="run as a Prefect flow (default: when a server is up; see `migrate server`)")
FORMATS = ("table", "markdown", "html", "json")


def _load(plan: Path) -> Any:
    from migrate.plan import load_plan

    return load_plan(plan)


def render(cl: Any, fmt: str) -> str:
    from migrate.reports import cutover as rep

    if fmt == "json":
        return json.dumps(cl.to_dict(), indent=2, default=str) + "\n"
    if fmt == "markdown":
        return rep.to_markdown(cl)
    if fmt == "html":
        return rep.to_html(cl)
    return ""


def print_table(cl: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from migrate.cutover import TITLES
    from migrate.reports.cutover import MARK

    console = Console(width=None if sys.stdout.isatty() else 160)
    wave = f" wave {cl.wave}" if cl.wave is not None else ""
    table = Table(title=f"cutover checklist: plan {cl.plan}{wave}")
    table.add_column("item")
    table.add_column("wave", justify="right")
    for g in cl.gates:
        table.add_column(TITLES[g], justify="center")
    style = {"pass": "green", "waived": "yellow", "fail": "red"}
    for i in cl.items:
        cells = []
        for g in cl.gates:
            r = i.gate(g)
            cells.append("" if r is None else f"[{style[r.status]}]{MARK[r.status]}[/]")
        table.add_row(f"{i.kind} {i.name}", str(i.wave), *cells)
    console.print(table)
    for i in cl.items:
        for r in i.gates:
            if r.status != "pass":
                console.print(f"{MARK[r.status]} {i.kind} {i.name}: {TITLES[r.gate]}: {r.detail}", markup=False,
                              highlight=False, soft_wrap=True)
    for w, rec in sorted(cl.switches.items()):
        if rec:
            console.print(f"wave {w} is cut over: {rec['id']} by {rec['by']} at {rec['at']}", markup=False)
    n_ok = sum(i.ok for i in cl.items)
    console.print(f"{'READY' if cl.ok else 'NOT READY'}: {n_ok} of {len(cl.items)} items pass every gate",
                  style="green" if cl.ok else "red")


@app.command("status")
def status(
    plan: Path = _PLAN,
    wave: int | None = typer.Option(None, "--wave", "-w", help="only this wave"),
    fmt: str = typer.Option("table", "--format", "-f", help="table | markdown | html | json"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the checklist here instead of stdout"),
    prefect: bool | None = _PREFECT,
) -> None:
    """Datasets and jobs by gate; exit code 1 while any gate fails."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    from migrate import cutover
    from migrate.flows import launch

    loaded = _load(plan)

    def flow() -> Any:
        from migrate.flows.cutover import cutover_status_flow

        return cutover_status_flow(str(plan.resolve()), wave)

    cl = launch.run(prefect, lambda: cutover.checklist(loaded, wave), flow, note=_note)
    if output is not None:
        from migrate.commands import write_output

        write_output(output, render(cl, fmt) if fmt != "table" else render(cl, "markdown"))
        typer.echo(f"wrote {output}", err=True)
    elif fmt == "table":
        print_table(cl)
    else:
        typer.echo(render(cl, fmt), nl=False)
    if not cl.ok:
        raise typer.Exit(1)


def _note(text: str) -> None:
    typer.echo(f"note: {text}", err=True)


@app.command("sign")
def sign(
    plan: Path = _PLAN,
    item: str = typer.Argument(..., metavar="ITEM", help="dataset or job name (dataset:NAME / job:NAME if both)"),
    gate: str = _GATE,
    by: str = _BY,
    note: str | None = typer.Option(None, "--note", help="what you checked"),
) -> None:
    """Sign a gate of an item (sign-off; or a shadow run you compared), in the append-only audit log."""
    from migrate import cutover

    e = cutover.sign(_load(plan), item, gate, by, note)
    typer.echo(f"signed {e.item} {e.gate} by {e.by} at {e.at} (log entry {e.seq})")


@app.command("waive")
def waive(
    plan: Path = _PLAN,
    item: str = typer.Argument(..., metavar="ITEM", help="dataset or job name"),
    gate: str = typer.Option(..., "--gate", "-g", help="the gate to count as passed"),
    by: str = _BY,
    reason: str = typer.Option(..., "--reason", help="why it may pass anyway (kept in the audit log)"),
) -> None:
    """Let a failing gate count as passed, with a reason, in the append-only audit log."""
    from migrate import cutover

    e = cutover.waive(_load(plan), item, gate, by, reason)
    typer.echo(f"waived {e.item} {e.gate} by {e.by} at {e.at} (log entry {e.seq})")


@app.command("revoke")
def revoke(
    plan: Path = _PLAN,
    item: str = typer.Argument(..., metavar="ITEM", help="dataset or job name"),
    gate: str = _GATE,
    by: str = _BY,
    note: str | None = typer.Option(None, "--note", help="why"),
) -> None:
    """Withdraw your own signature or waiver of a gate (appended; the earlier entry stays in the log)."""
    from migrate import cutover

    e = cutover.revoke(_load(plan), item, gate, by, note)
    typer.echo(f"revoked {e.by}'s signature/waiver of {e.item} {e.gate} at {e.at} (log entry {e.seq})")


@app.command("log")
def log(plan: Path = _PLAN, fmt: str = typer.Option("text", "--format", "-f", help="text | json")) -> None:
    """The audit log: every signature, waiver, revocation, execution and rollback (the chain is checked)."""
    from migrate import cutover

    entries = cutover.history(_load(plan))
    if fmt == "json":
        typer.echo(json.dumps([e.to_dict() for e in entries], indent=2))
        return
    for e in entries:
        what = " ".join(f"{k}={v}" for k, v in e.data.items() if k != "plan")
        typer.echo(f"{e.seq:>4} {e.at} {e.action:<8} by {e.by} ({e.os_user}@{e.host}) {what}")


@app.command("shadow")
def shadow(
    plan: Path = _PLAN,
    job: str = typer.Argument(..., metavar="JOB", help="the job whose legacy and new outputs are compared"),
    legacy: Path = typer.Option(..., "--legacy", exists=True, help="output of the legacy job (file or folder)"),
    new: Path = typer.Option(..., "--new", exists=True, help="output of the translated job (file or folder)"),
) -> None:
    """Compare a legacy job's output with its translation's (rows in any order, numbers to 6 significant
    digits, as `translate dpark --verify` does) and record the result for the shadow-run gate."""
    from migrate import cutover
    from migrate.shadow import compare_outputs

    loaded = _load(plan)
    result = compare_outputs(legacy, new)
    path = cutover.record_shadow(loaded, job, result)
    typer.echo(f"{'equal' if result['equal'] else 'DIFFERENT'}: {result['detail']} (recorded in {path})")
    if not result["equal"]:
        raise typer.Exit(1)


@app.command("execute")
def execute(
    plan: Path = _PLAN,
    wave: int = typer.Option(..., "--wave", "-w", help="the wave to cut over"),
    by: str = _BY,
    prefect: bool | None = _PREFECT,
) -> None:
    """Final incremental sync, re-validation, then the switch record; refuses while a gate fails."""
    from migrate import cutover
    from migrate.flows import launch

    loaded = _load(plan)

    def flow() -> Any:
        from migrate.flows.cutover import cutover_execute_flow

        return cutover_execute_flow(str(plan.resolve()), wave, by)

    res = launch.run(prefect, lambda: cutover.execute(loaded, wave, by), flow, note=_note)
    rec = res.switch
    typer.echo(f"wave {wave} cut over: switch record {rec['id']} ({res.path}); "
               f"{len(rec['datasets'])} datasets, {len(rec['jobs'])} jobs; final sync copied "
               f"{sum(res.synced.values())} file(s)" + (f", re-validated {', '.join(res.revalidated)}"
                                                       if res.revalidated else ""))
    for m in rec["location_map"]:
        typer.echo(f"  {m['legacy']} -> {m['target']}")
    typer.echo(f"consumers read {cutover.cutover_dir(loaded) / 'switch.json'}")


@app.command("rollback")
def rollback(
    plan: Path = _PLAN,
    wave: int = typer.Option(..., "--wave", "-w", help="the wave to roll back"),
    by: str = _BY,
    reason: str | None = typer.Option(None, "--reason", help="why (kept in the audit log)"),
) -> None:
    """Restore the previous switch record of a wave (none: back to the legacy locations)."""
    from migrate import cutover

    loaded = _load(plan)
    previous = cutover.rollback(loaded, wave, by, reason)
    if previous is None:
        typer.echo(f"wave {wave} rolled back to the legacy locations (no earlier switch record)")
    else:
        typer.echo(f"wave {wave} rolled back to switch record {previous['id']} ({previous['at']})")
    typer.echo(f"consumers read {cutover.cutover_dir(loaded) / 'switch.json'}")
