"""A small, deterministic, realistic legacy estate to demo and test against.

``generate_estate(root)`` writes:

- ``root/mfs/``  a folder standing in for a MooseFS mount (jobs call it ``/mfs``);
- ``root/hdfs/`` a folder the WebHDFS test server serves as the HDFS root (jobs and DDL call it
  ``hdfs://namenode:8020``);
- ``root/hive/ddl.sql`` ``SHOW CREATE TABLE`` outputs for the Hive tables (one deliberate mismatch);
- ``root/jobs/`` DPark scripts (mostly Python 2), HiveQL scripts, Marathon / Chronos JSON, an Aurora
  config and a crontab.

The returned :class:`EstateManifest` is the ground truth (datasets with format, partitions, schema and
row counts; jobs with inputs and outputs; noise) so tests assert facts rather than "a file was written".
Everything is derived from ``random.Random(seed)`` and fixed mtimes, so two runs give the same bytes
(Parquet/ORC writers embed their library version, so byte equality holds per pyarrow version).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import random
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MFS_ALIAS = "/mfs"
HDFS_ALIAS = "hdfs://namenode:8020"
# mtimes are pinned so "newest mtime" is a fact tests can assert.
BASE_MTIME = dt.datetime(2024, 1, 4, 6, 0, tzinfo=dt.UTC).timestamp()
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


@dataclass
class DatasetTruth:
    name: str
    root: str  # "mfs" | "hdfs"
    path: str  # relative to the root folder, no leading slash
    format: str  # csv | tsv | hive_text | jsonl | parquet | orc | avro | sequencefile | unknown
    schema: list[tuple[str, str]]  # data columns (partition columns excluded), plan type names
    rows: int
    files: int
    delimiter: str | None = None
    header: bool = False
    compression: str = "none"
    partition_columns: list[str] = field(default_factory=list)
    partitions: list[dict[str, str]] = field(default_factory=list)
    hive_table: str | None = None
    nullable: list[str] = field(default_factory=list)  # columns that contain NULLs / empty values

    @property
    def legacy_path(self) -> str:
        return f"{MFS_ALIAS if self.root == 'mfs' else HDFS_ALIAS}/{self.path}"


@dataclass
class JobTruth:
    path: str  # relative to root/jobs
    kind: str  # dpark | hive | marathon | chronos | aurora | cron
    inputs: list[str] = field(default_factory=list)  # legacy paths or db.table names
    outputs: list[str] = field(default_factory=list)
    dynamic: int = 0  # how many paths are computed at run time (flagged, not resolved)
    name: str | None = None
    schedule: str | None = None
    runs: list[str] = field(default_factory=list)  # scripts (relative to root/jobs) a spec runs
    parents: list[str] = field(default_factory=list)


@dataclass
class EstateManifest:
    root: Path
    seed: int
    scale: int
    datasets: list[DatasetTruth] = field(default_factory=list)
    jobs: list[JobTruth] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)  # paths relative to root that are not data
    empty_dirs: list[str] = field(default_factory=list)
    garbage: list[str] = field(default_factory=list)  # folders of unreadable/binary files
    ddl_mismatches: list[tuple[str, str]] = field(default_factory=list)  # (table, what)
    # (producer, consumer) pairs over dataset legacy paths/tables and job paths
    lineage: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mfs(self) -> Path:
        return self.root / "mfs"

    @property
    def hdfs(self) -> Path:
        return self.root / "hdfs"

    @property
    def ddl(self) -> Path:
        return self.root / "hive" / "ddl.sql"

    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"

    def dataset(self, name: str) -> DatasetTruth:
        for d in self.datasets:
            if d.name == name:
                return d
        raise KeyError(name)

    def job(self, path: str) -> JobTruth:
        for j in self.jobs:
            if j.path == path:
                return j
        raise KeyError(path)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["root"] = str(self.root)
        for d, truth in zip(out["datasets"], self.datasets, strict=True):
            d["legacy_path"] = truth.legacy_path
        return out


class _Writer:
    """Writes files with pinned mtimes and records noise."""

    def __init__(self, root: Path, manifest: EstateManifest) -> None:
        self.root = root
        self.m = manifest
        self.tick = 0

    def write(self, rel: str, data: bytes | str, *, noise: bool = False) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        self.tick += 1
        t = BASE_MTIME - 86400 * 3 + self.tick * 60
        os.utime(path, (t, t))
        if noise:
            self.m.noise.append(rel)
        return path


def _ts(rng: random.Random, day: str) -> str:
    return f"{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


def _users(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    cities = ["Beijing", "Shanghai", "Chengdu", "Hangzhou", ""]
    names = ["Li Wei", "Wang Fang", "Zhang, Min", 'Chen "Kid" Jie', "Liu Yang", "Zhao Lei"]
    header = ["user_id", "name", "score", "signup_date", "last_login", "active", "city"]
    files = 2
    per = n // files
    for f in range(files):
        buf = io.StringIO()
        cw = csv.writer(buf, lineterminator="\n")
        cw.writerow(header)
        for i in range(per):
            uid = f * per + i + 1
            score = "" if i % 17 == 0 else f"{rng.uniform(0, 100):.2f}"
            signup = (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1400))).isoformat()
            login = "" if i % 23 == 0 else _ts(rng, rng.choice(DAYS))
            cw.writerow([uid, rng.choice(names), score, signup, login, rng.choice(["true", "false"]),
                         rng.choice(cities)])
        w.write(f"mfs/data/users/part-{f:05d}.csv", buf.getvalue())
        w.write(f"mfs/data/users/.part-{f:05d}.csv.crc", b"crc\x00\x01\x02\x03", noise=True)
    w.write("mfs/data/users/_SUCCESS", b"", noise=True)
    return DatasetTruth(
        "users", "mfs", "data/users", "csv",
        [("user_id", "bigint"), ("name", "string"), ("score", "double"), ("signup_date", "date"),
         ("last_login", "timestamp"), ("active", "boolean"), ("city", "string")],
        rows=per * files, files=files, delimiter=",", header=True, nullable=["score", "last_login", "city"],
    )


def _events(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    kinds = ["view", "click", "buy"]
    for day in DAYS:
        lines = []
        for i in range(n):
            rec: dict[str, Any] = {
                "event_id": rng.randrange(1 << 40), "user_id": rng.randrange(1, 1000),
                "kind": rng.choice(kinds), "ts": _ts(rng, day),
                "value": None if i % 11 == 0 else round(rng.uniform(0, 50), 3),
            }
            lines.append(json.dumps(rec))
        raw = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(("\n".join(lines) + "\n").encode())
        w.write(f"mfs/data/events_json/events-{day}.json.gz", raw.getvalue())
    return DatasetTruth(
        "events_json", "mfs", "data/events_json", "jsonl",
        [("event_id", "bigint"), ("user_id", "bigint"), ("kind", "string"), ("ts", "timestamp"),
         ("value", "double")],
        rows=n * len(DAYS), files=len(DAYS), compression="gzip", nullable=["value"],
    )


def _user_stats(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    # DPark's saveAsCSVFile names its parts 0000, 0001, ... and writes no header.
    for f in range(2):
        rows = [f"{f * n + i + 1},{rng.randrange(1, 60)},{rng.uniform(0, 900):.3f}" for i in range(n)]
        w.write(f"mfs/data/user_stats/{f:04d}", "\n".join(rows) + "\n")
    return DatasetTruth(
        "user_stats", "mfs", "data/user_stats", "csv",
        [("col_0", "bigint"), ("col_1", "bigint"), ("col_2", "double")],
        rows=2 * n, files=2, delimiter=",", header=False,
    )


def _crawl_pages(w: _Writer, rng: random.Random, files: int) -> DatasetTruth:
    for f in range(files):
        rows = [f"http://site{rng.randrange(50)}.example/p/{rng.randrange(10**6)}\t{rng.choice([200, 404, 301])}"
                for _ in range(3)]
        w.write(f"mfs/data/crawl_pages/page-{f:05d}.txt", "\n".join(rows) + "\n")
    return DatasetTruth(
        "crawl_pages", "mfs", "data/crawl_pages", "tsv", [("col_0", "string"), ("col_1", "bigint")],
        rows=3 * files, files=files, delimiter="\t",
    )


def _hive_line(values: list[Any]) -> str:
    return "\x01".join("\\N" if v is None else str(v) for v in values)


def _access_log(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    base = "hdfs/warehouse/logs.db/access_log"
    for day in DAYS:
        rows = []
        for i in range(n):
            rows.append(_hive_line([
                f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
                None if i % 13 == 0 else rng.randrange(1, 1000),
                f"/p/{rng.randrange(5000)}", rng.choice([200, 200, 200, 404, 500]),
                rng.randrange(100, 90000), _ts(rng, day),
            ]))
        w.write(f"{base}/dt={day}/000000_0", "\n".join(rows) + "\n")
        w.write(f"{base}/dt={day}/.000000_0.crc", b"crc\x00\x00\x00\x01", noise=True)
        w.write(f"{base}/dt={day}/_SUCCESS", b"", noise=True)
    # A failed attempt's leftovers: not data.
    w.write(f"{base}/_temporary/0/_temporary/attempt_202401040000_0001_m_000000_0/part-00000",
            _hive_line(["1.2.3.4", 1, "/x", 200, 1, "2024-01-04 00:00:00"]) + "\n", noise=True)
    return DatasetTruth(
        "access_log", "hdfs", "warehouse/logs.db/access_log", "hive_text",
        [("ip", "string"), ("user_id", "bigint"), ("url", "string"), ("status", "bigint"),
         ("bytes", "bigint"), ("ts", "timestamp")],
        rows=n * len(DAYS), files=len(DAYS), delimiter="\x01", partition_columns=["dt"],
        partitions=[{"dt": d} for d in DAYS], hive_table="logs.access_log", nullable=["user_id"],
    )


def _orders(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    base = "hdfs/warehouse/sales.db/orders"
    parts = []
    oid = 0
    for day in DAYS[:2]:
        for country in ["CN", "US"]:
            rows = []
            for _ in range(n):
                oid += 1
                rows.append(_hive_line([oid, rng.randrange(1, 1000), f"{rng.uniform(1, 500):.2f}",
                                        rng.choice(["true", "false"]), _ts(rng, day)]))
            w.write(f"{base}/dt={day}/country={country}/000000_0", "\n".join(rows) + "\n")
            parts.append({"dt": day, "country": country})
    return DatasetTruth(
        "orders", "hdfs", "warehouse/sales.db/orders", "hive_text",
        [("order_id", "bigint"), ("user_id", "bigint"), ("amount", "double"), ("paid", "boolean"),
         ("created", "timestamp")],
        rows=oid, files=len(parts), delimiter="\x01", partition_columns=["dt", "country"], partitions=parts,
        hive_table="sales.orders",
    )


def _page_views(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    for f in range(2):
        rows = [f"{f * n + i + 1}\t{rng.randrange(1, 1000)}\t/page/{rng.randrange(300)}\t"
                f"{rng.randrange(10, 60000)}\t{rng.choice(DAYS)}" for i in range(n)]
        w.write(f"hdfs/warehouse/web.db/page_views/page_views_{f}.tsv", "\n".join(rows) + "\n")
    return DatasetTruth(
        "page_views", "hdfs", "warehouse/web.db/page_views", "tsv",
        [("view_id", "bigint"), ("user_id", "bigint"), ("page", "string"), ("duration_ms", "bigint"),
         ("day", "date")],
        rows=2 * n, files=2, delimiter="\t", hive_table="web.page_views",
    )


def _order_items(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for f in range(2):
        table = pa.table({
            "order_id": pa.array([rng.randrange(1, 4000) for _ in range(n)], pa.int64()),
            "sku": pa.array([f"SKU-{rng.randrange(300):04d}" for _ in range(n)], pa.string()),
            "qty": pa.array([rng.randrange(1, 9) for _ in range(n)], pa.int32()),
            "price": pa.array([round(rng.uniform(1, 99), 2) for _ in range(n)], pa.float64()),
        })
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="snappy")
        w.write(f"hdfs/warehouse/sales.db/order_items/part-{f:05d}-c000.snappy.parquet", sink.getvalue())
    w.write("hdfs/warehouse/sales.db/order_items/_SUCCESS", b"", noise=True)
    return DatasetTruth(
        "order_items", "hdfs", "warehouse/sales.db/order_items", "parquet",
        [("order_id", "bigint"), ("sku", "string"), ("qty", "int"), ("price", "double")],
        rows=2 * n, files=2, hive_table="sales.order_items",
    )


def _products(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    import pyarrow as pa
    import pyarrow.orc as orc

    table = pa.table({
        "sku": pa.array([f"SKU-{i:04d}" for i in range(n)], pa.string()),
        "title": pa.array([f"Product {rng.randrange(10**5)}" for _ in range(n)], pa.string()),
        "price": pa.array([round(rng.uniform(1, 99), 2) for _ in range(n)], pa.float64()),
        "launched": pa.array([dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(1500)) for _ in range(n)],
                             pa.date32()),
    })
    sink = io.BytesIO()
    orc.write_table(table, sink)
    # Hive names ORC files without an extension: only the bytes tell.
    w.write("hdfs/warehouse/sales.db/products/000000_0", sink.getvalue())
    return DatasetTruth(
        "products", "hdfs", "warehouse/sales.db/products", "orc",
        [("sku", "string"), ("title", "string"), ("price", "double"), ("launched", "date")],
        rows=n, files=1, hive_table="sales.products",
    )


def _clicks(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    import fastavro

    schema = fastavro.parse_schema({
        "type": "record", "name": "Click", "fields": [
            {"name": "click_id", "type": "long"}, {"name": "user_id", "type": "long"},
            {"name": "url", "type": "string"},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ]})
    for f in range(2):
        recs = [{"click_id": f * n + i, "user_id": rng.randrange(1, 1000), "url": f"/c/{rng.randrange(999)}",
                 "ts": dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(86400 * 3))}
                for i in range(n)]
        sink = io.BytesIO()
        fastavro.writer(sink, schema, recs, codec="deflate", sync_marker=bytes(rng.randrange(256) for _ in range(16)))
        w.write(f"hdfs/data/clicks_avro/part-{f:05d}.avro", sink.getvalue())
    return DatasetTruth(
        "clicks_avro", "hdfs", "data/clicks_avro", "avro",
        [("click_id", "bigint"), ("user_id", "bigint"), ("url", "string"), ("ts", "timestamp")],
        rows=2 * n, files=2,
    )


def _vint(n: int) -> bytes:
    """Hadoop WritableUtils.writeVInt for the small non-negative values used here."""
    if -112 <= n <= 127:
        return struct.pack(">b", n)
    data = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return struct.pack(">b", -112 - len(data)) + data


def _text(s: str) -> bytes:
    b = s.encode()
    return _vint(len(b)) + b


def sequence_file(records: list[tuple[str, str]], sync: bytes) -> bytes:
    """An uncompressed Hadoop SequenceFile (version 6) of Text keys and values."""
    out = io.BytesIO()
    out.write(b"SEQ\x06")
    out.write(_text("org.apache.hadoop.io.Text") + _text("org.apache.hadoop.io.Text"))
    out.write(b"\x00\x00")  # not compressed, not block-compressed
    out.write(struct.pack(">i", 0))  # empty metadata
    out.write(sync)
    since = 0
    for k, v in records:
        kb, vb = _text(k), _text(v)
        if since > 2000:
            out.write(struct.pack(">i", -1) + sync)
            since = 0
        rec = struct.pack(">ii", len(kb) + len(vb), len(kb)) + kb + vb
        out.write(rec)
        since += len(rec)
    return out.getvalue()


def _legacy_seq(w: _Writer, rng: random.Random, n: int) -> DatasetTruth:
    sync = bytes(rng.randrange(256) for _ in range(16))
    recs = [(f"user:{i}", f"segment={rng.choice(['a', 'b', 'c'])}") for i in range(n)]
    w.write("hdfs/data/legacy_seq/part-00000", sequence_file(recs, sync))
    return DatasetTruth("legacy_seq", "hdfs", "data/legacy_seq", "sequencefile",
                        [("key", "string"), ("value", "string")], rows=n, files=1)


def _reports(w: _Writer, rng: random.Random) -> list[DatasetTruth]:
    out = []
    base = "hdfs/warehouse/reports.db"
    for day in DAYS[:2]:
        w.write(f"{base}/daily_revenue/dt={day}/000000_0",
                _hive_line([f"{rng.uniform(1000, 9000):.2f}", rng.randrange(100, 900)]) + "\n")
    out.append(DatasetTruth(
        "daily_revenue", "hdfs", "warehouse/reports.db/daily_revenue", "hive_text",
        [("revenue", "double"), ("orders", "bigint")], rows=2, files=2, delimiter="\x01",
        partition_columns=["dt"], partitions=[{"dt": d} for d in DAYS[:2]], hive_table="reports.daily_revenue",
    ))
    rows = [_hive_line([c, f"{rng.uniform(1000, 9000):.2f}"]) for c in ["CN", "US"]]
    w.write(f"{base}/country_revenue/000000_0", "\n".join(rows) + "\n")
    out.append(DatasetTruth(
        "country_revenue", "hdfs", "warehouse/reports.db/country_revenue", "hive_text",
        [("country", "string"), ("revenue", "double")], rows=2, files=1, delimiter="\x01",
        hive_table="reports.country_revenue",
    ))
    rows = [_hive_line([u, rng.randrange(1, 90), rng.randrange(1, 900)]) for u in range(1, 51)]
    w.write(f"{base}/user_activity/dt={DAYS[0]}/000000_0", "\n".join(rows) + "\n")
    out.append(DatasetTruth(
        "user_activity", "hdfs", "warehouse/reports.db/user_activity", "hive_text",
        [("user_id", "bigint"), ("hits", "bigint"), ("views", "bigint")], rows=50, files=1, delimiter="\x01",
        partition_columns=["dt"], partitions=[{"dt": DAYS[0]}], hive_table="reports.user_activity",
    ))
    return out


def _noise(w: _Writer, rng: random.Random, m: EstateManifest) -> None:
    w.write("mfs/.Trash/old_users/part-00000.csv", "user_id,name\n1,x\n", noise=True)
    w.write("mfs/data/.DS_Store", b"\x00\x00\x00\x01Bud1", noise=True)
    w.write("hdfs/user/etl/.Trash/Current/warehouse/tmp_x/000000_0", _hive_line([1, 2]) + "\n", noise=True)
    w.write("hdfs/warehouse/.hive-staging_hive_2024-01-04_00-00-00_1/-ext-10000/000000_0", "1\n", noise=True)
    for rel in ["hdfs/tmp/empty_dir", "mfs/data/empty_export"]:
        (w.root / rel).mkdir(parents=True, exist_ok=True)
        m.empty_dirs.append(rel)
    # Binary garbage: neither a known container nor text.
    w.write("mfs/data/blobs/blob-0000.bin", bytes(rng.randrange(256) for _ in range(4096)))
    m.garbage.append("mfs/data/blobs")


DDL = """\
-- SHOW CREATE TABLE outputs, dumped from the legacy metastore.
CREATE EXTERNAL TABLE `logs.access_log`(
  `ip` string,
  `user_id` bigint,
  `url` string,
  `status` int,
  `bytes` bigint,
  `ts` timestamp)
