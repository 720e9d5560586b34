"""Translate legacy jobs and write what a reviewer needs: the translated files beside a coverage report.

One function per translator, shared by ``migrate translate`` (directly) and the ``migrate-translate`` flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class TranslationRun:
    kind: str  # hive, dpark, jobs
    report: Any  # the translator's report (``to_dict()``: summary, files, ...)
    written: dict[str, Path]  # report format -> path (json, md, html)


def hive_options(*, target_format: str = "iceberg", catalog: str | None = None, variables: list[str] | None = None,
                 table_map: list[tuple[str, str]] | None = None, location_map: list[tuple[str, str]] | None = None,
                 ansi_rewrites: bool = True, plan: str | Path | None = None, ddl: list[str] | None = None) -> Any:
    """The Hive translator's options from the command's arguments (ValueError names a bad --var); ``ddl``: Hive
    DDL dumps declaring the tables the scripts read without creating them."""
    from migrate.translators.hive import Options, Variables

    options = Options(target_format=target_format, catalog=catalog,
                      variables=Variables.from_assignments(variables or []),
                      table_map={k.lower(): v for k, v in table_map or []},
                      location_map=[(a, b) for a, b in location_map or []], ansi_rewrites=ansi_rewrites)
    if ddl:
        from migrate.translators.hive.catalog import tables_from_ddl

        for dump in ddl:
            options.known_tables.update(tables_from_ddl(Path(dump).read_text(encoding="utf-8", errors="replace"),
                                                        str(dump)))
    if plan is not None:
        from migrate.translators.hive.plan_adapter import options_from_plan

        options_from_plan(Path(plan), options)
    return options


def record_for_plan(plan: str | Path, run: TranslationRun) -> Path:
    """Merge the report into ``STATE_DIR/translations/<kind>.json``, one entry per source file (a later
    translation of a file replaces its entry, other files' entries stay): the cutover's ``translated`` gate
    reads it per job file. See ``migrate.reports.translation.record_translation`` for the entry's fields."""
    from migrate.plan import load_plan
    from migrate.reports.translation import record_translation

    return record_translation(load_plan(plan).state_dir, run.kind, run.report)


def translate_hive(paths: list[Path], out: Path, options: Any, *, check_spark: bool = False,
                   plan: str | Path | None = None) -> TranslationRun:
    """HiveQL files/folders -> ``OUT/<relative path>.spark.sql`` plus the coverage report in OUT (and, for
    a plan, its copy in the plan's state dir)."""
    from migrate.commands import ensure_dir, write_output
    from migrate.reports.translation import write_reports
    from migrate.translators.hive import HiveTranslator, render_script

    report = HiveTranslator(options).translate_paths(paths)
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
    run = TranslationRun("hive", report, write_reports(report, out))
    if plan is not None:
        run.written["plan"] = record_for_plan(plan, run)
    return run


def dpark_options(*, location_map: list[tuple[str, str]] | None = None, s3_scheme: str = "s3a",
                  plan: str | Path | None = None) -> Any:
    from migrate.translators.dpark import Options

    options = Options(location_map=[(a, b) for a, b in location_map or []], s3_scheme=s3_scheme)
    if plan is not None:
        from migrate.translators.dpark.plan_adapter import options_from_plan

        options_from_plan(Path(plan), options)
    return options


def translate_dpark(paths: list[Path], out: Path, options: Any, *, verify: Path | None = None,
                    plan: str | Path | None = None, workers: int | None = None) -> TranslationRun:
    """DPark jobs -> ``OUT/<relative path>.py`` plus ``OUT/dparkcompat.py`` and the coverage report; with
    ``verify`` (an input folder) each job also runs under DPark and under local Spark, outputs compared
    (verdicts in ``report.options["verify"]``)."""
    from migrate.commands import ensure_dir
    from migrate.reports.translation import write_reports
    from migrate.translators.dpark import translate_paths
    from migrate.translators.dpark.output import write_translations

    report, files = translate_paths(paths, options, workers=workers)
    ensure_dir(out)
    write_translations(files, paths, out)
    if verify is not None:
        from migrate.translators.dpark.verify import verify_translations

        report.options["verify"] = [v.to_dict() for v in verify_translations(files, paths, out, verify)]
    run = TranslationRun("dpark", report, write_reports(report, out))
    if plan is not None:
        run.written["plan"] = record_for_plan(plan, run)
        if verify is not None:  # both engines ran: the cutover's shadow-run gate of these jobs
            from migrate.cutover import record_verifications
            from migrate.plan import load_plan

            record_verifications(load_plan(plan), report.options["verify"], "DPark vs Spark on " + str(verify))
    return run


def translate_jobs(paths: list[Path], out: Path, *, target: Any = None,
                   location_map: list[tuple[str, str]] | None = None,
                   dpark_scripts: list[Path] | None = None, work_pool: str = "kubernetes",
                   plan: str | Path | None = None) -> TranslationRun:
    """Marathon / Chronos / Aurora / crontab specs -> ``OUT/kubernetes/*.yaml`` (self-scheduled) and
    ``OUT/prefect/`` (prefect.yaml deployments, run-once manifests, the flow they run), plus the report."""
    from migrate.commands import ensure_dir
    from migrate.reports.translation import write_reports
    from migrate.translators.dpark.translate import iter_py_files
    from migrate.translators.jobs import Settings, translate_specs, write_outputs

    settings = Settings(paths=dpark_options(location_map=location_map, plan=plan))
    if target is not None:
        settings.target = target
    if dpark_scripts:
        from migrate.inventory.jobs_dpark import DPARK_MARKERS

        settings.dpark_scripts = {f.name for f in iter_py_files(dpark_scripts)
                                  if DPARK_MARKERS.search(f.read_text(encoding="utf-8", errors="replace"))}
    report, jobs = translate_specs(paths, settings)
    ensure_dir(out)
    write_outputs(jobs, out, work_pool)
    for fr in report.files:
        fr.output_path = str(out)
    run = TranslationRun("jobs", report, write_reports(report, out))
    if plan is not None:
        run.written["plan"] = record_for_plan(plan, run)
    return run
