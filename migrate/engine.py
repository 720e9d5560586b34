"""The copy/convert engine: one dataset of a plan, atomic, resumable, parallel and bounded.

``run_dataset(plan, dataset, state_dir=...)``:

1. takes a per-dataset lock in ``state_dir`` (two runs of one dataset never interleave);
2. recovers from a crash: aborts multipart uploads under the target prefix, deletes temp files and
   our-named target files the ledger does not know as committed (Iceberg: promotes files whose
   source keys a snapshot already recorded, deletes unregistered ones);
3. lists the source; each file is new, changed (size/mtime differ), migrated under other conversion
   settings (``migrate.layout.conversion_key``: schema, format options, partitioning, target kind; converted
   again, its old parts replaced like a changed file's), unchanged (skipped) or, for
   ledger rows no longer listed, missing (reported by name). A missing file that a stat confirms is
   gone from the source has its target data removed (its files deleted, or an Iceberg snapshot
   dropping them) and then its ledger row (``sync_deletions``): the target mirrors the source, and
   the cutover gate "final delta synced" passes once the source stops changing;
4. converts / copies what is left, files in parallel and large splittable files in byte ranges
   (uncompressed text and JSON lines by line, Parquet by row group, ORC by stripe; threads for I/O,
   a process pool for CPU-bound conversion), each part to a deterministic name
   derived from the source version (``part-<16 hex>[-NNNNN].parquet``) so a redo overwrites;
5. re-stats each source file after reading it and redoes it if it changed meanwhile;
6. Parquet: parts are visible when their writers commit and the ledger marks the file committed.
   Iceberg: parts are registered in one snapshot per batch of files whose summary names the source
   files and version keys, then the ledger marks them committed.

Iceberg catalogs are slow to open (pyiceberg and SQLAlchemy imports, catalog and table creation), and
only the commit needs them: when the table's location is known without the catalog (a path in the
plan, or the SQLite catalog file read directly) the catalog and table are opened on a helper thread or
process while the parts are converted (``EngineOptions.catalog_helper``). Crash recovery waits for
them only when a previous run left rows started/written or files behind. Errors of the catalog are
raised as soon as they are known. A missing source folder raises NotFound; a target folder that is a
file raises TerminalError before anything is written.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import queue as queue_mod
import sys
import time
import traceback
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from migrate import checksums, retry
from migrate.copy import PartOutcome, PartTask, init_worker, resolve, run_part, run_part_in_worker
from migrate.errors import MigrateError, NotFound, TerminalError
from migrate.layout import (
    PART_RE,
    canonical_json,
    commit_key,
    conversion_key,
    conversion_settings,
    describe_change,
    hidden,
    part_name,
    partition_values,
    rel_path,
    version_key,
)
from migrate.ledger import DONE_STATES, FileRecord, Ledger
from migrate.progress import NullProgress, ProgressSink
from migrate.storage import Storage, open_storage, scheme_of
from migrate.storage.base import FileInfo, join_uri, safe_text
from migrate.storage.local import TMP_MARK
from migrate.storage.seekable import open_seekable
from migrate.writers.parquet import WriterOptions

log = logging.getLogger(__name__)

SPLITTABLE = frozenset({"csv", "tsv", "hive_text", "jsonl", "parquet", "orc"})


@dataclass(frozen=True)
class EngineOptions:
    use_processes: bool | None = None  # None: processes for conversions worth it (>= process_min_bytes)
    process_min_bytes: int = 64 << 20
    split_bytes: int = 256 << 20  # splittable files above this are cut into byte ranges
    writer: WriterOptions = field(default_factory=WriterOptions)
    source_checksum: bool = True  # hash source bytes while they are read (convert: by the reader; copy: always)
    # Data buffered by all parts in flight (chunks, row groups), split per worker. 256 MiB keeps a 1 GiB
    # conversion on 2 workers at ~500 MiB peak RSS (384: ~580) for the same CPU time.
    memory_bytes: int = 256 << 20
    iceberg_commit_files: int = 100  # source files per Iceberg snapshot
    max_attempts: int = 3  # a source file that keeps changing while read fails after this many tries
    sync_deletions: bool = True  # files deleted at the source leave the target too (module doc, step 3)
    reader: str = "migrate.formats:open_batches"
    splitter: str = "migrate.formats:split_ranges"
    quarantine_factory: str | None = "migrate.formats.quarantine:Quarantine"  # None: no quarantine
    # Iceberg: where the catalog and table are opened while parts are converted (when the data file
    # location is known without them): "process" (a helper process: off this process's GIL, and it
    # skips pandas; fastest in the 1 GiB benchmark), "thread" (no extra interpreter, but its imports
    # hold the GIL) or "none" (opened here before any part, as before). Default from
    # MIGRATE_ICEBERG_HELPER, else "process".
    catalog_helper: str = field(default_factory=lambda: os.environ.get("MIGRATE_ICEBERG_HELPER") or "process")
    # What runs the parts (migrate.scaleout): auto | threads | processes | dask[:N] | dask://HOST:PORT; None:
    # MIGRATE_RUNNER, else auto. Whatever runs them, this process alone writes the ledger and commits.
    runner: str | None = None
    # A batch (migrate.batches): only these source files, as the caller listed them; the source is not
    # listed again, and no file is reported missing or deleted from the target (a full run does that).
    files: tuple[FileInfo, ...] | None = None


@dataclass
class DatasetReport:
    dataset: str
    target: str
    target_kind: str
    files_total: int = 0
    files_processed: int = 0
    files_skipped: int = 0
    files_missing: int = 0
    files_failed: int = 0
    files_redone_changed: int = 0  # changed while being read, then redone
    files_deleted: int = 0  # gone from the source: their target data removed (EngineOptions.sync_deletions)
    # Unchanged at the source but migrated under other conversion settings (schema, format options,
    # partitioning, target kind): converted again, old parts replaced. ``reconverted`` counts the files
    # planned for it by what changed (``migrate.layout.describe_change``); the number done is files_reconverted.
    files_reconverted: int = 0
    reconverted: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    duration: float = 0.0
    recovered: dict[str, int] = field(default_factory=dict)  # crash clean-up counts
    snapshots: list[int] = field(default_factory=list)
    # Retries of transient failures by reason (migrate.retry: throttled, timeout, connection, ...,
    # budget_exhausted), made by this process during the run plus those its pool workers reported.
    retries: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.files_failed == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The on-disk layout lives in migrate.layout (the validators read it back); these names stay importable here.
_rel = rel_path
_hidden = hidden


@dataclass
class _FileWork:
    info: FileInfo
    rel: str
    version: str
    pvalues: dict[str, str | None] | None
    ranges: list[tuple[int, int] | None]
    target_uris: list[str]
    previous_uris: list[str]
    attempt: int = 1
    outcomes: dict[int, PartOutcome] = field(default_factory=dict)
    parts_left: int = 0
    error: str | None = None
    split_bytes: int = 0  # > 0: cut into ranges of about this size when its parts are first queued


class _DatasetLock:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(path, "a+")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self._f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._f.close()
            raise TerminalError(f"another run holds {path}; one run per dataset at a time") from None

    def release(self) -> None:
        fcntl.flock(self._f, fcntl.LOCK_UN)
        self._f.close()


class _Run:
    """State of one run_dataset call (main thread only)."""

    def __init__(self, plan: Any, ds: Any, state_dir: Path, progress: ProgressSink, workers: int,
                 catalog: Any, options: EngineOptions) -> None:
        self.plan, self.ds, self.state_dir, self.progress = plan, ds, state_dir, progress
        self.workers, self.options = workers, options
        self.kind: str = ds.target.kind
        self.checksum: str = getattr(getattr(plan, "settings", None), "checksum", None) or checksums.DEFAULT
        self.src_root, self.src_opts = plan.location(ds.source.store, ds.source.path)
        self.src: Storage = open_storage(self.src_root, **self.src_opts)
        self.ledger = Ledger.in_state_dir(state_dir)
        self.catalog = catalog
        self._session: Any = None  # the table: iceberg.TableSession here, or the helper running it once joined
        self._helper: Any = None  # iceberg.CatalogProcess / CatalogThread opening the table, until joined
        try:
            if self.kind == "iceberg":
                self._open_iceberg()
            else:
                self.dst_root, self.dst_opts = plan.location(ds.target.store, ds.target.path or "")
            self.dst: Storage = open_storage(self.dst_root, **self.dst_opts)
        except BaseException:
            self.close()  # a catalog helper already started must not outlive this failed run
            self.ledger.close()
            raise
        target = ds.target.table if self.kind == "iceberg" else self.dst_root
        self.settings = conversion_settings(ds)
        self.conversion = conversion_key(self.settings)
        self.reconvert: set[str] = set()  # source uris converted again because the settings changed
        self._evolved = False  # the Iceberg table took the changed settings (once per run)
        self.previous_kind: dict[str, str] = {}  # reconverted source uri -> the target kind its old parts are in
        self.report = DatasetReport(ds.name, target, self.kind)
        self.to_commit: list[_FileWork] = []
        self.worker_retries: dict[str, int] = {}  # reported by pool processes (DatasetReport.retries)
        # PartTask fields that are the same for every part of the run.
        self._task_fields: dict[str, Any] = dict(
            dataset=ds.name, mode="copy" if self.kind == "copy" else "convert",
            src_opts=self.src_opts, dst_opts=self.dst_opts, fmt=ds.format, columns=ds.schema,
            checksum=self.checksum if (self.kind == "copy" or options.source_checksum) else None,
            reader=options.reader, quarantine_factory=options.quarantine_factory,
            writer_options=replace(options.writer, checksum=self.checksum),
            memory_bytes=options.memory_bytes // workers,  # one share per slot in flight
        )

    def check_target(self) -> None:
        """A file where the target folder should be would fail every part with an obscure error."""
        if scheme_of(self.dst_root) not in ("file", "webhdfs", "hdfs"):
            return  # object stores: a key and a prefix of the same name can coexist
        try:
            info = self.dst.stat(self.dst_root)
        except NotFound:
            return
        if not info.is_dir:
            raise TerminalError(f"dataset {self.ds.name}: target folder {self.dst_root} is a file; "
                                "move the file away or choose another target path")

    # -- iceberg -------------------------------------------------------------------------------
    def _open_iceberg(self) -> None:
        """Know where data files go at once; open the catalog and table on a helper meanwhile.

        Importing pyiceberg and SQLAlchemy and opening the catalog take seconds of single-threaded
        Python, and only the table commit (and recovery after a crash) needs them. The data file
        location does not, whenever it is known without the catalog: the plan names a path, or the
        SQLite catalog says (read directly, ``iceberg.peek_sqlite_table``) where the table is or where
        it would create it (the first commit then creates it there, with its snapshot). A helper
        process keeps that work off this process's GIL while the parts are converted; a run that
        shares one catalog among its datasets (``iceberg.shared_catalogs``) uses a thread instead.
        Otherwise (a catalog object passed in, a REST catalog choosing the location of a new table)
        the table is opened here first.
        """
        from migrate import iceberg

        ds = self.ds
        session = iceberg.TableSession(self.plan, self.state_dir, ds.target.table, ds.name,
                                       ds.partition_columns or [], None, catalog=self.catalog)
        path = getattr(ds.target, "path", None)
        peek = None
        if self.catalog is None:
            peek = iceberg.peek_sqlite_table(self.plan, ds.target.table, state_dir=self.state_dir)
        if peek is not None and self.options.catalog_helper != "none":
            if peek.exists:
                location = peek.location
            elif path:
                location = str(self.plan.location(ds.target.store, path)[0])
            elif ds.schema:
                location = peek.location  # where the catalog would put it: the first commit creates it there
            else:
                location = self._fallback_table_location()
            assert location is not None
            self.table_location = session.location = location.rstrip("/")
            # A new table is created by its first commit, with that snapshot (one metadata write).
            create = None
            # A run that shares its catalog (``iceberg.shared_catalogs``) opens the table on a thread: the
            # catalog is opened once per run in this process, not once per dataset in a helper process.
            shared = iceberg.active_catalogs() is not None
            helper = (iceberg.CatalogThread if shared or self.options.catalog_helper == "thread"
                      else iceberg.CatalogProcess)
            self._helper = helper(session, create)
        else:
            location = session.open(None)
            if location is None:
                if path:
                    location = str(self.plan.location(ds.target.store, path)[0])
                elif ds.schema:  # ask the catalog for its default location by creating the table now
                    location = session.open(self._plan_arrow_schema())
                else:
                    location = self._fallback_table_location()
            assert location is not None
            self.table_location = session.location = location.rstrip("/")
            self._session = session
        self.dst_root, self.dst_opts = iceberg.storage_for_location(self.plan, self.table_location + "/data")

    def iceberg_ready(self) -> bool:
        """The helper has answered (opened the table or failed): join_iceberg will not wait."""
        return self._helper is not None and self._helper.ready()

    def join_iceberg(self) -> None:
        """Wait for the helper to open the table; raises what it raised."""
        helper = self._helper
        if helper is None:
            return
        location = helper.opened()
        self._session, self._helper = helper, None
        if location is not None and location != self.table_location:
            # Only when someone created the table elsewhere since we looked: Iceberg data files may
            # live anywhere, so the parts written under our location are still registered as usual.
            log.warning("iceberg table %s is at %s, not at %s as it was when this run started; its new "
                        "data files stay under %s", self.ds.target.table, location, self.table_location,
                        self.dst_root)

    def _iceberg(self, method: str, *args: Any) -> Any:
        self.join_iceberg()
        return self._session.call(method, *args)

    def close(self) -> None:
        """Stop the catalog helper (if any)."""
        for h in (self._helper, self._session):
            if h is not None:
                h.close()
        self._helper = None

    def _plan_arrow_schema(self) -> Any:  # a new table's schema when the catalog must place it now
        ds = self.ds
        arrow = resolve("migrate.formats.types:arrow_schema")(ds.schema)
        if ds.partition_columns:
            import pyarrow as pa

            have = set(arrow.names)
            for c in ds.partition_columns:
                if c not in have:
                    arrow = arrow.append(pa.field(c, pa.string()))
        return arrow

    def _fallback_table_location(self) -> str:
        ns, _, name = self.ds.target.table.rpartition(".")
        wh = self.plan.resolved_catalog().warehouse if hasattr(self.plan, "resolved_catalog") else None
        if not wh:
            wh = f"file://{self.state_dir}/warehouse"
        return f"{wh.rstrip('/')}/{ns.replace('.', '/')}.db/{name}"

    def check_iceberg_schema(self) -> None:
        """Before re-converting into an existing table: a declared schema it cannot take is an error now."""
        if self.ds.schema:
            self._schema_changes(self._plan_arrow_schema(), apply=False)

    def _schema_changes(self, schema: Any, *, apply: bool) -> None:
        problems = self._iceberg("schema_changes", schema, list(self.ds.partition_columns or []), apply)
        if problems:
            done = ("the table is unchanged; the parts converted for it are removed by the next run" if apply
                    else "nothing was written")
            raise TerminalError(
                f"dataset {self.ds.name}: the Iceberg table {self.ds.target.table} cannot take the plan's changed "
                f"schema ({'; '.join(problems)}); {done}. Iceberg changes a column's type in place only "
                "by widening (int -> bigint, float -> double, a decimal's precision): keep the column's type in the "
                "plan, add the new type as a new column, or drop the table so the next run re-creates it from the "
                "plan and converts every file again")

    def _commit_iceberg(self) -> None:
        if not self.to_commit:
            return
        first = next((o for w in self.to_commit for o in w.outcomes.values() if o.schema is not None), None)
        if self.reconvert and not self._evolved:
            # Settings changed: the table takes the new columns / partitioning before the files that need them.
            schema = self._plan_arrow_schema() if self.ds.schema else (first.schema if first is not None else None)
            if schema is not None:
                self._schema_changes(schema, apply=True)
            self._evolved = True
        entries = [(commit_key(w.version, self.conversion), w.info.uri, self._source_checksum(w),
                    list(w.target_uris), list(w.previous_uris)) for w in self.to_commit]
        # The ledger's "written" rows (row and quarantine counts) must outlive a crash right after the
        # snapshot: recovery promotes them as they are.
        self.ledger.make_durable()
        snap = self._iceberg("commit", first.schema if first is not None else None, entries)
        if snap is not None:
            self.report.snapshots.append(snap)
        self.ledger.mark_committed(self.ds.name, [w.info.uri for w in self.to_commit])
        for w in self.to_commit:
            if self.previous_kind.get(w.info.uri, "iceberg") != "iceberg":
                for u in w.previous_uris:  # parts of the folder this dataset targeted before (parquet/copy)
                    with contextlib.suppress(NotFound):
                        self._store_for(u).delete(u)
            self.progress.file_finished(self.ds.name, w.info.uri, status="committed")
        self.to_commit = []

    def _store_for(self, uri: str) -> Storage:
        """The store holding ``uri``: the target's, or (a dataset moved to another target) the plan's target
        store whose root it is under."""
        if uri.startswith(self.dst_root.rstrip("/") + "/") or scheme_of(uri) == "file":
            return self.dst
        for name in getattr(self.plan, "targets", {}) or {}:
            root, opts = self.plan.location(name, "")
            if uri.startswith(root.rstrip("/") + "/"):
                return open_storage(root, **opts)
        return self.dst

    # -- recovery ------------------------------------------------------------------------------
    def recover(self) -> None:
        rec = self.report.recovered
        abort = getattr(self.dst, "abort_orphaned_uploads", None)
        if abort is not None:
            # We hold the dataset lock: every upload under our prefix belongs to a dead run.
            rec["uploads_aborted"] = len(abort(self.dst_root, older_than_seconds=0))
        records = self.ledger.records(self.ds.name)
        if self.kind == "iceberg":
            self._recover_iceberg(records)
            return
        if self.kind == "copy" and not self.dst.writes_temp_files:
            # Nothing to look for: copies delete no unknown files, and this store leaves no temp files
            # (its uploads were swept above). Saves listing a target of millions of objects per run.
            return
        known: set[str] = set()
        for r in records:
            known.update(r.target_uris if r.state in DONE_STATES else r.previous_uris)
        temp = ours = 0
        try:
            listing = list(self.dst.walk(self.dst_root))
        except NotFound:
            listing = []
        for f in listing:
            if TMP_MARK in f.name:
                self.dst.delete(f.uri)
                temp += 1
            elif self.kind == "parquet" and PART_RE.match(f.name) and f.uri not in known:
                self.dst.delete(f.uri)
                ours += 1
        rec["temp_files_deleted"] = temp
        rec["unknown_parts_deleted"] = ours

    def _recover_iceberg(self, records: list[FileRecord]) -> None:
        pending = [r for r in records if r.state in ("started", "written", "failed", "pending")]
        if not pending:
            return
        if self.dst.writes_temp_files and any(r.state == "started" for r in pending):
            # A part killed mid-write left its temp file (a file store): never registered, delete it.
            with contextlib.suppress(NotFound):
                temp = [f.uri for f in self.dst.walk(self.dst_root) if TMP_MARK in f.name]
                for uri in temp:
                    self.dst.delete(uri)
                self.report.recovered["temp_files_deleted"] = len(temp)
        if self._helper is not None:
            # Only a crash mid-run (rows left started/written) or files a failed attempt left behind
            # need the table now; else recovery has nothing to do and the table keeps opening.
            crashed = any(r.state in ("started", "written") for r in pending)
            if not crashed and not any(self.dst.exists(u) for r in pending for u in r.target_uris):
                return
        keys, referenced = self._iceberg("recovery_state")
        promoted, deleted = [], 0
        for r in pending:
            if commit_key(r.version, r.conversion) in keys and (
                    not r.previous_uris or (r.target_uris and all(u in referenced for u in r.target_uris))):
                # The table commit happened, the ledger update did not. A replacement (settings changed
                # and back) may find its key in an older snapshot: only its files in the table count.
                promoted.append(r.source_uri)
                continue
            for u in r.target_uris:
                if u not in referenced:
                    self.dst.delete(u)
                    deleted += 1
        self.ledger.mark_committed(self.ds.name, promoted)
        self.report.recovered.update(promoted_from_table=len(promoted), unregistered_parts_deleted=deleted)

    # -- source deletions ----------------------------------------------------------------------
    def sync_deletions(self, records: list[FileRecord]) -> None:
        """Remove the target data of ledger rows whose source file is gone (a stat says NotFound: a
        file that is only absent from a listing stays), then their ledger rows; idempotent after a crash."""
        gone = []
        for r in records:
            try:
                self.src.stat(r.source_uri)
            except NotFound:
                gone.append(r)
        if not gone:
            return
        # What the target holds of each: the committed version's files, else a replaced version's.
        held = {r.source_uri: list(r.target_uris if r.state in DONE_STATES else r.previous_uris) for r in gone}
        if self.kind == "iceberg":
            no_files: list[str] = []
            entries = [(_deletion_key(r), r.source_uri, None, no_files, held[r.source_uri]) for r in gone
                       if held[r.source_uri]]
            if entries:
                snap = self._iceberg("commit", None, entries)
                if snap is not None:
                    self.report.snapshots.append(snap)
        else:
            for uris in held.values():
                for u in uris:
                    with contextlib.suppress(NotFound):
                        self.dst.delete(u)
        self.ledger.forget(self.ds.name, [r.source_uri for r in gone])
        self.report.files_deleted = len(gone)
        for r in gone:
            log.info("%s is gone from the source: its target data was removed", r.source_uri)

    # -- planning ------------------------------------------------------------------------------
    def targets_for(self, rel: str, version: str, parts: int) -> list[str]:
        if self.kind == "copy":
            return [join_uri(self.dst_root, rel)]
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if self.ds.partition_columns:
            # Keep only the k=v folders of partition columns: the layout Hive/Iceberg readers expect.
            segs = [s for s in folder.split("/") if s.partition("=")[0] in self.ds.partition_columns]
            folder = "/".join(segs)
        base = join_uri(self.dst_root, folder) if folder else self.dst_root
        return [join_uri(base, part_name(version, i, parts, self.conversion)) for i in range(parts)]

    def plan_file(self, info: FileInfo, previous: list[str], attempt: int = 1) -> _FileWork:
        rel = _rel(self.src_root, info.uri)
        version = version_key(info.uri, info.size, info.mtime)
        fmt = self.ds.format
        split_bytes = 0
        if (self.kind != "copy" and fmt is not None and fmt.kind in SPLITTABLE
                and info.size > self.options.split_bytes
                and getattr(fmt, "compression", "none") in ("none", "auto")):
            from migrate.formats import range_bytes

            # A multiple of the workers in ranges, none above split_bytes: balanced work, bounded parts.
            split_bytes = range_bytes(info.size, self.options.split_bytes, self.workers)
        pv = partition_values(rel, list(self.ds.partition_columns or [])) if self.kind != "copy" else None
        uris = self.targets_for(rel, version, 1)
        return _FileWork(info, rel, version, pv, [None], uris, previous, attempt, parts_left=1,
                         split_bytes=split_bytes)

    def split(self, w: _FileWork) -> None:
        """Cut ``w`` into byte ranges / row-group runs (its parts and their target names).

        Done when the file's parts are first queued, not when the run is planned: cutting quoted text
        reads the file once to count quotes, so right before its conversion reads it again (from the
        page cache) and while earlier files convert.
        """
        if not w.split_bytes:
            return
        try:
            got = resolve(self.options.splitter)(self.src, w.info.uri, self.ds.format, w.split_bytes)
            ranges: list[tuple[int, int] | None] = [(int(a), int(b)) for a, b in got] if len(got) > 1 else [None]
        except (ImportError, AttributeError, MigrateError) as exc:
            log.info("%s: not split (%s)", w.info.uri, exc)
            ranges = [None]
        w.split_bytes = 0
        w.ranges, w.parts_left = ranges, len(ranges)
        w.target_uris = self.targets_for(w.rel, w.version, len(ranges))

    def tasks_for(self, w: _FileWork) -> Iterator[PartTask]:
        self.split(w)
        qdir = self.state_dir / "quarantine" / self.ds.name
        for i, r in enumerate(w.ranges):
            yield PartTask(
                src_uri=w.info.uri, dst_uri=w.target_uris[i], size=w.info.size, partition_values=w.pvalues,
                byte_range=r, part_index=i,
                quarantine_path=str(qdir / f"{Path(w.target_uris[i]).stem}.jsonl") if self.kind != "copy" else None,
                **self._task_fields,
            )

    def _source_checksum(self, w: _FileWork) -> str | None:
        sums = [w.outcomes[i].source_checksum for i in sorted(w.outcomes)]
        if not sums or any(s is None for s in sums):
            return None
        if len(sums) == 1:
            return sums[0]
        # Ranged: a checksum of the range checksums (stable for the same content and split).
        h = checksums.new(self.checksum)
        h.update("".join(str(s) for s in sums).encode())
        return f"{self.checksum}-ranges{len(sums)}:{h.hexdigest()}"

    # -- completion ----------------------------------------------------------------------------
    def file_done(self, w: _FileWork) -> _FileWork | None:
        """All parts of ``w`` finished: check the source did not change, then commit. May return a redo."""
        name = self.ds.name
        try:
            after = self.src.stat(w.info.uri)
        except NotFound:
            self._discard(w)
            self._fail(w, "source file disappeared while it was read")
            return None
        except MigrateError:
            if w.error is None:
                raise
            after = w.info  # the source cannot be asked either (a dead endpoint): the read's error stands
        changed = after.size != w.info.size or after.mtime != w.info.mtime
        if w.error is not None and not changed:
            self._discard(w)
            self._fail(w, w.error)
            return None
        if changed:  # also when reading failed: a file changing under the reader explains the failure
            self._discard(w)
            if w.attempt >= self.options.max_attempts:
                self._fail(w, f"source changed while read, {w.attempt} times")
                return None
            log.warning("%s changed while read (size %d->%d); redoing", w.info.uri, w.info.size, after.size)
            self.report.files_redone_changed += 1
            redo = self.plan_file(after, w.previous_uris, w.attempt + 1)
            self.ledger.upsert_pending(self._record(redo))
            return redo
        outs = [w.outcomes[i] for i in sorted(w.outcomes)]
        rows_in = sum(o.rows_in for o in outs)
        rows_w = sum(o.rows_written for o in outs)
        rows_q = sum(o.rows_quarantined for o in outs)
        b_out = sum(o.bytes_out for o in outs)
        state = "written" if self.kind == "iceberg" else "committed"
        if state == "committed" and self.previous_kind.get(w.info.uri) != "iceberg":
            # (files of a table the dataset no longer targets stay: that table's snapshots reference them)
            stale = [u for u in w.previous_uris if u not in w.target_uris]
            for u in stale:  # the replaced version's files go once the new ones are visible
                self._store_for(u).delete(u)
        self.ledger.mark_result(
            name, w.info.uri, state, size=w.info.size, mtime=w.info.mtime, version=w.version,
            source_checksum=self._source_checksum(w), target_uris=w.target_uris,
            target_checksums=[o.target_checksum for o in outs], rows_in=rows_in, rows_written=rows_w,
            rows_quarantined=rows_q, bytes_out=b_out,
        )
        r = self.report
        r.files_processed += 1
        r.files_reconverted += w.info.uri in self.reconvert
        r.rows_in += rows_in
        r.rows_written += rows_w
        r.rows_quarantined += rows_q
        r.bytes_in += w.info.size
        r.bytes_out += b_out
        if self.kind == "iceberg":
            self.to_commit.append(w)
            if len(self.to_commit) >= self.options.iceberg_commit_files:
                self._commit_iceberg()
        else:
            self.progress.file_finished(name, w.info.uri, status="committed")
        return None

    def _discard(self, w: _FileWork) -> None:
        for u in w.target_uris:
            if u in w.previous_uris:
                continue  # copy mode, same name as the committed previous version
            try:
                self.dst.delete(u)
            except NotFound:
                pass  # never written
            except Exception as exc:
                log.warning("could not delete %s: %s", u, exc)

    def _fail(self, w: _FileWork, error: str) -> None:
        self.ledger.mark_failed(self.ds.name, w.info.uri, error)
        self.report.files_failed += 1
        self.report.errors.append({"uri": w.info.uri, "error": error})
        self.progress.file_finished(self.ds.name, w.info.uri, status="failed")

    def _record(self, w: _FileWork) -> FileRecord:
        return FileRecord(self.ds.name, w.info.uri, w.info.size, w.info.mtime, w.version, conversion=self.conversion)


def _deletion_key(rec: FileRecord) -> str:
    """The Iceberg snapshot key of removing ``rec``'s version (a retried removal is recognised)."""
    return hashlib.sha256(f"deleted\0{rec.source_uri}\0{rec.version}".encode()).hexdigest()[:16]


