"""Targets of kind ``copy`` (bytes as-is): every source file against its copy, by size and content checksum.

The buckets are the same as for converted targets (``files.py``); a matching file is then read on both
sides and hashed with the plan's checksum algorithm (rclone ``check --download`` style: the stores'
native checksums are not comparable across stores).
"""

from __future__ import annotations

from typing import Any

from migrate import checksums
from migrate.ledger import FileRecord
from migrate.storage import open_storage

from .files import file_buckets
from .sides import SourceSide, TargetFile, TargetSide


def validate_copy(plan: Any, ds: Any, src: SourceSide, records: list[FileRecord], res: Any,
                  verdict: dict[str, Any], other_settings: dict[str, str] | None = None) -> None:
    root, opts = plan.location(ds.target.store, ds.target.path or "")
    store = open_storage(root, **opts)
    listing = {f.uri: f for f in store.walk(root) if not f.is_dir} if _exists(store, root) else {}
    tgt = TargetSide("copy", root, root, [TargetFile(u, f.size, f.mtime, None, None) for u, f in listing.items()],
                     None, _options=opts)
    verdict["target"] = root
    files = file_buckets(ds, src, tgt, records, other_settings)
    verdict["files"] = files.counts
    verdict["files_validated"] = len(src.files)
    from . import verdicts

    verdict["ledger_fingerprint"] = verdicts.ledger_fingerprint((r.source_uri, r.copy_key) for r in files.validated)
    for f in files.findings:
        res.add(f)
    algo = getattr(plan.settings, "checksum", checksums.DEFAULT)
    differ = 0
    for sf in src.files:
        if files.status.get(sf.uri) != "match":
            continue
        rec = files.records[sf.uri]
        for uri in rec.target_uris:
            info = listing.get(uri)
            if info is not None and info.size != sf.info.size:
                differ += 1
                res.add({"check": "content", "kind": "size", "dataset": ds.name, "partition": sf.partition,
                         "column": None, "file": sf.uri, "target_file": uri,
                         "message": f"{uri} has {info.size:,} bytes, its source {sf.uri} {sf.info.size:,}"})
                continue
            a, b = src.store.checksum(sf.uri, algo), store.checksum(uri, algo)
            if a != b:
                differ += 1
                res.add({"check": "content", "kind": "checksum", "dataset": ds.name, "partition": sf.partition,
                         "column": None, "file": sf.uri, "target_file": uri,
                         "message": f"{uri} differs from its source {sf.uri} ({algo}: {b} vs {a})"})
    n_bad = sum(v for k, v in files.counts.items() if k != "match")
    res.check("files", "fail" if n_bad else "pass", f"{files.counts['match']} of {len(src.files)} source files match")
    res.check("content", "fail" if differ else "pass",
              f"{differ} file(s) differ" if differ else f"{files.counts['match']} file(s): same size and {algo}")
    verdict["rows"] = {}


def _exists(store: Any, root: str) -> bool:
    from migrate.errors import NotFound

    try:
        next(iter(store.walk(root)), None)
        return True
    except NotFound:
        return False
