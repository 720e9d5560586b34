"""The delimited reader round-trips generated tables in generated dialects.

A schema (plan types), rows (nulls, quotes, delimiters and unicode in strings where the dialect can hold
them) and a dialect (delimiter, quote or none, header, null marker, compression) are drawn; the rows are
written as that dialect would write them, read back with ``open_batches`` and must come back equal, with
nothing quarantined and every row counted.
"""

from __future__ import annotations

import bz2
import datetime as dt
import decimal
import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.formats import Quarantine, arrow_schema, open_batches
from migrate.storage import open_storage

PROPS = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    nullable: bool = True


@dataclass(frozen=True)
class Fmt:
    kind: str
    delimiter: str | None
    header: bool
    quote: str | None
    escape: str | None
    null_marker: str | None
    compression: str
    encoding: str = "utf-8"


TYPES = ["bigint", "int", "smallint", "double", "string", "boolean", "date", "timestamp", "decimal(12,3)"]


@st.composite
def dialects(draw: st.DrawFn) -> Fmt:
    delimiter = draw(st.sampled_from([",", "\t", "|", ";", "\x01"]))
    quote = draw(st.sampled_from([None, '"', "'"]))
    null_marker = draw(st.sampled_from([None, "\\N", "NULL"]))
    return Fmt("csv", delimiter, draw(st.booleans()), quote, None, null_marker,
               draw(st.sampled_from(["none", "gzip", "bzip2", "zstd"])))


def _value(typ: str, fmt: Fmt) -> st.SearchStrategy[Any]:
    if typ in ("bigint", "int", "smallint"):
        bits = {"bigint": 63, "int": 31, "smallint": 15}[typ]
        return st.integers(-(2**bits), 2**bits - 1)
    if typ == "double":
        return st.floats(allow_nan=False, allow_infinity=False)
    if typ == "boolean":
        return st.booleans()
    if typ == "date":
        return st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))
    if typ == "timestamp":
        return st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1))
    if typ.startswith("decimal"):
        return st.decimals(min_value=-(10**9) + 1, max_value=10**9 - 1, places=3, allow_nan=False,
                           allow_infinity=False)
    # Strings: without quoting a field cannot hold the delimiter or a line break; never the null marker.
    banned = {"\n", "\r"} | ({fmt.delimiter} if fmt.quote is None and fmt.delimiter else set())
    alphabet = st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(banned) + "\x00")
    text = st.text(alphabet, max_size=12).filter(lambda s: s != fmt.null_marker)
    if fmt.quote is None:  # an unquoted field starting with a quote char would be read as quoted: none set
        return text
    return st.one_of(text, st.sampled_from([fmt.quote, f"a{fmt.quote}b", f"{fmt.delimiter}x\ny"]))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Fmt, list[Col], list[list[Any]]]:
    fmt = draw(dialects())
    n = draw(st.integers(1, 6))
    cols = [Col("id", "bigint", False)] + [Col(f"c{i}", draw(st.sampled_from(TYPES))) for i in range(n)]
    rows = []
    for i in range(draw(st.integers(0, 40))):
        row: list[Any] = [i]
        for c in cols[1:]:
            # A null string needs a null marker (an empty field is the empty string in string columns).
            can_null = c.type != "string" or fmt.null_marker is not None
            row.append(None if can_null and draw(st.booleans()) and draw(st.booleans())
                       else draw(_value(c.type, fmt)))
        rows.append(row)
    return fmt, cols, rows


def _text(v: Any, typ: str, fmt: Fmt) -> str:
    if v is None:
        return fmt.null_marker if fmt.null_marker is not None else ""
    if typ == "double":
        return repr(v)
    if typ == "boolean":
        return "true" if v else "false"
    if typ == "timestamp":
        return v.isoformat(sep=" ")
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    s = str(v)
    if typ == "string" and fmt.quote and (any(ch in s for ch in (fmt.delimiter or "", fmt.quote, "\n", "\r"))
                                          or s == ""):
        return fmt.quote + s.replace(fmt.quote, fmt.quote * 2) + fmt.quote
    return s


def write(path: Path, fmt: Fmt, cols: list[Col], rows: list[list[Any]]) -> None:
    d = fmt.delimiter or ","
    lines = [d.join(c.name for c in cols)] if fmt.header else []
    lines += [d.join(_text(v, c.type, fmt) for v, c in zip(row, cols, strict=True)) for row in rows]
    data = "".join(line + "\n" for line in lines).encode()
    data = {"none": lambda b: b, "gzip": gzip.compress, "bzip2": bz2.compress,
            "zstd": zstandard.ZstdCompressor().compress}[fmt.compression](data)
    path.write_bytes(data)


@PROPS
@given(cases())
def test_delimited_round_trip(tmp_path: Path, case: tuple[Fmt, list[Col], list[list[Any]]]) -> None:
    fmt, cols, rows = case
    path = tmp_path / "data.txt"
    write(path, fmt, cols, rows)
    schema = arrow_schema(cols)
    q = Quarantine(None)
    stream = open_batches(open_storage(path.as_uri()), f"file://{path}", fmt, schema, quarantine=q,
                          partition_values={})
    batches = list(stream)
    assert q.records == [], q.records[:3]
    got = pa.Table.from_batches(batches, schema=stream.schema) if batches else schema.empty_table()
    want = pa.table([pa.array([r[i] for r in rows], f.type) for i, f in enumerate(schema)], schema=schema)
    assert got.num_rows == len(rows)
    assert (stream.counts.rows_in, stream.counts.rows_out, stream.counts.rows_quarantined) == (len(rows),) * 2 + (0,)
    for name in schema.names:
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
