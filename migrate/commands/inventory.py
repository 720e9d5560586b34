"""``migrate inventory``: scan legacy roots, a Hive DDL dump and job folders into an inventory JSON."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import typer

from migrate.errors import MigrateError


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
    ddl: list[Path] = typer.Option([], "--ddl", help="Hive DDL dump (SHOW CREATE TABLE outputs); repeatable"),
    jobs: list[Path] = typer.Option([], "--jobs", help="folder of legacy jobs; repeatable"),
    output: Path = typer.Option(Path("inventory.json"), "-o", "--output", help="inventory JSON to write"),
    mermaid: Path | None = typer.Option(None, "--mermaid", help="also write the lineage as Mermaid"),
    small_file_bytes: int = typer.Option(1 << 20, help="files below this size count as small"),
    sample_bytes: int = typer.Option(1 << 20, help="bytes read per sampled file"),
    workers: int = typer.Option(8, help="parallel listings and probes"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no summary table"),
) -> None:
    """Inventory datasets (format, partitions, schema, size) and jobs, with lineage and waves."""
    from migrate.inventory import RootSpec, ScanSettings, build_inventory
    from migrate.inventory.lineage import mermaid as to_mermaid
    from migrate.inventory.report import summary

    specs: dict[str, RootSpec] = {}
    try:
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
        inv = build_inventory(list(specs.values()), ddl=ddl, jobs_dirs=jobs, settings=settings)
    except MigrateError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(inv.to_json(), encoding="utf-8")
    if mermaid is not None:
        wave = {d.id: d.wave or 0 for d in inv.datasets} | {j.id: j.wave or 0 for j in inv.jobs}
        mermaid.write_text(to_mermaid(inv.lineage, wave), encoding="utf-8")
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
    from migrate.inventory.model import Inventory
    from migrate.inventory.plan_init import write_plan

    try:
        inv = Inventory.model_validate_json(from_inventory.read_text(encoding="utf-8"))
        write_plan(inv, output, source=str(from_inventory), force=force, merge=merge, name=name,
                   target_store=target_store, target_path=target_path, target_kind=target_kind)
    except (MigrateError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"wrote {output}", err=True)
