"""Shared helpers for the engine tests: generated CSV datasets, plans, read-back through Storage."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from migrate.engine import PART_RE, EngineOptions, parquet_file
from migrate.plan import Plan, load_plan_text
from migrate.storage import open_storage

SCHEMA_YAML = ("[{name: id, type: bigint, nullable: false}, {name: name, type: string}, {name: amount, type: double},"
               " {name: day, type: date}, {name: ts, type: timestamp}, {name: flag, type: boolean}]")


def reader_options(**kw: Any) -> EngineOptions:
    return EngineOptions(**kw)


def write_csv(path: Path, start: int, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed + start)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write("id,name,amount,day,ts,flag\n")
        for i in range(start, start + rows):
            name = "" if i % 7 == 0 else f"name {i}"
            amount = "" if i % 11 == 0 else f"{rng.uniform(-1000, 1000):.2f}"
            day = "" if i % 13 == 0 else f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
            ts = "" if i % 17 == 0 else f"2024-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
            flag = "" if i % 5 == 0 else ("true" if i % 2 else "false")
            f.write(f"{i},{name},{amount},{day},{ts},{flag}\n")


def make_dataset(root: Path, files: int, rows: int, partitions: list[str] | None = None) -> int:
    """``files`` CSV files of ``rows`` rows with unique ids; under dt=<p> folders when partitions given."""
    n = 0
    for i in range(files):
        folder = root / f"dt={partitions[i % len(partitions)]}" if partitions else root
        write_csv(folder / f"f{i:04d}.csv", n, rows)
        n += rows
    return n


def store_yaml(kind: str, fx: Any = None, bucket: str | None = None, path: str = "out") -> str:
    if kind == "local":
        return f"{{kind: local, path: {path}}}"
    if kind == "s3":
        o = fx.options
        return (f"{{kind: s3, endpoint: \"{o['endpoint_url']}\", bucket: {bucket}, region: us-east-1, "
                f"credentials: {{access_key_id_env: {o['access_key_id_env']}, "
                f"secret_access_key_env: {o['secret_access_key_env']}}}, part_size_mb: 5}}")
    if kind == "jfs":
        o = fx.options
        return (f"{{kind: juicefs, volume: {fx.volume}, gateway: {{endpoint: \"{o['endpoint_url']}\", "
                f"credentials: {{access_key_id_env: {o['access_key_id_env']}, "
                f"secret_access_key_env: {o['secret_access_key_env']}}}}}}}")
    raise AssertionError(kind)


def make_plan(base: Path, target: str, *, target_store: str = "{kind: local, path: out}", target_path: str = "t",
              partition: bool = False, table: str = "ns.events", catalog: str = "", schema: bool = True) -> Plan:
    tgt = (f"{{kind: iceberg, store: out, table: {table}}}" if target == "iceberg"
           else f"{{kind: {target}, store: out, path: {target_path}}}")
    return load_plan_text(f"""
version: 1
name: enginetest
settings: {{state_dir: state, concurrency: 3}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {target_store}}}
{catalog}
datasets:
  - name: events
    source: {{store: src, path: ""}}
    format: {{kind: csv, header: true}}
    {"schema: " + SCHEMA_YAML if schema else ""}
    {"partition_columns: [dt]" if partition else ""}
    target: {tgt}
""", base_dir=base)


def source_table(src: Path) -> pa.Table:
    from migrate.formats.types import arrow_type

    types = {"id": pa.int64(), "name": pa.string(), "amount": pa.float64(), "day": arrow_type("date"),
             "ts": arrow_type("timestamp"), "flag": pa.bool_()}
    parts = []
    for p in sorted(src.rglob("*.csv")):
        t = pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                                   null_values=[""]))
        parts.append(t)
    return pa.concat_tables(parts).sort_by("id")


def read_parquet_target(root_uri: str, options: dict[str, Any]) -> tuple[pa.Table, list[str]]:
    """(all rows of our part files sorted by id, every file name under the root)."""
    store = open_storage(root_uri, **options)
    files = list(store.walk(root_uri))
    tables = [parquet_file(store, f.uri).read() for f in files if PART_RE.match(f.name)]
    t = pa.concat_tables(tables).sort_by("id") if tables else pa.table({})
    return t, [f.uri for f in files]


def assert_equal_rows(got: pa.Table, want: pa.Table) -> None:
    got = got.select(want.column_names)
    assert got.num_rows == want.num_rows
    for name in want.column_names:
        g, w = got.column(name), want.column(name)
        assert g.type == w.type, (name, g.type, w.type)
        assert g.null_count == w.null_count, name
        assert g.to_pylist() == w.to_pylist(), name


# -- event log of the engine's cutting and reading (threads share it; the splitter and reader options
# name these functions, so a test sees in which order files are cut and their parts are read)
EVENTS: list[tuple[str, str]] = []


def logging_splitter(store: Any, uri: str, fmt: Any, target_bytes: int) -> Any:
    from migrate.formats import split_ranges

    EVENTS.append(("cut", uri.rsplit("/", 1)[-1]))
    return split_ranges(store, uri, fmt, target_bytes)


def logging_reader(store: Any, uri: str, *args: Any, **kwargs: Any) -> Any:
    from migrate.formats import open_batches

    EVENTS.append(("read", uri.rsplit("/", 1)[-1]))
    return open_batches(store, uri, *args, **kwargs)
