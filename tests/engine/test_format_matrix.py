"""Every input format on every target, read back equal to the generated source (issue 4).

Source data is generated here for each format (bigint, int, double, decimal(12,2), unicode strings with
delimiters and quotes, boolean, date, timestamp, a null in every nullable column, Hive ``k=v``
partition folders nested two deep with a ``__HIVE_DEFAULT_PARTITION__``). Each format is converted to
Parquet and to Iceberg on a local folder, SeaweedFS S3, JuiceFS through its S3 gateway and JuiceFS
through its FUSE mount, then read back (Parquet through the storage layer, Iceberg with a pyiceberg
scan) and compared with the Arrow table the source was written from: values, Arrow types, nulls and
the partition columns as typed columns. Copy-as-is runs on each target and compares bytes and
checksums. One SeaweedFS and one JuiceFS serve the whole session; data is tens of rows per file.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.orc as po
import pyarrow.parquet as pq
import pytest
import zstandard

from migrate import checksums, iceberg
from migrate.engine import PART_RE, EngineOptions, parquet_file, run_dataset, target_row_count
from migrate.ledger import Ledger
from migrate.plan import Plan, load_plan_text
from migrate.storage import open_storage
from migrate.storage.base import join_uri
from tests.formats.seqfile_writer import TEXT, write_seqfile

ROWS_PER_FILE = 12

# (name, plan type, arrow type, nullable)
COLUMNS: list[tuple[str, str, pa.DataType, bool]] = [
    ("id", "bigint", pa.int64(), False),
    ("n", "int", pa.int32(), True),
    ("x", "double", pa.float64(), True),
    ("amount", "decimal(12,2)", pa.decimal128(12, 2), True),
    ("s", "string", pa.string(), True),
    ("flag", "boolean", pa.bool_(), True),
    ("day", "date", pa.date32(), True),
    ("ts", "timestamp", pa.timestamp("us"), True),
]
PARTITIONS: list[tuple[str, str, pa.DataType]] = [("dt", "date", pa.date32()), ("country", "string", pa.string())]
# Nested Hive folders: a date, a unicode value, an escaped value and Hive's NULL partition.
PARTITION_DIRS: list[tuple[str, dict[str, Any]]] = [
    ("dt=2024-01-01/country=fr", {"dt": dt.date(2024, 1, 1), "country": "fr"}),
    ("dt=2024-01-02/country=日本", {"dt": dt.date(2024, 1, 2), "country": "日本"}),
    ("dt=2024-01-02/country=__HIVE_DEFAULT_PARTITION__", {"dt": dt.date(2024, 1, 2), "country": None}),
]
DATA_SCHEMA = pa.schema([pa.field(n, t, nullable) for n, _, t, nullable in COLUMNS])

STRINGS = ["plain", "héllo wörld", "日本語 🚀", "comma, inside", 'quote "q" inside', "", "semi;colon|pipe",
           "two\nlines", "  padded  ", "ünï", "x" * 40]
DOUBLES = [1.5, -0.1, 1e-7, 123456.789, 0.0, -2.5e10, 3.141592653589793, 2.0 ** 60]


def source_rows(file_no: int, newlines: bool) -> list[dict[str, Any]]:
    """ROWS_PER_FILE rows; every nullable column has nulls and values, plus edge values."""
    rows = []
    for i in range(ROWS_PER_FILE):
        k = file_no * ROWS_PER_FILE + i
        s = STRINGS[k % len(STRINGS)]
        if not newlines:
            s = s.replace("\n", " ")
        rows.append({
            "id": file_no * 1000 + i if i != 1 else -(2 ** 62) - file_no,
            "n": None if i % 5 == 1 else {2: 2 ** 31 - 1, 3: -(2 ** 31)}.get(i, k * 37 - 200),
            "x": None if i % 5 == 2 else DOUBLES[k % len(DOUBLES)],
            "amount": None if i % 5 == 3 else (Decimal("9999999999.99") if i == 4
                                               else Decimal(k * 12345 - 50000).scaleb(-2)),
            "s": None if i % 5 == 4 else s,
            "flag": None if i % 5 == 0 else bool(k % 3),
            "day": None if i % 6 == 5 else (dt.date(1969, 12, 31) if i == 0
                                            else dt.date(2024, 1, 1) + dt.timedelta(days=k * 40)),
            "ts": None if i % 6 == 3 else (dt.datetime(1969, 7, 20, 20, 17, 40) if i == 0 else
                                           dt.datetime(2024, 3, 1, 12, 0, 0, 123456)
                                           + dt.timedelta(hours=k * 7, microseconds=k)),
        })
    return rows


# -- text encodings ---------------------------------------------------------------------------------------
def _text(v: Any, col: str, null: str, *, ts_sep: str = " ") -> str:
    if v is None:
        return null
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=ts_sep)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def csv_lines(rows: list[dict[str, Any]]) -> str:
    # Non-string nulls are empty fields; string nulls are \N (the plan's null_marker); strings are quoted
    # (RFC 4180, doubled quotes), so "" is the empty string and commas/newlines stay inside the field.
    out = [",".join(n for n, *_ in COLUMNS)]
    for r in rows:
        fields = []
        for name, *_ in COLUMNS:
            v = r[name]
            if name == "s":
                fields.append("\\N" if v is None else '"' + v.replace('"', '""') + '"')
            elif name == "flag" and v is not None:
                fields.append(("TRUE", "t", "1")[r["id"] % 3] if v else ("False", "f", "0")[r["id"] % 3])
            else:
                fields.append(_text(v, name, ""))
        out.append(",".join(fields))
    return "\n".join(out) + "\n"


def delimited_lines(rows: list[dict[str, Any]], delim: str, header: bool, ts_sep: str = " ") -> list[str]:
    out = [delim.join(n for n, *_ in COLUMNS)] if header else []
    for r in rows:
        out.append(delim.join(_text(r[n], n, "\\N", ts_sep=ts_sep) for n, *_ in COLUMNS))
    return out


def jsonl_text(rows: list[dict[str, Any]]) -> str:
    lines = []
    for j, r in enumerate(rows):
        parts = []
        for name, *_ in COLUMNS:
            v = r[name]
            if v is None and j % 2:  # absent key: null too
                continue
            if v is None:
                enc = "null"
            elif isinstance(v, Decimal):
                enc = str(v)  # a JSON number with its exact decimal digits
            elif isinstance(v, dt.date | dt.datetime):
                enc = json.dumps(v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat())
            else:
                enc = json.dumps(v, ensure_ascii=j % 3 == 0)
            parts.append(f"{json.dumps(name)}: {enc}")
        lines.append("{" + ", ".join(parts) + "}")
    return "\n".join(lines) + "\n"


# -- binary encodings -------------------------------------------------------------------------------------
AVRO_SCHEMA = {
    "type": "record", "name": "row", "fields": [
        {"name": "id", "type": "long"},
        {"name": "n", "type": ["null", "int"]},
        {"name": "x", "type": ["null", "double"]},
        {"name": "amount", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 12,
                                             "scale": 2}]},
        {"name": "s", "type": ["null", "string"]},
        {"name": "flag", "type": ["null", "boolean"]},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
        {"name": "ts", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
    ],
}


def write_avro(path: Path, rows: list[dict[str, Any]]) -> None:
    import fastavro

    recs = [{**r, "ts": r["ts"].replace(tzinfo=dt.UTC) if r["ts"] else None} for r in rows]
    with open(path, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(AVRO_SCHEMA), recs, codec="deflate")


def arrow_rows(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=DATA_SCHEMA)


# -- formats -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fmt:
    name: str
    yaml: str  # the plan's format mapping
    ext: str
    write: Callable[[Path, list[dict[str, Any]]], None]
    partitioned: bool = True
    newlines: bool = False  # can a string value hold a newline


def _w_text(data: Callable[[list[dict[str, Any]]], str], compress: Callable[[bytes], bytes] = lambda b: b
            ) -> Callable[[Path, list[dict[str, Any]]], None]:
    def write(path: Path, rows: list[dict[str, Any]]) -> None:
        path.write_bytes(compress(data(rows).encode("utf-8")))
    return write


def _tsv(rows: list[dict[str, Any]]) -> str:
    return "\n".join(delimited_lines(rows, "\t", True, ts_sep="T")) + "\n"


def _hive(rows: list[dict[str, Any]]) -> str:
    return "\n".join(delimited_lines(rows, "\x01", False)) + "\n"


def _seq(path: Path, rows: list[dict[str, Any]]) -> None:
    write_seqfile(path, [line.encode() for line in delimited_lines(rows, "\x01", False)], value_class=TEXT)


FORMATS = [
    Fmt("csv", '{kind: csv, header: true, null_marker: "\\\\N"}', "csv", _w_text(csv_lines), partitioned=False,
        newlines=True),
    Fmt("tsv", '{kind: tsv, header: true, null_marker: "\\\\N"}', "tsv", _w_text(_tsv), partitioned=False),
    Fmt("hive_text", "{kind: hive_text}", "txt", _w_text(_hive)),
    Fmt("jsonl_gzip", "{kind: jsonl}", "json.gz", _w_text(jsonl_text, lambda b: gzip.compress(b)),
        newlines=True),
    Fmt("avro", "{kind: avro}", "avro", write_avro, newlines=True),
    Fmt("orc", "{kind: orc}", "orc", lambda p, rows: po.write_table(arrow_rows(rows), str(p)), newlines=True),
    Fmt("parquet", "{kind: parquet}", "parquet", lambda p, rows: pq.write_table(arrow_rows(rows), p),
        newlines=True),
    Fmt("sequencefile", "{kind: sequencefile}", "seq", _seq),
    Fmt("csv_bz2", '{kind: csv, header: true, null_marker: "\\\\N"}', "csv.bz2", _w_text(csv_lines, bz2.compress),
        partitioned=False, newlines=True),
    Fmt("hive_text_zstd", "{kind: hive_text, compression: zstd}", "txt.zst",
        _w_text(_hive, lambda b: zstandard.ZstdCompressor().compress(b))),
]
FORMAT_BY_NAME = {f.name: f for f in FORMATS}


def expected_schema(f: Fmt) -> pa.Schema:
    fields = list(DATA_SCHEMA)
    if f.partitioned:
        fields += [pa.field(n, t) for n, _, t in PARTITIONS]
    return pa.schema(fields)


@dataclass
class Generated:
    root: Path  # one folder per format below it
    expected: dict[str, pa.Table]  # format name -> all rows, sorted by id

    def folder(self, fmt: str) -> Path:
        return self.root / fmt


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = tmp_path_factory.mktemp("matrix-src")
    expected: dict[str, pa.Table] = {}
    for f in FORMATS:
        rows_all: list[dict[str, Any]] = []
        for file_no, (folder, pvals) in enumerate(PARTITION_DIRS):
            rows = source_rows(file_no, f.newlines)
            target = root / f.name / (folder if f.partitioned else "") / f"data-{file_no}.{f.ext}"
            target.parent.mkdir(parents=True, exist_ok=True)
            f.write(target, rows)
            rows_all += [{**r, **pvals} if f.partitioned else r for r in rows]
        (root / f.name / "_SUCCESS").write_bytes(b"")  # Hadoop bookkeeping: skipped by conversions
        expected[f.name] = pa.Table.from_pylist(rows_all, schema=expected_schema(f)).sort_by("id")
    return Generated(root, expected)


# -- targets -----------------------------------------------------------------------------------------------
@dataclass
class TargetEnv:
    """A target store of the plan: its YAML, where a dataset folder lands and how to open it."""

    kind: str
    store_yaml: str
    root_uri: str  # URI of the store's root (paths of datasets are below)
    options: dict[str, Any]
    run: str  # a folder of this test's own (the servers are shared by the session)
    catalog_yaml: str = ""  # iceberg: the catalog section (default: sqlite in state_dir)
    iceberg_store_yaml: str | None = None  # iceberg: a store the catalog's FileIO reaches (s3 kind)


def _s3_yaml(endpoint: str, bucket: str, key_env: str, secret_env: str, prefix: str = "") -> str:
    return (f'{{kind: s3, endpoint: "{endpoint}", bucket: {bucket}, prefix: "{prefix}", region: us-east-1, '
            f"credentials: {{access_key_id_env: {key_env}, secret_access_key_env: {secret_env}}}}}")


def _target_env(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> TargetEnv:
    run = uuid.uuid4().hex[:10]
    if kind == "local":
        return TargetEnv(kind, "{kind: local, path: out}", f"file://{tmp_path}/out", {}, run)
    if kind == "s3":
        fx = request.getfixturevalue("seaweedfs")
        bucket = _matrix_bucket(fx)
        o = fx.options
        yaml = _s3_yaml(o["endpoint_url"], bucket, o["access_key_id_env"], o["secret_access_key_env"], "lake")
        return TargetEnv(kind, yaml, f"s3://{bucket}/lake", o, run,
                         catalog_yaml="catalog: {kind: sqlite, s3_store: out}")
    if kind == "jfs-gateway":
        fx = request.getfixturevalue("juicefs_gateway")
        o = fx.options
        yaml = (f'{{kind: juicefs, volume: {fx.volume}, gateway: {{endpoint: "{o["endpoint_url"]}", '
                f"credentials: {{access_key_id_env: {o['access_key_id_env']}, "
                f"secret_access_key_env: {o['secret_access_key_env']}}}}}}}")
        # Iceberg's FileIO speaks S3, not jfs://: the catalog reaches the volume as the gateway's bucket.
        ice = _s3_yaml(o["endpoint_url"], fx.volume, o["access_key_id_env"], o["secret_access_key_env"])
        return TargetEnv(kind, yaml, f"jfs://{fx.volume}", o, run, iceberg_store_yaml=ice,
                         catalog_yaml="catalog: {kind: sqlite, s3_store: jfs3}")
    if kind == "jfs-mount":
        fx = request.getfixturevalue("juicefs_mount")
        mnt = fx.options["mount_path"]
        return TargetEnv(kind, f"{{kind: juicefs, volume: {fx.volume}, mount_path: {mnt}}}",
                         f"file://{mnt}", {}, run)
    raise AssertionError(kind)


_BUCKETS: dict[int, str] = {}


def _matrix_bucket(fx: Any) -> str:
    """One bucket for the whole module (each test writes under its own prefix)."""
    key = id(fx)
    if key not in _BUCKETS:
        _BUCKETS[key] = fx.root_uri("matrix").removeprefix("s3://")
    return _BUCKETS[key]


TARGETS = [
    pytest.param("local", id="local"),
    pytest.param("s3", id="s3", marks=pytest.mark.s3),
    pytest.param("jfs-gateway", id="jfs-gateway", marks=pytest.mark.juicefs),
    pytest.param("jfs-mount", id="jfs-mount", marks=pytest.mark.juicefs),
]


def schema_yaml(f: Fmt) -> str:
    cols = [f"{{name: {n}, type: \"{t}\", nullable: {str(nullable).lower()}}}" for n, t, _, nullable in COLUMNS]
    if f.partitioned:
        cols += [f"{{name: {n}, type: {t}}}" for n, t, _ in PARTITIONS]
    return "[" + ", ".join(cols) + "]"


def make_plan(base: Path, src: Path, f: Fmt, env: TargetEnv, target_kind: str) -> Plan:
    if target_kind == "iceberg":
        store = "jfs3" if env.iceberg_store_yaml else "out"
        path = "" if env.kind == "local" else f", path: {env.run}/ice-{f.name}"
        target = f"{{kind: iceberg, store: {store}, table: matrix.t_{f.name}{path}}}"
    else:
        target = f"{{kind: {target_kind}, store: out, path: {env.run}/{target_kind}-{f.name}}}"
    extra_store = f"\n  jfs3: {env.iceberg_store_yaml}" if env.iceberg_store_yaml else ""
    parts = "partition_columns: [dt, country]" if f.partitioned else ""
    return load_plan_text(f"""