def error_text(exc: BaseException) -> str:
    """A part's error as recorded: our errors already say what and where (no class name needed)."""
    if isinstance(exc, MigrateError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _resolve_dataset(plan: Any, dataset: Any) -> Any:
    if isinstance(dataset, str):
        return plan.dataset(dataset) if hasattr(plan, "dataset") else next(
            d for d in plan.datasets if d.name == dataset)
    return dataset


def run_dataset(plan: Any, dataset: Any, *, state_dir: str | os.PathLike[str] | None = None,
                progress: ProgressSink | None = None, concurrency: int | None = None, catalog: Any = None,
                options: EngineOptions | None = None) -> DatasetReport:
    """Copy/convert one dataset of ``plan`` (a DatasetSpec or its name). Safe to re-run at any time."""
    t0 = time.monotonic()
    ds = _resolve_dataset(plan, dataset)
    options = options or EngineOptions()
    sdir = Path(state_dir) if state_dir is not None else Path(plan.state_dir)
    sdir.mkdir(parents=True, exist_ok=True)
    workers = concurrency or getattr(getattr(plan, "settings", None), "concurrency", None) or 4
    sink: ProgressSink = progress or NullProgress()
    lock = _DatasetLock(sdir / "locks" / f"{ds.name}.lock")
    try:
        run = _Run(plan, ds, sdir, sink, workers, catalog, options)
        try:
            run.check_target()
        except BaseException:
            run.close()
            run.ledger.close()
            raise
        run_id = run.ledger.run_started(ds.name)
        retries_before = retry.STATS.snapshot()
        try:
            _execute(run)
        finally:
            run.close()
            run.report.retries = retry.merge_counts(retry.STATS.since(retries_before), run.worker_retries)
            run.report.duration = round(time.monotonic() - t0, 3)
            run.ledger.run_finished(run_id, run.report.to_dict())
            run.ledger.close()
        sink.dataset_finished(ds.name, run.report.to_dict())
        return run.report
    finally:
        lock.release()


def _list_source(run: _Run) -> list[FileInfo]:
    """Every file under the source; NotFound when the source folder does not exist."""
    missing = NotFound(f"dataset {run.ds.name}: source folder {run.src_root} does not exist "
                       f"(store {run.ds.source.store}, path {run.ds.source.path!r})", run.src_root)
    try:
        listing = [f for f in run.src.walk(run.src_root) if not f.is_dir]
    except NotFound:
        raise missing from None
    if not listing:
        # Object stores list an absent prefix as empty; a folder that exists (even empty) stats.
        try:
            run.src.stat(run.src_root)
        except NotFound:
            raise missing from None
    return listing


def _execute(run: _Run) -> None:
    name = run.ds.name
    batch = run.options.files is not None
    listing = list(run.options.files or ()) if batch else _list_source(run)
    run.recover()
    if run.kind != "copy":
        listing = [f for f in listing if not _hidden(_rel(run.src_root, f.uri))]
    else:
        listing = [f for f in listing if TMP_MARK not in f.name]
    # POSIX names that are not UTF-8 cannot be a URI, an object key or a ledger row, and the store refuses
    # some entries (symlinks, unlistable folders): each fails by name, and the run goes on with the others.
    unnamed = {safe_text(f.uri): f for f in listing if safe_text(f.uri) != f.uri or f.refused}
    listing = [f for f in listing if safe_text(f.uri) == f.uri and not f.refused]
    by_uri = {r.source_uri: r for r in run.ledger.records(name)}
    seen = {f.uri for f in listing} | set(unnamed)
    run.report.missing = [] if batch else sorted(u for u in by_uri if u not in seen)
    run.report.files_missing = len(run.report.missing)
    if run.options.sync_deletions and run.report.missing and seen:
        # An empty listing deletes nothing: an unmounted mount point (MooseFS, JuiceFS) looks like that.
        run.sync_deletions([by_uri[u] for u in run.report.missing])
    run.report.files_total = len(listing) + len(unnamed)

    todo: list[_FileWork] = []
    pending: list[FileRecord] = []  # new or changed files, recorded in one transaction
    skipped: list[str] = []
    failed: list[tuple[str, str]] = []  # (uri, error) of files that cannot be planned
    for shown, f in unnamed.items():
        pending.append(FileRecord(name, shown, f.size, f.mtime, version_key(shown, f.size, f.mtime),
                                  conversion=run.conversion))
        failed.append((shown, f"{shown}: {f.refused}" if f.refused else
                       f"{shown}: the file name is not UTF-8; rename it (e.g. convmv -f latin1 -t utf8): "
                       "object keys, URIs and the ledger need text names"))
    conv = run.conversion
    run.ledger.remember_conversion(conv, canonical_json(run.settings))
    # Rows from before fingerprints were recorded are taken to match the first settings that meet them.
    baseline = run.ledger.adopt_baseline(name, conv)
    changed_from: dict[str, int] = {}  # earlier fingerprint -> files converted with it
    old_settings: dict[str, dict[str, Any] | None] = {}
    for f in sorted(listing, key=lambda f: -f.size):  # big files first: better packing of parts
        rec = by_uri.get(f.uri)
        version = version_key(f.uri, f.size, f.mtime)
        had: str | None = None  # the settings its parts in the target were converted with, when others
        if rec is not None and rec.version == version and rec.state in DONE_STATES:
            had = rec.conversion or baseline
            if had == conv:
                run.report.files_skipped += 1
                skipped.append(f.uri)
                continue
        elif rec is not None and rec.version == version and rec.previous_uris:
            had = rec.previous_conversion or baseline  # a re-conversion a crash or failure interrupted
            had = None if had == conv else had
        if had is not None:
            run.reconvert.add(f.uri)  # same source, other settings: converted again, its parts replaced
            changed_from[had] = changed_from.get(had, 0) + 1
            if had not in old_settings:
                old_settings[had] = run.ledger.conversion_settings(had)
            run.previous_kind[f.uri] = str((old_settings[had] or {}).get("target", run.kind))
        try:
            w = run.plan_file(f, rec.previous_uris if rec is not None else [])
        except MigrateError as exc:
            pending.append(FileRecord(name, f.uri, f.size, f.mtime, version, conversion=conv))
            failed.append((f.uri, str(exc)))
            continue
        if rec is None or rec.version != version or rec.conversion != conv or f.uri in run.reconvert:
            pending.append(run._record(w))
            if rec is not None and rec.state in DONE_STATES:
                w.previous_uris = list(rec.target_uris)
        todo.append(w)
    for had, n in changed_from.items():
        why = describe_change(old_settings[had], run.settings)
        run.report.reconverted[why] = run.report.reconverted.get(why, 0) + n
    if run.reconvert and run.kind == "iceberg":
        run.check_iceberg_schema()  # an impossible schema change fails here, before anything is written
    run.ledger.upsert_pending_many(pending)
    for uri, error in failed:
        run.ledger.mark_failed(name, uri, error)
        run.report.errors.append({"uri": uri, "error": error})
    run.report.files_failed += len(failed)
    # One file_finished per file counted here: listed files (skipped, failed or processed) and
    # missing ones (in the ledger, gone from the source), so the files bar ends at its total.
    run.progress.dataset_started(name, len(listing) + len(run.report.missing), sum(w.info.size for w in todo))
    for uri in run.report.missing:
        run.progress.file_finished(name, uri, status="missing")
    for uri in skipped:
        run.progress.file_finished(name, uri, status="skipped")
    for uri, _ in failed:
        run.progress.file_finished(name, uri, status="failed")
    if todo:
        _pump(run, todo)
    if run.kind == "iceberg":
        run._commit_iceberg()


ARROW_NATIVE = frozenset({"csv", "tsv", "hive_text"})  # parsed and encoded in Arrow's C++, without the GIL


def _use_processes(run: _Run, todo: list[_FileWork]) -> bool:
    if run.kind == "copy" or run.workers < 2:
        return False
    if run.options.use_processes is not None:
        return run.options.use_processes
    fmt = run.ds.format
    if fmt is not None and str(getattr(fmt.kind, "value", fmt.kind)) in ARROW_NATIVE:
        # Threads already use every core here, and one process keeps one copy of Arrow and one
        # memory budget (a worker process costs ~100 MiB before it reads a byte).
        return False
    return sum(w.info.size for w in todo) >= run.options.process_min_bytes


def _pump(run: _Run, todo: list[_FileWork]) -> None:
    """Keep at most ``workers`` parts running (bounded memory); drain progress on the main thread.

    Up to ``workers`` more wait queued in the pool, so a worker that finishes starts its next part at
    once instead of waiting for this thread (which, busy with the ledger and contending for the GIL
    with the workers, can lag behind many small files). Queued parts hold no memory until they run.
    """
    name = run.ds.name
    from migrate import scaleout

    where = scaleout.parse(run.options.runner)
    processes = where.kind == "processes" or (where.kind == "auto" and _use_processes(run, todo))
    pq: Any
    executor: Executor
    if where.remote:  # a Dask cluster: stateless workers return outcomes; progress comes with them
        pq = queue_mod.SimpleQueue()
        executor = scaleout.executor(where)
        submit_fn: Any = run_part_in_worker
    elif processes:
        import multiprocessing  # here: a copy or threaded run does not pay for importing it
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["migrate.copy", "pyarrow", "pyarrow.parquet"])
        pq = ctx.Queue()
        executor = ProcessPoolExecutor(run.workers, mp_context=ctx, initializer=init_worker,
                                       initargs=(pq, os.getpid()))
        submit_fn = run_part_in_worker
    else:
        pq = queue_mod.SimpleQueue()
        executor = ThreadPoolExecutor(run.workers, thread_name_prefix=f"migrate-{name}")

        def submit_fn(t: PartTask) -> PartOutcome:
            return run_part(t, pq)

    queue_: deque[tuple[_FileWork, PartTask]] = deque()
    files = deque(todo)  # their parts are queued (and big files cut) as room frees up
    started: set[int] = set()
    inflight: dict[Future[PartOutcome], tuple[_FileWork, PartTask]] = {}
    # Futures report here when done: one put and one get per part, where ``wait`` on all in flight
    # would hook and unhook every future on every wake-up.
    finished: queue_mod.SimpleQueue[Future[PartOutcome]] = queue_mod.SimpleQueue()

    def drain() -> None:
        while True:
            try:
                ds, nbytes, rows = pq.get_nowait()
            except (queue_mod.Empty, EOFError, OSError):
                return
            run.progress.advance(ds, bytes_done=nbytes, rows=rows)

    def settle(fut: Future[PartOutcome]) -> None:
        """A part finished: record its outcome; the file's last part finishes the file (or redoes it)."""
        w, t = inflight.pop(fut)
        try:
            w.outcomes[t.part_index] = out = fut.result()
            run.worker_retries = retry.merge_counts(run.worker_retries, out.retries)
            if where.remote:
                run.progress.advance(name, bytes_done=out.bytes_in, rows=out.rows_in)
        except Exception as exc:
            log.debug("part failed: %s", traceback.format_exc())
            w.error = w.error or error_text(exc)
            run.worker_retries = retry.merge_counts(run.worker_retries, getattr(exc, "retries", {}))
        w.parts_left -= 1
        if w.parts_left == 0:
            redo = run.file_done(w)
            if redo is not None:
                files.appendleft(redo)  # queued (and cut) next, outside this ledger transaction

    try:
        done: list[Future[PartOutcome]] = []
        while True:
            if run.iceberg_ready():
                run.join_iceberg()  # raises the catalog's error at once: no point converting more
            while files and len(queue_) < 2 * run.workers:  # outside the ledger transaction: may read a file
                waiting = len(queue_) + max(0, len(inflight) - run.workers)  # parts no worker has taken yet
                if files[0].split_bytes and waiting >= run.workers:
                    break  # enough work waits: cut the next big file later, while these convert
                w = files.popleft()
                queue_.extend((w, t) for t in run.tasks_for(w))
            starting: list[tuple[_FileWork, PartTask]] = []
            # One ledger transaction per wake-up, for the files just finished and the files starting.
            with run.ledger.batch():
                for fut in done:
                    settle(fut)
                while queue_ and len(inflight) + len(starting) < 2 * run.workers:
                    w, t = queue_.popleft()
                    if id(w) not in started:
                        started.add(id(w))
                        run.ledger.mark_started(name, w.info.uri, w.target_uris)
                        run.progress.file_started(name, w.info.uri, w.info.size)
                    starting.append((w, t))
            for w, t in starting:  # submitted once committed: no part runs before its file is "started"
                fut = executor.submit(submit_fn, t)
                inflight[fut] = (w, t)
                fut.add_done_callback(finished.put)
            if not inflight and not files:
                break
            done = []
            with contextlib.suppress(queue_mod.Empty):
                done.append(finished.get(timeout=0.25))
                while True:
                    done.append(finished.get_nowait())
            drain()
        drain()
    finally:
        if where.remote:  # Dask's executor: wait=False cancels what is still running (after an error)
            executor.shutdown(wait=sys.exc_info()[0] is None)
        else:
            executor.shutdown(wait=True, cancel_futures=True)


