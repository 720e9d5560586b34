"""Kill points of the crash trials, installed in every process of a trial's run.

``CRASH_AT=point:n:marker`` (environment): the n-th time this process reaches ``point`` it creates
``marker`` and waits there; the harness, seeing the marker, SIGKILLs the run's whole process group, so
the kill lands exactly at that point. The run's own process calls ``install()``; pool workers import
this module through the run's reader option (``open_batches`` below), which installs it there too.

Points:
- ``read``: a chunk of a source file was just read (copy and convert);
- ``write``: a chunk is being written to a target file (temp file, S3 buffer);
- ``upload``: an S3 PUT or part upload is about to be sent;
- ``commit_before_ledger``: a target file (or an Iceberg snapshot) is committed, its ledger row not yet;
- ``iceberg_commit``: inside the catalog's commit (manifests written, table metadata not yet swapped);
- ``recovery``: crash recovery deletes or aborts something (or, if it has nothing to do, has just ended).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

POINTS = ("read", "write", "upload", "commit_before_ledger", "iceberg_commit", "recovery")
_state: dict[str, Any] = {"installed": False, "count": 0, "in_recovery": False}


def _reached(point: str) -> None:
    spec = _state.get("spec")
    if spec is None or spec[0] != point:
        return
    _state["count"] += 1
    if _state["count"] != spec[1]:
        return
    try:
        fd = os.open(spec[2], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(fd, f"{point} {spec[1]} pid {os.getpid()}".encode())
        os.close(fd)
    except FileExistsError:
        pass  # another process of the run got there first: the kill is coming anyway
    time.sleep(600)  # the harness kills the whole group now


def _wrap(owner: Any, name: str, point: str, when: Any = None) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def hooked(*args: Any, **kwargs: Any) -> Any:
        if when is None or when(*args, **kwargs):
            _reached(point)
        return original(*args, **kwargs)

    setattr(owner, name, hooked)


def install(spec_text: str | None = None) -> None:
    """Install the hooks for ``spec_text`` (default: ``$CRASH_AT``); nothing when it is unset."""
    text = spec_text if spec_text is not None else os.environ.get("CRASH_AT", "")
    if _state["installed"] or not text:
        return
    point, n, marker = text.split(":", 2)
    if point not in POINTS:
        raise ValueError(f"unknown kill point {point!r}")
    _state.update(installed=True, spec=(point, int(n), marker))

    import migrate.copy
    import migrate.engine
    import migrate.ledger
    import migrate.storage.base
    import migrate.storage.s3

    _wrap(migrate.copy._Reporter, "add", "read", lambda self, nbytes=0, rows=0, force=False: nbytes > 0)
    _wrap(migrate.storage.base.AtomicWriter, "write", "write")
    _wrap(migrate.storage.s3.S3Storage, "_send_part", "upload")
    _wrap(migrate.storage.s3._LeanClient, "put", "upload")
    _wrap(migrate.ledger.Ledger, "mark_result", "commit_before_ledger",
          lambda self, dataset, uri, state, **kw: state == "committed")
    _wrap(migrate.ledger.Ledger, "mark_committed", "commit_before_ledger",
          lambda self, dataset, uris: bool(list(uris)))
    if point == "iceberg_commit":
        from pyiceberg.catalog.sql import SqlCatalog

        _wrap(SqlCatalog, "commit_table", "iceberg_commit")
    if point == "recovery":
        original = migrate.engine._Run.recover

        def recover(self: Any) -> None:
            _state["in_recovery"] = True
            try:
                original(self)
            finally:
                _state["in_recovery"] = False
            _reached("recovery")  # had nothing to delete: end of recovery

        migrate.engine._Run.recover = recover  # type: ignore[method-assign]
        in_recovery = lambda *a, **k: _state["in_recovery"]  # noqa: E731
        import migrate.storage.local

        _wrap(migrate.storage.s3.S3Storage, "delete", "recovery", in_recovery)

        _wrap(migrate.storage.local.LocalStorage, "delete", "recovery", in_recovery)
        _wrap(migrate.storage.s3.S3Storage, "abort_orphaned_uploads", "recovery", in_recovery)


def open_batches(*args: Any, **kwargs: Any) -> Any:
    """The engine's reader, after installing the hooks in this (worker) process."""
    install()
    from migrate.formats import open_batches as real

    return real(*args, **kwargs)

