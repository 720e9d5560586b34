"""A small legacy estate of nested data, shaped unlike ``migrate.estate``, and what each dataset must become.

- ``clickstream/``: JSON lines (gzip), the event-log shape of issue 15 (``meta`` an object) plus arrays of
  strings and of objects, a map keyed by dates, an attribute bag whose shape varies (object, string,
  number, array: JSON text) and an always-empty object.
- ``sessions/``: Avro records with a nested record (two levels, a nullable one), arrays of strings and of
  records, a map of longs and a union of two types.
- ``profiles/``: Parquet with a struct, a map<string,double> and a list of structs, over two files.
- ``devices/``: ORC with a struct, a map and a list.

``expected(name)`` gives the rows each dataset must read back as (maps as dicts, JSON text parsed), sorted
by their first column, for ``comparable`` tables.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa

N_EVENTS = 400  # per file, two files
N_SESSIONS = 300
N_PROFILES = 250  # per file, two files
N_DEVICES = 200


def _events(seed: int, first_id: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(first_id, first_id + N_EVENTS):
        attrs: Any = [{"plan": rnd.choice(["free", "pro"]), "seats": rnd.randrange(1, 9)}, "legacy-client",
                      rnd.randrange(100), [1, "two"], None][i % 5]
        out.append({
            "id": i,
            "kind": rnd.choice(["view", "click", "buy"]),
            "ts": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00",
            "meta": {"k": i, "ref": None if i % 4 == 0 else f"r{i % 13}", "ab": {"bucket": i % 2, "on": i % 3 == 0}},
            "tags": [rnd.choice(["red", "green", "blue"]) for _ in range(i % 4)],
            "items": [{"sku": f"S{j}", "qty": j + 1, "price": round(rnd.uniform(1, 99), 2)} for j in range(i % 3)],
            "daily": {f"2026-01-{d:02d}": rnd.randrange(50) for d in range(1, 2 + i % 6)},
            "attrs": attrs,
            "ext": {},
        })
    return out


def _sessions() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    schema = {
        "type": "record", "name": "Session", "namespace": "com.legacy.web", "fields": [
            {"name": "session_id", "type": "long"},
            {"name": "device", "type": {"type": "record", "name": "Device", "fields": [
                {"name": "os", "type": "string"},
                {"name": "screen", "type": ["null", {"type": "record", "name": "Screen", "fields": [
                    {"name": "w", "type": "int"}, {"name": "h", "type": "int"}]}]},
            ]}},
            {"name": "pages", "type": {"type": "array", "items": "string"}},
            {"name": "clicks", "type": {"type": "array", "items": {"type": "record", "name": "Click", "fields": [
                {"name": "x", "type": "int"}, {"name": "y", "type": "int"},
                {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}}},
            {"name": "counters", "type": {"type": "map", "values": "long"}},
            {"name": "referrer", "type": ["null", "Device"]},
            {"name": "score", "type": ["null", "string", "double"]},
        ]}
    rnd = random.Random(7)
    recs = []
    for i in range(N_SESSIONS):
        at = dt.datetime(2026, 2, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i * 37)
        recs.append({
            "session_id": 10_000 + i,
            "device": {"os": rnd.choice(["android", "ios", "web"]),
                       "screen": None if i % 5 == 0 else {"w": 320 + i, "h": 480 + i}},
            "pages": [f"/p/{j}" for j in range(i % 4)],
            "clicks": [{"x": j, "y": i % 7, "at": at + dt.timedelta(seconds=j)} for j in range(i % 3)],
            "counters": {f"c{j}": i * j for j in range(i % 3)},
            "referrer": None if i % 2 else {"os": "web", "screen": None},
            "score": [None, "high", 0.5 + i][i % 3],
        })
    return schema, recs


def _profiles(first: int) -> pa.Table:
    rows = []
    for i in range(first, first + N_PROFILES):
        rows.append({
            "user_id": i,
            "name": {"first": f"F{i}", "last": None if i % 6 == 0 else f"L{i}"},
            "prefs": {"volume": i / 10, "speed": 1.5} if i % 4 else {},
            "addresses": [{"city": f"C{j}", "zip": 1000 + j} for j in range(i % 3)] if i % 5 else None,
        })
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("user_id", pa.int64()),
        ("name", pa.struct([("first", pa.string()), ("last", pa.string())])),
        ("prefs", pa.map_(pa.string(), pa.float64())),
        ("addresses", pa.list_(pa.struct([("city", pa.string()), ("zip", pa.int32())]))),
    ]))


def _devices() -> pa.Table:
    rows = []
    for i in range(N_DEVICES):
        rows.append({
            "device_id": i,
            "hw": {"model": f"M{i % 9}", "ram_gb": 2 + i % 6, "sensors": [f"s{j}" for j in range(i % 4)]},
            "firmware": {"boot": f"1.{i % 5}", "radio": f"r{i % 3}"},
            "readings": [float(i) + j / 4 for j in range(i % 5)],
        })
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("device_id", pa.int64()),
        ("hw", pa.struct([("model", pa.string()), ("ram_gb", pa.int32()), ("sensors", pa.list_(pa.string()))])),
        ("firmware", pa.map_(pa.string(), pa.string())),
        ("readings", pa.list_(pa.float64())),
    ]))


def write(root: Path) -> dict[str, Path]:
    """Write the estate below ``root``; returns the dataset folders by name."""
    import fastavro
    import pyarrow.orc as po
    import pyarrow.parquet as pq

    folders = {n: root / n for n in ("clickstream", "sessions", "profiles", "devices")}
    for p in folders.values():
        p.mkdir(parents=True, exist_ok=True)
    for k, first in enumerate((0, N_EVENTS)):
        text = "".join(json.dumps(e) + "\n" for e in _events(k, first))
        (folders["clickstream"] / f"events-{k}.json.gz").write_bytes(gzip.compress(text.encode()))
    schema, recs = _sessions()
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), recs, codec="deflate")
    (folders["sessions"] / "part-00000.avro").write_bytes(buf.getvalue())
    for k, first in enumerate((0, N_PROFILES)):
        pq.write_table(_profiles(first), folders["profiles"] / f"part-{k:05d}.parquet")
    po.write_table(_devices(), folders["devices"] / "000000_0")
    return folders


# --- what the target must hold -------------------------------------------------------------------------


def expected(name: str) -> list[dict[str, Any]]:
    if name == "clickstream":
        rows = _events(0, 0) + _events(1, N_EVENTS)
        for r in rows:
            r["ts"] = dt.datetime.fromisoformat(r["ts"])
            r["ext"] = None if r["ext"] is None else {}
        return rows
    if name == "sessions":
        _, recs = _sessions()
        for r in recs:
            for c in r["clicks"]:
                c["at"] = c["at"].replace(tzinfo=None)
        return recs
    if name == "profiles":
        return comparable(pa.concat_tables([_profiles(0), _profiles(N_PROFILES)]))
    return comparable(_devices())


def comparable(table: pa.Table, json_columns: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rows as plain Python values: maps as dicts, JSON text parsed, timestamps without zone, sorted by the
    first column."""

    def plain(v: Any, t: pa.DataType) -> Any:
        if v is None:
            return None
        if pa.types.is_map(t):
            return {k: plain(x, t.item_type) for k, x in v}
        if pa.types.is_struct(t):
            return {f.name: plain(v.get(f.name), f.type) for f in t}
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return [plain(x, t.value_type) for x in v]
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(dt.UTC).replace(tzinfo=None)
        return v

    out = []
    for row in table.to_pylist():
        rec = {}
        for f in table.schema:
            v = plain(row[f.name], f.type)
            if f.name in json_columns and v is not None:
                v = json.loads(v)
            rec[f.name] = v
        out.append(rec)
    return sorted(out, key=lambda r: next(iter(r.values())))
