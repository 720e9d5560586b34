"""``migrate translate``: legacy jobs -> Spark. ``hive`` translates HiveQL scripts to Spark SQL.

Other translators (dpark, mesos) register their commands on this same group.
"""

from __future__ import annotations

from pathlib import Path

import typer

from migrate.commands import ensure_dir, write_output

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
) -> None:
    """Translate HiveQL scripts to Spark SQL; write them with a JSON/Markdown/HTML coverage report."""
    from migrate.reports.translation import write_reports
    from migrate.translators.hive import HiveTranslator, Options, Variables, render_script

    if target_format not in ("iceberg", "parquet"):
        raise typer.BadParameter("--format must be iceberg or parquet")
    try:
        variables = Variables.from_assignments(var)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    options = Options(target_format=target_format, catalog=catalog, variables=variables,
                      table_map={k.lower(): v for k, v in _pairs(table_map, "--table-map")},
                      location_map=_pairs(location_map, "--location-map"), ansi_rewrites=not no_ansi_rewrites)
    if plan is not None:
        from migrate.translators.hive.plan_adapter import options_from_plan

        options_from_plan(plan, options)
    translator = HiveTranslator(options)
    report = translator.translate_paths(paths)
    if check_spark:
        from migrate.translators.hive.spark_check import SparkParsers, check_report, local_spark_session

        spark = local_spark_session()
        try:
            check_report(report, SparkParsers(spark))
        finally:
            spark.stop()
    ensure_dir(out)
    roots = [p.resolve() for p in paths]
    for fr in report.files:
        src = Path(fr.path).resolve()
        rel = next((src.relative_to(r) for r in roots if r.is_dir() and src.is_relative_to(r)), Path(src.name))
        dest = (out / rel).with_suffix(".spark.sql")
        write_output(dest, render_script(fr))
        fr.output_path = str(dest)
    written = write_reports(report, out)
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
