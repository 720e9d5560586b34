"""Column profiles: count, nulls, min, max, sum and an approximate distinct count, mergeable.

A profile is built batch by batch with pyarrow.compute (no Python loop over values) and merged across
batches, files and partitions in any order. The distinct count is a KMV sketch (the K smallest
distinct 64-bit hashes of the values): exact below K distinct values, within a few percent above.
Sums of 64-bit integers are exact (Python ints, summed in 32-bit halves so a batch cannot overflow);
float sums keep the sum of absolute values too, so two sums can be compared up to the rounding that a
different summation order causes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SKETCH_K = 512
_U64 = np.uint64
null_hashes: tuple[int, ...] = ()  # what the hash engines give NULL; set by digest.Digester


def _summable(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t)


def _orderable(t: pa.DataType) -> bool:
    return not (pa.types.is_nested(t) or pa.types.is_dictionary(t) or pa.types.is_null(t))


def _sum(arr: pa.Array, lo: Any, hi: Any) -> Any:
    """The exact sum (integers as Python ints); ``lo``/``hi`` are the batch's min and max."""
    t = arr.type
    if pa.types.is_boolean(t):
        return int(pc.sum(arr).as_py() or 0)
    if pa.types.is_integer(t):
        if t.bit_width < 64 or max(abs(int(lo)), abs(int(hi))) * len(arr) < 2**63:
            return int(pc.sum(arr).as_py() or 0)  # cannot overflow int64
        # Two halves: a batch's sum of 64-bit values would wrap in int64 arithmetic.
        a64 = arr.cast(pa.int64())
        hi = pc.sum(pc.shift_right(a64, 32)).as_py() or 0
        lo = pc.sum(pc.bit_wise_and(a64, 0xFFFFFFFF)).as_py() or 0
        return (int(hi) << 32) + int(lo)
    if pa.types.is_decimal(t):
        v = pc.sum(arr).as_py()
        return v if v is not None else decimal.Decimal(0)
    v = pc.sum(arr).as_py()
    return float(v) if v is not None else 0.0


def sketch_update(sketch: np.ndarray, hashes: np.ndarray, drop: tuple[int, ...] = ()) -> np.ndarray:
    """The K smallest distinct values of ``sketch`` and ``hashes`` (both uint64; the result sorted),
    leaving out the values in ``drop`` (the hashes NULLs have)."""
    if len(sketch) >= SKETCH_K:
        hashes = hashes[hashes < sketch[-1]]  # once full, nearly every value is above the K-th smallest
    if not len(hashes):
        return sketch
    cand = hashes
    if len(hashes) > 4 * SKETCH_K:
        smallest = None
        if not len(sketch):
            # A first batch: keep the smallest values only (distinct ones among them first), deduplicated.
            smallest = np.unique(np.partition(hashes, 4 * SKETCH_K)[: 4 * SKETCH_K])
        if smallest is not None and len(smallest) >= SKETCH_K + len(drop):
            cand = smallest
        else:
            # Many values left under a sketch's top, or few distinct among the smallest: repeats of few
            # distinct values, so a hash table of the distinct ones is the cheap way to them.
            cand = np.asarray(pc.unique(pa.array(hashes, pa.uint64())).to_numpy(zero_copy_only=False), _U64)
    for d in drop:
        cand = cand[cand != _U64(d)]
    return np.union1d(sketch, cand)[:SKETCH_K].astype(_U64, copy=False)


def sketch_estimate(sketch: np.ndarray) -> int:
    """Distinct values the sketch stands for (exact below ``SKETCH_K``)."""
    n = len(sketch)
    if n < SKETCH_K:
        return n
    return round((SKETCH_K - 1) * 2.0**64 / (float(sketch[-1]) + 1.0))


@dataclass
class ColumnProfile:
    """One column's profile over some rows; ``merge`` combines two."""

    type: str
    count: int = 0  # non-null values
    nulls: int = 0
    min: Any = None
    max: Any = None
    sum: Any = None
    abs_sum: float | None = None  # floats only: n * max|x|, bounds the rounding of a sum taken in another order
    sketch: np.ndarray = field(default_factory=lambda: np.empty(0, _U64))

    def update(self, arr: pa.Array | pa.ChunkedArray, hashes: np.ndarray | None, stats: bool = True) -> None:
        """Count and nulls of ``arr``; with ``stats`` its min, max and sum too; with ``hashes`` (the values'
        hashes) the distinct-count sketch."""
        # A ChunkedArray as it is (the kernels take one): joining its chunks would copy every value.
        n, nulls = len(arr), arr.null_count
        self.count += n - nulls
        self.nulls += nulls
        if n == nulls:
            return
        if stats:
            self._stats(arr, n, nulls)
        if hashes is not None:
            self.sketch = sketch_update(self.sketch, hashes, null_hashes if nulls else ())

    def _stats(self, arr: pa.Array | pa.ChunkedArray, n: int, nulls: int) -> None:
        t = arr.type
        lo = hi = None
        if _orderable(t):
            mm = pc.min_max(arr)
            lo, hi = mm["min"].as_py(), mm["max"].as_py()
            if not (isinstance(lo, float) and math.isnan(lo)):
                self.min = lo if self.min is None else min(self.min, lo)
            if not (isinstance(hi, float) and math.isnan(hi)):
                self.max = hi if self.max is None else max(self.max, hi)
        if _summable(t):
            s = _sum(arr, lo if lo is not None else 0, hi if hi is not None else 0)
            self.sum = s if self.sum is None else self.sum + s
            if pa.types.is_floating(t) and lo is not None and hi is not None:
                bound = (n - nulls) * max(abs(lo), abs(hi))
                self.abs_sum = (self.abs_sum or 0.0) + (bound if math.isfinite(bound) else 0.0)

    def merge(self, other: ColumnProfile) -> None:
        self.count += other.count
        self.nulls += other.nulls
        for name, pick in (("min", min), ("max", max)):
            a, b = getattr(self, name), getattr(other, name)
            setattr(self, name, b if a is None else a if b is None else pick(a, b))
        if other.sum is not None:
            self.sum = other.sum if self.sum is None else self.sum + other.sum
        if other.abs_sum is not None:
            self.abs_sum = (self.abs_sum or 0.0) + other.abs_sum
        if len(other.sketch):
            self.sketch = sketch_update(self.sketch, other.sketch)

    def stats_of(self, other: ColumnProfile) -> None:
        """Min, max and sum (and the float sums' bound) as ``other`` has them: a side not measured for
        them whose rows are, by their checksums, the rows of ``other``'s side."""
        self.min, self.max, self.sum, self.abs_sum = other.min, other.max, other.sum, other.abs_sum

    @property
    def distinct(self) -> int:
        return sketch_estimate(self.sketch)

    def to_json_with(self, distinct: int | None, from_target: bool = False) -> dict[str, Any]:
        out = self.to_json()
        out["approx_distinct"] = distinct
        if from_target:  # not measured on this side: equal row checksums make them the target's
            out["from_target"] = ["min", "max", "sum", "approx_distinct"]
        return out

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "count": self.count, "nulls": self.nulls, "min": json_value(self.min),
                "max": json_value(self.max), "sum": json_value(self.sum), "approx_distinct": self.distinct}


def json_value(v: Any) -> Any:
    """A profile or row value as JSON: dates and times in ISO 8601, decimals and big ints as text, bytes in hex."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int):
        return v if -(2**53) <= v <= 2**53 else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, bytes):
        return "0x" + v[:64].hex() + ("..." if len(v) > 64 else "")
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, list | tuple):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    return str(v)
