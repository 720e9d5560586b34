"""The ledger: one row per (dataset, source file) saying how far its copy got.

SQLite in ``state_dir`` with WAL, so a ``kill -9`` at any moment leaves the last committed row
intact and readers never block the writer. States, in order:

- ``pending``   seen at the source, nothing written yet
- ``started``   a worker is writing its target file(s); whatever it left may be overwritten
- ``written``   target files complete but not yet registered (Iceberg: waiting for the table commit)
- ``committed`` visible in the target (Parquet files published / Iceberg snapshot committed)
- ``verified``  checked after commit (by the validators)
- ``failed``    the last attempt raised; ``error`` says why; the next run retries it

``version`` names the content version (hash of uri + size + mtime); target names derive from it, so
redoing a file overwrites its previous attempt instead of duplicating it.

``conversion`` is the fingerprint of the dataset's conversion settings the file was (or is being)
converted with (``migrate.layout.conversion_key``); their JSON is kept in ``conversions`` so a change can
be described. Rows from ledgers older than this column have it NULL ("unknown settings"): they are taken
to match the settings of the first run that finds them (``adopt_baseline`` records that fingerprint per
dataset), so upgrading does not re-convert a whole estate; a plan edited before the upgrade is not detected.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.errors import LedgerError

STATES = ("pending", "started", "written", "committed", "verified", "failed")
DONE_STATES = ("committed", "verified")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    dataset          TEXT NOT NULL,
    source_uri       TEXT NOT NULL,
    size             INTEGER NOT NULL,
    mtime            REAL NOT NULL,
    source_checksum  TEXT,
    version          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending','started','written','committed','verified','failed')),
    target_uris      TEXT NOT NULL DEFAULT '[]',
    previous_uris    TEXT NOT NULL DEFAULT '[]',
    target_checksums TEXT NOT NULL DEFAULT '[]',
    rows_in          INTEGER NOT NULL DEFAULT 0,
    rows_written     INTEGER NOT NULL DEFAULT 0,
    rows_quarantined INTEGER NOT NULL DEFAULT 0,
    bytes_out        INTEGER NOT NULL DEFAULT 0,
    attempt          INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    updated_at       REAL NOT NULL,
    PRIMARY KEY (dataset, source_uri)
);
CREATE INDEX IF NOT EXISTS files_state ON files (dataset, state);
CREATE TABLE IF NOT EXISTS conversions (
    fingerprint TEXT PRIMARY KEY,
    settings    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversion_baselines (
    dataset     TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset    TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at   REAL,
    report     TEXT
);
"""


@dataclass
class FileRecord:
    dataset: str
    source_uri: str
    size: int
    mtime: float
    version: str
    state: str = "pending"
    source_checksum: str | None = None
    target_uris: list[str] = field(default_factory=list)
    previous_uris: list[str] = field(default_factory=list)  # a replaced version's files, until the new one commits
    target_checksums: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    bytes_out: int = 0
    attempt: int = 0
    error: str | None = None
    updated_at: float = 0.0
    conversion: str | None = None  # conversion settings fingerprint (None: before fingerprints were recorded)
    previous_conversion: str | None = None  # the settings ``previous_uris`` were converted with

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES

    @property
    def copy_key(self) -> str:
        """What this row's target data is a copy of: the source version, plus the settings it was converted
        with when recorded (validation verdicts name these, so a re-conversion makes them stale)."""
        return self.version if self.conversion is None else f"{self.version}/{self.conversion}"


def _row_to_record(row: sqlite3.Row) -> FileRecord:
    d = dict(row)
    d["target_uris"] = json.loads(d["target_uris"])
    d["target_checksums"] = json.loads(d["target_checksums"])
    d["previous_uris"] = json.loads(d["previous_uris"])
    return FileRecord(**d)


