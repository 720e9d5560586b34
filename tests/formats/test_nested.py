"""Nested values: the column type grammar, and every reader turning structs, lists and maps into the declared
types (or JSON text), with quarantine reasons that say what is wrong."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.orc as po
import pyarrow.parquet as pq
import pytest

from migrate.column_types import normalize
from migrate.errors import UnsupportedError
from migrate.formats import Quarantine, arrow_schema, open_batches
from migrate.formats.types import arrow_field, type_text
from migrate.storage.local import LocalStorage
from migrate.writers.parquet import storage_schema
from tests.formats.test_readers import Col, Fmt


def read(path: Path, kind: str, cols: list[Col] | None, **kw: object) -> tuple[pa.Table, Quarantine]:
    q = Quarantine(None)
    schema = arrow_schema(cols) if cols is not None else None
    fmt = Fmt(kind=kind, delimiter=None, quote=None)
    with open_batches(LocalStorage(), f"file://{path}", fmt, schema, quarantine=q, **kw) as s:  # type: ignore[arg-type]
        batches = list(s)
    assert s.counts.balanced, s.counts
    return pa.Table.from_batches(batches, schema=s.schema), q


def reasons(q: Quarantine) -> dict[int, str]:
    return {r.get("line", r.get("record")): r["reason"] for r in q.records}


def test_type_grammar() -> None:
    assert normalize("STRUCT< a : INT , `b c`:Array<Map<String,struct<x:DOUBLE>>>>") == \
        "struct<a:int,`b c`:array<map<string,struct<x:double>>>>"
    assert normalize("json") == "json" and normalize("array<json>") == "array<json>"
    for bad, why in [("struct<a:int", "expected ','"), ("map<array<int>,int>", "map keys"),
                     ("struct<a:int,a:int>", "duplicate"), ("array<int>>", "after the type"),
                     ("varchar(10)", "unknown column type"), ("struct<>", "field name")]:
        with pytest.raises(ValueError, match=why):
            normalize(bad)
    f = arrow_field("c", "struct<a:int,j:json,l:array<struct<d:date>>,m:map<string,json>>")
    assert type_text(f.type) == "struct<a:int,j:json,l:array<struct<d:date>>,m:map<string,json>>"
    assert arrow_field("c", "json").metadata == {b"migrate.type": b"json"}
    with pytest.raises(UnsupportedError):
        arrow_field("c", "struct<a")
    # Writers and Iceberg see plain types inside nested ones too.
    s = storage_schema(pa.schema([("a", pa.struct([("b", pa.large_string()), ("t", pa.timestamp("ns"))]))]))
    assert s.field("a").type == pa.struct([("b", pa.string()), ("t", pa.timestamp("us"))])


EVENTS = [
    {"id": 0, "kind": "view", "ts": "2026-01-01T00:00:00", "meta": {"k": 0}, "tags": ["a"], "m": {"x": 1}},
    {"id": 1, "kind": "click", "ts": "2026-01-01T00:00:01", "meta": {"k": 1, "d": "2026-02-03"}, "tags": [],
     "m": {}},
    {"id": 2, "meta": None, "tags": None, "m": None},
]


def test_jsonl_nested_declared_struct_list_map(tmp_path: Path) -> None:
    lines = [json.dumps(e) for e in EVENTS]
    lines += ['{"id": 3, "meta": "n/a"}',  # line 4: a string where an object belongs
              '{"id": 4, "meta": {"k": 1, "extra": true}}',  # 5: a field the struct does not name
              '{"id": 5, "meta": {"k": "seven"}}',  # 6: wrong leaf type
              '{"id": 6, "meta": {"d": "2026-13-45"}}',  # 7: a date that is no date
              '{"id": 7, "meta": {"k": 1}',  # 8: a syntax error
              '[1, 2]',  # 9: not an object
              '{"id": 8, "m": {"y": "text"}}']  # 10: map value of the wrong type
    p = tmp_path / "e.jsonl"
    p.write_text("\n".join(lines) + "\n")
    cols = [Col("id", "bigint"), Col("kind", "string"), Col("ts", "timestamp"),
            Col("meta", "struct<k:bigint,d:date>"), Col("tags", "array<string>"), Col("m", "map<string,bigint>")]
    t, q = read(p, "jsonl", cols)
    assert t.column("id").to_pylist() == [0, 1, 2]
    assert t.column("meta").to_pylist() == [{"k": 0, "d": None}, {"k": 1, "d": dt.date(2026, 2, 3)}, None]
    assert t.column("tags").to_pylist() == [["a"], [], None]
    assert t.column("m").to_pylist() == [[("x", 1)], [], None]
    assert t.schema.field("m").type == pa.map_(pa.string(), pa.int64())
    why = reasons(q)
    assert why[4] == "column meta: expected struct<k:bigint,d:date>, found string"
    assert why[5].startswith("column meta.extra: field not in the declared struct<k:bigint,d:date>")
    assert why[6] == "column meta.k: expected bigint, found string"
    assert why[7].startswith("column meta.d: cannot convert to date")
    assert why[8].startswith("invalid JSON: ")
    assert why[9] == "line holds a JSON array, not an object"
    assert why[10] == "column m.y: expected bigint, found string"
    assert all("invalid JSON" not in why[n] for n in (4, 5, 6, 7, 10))  # a mismatch is not a syntax error


def test_jsonl_struct_fast_path_finds_undeclared_fields(tmp_path: Path) -> None:
    """Without maps or JSON text the chunk goes through pyarrow's reader; a nested field the struct does not
    declare is still found (never dropped), and a top-level one is not read."""
    lines = [json.dumps({"id": i, "meta": {"k": i} if i != 7 else {"k": i, "z": 1}, "top": i}) for i in range(20)]
    p = tmp_path / "s.jsonl"
    p.write_text("\n".join(lines) + "\n")
    t, q = read(p, "jsonl", [Col("id", "bigint"), Col("meta", "struct<k:bigint>")])
    assert t.num_rows == 19 and t.column_names == ["id", "meta"]
    assert reasons(q) == {8: "column meta.z: field not in the declared struct<k:bigint> "
                             "(declare it, or make the column json)"}


def test_jsonl_string_and_json_columns(tmp_path: Path) -> None:
    """A ``string`` column keeps strings and writes anything else as JSON text; ``json`` writes every value
    as JSON text; the same on both of the reader's paths (chunks of a few lines, some all strings)."""
    values = ["plain", {"a": [1, 2.5, None], "é": True}, 42, [{"x": "y"}], None, "more", "text", "still text"]
    p = tmp_path / "j.jsonl"
    p.write_text("".join(json.dumps({"id": i, "v": v}, ensure_ascii=False) + "\n" for i, v in enumerate(values)))
    t, q = read(p, "jsonl", [Col("id", "bigint"), Col("v", "string")], chunk_bytes=40)
    assert not q.records
    assert t.column("v").to_pylist() == ["plain", '{"a":[1,2.5,null],"é":true}', "42", '[{"x":"y"}]', None,
                                         "more", "text", "still text"]
    t, _ = read(p, "jsonl", [Col("id", "bigint"), Col("v", "json")], chunk_bytes=40)
    assert [None if s is None else json.loads(s) for s in t.column("v").to_pylist()] == values
    t, q = read(p, "jsonl", [Col("v", "map<string,json>")], chunk_bytes=10_000)
    assert t.column("v").to_pylist() == [[("a", "[1,2.5,null]"), ("é", "true")], None]
    assert len(q.records) == 6 and "column v: expected map<string,json>, found string" in reasons(q).values()


