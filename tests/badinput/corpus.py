"""The bad data files of the corpus, generated at test time (nothing large is committed).

Every case is one dataset whose source folder holds one good file and one bad file of the same format.
``Case.expect`` says what must happen to the bad file:

- ``fail``: the file fails with an error naming it (and ``where``: the offset, line or record when the
  format has one); the good file is migrated; nothing of the bad file is visible in the target.
- ``quarantine``: the file is migrated, ``quarantined`` of its rows go to the quarantine with their
  file and line/record and a reason holding ``where``; the rest are written.
- ``rows``: the file is read as ``rows`` rows (zero-byte files of formats where empty means empty).
"""

from __future__ import annotations

import bz2
import gzip
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import zstandard

from tests.formats.seqfile_writer import write_seqfile

ROWS = 400  # rows of every good file; ids 0..ROWS-1
TABLE = pa.table({"id": pa.array(range(ROWS), pa.int64()), "name": [f"n{i}" for i in range(ROWS)]})
SCHEMA = "[{name: id, type: bigint, nullable: false}, {name: name, type: string}]"


def csv_bytes(start: int = 0, rows: int = ROWS, header: bool = True) -> bytes:
    body = "".join(f"{i},n{i}\n" for i in range(start, start + rows))
    return (("id,name\n" if header else "") + body).encode()


def jsonl_bytes(start: int = 0, rows: int = ROWS) -> bytes:
    return "".join(f'{{"id": {i}, "name": "n{i}"}}\n' for i in range(start, start + rows)).encode()


def parquet_bytes(start: int = 0, compression: str = "zstd") -> bytes:
    buf = io.BytesIO()
    t = TABLE.set_column(0, "id", pa.array(range(start, start + ROWS), pa.int64()))
    pq.write_table(t, buf, compression=compression, row_group_size=100)
    return buf.getvalue()


def orc_bytes(start: int = 0) -> bytes:
    buf = io.BytesIO()
    t = TABLE.set_column(0, "id", pa.array(range(start, start + ROWS), pa.int64()))
    orc.write_table(t, buf, compression="zlib", stripe_size=4096)
    return buf.getvalue()


AVRO_SCHEMA = {"type": "record", "name": "r", "fields": [{"name": "id", "type": "long"},
                                                         {"name": "name", "type": "string"}]}


def avro_bytes(start: int = 0, codec: str = "deflate") -> bytes:
    buf = io.BytesIO()
    fastavro.writer(buf, AVRO_SCHEMA, ({"id": i, "name": f"n{i}"} for i in range(start, start + ROWS)),
                    codec=codec, sync_interval=1000)
    return buf.getvalue()


def seq_bytes(tmp: Path, start: int = 0, **kw: object) -> bytes:
    path = tmp / f".seq-{random.random()}"
    write_seqfile(path, [f"{i}\x01n{i}".encode() for i in range(start, start + ROWS)], **kw)  # type: ignore[arg-type]
    data = path.read_bytes()
    path.unlink()
    return data


def truncate(data: bytes, keep: float = 0.6) -> bytes:
    return data[: int(len(data) * keep)]


def flip(data: bytes, at: float = 0.5, n: int = 16) -> bytes:
    """``n`` bytes in the middle XOR-ed: a disk or transfer error, not a truncation."""
    i = int(len(data) * at)
    return data[:i] + bytes(b ^ 0x5A for b in data[i : i + n]) + data[i + n :]


@dataclass(frozen=True)
class Case:
    id: str
    fmt: str  # the plan's format mapping, e.g. "{kind: csv}"
    ext: str
    good: Callable[[Path], bytes]
    bad: Callable[[Path], bytes]
    expect: str  # fail | quarantine | rows
    where: str = ""  # text the error / quarantine reason must hold (besides the file name)
    quarantined: int = 0
    rows: int = 0
    schema: bool = True


GOOD_CSV = lambda _t: csv_bytes()  # noqa: E731
GOOD_JSONL = lambda _t: jsonl_bytes()  # noqa: E731
GOOD_PARQUET = lambda _t: parquet_bytes()  # noqa: E731
GOOD_ORC = lambda _t: orc_bytes()  # noqa: E731
GOOD_AVRO = lambda _t: avro_bytes()  # noqa: E731
GOOD_SEQ = lambda t: seq_bytes(t)  # noqa: E731