def ledger_error(path: Path, exc: sqlite3.Error) -> LedgerError:
    """``exc`` from SQLite as a LedgerError naming the ledger file and what to do about it."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        advice = "another process holds it for too long; retry when it has finished"
    elif isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
        advice = "make its folder writable or point settings.state_dir elsewhere"
    else:
        advice = ("restore it from a backup, or move it away to start afresh (every source file is then "
                  "checked again, and files already in the target are rewritten to the same names)")
    return LedgerError(f"{path}: the run ledger cannot be used ({text}); {advice}", path=str(path))


@contextmanager
def _guard(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.DatabaseError as exc:  # a damaged or foreign file ("file is not a database"), I/O
        raise ledger_error(path, exc) from exc


class Ledger:
    """Thread-safe (one connection guarded by a lock: writes are tiny and rare next to the data I/O).

    SQLite's DatabaseError (a damaged file, a file that is not a ledger) is raised as LedgerError.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._in_batch = False  # set while the thread holding the lock runs a ``batch``
        with _guard(self.path):
            self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False,
                                       isolation_level=None)
            try:
                self._db.row_factory = sqlite3.Row
                self._db.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a power cut may lose the last transactions but never corrupts;
                # after a lost "committed" the file is simply redone into the same deterministic name.
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
                self._migrate()
            except BaseException:
                self._db.close()
                raise

    def _migrate(self) -> None:
        """Bring a ledger made by an older version up to date (idempotent; concurrent openers race safely)."""
        cols = {r[1] for r in self._db.execute("PRAGMA table_info(files)")}
        for col in ("conversion", "previous_conversion"):
            if col in cols:
                continue
            try:
                self._db.execute(f"ALTER TABLE files ADD COLUMN {col} TEXT")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise

    @classmethod
    def in_state_dir(cls, state_dir: str | Path) -> Ledger:
        return cls(Path(state_dir) / "ledger.db")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The writes made inside (by this thread) as one transaction: one commit instead of one each.

        The engine records a wake-up's finished files and its next started ones together. An error
        inside rolls them all back; a crash before the end loses them all (those files are then
        redone, into the same names).
        """
        with self._lock, _guard(self.path):
            if self._in_batch:  # nested: the outer batch commits
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._in_batch = True
            try:
                yield
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # keep the first error
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._in_batch = False
            self._db.execute("COMMIT")

    def make_durable(self) -> None:
        """Commit what this thread's open batch holds so far (and go on in a new transaction).

        Write-ahead for commits outside the ledger: the engine calls it before an Iceberg commit, so the
        files a snapshot registers are ``written`` in the ledger, with their row and quarantine counts,
        before the snapshot exists. A crash between the two then loses nothing that recovery needs.
        """
        with self._lock:
            if self._in_batch:
                self._db.execute("COMMIT")
                self._db.execute("BEGIN IMMEDIATE")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.batch():  # its own transaction, or part of the batch this thread has open
            yield self._db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _guard(self.path):
            yield self._db

    # -- reads -------------------------------------------------------------------------------
    def get(self, dataset: str, source_uri: str) -> FileRecord | None:
        with self._read():
            row = self._db.execute(
                "SELECT * FROM files WHERE dataset=? AND source_uri=?", (dataset, source_uri)
            ).fetchone()
        return _row_to_record(row) if row else None

    def records(self, dataset: str, states: Iterable[str] | None = None) -> list[FileRecord]:
        with self._read():
            if states is None:
                rows = self._db.execute(
                    "SELECT * FROM files WHERE dataset=? ORDER BY source_uri", (dataset,)
                ).fetchall()
            else:
                st = list(states)
                rows = self._db.execute(
                    f"SELECT * FROM files WHERE dataset=? AND state IN ({','.join('?' * len(st))}) "
                    "ORDER BY source_uri", (dataset, *st),
                ).fetchall()
        return [_row_to_record(r) for r in rows]

    def counts(self, dataset: str) -> dict[str, int]:
        with self._read():
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM files WHERE dataset=? GROUP BY state", (dataset,)
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def row_totals(self, dataset: str) -> tuple[int, int, int]:
        """(rows read, rows quarantined, files) over the dataset's files in the target (committed or
        verified): what the engine counted while it converted them."""
        with self._read():
            row = self._db.execute(
                "SELECT COALESCE(SUM(rows_in), 0), COALESCE(SUM(rows_quarantined), 0), COUNT(*) FROM files "
                f"WHERE dataset=? AND state IN ({','.join('?' * len(DONE_STATES))})", (dataset, *DONE_STATES),
            ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    # -- writes ------------------------------------------------------------------------------
    def upsert_pending(self, rec: FileRecord) -> None:
        """Record a new or changed source file; any previous state of that uri is reset."""
        self.upsert_pending_many([rec])

    def upsert_pending_many(self, recs: Iterable[FileRecord]) -> None:
        """``upsert_pending`` for many files in one transaction (a listing of a million files)."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO files (dataset, source_uri, size, mtime, source_checksum, version, state,"
                " target_uris, target_checksums, attempt, updated_at, conversion)"
                " VALUES (?,?,?,?,?,?,'pending','[]','[]',0,?,?)"
                " ON CONFLICT(dataset, source_uri) DO UPDATE SET size=excluded.size, mtime=excluded.mtime,"
                " source_checksum=excluded.source_checksum, version=excluded.version, state='pending',"
                " conversion=excluded.conversion, previous_conversion=CASE WHEN files.state IN"
                " ('committed','verified') THEN files.conversion ELSE files.previous_conversion END,"
                " previous_uris=CASE WHEN files.state IN ('committed','verified') THEN files.target_uris"
                " ELSE files.previous_uris END, target_uris='[]', target_checksums='[]',"
                " error=NULL, updated_at=excluded.updated_at",
                [(rec.dataset, rec.source_uri, rec.size, rec.mtime, rec.source_checksum, rec.version, now,
                  rec.conversion) for rec in recs],
            )

    def mark_started(self, dataset: str, source_uri: str, target_uris: list[str]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE files SET state='started', attempt=attempt+1, target_uris=?, error=NULL,"
                " updated_at=? WHERE dataset=? AND source_uri=?",
                (json.dumps(target_uris), time.time(), dataset, source_uri),
            )

    def mark_result(self, dataset: str, source_uri: str, state: str, *, size: int, mtime: float,
                    version: str, source_checksum: str | None, target_uris: list[str],
                    target_checksums: list[str], rows_in: int, rows_written: int, rows_quarantined: int,
                    bytes_out: int) -> None:
        """``written`` or ``committed`` with what was measured (the size/mtime seen after reading)."""
        assert state in ("written", "committed")
        with self._tx() as db:
            db.execute(
                "UPDATE files SET state=?, size=?, mtime=?, version=?, source_checksum=?, target_uris=?,"
                " target_checksums=?, rows_in=?, rows_written=?, rows_quarantined=?, bytes_out=?,"
                " previous_uris=CASE WHEN ?='committed' THEN '[]' ELSE previous_uris END,"
                " error=NULL, updated_at=? WHERE dataset=? AND source_uri=?",
                (state, size, mtime, version, source_checksum, json.dumps(target_uris),
                 json.dumps(target_checksums), rows_in, rows_written, rows_quarantined, bytes_out,
                 state, time.time(), dataset, source_uri),
            )

    def mark_committed(self, dataset: str, source_uris: Iterable[str]) -> None:
        """Promote ``written`` rows after the table commit that made them visible."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "UPDATE files SET state='committed', previous_uris='[]', updated_at=? WHERE dataset=?"
                " AND source_uri=? AND state IN ('started','written')", [(now, dataset, u) for u in source_uris],
            )

    def mark_failed(self, dataset: str, source_uri: str, error: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE files SET state='failed', error=?, updated_at=? WHERE dataset=? AND source_uri=?",
                (error[:4000], time.time(), dataset, source_uri),
            )

    def mark_verified(self, dataset: str, source_uris: Iterable[str]) -> None:
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "UPDATE files SET state='verified', updated_at=? WHERE dataset=? AND source_uri=?"
                " AND state='committed'", [(now, dataset, u) for u in source_uris],
            )

    def forget(self, dataset: str, source_uris: Iterable[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM files WHERE dataset=? AND source_uri=?",
                           [(dataset, u) for u in source_uris])

    # -- conversion settings -----------------------------------------------------------------
    def remember_conversion(self, fingerprint: str, settings_json: str) -> None:
        """Keep the settings behind ``fingerprint`` (to describe a later change)."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO conversions (fingerprint, settings) VALUES (?, ?)",
                       (fingerprint, settings_json))

    def conversion_settings(self, fingerprint: str) -> dict[str, Any] | None:
        with self._read():
            row = self._db.execute("SELECT settings FROM conversions WHERE fingerprint=?", (fingerprint,)).fetchone()
        return json.loads(row[0]) if row else None

    def baseline(self, dataset: str) -> str | None:
        """The fingerprint rows without one (older ledgers) are taken to have (None: not recorded yet)."""
        with self._read():
            row = self._db.execute("SELECT fingerprint FROM conversion_baselines WHERE dataset=?",
                                   (dataset,)).fetchone()
        return str(row[0]) if row else None

    def adopt_baseline(self, dataset: str, fingerprint: str) -> str:
        """Record ``fingerprint`` as the baseline of ``dataset`` unless one is; returns the baseline."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO conversion_baselines (dataset, fingerprint, recorded_at)"
                       " VALUES (?, ?, ?)", (dataset, fingerprint, time.time()))
            row = db.execute("SELECT fingerprint FROM conversion_baselines WHERE dataset=?", (dataset,)).fetchone()
        return str(row[0])

    def converted_with_other_settings(self, dataset: str, fingerprint: str) -> dict[str, str]:
        """Source uri -> the fingerprint of files in the target (committed/verified) converted with settings other
        than ``fingerprint``. Rows without one count as the dataset's baseline, or as matching before any."""
        base = self.baseline(dataset)
        with self._read():
            rows = self._db.execute(
                "SELECT source_uri, COALESCE(conversion, ?) AS had FROM files WHERE dataset=? AND state IN"
                f" ({','.join('?' * len(DONE_STATES))}) AND had IS NOT NULL AND had != ?",
                (base, dataset, *DONE_STATES, fingerprint),
            ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def settings_changes(self, dataset: str, settings: dict[str, Any]) -> dict[str, int]:
        """What ``migrate run`` would re-convert with ``settings`` (``layout.conversion_settings``): files in
        the target by what changed (``layout.describe_change``). Reads the ledger only, lists nothing."""
        from migrate.layout import conversion_key, describe_change

        by_fp: dict[str, int] = {}
        for fp in self.converted_with_other_settings(dataset, conversion_key(settings)).values():
            by_fp[fp] = by_fp.get(fp, 0) + 1
        out: dict[str, int] = {}
        for fp, n in by_fp.items():
            why = describe_change(self.conversion_settings(fp), settings)
            out[why] = out.get(why, 0) + n
        return out

    # -- runs --------------------------------------------------------------------------------
    def run_started(self, dataset: str) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO runs (dataset, started_at) VALUES (?, ?)", (dataset, time.time()))
            return int(cur.lastrowid or 0)

    def run_finished(self, run_id: int, report: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET ended_at=?, report=? WHERE run_id=?",
                       (time.time(), json.dumps(report, default=str), run_id))
