"""The verdict contract the cutover gates read: path, loading, staleness and the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from migrate.validators import verdicts

from migrate.errors import TerminalError
from migrate.ledger import FileRecord, Ledger
from migrate.plan import load_plan_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "validation.schema.json"


def _plan(base: Path) -> Any:
    return load_plan_text("""
version: 1
name: verdicts
settings: {state_dir: state}
sources: {src: {kind: local, path: src}}
targets: {out: {kind: local, path: out}}
datasets:
  - name: events
    source: {store: src}
    format: {kind: csv}
    target: {kind: parquet, store: out, path: events}
""", base_dir=base)


def sample_verdict(dataset: str = "events", fingerprint: str | None = None) -> dict[str, Any]:
    return {
        "schema_version": verdicts.SCHEMA_VERSION, "plan": "verdicts", "dataset": dataset, "verdict": "fail",
        "reasons": ["1 row differs"], "error": None, "checked_at": "2026-12-01T10:00:00Z",
        "duration_seconds": 0.5, "source": "file:///src", "target": "file:///out/events", "target_kind": "parquet",
        "ledger_fingerprint": fingerprint or verdicts.ledger_fingerprint([]), "files_validated": 1,
        "incremental": {"source_files_read": 1, "source_files_cached": 0, "target_files_read": 1,
                        "target_files_cached": 0},
        "rows": {"source": 3, "quarantined": 0, "target": 3, "expected_target": 3},
        "files": {"match": 1, "missing_on_target": 0, "extra_on_target": 0, "changed_at_source": 0,
                  "missing_on_source": 0, "error": 0},
        "checks": [{"check": "row_checksums", "status": "fail", "summary": "1 row differs", "findings": 1}],
        "expectations": {"status": "none"},
        "findings": [{"check": "row_checksums", "kind": "changed_row", "message": "row differs",
                      "dataset": dataset, "partition": None, "column": "amount", "file": "file:///src/a.csv",
                      "line": 2, "target_file": "file:///out/events/part-0123456789abcdef.parquet",
                      "target_row": 0}],
        "findings_omitted": 0,
        "partitions": [{"partition": None, "source_rows": 3, "quarantined": 0, "target_rows": 3, "status": "pass"}],
        "reports": {"html": "r/validation.html", "json": "r/validation.json", "md": "r/validation.md"},
        "quarantine": {"rows": 0, "files": 0, "folder": "state/quarantine/events"},
    }


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.exists(), "run: python -m migrate.validators.verdicts > docs/validation.schema.json"
    assert json.loads(SCHEMA_FILE.read_text()) == verdicts.verdict_json_schema(), (
        "docs/validation.schema.json is stale; run: "
        "python -m migrate.validators.verdicts > docs/validation.schema.json")


def test_sample_validates_and_a_broken_one_does_not() -> None:
    schema = verdicts.verdict_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(sample_verdict(), schema)
    bad = sample_verdict()
    bad["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_path_write_load(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert verdicts.verdict_path(plan, "events") == tmp_path / "state" / "validation" / "events.json"
    assert verdicts.load_verdict(plan, "events") is None
    verdicts.write_verdict(plan, sample_verdict())
    assert verdicts.load_verdict(plan, "events") == sample_verdict()
    assert [p.name for p in (tmp_path / "state" / "validation").iterdir()] == ["events.json"]  # no temp left


def test_damaged_verdict_is_an_error_not_a_missing_one(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    path = verdicts.verdict_path(plan, "events")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(TerminalError, match=r"events\.json"):
        verdicts.load_verdict(plan, "events")
    path.write_text(json.dumps(sample_verdict(dataset="other")))
    with pytest.raises(TerminalError, match="not a validation verdict of dataset 'events'"):
        verdicts.load_verdict(plan, "events")


def test_fingerprint_follows_the_ledger(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    empty = verdicts.current_fingerprint(plan, "events")
    with Ledger.in_state_dir(plan.state_dir) as ledger:
        ledger.upsert_pending(FileRecord("events", "file:///src/a.csv", 10, 1.0, "v1"))
        assert verdicts.current_fingerprint(plan, "events") == empty  # pending files are not part of it
        ledger.mark_result("events", "file:///src/a.csv", "committed", size=10, mtime=1.0, version="v1",
                           source_checksum=None, target_uris=["x"], target_checksums=["c"], rows_in=1,
                           rows_written=1, rows_quarantined=0, bytes_out=5)
    fp = verdicts.current_fingerprint(plan, "events")
    assert fp == verdicts.ledger_fingerprint([("file:///src/a.csv", "v1")]) != empty
    verdict = sample_verdict(fingerprint=fp)
    assert not verdicts.is_stale(plan, verdict)
    with Ledger.in_state_dir(plan.state_dir) as ledger:
        ledger.mark_verified("events", ["file:///src/a.csv"])  # a passing validation marks files verified
        assert not verdicts.is_stale(plan, verdict)
        ledger.upsert_pending(FileRecord("events", "file:///src/a.csv", 11, 2.0, "v2"))  # changed: re-copied
        ledger.mark_result("events", "file:///src/a.csv", "committed", size=11, mtime=2.0, version="v2",
                           source_checksum=None, target_uris=["y"], target_checksums=["c"], rows_in=1,
                           rows_written=1, rows_quarantined=0, bytes_out=5)
    assert verdicts.is_stale(plan, verdict)