PARTITIONED BY (
  `dt` string)
ROW FORMAT SERDE
  'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'
WITH SERDEPROPERTIES (
  'field.delim'='\\u0001',
  'serialization.format'='\\u0001')
STORED AS INPUTFORMAT
  'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT
  'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION
  'hdfs://namenode:8020/warehouse/logs.db/access_log'
TBLPROPERTIES (
  'transient_lastDdlTime'='1704326400');

CREATE TABLE `sales.orders`(
  `order_id` bigint COMMENT 'primary key',
  `user_id` bigint,
  `amount` decimal(12,2),
  `paid` boolean,
  `created` timestamp)
PARTITIONED BY (
  `dt` string,
  `country` string)
ROW FORMAT DELIMITED
  FIELDS TERMINATED BY '\\001'
  NULL DEFINED AS '\\N'
STORED AS TEXTFILE
LOCATION
  'hdfs://namenode:8020/warehouse/sales.db/orders';

CREATE EXTERNAL TABLE `web.page_views`(
  `view_id` bigint,
  `user_id` bigint,
  `page` string,
  `duration_ms` int,
  `day` date)
ROW FORMAT DELIMITED
  FIELDS TERMINATED BY ','
STORED AS TEXTFILE
LOCATION
  'hdfs://namenode:8020/warehouse/web.db/page_views';

