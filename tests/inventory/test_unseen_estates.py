"""The inventory and `plan init` on estates shaped unlike ``migrate.estate``: other people's layouts, DDL dumps,
DPark jobs in the wild and Mesos specs. Every input is generated here, small, in a temporary folder; the
tests assert facts (formats, delimiters, headers, partitions, types, job inputs and outputs, problems with
file:line, waves) and that the plan written from the result passes ``migrate.plan.check_plan``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from migrate.inventory import RootSpec, build_inventory
from migrate.inventory.ddl import parse_ddl
from migrate.inventory.jobs_dpark import analyze as analyze_py
from migrate.inventory.jobs_mesos import parse_aurora, parse_crontab, parse_json_spec, scripts_in
from migrate.inventory.lineage import norm_path
from migrate.inventory.model import Dataset, Inventory, Job, PathRef

HDFS_ALIAS = "hdfs://nameservice1"
WH = "user/hive/warehouse/shop.db"


def _w(root: Path, rel: str, data: bytes | str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


# --- data ---------------------------------------------------------------------------------------------


def _mfs(root: Path) -> None:
    _w(root, "log/semi/part-00000", "id;name;amount\n1;alpha;1.5\n2;beta;2.25\n3;gamma;\n")
    _w(root, "log/pipe_crlf/0000", "1|x|2024-01-01\r\n2|y|2024-01-02\r\n")
    _w(root, "log/pipe_crlf/0001", "3|z|2024-01-03\r\n")
    _w(root, "exports/quoted/part-00000.csv",
       'id,comment,score\n1,"hello, world",3.5\n2,"multi\nline, note",4\n3,"says ""hi""",5\n')
    _w(root, "exports/digits_header/data.csv",
       "uid,1d_clicks,7d_clicks,30d_ratio\n" + "".join(f"{i},{i * 2},{i * 7},0.{i}\n" for i in range(1, 6)))
    _w(root, "exports/bom/users.csv", b"\xef\xbb\xbfid,name\n1,ann\n2,bob\n")
    _w(root, "exports/latin1/part-00000",
       "id;city;note\n1;Zürich;très bien\n2;Köln;ça va\n3;São Paulo;ok\n".encode("latin-1"))
    _w(root, "exports/gbk/part-00000", "id,城市\n1,北京\n2,上海\n3,广州\n".encode("gbk"))
    _w(root, "exports/only_header/part-00000", "id,name,amount\n")
    # DPark output next to Hadoop noise; a zero-byte part among data parts, two naming styles.
    _w(root, "out/zero_mixed/part-00000", "a\t1\n")
    _w(root, "out/zero_mixed/part-00001", b"")
    _w(root, "out/zero_mixed/0002", "b\t2\n")
    _w(root, "out/zero_mixed/_SUCCESS", b"")
    _w(root, "out/zero_mixed/_logs/history/job_1_conf.xml", "<conf/>")
    _w(root, "out/zero_mixed/.hive-staging_hive_2024-01-01_00-00-00_000_1/-ext-10000/000000_0", "c\t3\n")
    _w(root, "out/zero_mixed/_temporary/0/_temporary/attempt_1/part-00003", "d\t4\n")
    # Hive partitions with escaped colons, spaces and the default partition.
    _w(root, "tables/visits/dt=2024-01-01 00%3A00%3A00/city=New York/000000_0", "1\x01a\n2\x01b\n")
    _w(root, "tables/visits/dt=2024-01-02 00%3A00%3A00/city=__HIVE_DEFAULT_PARTITION__/000000_0", "3\x01c\n")
    # A dataset folder that also holds a sub-dataset.
    _w(root, "warehouse/events/part-00000", '{"id": 1, "kind": "a"}\n{"id": 2, "kind": "b"}\n')
    _w(root, "warehouse/events/archive/part-00000", '{"id": 0, "kind": "z", "old": true}\n')


def _orc(rows: int) -> bytes:
    import pyarrow as pa
    import pyarrow.orc as orc

    buf = io.BytesIO()
    orc.write_table(pa.table({"sku": [f"s{i}" for i in range(rows)], "qty": list(range(rows))}), buf)
    return buf.getvalue()


def _parquet(rows: int) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"sku": [f"s{i}" for i in range(rows)], "total": [i * 1.5 for i in range(rows)]}), buf)
    return buf.getvalue()


AVRO_SCHEMA = {"type": "record", "name": "item", "fields": [
    {"name": "sku", "type": "string"}, {"name": "price", "type": ["null", "double"]}]}


def _avro(rows: int) -> bytes:
    import fastavro

    buf = io.BytesIO()
    fastavro.writer(buf, AVRO_SCHEMA, [{"sku": f"s{i}", "price": float(i)} for i in range(rows)])
    return buf.getvalue()