version: 1
name: matrix
settings: {{state_dir: state, concurrency: 3}}
sources: {{src: {{kind: local, path: "{src}"}}}}
targets:
  out: {env.store_yaml}{extra_store}
{env.catalog_yaml if target_kind == "iceberg" else ""}
datasets:
  - name: {f.name}
    source: {{store: src, path: ""}}
    format: {f.yaml}
    schema: {schema_yaml(f)}
    {parts}
    target: {target}
""", base_dir=base)


OPTIONS = EngineOptions(use_processes=False)


# -- comparison --------------------------------------------------------------------------------------------
def assert_same_table(got: pa.Table, want: pa.Table) -> None:
    assert sorted(got.column_names) == sorted(want.column_names), (got.column_names, want.column_names)
    got = got.select(want.column_names).sort_by("id")
    assert got.num_rows == want.num_rows
    for name in want.column_names:
        g, w = got.column(name), want.column(name)
        assert g.type == w.type, f"{name}: {g.type} != {w.type}"
        assert g.null_count == w.null_count, f"{name}: {g.null_count} nulls, want {w.null_count}"
        assert g.to_pylist() == w.to_pylist(), name


def read_parquet(root: str, options: dict[str, Any]) -> tuple[pa.Table, list[str]]:
    store = open_storage(root, **options)
    files = [f for f in store.walk(root) if not f.is_dir]
    tables = [parquet_file(store, f.uri).read() for f in files if PART_RE.match(f.name)]
    return pa.concat_tables(tables), [f.uri[len(root):] for f in files]


# -- the matrix --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target_kind", ["parquet", "iceberg"])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("fmt", [f.name for f in FORMATS])
def test_format_to_target(fmt: str, target: str, target_kind: str, generated: Generated, tmp_path: Path,
                          request: pytest.FixtureRequest) -> None:
    f = FORMAT_BY_NAME[fmt]
    env = _target_env(target, request, tmp_path)
    plan = make_plan(tmp_path, generated.folder(fmt), f, env, target_kind)
    rep = run_dataset(plan, fmt, options=OPTIONS)
    want = generated.expected[fmt]
    assert rep.ok, rep.errors
    assert (rep.files_total, rep.files_processed, rep.rows_quarantined) == (3, 3, 0), rep.to_dict()
    assert rep.rows_in == rep.rows_written == want.num_rows
    if target_kind == "parquet":
        root = join_uri(env.root_uri, env.run, f"parquet-{fmt}")
        got, names = read_parquet(root, env.options)
        assert len(names) == 3
        if f.partitioned:
            assert sorted(n.rsplit("/", 1)[0] for n in names) == sorted("/" + d for d, _ in PARTITION_DIRS)
        assert got.schema.field("id").nullable is False
    else:
        table = iceberg.load_catalog(plan, state_dir=plan.state_dir).load_table(f"matrix.t_{fmt}")
        got = table.scan().to_arrow()
        if f.partitioned:
            assert [p.name for p in table.spec().fields] == ["dt", "country"]
            assert str(table.schema().find_field("dt").field_type) == "date"
            # The partition filter prunes by the typed partition values.
            assert table.scan(row_filter="dt = '2024-01-01'").to_arrow().num_rows == ROWS_PER_FILE
            assert table.scan(row_filter="country IS NULL").to_arrow().num_rows == ROWS_PER_FILE
        if env.kind != "local":
            assert table.location().startswith(("s3://", "file://"))
            data = [t.file.file_path for t in table.scan().plan_files()]
            assert len(data) == 3 and all(f"ice-{fmt}/data/" in p for p in data), data
    assert_same_table(got, want)
    assert target_row_count(plan, fmt) == want.num_rows
    # The ledger's source checksums are those of the whole source files, whatever the reader did.
    with Ledger.in_state_dir(plan.state_dir) as led:
        sums = {r.source_uri: r.source_checksum for r in led.records(fmt)}
    assert sums == {f"file://{p}": f"crc32c:{checksums.crc32c_value(p.read_bytes()):08x}"
                    for p in generated.folder(fmt).rglob("data-*")}
    # A re-run finds nothing to do.
    again = run_dataset(plan, fmt, options=OPTIONS)
    assert (again.files_skipped, again.files_processed) == (3, 0)


@pytest.mark.parametrize("target", TARGETS)
def test_copy_as_is(target: str, generated: Generated, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    env = _target_env(target, request, tmp_path)
    f = Fmt("all", "{kind: csv}", "", lambda p, r: None)
    plan = load_plan_text(f"""
