"""Readers: every format reads back what was generated; misfits are quarantined and counted."""

from __future__ import annotations

import bz2
import datetime as dt
import decimal
import gzip
import itertools
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.orc as po
import pyarrow.parquet as pq
import pytest
import zstandard

from migrate.errors import FormatError, UnsupportedError
from migrate.formats import (
    Quarantine,
    arrow_schema,
    open_batches,
    partition_values_from_path,
    split_ranges,
    split_refusal_for,
)
from migrate.formats.types import arrow_type, parse_partition_value
from migrate.storage.local import LocalStorage
from tests.formats.seqfile_writer import BYTES, DEFAULT_CODEC, GZIP_CODEC, TEXT, write_seqfile


@dataclass(frozen=True)
class Fmt:
    kind: str = "csv"
    delimiter: str | None = ","
    header: bool = True
    quote: str | None = '"'
    escape: str | None = None
    null_marker: str | None = None
    compression: str = "auto"
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    nullable: bool = True


STORE = LocalStorage()
SCHEMA = arrow_schema([Col("id", "bigint", False), Col("amount", "double"), Col("name", "string"),
                       Col("day", "date"), Col("ts", "timestamp"), Col("flag", "boolean"),
                       Col("price", "decimal(10,2)")])


def rows(n: int, seed: int = 0) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        out.append({
            "id": i,
            "amount": None if i % 7 == 3 else round(rnd.uniform(-1e6, 1e6), 3),
            "name": None if i % 11 == 5 else rnd.choice(["a", "b,c", "d e", 'q"uote', "ü"]),
            "day": None if i % 13 == 2 else dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randrange(2000)),
            "ts": None if i % 17 == 1 else dt.datetime(2021, 1, 1) + dt.timedelta(seconds=rnd.randrange(10**8)),
            "flag": None if i % 5 == 4 else rnd.random() < 0.5,
            "price": None if i % 19 == 7 else decimal.Decimal(rnd.randrange(-10**8, 10**8)) / 100,
        })
    return out


def csv_text(data: list[dict[str, object]], *, delim: str = ",", null: str = "", quote: bool = True,
             header: bool = True) -> str:
    def cell(v: object) -> str:
        if v is None:
            return null
        if isinstance(v, bool):
            return "true" if v else "false"
        s = str(v)
        if quote and (delim in s or '"' in s):
            return '"' + s.replace('"', '""') + '"'
        return s

    lines = [delim.join(SCHEMA.names)] if header else []
    lines += [delim.join(cell(r[k]) for k in SCHEMA.names) for r in data]
    return "\n".join(lines) + "\n"


def read_all(path: Path | str, fmt: Fmt, schema: pa.Schema | None = SCHEMA, **kw: object
             ) -> tuple[pa.Table, object, Quarantine]:
    q = Quarantine(None)
    uri = f"file://{path}"
    s = open_batches(STORE, uri, fmt, schema, quarantine=q, **kw)  # type: ignore[arg-type]
    with s:
        batches = list(s)
    t = pa.Table.from_batches(batches, schema=s.schema)
    assert s.counts.balanced, s.counts
    return t, s.counts, q


def test_types_and_partitions() -> None:
    assert arrow_type("decimal(12, 2)") == pa.decimal128(12, 2)
    assert arrow_type("INT") == pa.int32()
    with pytest.raises(UnsupportedError):
        arrow_type("varchar2")
    assert parse_partition_value("__HIVE_DEFAULT_PARTITION__") is None
    assert parse_partition_value("a%2Fb%3Dc") == "a/b=c"
    assert partition_values_from_path("file:///root/x=1/dt=2024-01-01/c=%41b/f.csv", "file:///root") == {
        "x": "1", "dt": "2024-01-01", "c": "Ab"}


@pytest.mark.parametrize("chunk", [300, 1 << 20])
def test_csv_roundtrip_typed(tmp_path: Path, chunk: int) -> None:
    data = rows(500)
    p = tmp_path / "a.csv"
    p.write_text(csv_text(data, null="\\N"))  # without a marker a CSV null string reads as ""
    t, counts, q = read_all(p, Fmt(null_marker="\\N"), chunk_bytes=chunk)
    assert t.schema == SCHEMA
    assert t.to_pylist() == data
    assert counts.rows_in == 500 and not q.records  # type: ignore[attr-defined]