def _hdfs(root: Path) -> None:
    from migrate.estate import sequence_file

    _w(root, f"{WH}/orders_pipe/dt=2024-01-01/hour=00/000000_0", "1|10.5|\n2||note\n")
    _w(root, f"{WH}/orders_pipe/dt=2024-01-01/hour=01/000000_0", "3|7.25|x\n")
    _w(root, f"{WH}/reviews_csv/000000_0", '"1";"good; really";"5"\n"2";"bad";"1"\n')
    _w(root, f"{WH}/clicks_json/000000_0", '{"uid": 1, "url": "/a"}\n{"uid": 2, "url": "/b"}\n')
    _w(root, f"{WH}/items_orc/000000_0", _orc(4))
    _w(root, f"{WH}/items_parquet/000000_0", _parquet(5))
    _w(root, f"{WH}/items_avro/000000_0", _avro(6))
    _w(root, f"{WH}/items_seq/000000_0", sequence_file([("k1", "v1"), ("k2", "v2")], bytes(range(16))))
    _w(root, f"{WH}/items_rc/000000_0", b"RCF\x01\x00\x00\x00\x00\x08\x00" + bytes(range(256)) * 4)
    _w(root, f"{WH}/bucketed/000000_0", "1\t2024-01-01\n2\t2024-01-02\n")
    _w(root, f"{WH}/bucketed/000001_0", "3\t2024-01-03\n")


DDL = r"""-- dumped with: for t in $(hive -e 'show tables'); do hive -e "show create table $t"; done
-- a comment; with a semicolon and a 'quote'
CREATE EXTERNAL TABLE `shop`.`orders_pipe`(
  `id` bigint COMMENT 'order id; unique',
  `amount` decimal(10,2) COMMENT 'the customer\'s total',
  `note` string)
PARTITIONED BY (
  `dt` string COMMENT 'day (local)',
  `hour` int)
ROW FORMAT SERDE
  'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'
WITH SERDEPROPERTIES (
  'field.delim'='|',
  'serialization.format'='|',
  'serialization.null.format'='')
STORED AS INPUTFORMAT
  'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT
  'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION
  'hdfs://nameservice1/user/hive/warehouse/shop.db/orders_pipe'
TBLPROPERTIES (
  'transient_lastDdlTime'='1500000000')
CREATE TABLE `shop.reviews_csv`(
  `id` string COMMENT 'from deserializer',
  `body` string COMMENT 'from deserializer',
  `stars` string COMMENT 'from deserializer')
ROW FORMAT SERDE
  'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES (
  'quoteChar'='\"',
  'separatorChar'=';')
STORED AS INPUTFORMAT
  'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT
  'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION
  '/user/hive/warehouse/shop.db/reviews_csv'
CREATE TABLE shop.clicks_json (uid bigint, url string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS TEXTFILE
LOCATION 'hdfs://nameservice1:8020/user/hive/warehouse/shop.db/clicks_json';

CREATE TABLE shop.items_orc (sku string, qty bigint)
CLUSTERED BY (sku) SORTED BY (sku ASC) INTO 4 BUCKETS
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.orc.OrcSerde'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat'
LOCATION 'hdfs://nameservice1/user/hive/warehouse/shop.db/items_orc'
TBLPROPERTIES ('orc.compress'='ZLIB', 'comment'='has a ; inside');

CREATE TABLE shop.items_parquet (sku string, total double)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION 'hdfs://nameservice1/user/hive/warehouse/shop.db/items_parquet';

CREATE TABLE shop.items_avro
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.avro.AvroSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat'
LOCATION 'hdfs://nameservice1/user/hive/warehouse/shop.db/items_avro'
TBLPROPERTIES ('avro.schema.literal'='{"type": "record", "name": "item", "fields": [
  {"name": "sku", "type": "string"}, {"name": "price", "type": ["null", "double"]}]}');

CREATE TABLE shop.items_seq (k string, v string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '1'
STORED AS SEQUENCEFILE
LOCATION 'hdfs://nameservice1/user/hive/warehouse/shop.db/items_seq';

CREATE TABLE shop.items_rc (sku string, qty int)
STORED AS RCFILE
LOCATION 'hdfs://nameservice1/user/hive/warehouse/shop.db/items_rc';

CREATE TABLE `shop`.`bucketed` (`id` int, `day` date)
CLUSTERED BY (id) INTO 2 BUCKETS
SKEWED BY (id) ON ((1), (2)) STORED AS DIRECTORIES
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t' LINES TERMINATED BY '\n'
LOCATION 'hdfs://nameservice1/user/hive/warehouse/shop.db/bucketed';

CREATE VIEW `shop.v_orders` AS SELECT `orders_pipe`.`id` FROM `shop`.`orders_pipe` WHERE note <> ';';
"""


# --- jobs ---------------------------------------------------------------------------------------------

NGINX_DAILY = (
    "#!/usr/bin/env python\n"
    "# -*- coding: utf-8 -*-\n"
    "import os, sys, glob\n"
    "from dpark import DparkContext, optParser\n"
    "optParser.add_option('-d', '--day', dest='day', default='2024-01-01')\n"
    "dpark = DparkContext('mesos')\n"
    "BASE = '/mfs/log'\n"
    "OUT = '/mfs/out/zero_mixed'\n"
    "SEMI = '%s/%s' % (BASE, 'semi')\n"
    "\n"
    "def parse(line):\n"
    "\tparts = line.split(';')\n"
    "        if len(parts) <> 3:\n"
    "\t\treturn None\n"
    "        return parts\n"
    "\n"
    "paths = [os.path.join(BASE, 'pipe_crlf', n) for n in ('0000', '0001')]\n"
    "semi = dpark.textFile(SEMI, splitSize=64<<20).map(parse).filter(None)\n"
    "pipes = dpark.textFile(glob.glob('/mfs/log/pipe_crlf/00*'))\n"
    "both = dpark.textFile(','.join(['/mfs/log/pipe_crlf', '/mfs/exports/bom']))\n"
    "pairs = semi.map(lambda (i, n, a): (n, float(a or 0))).reduceByKey(lambda x, y: x + y)\n"
    "print >>sys.stderr, 'pairs', pairs.count()\n"
    "pairs.mergeSplit(4).saveAsCSVFile(OUT, dialect='excel-tab')\n"
    "os.system('cat %s/* | sort > /tmp/nginx_daily.txt' % OUT)\n"
)

