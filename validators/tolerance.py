"""Tolerances declared in the plan: float and timestamp values may differ by this much and still be equal.

``{check: tolerance, columns: [...], tolerance: REL, absolute: ABS, timestamp: 1ms}`` applies to the named
columns (default: every float/double and timestamp column). Two values are equal when
``|a - b| <= max(ABS, REL * max(|a|, |b|))`` (floats) or ``|a - b| <= timestamp`` (timestamps); anything
else must match exactly. Row checksums hash such columns at the tolerance's resolution (``quantize``):
values on either side of a rounding edge hash apart, and the row comparison that follows (``equal``)
decides with the exact rule above, so a tolerance never hides a real difference nor flags an allowed one.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Float sums taken in another order (other batch or file boundaries) differ in their last bits: allowed,
# relative to n * max|x| (profiles only locate; the row checksums are the exact check).
FLOAT_SUM_SLACK = 1e-12


@dataclass(frozen=True)
class Tolerance:
    relative: float = 0.0
    absolute: float = 0.0
    timestamp_us: int = 0

    def __bool__(self) -> bool:
        return bool(self.relative or self.absolute or self.timestamp_us)


def _is_float(t: pa.DataType) -> bool:
    return pa.types.is_floating(t)


def _is_ts(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t)


class Tolerances:
    """Per-column tolerances of one dataset (from its ``validation`` rules) and per-column sum tolerances."""

    def __init__(self, rules: list[Any], schema: pa.Schema) -> None:
        from migrate.plan import duration_us

        self.by_column: dict[str, Tolerance] = {}
        self.aggregate_rel: dict[str, float] = {}
        for rule in rules:
            if rule.check == "tolerance":
                cols = rule.columns or [f.name for f in schema if _is_float(f.type) or _is_ts(f.type)]
                ts = duration_us(rule.timestamp) if rule.timestamp else 0
                for c in cols:
                    f = schema.field(c) if schema.get_field_index(c) >= 0 else None
                    if f is None:
                        continue
                    if _is_float(f.type):
                        self.by_column[c] = Tolerance(relative=rule.tolerance, absolute=rule.absolute or 0.0)
                    elif _is_ts(f.type) and ts:
                        self.by_column[c] = Tolerance(timestamp_us=ts)
            elif rule.check == "aggregates":
                for c in rule.columns:
                    self.aggregate_rel[c] = max(self.aggregate_rel.get(c, 0.0), rule.tolerance)

    def get(self, column: str) -> Tolerance | None:
        t = self.by_column.get(column)
        return t if t else None

    def describe(self) -> dict[str, str]:
        out = {}
        for c, t in self.by_column.items():
            parts = []
            if t.relative:
                parts.append(f"relative {t.relative:g}")
            if t.absolute:
                parts.append(f"absolute {t.absolute:g}")
            if t.timestamp_us:
                parts.append(f"{t.timestamp_us} us")
            out[c] = ", ".join(parts)
        return out

    # -- row values ----------------------------------------------------------------------------------
    def equal(self, column: str, a: Any, b: Any) -> bool:
        """Whether two values of ``column`` count as equal (exactly, or within its tolerance)."""
        if a is None or b is None:
            return a is None and b is None
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        if a == b:
            return True
        t = self.get(column)
        if t is None:
            return False
        if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
            return abs(a - b) <= max(t.absolute, t.relative * max(abs(a), abs(b)))
        if isinstance(a, dt.datetime) and isinstance(b, dt.datetime) and t.timestamp_us:
            return abs((a - b) / dt.timedelta(microseconds=1)) <= t.timestamp_us
        return False

    def quantize(self, column: str, arr: pa.Array) -> pa.Array:
        """``arr`` at the resolution of its tolerance (for hashing); unchanged without one."""
        t = self.get(column)
        if t is None:
            return arr
        if t.timestamp_us and _is_ts(arr.type):
            us = arr.cast(pa.timestamp("us", tz=arr.type.tz)).cast(pa.int64())
            return pc.floor(pc.divide(us.cast(pa.float64()), float(t.timestamp_us))).cast(pa.int64())
        if _is_float(arr.type):
            x = np.asarray(arr.cast(pa.float64()).to_numpy(zero_copy_only=False), np.float64)
            mask = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), bool) if arr.null_count else None
            with np.errstate(invalid="ignore", over="ignore"):
                if t.absolute:
                    q = np.round(x / t.absolute)
                else:  # relative: round the mantissa (in [0.5, 1)) to steps of the tolerance
                    m, e = np.frexp(x)
                    q = np.ldexp(np.round(m / t.relative), e)
            return pa.array(q, pa.float64(), mask=mask)
        return arr

    # -- profiles ------------------------------------------------------------------------------------
    def sums_equal(self, column: str, a: Any, b: Any, abs_sum: float | None, count: int) -> bool:
        if a is None or b is None:
            return a == b
        if not isinstance(a, float) and not isinstance(b, float) and a == b:
            return True
        rel = self.aggregate_rel.get(column, 0.0)
        t = self.get(column)
        slack = 0.0
        if isinstance(a, float) or isinstance(b, float):
            slack = FLOAT_SUM_SLACK * (abs_sum or max(abs(float(a)), abs(float(b))))
            if t is not None:
                slack += t.absolute * count + t.relative * (abs_sum or 0.0)
        limit = max(slack, rel * max(abs(float(a)), abs(float(b))))
        return abs(float(a) - float(b)) <= limit

    def extreme_equal(self, column: str, a: Any, b: Any) -> bool:
        if self.equal(column, a, b):
            return True
        rel = self.aggregate_rel.get(column, 0.0)
        if rel and isinstance(a, int | float) and isinstance(b, int | float):
            return abs(a - b) <= rel * max(abs(a), abs(b))
        return False
