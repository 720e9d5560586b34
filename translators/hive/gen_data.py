"""Deterministic test rows for legacy table shapes (``TableInfo``), and Hive text files that hold them.

Used by the equality runs: the same generated rows fill a table in Spark's Hive mode and its translation
target, and the same text file feeds a ``LOAD DATA`` on both sides. Values are small and varied on purpose:
NULLs, empty strings, numbers written as strings, strings that are not numbers or dates (Hive reads those
as NULL where ANSI Spark raises), negative numbers and repeated keys (joins and groups have work to do).
Column names steer a few values towards what Hive's test tables hold (``key`` '0'..'498', ``value``
'val_<key>', ``ds``/``hr`` partitions, ``p_mfgr`` 'Manufacturer#N').
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from typing import Any

from .context import TableInfo
from .files import split_type_args

_WORDS = ["alpha", "beta", "gamma", "delta", "x1", "", " padded ", "100", "86", "2008-04-08", "N/A", "val_10"]


def value(rnd: random.Random, hive_type: str, column: str = "", row: int = 0, nulls: bool = True) -> Any:
    """One Python value of ``hive_type`` (as pyspark takes it)."""
    t = re.sub(r"\s+", "", hive_type.lower())
    col = column.lower()
    if col == "id" or col.endswith("partkey"):
        return row + 1  # unique: orderings on it are total
    if nulls and rnd.random() < 0.07 and col not in ("ds", "hr", "dt"):
        return None
    if t.startswith("array<"):
        return [value(rnd, t[6:-1], "", row) for _ in range(rnd.randint(0, 3))]
    if t.startswith("map<"):
        k, v = [*split_type_args(t[4:-1]), "string", "string"][:2]
        return {value(rnd, k, "", row, nulls=False): value(rnd, v, "", row) for _ in range(rnd.randint(0, 3))}
    if t.startswith("struct<"):
        fields = [f.split(":", 1) for f in split_type_args(t[7:-1])]
        return tuple(value(rnd, ft, fn, row) for fn, ft in fields)
    if t in ("tinyint", "smallint", "int", "integer", "bigint"):
        hi = 100 if t == "tinyint" else 500
        if col.endswith("key") or col in ("id", "i"):
            return rnd.randint(0, hi)
        return rnd.randint(-20, hi)
    if t in ("float", "double"):
        return round(rnd.uniform(-50, 2000), 2)
    if t.startswith("decimal"):
        m = re.match(r"decimal\((\d+),(\d+)\)", t)
        p, s = (int(m.group(1)), int(m.group(2))) if m else (10, 0)
        top = min(10 ** (p - s) - 1, 100000)
        return Decimal(f"{rnd.uniform(-top / 10, top):.{s}f}")
    if t == "boolean":
        return rnd.random() < 0.5
    if t == "date":
        return dt.date(2008, 4, 1) + dt.timedelta(days=rnd.randint(0, 40))
    if t == "timestamp":
        return dt.datetime(2008, 4, 8, 0, 0) + dt.timedelta(seconds=rnd.randint(0, 86400 * 30))
    if t == "binary":
        return bytes(rnd.randint(0, 255) for _ in range(rnd.randint(0, 4)))
    # strings (string, varchar(n), char(n))
    if col == "key":
        return str(rnd.randint(0, 498))
    if col == "value":
        return f"val_{rnd.randint(0, 498)}"
    if col in ("ds", "dt"):
        return rnd.choice(["2008-04-08", "2008-04-09"])
    if col == "hr":
        return rnd.choice(["11", "12"])
    if col == "p_mfgr":
        return f"Manufacturer#{rnd.randint(1, 5)}"
    if col == "p_brand":
        return f"Brand#{rnd.randint(1, 5)}{rnd.randint(1, 5)}"
    if "date" in col or col.endswith("_dt"):
        return rnd.choice(["2008-04-08", "2008-04-30", "2011-05-06", "garbage", "2008-4-8"])
    word = rnd.choice(_WORDS)
    if t.startswith(("varchar", "char")):
        n = int(re.sub(r"\D", "", t) or 10)
        word = word[:n]
    return word


def rows(info: TableInfo, count: int, seed: int = 7, with_partitions: bool = True) -> list[tuple[Any, ...]]:
    rnd = random.Random(f"{seed}:{info.name}")
    cols = [*info.columns, *(info.partitions if with_partitions else [])]
    key_first = [(n, t) for n, t in cols]
    return [tuple(value(rnd, t, n, i) for n, t in key_first) for i in range(count)]


def spark_schema(info: TableInfo, with_partitions: bool = True) -> str:
    from sqlglot import exp

    cols = [*info.columns, *(info.partitions if with_partitions else [])]
    return ", ".join(f"`{n}` {exp.DataType.build(t, dialect='hive').sql('spark')}" for n, t in cols)


# ---------------------------------------------------------------- Hive text files

def _separator(info: TableInfo, level: int) -> str:
    if level == 1:
        return info.field_delim or "\x01"
    if level == 2:
        return info.collection_delim or "\x02"
    if level == 3:
        return info.map_key_delim or "\x03"
    return chr(level)


def _text(v: Any, hive_type: str, info: TableInfo, level: int) -> str:
    t = re.sub(r"\s+", "", hive_type.lower())
    if v is None:
        return info.null_format if info.null_format is not None else "\\N"
    if t.startswith("array<"):
        return _separator(info, level).join(_text(x, t[6:-1], info, level + 1) for x in v)
    if t.startswith("map<"):
        k, vt = [*split_type_args(t[4:-1]), "string", "string"][:2]
        return _separator(info, level).join(
            _text(a, k, info, level + 2) + _separator(info, level + 1) + _text(b, vt, info, level + 2)
            for a, b in v.items())
    if t.startswith("struct<"):
        fields = [f.split(":", 1)[1] for f in split_type_args(t[7:-1])]
        return _separator(info, level).join(_text(x, ft, info, level + 1) for x, ft in zip(v, fields, strict=True))
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def hive_text(info: TableInfo, data: list[tuple[Any, ...]], garbage: bool = True) -> str:
    """Lines as Hive's LazySimpleSerDe writes them (data columns only); with ``garbage``, a few fields that do not
    parse as their column's type, a short line and a long one (Hive reads NULLs / ignores the extra)."""
    delim = _separator(info, 1)
    lines = []
    for i, row in enumerate(data):
        fields = [_text(v, t, info, 2) for v, (_, t) in zip(row, info.columns, strict=False)]
        if garbage and i % 11 == 5:
            for j, (_, t) in enumerate(info.columns):
                if re.match(r"(tiny|small|big)?int|double|float|decimal|date|timestamp|boolean", t):
                    fields[j] = "not_a_value"
                    break
        line = delim.join(fields)
        if garbage and i % 13 == 7 and len(fields) > 1:
            line = delim.join(fields[:-1])
        if garbage and i % 17 == 3:
            line += delim + "extra"
        lines.append(line)
    return "\n".join(lines) + "\n"