HELPERS = (
    "# no dpark import: the context comes from the caller\n"
    "def load(ctx, day):\n"
    "    return ctx.textFile('/mfs/log/semi/%s' % day)\n"
)

BEANS = (
    "import os\n"
    "from dpark import DparkContext\n"
    "import helpers\n"
    "ctx = DparkContext()\n"
    "ROOT = '/mfs'\n"
    "users = ctx.beansdb(ROOT + '/beansdb/users', depth=2)\n"
    "base = ctx.makeRDD(range(10), 2)\n"
    "zero = ctx.textFile(os.path.join(ROOT, 'out', 'zero_mixed'))\n"
    "allrows = ctx.union([zero, base.map(str)])\n"
    "allrows.saveAsTabular('/mfs/warehouse/events/archive', ['id', 'kind'])\n"
    "users.saveAsBeansdb(ROOT + '/beansdb/users_copy')\n"
    "allrows.saveAsTextFile('{0}/{1}'.format(ROOT, 'warehouse/events'), ext='json')\n"
)

LOAD_ORDERS = """\
-- load orders; run: hive -hiveconf dt=2024-01-01 -f load_orders.hql
SET hive.exec.dynamic.partition=true;
INSERT OVERWRITE TABLE shop.orders_pipe PARTITION (dt='${hiveconf:dt}', hour)
SELECT cast(r.id AS bigint), cast(r.stars AS decimal(10,2)), r.body, '00'
FROM shop.reviews_csv r;
"""

REPORT = """\
USE shop;
INSERT OVERWRITE TABLE items_parquet
SELECT o.note, sum(o.amount) FROM orders_pipe o GROUP BY o.note;
"""

MARATHON_GROUP = {
    "id": "/prod",
    "apps": [{"id": "/prod/health", "cmd": "sleep infinity", "cpus": 0.1, "mem": 32}],
    "groups": [{
        "id": "/prod/etl",
        "apps": [{"id": "/prod/etl/ingest", "cmd": "cd /srv/jobs && python2.7 dpark/nginx_daily.py -m mesos",
                  "cpus": 1, "mem": 1024, "instances": 1}],
        "groups": [{"id": "/prod/etl/deep", "apps": [{"id": "/prod/etl/deep/beans",
                                                       "args": ["dpark", "dpark/beans.py", "-m", "mesos"]}]}],
    }],
}

CHRONOS_CHAIN = [
    {"name": "orders-load", "command": "hive -hiveconf dt=$(date +%F) -f /srv/jobs/hive/load_orders.hql",
     "schedule": "R/2024-01-01T01:00:00.000Z/PT24H", "owner": "etl@example.com", "cpus": 0.5, "mem": 512},
    {"name": "orders-report", "parents": ["orders-load"],
     "command": "beeline -u 'jdbc:hive2://hs2:10000/shop' -n etl -f hive/report.hql"},
    {"name": "orders-notify", "parents": ["orders-report"], "command": "echo done | mail -s done etl"},
]

AURORA = """\
# two jobs sharing a template process
include('base.aurora')

MB = 1024 * 1024
run = Process(name = 'run', cmdline = 'cd {{mesos.sandbox}} && dpark dpark/beans.py --day {{day}}')
setup = Process(name = 'setup', cmdline = 'echo {{profile.env}}')
task = SequentialTask(name = 'beans', processes = [setup, run],
                      resources = Resources(cpu = 0.5, ram = 256 * MB, disk = 1 * GB))
jobs = [
  Job(cluster = 'west', role = 'etl', environment = 'prod', name = 'beans-prod', task = task,
      cron_schedule = '15 5 * * *'),
  Service(cluster = 'west', role = 'etl', environment = 'devel', name = 'beans-dev', task = task),
]
"""

CRONTAB = """\
SHELL=/bin/bash
MAILTO=""
PATH=/usr/local/bin:/usr/bin
# nightly jobs of the etl user; the next line is a comment with a ; in it
@daily cd /srv/jobs && nice -n 10 dpark dpark/nginx_daily.py -m mesos >> /var/log/nginx_daily.log 2>&1
30 4 * * 1-5 /usr/bin/env python dpark/beans.py \\
    --day yesterday
"""


def _jobs(root: Path) -> None:
    _w(root, "dpark/nginx_daily.py", NGINX_DAILY)
    _w(root, "dpark/helpers.py", HELPERS)
    _w(root, "dpark/beans.py", BEANS)
    _w(root, "hive/load_orders.hql", LOAD_ORDERS)
    _w(root, "hive/report.hql", REPORT)
    _w(root, "marathon/prod.json", json.dumps(MARATHON_GROUP, indent=2))
    _w(root, "chronos/chain.json", json.dumps(CHRONOS_CHAIN, indent=2))
    _w(root, "aurora/beans.aurora", AURORA)
    _w(root, "cron/etl.crontab", CRONTAB)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("unseen")
    _mfs(root / "mfs")
    _hdfs(root / "hdfs")
    _w(root, "ddl/dump.sql", DDL)
    _jobs(root / "jobs")
    return root