def test_hive_text_ctrl_a_no_header_partitions(tmp_path: Path) -> None:
    data = rows(200)
    d = tmp_path / "t" / "dt=2024-01-02" / "src=web%2Fapp"
    d.mkdir(parents=True)
    p = d / "000000_0"
    p.write_text(csv_text(data, delim="\x01", null="\\N", quote=False, header=False))
    schema = SCHEMA.append(pa.field("dt", pa.date32()))
    fmt = Fmt(kind="hive_text", delimiter="\x01", header=False, quote=None, null_marker="\\N")
    t, _, _ = read_all(p, fmt, schema, partition_values=partition_values_from_path(f"file://{p}", f"file://{tmp_path}/t"))
    assert t.schema.names == [*SCHEMA.names, "dt", "src"]
    assert t.column("dt").to_pylist() == [dt.date(2024, 1, 2)] * 200
    assert t.column("src").to_pylist() == ["web/app"] * 200
    assert t.select(SCHEMA.names).to_pylist() == data


def test_null_marker_vs_empty_string(tmp_path: Path) -> None:
    p = tmp_path / "n.tsv"
    p.write_text("a\tb\n\\N\t\\N\n\t\nx\t5\n")
    schema = arrow_schema([Col("a", "string"), Col("b", "int")])
    t, _, _ = read_all(p, Fmt(kind="tsv", delimiter="\t", quote=None, null_marker="\\N"), schema)
    assert t.to_pylist() == [{"a": None, "b": None}, {"a": "", "b": None}, {"a": "x", "b": 5}]


def test_tsv_no_header_inferred(tmp_path: Path) -> None:
    p = tmp_path / "x.tsv"
    p.write_text("1\t2.5\ttrue\t2024-01-01\t2024-01-01 10:00:00\thello\n"
                 "2\t\tfalse\t2024-01-02\t2024-01-02T11:00:00\tw\n")
    t, _, _ = read_all(p, Fmt(kind="tsv", delimiter="\t", header=False, quote=None), None)
    assert [f.type for f in t.schema] == [pa.int64(), pa.float64(), pa.bool_(), pa.date32(),
                                          pa.timestamp("us"), pa.string()]
    assert t.schema.names == ["_c0", "_c1", "_c2", "_c3", "_c4", "_c5"]
    assert t.column("_c1").to_pylist() == [2.5, None]


@pytest.mark.parametrize("codec", ["gzip", "bzip2", "zstd"])
def test_compressed(tmp_path: Path, codec: str) -> None:
    data = rows(300, seed=3)
    raw = csv_text(data, null="\\N").encode()
    comp = {"gzip": lambda b: gzip.compress(b[:1000]) + gzip.compress(b[1000:]),  # multi-member
            "bzip2": bz2.compress, "zstd": lambda b: zstandard.ZstdCompressor().compress(b)}[codec](raw)
    p = tmp_path / "c.csv.x"
    p.write_bytes(comp)
    t, _, _ = read_all(p, Fmt(null_marker="\\N"), chunk_bytes=700)
    assert t.to_pylist() == data
    t2, _, _ = read_all(p, Fmt(compression=codec, null_marker="\\N"))
    assert t2.num_rows == 300


def test_corrupt_and_truncated_gzip(tmp_path: Path) -> None:
    raw = gzip.compress(csv_text(rows(2000)).encode())
    p = tmp_path / "bad.csv.gz"
    p.write_bytes(raw[:200] + bytes(b ^ 0x55 for b in raw[200:400]) + raw[400:])
    with pytest.raises(FormatError, match=r"bad\.csv\.gz"):
        read_all(p, Fmt())
    p2 = tmp_path / "trunc.csv.gz"
    p2.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match=r"truncated gzip stream in .*trunc\.csv\.gz"):
        read_all(p2, Fmt())