# -- counting helpers (demo summary, validators) ------------------------------------------------
def parquet_file(store: Storage, uri: str) -> Any:
    import pyarrow.parquet as pq

    return pq.ParquetFile(open_seekable(store, uri))


def target_row_count(plan: Any, dataset: Any, *, state_dir: str | os.PathLike[str] | None = None,
                     catalog: Any = None) -> int:
    """Rows in the dataset's target: Parquet footers of our part files, or the Iceberg snapshot's files."""
    ds = _resolve_dataset(plan, dataset)
    if ds.target.kind == "iceberg":
        from migrate import iceberg

        cat = catalog or iceberg.catalog_for(plan, state_dir or plan.state_dir)
        table = cat.load_table(ds.target.table)
        if table.current_snapshot() is None:
            return 0
        return sum(t.file.record_count for t in table.scan().plan_files())
    uri, opts = plan.location(ds.target.store, ds.target.path or "")
    store = open_storage(uri, **opts)
    try:
        files = list(store.walk(uri))
    except NotFound:
        return 0
    parts = [f.uri for f in files if PART_RE.match(f.name)]
    if len(parts) <= 1:
        return sum(parquet_file(store, u).metadata.num_rows for u in parts)
    # One footer read per part: on an object store each is a round trip, so several at once.
    with ThreadPoolExecutor(min(16, len(parts)), thread_name_prefix="migrate-footers") as pool:
        return sum(pool.map(lambda u: parquet_file(store, u).metadata.num_rows, parts))


def source_row_count(plan: Any, dataset: Any, *, reader: str = "migrate.formats:open_batches") -> tuple[int, int]:
    """(rows in the source, how many of them the reader quarantines), over the current source files."""
    ds = _resolve_dataset(plan, dataset)
    uri, opts = plan.location(ds.source.store, ds.source.path)
    store = open_storage(uri, **opts)
    open_batches = resolve(reader)
    rows = quarantined = 0
    for f in store.walk(uri):
        rel = _rel(uri, f.uri)
        if _hidden(rel) or f.refused:
            continue
        pv = partition_values(rel, list(ds.partition_columns or []))
        from migrate.copy import _arrow_schema, _counts

        q_sink = None
        with contextlib.suppress(ImportError):
            q_sink = resolve("migrate.formats.quarantine:Quarantine")(None)
        stream = open_batches(store, f.uri, ds.format, _arrow_schema(ds.schema), quarantine=q_sink,
                              partition_values=pv)
        n = sum(b.num_rows for b in stream)
        rows_in, _, q = _counts(stream.counts, n)
        rows += rows_in
        quarantined += q
    return rows, quarantined
