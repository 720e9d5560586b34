"""RichProgress renders through a run; the ledger keeps states across reopen (WAL)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from migrate.engine import run_dataset, version_key
from migrate.ledger import FileRecord, Ledger
from migrate.progress import RichProgress
from tests.engine.helpers import make_dataset, make_plan, reader_options


def test_rich_progress_and_summary(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", files=3, rows=50)
    buf = io.StringIO()
    with RichProgress(Console(file=buf, width=160, force_terminal=False)) as prog:
        rep = run_dataset(make_plan(tmp_path, "parquet"), "events", progress=prog, options=reader_options())
    assert rep.ok
    out = buf.getvalue()
    assert "migration summary" in out and "events" in out and "150" in out


def test_ledger_states_survive_reopen(tmp_path: Path) -> None:
    v = version_key("file:///a", 10, 1.5)
    with Ledger.in_state_dir(tmp_path) as led:
        led.upsert_pending(FileRecord("d", "file:///a", 10, 1.5, v))
        led.mark_started("d", "file:///a", ["file:///t/part-x.parquet"])
        led.mark_result("d", "file:///a", "committed", size=10, mtime=1.5, version=v, source_checksum="sha256:00",
                        target_uris=["file:///t/part-x.parquet"], target_checksums=["sha256:11"], rows_in=3,
                        rows_written=2, rows_quarantined=1, bytes_out=99)
    with Ledger.in_state_dir(tmp_path) as led:
        r = led.get("d", "file:///a")
        assert r is not None and r.state == "committed" and r.attempt == 1 and r.rows_quarantined == 1
        assert led._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # a changed version keeps the committed files as previous until the new one commits
        led.upsert_pending(FileRecord("d", "file:///a", 11, 2.0, version_key("file:///a", 11, 2.0)))
        r = led.get("d", "file:///a")
        assert r is not None and r.state == "pending" and r.previous_uris == ["file:///t/part-x.parquet"]


def test_ledger_batch_is_one_transaction(tmp_path: Path) -> None:
    import pytest

    recs = [FileRecord("d", f"file:///f{i}", 1, 1.0, f"v{i}") for i in range(3)]
    with Ledger.in_state_dir(tmp_path) as led:
        led.upsert_pending_many(recs)
        with led.batch():
            led.mark_started("d", "file:///f0", ["t0"])
            with led.batch():  # nested: joins the outer transaction
                led.mark_started("d", "file:///f1", ["t1"])
            other = Ledger.in_state_dir(tmp_path)  # another connection sees nothing before the commit
            assert other.counts("d") == {"pending": 3}
        assert other.counts("d") == {"started": 2, "pending": 1}
        other.close()
        with pytest.raises(RuntimeError), led.batch():  # an error rolls every write of the batch back
            led.mark_started("d", "file:///f2", ["t2"])
            led.mark_failed("d", "file:///f0", "boom")
            raise RuntimeError("crash mid-batch")
        assert led.counts("d") == {"started": 2, "pending": 1}
        led.mark_started("d", "file:///f2", ["t2"])  # and the ledger takes plain writes again
        assert led.counts("d") == {"started": 3}