def test_bad_values_quarantined_with_lines(tmp_path: Path) -> None:
    data = rows(400, seed=5)
    lines = csv_text(data).splitlines()
    # line numbers are 1-based physical lines; line 1 is the header, row i is line i + 2
    lines[10 + 1] = lines[10 + 1].replace(lines[10 + 1].split(",")[0], "ten", 1)  # bad bigint id
    lines[50 + 1] = "50,,,,,,"  # all null except id: fine
    lines[120 + 1] = "120,1.5,x,2024-02-30,,true,"  # impossible date
    lines[200 + 1] = ",1.5,x,2024-02-03,,true,"  # null in non-nullable id
    lines[300 + 1] = "300,1.5,x,2024-02-03,,maybe,1.234"  # bad bool and too many decimals
    lines.insert(350 + 1, "1,2,3")  # ragged, becomes line 352
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines) + "\n")
    for chunk in (1 << 20, 2000):
        t, counts, q = read_all(p, Fmt(), chunk_bytes=chunk)
        recs = sorted(q.records, key=lambda r: r["line"])
        assert [(r["line"], r["column"]) for r in recs] == [
            (12, "id"), (122, "day"), (202, "id"), (302, "flag"), (352, None)]
        assert recs[0]["value"] == "ten" and "int64" in recs[0]["reason"]
        assert recs[2]["reason"].startswith("null in non-nullable")
        assert recs[4]["reason"] == "expected 7 fields, found 3"
        assert counts.rows_in == 401 and counts.rows_quarantined == 5 and counts.rows_out == 396  # type: ignore[attr-defined]
        assert 10 not in t.column("id").to_pylist()


def test_quoted_newlines_and_delimiters(tmp_path: Path) -> None:
    body = ["id,name", '1,"a,b"', '2,"multi', 'line, with comma"', '3,"say ""hi"""', "x,bad", '4,""']
    p = tmp_path / "q.csv"
    p.write_text("\n".join(body) + "\n")
    schema = arrow_schema([Col("id", "int"), Col("name", "string")])
    for chunk in (8, 1 << 20):
        t, _, q = read_all(p, Fmt(), schema, chunk_bytes=chunk)
        assert t.to_pylist() == [{"id": 1, "name": "a,b"}, {"id": 2, "name": "multi\nline, with comma"},
                                 {"id": 3, "name": 'say "hi"'}, {"id": 4, "name": ""}]
        assert [r["line"] for r in q.records] == [6]


def test_split_ranges_cover_every_row_once(tmp_path: Path) -> None:
    data = rows(3000, seed=9)
    fmt = Fmt(kind="hive_text", delimiter="\x01", header=False, quote=None, null_marker="\\N")
    p = tmp_path / "big.txt"
    text = csv_text(data, delim="\x01", null="\\N", quote=False, header=False)
    text = text.replace("\n", "\n\n", 3)  # a few blank lines
    p.write_text(text)
    uri = f"file://{p}"
    bad_line = 1 + 2000 + 3  # make one row bad to check line numbers from a mid-file range
    lines = text.split("\n")
    lines[bad_line - 1] = "oops" + lines[bad_line - 1]
    p.write_text("\n".join(lines))
    size = p.stat().st_size
    for target in (size, 50_000, 7_777, 1_000, 97):
        ranges = split_ranges(STORE, uri, fmt, target)
        assert ranges[0][0] == 0 and ranges[-1][1] == size
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        ids: list[int] = []
        qlines = []
        total_in = 0
        for r in ranges:
            t, counts, q = read_all(p, fmt, byte_range=r, chunk_bytes=4096)
            ids += t.column("id").to_pylist()
            qlines += [x["line"] for x in q.records]
            total_in += counts.rows_in  # type: ignore[attr-defined]
        assert total_in == 3000
        assert sorted(ids) == [i for i in range(3000) if i != 2000]
        assert len(ids) == len(set(ids))
        assert qlines == [bad_line]


