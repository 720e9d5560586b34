"""``validate_plan``: the selected datasets of a plan, one verdict each, and the run's reports.

Reports go to ``out_dir`` (default ``STATE_DIR/validation/report``): ``validation.html`` (people),
``validation.json`` (every verdict, machines) and ``validation.md`` (the Prefect artifact). The run
passes when every dataset passes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from migrate.errors import TerminalError
from migrate.progress import ProgressSink
from migrate.reports import validation as report

from . import verdicts
from .validate import Options, validate_dataset


def select(plan: Any, names: Iterable[str] | None = None, waves: Iterable[int] | None = None) -> list[Any]:
    """Datasets to validate, in wave order (then plan order); unknown names and empty selections are errors."""
    wave_set = set(waves or [])
    chosen = plan.select_datasets(names, wave_set)
    if not chosen and (names or wave_set):
        raise TerminalError(f"no dataset of plan {plan.name} is in wave(s) {', '.join(map(str, sorted(wave_set)))} "
                            f"(dataset waves: {', '.join(map(str, plan.waves)) or 'none'})")
    return chosen


def default_report_dir(plan: Any) -> Path:
    return verdicts.validation_dir(plan) / "report"


def validate_plan(plan: Any, *, names: Iterable[str] | None = None, waves: Iterable[int] | None = None,
                  out_dir: str | os.PathLike[str] | None = None, options: Options | None = None,
                  progress: ProgressSink | None = None, catalog: Any = None) -> dict[str, Any]:
    """Validate the selected datasets; write their verdicts and the run's reports; return the run."""
    chosen = select(plan, names, waves)
    paths = report.report_paths(Path(out_dir) if out_dir is not None else default_report_dir(plan))
    results = [validate_dataset(plan, ds, catalog=catalog, options=options, progress=progress, reports=paths)
               for ds in chosen]
    run = run_summary(plan, results, paths)
    write_reports(run)
    return run


def run_summary(plan: Any, results: list[dict[str, Any]], paths: dict[str, str]) -> dict[str, Any]:
    worst = "pass"
    for r in results:
        if r["verdict"] == "error" or (r["verdict"] == "fail" and worst == "pass"):
            worst = r["verdict"]
    return {"schema_version": verdicts.SCHEMA_VERSION, "plan": plan.name,
            "checked_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "verdict": worst,
            "ok": worst == "pass", "reports": paths, "datasets": results}


def write_reports(run: dict[str, Any]) -> dict[str, str]:
    """The run's HTML, JSON and Markdown reports, each written atomically where ``run["reports"]`` says."""
    paths = run["reports"]
    verdicts.write_text_atomic(Path(paths["json"]), report.to_json(run))
    verdicts.write_text_atomic(Path(paths["md"]), report.to_markdown(run))
    verdicts.write_text_atomic(Path(paths["html"]), report.to_html(run))
    return paths
