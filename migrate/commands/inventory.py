"""``migrate inventory``: scan legacy roots, a Hive DDL dump and job folders into an inventory JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from migrate.commands import os_reason, write_output
from migrate.errors import MigrateError, OutputError, PlanError


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        name, sep, rest = v.partition("=")
        if not sep or not name or not rest:
            raise typer.BadParameter(f"{what} must be NAME=VALUE, got {v!r}")
        out.append((name, rest))
    return out


def inventory_command(
    root: list[str] = typer.Option([], "--root", help="NAME=URI to scan (file://, webhdfs://, s3://); repeatable"),
    alias: list[str] = typer.Option(
        [], "--alias", help="NAME=PREFIX legacy code uses for a root (/mfs, hdfs://namenode:8020); repeatable"
    ),
    option: list[str] = typer.Option(
        [], "--option", help="NAME.KEY=VALUE storage option for a root (user, endpoint_url, ...); repeatable"
    ),
    plan: Path | None = typer.Option(None, "--plan", help="scan the sources of this plan"),
    ddl: list[Path] = typer.Option([], "--ddl", help="Hive DDL dump (SHOW CREATE TABLE outputs); repeatable",
                                   exists=True, dir_okay=False, readable=True),
    jobs: list[Path] = typer.Option([], "--jobs", help="folder of legacy jobs; repeatable",
                                    exists=True, file_okay=False),
    output: Path = typer.Option(Path("inventory.json"), "-o", "--output", help="inventory JSON to write"),
    mermaid: Path | None = typer.Option(None, "--mermaid", help="also write the lineage as Mermaid"),
    small_file_bytes: int = typer.Option(1 << 20, help="files below this size count as small"),
    sample_bytes: int = typer.Option(1 << 20, help="bytes read per sampled file"),
    workers: int = typer.Option(8, help="parallel listings and probes"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no summary table"),
    prefect: bool | None = typer.Option(None, "--prefect/--no-prefect",
                                        help="run as a Prefect flow (default: when a server is up)"),
) -> None:
    """Inventory datasets (format, partitions, schema, size) and jobs, with lineage and waves."""
    from migrate.inventory import RootSpec, ScanSettings, build_inventory
    from migrate.inventory.lineage import mermaid as to_mermaid
    from migrate.inventory.report import summary

    specs: dict[str, RootSpec] = {}
    if plan is not None:
        from migrate.plan import LocalStore, WebHdfsStore, load_plan

        p = load_plan(plan)
        for name, store in p.sources.items():
            uri, opts = p.location(name)
            aliases = []
            if isinstance(store, LocalStore):
                aliases.append(store.path if store.path.startswith("/") else uri.removeprefix("file://"))
            elif isinstance(store, WebHdfsStore):
                aliases.append(f"hdfs://{urlsplit(store.url).hostname}")
            specs[name] = RootSpec(name, uri, opts, aliases)
    for name, uri in _pairs(root, "--root"):
        specs[name] = RootSpec(name, uri if "://" in uri else "file://" + str(Path(uri).resolve()))
    for name, prefix in _pairs(alias, "--alias"):
        if name not in specs:
            raise typer.BadParameter(f"--alias {name}: no root named {name}")
        specs[name].aliases.append(prefix)
    for key, value in _pairs(option, "--option"):
        name, _, k = key.partition(".")
        if name not in specs or not k:
            raise typer.BadParameter(f"--option {key}: expected ROOT.KEY with a known root")
        specs[name].options[k] = value
    if not specs and not jobs and not ddl:
        raise typer.BadParameter("nothing to scan: give --root, --plan, --ddl or --jobs")
    settings = ScanSettings(small_file_bytes=small_file_bytes, sample_bytes=sample_bytes, workers=workers)
    from migrate.flows import launch

    def flow() -> Any:
        from migrate.flows.inventory import run_inventory_flow

        return run_inventory_flow(list(specs.values()), ddl, jobs, settings)

    inv = launch.run(prefect, lambda: build_inventory(list(specs.values()), ddl=ddl, jobs_dirs=jobs,
                                                      settings=settings), flow,
                     note=lambda text: typer.echo(f"note: {text}", err=True))
    # A root that could not be listed at all (missing folder, dead endpoint, refused credentials) would
    # make the inventory silently incomplete: say which, and write nothing.
    failed_roots = [(spec, prob) for spec in specs.values() for prob in inv.problems
                    if prob.kind in ("unreadable", "permission") and prob.path.rstrip("/") == spec.uri.rstrip("/")]
    if failed_roots:
        for spec, prob in failed_roots:
            typer.echo(f"error: root {spec.name} ({spec.uri}): {prob.message}", err=True)
        typer.echo(f"nothing written to {output}: fix the root(s) above (or leave them out) and run again",
                   err=True)
        raise typer.Exit(1)
    write_output(output, inv.to_json())
    if mermaid is not None:
        wave = {d.id: d.wave or 0 for d in inv.datasets} | {j.id: j.wave or 0 for j in inv.jobs}
        write_output(mermaid, to_mermaid(inv.lineage, wave))
    if not quiet:
        summary(inv)
    typer.echo(f"wrote {output}", err=True)


def plan_init_command(
    from_inventory: Path = typer.Option(..., "--from-inventory", help="inventory JSON from `migrate inventory`"),
    output: Path = typer.Option(..., "-o", "--output", help="plan YAML to write"),
    name: str = typer.Option("migration", help="plan name"),
    target_store: str = typer.Option("lake", help="name of the target store"),
    target_path: str = typer.Option("./lake", help="local folder of the target store (edit later for S3)"),
    target_kind: str = typer.Option("auto", help="auto (iceberg for Hive tables, else parquet) | parquet | iceberg"),
    merge: bool = typer.Option(False, "--merge", help="keep an existing plan's entries, add new ones"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing plan"),
) -> None:
    """Write an editable plan from an inventory; `migrate plan check` passes on it."""
    import yaml

    from migrate.inventory.plan_init import write_plan

    inv = read_inventory(from_inventory)
    if output.is_dir():
        raise OutputError(f"{output}: is a folder; give the plan file to write (e.g. {output / 'plan.yaml'})")
    try:
        write_plan(inv, output, source=str(from_inventory), force=force, merge=merge, name=name,
                   target_store=target_store, target_path=target_path, target_kind=target_kind)
    except yaml.YAMLError as exc:  # --merge into a plan that is not valid YAML
        mark = getattr(exc, "problem_mark", None)
        where = f"{output}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(output)
        raise PlanError(f"{where}: cannot merge into this plan: not valid YAML "
                        f"({getattr(exc, 'problem', None) or exc}); fix it or use --force") from None
    except OSError as exc:
        raise OutputError(f"{output}: cannot write the plan: {os_reason(exc)}") from None
    typer.echo(f"wrote {output}; next: review it, then `migrate plan check {output}`", err=True)


def read_inventory(path: Path) -> Any:
    """The inventory in ``path``; errors name the file and, for bad JSON, the line and column."""
    from pydantic import ValidationError

    from migrate.inventory.model import Inventory

    hint = "write one with `migrate inventory ... -o FILE`"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else "not UTF-8 text"
        raise MigrateError(f"{path}: cannot read the inventory: {reason} ({hint})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MigrateError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg} ({hint})") from None
    try:
        return Inventory.model_validate(data)
    except ValidationError as exc:
        errs = exc.errors()
        shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in errs[:3])
        more = f" (and {len(errs) - 3} more)" if len(errs) > 3 else ""
        raise MigrateError(f"{path}: not an inventory from `migrate inventory`: {shown}{more}") from None