@pytest.fixture(scope="module")
def inv(estate: Path) -> Inventory:
    roots = [RootSpec("mfs", f"file://{estate / 'mfs'}", aliases=["/mfs"]),
             RootSpec("hdfs", f"file://{estate / 'hdfs'}", aliases=[HDFS_ALIAS])]
    return build_inventory(roots, ddl=[estate / "ddl/dump.sql"], jobs_dirs=[estate / "jobs"])


def _ds(inv: Inventory, path: str) -> Dataset:
    return inv.dataset(path)


def _types(d: Dataset) -> list[str]:
    return [c.type for c in d.schema_]


def _names(d: Dataset) -> list[str]:
    return [c.name for c in d.schema_]


# --- data facts ---------------------------------------------------------------------------------------


def test_datasets_found(inv: Inventory) -> None:
    mfs = sorted(d.path for d in inv.datasets if d.root == "mfs")
    assert mfs == sorted([
        "log/semi", "log/pipe_crlf", "exports/quoted", "exports/digits_header", "exports/bom", "exports/latin1",
        "exports/gbk", "exports/only_header", "out/zero_mixed", "tables/visits", "warehouse/events",
        "warehouse/events/archive"])
    hdfs = sorted(d.path.rsplit("/", 1)[-1] for d in inv.datasets if d.root == "hdfs")
    assert hdfs == sorted(["orders_pipe", "reviews_csv", "clicks_json", "items_orc", "items_parquet",
                           "items_avro", "items_seq", "items_rc", "bucketed"])


def test_delimiters_headers_and_types(inv: Inventory) -> None:
    semi = _ds(inv, "log/semi")
    assert (semi.format.kind, semi.format.delimiter, semi.format.header) == ("csv", ";", True)
    assert _names(semi) == ["id", "name", "amount"] and _types(semi) == ["bigint", "string", "double"]
    assert semi.rows == 3 and semi.rows_exact

    pipe = _ds(inv, "log/pipe_crlf")
    assert (pipe.format.delimiter, pipe.format.header) == ("|", False)
    assert _types(pipe) == ["bigint", "string", "date"] and pipe.rows == 3 and pipe.files == 2
    assert not any(c.name.endswith("\r") for c in pipe.schema_)

    digits = _ds(inv, "exports/digits_header")
    assert digits.format.header is True
    assert _names(digits) == ["uid", "1d_clicks", "7d_clicks", "30d_ratio"]
    assert _types(digits) == ["bigint", "bigint", "bigint", "double"] and digits.rows == 5


def test_quoted_newlines_counted_as_rows(inv: Inventory) -> None:
    q = _ds(inv, "exports/quoted")
    assert (q.format.kind, q.format.delimiter, q.format.header, q.format.quote) == ("csv", ",", True, '"')
    assert _names(q) == ["id", "comment", "score"] and _types(q) == ["bigint", "string", "double"]
    assert q.rows == 3


def test_every_record_spanning_lines_is_still_csv(tmp_path: Path) -> None:
    """Notes exported with a newline in every comment: fewer records than lines (a third here), each one
    consistent; the sniffer counts fields per record, not per physical line."""
    body = "".join(f'{i},"first line, of {i}\nsecond ""quoted""\nthird",{i}.5\n' for i in range(40))
    _w(tmp_path, "crm/notes/notes.csv", "id,comment,price\n" + body)
    (ds,) = build_inventory([RootSpec("t", f"file://{tmp_path}")]).datasets
    assert (ds.format.kind, ds.format.delimiter, ds.format.header, ds.rows) == ("csv", ",", True, 40)
    assert [(c.name, c.type) for c in ds.schema_] == [("id", "bigint"), ("comment", "string"), ("price", "double")]


def test_date_folders_are_one_dataset_not_one_per_day(tmp_path: Path) -> None:
    """Logs written by date without Hive's k=v (yyyy/mm/dd, yyyymmdd, yyyy-mm-dd/hh) are one dataset per
    log, not one per day named after the day; plan init -> run migrates every day, folders kept."""
    import yaml

    from migrate.engine import run_dataset
    from migrate.inventory.plan_init import plan_from_inventory
    from migrate.plan import load_plan_text

    for day in ("2024/02/28", "2024/02/29", "2024/03/01"):
        _w(tmp_path, f"mfs/events/json/{day}/events.json", "".join(f'{{"id": {i}, "k": "v"}}\n' for i in range(3)))
    for day in ("20240301", "20240302"):
        _w(tmp_path, f"mfs/clicks/{day}/part-00000", "1,a\n2,b\n")
    _w(tmp_path, "mfs/access/2024-03-01/05/log.tsv", "1\tx\n")
    _w(tmp_path, "mfs/access/2024-03-01/06/log.tsv", "2\ty\n")
    inv = build_inventory([RootSpec("mfs", f"file://{tmp_path / 'mfs'}")])
    got = {d.path: (d.files, d.rows, d.format.details.get("date_folders")) for d in inv.datasets}
    assert got == {"events/json": (3, 9, "true"), "clicks": (2, 4, "true"), "access": (2, 2, "true")}
    doc, _ = plan_from_inventory(inv, tmp_path / "plan.yaml", name="dated", target_path=str(tmp_path / "lake"))
    plan = load_plan_text(yaml.safe_dump(doc), base_dir=tmp_path)
    rep = run_dataset(plan, plan.datasets[[d.source.path for d in plan.datasets].index("events/json")])
    assert rep.ok and rep.rows_written == 9 and rep.files_processed == 3
    out = sorted(p.parent.relative_to(tmp_path / "lake").as_posix() for p in (tmp_path / "lake").rglob("*.parquet"))
    assert [o.rsplit("/", 3)[-3:] for o in out] == [["2024", "02", "28"], ["2024", "02", "29"], ["2024", "03", "01"]]