CREATE TABLE `sales.order_items`(
  `order_id` bigint,
  `sku` string,
  `qty` int,
  `price` double)
ROW FORMAT SERDE
  'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT
  'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT
  'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION
  'hdfs://namenode:8020/warehouse/sales.db/order_items';

CREATE TABLE `sales.products`(
  `sku` string,
  `title` string,
  `price` double,
  `launched` date)
ROW FORMAT SERDE
  'org.apache.hadoop.hive.ql.io.orc.OrcSerde'
STORED AS INPUTFORMAT
  'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat'
OUTPUTFORMAT
  'org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat'
LOCATION
  'hdfs://namenode:8020/warehouse/sales.db/products';

CREATE TABLE `reports.daily_revenue`(
  `revenue` double,
  `orders` bigint)
PARTITIONED BY (`dt` string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001'
STORED AS TEXTFILE
LOCATION
  'hdfs://namenode:8020/warehouse/reports.db/daily_revenue';

CREATE TABLE `reports.country_revenue`(
  `country` string,
  `revenue` double)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001'
STORED AS TEXTFILE
LOCATION
  'hdfs://namenode:8020/warehouse/reports.db/country_revenue';

CREATE TABLE `reports.user_activity`(
  `user_id` bigint,
  `hits` bigint,
  `views` bigint)
PARTITIONED BY (`dt` string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001'
STORED AS TEXTFILE
LOCATION
  'hdfs://namenode:8020/warehouse/reports.db/user_activity';
"""

USER_STATS_PY = """\
#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Daily per-user stats. Legacy: Python 2, run with `dpark user_stats.py -m mesos`.
import os, sys, json
from dpark import DparkContext

BASE = '/mfs/data'
USERS = BASE + '/users/'
EVENTS = '%s/events_json/' % BASE
OUT = os.path.join(BASE, 'user_stats')

dpark = DparkContext('mesos')

def parse((uid, name, score, signup, login, active, city)):
    return int(uid), city

users = dpark.csvFile(USERS, splitSize=16 << 20).filter(lambda r: r[0] <> 'user_id').map(parse)
events = dpark.textFile(EVENTS).map(json.loads).map(lambda e: (e['user_id'], e['value'] or 0))
stats = events.mapValue(lambda v: (1, v)).reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1]))
print 'users:', users.count()
try:
    stats.map(lambda (k, (n, v)): (k, n, v)).saveAsCSVFile(OUT)