def test_split_refused_for_compressed_not_quoted(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(csv_text(rows(50)))
    assert split_refusal_for(STORE, f"file://{p}", Fmt()) is None
    assert len(split_ranges(STORE, f"file://{p}", Fmt(), 1000)) > 1
    g = tmp_path / "a.csv.gz"
    g.write_bytes(gzip.compress(p.read_bytes()))
    assert "compressed" in (split_refusal_for(STORE, f"file://{g}", Fmt(quote=None)) or "")


def test_invalid_utf8_quarantined(tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    p.write_bytes(b"id,name\n1,ok\n2,\xff\xfe\n3,fine\n")
    schema = arrow_schema([Col("id", "int"), Col("name", "string")])
    t, _, q = read_all(p, Fmt(), schema)
    assert t.column("id").to_pylist() == [1, 3]
    assert q.records[0]["line"] == 3 and q.records[0]["reason"] == "invalid UTF-8"


def test_quarantine_file(tmp_path: Path) -> None:
    p = tmp_path / "b.csv"
    p.write_text("id,name\n1,a\nx," + "z" * 1000 + "\n")
    qpath = tmp_path / "q" / "w1.jsonl"
    with Quarantine(qpath, max_value_chars=20) as q:
        s = open_batches(STORE, f"file://{p}", Fmt(), arrow_schema([Col("id", "int"), Col("name", "string")]),
                         quarantine=q)
        assert sum(b.num_rows for b in s) == 1
        assert q.count(f"file://{p}") == 1
    rec = json.loads(qpath.read_text())
    assert rec["source"] == f"file://{p}" and rec["line"] == 3 and rec["column"] == "id"


def test_jsonl(tmp_path: Path) -> None:
    data = rows(300, seed=2)

    def enc(r: dict[str, object]) -> str:
        return json.dumps({k: (str(v) if isinstance(v, dt.date | decimal.Decimal) and v is not None else v)
                           for k, v in r.items()})

    lines = [enc(r) for r in data]
    lines.insert(100, '{"id": "nope", "amount": 1}')  # line 101
    lines.insert(200, "{not json")  # line 201
    lines.insert(250, "")  # blank line: not a row
    p = tmp_path / "x.jsonl.gz"
    p.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    t, counts, q = read_all(p, Fmt(kind="jsonl"), chunk_bytes=5000)
    assert t.to_pylist() == data
    assert sorted(r["line"] for r in q.records) == [101, 201]
    assert counts.rows_in == 302  # type: ignore[attr-defined]
    t2, _, _ = read_all(p, Fmt(kind="jsonl"), None)
    assert t2.schema.field("id").type == pa.int64()


@pytest.mark.parametrize("ranges", [False, True])
def test_jsonl_line_over_the_limit_is_quarantined_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          ranges: bool) -> None:
    """A line longer than the limit (here lowered to 64 KiB) is quarantined with its line number and its
    head, read past without being held whole; the lines around it load, whole file or byte ranges alike,
    including a long last line without a newline."""
    from migrate.formats import jsonl

    monkeypatch.setattr(jsonl, "JSON_MAX_LINE_BYTES", 1 << 16)
    big = "x" * (300 << 10)
    lines = [json.dumps({"id": i, "name": big if i in (3, 9) else f"n{i}"}) for i in range(10)]
    p = tmp_path / "x.jsonl"
    p.write_text("\n".join(lines))  # no newline after the last (long) line
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("name", pa.string())])
    kept: list[dict[str, object]] = []
    q = Quarantine(None)
    spans = split_ranges(STORE, f"file://{p}", Fmt(kind="jsonl"), 100 << 10) if ranges else [None]
    assert len(spans) > 2 or not ranges
    for span in spans:
        with open_batches(STORE, f"file://{p}", Fmt(kind="jsonl"), schema, quarantine=q,  # type: ignore[arg-type]
                          chunk_bytes=16 << 10, byte_range=span) as s:
            kept += pa.Table.from_batches(list(s), schema=s.schema).to_pylist()
            assert s.counts.balanced, s.counts
    assert sorted(r["id"] for r in kept) == [0, 1, 2, 4, 5, 6, 7, 8]  # type: ignore[type-var]
    assert sorted((r["line"], r["reason"].split(" is ")[1][:18]) for r in q.records) == [
        (4, "longer than the li"), (10, "longer than the li")]
    assert all(len(r["value"]) <= 4096 for r in q.records)


