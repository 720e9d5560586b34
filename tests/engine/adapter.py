"""A tiny CSV reader with the formats API, used only until migrate.formats lands (and as a control).

``open_batches`` reads CSV (header line, typed by the plan schema) through ``Storage.open``, optionally
one byte range of a file; ``split_ranges`` cuts a file at line ends.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv


def _schema(columns: Any) -> pa.Schema | None:
    if not columns:
        return None
    if isinstance(columns, pa.Schema):
        return columns
    from migrate.formats.types import arrow_schema

    return arrow_schema(columns)


@dataclass
class _Counts:
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0


@dataclass
class Stream:
    batches: Any
    schema: pa.Schema
    counts: _Counts = field(default_factory=_Counts)

    def __iter__(self) -> Any:
        for b in self.batches:
            self.counts.rows_in += b.num_rows
            self.counts.rows_out += b.num_rows
            yield b


def _header(store: Any, uri: str) -> list[str]:
    with store.open(uri, 0, 1 << 16) as f:
        return f.read().split(b"\n", 1)[0].decode().rstrip("\r").split(",")


def open_batches(store: Any, uri: str, fmt: Any, schema: Any, *, quarantine: Any = None,
                 partition_values: dict[str, str | None] | None = None,
                 byte_range: tuple[int, int] | None = None) -> Stream:
    names = _header(store, uri)
    target = _schema(schema)
    types = {f.name: f.type for f in target} if target is not None else None
    if byte_range is None:
        f = store.open(uri)
        skip = 1
    else:
        f = store.open(uri, byte_range[0], byte_range[1] - byte_range[0])
        skip = 1 if byte_range[0] == 0 else 0
    reader = pacsv.open_csv(
        f, read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip, block_size=4 << 20),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                             null_values=["", "\\N"]),
    )
    schema_out = reader.schema
    pv = partition_values or {}
    extra = [pa.field(k, pa.string()) for k in pv if k not in schema_out.names]
    out_schema = pa.schema(list(schema_out) + extra)

    def gen() -> Any:
        try:
            for b in reader:
                if extra:
                    cols = list(b.columns) + [pa.array([pv[x.name]] * b.num_rows, pa.string()) for x in extra]
                    b = pa.RecordBatch.from_arrays(cols, schema=out_schema)
                yield b
        finally:
            f.close()

    return Stream(gen(), out_schema)


def split_ranges(store: Any, uri: str, fmt: Any, target_bytes: int) -> list[tuple[int, int]]:
    size = store.stat(uri).size
    cuts = [0]
    pos = target_bytes
    while pos < size:
        with store.open(uri, pos, 1 << 20) as f:
            chunk = f.read()
        nl = chunk.find(b"\n")
        if nl < 0:
            break
        cut = pos + nl + 1
        if cut >= size:
            break
        cuts.append(cut)
        pos = cut + target_bytes
    cuts.append(size)
    return list(itertools.pairwise(cuts))


def open_batches_mutating(store: Any, uri: str, fmt: Any, schema: Any, **kw: Any) -> Stream:
    """Appends rows to the file named in $MIGRATE_TEST_MUTATE_ONCE's marker the first time it is read."""
    import os
    import time

    marker = os.environ.get("MIGRATE_TEST_MUTATE_ONCE")
    stream = open_batches(store, uri, fmt, schema, **kw)
    if marker and os.path.exists(marker):
        with open(marker) as m:
            path = m.read().strip()
        if uri.endswith(path):
            os.remove(marker)
            with open(path, "a") as f:
                f.write("999999,late,1.0,2024-01-01,2024-01-01 00:00:00,true\n")
            st = os.stat(path)
            os.utime(path, (st.st_atime, time.time() + 2))
    return stream
