"""Run a plan's datasets wave by wave, without Prefect (the flow in migrate.flows.run wraps this).

Counts after the copy cost no second pass over the data: the source side is what the engine counted
while it read every file (rows read and quarantined, summed from the ledger over the files in the
target), the target side is counted from the target itself, Parquet footers or the Iceberg snapshot's
manifests (``COUNT_SOURCES``). They agree unless a committed part went missing, was duplicated or
holds other rows than the engine wrote. Re-reading the whole source to count it independently is
``migrate validate``'s job, not every run's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from migrate.errors import ConfigError, LedgerError, MigrateError, NotFound, TransientError
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
    source_rows: int | None = None  # rows the engine read from the files now in the target (ledger)
    source_quarantined: int | None = None  # of those, quarantined (ledger)
    target_rows: int | None = None  # rows in the target now (Parquet footers / Iceberg manifests)
    counted_from: str | None = None  # where the numbers above come from, for the summary
    transient: bool = False  # the error may pass on a retry (an endpoint down, throttling): flows retry it
    # Quarantine of every migrated file of the dataset (the ledger: this run and earlier ones).
    rows_read: int = 0
    rows_quarantined: int = 0
    max_quarantine: int | str = ""  # the limit that applied
    quarantine_over: bool = False  # rows_quarantined passed max_quarantine: the dataset failed

    @property
    def counts_match(self) -> bool | None:
        if self.source_rows is None or self.target_rows is None:
            return None
        return self.source_rows - (self.source_quarantined or 0) == self.target_rows

    @property
    def status(self) -> str:
        """``ok``, ``ok, 3 quarantined``, ``failed: 600 of 600 rows quarantined (over 1%)`` or ``failed``."""
        if self.quarantine_over:
            return f"failed: {quarantine_text(self)}"
        if not self.ok:
            return "failed"
        return f"ok, {self.rows_quarantined:,} quarantined" if self.rows_quarantined else "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"counts_match": self.counts_match, "status": self.status}


def quarantine_text(o: DatasetOutcome) -> str:
    share = f" ({o.rows_quarantined / o.rows_read:.1%})" if o.rows_read else ""
    limit = o.max_quarantine if isinstance(o.max_quarantine, str) else f"{o.max_quarantine:,} rows"
    return f"{o.rows_quarantined:,} of {o.rows_read:,} rows quarantined{share}, over max_quarantine {limit}"


@dataclass
class RunReport:
    plan: str
    outcomes: list[DatasetOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok and o.counts_match is not False for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self.plan, "ok": self.ok, "datasets": [o.to_dict() for o in self.outcomes]}


def select(plan: Plan, names: Iterable[str] | None = None, waves: Iterable[int] | None = None) -> list[DatasetSpec]:
    """Datasets to run, in wave order (then plan order). Unknown names are an error."""
    return plan.select_datasets(names, waves)


def _key(plan: Plan, ds: DatasetSpec, key: str) -> str:
    """``datasets[i].<key>``: where in the plan file to look."""
    index = next((i for i, d in enumerate(plan.datasets) if d.name == ds.name), None)
    return f"datasets[{index}].{key}" if index is not None else key


def check_state_dir(plan: Plan) -> None:
    """The state dir (ledger, locks, quarantine) exists or can be made, and takes files."""
    sdir = plan.state_dir
    where = f"settings.state_dir {plan.settings.state_dir!r} -> {sdir}"
    if sdir.exists() and not sdir.is_dir():
        raise ConfigError(f"{where}: is a file, not a folder; point settings.state_dir at a folder")
    try:
        sdir.mkdir(parents=True, exist_ok=True)
        probe = sdir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot use it: {exc.strerror or exc}; "
                          "make it writable or point settings.state_dir elsewhere") from None
    from migrate.ledger import Ledger

    try:
        Ledger.in_state_dir(sdir).close()
    except LedgerError:
        raise  # names the ledger file and what to do
    except sqlite3.Error as exc:
        raise ConfigError(f"{sdir / 'ledger.db'}: the run ledger cannot be opened ({exc}); restore it from a "
                          "backup, or move it away to start afresh (every file is then checked again)") from None


def check_target(plan: Plan, ds: DatasetSpec) -> None:
    """A file where the target folder should be would fail every part with an obscure error."""
    if ds.target.kind == "iceberg":
        return
    from migrate.storage import open_storage, scheme_of

    uri, opts = plan.location(ds.target.store, ds.target.path or "")
    if scheme_of(uri) not in ("file", "webhdfs", "hdfs"):
        return  # object stores: a key and a prefix of the same name can coexist
    try:
        info = open_storage(uri, **opts).stat(uri)
    except NotFound:
        return
    if not info.is_dir:
        raise ConfigError(f"target folder {uri} is a file ({_key(plan, ds, 'target')}: store {ds.target.store}, "
                          f"path {ds.target.path!r}); move the file away or choose another path")


def check_source(plan: Plan, ds: DatasetSpec) -> None:
    """The dataset's source folder exists (a typo there would otherwise migrate zero files and pass)."""
    from migrate.storage import open_storage

    uri, opts = plan.location(ds.source.store, ds.source.path)
    store = open_storage(uri, **opts)
    try:
        store.stat(uri)  # a folder, or a single file named as the source
        return
    except NotFound:
        pass
    # Object stores have no folders: a prefix "exists" when something is under it.
    try:
        if next(iter(store.list(uri)), None) is not None:
            return
    except NotFound:
        pass
    raise NotFound(f"source folder {uri} does not exist "
                   f"({_key(plan, ds, 'source')}: store {ds.source.store}, path {ds.source.path!r})", uri)


