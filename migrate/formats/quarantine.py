"""Rows that do not fit: one JSON object per line, counted per source file.

A record is ``{"source", "line" | "record" | "offset", "column", "value", "reason"}``: ``line`` is the
1-based physical line of text formats, ``record`` the 1-based record number of binary formats
(Avro, ORC, Parquet, SequenceFile, which also give the byte ``offset`` of the record).
Values are truncated to ``max_value_chars`` so one bad multi-megabyte field cannot bloat the file.
Writes are buffered and appended; a lock makes one instance safe to share between the threads of a
process. Give each process its own file (the engine does): appends from several processes may interleave.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any


class Quarantine:
    """Append-only JSON-lines sink for rejected rows. ``path=None`` keeps records in memory (tests)."""

    def __init__(
        self, path: str | os.PathLike[str] | None, *, max_value_chars: int = 200, keep_max: int = 10_000
    ) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.max_value_chars = max_value_chars
        self.counts: Counter[str] = Counter()
        self.records: list[dict[str, Any]] = []  # only filled when path is None, capped at keep_max
        self._keep_max = keep_max
        self._lock = threading.Lock()
        self._f: IO[str] | None = None

    def _file(self) -> IO[str]:
        if self._f is None:
            assert self.path is not None
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            self._f = open(self.path, "a", encoding="utf-8", buffering=1 << 16)  # noqa: SIM115
        return self._f

    def _clip(self, value: object) -> object:
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            value = bytes(value).decode("utf-8", "backslashreplace")
        s = str(value)
        if len(s) > self.max_value_chars:
            s = s[: self.max_value_chars] + f"...[{len(s)} chars]"
        return s

    def add(
        self,
        source: str,
        reason: str,
        *,
        line: int | None = None,
        record: int | None = None,
        offset: int | None = None,
        column: str | None = None,
        value: object = None,
        location: Mapping[str, int] | None = None,
    ) -> None:
        """Record one rejected row; ``location`` is an alternative way to pass line/record/offset (and
        may add keys that qualify them, such as ``stripe``)."""
        if location:
            line = location.get("line", line)
            record = location.get("record", record)
            offset = location.get("offset", offset)
        rec: dict[str, Any] = {"source": source}
        if line is not None:
            rec["line"] = line
        if record is not None:
            rec["record"] = record
        if offset is not None:
            rec["offset"] = offset
        for key, val in (location or {}).items():  # e.g. the ORC stripe a record number counts within
            if key not in ("line", "record", "offset"):
                rec[key] = val
        rec["column"] = column
        rec["value"] = self._clip(value)
        rec["reason"] = reason
        with self._lock:
            self.counts[source] += 1
            if self.path is None:
                if len(self.records) < self._keep_max:
                    self.records.append(rec)
            else:
                self._file().write(json.dumps(rec, ensure_ascii=False) + "\n")

    def count(self, source: str | None = None) -> int:
        """Rows quarantined for one source file (all files when None)."""
        with self._lock:
            return self.counts[source] if source is not None else sum(self.counts.values())

    def flush(self) -> None:
        with self._lock:
            if self._f is not None:
                self._f.flush()

    def close(self) -> None:
        with self._lock:
            if self._f is not None:
                self._f.flush()
                os.fsync(self._f.fileno())
                self._f.close()
                self._f = None

    def __enter__(self) -> Quarantine:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
