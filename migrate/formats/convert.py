"""Shared conversion: vectorized casts that locate the rows that do not fit, and the final assembly.

``cast_locate`` first tries one whole-array ``pyarrow.compute.cast``; only when that fails does it
bisect (halves are cast again, leaves of <= 16 values value by value), so a clean column costs one cast
and k bad values cost O(k log n) casts instead of a Python loop over every value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from migrate.errors import UnsupportedError
from migrate.formats.nested import needs_nested_cast, nested_cast
from migrate.formats.quarantine import Quarantine

TRUE_VALUES = ["true", "True", "TRUE", "t", "T", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "f", "F", "0"]

# record indices (0-based, within the current piece) -> location keywords for Quarantine.add
Locate = Callable[[Sequence[int]], list[dict[str, int]]]


@dataclass
class FileCounts:
    """Per-file accounting; rows_in == rows_out + rows_quarantined always holds."""

    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_out + self.rows_quarantined


@dataclass
class Bad:
    column: str | None
    value: object
    reason: str


Cast = Callable[[pa.Array], pa.Array]


def _leaf_errors(arr: pa.Array, cast: Cast, base: int, out: dict[int, str]) -> None:
    for i in range(len(arr)):
        try:
            cast(arr.slice(i, 1))
        except (pa.ArrowInvalid, OverflowError) as exc:
            out[base + i] = str(exc)


def _bisect(arr: pa.Array, cast: Cast, base: int, out: dict[int, str]) -> None:
    try:
        cast(arr)
        return
    except (pa.ArrowInvalid, OverflowError):
        pass
    if len(arr) <= 16:
        _leaf_errors(arr, cast, base, out)
        return
    h = len(arr) // 2
    _bisect(arr.slice(0, h), cast, base, out)
    _bisect(arr.slice(h), cast, base + h, out)


def _null_at(arr: pa.Array, positions: Sequence[int]) -> pa.Array:
    mask = [False] * len(arr)
    for i in positions:
        mask[i] = True
    return pc.if_else(pa.array(mask, pa.bool_()), pa.scalar(None, arr.type), arr)


def _cast_bool(arr: pa.Array) -> tuple[pa.Array, dict[int, str]]:
    """Strings -> bool with the same tokens as the CSV fast path (pc.cast accepts a different set)."""
    is_t = pc.is_in(arr, value_set=pa.array(TRUE_VALUES, arr.type))
    is_f = pc.is_in(arr, value_set=pa.array(FALSE_VALUES, arr.type))
    bad_mask = pc.and_(pc.is_valid(arr), pc.invert(pc.or_(is_t, is_f)))
    bad = {i: "not a boolean (expected one of " + "/".join(TRUE_VALUES + FALSE_VALUES) + ")"
           for i in pc.indices_nonzero(bad_mask).to_pylist()}
    out = pc.if_else(pc.is_null(arr), pa.scalar(None, pa.bool_()), is_t)
    return out, bad


def cast_locate(arr: pa.Array | pa.ChunkedArray, typ: pa.DataType, column: str,
                cast: Cast | None = None) -> tuple[pa.Array, dict[int, str]]:
    """``arr`` cast to ``typ``; values that do not fit become null and are returned as {index: reason}.

    ``cast`` replaces ``pc.cast(a, typ)`` (nested values: ``nested.cast_nested``). Raises
    UnsupportedError when the conversion itself does not exist (e.g. a struct to int).
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if cast is None:
        if arr.type == typ:
            return arr, {}
        if pa.types.is_boolean(typ) and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return _cast_bool(arr)

        def cast(a: pa.Array) -> pa.Array:
            return pc.cast(a, typ)
    try:
        return cast(arr), {}
    except (pa.ArrowInvalid, OverflowError):
        pass
    except pa.ArrowNotImplementedError as exc:
        raise UnsupportedError(f"cannot convert column {column!r} from {arr.type} to {typ}: {exc}") from exc
    errors: dict[int, str] = {}
    _bisect(arr, cast, 0, errors)
    fixed = _null_at(arr, sorted(errors))
    return cast(fixed), errors


def value_at(arr: pa.Array | pa.ChunkedArray, i: int) -> Any:
    v = arr[i].as_py()
    return v


