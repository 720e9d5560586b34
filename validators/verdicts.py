"""Validation verdicts: where the latest one of a dataset lives, its JSON Schema, reading and writing it.

The verdict of the last ``migrate validate`` of dataset ``D`` is ``STATE_DIR/validation/D.json``
(``verdict_path``); the cutover gates read it with ``load_verdict``. Its shape is ``VERDICT_SCHEMA``
(docs/validation.md explains every field; docs/validation.schema.json is the same schema as a file).

A verdict says which copy it judged: ``ledger_fingerprint`` hashes the (source uri, version[/settings]) pairs of
the ledger's committed files that were validated. ``current_fingerprint`` computes it from the ledger
now, so a copy made after the validation (a re-sync, a changed file) makes the verdict stale
(``is_stale``). This module imports only the standard library and the ledger: gates stay cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from migrate.errors import TerminalError

SCHEMA_VERSION = 1
VERDICTS = ("pass", "fail", "error")
CHECK_STATUSES = ("pass", "fail", "error", "skipped")

__all__ = [
    "SCHEMA_VERSION",
    "VERDICT_SCHEMA",
    "current_fingerprint",
    "is_stale",
    "ledger_fingerprint",
    "load_verdict",
    "validation_dir",
    "verdict_json_schema",
    "verdict_path",
    "write_verdict",
]


def validation_dir(plan: Any) -> Path:
    """``STATE_DIR/validation``: the latest verdict of every dataset (reports go below it by default)."""
    return Path(plan.state_dir) / "validation"


def verdict_path(plan: Any, dataset: str) -> Path:
    """Where the latest verdict of ``dataset`` is kept: ``STATE_DIR/validation/<dataset>.json``."""
    return validation_dir(plan) / f"{dataset}.json"


def load_verdict(plan: Any, dataset: str) -> dict[str, Any] | None:
    """The latest verdict of ``dataset`` (a dict shaped as ``VERDICT_SCHEMA``), None if never validated.

    Raises TerminalError naming the file when it exists but is not a verdict (damaged, hand-edited,
    another schema version): a gate must not read "not validated" into a file it cannot read.
    """
    path = verdict_path(plan, dataset)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TerminalError(f"{path}: cannot read the validation verdict: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TerminalError(f"{path}: not a validation verdict (invalid JSON: {exc}); run `migrate validate` "
                            "again") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION or data.get("dataset") != dataset:
        raise TerminalError(f"{path}: not a validation verdict of dataset {dataset!r} with schema_version "
                            f"{SCHEMA_VERSION}; run `migrate validate` again")
    return data


def write_text_atomic(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temp file and a rename: never half-written under the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_verdict(plan: Any, verdict: dict[str, Any]) -> Path:
    """Write ``verdict`` atomically as the latest of its dataset (temp file + rename); returns the path."""
    path = verdict_path(plan, verdict["dataset"])
    write_text_atomic(path, json.dumps(verdict, indent=2, default=str, ensure_ascii=False) + "\n")
    return path


def ledger_fingerprint(pairs: Iterable[tuple[str, str]]) -> str:
    """``sha256:<hex>`` of (source uri, ``FileRecord.copy_key``) pairs, order-independent."""
    h = hashlib.sha256()
    for uri, version in sorted(set(pairs)):
        h.update(f"{uri}\0{version}\n".encode())
    return f"sha256:{h.hexdigest()}"


def current_fingerprint(plan: Any, dataset: str) -> str:
    """The fingerprint of ``dataset``'s committed (or verified) files in the ledger now."""
    from migrate.ledger import DONE_STATES, Ledger

    with Ledger.in_state_dir(plan.state_dir) as ledger:
        records = ledger.records(dataset, DONE_STATES)
    return ledger_fingerprint((r.source_uri, r.copy_key) for r in records)


def is_stale(plan: Any, verdict: dict[str, Any]) -> bool:
    """True when the ledger changed since ``verdict`` was made (files copied again, added or dropped)."""
    return bool(verdict.get("ledger_fingerprint") != current_fingerprint(plan, verdict["dataset"]))


# ---------------------------------------------------------------------------------------------- schema
_LOCATION = {
    "dataset": {"type": "string"},
    "partition": {"type": ["string", "null"], "description": "k=v/k2=v2 of a partitioned dataset"},
    "column": {"type": ["string", "null"]},
    "file": {"type": ["string", "null"], "description": "source file URI"},
    "line": {"type": ["integer", "null"], "description": "1-based physical line of a text source file"},
    "record": {"type": ["integer", "null"], "description": "1-based record number of a binary source file"},
    "target_file": {"type": ["string", "null"], "description": "target data file URI"},
    "target_row": {"type": ["integer", "null"], "description": "0-based row in target_file"},
}

