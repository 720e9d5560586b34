"""One pass over one file: its row counts, column profiles and row checksum (a ``UnitSummary``).

A source file is read with the copy's reader and quarantine rules; a target file row group by row
group. Both are cast to the dataset's canonical schema first, so the two sides are hashed and profiled
alike. Summaries merge per partition, and are cached per source version / target file between runs
(``cache.py``), so a re-validation re-reads only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from migrate.errors import MigrateError
from migrate.formats.quarantine import Quarantine

from .digest import Checksum, digester_for
from .profiles import ColumnProfile
from .sides import BATCH_ROWS, SourceFile, SourceSide, TargetFile, TargetSide, read_source, read_target

QUARANTINE_EXAMPLES = 3


class CountingQuarantine(Quarantine):
    """The copy's quarantine rules, in memory: counts, a few examples (no values) and, on request, the
    line / record numbers of every quarantined row (to turn a row's ordinal into its line)."""

    def __init__(self, keep_positions: bool = False) -> None:
        super().__init__(None, keep_max=0)
        self.examples: list[dict[str, Any]] = []
        self.positions: list[int] | None = [] if keep_positions else None

    def add(self, source: str, reason: str, *, line: int | None = None, record: int | None = None,
            offset: int | None = None, column: str | None = None, value: object = None,
            location: Any = None) -> None:
        if location:
            line = location.get("line", line)
            record = location.get("record", record)
        with self._lock:
            self.counts[source] += 1
            if len(self.examples) < QUARANTINE_EXAMPLES:
                ex: dict[str, Any] = {"file": source, "reason": reason, "column": column}
                if line is not None:
                    ex["line"] = line
                if record is not None:
                    ex["record"] = record
                self.examples.append(ex)
            if self.positions is not None:
                pos = line if line is not None else record
                if pos is not None:
                    self.positions.append(int(pos))


@dataclass
class UnitSummary:
    """What one pass over one file (or the merge of several) found."""

    rows: int = 0  # rows in the data (source: after quarantine)
    rows_in: int = 0  # source: rows read, quarantined ones included
    quarantined: int = 0
    quarantine_examples: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    checksum: Checksum = field(default_factory=Checksum)
    error: str | None = None
    files: int = 0
    sketched: bool = True  # the column profiles hold distinct-count sketches
    profiled: bool = True  # the column profiles hold min, max and sum (else count and nulls only)

    def merge(self, other: UnitSummary) -> None:
        self.sketched = self.sketched and other.sketched
        self.profiled = self.profiled and other.profiled
        self.rows += other.rows
        self.rows_in += other.rows_in
        self.quarantined += other.quarantined
        self.files += other.files
        room = QUARANTINE_EXAMPLES - len(self.quarantine_examples)
        if room > 0:
            self.quarantine_examples += other.quarantine_examples[:room]
        for name, prof in other.columns.items():
            if name in self.columns:
                self.columns[name].merge(prof)
            else:
                mine = ColumnProfile(prof.type)
                mine.merge(prof)
                self.columns[name] = mine
        self.checksum.merge(other.checksum)


@dataclass(frozen=True)
class Canon:
    """The dataset's canonical schema (both sides are cast to it) and its tolerances."""

    schema: pa.Schema
    tolerances: Any
    threads: int = 2


def _empty(canon: Canon) -> UnitSummary:
    return UnitSummary(columns={f.name: ColumnProfile(str(f.type)) for f in canon.schema}, files=1)


def _absorb(s: UnitSummary, canon: Canon, batch: pa.RecordBatch | pa.Table, sketches: bool) -> None:
    dig = digester_for(canon.schema, canon.tolerances, canon.threads)
    table = dig.canonical(batch)
    rows, cols = dig.hashes(table, columns=sketches)
    s.checksum.add(rows)
    for i, f in enumerate(canon.schema):
        s.columns[f.name].update(table.column(i), cols[i] if cols is not None else None, stats=s.profiled)
    s.rows += table.num_rows


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, MigrateError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _gathered(batches: Any, rows: int = BATCH_ROWS) -> Any:
    """Batches joined into tables of about ``rows`` rows: a reader's 4 MiB blocks are small for one DuckDB
    call each (its per-call cost would dominate)."""
    held: list[pa.RecordBatch] = []
    n = 0
    for b in batches:
        held.append(b)
        n += b.num_rows
        if n >= rows:
            yield pa.Table.from_batches(held)
            held, n = [], 0
    if held:
        yield pa.Table.from_batches(held)


def summarize_source(side: SourceSide, sf: SourceFile, ds: Any, declared: pa.Schema | None,
                     canon: Canon, byte_range: tuple[int, int] | None = None) -> UnitSummary:
    """Read source file ``sf`` (or a byte range of it) as the copy does and summarize its rows
    (quarantined ones counted apart). Columns' counts and nulls only, no min, max, sum nor distinct-count
    sketch: where a partition's row checksums are equal its column multisets are too (the target's are
    the source's), and where they differ the narrowing pass measures them (``diff.source_profiles``)."""
    s = _empty(canon)
    s.sketched = s.profiled = False
    q = CountingQuarantine()
    try:
        stream = read_source(side, sf, ds, declared, q, byte_range, prefetch=byte_range is None)
        with stream:
            for table in _gathered(stream):
                _absorb(s, canon, table, sketches=False)
        counts = stream.counts
        s.rows_in, s.quarantined = int(counts.rows_in), int(counts.rows_quarantined)
    except Exception as exc:
        s.error = describe_error(exc)
        if sf.uri not in s.error:
            s.error = f"{sf.uri}: {s.error}"
    s.quarantine_examples = q.examples
    return s


def summarize_target(side: TargetSide, tf: TargetFile, canon: Canon) -> UnitSummary:
    """Read target file ``tf`` in batches (``read_target``) and summarize its rows."""
    s = _empty(canon)
    try:
        for table in read_target(side, tf):
            _absorb(s, canon, table, sketches=True)
        s.rows_in = s.rows
    except Exception as exc:
        s.error = describe_error(exc)
        if tf.uri not in s.error:
            s.error = f"{tf.uri}: {s.error}"
    return s