def test_jsonl_inferred_nested_without_a_plan_schema(tmp_path: Path) -> None:
    p = tmp_path / "i.jsonl"
    p.write_text("".join(json.dumps(e) + "\n" for e in EVENTS[:2]))
    t, q = read(p, "jsonl", None)
    assert pa.types.is_struct(t.schema.field("meta").type) and not q.records
    assert t.column("meta").to_pylist()[1] == {"k": 1, "d": dt.datetime(2026, 2, 3)}  # pyarrow infers it


AVSC = {"type": "record", "name": "S", "namespace": "ns", "fields": [
    {"name": "id", "type": "long"},
    {"name": "dev", "type": {"type": "record", "name": "Dev", "fields": [
        {"name": "os", "type": "string"},
        {"name": "at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]}]}},
    {"name": "prev", "type": ["null", "ns.Dev"]},  # a named type used again by its full name
    {"name": "pages", "type": {"type": "array", "items": {"type": "record", "name": "P", "fields": [
        {"name": "url", "type": "string"}]}}},
    {"name": "counts", "type": {"type": "map", "values": ["null", "long"]}},
    {"name": "either", "type": ["null", "string", "long"]},  # no Arrow type: JSON text
    {"name": "tree", "type": {"type": "record", "name": "Node", "fields": [  # recursive: JSON text
        {"name": "v", "type": "int"}, {"name": "kids", "type": {"type": "array", "items": "ns.Node"}}]}},
]}


def _avro(tmp_path: Path) -> Path:
    import fastavro

    at = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    recs = [{"id": i, "dev": {"os": "ios", "at": at if i else None}, "prev": None if i else {"os": "web", "at": None},
             "pages": [{"url": f"/{j}"} for j in range(i)], "counts": {"a": i, "b": None},
             "either": ["s", 5, None][i], "tree": {"v": i, "kids": [{"v": 9, "kids": []}]}} for i in range(3)]
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(AVSC), recs)
    p = tmp_path / "s.avro"
    p.write_bytes(buf.getvalue())
    return p


def test_avro_nested_records_arrays_maps(tmp_path: Path) -> None:
    p = _avro(tmp_path)
    t, q = read(p, "avro", None)
    assert not q.records
    assert t.schema.field("dev").type == pa.struct([("os", pa.string()), ("at", pa.timestamp("us", tz="UTC"))])
    assert t.schema.field("prev").type == t.schema.field("dev").type
    assert t.column("pages").to_pylist()[2] == [{"url": "/0"}, {"url": "/1"}]
    assert t.column("counts").to_pylist()[1] == [("a", 1), ("b", None)]
    assert t.column("either").to_pylist() == ['"s"', "5", None]
    assert json.loads(t.column("tree").to_pylist()[0]) == {"v": 0, "kids": [{"v": 9, "kids": []}]}
    # Declared: zone-less timestamps inside the struct, one struct as JSON text, the union as json.
    cols = [Col("id", "bigint"), Col("dev", "struct<os:string,at:timestamp>"), Col("prev", "json"),
            Col("pages", "array<struct<url:string>>"), Col("either", "json"), Col("tree", "string")]
    t, q = read(p, "avro", cols)
    assert not q.records
    assert t.column("dev").to_pylist()[1] == {"os": "ios", "at": dt.datetime(2026, 3, 1, 12, 0)}
    assert json.loads(t.column("prev").to_pylist()[0]) == {"os": "web", "at": None}
    assert t.column("either").to_pylist() == ['"s"', "5", None]  # already JSON text: not quoted twice
    # The inventory names the same types the reader produces.
    from migrate.inventory.schema_infer import avro_columns

    types = {c.name: c.type for c in avro_columns(AVSC)}
    assert types["prev"] == "struct<os:string,at:timestamp>" and types["either"] == "json"
    assert types["counts"] == "map<string,bigint>" and types["tree"] == "json"


def test_parquet_and_orc_structs_maps_lists_cast_to_declared(tmp_path: Path) -> None:
    table = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "s": pa.array([{"a": 1, "b": "x"}, None, {"a": 3, "b": None}],
                      pa.struct([("a", pa.int32()), ("b", pa.string())])),
        "m": pa.array([[("k", 1.5)], None, []], pa.map_(pa.string(), pa.float64())),
        "l": pa.array([[1, 2], [], None], pa.list_(pa.int16())),
    })
    pq.write_table(table, tmp_path / "t.parquet")
    po.write_table(table, tmp_path / "t.orc")
    for path, kind in ((tmp_path / "t.parquet", "parquet"), (tmp_path / "t.orc", "orc")):
        t, q = read(path, kind, None)
        assert t.column("s").to_pylist() == table.column("s").to_pylist() and not q.records
        cols = [Col("id", "bigint"), Col("s", "struct<b:string,a:bigint,c:date>"), Col("m", "map<string,json>"),
                Col("l", "array<bigint>")]
        t, q = read(path, kind, cols)
        assert t.column("s").to_pylist() == [{"b": "x", "a": 1, "c": None}, None, {"b": None, "a": 3, "c": None}]
        assert t.column("m").to_pylist() == [[("k", "1.5")], None, []]
        assert t.column("l").to_pylist() == [[1, 2], [], None] and not q.records
        t, q = read(path, kind, [Col("id", "bigint"), Col("s", "json"), Col("m", "string")])
        assert t.column("s").to_pylist() == ['{"a":1,"b":"x"}', None, '{"a":3,"b":null}']
        assert t.column("m").to_pylist() == ['{"k":1.5}', None, "{}"]
        # A struct declared without a field the data has: the rows holding a value there are quarantined.
        t, q = read(path, kind, [Col("id", "bigint"), Col("s", "struct<a:bigint>")])
        assert t.column("id").to_pylist() == [2, 3] and len(q.records) == 1  # row 3 has no value in b
        assert q.records[0]["reason"].startswith("column s.b: field not in the declared struct<a:bigint>")
        with pytest.raises(UnsupportedError, match="cannot convert column id from bigint to struct<a:int>"):
            read(path, kind, [Col("id", "struct<a:int>")])


def test_jsonl_both_paths_read_the_same_values(tmp_path: Path) -> None:
    """Timestamps with zone offsets, dates and decimals come out the same whether a chunk goes through
    pyarrow's reader or value by value (forced here by a ``json`` column)."""
    rows = [{"ts": ts, "d": "2026-02-03", "p": 12.5, "j": {"a": i}} for i, ts in enumerate(
        ["2026-01-01T00:00:00Z", "2026-01-01T02:00:00+02:00", "2026-01-01 00:00:00", "2026-01-01T00:00:00.5"])]
    p = tmp_path / "t.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cols = [Col("ts", "timestamp"), Col("d", "date"), Col("p", "decimal(6,2)")]
    fast, q1 = read(p, "jsonl", cols)
    slow, q2 = read(p, "jsonl", [*cols, Col("j", "json")])
    assert not q1.records and not q2.records
    assert slow.select(["ts", "d", "p"]).to_pylist() == fast.to_pylist()
    assert fast.column("ts").to_pylist()[:2] == [dt.datetime(2026, 1, 1)] * 2  # offsets: UTC wall time


def test_jsonl_rewrite_path_json_text_and_maps(tmp_path: Path) -> None:
    """JSON text and map columns are read by pyarrow after each line is rewritten; blank lines, nulls, an
    integer beyond 64 bits (kept exactly: orjson would round it) and a misfit (read value by value, with
    its reason) all come out as on the value-by-value path."""
    lines = [json.dumps({"id": 1, "j": {"a": [1, "x"]}, "m": {"2026-01-01": 3, "b": None}}), "",
             json.dumps({"id": 2, "j": "text", "m": None}), json.dumps({"id": 3, "j": None, "m": {}}),
             '{"id": 4, "j": 123456789012345678901234, "m": {"k": 1}}']
    p = tmp_path / "r.jsonl"
    p.write_text("\n".join(lines) + "\n")
    cols = [Col("id", "bigint"), Col("j", "json"), Col("m", "map<string,bigint>")]
    t, q = read(p, "jsonl", cols)
    assert not q.records
    assert t.to_pylist() == [
        {"id": 1, "j": '{"a":[1,"x"]}', "m": [("2026-01-01", 3), ("b", None)]},
        {"id": 2, "j": '"text"', "m": None}, {"id": 3, "j": None, "m": []},
        {"id": 4, "j": "123456789012345678901234", "m": [("k", 1)]}]
    p.write_text("\n".join(lines[:4]) + '\n{"id": 5, "j": 1, "m": {"k": "v"}}\n')
    t, q = read(p, "jsonl", cols)
    assert t.column("id").to_pylist() == [1, 2, 3] and reasons(q) == {5: "column m.k: expected bigint, found string"}


def test_jsonl_byte_ranges_read_every_line_once(tmp_path: Path) -> None:
    """JSON strings hold no raw newline, so any cut works: ranges together read each line exactly once, and a
    quarantined line keeps its line number in the file."""
    from migrate.formats import split_ranges

    lines = [json.dumps({"id": i, "m": {"k": i}, "j": [i] if i % 3 else "x"}) for i in range(3000)]
    lines[1234], lines[2500] = '{"id": 1234, "m": "bad"}', "{bad json"
    p = tmp_path / "big.jsonl"
    p.write_text("\n".join(lines) + "\n")
    cols = [Col("id", "bigint"), Col("m", "struct<k:bigint>"), Col("j", "json")]
    whole, wq = read(p, "jsonl", cols)
    ranges = split_ranges(LocalStorage(), f"file://{p}", Fmt(kind="jsonl", delimiter=None, quote=None), 5000)
    assert len(ranges) > 10
    parts, lines_q = [], []
    for r in ranges:
        t, q = read(p, "jsonl", cols, byte_range=r, chunk_bytes=2000)
        parts.append(t)
        lines_q += [rec["line"] for rec in q.records]
    assert pa.concat_tables(parts).equals(whole) and whole.num_rows == 2998
    assert sorted(lines_q) == sorted(rec["line"] for rec in wq.records) == [1235, 2501]