CSV, JSONL = "{kind: csv}", "{kind: jsonl}"
PARQUET, ORC, AVRO, SEQ = "{kind: parquet}", "{kind: orc}", "{kind: avro}", "{kind: sequencefile}"

# Bad rows of text files: ids from 1000 up, so they never collide with a good file's ids.
RAGGED = b"id,name\n1000,a\n1001,b,extra\n1002\n1003,d\n"
WRONG_TYPES = b"id,name\n1000,a\nnot-a-number,b\n1002,c\n99999999999999999999999,d\n,nullid\n"
BAD_UTF8 = b"id,name\n1000,caf\xe9\n1001,ok\n1002,\xff\xfe\n"
JSON_BAD = b'{"id": 1000, "name": "a"}\n{"id": 1001, "name": \n{"id": "x", "name": "c"}\n{"id": 1003}\n'

CASES: list[Case] = [
    # -- corrupt binary containers: the file fails, naming it; the good file lands.
    Case("parquet-truncated", PARQUET, "parquet", GOOD_PARQUET, lambda t: truncate(parquet_bytes(1000)), "fail"),
    Case("parquet-not-parquet", PARQUET, "parquet", GOOD_PARQUET, lambda t: b"PAR1" + b"\x00" * 300, "fail"),
    Case("parquet-flipped-page", PARQUET, "parquet", GOOD_PARQUET, lambda t: flip(parquet_bytes(1000), 0.3),
         "fail"),
    Case("parquet-zero-bytes", PARQUET, "parquet", GOOD_PARQUET, lambda t: b"", "fail"),
    Case("orc-truncated", ORC, "orc", GOOD_ORC, lambda t: truncate(orc_bytes(1000)), "fail"),
    Case("orc-not-orc", ORC, "orc", GOOD_ORC, lambda t: b"ORC" + bytes(range(256)), "fail"),
    Case("orc-flipped-stripe", ORC, "orc", GOOD_ORC, lambda t: flip(orc_bytes(1000), 0.2, 64), "fail"),
    Case("orc-zero-bytes", ORC, "orc", GOOD_ORC, lambda t: b"", "fail"),
    Case("avro-truncated", AVRO, "avro", GOOD_AVRO, lambda t: truncate(avro_bytes(1000)), "fail"),
    Case("avro-bad-magic", AVRO, "avro", GOOD_AVRO, lambda t: b"Obx\x01" + avro_bytes(1000)[4:], "fail"),
    Case("avro-flipped-block", AVRO, "avro", GOOD_AVRO, lambda t: flip(avro_bytes(1000), 0.6), "fail"),
    Case("avro-zero-bytes", AVRO, "avro", GOOD_AVRO, lambda t: b"", "fail"),
    Case("seq-truncated", SEQ, "seq", GOOD_SEQ, lambda t: truncate(seq_bytes(t, 1000)), "fail", "offset"),
    Case("seq-no-magic", SEQ, "seq", GOOD_SEQ, lambda t: b"XYZ\x06" + seq_bytes(t, 1000)[4:], "fail", "SEQ magic"),
    Case("seq-bad-sync", SEQ, "seq", GOOD_SEQ, lambda t: _bad_sync(seq_bytes(t, 1000)), "fail", "offset"),
    Case("seq-snappy-codec", SEQ, "seq", GOOD_SEQ,
         lambda t: seq_bytes(t, 1000, codec="org.apache.hadoop.io.compress.SnappyCodec"), "fail", "SnappyCodec"),
    Case("seq-zero-bytes", SEQ, "seq", GOOD_SEQ, lambda t: b"", "fail"),
    # -- corrupt compression around good text
    Case("gzip-truncated", CSV, "csv.gz", GOOD_CSV, lambda t: truncate(gzip.compress(csv_bytes(1000))), "fail",
         "truncated gzip"),
    Case("gzip-flipped", CSV, "csv.gz", GOOD_CSV, lambda t: flip(gzip.compress(csv_bytes(1000)), 0.5), "fail",
         "gzip"),
    Case("gzip-zero-bytes", "{kind: csv, compression: gzip}", "csv.gz", lambda t: gzip.compress(csv_bytes()),
         lambda t: b"", "fail", "gzip"),
    Case("bzip2-truncated", CSV, "csv.bz2", GOOD_CSV, lambda t: truncate(bz2.compress(csv_bytes(1000))), "fail",
         "bzip2"),
    Case("bzip2-flipped", CSV, "csv.bz2", GOOD_CSV, lambda t: flip(bz2.compress(csv_bytes(1000)), 0.5), "fail",
         "bzip2"),
    Case("zstd-truncated", CSV, "csv.zst", GOOD_CSV,
         lambda t: truncate(zstandard.ZstdCompressor().compress(csv_bytes(1000))), "fail", "zstd"),
    Case("zstd-flipped", CSV, "csv.zst", GOOD_CSV,
         lambda t: flip(zstandard.ZstdCompressor(write_checksum=True).compress(csv_bytes(1000)), 0.5), "fail",
         "zstd"),
    Case("gzip-of-jsonl-truncated", JSONL, "jsonl.gz", GOOD_JSONL, lambda t: truncate(gzip.compress(jsonl_bytes(1000))),
         "fail", "truncated gzip"),
    # -- bad rows: quarantined with their line, the rest of the file kept
    Case("csv-ragged-rows", CSV, "csv", GOOD_CSV, lambda t: RAGGED, "quarantine", "line", quarantined=2),
    Case("csv-wrong-typed-values", CSV, "csv", GOOD_CSV, lambda t: WRONG_TYPES, "quarantine", "line",
         quarantined=3),
    Case("csv-invalid-utf8", CSV, "csv", GOOD_CSV, lambda t: BAD_UTF8, "quarantine", "line", quarantined=2),
    Case("csv-unterminated-quote", CSV, "csv", GOOD_CSV, lambda t: b'id,name\n1000,a\n1001,"never closed\n1002,c\n',
         "quarantine", "line", quarantined=1),
    Case("tsv-ragged", "{kind: tsv}", "tsv", lambda t: csv_bytes().replace(b",", b"\t"),
         lambda t: b"id\tname\n1000\ta\n1001\n1002\tc\td\n", "quarantine", "line", quarantined=2),
    Case("hive-text-wrong-types", "{kind: hive_text}", "txt", lambda t: csv_bytes(header=False).replace(b",", b"\x01"),
         lambda t: b"1000\x01a\nabc\x01b\n\\N\x01c\n", "quarantine", "line", quarantined=2),
    Case("jsonl-bad-lines", JSONL, "jsonl", GOOD_JSONL, lambda t: JSON_BAD, "quarantine", "line", quarantined=2),
    Case("jsonl-invalid-utf8", JSONL, "jsonl", GOOD_JSONL, lambda t: b'{"id": 1000, "name": "caf\xe9"}\n{"id": 1001}\n',
         "quarantine", "line", quarantined=1),
    Case("jsonl-not-objects", JSONL, "jsonl", GOOD_JSONL, lambda t: b'[1, 2]\n"text"\n{"id": 1002}\n', "quarantine",
         "line", quarantined=2),
    Case("csv-nul-bytes", CSV, "csv", GOOD_CSV, lambda t: b"id,name\n1000,a\x00b\n1001,\x00\n", "rows", rows=2),
    # -- zero-byte and header-only text: nothing to load, nothing lost
    Case("csv-zero-bytes", CSV, "csv", GOOD_CSV, lambda t: b"", "rows", rows=0),
    Case("csv-header-only", CSV, "csv", GOOD_CSV, lambda t: b"id,name\n", "rows", rows=0),
    Case("jsonl-zero-bytes", JSONL, "jsonl", GOOD_JSONL, lambda t: b"", "rows", rows=0),
    Case("csv-zero-bytes-no-schema", CSV, "csv", GOOD_CSV, lambda t: b"", "rows", rows=0, schema=False),
]


def _bad_sync(data: bytes) -> bytes:
    """The first sync escape's marker altered (records after it cannot be trusted)."""
    i = data.find(b"\xff\xff\xff\xff", 100)
    assert i > 0, "no sync escape in the generated SequenceFile"
    return data[: i + 4] + bytes(16) + data[i + 20 :]
