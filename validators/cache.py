"""Summaries of files already validated, so a re-validation re-reads only what changed.

Kept in ``STATE_DIR/validation/cache.db`` (SQLite), one row per (dataset, side, file key): a source
file's key is its ledger version (uri + size + mtime, plus the ETag where the store lists one), a target
file's key its uri, size, mtime and ETag. ``config`` fingerprints everything else a summary depends on
(the canonical schema, tolerances, the format and the hash engine): change any and nothing is reused.
Entries not used by the last validation of a dataset are dropped, so the cache follows the dataset.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from migrate.ledger import ledger_error

from .summary import UnitSummary

_SCHEMA = """
CREATE TABLE IF NOT EXISTS summaries (
    dataset TEXT NOT NULL, side TEXT NOT NULL, key TEXT NOT NULL, config TEXT NOT NULL, summary BLOB NOT NULL,
    PRIMARY KEY (dataset, side, key)
);
"""


def config_id(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class SummaryCache:
    """Pickled ``UnitSummary`` objects by file key (the state dir is ours: the ledger lives there too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ledger_error(path, exc) from exc

    def close(self) -> None:
        self._db.close()

    def get(self, dataset: str, side: str, keys: Iterable[str], config: str) -> dict[str, UnitSummary]:
        out: dict[str, UnitSummary] = {}
        wanted = set(keys)
        rows = self._db.execute("SELECT key, config, summary FROM summaries WHERE dataset=? AND side=?",
                                (dataset, side)).fetchall()
        for key, cfg, blob in rows:
            if key in wanted and cfg == config:
                with contextlib.suppress(Exception):  # an unreadable entry is simply recomputed
                    out[key] = pickle.loads(blob)
        return out

    def replace(self, dataset: str, side: str, config: str, summaries: dict[str, UnitSummary]) -> None:
        """Keep exactly ``summaries`` for (dataset, side): what this validation used or computed."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM summaries WHERE dataset=? AND side=?", (dataset, side))
            self._db.executemany(
                "INSERT INTO summaries (dataset, side, key, config, summary) VALUES (?,?,?,?,?)",
                [(dataset, side, k, config, pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL))
                 for k, s in summaries.items() if s.error is None])
