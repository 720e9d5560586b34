"""Progress reporting for the copy/convert engine.

The engine only talks to the small ``ProgressSink`` protocol, always from the thread that called
``run_dataset`` (worker processes send their counts back through a queue that thread drains), so a
sink never needs locks. ``NullProgress`` does nothing; ``RichProgress`` draws files / bytes / rows
bars with rate and ETA and prints a summary table at the end.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ProgressSink(Protocol):
    def dataset_started(self, dataset: str, files_total: int, bytes_total: int) -> None: ...

    def file_started(self, dataset: str, uri: str, size: int) -> None: ...

    def advance(self, dataset: str, *, bytes_done: int = 0, rows: int = 0) -> None: ...

    def file_finished(self, dataset: str, uri: str, *, status: str) -> None:
        """``status``: committed | skipped | failed | missing."""

    def dataset_finished(self, dataset: str, report: dict[str, Any]) -> None: ...


class NullProgress:
    def dataset_started(self, dataset: str, files_total: int, bytes_total: int) -> None:
        pass

    def file_started(self, dataset: str, uri: str, size: int) -> None:
        pass

    def advance(self, dataset: str, *, bytes_done: int = 0, rows: int = 0) -> None:
        pass

    def file_finished(self, dataset: str, uri: str, *, status: str) -> None:
        pass

    def dataset_finished(self, dataset: str, report: dict[str, Any]) -> None:
        pass


class RecordingProgress(NullProgress):
    """Keeps every call; handy in tests and for a caller that renders elsewhere (Prefect artifacts)."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.bytes_done = 0
        self.rows = 0

    def dataset_started(self, dataset: str, files_total: int, bytes_total: int) -> None:
        self.events.append(("start", dataset, files_total, bytes_total))

    def advance(self, dataset: str, *, bytes_done: int = 0, rows: int = 0) -> None:
        self.bytes_done += bytes_done
        self.rows += rows

    def file_finished(self, dataset: str, uri: str, *, status: str) -> None:
        self.events.append(("file", dataset, uri, status))

    def dataset_finished(self, dataset: str, report: dict[str, Any]) -> None:
        self.events.append(("done", dataset, report))


class RichProgress:
    """Rich bars per dataset: files, bytes (with MiB/s and ETA) and rows; a summary table at the end."""

    def __init__(self, console: Any = None, *, transient: bool = False) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.console = console or Console(stderr=True)
        self._bytes = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(binary_units=True),
            TransferSpeedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[rows]:,} rows"),
            TextColumn("{task.fields[rate]}"), console=self.console, transient=transient,
        )
        self._files = Progress(
            TextColumn("  files"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"), console=self.console, transient=transient,
        )
        self._tasks: dict[str, tuple[Any, Any, float, int]] = {}
        self._reports: list[dict[str, Any]] = []
        self._live: Any = None

    def __enter__(self) -> RichProgress:
        from rich.console import Group
        from rich.live import Live

        self._live = Live(Group(self._bytes, self._files), console=self.console, refresh_per_second=8)
        self._live.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.__exit__(et, ev, tb)
            self._live = None
        if self._reports:
            self.console.print(summary_table(self._reports))

    def dataset_started(self, dataset: str, files_total: int, bytes_total: int) -> None:
        b = self._bytes.add_task(dataset, total=max(bytes_total, 1), rows=0, rate="")
        f = self._files.add_task(dataset, total=files_total, note="")
        self._tasks[dataset] = (b, f, time.monotonic(), 0)

    def file_started(self, dataset: str, uri: str, size: int) -> None:
        pass

    def advance(self, dataset: str, *, bytes_done: int = 0, rows: int = 0) -> None:
        b, f, t0, total_rows = self._tasks[dataset]
        total_rows += rows
        self._tasks[dataset] = (b, f, t0, total_rows)
        elapsed = max(time.monotonic() - t0, 1e-6)
        self._bytes.update(b, advance=bytes_done, rows=total_rows, rate=f"{total_rows / elapsed:,.0f} rows/s")

    def file_finished(self, dataset: str, uri: str, *, status: str) -> None:
        _, f, _, _ = self._tasks[dataset]
        self._files.update(f, advance=1, note=f"{status}: {uri.rsplit('/', 1)[-1]}")

    def dataset_finished(self, dataset: str, report: dict[str, Any]) -> None:
        b, _f, _, _ = self._tasks[dataset]
        self._bytes.update(b, completed=self._bytes.tasks[b].total)
        self._reports.append(report)


def summary_table(reports: list[dict[str, Any]]) -> Any:
    """A rich Table with one line per DatasetReport (as dict)."""
    from rich.table import Table

    from migrate.retry import retries_total

    t = Table(title="migration summary")
    for col in ("dataset", "files", "done", "skipped", "missing", "failed", "rows in", "rows written",
                "quarantined", "MiB in", "MiB out", "seconds", "MiB/s", "retries"):
        t.add_column(col, justify="left" if col == "dataset" else "right")
    for r in reports:
        secs = r.get("duration", 0.0) or 0.0
        mib_in = r.get("bytes_in", 0) / 2**20
        t.add_row(
            r["dataset"], str(r["files_total"]), str(r["files_processed"]), str(r["files_skipped"]),
            str(r["files_missing"]), str(r["files_failed"]), f"{r['rows_in']:,}", f"{r['rows_written']:,}",
            f"{r['rows_quarantined']:,}", f"{mib_in:,.1f}", f"{r.get('bytes_out', 0) / 2**20:,.1f}",
            f"{secs:.2f}", f"{mib_in / secs:,.1f}" if secs > 0 else "-", str(retries_total(r)),
        )
    return t
