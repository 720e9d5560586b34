"""The target's schema against the plan's mapping: names, types and nullability.

The expected schema is what the copy's readers produce for the dataset (the plan's columns with their
types and nullability, partition columns included) in the types the Parquet writer stores
(``storage_schema``). The target's schema is the Iceberg table's, or each Parquet file's footer.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from migrate.writers.parquet import storage_schema


def canonical_schema(reader_schema: pa.Schema) -> pa.Schema:
    """The schema both sides are compared in: the readers' output in the types Parquet stores, timestamps
    in microseconds (without a declared schema each file's timestamps keep the unit inference gave them:
    s, ms or us; all of them fit in us without loss)."""
    fields = []
    for f in storage_schema(reader_schema):
        if pa.types.is_timestamp(f.type) and f.type.unit != "us":
            f = f.with_type(pa.timestamp("us", tz=f.type.tz))
        fields.append(f)
    return pa.schema(fields, metadata=reader_schema.metadata)


def _norm(t: pa.DataType) -> pa.DataType:
    """As Parquet stores ``t`` (ns -> us by our writer; Parquet has no seconds: s is stored as ms)."""
    t = storage_schema(pa.schema([pa.field("x", t)])).field("x").type
    if pa.types.is_timestamp(t) and t.unit == "s":
        t = pa.timestamp("ms", tz=t.tz)
    return t


def compare_schema(ds: Any, expected: pa.Schema, actual: pa.Schema, where: str,
                   target_file: str | None = None) -> list[dict[str, Any]]:
    """Findings for every column whose presence, type or nullability differ (``where`` names the target)."""
    out: list[dict[str, Any]] = []

    def add(kind: str, column: str, message: str) -> None:
        out.append({"check": "schema", "kind": kind, "dataset": ds.name, "partition": None, "column": column,
                    "file": None, "target_file": target_file, "message": f"{where}: {message}"})

    have = {f.name: f for f in actual}
    for f in expected:
        g = have.get(f.name)
        if g is None:
            add("missing_column", f.name, f"column {f.name} ({f.type}) is missing")
            continue
        if _norm(g.type) != _norm(f.type):
            add("type", f.name, f"column {f.name} is {g.type}, the plan maps it to {f.type}")
        if g.nullable != f.nullable:
            want = "nullable" if f.nullable else "NOT NULL"
            got = "nullable" if g.nullable else "NOT NULL"
            add("nullability", f.name, f"column {f.name} is {got}, the plan says {want}")
    names = {f.name for f in expected}
    for g in actual:
        if g.name not in names:
            add("extra_column", g.name, f"column {g.name} ({g.type}) is not in the plan's mapping")
    return out
