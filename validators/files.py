"""Every source file accounted for, rclone-``check`` style, from the ledger and fresh listings.

Buckets: ``match`` (copied at its current version, its target files all there), ``missing_on_target``
(never copied, copy unfinished, its target files are gone, or converted under conversion settings the plan
no longer has: ``migrate run`` converts it again), ``changed_at_source`` (the file's size
or mtime differ from the version the ledger copied), ``missing_on_source`` (copied, since deleted at
the source), ``error`` (its last copy failed, or its path has no partition folder), and
``extra_on_target`` (target data files that no copied source file accounts for).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from migrate.ledger import DONE_STATES, FileRecord

from .sides import SourceSide, TargetSide, _norm

BUCKETS = ("match", "missing_on_target", "extra_on_target", "changed_at_source", "missing_on_source", "error")


@dataclass
class FilesResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    findings: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # source uri -> bucket
    records: dict[str, FileRecord] = field(default_factory=dict)  # source uri -> its ledger row

    @property
    def validated(self) -> list[FileRecord]:
        """Ledger rows of the source files that were judged (their pairs make the verdict's fingerprint)."""
        return [r for r in self.records.values() if r.state in DONE_STATES]


def _when(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def file_buckets(ds: Any, src: SourceSide, tgt: TargetSide, records: list[FileRecord],
                 other_settings: Mapping[str, str] | None = None) -> FilesResult:
    """``other_settings``: source uri -> fingerprint of files converted under other settings than the plan's
    (``Ledger.converted_with_other_settings``): not migrated until converted again."""
    res = FilesResult()
    other_settings = other_settings or {}
    by_uri = {r.source_uri: r for r in records}
    present = {_norm(f.uri) for f in tgt.files}
    known: set[str] = set()
    for r in records:
        if r.state in DONE_STATES:
            known.update(_norm(u) for u in r.target_uris)

    def add(bucket: str, message: str, **where: Any) -> None:
        res.counts[bucket] += 1
        if bucket != "match":
            res.findings.append({"check": "files", "kind": bucket, "dataset": ds.name, "message": message,
                                 "column": None, **where})

    listed = set()
    for sf in src.files:
        listed.add(sf.uri)
        rec = by_uri.get(sf.uri)
        where = {"partition": sf.partition, "file": sf.uri}
        if rec is not None:
            res.records[sf.uri] = rec
        if rec is None:
            bucket, msg = "missing_on_target", f"{sf.uri} was never copied (not in the ledger); run `migrate run`"
        elif rec.state == "failed":
            bucket, msg = "error", f"{sf.uri}: its last copy failed: {rec.error or 'no detail'}"
        elif rec.state not in DONE_STATES:
            bucket, msg = "missing_on_target", f"{sf.uri}: its copy did not finish (ledger state {rec.state})"
        elif rec.version != sf.version:
            bucket = "changed_at_source"
            msg = (f"{sf.uri} changed at the source since it was copied (size {rec.size} -> {sf.info.size}, "
                   f"mtime {_when(rec.mtime)} -> {_when(sf.info.mtime)}); run `migrate run` to copy it again")
        elif sf.uri in other_settings:
            bucket = "missing_on_target"
            msg = (f"{sf.uri} was converted under other conversion settings (fingerprint {other_settings[sf.uri]}) "
                   "than the plan's now (schema, format options, partitioning or target kind changed); run "
                   "`migrate run` to convert it again")
        else:
            gone = [u for u in rec.target_uris if _norm(u) not in present]
            if gone:
                bucket = "missing_on_target"
                msg = f"{sf.uri}: its target file(s) are gone: {', '.join(gone[:3])}" + (
                    f" and {len(gone) - 3} more" if len(gone) > 3 else "")
                where["target_file"] = gone[0]
            else:
                bucket, msg = "match", ""
        res.status[sf.uri] = bucket
        add(bucket, msg, **where)
    for uri, error in src.unpartitioned:
        res.status[uri] = "error"
        add("error", f"{uri}: {error}", partition=None, file=uri)
    for r in records:
        if r.source_uri not in listed and r.state in DONE_STATES and r.source_uri not in res.status:
            res.status[r.source_uri] = "missing_on_source"
            res.records[r.source_uri] = r
            add("missing_on_source", f"{r.source_uri} was copied but is no longer at the source "
                f"(its {len(r.target_uris)} target file(s) still are)", partition=None, file=r.source_uri,
                target_file=r.target_uris[0] if r.target_uris else None)
    for tf in tgt.files:
        if _norm(tf.uri) not in known:
            add("extra_on_target", f"{tf.uri} is in the target but no copied source file accounts for it",
                partition=tf.partition, file=None, target_file=tf.uri)
    return res
