"""Run a plan's datasets wave by wave, without Prefect (the flow in migrate.flows.run wraps this).

Counts are re-derived independently after the copy: the source is read again with the format
reader and the target's rows are counted from Parquet footers / the Iceberg snapshot, so the summary
is evidence, not the engine repeating its own bookkeeping.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from migrate.errors import MigrateError
from migrate.plan import DatasetSpec, Plan

log = logging.getLogger(__name__)


@dataclass
class DatasetOutcome:
    dataset: str
    wave: int
    target_kind: str
    target: str = ""
    ok: bool = False
    error: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
    source_rows: int | None = None  # rows the reader finds in the source now (all files)
    source_quarantined: int | None = None
    target_rows: int | None = None  # rows in the target now

    @property
    def counts_match(self) -> bool | None:
        if self.source_rows is None or self.target_rows is None:
            return None
        return self.source_rows - (self.source_quarantined or 0) == self.target_rows


@dataclass
class RunReport:
    plan: str
    outcomes: list[DatasetOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok and o.counts_match is not False for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self.plan, "ok": self.ok,
                "datasets": [asdict(o) | {"counts_match": o.counts_match} for o in self.outcomes]}


def select(plan: Plan, names: Iterable[str] | None = None, waves: Iterable[int] | None = None) -> list[DatasetSpec]:
    """Datasets to run, in wave order (then plan order). Unknown names are an error."""
    wanted = set(names or [])
    unknown = wanted - {d.name for d in plan.datasets}
    if unknown:
        raise MigrateError(f"unknown dataset(s) in plan {plan.name}: {', '.join(sorted(unknown))}")
    wave_set = set(waves or [])
    chosen = [d for d in plan.datasets
              if (not wanted or d.name in wanted) and (not wave_set or d.wave in wave_set)]
    return sorted(chosen, key=lambda d: d.wave)


def migrate_dataset(plan: Plan, ds: DatasetSpec, *, progress: Any = None, count: bool = True) -> DatasetOutcome:
    """Copy/convert one dataset, then count source and target independently."""
    from migrate.engine import run_dataset, source_row_count, target_row_count

    out = DatasetOutcome(ds.name, ds.wave, ds.target.kind)
    try:
        report = run_dataset(plan, ds, progress=progress)
    except MigrateError as exc:
        out.error = str(exc)
        return out
    except Exception as exc:  # a bug or an unexpected library error: keep the other datasets going
        log.exception("dataset %s failed", ds.name)
        out.error = f"{type(exc).__name__}: {exc}"
        return out
    out.report = report.to_dict()
    out.target = report.target
    out.ok = report.ok
    if report.errors:
        out.error = "; ".join(f"{e.get('uri', '?')}: {e.get('error', '?')}" for e in report.errors[:5])
    if count and ds.target.kind != "copy":
        try:
            out.source_rows, out.source_quarantined = source_row_count(plan, ds)
            out.target_rows = target_row_count(plan, ds)
        except Exception as exc:
            out.ok = False
            out.error = f"counting rows failed: {type(exc).__name__}: {exc}"
    return out


def run_plan(plan: Plan, *, names: Iterable[str] | None = None, waves: Iterable[int] | None = None,
             progress: Any = None, count: bool = True) -> RunReport:
    run = RunReport(plan.name)
    for ds in select(plan, names, waves):
        log.info("dataset %s (wave %d) -> %s", ds.name, ds.wave, ds.target.kind)
        run.outcomes.append(migrate_dataset(plan, ds, progress=progress, count=count))
    return run