def debug_wanted() -> bool:
    """``MIGRATE_DEBUG=1`` (the CLI's --debug sets it): show tracebacks of unexpected errors."""
    return os.environ.get("MIGRATE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, MigrateError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def _file_error(entry: dict[str, str]) -> str:
    """``uri: error``, naming the file once (most of our errors already name it)."""
    uri, error = entry.get("uri", "?"), entry.get("error", "?")
    return error if uri in error else f"{uri}: {error}"


COUNT_SOURCES = {
    "parquet": "source rows and quarantined: counted by the engine as it read each file (ledger); "
               "target rows: Parquet footers",
    "iceberg": "source rows and quarantined: counted by the engine as it read each file (ledger); "
               "target rows: the Iceberg snapshot's manifests",
}


def ledger_row_counts(plan: Plan, ds: DatasetSpec) -> tuple[int, int]:
    """(rows read, rows quarantined) the engine recorded for the dataset's files now in the target."""
    from migrate.ledger import Ledger

    with Ledger.in_state_dir(plan.state_dir) as ledger:
        rows, quarantined, _ = ledger.row_totals(ds.name)
    return rows, quarantined


def migrate_dataset(plan: Plan, ds: DatasetSpec, *, progress: Any = None, count: bool = True) -> DatasetOutcome:
    """Copy/convert one dataset, then count its rows: read (ledger) against in the target (its metadata)."""
    from migrate.engine import run_dataset, target_row_count

    out = DatasetOutcome(ds.name, ds.wave, ds.target.kind)
    try:
        check_state_dir(plan)
        from migrate.credentials import export_block_secrets

        export_block_secrets(plan)  # credentials named by Prefect Secret blocks (nothing to do for most plans)
        check_source(plan, ds)
        check_target(plan, ds)
        report = run_dataset(plan, ds, progress=progress)
    except MigrateError as exc:
        out.error = str(exc)
        out.transient = isinstance(exc, TransientError)
        return out
    except Exception as exc:  # a bug or an unexpected library error: keep the other datasets going
        # The traceback only on request (--debug / MIGRATE_DEBUG=1): the message names the culprit.
        log.error("dataset %s failed: %s", ds.name, _describe(exc), exc_info=debug_wanted())
        out.error = _describe(exc)
        return out
    out.report = report.to_dict()
    out.target = report.target
    out.ok = report.ok
    if report.errors:
        out.error = "; ".join(_file_error(e) for e in report.errors[:5])
    # Counting after failed files would only repeat their error (and hide it): count complete runs.
    if count and ds.target.kind != "copy" and report.ok:
        try:
            out.source_rows, out.source_quarantined = ledger_row_counts(plan, ds)
            out.target_rows = target_row_count(plan, ds)
            out.counted_from = COUNT_SOURCES[ds.target.kind]
        except Exception as exc:
            out.ok = False
            out.error = f"counting rows failed: {_describe(exc)}"
    if ds.target.kind != "copy":
        check_quarantine(plan, ds, out)
    return out


def migrate_batch(plan: Plan, ds: DatasetSpec, files: Iterable[Any], *, progress: Any = None) -> dict[str, Any]:
    """Copy/convert some files of a dataset (``migrate.batches``); its engine report. Errors are raised, the
    dataset's full run afterwards reports them with the dataset's outcome."""
    from migrate.engine import EngineOptions, run_dataset

    check_state_dir(plan)
    from migrate.credentials import export_block_secrets

    export_block_secrets(plan)
    report = run_dataset(plan, ds, progress=progress, options=EngineOptions(files=tuple(files)))
    return report.to_dict()


def check_quarantine(plan: Plan, ds: DatasetSpec, out: DatasetOutcome) -> None:
    """Fail the dataset when its quarantined rows (all migrated files, per the ledger) pass its
    ``max_quarantine``: rows lost to quarantine must never hide behind a green status."""
    from migrate.ledger import DONE_STATES, Ledger
    from migrate.plan import quarantine_allowed

    with Ledger.in_state_dir(plan.state_dir) as ledger:
        done = ledger.records(ds.name, DONE_STATES)
    out.rows_read = sum(r.rows_in for r in done)
    out.rows_quarantined = sum(r.rows_quarantined for r in done)
    out.max_quarantine = plan.max_quarantine(ds)
    if out.rows_quarantined > quarantine_allowed(out.max_quarantine, out.rows_read):
        out.quarantine_over = True
        out.ok = False
        where = plan.state_dir / "quarantine" / ds.name
        what = (f"{quarantine_text(out)} ({_key(plan, ds, 'max_quarantine')} or settings.max_quarantine); "
                f"the rows and why each failed are in {where}/*.jsonl")
        out.error = f"{out.error}; {what}" if out.error else what


def run_plan(plan: Plan, *, names: Iterable[str] | None = None, waves: Iterable[int] | None = None,
             progress: Any = None, count: bool = True) -> RunReport:
    run = RunReport(plan.name)
    chosen = select(plan, names, waves)
    with shared_catalogs(plan, chosen):
        for ds in chosen:
            log.info("dataset %s (wave %d) -> %s", ds.name, ds.wave, ds.target.kind)
            run.outcomes.append(migrate_dataset(plan, ds, progress=progress, count=count))
    return run


@contextlib.contextmanager
def shared_catalogs(plan: Plan, datasets: Iterable[DatasetSpec]) -> Iterator[None]:
    """Within: the Iceberg catalog is opened once for all ``datasets`` (from now on, in the background)
    instead of once per dataset; pyiceberg is not even imported when no dataset targets Iceberg."""
    if not any(d.target.kind == "iceberg" for d in datasets):
        yield
        return
    from migrate import iceberg

    with iceberg.shared_catalogs() as catalogs:
        with contextlib.suppress(Exception):  # a bad catalog fails its datasets, each saying why
            catalogs.prefetch(plan, plan.state_dir)
        yield