except Exception, e:
    print >>sys.stderr, 'failed', e
    sys.exit(1)
"""

CRAWL_REPORT_PY = """\
# Python 2 crawl report; the output folder comes from the command line.
import os
import sys
from dpark import DparkContext

ctx = DparkContext()
out_dir = sys.argv[1]
pages = ctx.textFile('/mfs/data/crawl_pages/', numSplits=8)
blobs = ctx.beansdb('/mfs/beansdb/pages/')
status = pages.map(lambda l: l.split('\\t')).map(lambda (u, s): (s, 1)).reduceByKey(lambda a, b: a + b)
for s, n in status.collect():
\tprint s, n
status.saveAsTextFile(os.path.join(out_dir, 'status'))
print `len(blobs.collect())`
"""

EXPORT_ORDERS_PY = """\
# Python 3 style export of one day of orders from HDFS to MooseFS.
from dpark import DparkContext

DT = '2024-01-01'
SRC = 'hdfs://namenode:8020/warehouse/sales.db/orders/dt=%s' % DT
DST = '/mfs/data/orders_export/{}'.format(DT)

dc = DparkContext()
rows = dc.textFile(SRC).map(lambda line: line.split('\\x01'))
totals = rows.map(lambda r: (r[1], float(r[2]))).reduceByKey(lambda a, b: a + b)
totals.saveAsTabular(DST, 'user_id total'.split())
print(0o755)
"""

REVENUE_HQL = """\
-- Daily revenue; run as: hive -f revenue.hql --hivevar dt=2024-01-01
SET hive.exec.dynamic.partition.mode=nonstrict;
SET mapreduce.job.queuename=etl;  -- queue; the ';' inside this comment is not a split

