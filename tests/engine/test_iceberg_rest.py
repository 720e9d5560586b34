"""Iceberg targets through a REST catalog: SeaweedFS's Iceberg REST endpoint (``weed mini -tableBucket``).

The plan names the catalog as ``{kind: rest, uri, warehouse: s3://warehouse, credential_env, s3_store}``:
the credential (``key:secret`` of a SeaweedFS identity, exchanged for a bearer token at
``/v1/oauth/tokens``) travels only through the environment variable the plan names, and the s3 store
gives pyiceberg's FileIO the endpoint and keys of the warehouse bucket. Tables are created at the
catalog's default location; the engine writes the Parquet data files there itself and registers them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from migrate import iceberg
from migrate.engine import run_dataset, target_row_count
from migrate.plan import Plan, load_plan_text
from tests.engine.test_format_matrix import (
    FORMAT_BY_NAME,
    OPTIONS,
    PARTITION_DIRS,
    ROWS_PER_FILE,
    Generated,
    assert_same_table,
    generated,  # noqa: F401 - the module fixture, shared
    schema_yaml,
    source_rows,
)

pytestmark = pytest.mark.s3

CRED_ENV = "MIGRATE_TEST_ICEBERG_CREDENTIAL"


@pytest.fixture
def rest(seaweedfs: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    server = seaweedfs.server
    if not (server.iceberg_port and server.table_bucket):
        pytest.skip("this SeaweedFS runs without its Iceberg REST catalog (no -tableBucket)")
    monkeypatch.setenv(CRED_ENV, f"{server.access_key}:{server.secret_key}")
    yield seaweedfs


def rest_plan(base: Path, src: Path, fmt: str, fx: Any, namespace: str, credential_env: str = CRED_ENV) -> Plan:
    f = FORMAT_BY_NAME[fmt]
    o = fx.options
    parts = "partition_columns: [dt, country]" if f.partitioned else ""
    return load_plan_text(f"""
version: 1
name: restmatrix
settings: {{state_dir: state, concurrency: 3}}
sources: {{src: {{kind: local, path: "{src}"}}}}
targets:
  lake: {{kind: s3, endpoint: "{o['endpoint_url']}", bucket: warehouse, region: us-east-1,
          credentials: {{access_key_id_env: {o['access_key_id_env']},
                         secret_access_key_env: {o['secret_access_key_env']}}}}}
catalog: {{kind: rest, uri: "{fx.server.iceberg_rest_url}", warehouse: "s3://warehouse",
           credential_env: {credential_env}, s3_store: lake}}
datasets:
  - name: {fmt}
    source: {{store: src, path: ""}}
    format: {f.yaml}
    schema: {schema_yaml(f)}
    {parts}
    target: {{kind: iceberg, store: lake, table: {namespace}.t_{fmt}}}
""", base_dir=base)


@pytest.mark.parametrize("fmt", ["hive_text", "parquet", "csv"])
def test_rest_catalog_roundtrip(fmt: str, rest: Any, generated: Generated, tmp_path: Path) -> None:  # noqa: F811
    ns = f"rest_{uuid.uuid4().hex[:8]}"
    plan = rest_plan(tmp_path, generated.folder(fmt), fmt, rest, ns)
    rep = run_dataset(plan, fmt, options=OPTIONS)
    assert rep.ok, rep.errors
    assert rep.files_processed == 3 and len(rep.snapshots) == 1
    table = iceberg.load_catalog(plan).load_table(f"{ns}.t_{fmt}")
    assert table.location().startswith("s3://warehouse/")
    paths = [t.file.file_path for t in table.scan().plan_files()]
    assert len(paths) == 3 and all(p.startswith(table.location() + "/data/") for p in paths), paths
    if FORMAT_BY_NAME[fmt].partitioned:
        assert [p.name for p in table.spec().fields] == ["dt", "country"]
    assert_same_table(table.scan().to_arrow(), generated.expected[fmt])
    summary = table.current_snapshot().summary
    assert len(summary[iceberg.KEYS_PROPERTY].split(",")) == 3
    assert target_row_count(plan, fmt) == 3 * ROWS_PER_FILE
    again = run_dataset(plan, fmt, options=OPTIONS)
    assert (again.files_skipped, again.files_processed, again.snapshots) == (3, 0, [])


def test_rest_catalog_changed_source_replaces_rows(rest: Any, generated: Generated, tmp_path: Path) -> None:  # noqa: F811
    fmt = "hive_text"
    src = tmp_path / "src"
    for folder, _ in PARTITION_DIRS:  # a private copy of the generated source we can change
        (src / folder).mkdir(parents=True)
        for p in (generated.folder(fmt) / folder).iterdir():
            (src / folder / p.name).write_bytes(p.read_bytes())
    ns = f"rest_{uuid.uuid4().hex[:8]}"
    plan = rest_plan(tmp_path, src, fmt, rest, ns)
    assert run_dataset(plan, fmt, options=OPTIONS).ok
    changed = next((src / PARTITION_DIRS[0][0]).iterdir())
    FORMAT_BY_NAME[fmt].write(changed, source_rows(7, False)[:5])  # 5 other rows instead of 12
    os.utime(changed, (time.time() + 5, time.time() + 5))
    rep = run_dataset(plan, fmt, options=OPTIONS)
    assert rep.ok and rep.files_processed == 1 and len(rep.snapshots) == 1, rep.to_dict()
    got = iceberg.load_catalog(plan).load_table(f"{ns}.t_{fmt}").scan().to_arrow()
    assert got.num_rows == 2 * ROWS_PER_FILE + 5
    ids = set(got.column("id").to_pylist())
    assert {r["id"] for r in source_rows(7, False)[:5]} <= ids and 0 not in ids  # file 0's rows are gone
    dts = got.filter(pa.compute.is_in(got.column("id"), pa.array([7000], pa.int64())))
    assert dts.column("dt").to_pylist() == [PARTITION_DIRS[0][1]["dt"]]


def test_rest_catalog_refuses_a_wrong_credential(rest: Any, generated: Generated, tmp_path: Path,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.errors import AuthError

    monkeypatch.setenv("MIGRATE_TEST_ICEBERG_BAD", "nobody:wrong")
    plan = rest_plan(tmp_path, generated.folder("parquet"), "parquet", rest, "rest_denied",
                     credential_env="MIGRATE_TEST_ICEBERG_BAD")
    with pytest.raises(AuthError) as err:  # names the catalog and the env var, never the value
        run_dataset(plan, "parquet", options=OPTIONS)
    assert rest.server.iceberg_rest_url in str(err.value) and "MIGRATE_TEST_ICEBERG_BAD" in str(err.value)
    assert "nobody:wrong" not in str(err.value)
