"""A dataset's pending files in batches, for runners that show and retry work at a finer grain than a
dataset: the Prefect run flow makes one task per batch (wave -> dataset -> batches of files).

Batches are a view of the work, not its authority: each runs the engine on its files only
(``EngineOptions.files``), and the dataset's full run afterwards lists the source again, picks up whatever
the batches left (a file that appeared meanwhile, a batch that failed), syncs deletions and counts. A
dataset with fewer pending files than one batch gets no batches at all: its full run does the work.
"""

from __future__ import annotations

from typing import Any

from migrate.layout import conversion_key, version_key
from migrate.ledger import DONE_STATES, Ledger
from migrate.storage import open_storage
from migrate.storage.base import FileInfo

BATCH_FILES = 1000  # pending source files per batch ...
BATCH_BYTES = 16 << 30  # ... and source bytes per batch, whichever comes first


def pending_batches(plan: Any, ds: Any, *, max_files: int | None = None,
                    max_bytes: int | None = None) -> list[list[FileInfo]]:
    """The files of ``ds`` not yet migrated at their current version, in listing order, cut into batches;
    ``[]`` when they fit in one (or the source cannot be listed: the full run reports why)."""
    from migrate.errors import MigrateError

    max_files, max_bytes = max_files or BATCH_FILES, max_bytes or BATCH_BYTES
    root, options = plan.location(ds.source.store, ds.source.path)
    try:
        listing = [f for f in open_storage(root, **options).walk(root) if not f.is_dir and not f.refused]
    except MigrateError:
        return []
    with Ledger.in_state_dir(plan.state_dir) as ledger:
        done = {r.source_uri: r.version for r in ledger.records(ds.name, DONE_STATES)}
        # migrated under conversion settings the plan no longer has: converted again (docs/plan.md)
        other = ledger.converted_with_other_settings(ds.name, conversion_key(ds))
    pending = [f for f in listing if done.get(f.uri) != version_key(f.uri, f.size, f.mtime) or f.uri in other]
    batches: list[list[FileInfo]] = [[]]
    size = 0
    for f in pending:
        if batches[-1] and (len(batches[-1]) >= max_files or size + f.size > max_bytes):
            batches.append([])
            size = 0
        batches[-1].append(f)
        size += f.size
    return batches if len(batches) > 1 else []