FROM (
  SELECT o.order_id, o.amount, o.country, i.qty
  FROM sales.orders o
  JOIN sales.order_items i ON o.order_id = i.order_id
  WHERE o.dt = '${hivevar:dt}' AND o.paid = true AND i.sku <> 'SKU;0000'
) t
INSERT OVERWRITE TABLE reports.daily_revenue PARTITION (dt='${hivevar:dt}')
  SELECT sum(t.amount), count(DISTINCT t.order_id)
INSERT OVERWRITE TABLE reports.country_revenue
  SELECT t.country, sum(t.amount) GROUP BY t.country;
"""

ACTIVITY_HQL = """\
/* User activity: hits from the access log, views from page_views.
   Uses ${hiveconf:mapred.reduce.tasks} reducers. */
USE reports;
WITH hits AS (
  SELECT user_id, count(*) AS hits FROM logs.access_log WHERE dt = '${hivevar:dt}' GROUP BY user_id
), views AS (
  SELECT user_id, count(*) AS views FROM web.page_views WHERE day = '${hivevar:dt}' GROUP BY user_id
)
INSERT OVERWRITE TABLE user_activity PARTITION (dt = '${hivevar:dt}')
SELECT h.user_id, h.hits, coalesce(v.views, 0)
FROM hits h LEFT JOIN views v ON h.user_id = v.user_id
  JOIN reports.daily_revenue r ON r.dt = '${hivevar:dt}';
