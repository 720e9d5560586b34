"""Minimal schema inference for text formats from a bounded sample (the first MiB of the file).

Deliberately small: inventory has its own, richer inference (written separately). Per column, the
first type that every non-null sample value converts to: boolean (true/false tokens only, not 0/1),
bigint, double, date (YYYY-MM-DD), timestamp (ISO 8601), else string. All inferred fields are nullable.
Rows later in the file that do not fit the inferred type are quarantined, never nulled.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_BOOL_TOKENS = ["true", "false", "True", "False", "TRUE", "FALSE"]
_ORDER = [pa.int64(), pa.float64(), pa.date32(), pa.timestamp("us")]


def infer_type(values: pa.Array | pa.ChunkedArray) -> pa.DataType:
    """The narrowest plan type that every non-null value of a string column converts to."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.drop_null()
    values = values.filter(pc.not_equal(values, ""))
    if len(values) == 0:
        return pa.string()
    if pc.all(pc.is_in(values, value_set=pa.array(_BOOL_TOKENS))).as_py():
        return pa.bool_()
    for t in _ORDER:
        if t == pa.date32() and not pc.all(pc.match_substring_regex(values, r"^\d{4}-\d{2}-\d{2}$")).as_py():
            continue
        try:
            pc.cast(values, t)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError):
            continue
        return t
    return pa.string()


def infer_fields(sample: pa.Table) -> list[pa.Field]:
    """Nullable fields for every column of a table of strings."""
    return [pa.field(name, infer_type(sample.column(name)), nullable=True) for name in sample.column_names]
