"""Engine errors for library callers (no runner in between), and the lazily opened Iceberg catalog.

(a) a missing source folder raises NotFound naming the dataset and URI; (b) a file's recorded error
names it once, without the exception class; (c) a target folder that is a file is one clear error;
(d) a damaged ledger raises LedgerError naming its path and what to do; (e) progress totals.
"""

from __future__ import annotations

import gzip
import logging
import sqlite3
from pathlib import Path

import pytest

from migrate.engine import EngineOptions, run_dataset, target_row_count
from migrate.errors import LedgerError, MigrateError, NotFound, TerminalError
from migrate.ledger import Ledger
from migrate.progress import RecordingProgress
from migrate.runner import migrate_dataset
from tests.engine.helpers import make_dataset, make_plan, reader_options, write_csv


def test_missing_source_folder_raises_not_found(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, "parquet")  # src/ never created
    with pytest.raises(NotFound) as err:
        run_dataset(plan, "events", options=reader_options())
    msg = str(err.value)
    assert "events" in msg and f"file://{tmp_path}/src" in msg and "does not exist" in msg
    assert not (tmp_path / "out").exists()
    (tmp_path / "src").mkdir()  # an empty folder that exists is simply empty
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.ok and rep.files_total == 0


def test_file_error_names_the_file_once(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "good.csv", 0, 50)
    bad = tmp_path / "src" / "bad.csv.gz"
    whole = gzip.compress(b"id,name,amount,day,ts,flag\n" + b"".join(b"%d,n,1.0,,,\n" % i for i in range(50, 5000)))
    bad.write_bytes(whole[: len(whole) // 2])
    plan = make_plan(tmp_path, "parquet")
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.files_failed == 1 and rep.files_processed == 1
    (entry,) = rep.errors
    uri = f"file://{bad}"
    assert entry["uri"] == uri
    assert not entry["error"].startswith(("FormatError", "MigrateError")), entry
    with Ledger.in_state_dir(tmp_path / "state") as ledger:
        rec = ledger.get("events", uri)
    assert rec is not None and rec.state == "failed" and rec.error == entry["error"]
    # The runner's one-line summary names the file exactly once.
    outcome = migrate_dataset(plan, plan.dataset("events"), count=False)
    assert outcome.error is not None and outcome.error.count(uri) == 1, outcome.error
    assert "FormatError" not in outcome.error


def test_target_folder_is_a_file_is_one_clear_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_dataset(tmp_path / "src", files=2, rows=20)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "t").write_text("someone's notes")
    plan = make_plan(tmp_path, "parquet")
    with caplog.at_level(logging.WARNING), pytest.raises(TerminalError) as err:
        run_dataset(plan, "events", options=reader_options())
    assert f"file://{tmp_path}/out/t" in str(err.value) and "is a file" in str(err.value)
    assert "events" in str(err.value)
    assert not [r for r in caplog.records if "could not delete" in r.getMessage()]
    assert (tmp_path / "out" / "t").read_text() == "someone's notes"
    with Ledger.in_state_dir(tmp_path / "state") as ledger:
        assert ledger.records("events") == []  # nothing was attempted


@pytest.mark.parametrize("content", [b"this is not sqlite" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_corrupt_ledger_raises_ledger_error(tmp_path: Path, content: bytes) -> None:
    make_dataset(tmp_path / "src", files=1, rows=10)
    (tmp_path / "state").mkdir()
    db = tmp_path / "state" / "ledger.db"
    db.write_bytes(content)
    plan = make_plan(tmp_path, "parquet")
    with pytest.raises(LedgerError) as err:
        run_dataset(plan, "events", options=reader_options())
    assert isinstance(err.value, MigrateError) and not isinstance(err.value, sqlite3.Error)
    msg = str(err.value)
    assert str(db) in msg and "ledger" in msg and "move it away" in msg
    assert not (tmp_path / "out").exists()
    db.unlink()
    assert run_dataset(plan, "events", options=reader_options()).ok


def test_progress_totals_count_skipped_and_missing(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", files=3, rows=10)
    plan = make_plan(tmp_path, "parquet")
    assert run_dataset(plan, "events", options=reader_options()).ok
    (tmp_path / "src" / "f0000.csv").unlink()
    (tmp_path / "src" / "f0001.csv").unlink()
    write_csv(tmp_path / "src" / "f0009.csv", 1000, 10)
    prog = RecordingProgress()
    rep = run_dataset(plan, "events", options=reader_options(), progress=prog)
    assert (rep.files_total, rep.files_missing, rep.files_skipped, rep.files_processed) == (2, 2, 1, 1)
    (start,) = [e for e in prog.events if e[0] == "start"]
    finished = [e for e in prog.events if e[0] == "file"]
    assert start[2] == len(finished) == 4  # one event per file counted: none over the total
    assert sorted(e[3] for e in finished) == ["committed", "missing", "missing", "skipped"]


@pytest.mark.parametrize("helper", ["thread", "process", "none"])
def test_iceberg_catalog_opened_while_converting(tmp_path: Path, helper: str) -> None:
    total = make_dataset(tmp_path / "src", files=3, rows=40)
    plan = make_plan(tmp_path, "iceberg")
    opts = reader_options(catalog_helper=helper)
    rep = run_dataset(plan, "events", options=opts)
    assert rep.ok and rep.files_processed == 3 and len(rep.snapshots) == 1, rep.errors
    assert target_row_count(plan, "events") == total
    from migrate import iceberg

    table = iceberg.load_catalog(plan, state_dir=plan.state_dir).load_table("ns.events")
    location = table.location().rstrip("/")
    assert location == f"file://{tmp_path}/state/warehouse/ns/events"  # pyiceberg's default place
    files = iceberg.current_data_files(table)
    assert files and all(f.startswith(location + "/data/") for f in files)
    # A second run finds the table through the catalog file (no pyiceberg needed to know where).
    peek = iceberg.peek_sqlite_table(plan, "ns.events", state_dir=plan.state_dir)
    assert peek is not None and peek.exists and peek.location == location
    write_csv(tmp_path / "src" / "f0009.csv", 10_000, 5)
    again = run_dataset(plan, "events", options=opts)
    assert again.ok and again.files_processed == 1 and again.files_skipped == 3
    assert target_row_count(plan, "events") == total + 5


def test_iceberg_catalog_error_surfaces(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", files=2, rows=10)
    plan = make_plan(tmp_path, "iceberg")
    assert run_dataset(plan, "events", options=reader_options()).ok
    # The catalog database goes bad between runs: the run fails with the catalog's error, and no
    # source file is registered twice once it is back.
    db = tmp_path / "state" / "catalog.db"
    good = db.read_bytes()
    db.write_bytes(b"garbage" * 1000)
    write_csv(tmp_path / "src" / "f0009.csv", 1000, 5)
    with pytest.raises(Exception):  # noqa: B017 - whatever SQLAlchemy raises for a damaged file
        run_dataset(plan, "events", options=reader_options())
    db.write_bytes(good)
    rep = run_dataset(plan, "events", options=reader_options())
    assert rep.ok and rep.files_processed == 1 and rep.files_skipped == 2, rep.to_dict()
    assert target_row_count(plan, "events") == 25


def test_engine_options_default_helper() -> None:
    assert EngineOptions().catalog_helper in ("thread", "process", "none")