"""

MARATHON_JSON = {
    "id": "/analytics/stats-api",
    "cmd": "python /opt/jobs/serve_stats.py --data /mfs/data/user_stats --port $PORT0",
    "cpus": 0.5, "mem": 512, "instances": 2,
    "container": {"type": "DOCKER", "docker": {"image": "registry.local/stats-api:1.4"}},
    "healthChecks": [{"protocol": "HTTP", "path": "/health"}],
}

CHRONOS_USER_STATS = {
    "name": "user-stats", "command": "cd /opt/jobs && dpark dpark/user_stats.py -m mesos -p 16",
    "schedule": "R/2024-01-01T02:00:00Z/P1D", "scheduleTimeZone": "Asia/Shanghai", "epsilon": "PT30M",
    "owner": "etl@example.com", "cpus": 2.0, "mem": 4096, "retries": 2,
}

CHRONOS_REVENUE = {
    "name": "revenue-report", "command": "hive -f /opt/jobs/hive/revenue.hql --hivevar dt=$(date +%F)",
    "parents": ["user-stats"], "owner": "etl@example.com", "cpus": 1.0, "mem": 2048,
}

ACTIVITY_AURORA = """\
# Aurora config (a Python DSL): read, never executed.
activity = Process(
  name = 'activity',
  cmdline = 'beeline -u jdbc:hive2://hive:10000/default -f /opt/jobs/hive/activity.hql --hivevar dt={{dt}}')

