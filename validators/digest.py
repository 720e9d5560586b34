"""Per-row and per-column 64-bit hashes of record batches, and the order-independent row checksum.

Every value is hashed by DuckDB's ``hash()`` over the Arrow batch (vectorised C++, no Python per row),
after both sides were cast to one canonical schema (so a value hashes alike whether it came from a CSV
parse or a Parquet column) and tolerant columns were quantized (``tolerance.py``). A row's hash is
``fmix64(hash(c0, ..., cN))``: DuckDB combines the values' hashes in column order, the finalizer makes
it non-linear, so values swapped between columns or between rows change the sum below. When the
per-column hashes are wanted too (the distinct-count sketches), the query asks for those alone and the
row hashes are combined from them in numpy the way DuckDB combines them (checked against DuckDB's own
on the first batch; a DuckDB that combines otherwise gets both from the query): every value hashed once.

A partition's checksum is the per-bucket count and wrapping sum of its row hashes, bucketed by the top
8 bits: order-independent, mergeable across files, and where two sides differ the differing buckets
already narrow the search to 1/256 of the rows each.

Hashes depend on the DuckDB version (``engine_id``): cached summaries made by another one are not reused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

BUCKET_BITS = 8
BUCKETS = 1 << BUCKET_BITS
HASH_VERSION = 2
# Rows per numpy pass: a few arrays of this many 64-bit words stay in the CPU cache through a chain of
# operations (fold, finalizer, bucket sums), 2-4x faster than each operation streaming a whole batch
# through memory; and < 2^21, so each bucket's 32-bit-half sums are exact in float64.
_SLICE = 1 << 14
_U64 = np.uint64
_M1, _M2 = _U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53)
_COMBINE = _U64(0xD6E8FEB86659FD93)  # DuckDB's CombineHash multiplier


def engine_id() -> str:
    import duckdb

    return f"duckdb-{duckdb.__version__}/h{HASH_VERSION}"


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (in place on ``x``)."""
    x ^= x >> _U64(33)
    x *= _M1
    x ^= x >> _U64(33)
    x *= _M2
    x ^= x >> _U64(33)
    return x


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Digester:
    """Hashes batches of one canonical schema. One per thread (a DuckDB connection is not shared)."""

    def __init__(self, schema: pa.Schema, tolerances: Any = None, threads: int = 1) -> None:
        import duckdb

        self.schema = schema
        self.names = list(schema.names)
        self.tolerances = tolerances
        self._con = duckdb.connect(config={"threads": max(1, threads)})
        every = ", ".join(_quote(f"c{i}") for i in range(len(self.names)))
        each = ", ".join(f"hash({_quote(f'c{i}')}) AS h{i}" for i in range(len(self.names)))
        # Select lists of a relation over the Arrow batch (no view registered per batch: ~1 ms less a query).
        self._sql_row = f"hash({every}) AS r"
        self._sql_cols = f"hash({every}) AS r, {each}"
        self._sql_each = each
        self._combine_ok: bool | None = None  # does combine() reproduce hash(c0, ..., cN)? (first batch)
        from . import profiles

        # DuckDB hashes NULL of every type to one constant: the sketches leave it out instead of masking nulls.
        profiles.null_hashes = (int(self._con.execute("SELECT hash(NULL::VARCHAR)").fetchone()[0]),)  # type: ignore[index]

    def close(self) -> None:
        self._con.close()

    def canonical(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """``batch`` with the canonical schema's columns, in its order and types (raises if a cast fails)."""
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        cols = []
        for f in self.schema:
            col = table.column(f.name)
            if col.type != f.type:
                col = col.cast(f.type)
            cols.append(col)
        return pa.Table.from_arrays(cols, schema=self.schema)

    def hashes(self, table: pa.Table, columns: bool = False) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """(row hashes, and with ``columns`` one hash array per column) of a canonical table, in one DuckDB
        query. Tolerant columns are hashed at their tolerance's resolution. A row's hash is DuckDB's
        ``hash(c0, ..., cN)`` (each value hashed, combined in column order) through ``fmix64``.
        """
        n = len(self.names)
        if table.num_rows == 0:
            return np.empty(0, _U64), ([np.empty(0, _U64) for _ in self.names] if columns else None)
        cols = []
        for i, name in enumerate(self.names):
            col = table.column(i)
            if self.tolerances is not None and self.tolerances.get(name) is not None:
                col = self.tolerances.quantize(name, col.combine_chunks())
            cols.append(col)
        view = pa.table(cols, names=[f"c{i}" for i in range(n)])
        sql = self._sql_row if not columns else self._sql_cols if not self._combine_ok else self._sql_each
        out = self._con.from_arrow(view).select(sql).to_arrow_table()
        if not columns:
            return _finalized(np.array(out.column(0).to_numpy(), dtype=_U64)), None
        first = 0 if sql == self._sql_each else 1
        each = [np.asarray(out.column(first + i).to_numpy(), dtype=_U64) for i in range(n)]
        if sql == self._sql_each:
            rows = np.empty(table.num_rows, _U64)
            for lo in range(0, len(rows), _SLICE):
                rows[lo:lo + _SLICE] = fmix64(combine([h[lo:lo + _SLICE] for h in each]))
            return rows, each
        rows = np.array(out.column(0).to_numpy(), dtype=_U64)
        if self._combine_ok is None:
            self._combine_ok = bool(np.array_equal(combine([h[:1024] for h in each]), rows[:1024]))
        return _finalized(rows), each

    def row_hashes(self, table: pa.Table) -> np.ndarray:
        return self.hashes(table)[0]


def _finalized(rows: np.ndarray) -> np.ndarray:
    """``fmix64`` of ``rows`` in place, a cache-sized slice at a time."""
    for lo in range(0, len(rows), _SLICE):
        fmix64(rows[lo:lo + _SLICE])
    return rows


def combine(column_hashes: list[np.ndarray]) -> np.ndarray:
    """DuckDB's ``hash(c0, ..., cN)`` from the columns' ``hash(ci)``: ``r = (r ^ r >> 32) * K ^ h``."""
    rows = column_hashes[0].copy()
    with np.errstate(over="ignore"):
        for h in column_hashes[1:]:
            rows ^= rows >> _U64(32)
            rows *= _COMBINE
            rows ^= h
    return rows


def bucket_of(row_hashes: np.ndarray) -> np.ndarray:
    return (row_hashes >> _U64(64 - BUCKET_BITS)).astype(np.intp)


@dataclass
class Checksum:
    """Row count and wrapping sum of row hashes per bucket: the order-independent checksum of some rows."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros(BUCKETS, np.int64))
    sums: np.ndarray = field(default_factory=lambda: np.zeros(BUCKETS, _U64))

    def add(self, row_hashes: np.ndarray) -> None:
        for lo in range(0, len(row_hashes), _SLICE):
            h = row_hashes[lo:lo + _SLICE]
            b = bucket_of(h)
            self.counts += np.bincount(b, minlength=BUCKETS)
            # Exact sums in float64: each half is < 2^32 and a slice has < 2^21 rows, so < 2^53.
            low = np.bincount(b, weights=(h & _U64(0xFFFFFFFF)).astype(np.float64), minlength=BUCKETS)
            high = np.bincount(b, weights=(h >> _U64(32)).astype(np.float64), minlength=BUCKETS)
            with np.errstate(over="ignore"):
                self.sums += low.astype(_U64) + (high.astype(_U64) << _U64(32))

    def merge(self, other: Checksum) -> None:
        self.counts += other.counts
        with np.errstate(over="ignore"):
            self.sums += other.sums

    @property
    def rows(self) -> int:
        return int(self.counts.sum())

    def differing_buckets(self, other: Checksum) -> list[int]:
        return [int(i) for i in np.nonzero((self.counts != other.counts) | (self.sums != other.sums))[0]]

    def digest(self) -> str:
        """One hex string for the whole checksum (for reports)."""
        import hashlib

        return hashlib.sha256(self.counts.tobytes() + self.sums.tobytes()).hexdigest()[:16]


_local = threading.local()


def digester_for(schema: pa.Schema, tolerances: Any, threads: int = 1) -> Digester:
    """This thread's Digester for ``schema`` (made once per thread and schema)."""
    cache: dict[Any, Digester] = getattr(_local, "digesters", None) or {}
    _local.digesters = cache
    # Keyed by what the tolerances say (not the object: a freed object's id can come back).
    key = (schema, tuple(sorted(tolerances.describe().items())) if tolerances is not None else ())
    d = cache.get(key)
    if d is None:
        d = cache[key] = Digester(schema, tolerances, threads)
    return d