version: 1
name: matrix
settings: {{state_dir: state}}
sources: {{src: {{kind: local, path: "{generated.root}"}}}}
targets: {{out: {env.store_yaml}}}
datasets:
  - name: {f.name}
    source: {{store: src, path: ""}}
    format: {f.yaml}
    target: {{kind: copy, store: out, path: {env.run}/copy}}
""", base_dir=tmp_path)
    rep = run_dataset(plan, f.name, options=OPTIONS)
    src_files = sorted(p for p in generated.root.rglob("*") if p.is_file())
    assert rep.ok, rep.errors
    assert rep.files_processed == len(src_files) and rep.bytes_out == rep.bytes_in
    root = join_uri(env.root_uri, env.run, "copy")
    store = open_storage(root, **env.options)
    listed = {fi.uri[len(root) + 1:]: fi for fi in store.walk(root) if not fi.is_dir}
    assert sorted(listed) == sorted(str(p.relative_to(generated.root)) for p in src_files)
    for p in src_files:
        uri = join_uri(root, str(p.relative_to(generated.root)))
        raw = p.read_bytes()
        with store.open(uri) as fh:
            assert fh.read() == raw, uri
        assert listed[str(p.relative_to(generated.root))].size == len(raw)
        assert store.checksum(uri) == f"crc32c:{checksums.crc32c_value(raw):08x}"
        assert store.checksum(uri, "sha256") == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert run_dataset(plan, f.name, options=OPTIONS).files_skipped == len(src_files)


def test_iceberg_on_a_jfs_gateway_store_says_how_to_reach_it(tmp_path: Path) -> None:
    """pyiceberg cannot write metadata to jfs://: the error names the two ways that work (tested above)."""
    from migrate.errors import ConfigError

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.csv").write_text("id\n1\n")
    plan = load_plan_text("""
version: 1
name: matrix
sources: {src: {kind: local, path: src}}
targets: {out: {kind: juicefs, volume: v, gateway: {endpoint: "http://127.0.0.1:9",
          credentials: {access_key_id_env: NO_SUCH_KEY, secret_access_key_env: NO_SUCH_SECRET}}}}
datasets:
  - name: d
    source: {store: src}
    format: {kind: csv}
    schema: [{name: id, type: bigint}]
    target: {kind: iceberg, store: out, table: a.b, path: t}
""", base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"jfs://v/t/data.*mount.*catalog\.s3_store"):
        run_dataset(plan, "d", options=OPTIONS)