VERDICT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://migrate.invalid/schemas/validation-verdict.json",
    "title": "migrate validation verdict",
    "description": "The result of `migrate validate` for one dataset (docs/validation.md).",
    "type": "object",
    "required": ["schema_version", "dataset", "verdict", "reasons", "checked_at", "ledger_fingerprint", "checks",
                 "expectations", "findings", "reports", "quarantine"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "plan": {"type": "string"},
        "dataset": {"type": "string"},
        "verdict": {"enum": list(VERDICTS)},
        "reasons": {"type": "array", "items": {"type": "string"},
                    "description": "why the verdict is what it is, most important first"},
        "error": {"type": ["string", "null"], "description": "verdict error: what stopped the validation"},
        "checked_at": {"type": "string", "format": "date-time", "pattern": r"Z$",
                       "description": "ISO 8601, UTC"},
        "duration_seconds": {"type": "number", "minimum": 0},
        "source": {"type": "string"},
        "target": {"type": "string"},
        "target_kind": {"enum": ["parquet", "iceberg", "copy"]},
        "ledger_fingerprint": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        "files_validated": {"type": "integer", "minimum": 0},
        "incremental": {
            "type": "object",
            "properties": {k: {"type": "integer", "minimum": 0} for k in (
                "source_files_read", "source_files_cached", "target_files_read", "target_files_cached")},
        },
        "rows": {
            "type": "object",
            "properties": {k: {"type": "integer", "minimum": 0} for k in (
                "source", "quarantined", "target", "expected_target")},
        },
        "files": {
            "type": "object", "description": "rclone-check style buckets of source files (and extra target files)",
            "properties": {k: {"type": "integer", "minimum": 0} for k in (
                "match", "missing_on_target", "extra_on_target", "changed_at_source", "missing_on_source",
                "error")},
        },
        "checks": {
            "type": "array",
            "items": {
                "type": "object", "required": ["check", "status"],
                "properties": {
                    "check": {"type": "string"},
                    "status": {"enum": list(CHECK_STATUSES)},
                    "summary": {"type": "string"},
                    "findings": {"type": "integer", "minimum": 0},
                },
            },
        },
        "expectations": {
            "type": "object", "required": ["status"],
            "properties": {
                "status": {"enum": ["pass", "fail", "none", "error"]},
                "engine": {"type": "string"},
                "suites": {"type": "array", "items": {"type": "string"}},
                "evaluated": {"type": "integer", "minimum": 0},
                "failed": {"type": "integer", "minimum": 0},
                "results": {"type": "array", "items": {"type": "object", "required": ["expectation", "success"]}},
            },
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object", "required": ["check", "message", "dataset"],
                "properties": {"check": {"type": "string"}, "message": {"type": "string"},
                               "kind": {"type": "string"}, **_LOCATION},
            },
        },
        "findings_omitted": {"type": "integer", "minimum": 0,
                             "description": "findings beyond the plan's limit, counted but not listed"},
        "partitions": {
            "type": "array",
            "items": {
                "type": "object", "required": ["partition", "source_rows", "quarantined", "target_rows"],
                "properties": {"partition": {"type": ["string", "null"]},
                               "source_rows": {"type": "integer"}, "quarantined": {"type": "integer"},
                               "target_rows": {"type": "integer"}, "status": {"enum": ["pass", "fail"]},
                               "source_profile": {
                                   "enum": ["measured", "from_target"],
                                   "description": "from_target: the row checksums are equal (same rows), so the "
                                                  "source's min, max, sum and distinct count are the target's"}},
            },
        },
        "reports": {
            "type": "object", "required": ["html", "json", "md"],
            "properties": {k: {"type": ["string", "null"]} for k in ("html", "json", "md")},
        },
        "quarantine": {
            "type": "object", "required": ["rows", "files", "folder"],
            "properties": {
                "rows": {"type": "integer", "minimum": 0, "description": "rows the source quarantines now"},
                "files": {"type": "integer", "minimum": 0, "description": "source files with quarantined rows"},
                "folder": {"type": "string", "description": "STATE_DIR/quarantine/<dataset>: the copy's records"},
                "recorded_rows": {"type": "integer", "minimum": 0,
                                  "description": "rows the copy recorded in the quarantine folder"},
                "examples": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
}


def verdict_json_schema() -> dict[str, Any]:
    """The JSON Schema of a verdict (what docs/validation.schema.json holds)."""
    return json.loads(json.dumps(VERDICT_SCHEMA))


if __name__ == "__main__":  # python -m migrate.validators.verdicts > docs/validation.schema.json
    print(json.dumps(verdict_json_schema(), indent=2))
