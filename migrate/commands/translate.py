"""``migrate translate``: legacy jobs -> Spark. ``hive`` translates HiveQL scripts to Spark SQL.

Other translators (dpark, mesos) register their commands on this same group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

app = typer.Typer(help="Translate legacy jobs (HiveQL, DPark, Mesos specs) to Spark.", no_args_is_help=True)


def _pairs(items: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if "=" not in item:
            raise typer.BadParameter(f"{what} {item!r}: expected OLD=NEW")
        old, new = item.split("=", 1)
        out.append((old.strip(), new.strip()))
    return out


@app.command("hive")
def hive(
    paths: list[Path] = typer.Argument(..., help="HiveQL files or folders (*.hql, *.sql, *.q)", exists=True,
                                       metavar="PATH"),
    out: Path = typer.Option(Path("translated"), "-o", "--out", help="folder for Spark SQL and reports"),
    plan: Path | None = typer.Option(None, "--plan", help="migration plan: locations and table names"),
    var: list[str] = typer.Option([], "--var", help="variable NAME=VALUE (hivevar; or hiveconf:NAME=VALUE)"),
    table_map: list[str] = typer.Option([], "--table-map", help="legacy db or db.table = target name"),
    location_map: list[str] = typer.Option([], "--location-map", help="legacy location prefix = target URI"),
    catalog: str | None = typer.Option(None, "--catalog", help="prefix legacy db.table as CATALOG.db.table"),
    target_format: str = typer.Option("iceberg", "--format", help="table format of the target: iceberg|parquet"),
    no_ansi_rewrites: bool = typer.Option(False, "--no-ansi-rewrites",
                                          help="keep CAST and / as written (no TRY_CAST / try_divide)"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any statement is unsupported"),
    check_spark: bool = typer.Option(False, "--check-spark", help="parse every output with Spark's parser"),
    prefect: bool | None = typer.Option(None, "--prefect/--no-prefect",
                                        help="run as a Prefect flow (default: when a server is up)"),
) -> None:
    """Translate HiveQL scripts to Spark SQL; write them with a JSON/Markdown/HTML coverage report."""
    from migrate.flows import launch
    from migrate.translation import hive_options, translate_hive

    if target_format not in ("iceberg", "parquet"):
        raise typer.BadParameter("--format must be iceberg or parquet")
    args: dict[str, Any] = {"target_format": target_format, "catalog": catalog, "variables": list(var),
            "table_map": _pairs(table_map, "--table-map"), "location_map": _pairs(location_map, "--location-map"),
            "ansi_rewrites": not no_ansi_rewrites, "plan": str(plan) if plan is not None else None}
    try:
        options = hive_options(**args)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None

    def flow() -> Any:
        from migrate.flows.translate import translate_hive_flow

        return translate_hive_flow([str(p) for p in paths], str(out), args, check_spark=check_spark)

    run = launch.run(prefect, lambda: translate_hive(list(paths), out, options, check_spark=check_spark,
                                                     plan=plan), flow,
                     note=lambda text: typer.echo(f"note: {text}", err=True))
    report, written = run.report, run.written
    s = report.summary()
    typer.echo(f"{s['statements']} statements in {s['files']} files: {s['translated']} translated, "
               f"{s['translated_with_notes']} with notes, {s['unsupported']} unsupported "
               f"({s['translated_pct']}%)" + (f"; Spark parser rejected {s['spark_parse_failures']}"
                                              if check_spark else ""))
    for st in report.statements:
        for f in st.failures:
            typer.echo(f"{st.where}: unsupported ({f.rule}): {f.message}", err=True)
    typer.echo(f"report: {written['html']}")
    if strict and s["unsupported"]:
        raise typer.Exit(1)