def hadoop_blocks(data: bytes, codec: str, block: int = 1 << 16, chunks: int = 2) -> bytes:
    """Hadoop's BlockCompressorStream: per block [raw length][compressed length][chunk]... (big-endian)."""
    arrow = pa.Codec("snappy" if codec == "snappy" else "lz4_raw")
    out = bytearray()
    for i in range(0, len(data), block):
        raw = data[i:i + block]
        out += len(raw).to_bytes(4, "big")
        step = -(-len(raw) // chunks)
        for j in range(0, len(raw), step):
            c = arrow.compress(raw[j:j + step], asbytes=True)
            out += len(c).to_bytes(4, "big") + c
    return bytes(out)


@pytest.mark.parametrize("codec", ["deflate", "snappy", "lz4"])
def test_hadoop_codecs_of_hive_text_output(tmp_path: Path, codec: str) -> None:
    """Hive's compressed text output: DefaultCodec (.deflate, a zlib stream, found by its magic), SnappyCodec
    and Lz4Codec (.snappy / .lz4 block framing, no magic: found by suffix, as Hadoop does); the inventory
    reports the codec and the reader reads every row; LZO is refused naming the file and what to do."""
    import zlib

    from migrate.inventory import RootSpec, build_inventory

    text = "".join(f"{i}\x01name {i}\x01{i * 0.5}\n" for i in range(20000)).encode()
    data = zlib.compress(text) if codec == "deflate" else hadoop_blocks(text, codec)
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / f"000000_0.{codec}").write_bytes(data)
    (ds,) = build_inventory([RootSpec("wh", f"file://{tmp_path}")]).datasets
    assert (ds.format.kind, ds.format.compression, ds.rows) == ("hive_text", codec, 20000)
    fmt = Fmt(kind="hive_text", delimiter="\x01", header=False, quote=None, null_marker="\\N")
    schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("v", pa.float64())])
    t, _, q = read_all(folder / f"000000_0.{codec}", fmt, schema)
    assert t.num_rows == 20000 and not q.records and t.column("v")[-1].as_py() == 19999 * 0.5
    (folder / "x.lzo").write_bytes(b"\x89LZO\x00\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(UnsupportedError, match=r"x\.lzo: LZO-compressed text cannot be read here"):
        read_all(folder / "x.lzo", fmt, schema)


def test_avro(tmp_path: Path) -> None:
    import fastavro

    data = rows(250, seed=4)
    avsc = {"type": "record", "name": "r", "fields": [
        {"name": "id", "type": "long"}, {"name": "amount", "type": ["null", "double"]},
        {"name": "name", "type": ["null", "string"]},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
        {"name": "ts", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
        {"name": "flag", "type": ["null", "boolean"]},
        {"name": "price", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}]},
    ]}
    recs = [dict(r, ts=r["ts"].replace(tzinfo=dt.UTC) if r["ts"] else None) for r in data]  # type: ignore[attr-defined]
    p = tmp_path / "a.avro"
    with open(p, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(avsc), recs, codec="deflate", sync_interval=2000)
    t, _, _ = read_all(p, Fmt(kind="avro"), batch_size=64)
    assert t.to_pylist() == data
    t2, _, _ = read_all(p, Fmt(kind="avro"), None)
    assert t2.num_rows == 250 and t2.schema.field("price").type == pa.decimal128(10, 2)
    # int target narrower than the data: misfits quarantined by record number
    narrow = pa.schema([pa.field("id", pa.int8())])
    t3, counts, q = read_all(p, Fmt(kind="avro"), narrow)
    assert t3.num_rows == 128 and q.records[0]["record"] == 129
    assert counts.rows_quarantined == 122  # type: ignore[attr-defined]


def test_orc_and_parquet(tmp_path: Path) -> None:
    data = rows(1000, seed=6)
    table = pa.Table.from_pylist(data, schema=SCHEMA)
    po.write_table(table, tmp_path / "a.orc", stripe_size=64 * 1024)
    pq.write_table(table, tmp_path / "a.parquet", row_group_size=100)
    for name, kind in (("a.orc", "orc"), ("a.parquet", "parquet")):
        t, _, _ = read_all(tmp_path / name, Fmt(kind=kind), batch_size=64)
        assert t.to_pylist() == data
        t2, _, _ = read_all(tmp_path / name, Fmt(kind=kind), None)
        assert t2.num_rows == 1000
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(FormatError, match=r"junk\.parquet"):
        read_all(tmp_path / "junk.parquet", Fmt(kind="parquet"))


@pytest.mark.parametrize(("codec", "block", "vclass"), [
    (None, False, TEXT), (DEFAULT_CODEC, False, TEXT), (GZIP_CODEC, False, BYTES),
    (DEFAULT_CODEC, True, TEXT), (GZIP_CODEC, True, BYTES)])
def test_sequencefile(tmp_path: Path, codec: str | None, block: bool, vclass: str) -> None:
    data = rows(700, seed=8)
    text = csv_text(data, delim="\x01", null="\\N", quote=False, header=False)
    values = [v.encode() for v in text.splitlines()]
    values[42] = b"42\x01notanumber\x01\\N\x01\\N\x01\\N\x01\\N\x01\\N"
    values[43] = b"short"
    values[44] = b"44\x01line\nbreak"
    p = tmp_path / "s.seq"
    write_seqfile(p, values, codec=codec, block=block, value_class=vclass, metadata={"k": "v"})
    fmt = Fmt(kind="sequencefile", delimiter="\x01", header=False, quote=None, null_marker="\\N")
    t, counts, q = read_all(p, fmt, chunk_bytes=3000)
    expect = [r for i, r in enumerate(data) if i not in (42, 43, 44)]
    assert t.to_pylist() == expect
    assert sorted(r["record"] for r in q.records) == [43, 44, 45]
    assert all("offset" in r for r in q.records)
    assert counts.rows_in == 700  # type: ignore[attr-defined]
    t2, _, _ = read_all(p, fmt, None)
    # inferred from a sample that holds "notanumber": _c1 is a string, so only 2 rows are quarantined
    assert t2.num_rows == 698 and t2.schema.names[0] == "_c0" and t2.schema.field("_c1").type == pa.string()