task = Task(
  name = 'activity_task',
  processes = [activity],
  resources = Resources(cpu = 1.0, ram = 2*GB, disk = 4*GB))

jobs = [
  Job(cluster = 'dc1', role = 'etl', environment = 'prod', name = 'user_activity',
      cron_schedule = '0 4 * * *', cron_collision_policy = 'KILL_EXISTING', task = task)
]
"""

CRONTAB = """\
# m h dom mon dow command  (crontab -l of the etl user)
MAILTO=etl@example.com
30 1 * * * dpark /opt/jobs/dpark/export_orders.py -m mesos >> /var/log/export_orders.log 2>&1
0 2 * * * cd /opt/jobs && python dpark/crawl_report.py -m process /mfs/data/crawl_out
15 3 * * * hive -f /opt/jobs/hive/revenue.hql --hivevar dt=$(date -d yesterday +\\%F)
@daily beeline -u jdbc:hive2://hive:10000 -f /opt/jobs/hive/activity.hql
"""


def _jobs(w: _Writer, m: EstateManifest) -> None:
    w.write("jobs/dpark/user_stats.py", USER_STATS_PY)
    w.write("jobs/dpark/crawl_report.py", CRAWL_REPORT_PY)
    w.write("jobs/dpark/export_orders.py", EXPORT_ORDERS_PY)
    w.write("jobs/hive/revenue.hql", REVENUE_HQL)
    w.write("jobs/hive/activity.hql", ACTIVITY_HQL)
    w.write("jobs/marathon/stats-api.json", json.dumps(MARATHON_JSON, indent=2) + "\n")
    w.write("jobs/chronos/user-stats.json", json.dumps(CHRONOS_USER_STATS, indent=2) + "\n")
    w.write("jobs/chronos/revenue-report.json", json.dumps(CHRONOS_REVENUE, indent=2) + "\n")
    w.write("jobs/aurora/activity.aurora", ACTIVITY_AURORA)
    w.write("jobs/crontab", CRONTAB)
    m.jobs += [
        JobTruth("dpark/user_stats.py", "dpark", inputs=["/mfs/data/users", "/mfs/data/events_json"],
                 outputs=["/mfs/data/user_stats"]),
        JobTruth("dpark/crawl_report.py", "dpark", inputs=["/mfs/data/crawl_pages", "/mfs/beansdb/pages"],
                 outputs=[], dynamic=1),
        JobTruth("dpark/export_orders.py", "dpark",
                 inputs=[f"{HDFS_ALIAS}/warehouse/sales.db/orders/dt=2024-01-01"],
                 outputs=["/mfs/data/orders_export/2024-01-01"]),
        JobTruth("hive/revenue.hql", "hive", inputs=["sales.orders", "sales.order_items"],
                 outputs=["reports.daily_revenue", "reports.country_revenue"]),
        JobTruth("hive/activity.hql", "hive", inputs=["logs.access_log", "web.page_views", "reports.daily_revenue"],
                 outputs=["reports.user_activity"]),
        JobTruth("marathon/stats-api.json", "marathon", name="/analytics/stats-api", runs=["serve_stats.py"]),
        JobTruth("chronos/user-stats.json", "chronos", name="user-stats", schedule="R/2024-01-01T02:00:00Z/P1D",
                 runs=["dpark/user_stats.py"]),
        JobTruth("chronos/revenue-report.json", "chronos", name="revenue-report", runs=["hive/revenue.hql"],
                 parents=["user-stats"]),
        JobTruth("aurora/activity.aurora", "aurora", name="user_activity", schedule="0 4 * * *",
                 runs=["hive/activity.hql"]),
        JobTruth("crontab:3", "cron", schedule="30 1 * * *", runs=["dpark/export_orders.py"]),
        JobTruth("crontab:4", "cron", schedule="0 2 * * *", runs=["dpark/crawl_report.py"]),
        JobTruth("crontab:5", "cron", schedule="15 3 * * *", runs=["hive/revenue.hql"]),
        JobTruth("crontab:6", "cron", schedule="@daily", runs=["hive/activity.hql"]),
    ]
    m.lineage += [
        ("/mfs/data/users", "dpark/user_stats.py"), ("/mfs/data/events_json", "dpark/user_stats.py"),
        ("dpark/user_stats.py", "/mfs/data/user_stats"),
        ("sales.orders", "hive/revenue.hql"), ("sales.order_items", "hive/revenue.hql"),
        ("hive/revenue.hql", "reports.daily_revenue"), ("hive/revenue.hql", "reports.country_revenue"),
        ("reports.daily_revenue", "hive/activity.hql"), ("hive/activity.hql", "reports.user_activity"),
        ("sales.orders", "dpark/export_orders.py"),
    ]


def generate_estate(root: Path, *, seed: int = 0, scale: int = 1) -> EstateManifest:
    """Write the estate under ``root`` (created if needed; existing files are overwritten)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    m = EstateManifest(root=root.resolve(), seed=seed, scale=scale)
    w = _Writer(root, m)
    s = max(1, scale)
    m.datasets.append(_users(w, rng, 500 * s))
    m.datasets.append(_events(w, rng, 1000 * s))
    m.datasets.append(_user_stats(w, rng, 250 * s))
    m.datasets.append(_crawl_pages(w, rng, 150 * s))
    m.datasets.append(_access_log(w, rng, 1500 * s))
    m.datasets.append(_orders(w, rng, 400 * s))
    m.datasets.append(_page_views(w, rng, 1000 * s))
    m.datasets.append(_order_items(w, rng, 2000 * s))
    m.datasets.append(_products(w, rng, 1000 * s))
    m.datasets.append(_clicks(w, rng, 1000 * s))
    m.datasets.append(_legacy_seq(w, rng, 500 * s))
    m.datasets += _reports(w, rng)
    _noise(w, rng, m)
    w.write("hive/ddl.sql", DDL)
    m.ddl_mismatches.append(("web.page_views", "delimiter"))
    _jobs(w, m)
    (root / "manifest.json").write_text(json.dumps(m.to_json(), indent=2, default=str) + "\n")
    return m


def main() -> None:  # pragma: no cover - convenience for humans: python -m migrate.estate DIR
    import sys

    m = generate_estate(Path(sys.argv[1] if len(sys.argv) > 1 else "estate"))
    print(f"estate at {m.root}: {len(m.datasets)} datasets, {len(m.jobs)} jobs")


if __name__ == "__main__":  # pragma: no cover
    main()