def finalize(
    table: pa.Table,
    out_schema: pa.Schema,
    partitions: Mapping[str, pa.Scalar],
    bad: dict[int, Bad],
    *,
    source: str,
    quarantine: Quarantine,
    counts: FileCounts,
    rows_in: int,
    locate: Callable[[Sequence[int]], list[dict[str, int]]],
    file_problem: Bad | None = None,
) -> pa.Table:
    """Quarantine ``bad`` rows (plus nulls in non-nullable columns), add partition columns, match schema.

    ``table`` holds the data columns already cast to their output types; ``rows_in`` counts the rows
    it came from plus rows the caller already quarantined (ragged lines), so counts stay balanced.
    ``locate`` maps row indices of ``table`` to location keywords.
    """
    n = table.num_rows
    if file_problem is not None:
        for i in range(n):
            bad.setdefault(i, file_problem)
    for f in out_schema:
        if f.nullable or f.name not in table.column_names:
            continue
        col = table.column(f.name)
        if col.null_count:
            for i in pc.indices_nonzero(pc.is_null(col)).to_pylist():
                bad.setdefault(i, Bad(f.name, None, f"null in non-nullable column {f.name!r}"))
    for name, scalar in partitions.items():
        f = out_schema.field(name)
        if not scalar.is_valid and not f.nullable and n:
            for i in range(n):
                bad.setdefault(i, Bad(name, None, f"null partition value for non-nullable column {name!r}"))
    if bad:
        idx = sorted(bad)
        for i, loc in zip(idx, locate(idx), strict=True):
            b = bad[i]
            quarantine.add(source, b.reason, column=b.column, value=b.value, location=loc)
        keep = [True] * n
        for i in idx:
            keep[i] = False
        table = table.filter(pa.array(keep, pa.bool_()))
    m = table.num_rows
    cols = []
    for f in out_schema:
        if f.name in partitions:
            s = partitions[f.name]
            cols.append(pa.nulls(m, f.type) if not s.is_valid else pa.repeat(s, m))
        else:
            cols.append(table.column(f.name))
    counts.rows_in += rows_in
    counts.rows_out += m
    counts.rows_quarantined += rows_in - m
    return pa.Table.from_arrays(cols, schema=out_schema)


def partition_scalars(
    values: Mapping[str, str | None], fields: Sequence[pa.Field], source: str
) -> tuple[dict[str, pa.Scalar], Bad | None]:
    """Typed partition constants; a value that does not fit its type makes every row of the file bad."""
    out: dict[str, pa.Scalar] = {}
    problem: Bad | None = None
    for f in fields:
        raw = values[f.name]
        if raw is None:
            out[f.name] = pa.scalar(None, f.type)
            continue
        arr, errs = cast_locate(pa.array([raw], pa.string()), f.type, f.name)
        if errs:
            problem = problem or Bad(f.name, raw, f"partition value {raw!r} does not fit {f.type}: {errs[0]}")
            out[f.name] = pa.scalar(None, f.type)
        else:
            out[f.name] = arr[0]
    return out, problem


def output_schema(data_fields: Sequence[pa.Field], part_fields: Sequence[pa.Field],
                  declared: pa.Schema | None) -> pa.Schema:
    """Declared order when a schema is given (partition columns it lacks go last), else data + partitions."""
    if declared is None:
        return pa.schema(list(data_fields) + list(part_fields))
    have = set(declared.names)
    return pa.schema(list(declared) + [f for f in part_fields if f.name not in have])


class Target:
    """What one file must become: the output schema, the fields read from the file, partition constants."""

    def __init__(self, declared: pa.Schema | None, partition_values: Mapping[str, str | None] | None,
                 source: str) -> None:
        self.declared = declared
        self.source = source
        self.partition_values = dict(partition_values or {})
        self.part_fields = [
            declared.field(k) if declared is not None and declared.get_field_index(k) >= 0
            else pa.field(k, pa.string())
            for k in self.partition_values
        ]
        self.partitions, self.problem = partition_scalars(self.partition_values, self.part_fields, source)
        self.data_fields: list[pa.Field] = (
            [f for f in declared if f.name not in self.partition_values] if declared is not None else []
        )
        self.out_schema = output_schema(self.data_fields, self.part_fields, declared)

    def set_inferred(self, data_fields: Sequence[pa.Field]) -> None:
        """Without a declared schema the reader supplies the file's (native or inferred) fields."""
        self.data_fields = [f for f in data_fields if f.name not in self.partition_values]
        self.out_schema = output_schema(self.data_fields, self.part_fields, None)

    def finish(self, table: pa.Table, bad: dict[int, Bad], *, rows_in: int, locate: Locate,
               quarantine: Quarantine, counts: FileCounts) -> pa.Table:
        return finalize(table, self.out_schema, self.partitions, bad, source=self.source,
                        quarantine=quarantine, counts=counts, rows_in=rows_in, locate=locate,
                        file_problem=self.problem)

    def cast_table(self, table: pa.Table) -> tuple[pa.Table, dict[int, Bad]]:
        """Cast a natively typed table (Avro, ORC, Parquet, JSON) to the data fields, locating misfits."""
        bad: dict[int, Bad] = {}
        cols = []
        for f in self.data_fields:
            if f.name not in table.column_names:
                cols.append(pa.nulls(table.num_rows, f.type))  # absent column: null (non-null check follows)
                continue
            src = table.column(f.name)
            src_field = table.schema.field(f.name)
            if needs_nested_cast(src.type, f):  # structs, lists, maps, JSON text: messages name the path
                arr, errs = cast_locate(src, f.type, f.name, nested_cast(f, src_field))
            else:
                arr, errs = cast_locate(src, f.type, f.name)
                errs = {i: f"cannot convert to {f.type}: {why}" for i, why in errs.items()}
            for i, why in errs.items():
                bad.setdefault(i, Bad(f.name, value_at(src, i), why))
            cols.append(arr)
        return pa.Table.from_arrays(cols, names=[f.name for f in self.data_fields]), bad