def test_sequencefile_unsupported_codec(tmp_path: Path) -> None:
    p = tmp_path / "snappy.seq"
    write_seqfile(p, [b"a"], codec="org.apache.hadoop.io.compress.SnappyCodec")
    fmt = Fmt(kind="sequencefile", delimiter="\x01", header=False, quote=None)
    msg = r"unsupported codec org\.apache\.hadoop\.io\.compress\.SnappyCodec in .*snappy\.seq"
    with pytest.raises(UnsupportedError, match=msg):
        read_all(p, fmt)


def test_sequencefile_corrupt(tmp_path: Path) -> None:
    p = tmp_path / "c.seq"
    write_seqfile(p, [b"x" * 100] * 100)
    raw = bytearray(p.read_bytes())
    i = raw.index(b"\xff\xff\xff\xff", 200)  # a sync escape
    raw[i + 4] ^= 0xFF
    p.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=r"sync marker mismatch .*c\.seq|c\.seq.*sync marker mismatch"):
        read_all(p, Fmt(kind="sequencefile", delimiter="\x01", header=False, quote=None))


def test_early_close_stops_prefetch(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(csv_text(rows(2000)))
    s = open_batches(STORE, f"file://{p}", replace(Fmt()), SCHEMA, quarantine=Quarantine(None),
                     chunk_bytes=1000, batch_size=10)
    with s:
        it = iter(s)
        next(it)
    assert s._thread is None


@pytest.mark.parametrize("kind", ["parquet", "orc"])
def test_columnar_split_ranges_read_every_unit_once(tmp_path: Path, kind: str) -> None:
    """Parquet row groups / ORC stripes: ranges cut between units; together they read every row once,
    and a bad value in a later range is still located (record number, and the stripe for ORC)."""
    n = 20_000
    ids = list(range(n))
    amounts: list[object] = [float(i) for i in ids]
    table = pa.table({"id": pa.array(ids, pa.int64()), "amount": pa.array(amounts, pa.float64()),
                      "name": pa.array([f"n{i}" * 20 for i in ids])})
    p = tmp_path / f"big.{kind}"
    if kind == "parquet":
        pq.write_table(table, p, row_group_size=1500)  # 14 row groups
    else:
        po.write_table(table, p, stripe_size=64 << 10)  # many small stripes
    uri = f"file://{p}"
    size = p.stat().st_size
    schema = arrow_schema([Col("id", "bigint", False), Col("amount", "int"), Col("name", "string")])
    fmt = Fmt(kind=kind)
    assert split_refusal_for(STORE, uri, fmt) is None
    for target in (size * 2, size // 3, 1):
        ranges = split_ranges(STORE, uri, fmt, target)
        assert ranges[0][0] == 0 and ranges[-1][1] == size
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        if target == 1:
            assert len(ranges) > 3  # one range per unit
        got: list[int] = []
        for r in ranges:
            t, counts, _ = read_all(p, fmt, None, byte_range=r)
            assert t.num_rows > 0  # cuts fall between units: no empty range
            got += t.column("id").to_pylist()
        assert got == ids
    # A value that does not fit (amount 19999.5 is not an int) quarantined from the last range.
    amounts[-1] = 19999.5
    bad = table.set_column(1, "amount", pa.array(amounts, pa.float64()))
    if kind == "parquet":
        pq.write_table(bad, p, row_group_size=1500)
    else:
        po.write_table(bad, p, stripe_size=64 << 10)
    last = split_ranges(STORE, uri, fmt, 1)[-1]
    t, counts, q = read_all(p, fmt, schema, byte_range=last)
    assert counts.rows_quarantined == 1 and t.num_rows == counts.rows_in - 1  # type: ignore[attr-defined]
    (rec,) = q.records
    if kind == "parquet":
        assert rec["record"] == n  # 1-based in the file, though read from the last row group only
    else:
        assert rec["stripe"] > 0 and rec["record"] >= 1