def test_parquet_schema_evolution_lands_in_one_table(tmp_path: Path) -> None:
    """A Hive table's Parquet files written over years: a column added later, an int widened to bigint.
    The inventory reports the union (by name, widened, nullable where a file lacks it), plan init declares
    it, and the files land in one Iceberg table, the old files' new column null."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import yaml

    from migrate import runner
    from migrate.inventory.plan_init import plan_from_inventory
    from migrate.plan import load_plan_text

    old = tmp_path / "wh" / "orders" / "ds=20200101"
    new = tmp_path / "wh" / "orders" / "ds=20240101"
    old.mkdir(parents=True)
    new.mkdir(parents=True)
    pq.write_table(pa.table({"id": pa.array(range(3), pa.int32()), "amount": [1.0, 2.0, 3.0]}), old / "p.parquet")
    pq.write_table(pa.table({"id": pa.array([10, 11], pa.int64()), "amount": [4.0, 5.0], "coupon": ["a", None]}),
                   new / "p.parquet")
    inv = build_inventory([RootSpec("wh", f"file://{tmp_path / 'wh'}")])
    (ds,) = inv.datasets
    assert ds.format.details.get("schema_evolution") == "true"
    assert [(c.name, c.type, c.nullable) for c in ds.schema_] == [
        ("id", "bigint", True), ("amount", "double", True), ("coupon", "string", True)]
    doc, _ = plan_from_inventory(inv, tmp_path / "plan.yaml", name="evolved", target_path=str(tmp_path / "lake"),
                                 target_kind="iceberg")
    assert [c["name"] for c in doc["datasets"][0]["schema"]] == ["id", "amount", "coupon"]
    plan = load_plan_text(yaml.safe_dump(doc), base_dir=tmp_path)
    (out,) = runner.run_plan(plan).outcomes
    assert out.ok and (out.source_rows, out.target_rows) == (5, 5), out.error
    from migrate.iceberg import load_catalog

    table = load_catalog(plan, state_dir=plan.state_dir).load_table(doc["datasets"][0]["target"]["table"])
    rows = sorted(table.scan().to_arrow().select(["id", "coupon"]).to_pylist(), key=lambda r: r["id"])
    assert rows == [{"id": 0, "coupon": None}, {"id": 1, "coupon": None}, {"id": 2, "coupon": None},
                    {"id": 10, "coupon": "a"}, {"id": 11, "coupon": None}]


def test_encodings(inv: Inventory) -> None:
    bom = _ds(inv, "exports/bom")
    assert _names(bom) == ["id", "name"] and bom.format.header
    assert bom.format.encoding == "utf-8" and bom.format.details["bom"] == "true"  # the engine reads utf-8 BOMs
    lat = _ds(inv, "exports/latin1")
    assert lat.format.encoding == "latin-1"
    assert (lat.format.delimiter, lat.format.header) == (";", True) and _names(lat) == ["id", "city", "note"]
    gbk = _ds(inv, "exports/gbk")
    assert gbk.format.encoding == "gb18030" and gbk.format.header and _names(gbk) == ["id", "城市"]


def test_only_header_file(inv: Inventory) -> None:
    d = _ds(inv, "exports/only_header")
    assert d.format.kind == "csv" and d.format.header is True
    assert _names(d) == ["id", "name", "amount"] and d.rows == 0


def test_noise_zero_byte_and_mixed_part_names(inv: Inventory, estate: Path) -> None:
    d = _ds(inv, "out/zero_mixed")
    assert d.format.kind == "tsv" and d.format.header is False
    assert d.files == 3 and d.rows == 2 and _types(d) == ["string", "bigint"]
    skipped = {s.path.rsplit("/", 1)[-1]: s.reason for s in inv.skipped if "zero_mixed" in s.path}
    assert skipped["_SUCCESS"] == "marker" and skipped["_logs"] == "marker"
    assert skipped["_temporary"] == "temporary"
    assert skipped[".hive-staging_hive_2024-01-01_00-00-00_000_1"] == "staging"
    assert not any(x.path.startswith("out/zero_mixed/") for x in inv.datasets)


def test_partition_values_unescaped(inv: Inventory) -> None:
    v = _ds(inv, "tables/visits")
    assert v.format.kind == "hive_text" and v.partition_columns == ["dt", "city"]
    assert sorted(v.partitions, key=lambda p: p["dt"]) == [
        {"dt": "2024-01-01 00:00:00", "city": "New York"},
        {"dt": "2024-01-02 00:00:00", "city": "__HIVE_DEFAULT_PARTITION__"},
    ]
    assert v.rows == 3 and v.partition_count == 2


def test_dataset_with_sub_dataset(inv: Inventory) -> None:
    ev, arch = _ds(inv, "warehouse/events"), _ds(inv, "warehouse/events/archive")
    assert ev.files == 1 and ev.rows == 2 and _names(ev) == ["id", "kind"]
    assert arch.rows == 1 and _names(arch) == ["id", "kind", "old"]


def test_self_describing_formats(inv: Inventory) -> None:
    def d(name: str) -> Dataset:
        return _ds(inv, f"{WH}/{name}")

    assert d("items_orc").format.kind == "orc" and _types(d("items_orc")) == ["string", "bigint"]
    assert d("items_parquet").format.kind == "parquet" and d("items_parquet").rows == 5
    assert d("items_avro").format.kind == "avro" and _types(d("items_avro")) == ["string", "double"]
    assert d("items_seq").format.kind == "sequencefile" and d("items_seq").rows == 2
    rc = d("items_rc")
    assert rc.format.kind == "rcfile"
    assert not [p for p in inv.problems if p.kind == "binary" and "items_rc" in p.path]


# --- DDL facts ----------------------------------------------------------------------------------------


def test_ddl_tables(inv: Inventory, estate: Path) -> None:
    t = {x.name: x for x in inv.hive_tables}
    assert sorted(t) == sorted(f"shop.{n}" for n in (
        "orders_pipe", "reviews_csv", "clicks_json", "items_orc", "items_parquet", "items_avro", "items_seq",
        "items_rc", "bucketed"))
    op = t["shop.orders_pipe"]
    assert op.storage == "text" and op.delimiter == "|" and op.null_format == ""
    assert [(c.name, c.type) for c in op.partition_columns] == [("dt", "string"), ("hour", "int")]
    assert op.columns[0].comment == "order id; unique" and op.columns[1].comment == "the customer's total"
    assert op.columns[1].type == "decimal(10,2)" and op.external
    assert op.source == f"{estate / 'ddl/dump.sql'}:3"
    rv = t["shop.reviews_csv"]
    assert rv.storage == "text" and rv.delimiter == ";" and rv.source.endswith(":24")
    cj = t["shop.clicks_json"]
    assert cj.storage == "text" and cj.delimiter is None
    assert t["shop.items_orc"].storage == "orc" and t["shop.items_orc"].properties["comment"] == "has a ; inside"
    assert t["shop.items_parquet"].storage == "parquet"
    av = t["shop.items_avro"]
    assert av.storage == "avro" and [(c.name, c.type) for c in av.columns] == [("sku", "string"), ("price", "double")]
    assert t["shop.items_seq"].storage == "sequencefile" and t["shop.items_seq"].delimiter == "\x01"
    assert t["shop.items_rc"].storage == "rcfile"
    bk = t["shop.bucketed"]
    assert bk.storage == "text" and bk.delimiter == "\t"
    for name, tab in t.items():
        assert tab.dataset is not None, name
    assert not [w for w in inv.warnings if w.kind == "ddl_no_data"]
    mism = [w.message for w in inv.warnings if w.kind == "ddl_mismatch"]
    assert mism == [], mism


def test_ddl_gives_names_to_headerless_text(inv: Inventory) -> None:
    op = _ds(inv, f"{WH}/orders_pipe")
    assert op.format.delimiter == "|" and op.partition_columns == ["dt", "hour"]
    assert _names(op) == ["id", "amount", "note"] and op.hive_table == "shop.orders_pipe"
    bk = _ds(inv, f"{WH}/bucketed")
    assert _names(bk) == ["id", "day"] and _types(bk) == ["bigint", "date"]


# --- job facts ----------------------------------------------------------------------------------------


def _paths(refs: list[PathRef], dynamic: bool = False) -> list[str]:
    return sorted(norm_path(r.text) if r.kind == "path" else r.text for r in refs if r.dynamic == dynamic)


def test_dpark_in_the_wild(inv: Inventory) -> None:
    j = inv.job("dpark/nginx_daily.py")
    assert j.kind == "dpark" and j.python2
    assert _paths(j.inputs) == ["/mfs/exports/bom", "/mfs/log/pipe_crlf", "/mfs/log/pipe_crlf", "/mfs/log/semi"]
    assert _paths(j.outputs) == ["/mfs/out/zero_mixed"]
    assert {r.dataset for r in j.inputs} == {"mfs:/log/semi", "mfs:/log/pipe_crlf", "mfs:/exports/bom"}
    assert [p.kind for p in j.problems if p.kind == "python_parse"] == []
    shell = [p for p in inv.warnings if p.kind == "shell_command" and "nginx_daily" in p.path]
    assert [p.path for p in shell] == ["dpark/nginx_daily.py:24"] and "cat" in shell[0].message

    h = inv.job("dpark/helpers.py")
    assert h.kind == "dpark" and [r.dynamic for r in h.inputs] == [True]
    assert h.inputs[0].text == "'/mfs/log/semi/%s' % day"
    assert any(w.kind == "dynamic_path" and w.path == "dpark/helpers.py:3" for w in inv.warnings)

    b = inv.job("dpark/beans.py")
    assert _paths(b.inputs) == ["/mfs/beansdb/users", "/mfs/out/zero_mixed"]
    assert _paths(b.outputs) == ["/mfs/beansdb/users_copy", "/mfs/warehouse/events", "/mfs/warehouse/events/archive"]
    assert {r.dataset for r in b.outputs} == {None, "mfs:/warehouse/events", "mfs:/warehouse/events/archive"}
    assert not b.python2


def test_hive_jobs(inv: Inventory) -> None:
    lo = inv.job("hive/load_orders.hql")
    assert [r.text for r in lo.inputs] == ["shop.reviews_csv"] and [r.text for r in lo.outputs] == ["shop.orders_pipe"]
    assert lo.outputs[0].dataset == f"hdfs:/{WH}/orders_pipe" and "hiveconf:dt" in lo.variables
    rp = inv.job("hive/report.hql")
    assert [r.text for r in rp.inputs] == ["shop.orders_pipe"]
    assert [r.text for r in rp.outputs] == ["shop.items_parquet"]


def _spec(inv: Inventory, kind: str, name: str) -> Job:
    return next(j for j in inv.jobs if j.kind == kind and j.name == name)


def test_marathon_groups(inv: Inventory) -> None:
    names = sorted(j.name or "" for j in inv.jobs if j.kind == "marathon")
    assert names == ["/prod/etl/deep/beans", "/prod/etl/ingest", "/prod/health"]
    assert _spec(inv, "marathon", "/prod/etl/ingest").runs == ["dpark:dpark/nginx_daily.py"]
    assert _spec(inv, "marathon", "/prod/etl/deep/beans").runs == ["dpark:dpark/beans.py"]
    assert _spec(inv, "marathon", "/prod/etl/ingest").resources["mem"] == 1024


def test_chronos_chain(inv: Inventory) -> None:
    load, rep, notify = (_spec(inv, "chronos", n) for n in ("orders-load", "orders-report", "orders-notify"))
    assert load.runs == ["hive:hive/load_orders.hql"] and rep.runs == ["hive:hive/report.hql"]
    assert rep.parents == ["orders-load"] and notify.parents == ["orders-report"] and notify.runs == []
    edges = {(e.src, e.dst, e.kind) for e in inv.lineage.edges}
    assert (load.id, rep.id, "triggers") in edges and (rep.id, notify.id, "triggers") in edges
    assert load.wave is not None and rep.wave is not None and notify.wave is not None
    assert load.wave < rep.wave < notify.wave


def test_aurora_several_jobs(inv: Inventory) -> None:
    prod, dev = _spec(inv, "aurora", "beans-prod"), _spec(inv, "aurora", "beans-dev")
    assert prod.runs == dev.runs == ["dpark:dpark/beans.py"]
    assert prod.schedule == "15 5 * * *" and dev.schedule is None
    assert prod.resources["ram"] == 256 * 1024 * 1024 and prod.resources["role"] == "etl"
    assert "{{day}}" in (prod.command or "")


def test_crontab(inv: Inventory) -> None:
    cron = sorted((j for j in inv.jobs if j.kind == "cron"), key=lambda j: j.line or 0)
    assert [(j.line, j.schedule) for j in cron] == [(5, "@daily"), (6, "30 4 * * 1-5")]
    assert cron[0].runs == ["dpark:dpark/nginx_daily.py"] and cron[1].runs == ["dpark:dpark/beans.py"]
    assert "--day yesterday" in (cron[1].command or "")
    assert not [p for p in inv.problems if p.kind == "spec_parse"]
    assert not [p for p in inv.problems if p.kind == "unknown_script"]


def test_waves_respect_lineage(inv: Inventory) -> None:
    wave = {d.id: d.wave or 0 for d in inv.datasets} | {j.id: j.wave or 0 for j in inv.jobs}
    for e in inv.lineage.edges:
        if e.src in wave and e.dst in wave:
            if e.kind == "reads":
                assert wave[e.src] <= wave[e.dst], e
            elif e.kind == "writes":
                assert wave[e.dst] <= wave[e.src], e
            elif e.kind == "triggers":
                assert wave[e.src] < wave[e.dst], e
            elif e.kind == "runs":
                assert wave[e.src] == wave[e.dst], e
    # nginx_daily writes out/zero_mixed, which beans.py reads.
    assert wave["dpark:dpark/nginx_daily.py"] < wave["dpark:dpark/beans.py"]
    assert wave["hive:hive/load_orders.hql"] < wave["hive:hive/report.hql"]
    assert inv.lineage.cycles == []


# --- plan init ----------------------------------------------------------------------------------------


def test_plan_init_on_unseen_estate(inv: Inventory, tmp_path: Path) -> None:
    from migrate.inventory.plan_init import write_plan
    from migrate.plan import check_plan, load_plan

    out = tmp_path / "plans" / "unseen.yaml"
    text = write_plan(inv, out, source="inv.json", name="Unseen Estate!")
    assert check_plan(out) == [], text
    plan = load_plan(out)
    names = {d.name for d in plan.datasets}
    assert "rcfile" in text  # left out with a note, not silently
    bom = next(d for d in plan.datasets if d.source.path == "exports/bom")
    assert bom.format.encoding == "utf-8" and [c.name for c in bom.schema or []] == ["id", "name"]
    lat = next(d for d in plan.datasets if d.source.path == "exports/latin1")
    assert lat.format.encoding == "latin-1" and lat.format.delimiter == ";"
    op = next(d for d in plan.datasets if d.source.path.endswith("orders_pipe"))
    assert op.format.null_marker == "" and op.target.kind == "iceberg" and op.partition_columns == ["dt", "hour"]
    assert "events" in names and len(names) == len(plan.datasets)
    assert {j.kind for j in plan.jobs} == {"dpark", "hive", "marathon", "chronos", "aurora", "cron"}
    assert len({j.name for j in plan.jobs}) == len(plan.jobs)


def test_plan_init_through_cli(estate: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrate.cli import app

    r = CliRunner().invoke(app, [
        "inventory", "--root", f"mfs={estate / 'mfs'}", "--alias", "mfs=/mfs", "--root", f"hdfs={estate / 'hdfs'}",
        "--alias", f"hdfs={HDFS_ALIAS}", "--ddl", str(estate / "ddl/dump.sql"), "--jobs", str(estate / "jobs"),
        "-o", str(tmp_path / "inv.json"), "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["plan", "init", "--from-inventory", str(tmp_path / "inv.json"),
                                 "-o", str(tmp_path / "p.yaml")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["plan", "check", str(tmp_path / "p.yaml")])
    assert r.exit_code == 0, r.output


# --- parsers on their own -----------------------------------------------------------------------------


def test_ddl_dump_without_semicolons_keeps_lines() -> None:
    text = ("CREATE TABLE a (x int)\nLOCATION '/w/a'\n\nCREATE EXTERNAL TABLE `b`(\n  `y` string COMMENT 'CREATE;'\n)"
            "\nLOCATION\n  'hdfs://ns/w/b'\ncreate table c (z map<string,array<struct<p:int,q:string>>>)\n")
    tables, problems = parse_ddl(text, "d.sql")
    assert problems == []
    assert [(t.name, t.source) for t in tables] == [("default.a", "d.sql:1"), ("default.b", "d.sql:4"),
                                                    ("default.c", "d.sql:9")]
    assert tables[1].columns[0].comment == "CREATE;"
    assert tables[2].columns[0].type == "map<string,array<struct<p:int,q:string>>>"


def test_python2_shapes() -> None:
    src = (
        "import sys\n"
        "from dpark import DparkContext\n"
        "dc = DparkContext('mesos')\n"
        "OUT = '/mfs/x/%(day)s' % {'day': '2024-01-01'}\n"
        "print 'a', \\\n"
        "      'b'\n"
        "for p in ['/mfs/a', '/mfs/b']:\n"
        "    dc.textFile(p).saveAsTextFile(OUT)\n"
        "exec 'x = 1'\n"
        "raise SystemExit, 0\n"
        "print >>sys.stderr, 'n=%d' % 10L\n"
    )
    res = analyze_py(src, "w.py")
    assert res.python2 and res.is_dpark
    assert [r.text for r in res.outputs] == ["/mfs/x/2024-01-01"]
    assert [(r.dynamic, r.line) for r in res.inputs] == [(True, 8)]
    assert all(p.path.startswith("w.py:") for p in res.problems)


def test_scope_aware_folding() -> None:
    src = (
        "from dpark import DparkContext\n"
        "ctx = DparkContext()\n"
        "def step1():\n"
        "    out = '/mfs/a'\n"
        "    ctx.makeRDD([1]).saveAsTextFile(out)\n"
        "def step2():\n"
        "    out = '/mfs/b'\n"
        "    ctx.textFile('/mfs/a').saveAsTextFile(out)\n"
    )
    res = analyze_py(src, "s.py")
    assert [(r.text, r.dynamic) for r in res.outputs] == [("/mfs/a", False), ("/mfs/b", False)]


def test_spec_parsers_alone() -> None:
    assert scripts_in("nice -n 19 ionice -c3 timeout 3600 python -u jobs/a.py") == ["jobs/a.py"]
    assert scripts_in("env DPARK_CONF=/etc/dpark.conf /usr/bin/env python2 b.py") == ["b.py"]
    assert scripts_in("flock -n /tmp/c.lock dpark c.py -m mesos") == ["c.py"]
    assert scripts_in("FOO=1 BAR=2 python d.py") == ["d.py"]
    jobs, probs = parse_crontab("# c\nA=1\n0 * * * * python x.py \\\n  --flag\n@hourly   python y.py\n", "ct")
    assert probs == [] and [(j.line, j.scripts) for j in jobs] == [(3, ["x.py"]), (5, ["y.py"])]
    found, probs = parse_json_spec(json.dumps({"id": "/g", "groups": [{"id": "/g/h", "apps": [
        {"id": "/g/h/a", "cmd": "python a.py"}]}]}), "m.json")
    assert probs == [] and [j.name for j in found] == ["/g/h/a"]
    found, probs = parse_aurora("jobs = [Job(name='j', task=Task(processes=[Process(cmdline='python z.py')]))]\n",
                                "a.aurora")
    assert probs == [] and found[0].scripts == ["z.py"]


def test_ddl_dump_that_is_not_ddl_is_reported(tmp_path: Path) -> None:
    from migrate.inventory.ddl import parse_ddl_file

    garbage = tmp_path / "ddl.sql"
    garbage.write_bytes(b"first line\n\x00\x01\xff garbage\n")
    tables, problems = parse_ddl_file(garbage)
    assert tables == []
    paths = [p.path for p in problems]
    assert f"{garbage}:2" in paths  # the undecodable byte's line
    assert any("no CREATE TABLE" in p.message for p in problems)
