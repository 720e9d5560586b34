"""``migrate translate``: legacy jobs -> Spark. ``hive`` translates HiveQL scripts to Spark SQL, ``dpark``
DPark jobs to PySpark, ``jobs`` Mesos-era job specs (Marathon, Chronos, Aurora, crontab) to Kubernetes manifests
and Prefect deployments.

With ``--plan PLAN`` every subcommand also records its report under the plan's state folder
(``STATE_DIR/translations/<kind>.json``, see ``migrate.reports.translation.record_translation``).
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
    ddl: list[Path] = typer.Option([], "--ddl", exists=True, help="Hive DDL dump (SHOW CREATE TABLE outputs): "
                                   "shapes of tables the scripts use but do not create"),
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
            "ansi_rewrites": not no_ansi_rewrites, "plan": str(plan) if plan is not None else None,
            "ddl": [str(d) for d in ddl]}
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


@app.command("dpark")
def dpark(
    paths: list[Path] = typer.Argument(..., help="DPark jobs: .py files or folders", exists=True, metavar="PATH"),
    out: Path = typer.Option(Path("translated"), "-o", "--out", help="folder for PySpark jobs and reports"),
    plan: Path | None = typer.Option(None, "--plan", help="migration plan: where legacy paths went"),
    location_map: list[str] = typer.Option([], "--location-map", help="legacy path prefix = target URI"),
    s3_scheme: str = typer.Option("s3a", "--s3-scheme", help="scheme Spark uses for S3 targets (s3a or s3)"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any construct is unsupported"),
    verify: Path | None = typer.Option(None, "--verify", metavar="INPUT_DIR", exists=True, file_okay=False,
                                       help="run each job with DPark and its translation with local Spark on "
                                            "INPUT_DIR and compare the outputs (exit 1 when any differs)"),
    workers: int | None = typer.Option(None, "--workers", help="processes to translate with (default: by count)"),
    prefect: bool | None = typer.Option(None, "--prefect/--no-prefect",
                                        help="run as a Prefect flow (default: when a server is up)"),
) -> None:
    """Translate DPark jobs (Python 2) to PySpark; write them with dparkcompat.py and a coverage report."""
    from migrate.flows import launch
    from migrate.translation import dpark_options, translate_dpark
    from migrate.translators.dpark import file_status

    args: dict[str, Any] = {"location_map": _pairs(location_map, "--location-map"), "s3_scheme": s3_scheme,
                            "plan": str(plan) if plan is not None else None}
    options = dpark_options(**args)

    def flow() -> Any:
        from migrate.flows.translate import translate_dpark_flow

        return translate_dpark_flow([str(p) for p in paths], str(out), args,
                                    verify=str(verify) if verify is not None else None)

    run = launch.run(prefect, lambda: translate_dpark(list(paths), out, options, verify=verify, plan=plan,
                                                      workers=workers), flow,
                     note=lambda text: typer.echo(f"note: {text}", err=True))
    report, written = run.report, run.written
    s = report.to_dict()["summary"]
    fs = s["files_by_status"]
    typer.echo(f"{s['files']} files ({s['files_per_second']} files/s): {fs['translated']} translated, "
               f"{fs['translated_with_notes']} with notes, {fs['unsupported']} unsupported; {s['statements']} "
               f"constructs: {s['translated']} translated, {s['translated_with_notes']} with notes, "
               f"{s['unsupported']} unsupported")
    for st in report.statements:
        for f in st.failures:
            typer.echo(f"{st.where}: unsupported ({f.rule}): {f.message}", err=True)
    verdicts = report.options.get("verify")
    for v in verdicts or []:
        typer.echo(f"verify {v['job']}: {v['verdict']}" + (f" ({v['detail']})" if v["detail"] else ""))
    typer.echo(f"report: {written['html']}")
    if "plan" in written:
        typer.echo(f"recorded: {written['plan']}")
    unsupported = s["unsupported"] or any(file_status(f) == "unsupported" for f in report.files)
    if (strict and unsupported) or any(v["verdict"] != "equal" for v in verdicts or []):
        raise typer.Exit(1)


@app.command("jobs")
def jobs(
    paths: list[Path] = typer.Argument(..., help="Marathon/Chronos JSON, Aurora configs, crontabs, or folders",
                                       exists=True, metavar="PATH"),
    out: Path = typer.Option(Path("translated-jobs"), "-o", "--out", help="folder for manifests and reports"),
    plan: Path | None = typer.Option(None, "--plan", help="migration plan: where legacy paths in arguments went"),
    location_map: list[str] = typer.Option([], "--location-map", help="legacy path prefix = target URI"),
    dpark_scripts: list[Path] = typer.Option([], "--dpark-scripts", exists=True,
                                             help="folder of DPark jobs: `python x.py` of these is a Spark job"),
    namespace: str = typer.Option("data-jobs", "--namespace", help="Kubernetes namespace of the manifests"),
    spark_image: str = typer.Option("apache/spark:4.0.0-python3", "--spark-image", help="image of Spark jobs"),
    spark_version: str = typer.Option("4.0.0", "--spark-version", help="sparkVersion of SparkApplications"),
    image: str = typer.Option("debian:12-slim", "--image", help="image for commands whose spec names none"),
    jobs_uri: str = typer.Option("local:///opt/migrate/jobs", "--jobs-uri",
                                 help="where the translated jobs and dparkcompat.py are (local:// in the image, "
                                      "s3a://...)"),
    secret_name: str = typer.Option("legacy-job-secrets", "--secret-name",
                                    help="Secret that credentials in job environments are referenced from"),
    work_pool: str = typer.Option("kubernetes", "--work-pool", help="Prefect work pool of the deployments"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any job is unsupported"),
    prefect: bool | None = typer.Option(None, "--prefect/--no-prefect",
                                        help="run as a Prefect flow (default: when a server is up)"),
) -> None:
    """Translate Mesos-era job specs to Kubernetes manifests (SparkApplication, CronJob...) and Prefect
    deployments, with a coverage report."""
    from migrate.translation import translate_jobs
    from migrate.translators.jobs import Target

    target = Target(namespace=namespace, spark_image=spark_image, spark_version=spark_version, image=image,
                    jobs_uri=jobs_uri, secret_name=secret_name)
    from dataclasses import asdict

    from migrate.flows import launch

    pairs = _pairs(location_map, "--location-map")

    def flow() -> Any:
        from migrate.flows.translate import translate_jobs_flow

        return translate_jobs_flow([str(p) for p in paths], str(out), asdict(target), {
            "location_map": pairs, "dpark_scripts": [str(p) for p in dpark_scripts], "work_pool": work_pool,
            "plan": str(plan) if plan else None})

    run = launch.run(prefect, lambda: translate_jobs(list(paths), out, target=target, location_map=pairs,
                                                     dpark_scripts=list(dpark_scripts), work_pool=work_pool,
                                                     plan=plan), flow,
                     note=lambda text: typer.echo(f"note: {text}", err=True))
    report, written = run.report, run.written
    s = report.to_dict()["summary"]
    typer.echo(f"{s['statements']} jobs in {s['files']} files: {s['translated']} translated, "
               f"{s['translated_with_notes']} with notes, {s['unsupported']} unsupported")
    for st in report.statements:
        for f in st.failures:
            typer.echo(f"{st.where}: unsupported ({f.rule}): {f.message}", err=True)
    typer.echo(f"manifests: {out / 'kubernetes'}; Prefect: {out / 'prefect' / 'prefect.yaml'}")
    typer.echo(f"report: {written['html']}")
    if "plan" in written:
        typer.echo(f"recorded: {written['plan']}")
    if strict and s["unsupported"]:
        raise typer.Exit(1)
