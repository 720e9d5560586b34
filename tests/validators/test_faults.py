"""One fault at a time, each detected and located; a clean copy passes with zero findings.

For each target (Parquet, Iceberg) on each store (local folder, SeaweedFS S3, the JuiceFS gateway), one
plan holds ten small datasets copied by the real engine; then one fault goes into each (the clean one
keeps none) and one ``validate_plan`` judges them all. Every test below reads one dataset's verdict.
Faults in target files are written through the store (a rewritten Parquet file, a deleted partition
folder, an extra file); on Iceberg the partition is deleted and the extra file added through pyiceberg.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from migrate.validators import verdicts
from migrate.validators.run import validate_plan
from migrate.validators.sides import list_target

from migrate.engine import EngineOptions, run_dataset
from migrate.plan import Plan, load_plan_text
from tests.engine.helpers import SCHEMA_YAML, make_dataset

FAULTS = ["clean", "changed_value", "dropped_row", "duplicated_row", "null_in_not_null", "truncated_string",
          "shifted_timestamp", "missing_partition", "extra_file", "source_changed"]
ROWS, FILES = 40, 2  # per file; the files alternate between partitions dt=a and dt=b
PART_ROWS = ROWS * FILES // 2
VICTIM_ROW = 8  # 0-based row of the first target file of a dataset (line 9 of its CSV: header + 1-based)


@dataclass
class Scenario:
    target_kind: str
    store: str
    plan: Plan
    run: dict[str, Any]
    victim: dict[str, str]  # dataset -> the target file (or source file) the fault went into
    victim_source: dict[str, str]  # dataset -> the source file of the row the fault changed

    def verdict(self, name: str) -> dict[str, Any]:
        return next(d for d in self.run["datasets"] if d["dataset"] == name)


def _s3_yaml(o: dict[str, Any], bucket: str, prefix: str = "") -> str:
    return (f'{{kind: s3, endpoint: "{o["endpoint_url"]}", bucket: {bucket}, prefix: "{prefix}", region: us-east-1, '
            f"credentials: {{access_key_id_env: {o['access_key_id_env']}, "
            f"secret_access_key_env: {o['secret_access_key_env']}}}}}")


def _plan(base: Path, target_kind: str, store: str, request: pytest.FixtureRequest) -> Plan:
    run = uuid.uuid4().hex[:8]
    extra, catalog = "", ""
    if store == "local":
        out = "{kind: local, path: out}"
    elif store == "s3":
        fx = request.getfixturevalue("seaweedfs")
        bucket = fx.root_uri("validate").removeprefix("s3://")
        out = _s3_yaml(fx.options, bucket, "lake")
        catalog = "catalog: {kind: sqlite, s3_store: out}"
    else:
        fx = request.getfixturevalue("juicefs_gateway")
        o = fx.options
        out = (f'{{kind: juicefs, volume: {fx.volume}, gateway: {{endpoint: "{o["endpoint_url"]}", '
               f"credentials: {{access_key_id_env: {o['access_key_id_env']}, "
               f"secret_access_key_env: {o['secret_access_key_env']}}}}}}}")
        extra = f"\n  jfs3: {_s3_yaml(o, fx.volume)}"  # Iceberg's FileIO speaks S3: the gateway's bucket
        catalog = "catalog: {kind: sqlite, s3_store: jfs3}"
    datasets = []
    for name in FAULTS:
        if target_kind == "iceberg":
            ice_store = "jfs3" if store == "jfs" else "out"
            path = "" if store == "local" else f", path: v{run}/ice-{name}"
            target = f"{{kind: iceberg, store: {ice_store}, table: v{run}.{name}{path}}}"
        else:
            target = f"{{kind: parquet, store: out, path: v{run}/{name}}}"
        datasets.append(f"""
  - name: {name}
    source: {{store: src, path: {name}}}
    format: {{kind: csv, header: true}}
    schema: {SCHEMA_YAML}
    partition_columns: [dt]
    target: {target}
    validation:
      - {{check: not_null, columns: [id]}}""")
    return load_plan_text(f"""
version: 1
name: faults
settings: {{state_dir: state, concurrency: 2}}
sources: {{src: {{kind: local, path: src}}}}
targets:
  out: {out}{extra}
{catalog if target_kind == "iceberg" else ""}
datasets:{"".join(datasets)}
""", base_dir=base)


def _rewrite(side: Any, uri: str, change: Any) -> None:
    """Read target file ``uri``, apply ``change(table) -> table``, write it back under the same name."""
    store, u = side.store_for(uri)
    table = pq.read_table(io.BytesIO(store.read_bytes(u)))
    buf = io.BytesIO()
    pq.write_table(change(table), buf)
    store.put(u, buf.getvalue())


def _set(table: pa.Table, column: str, row: int, value: Any, nullable: bool | None = None) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    field = table.schema.field(column)
    if nullable is not None:
        field = field.with_nullable(nullable)
    return table.set_column(table.schema.get_field_index(column), field, pa.array(values, field.type))


def _inject(plan: Plan, target_kind: str, name: str, base: Path, catalog: Any) -> str:
    """Put fault ``name`` into its dataset; returns the file it went into."""
    ds = plan.dataset(name)
    side = list_target(plan, ds, catalog=catalog)
    first = next(f for f in side.files if f.partition == "dt=a")
    k = VICTIM_ROW
    if name == "changed_value":
        _rewrite(side, first.uri, lambda t: _set(t, "amount", k, (t.column("amount")[k].as_py() or 0.0) + 1.25))
    elif name == "dropped_row":
        _rewrite(side, first.uri, lambda t: pa.concat_tables([t.slice(0, k), t.slice(k + 1)]))
    elif name == "duplicated_row":
        _rewrite(side, first.uri, lambda t: pa.concat_tables([t.slice(0, k + 1), t.slice(k, 1), t.slice(k + 1)]))
    elif name == "null_in_not_null":
        _rewrite(side, first.uri, lambda t: _set(t, "id", k, None, nullable=True))
    elif name == "truncated_string":
        _rewrite(side, first.uri, lambda t: _set(t, "name", k, (t.column("name")[k].as_py() or "xxxx")[:3]))
    elif name == "shifted_timestamp":
        _rewrite(side, first.uri, lambda t: _set(t, "ts", k, t.column("ts")[k].as_py() + dt.timedelta(hours=1)))
    elif name == "missing_partition":
        if target_kind == "iceberg":
            catalog.load_table(ds.target.table).delete(delete_filter="dt == 'b'")
        else:
            for f in side.files:
                if f.partition == "dt=b":
                    store, u = side.store_for(f.uri)
                    store.delete(u)
        return "dt=b"
    elif name == "extra_file":
        store, u = side.store_for(first.uri)
        table = pq.read_table(io.BytesIO(store.read_bytes(u))).slice(0, 2)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        extra = u.rsplit("/", 1)[0] + "/extra-0001.parquet"
        store.put(extra, buf.getvalue())
        if target_kind == "iceberg":
            catalog.load_table(ds.target.table).add_files([extra])
        return extra
    elif name == "source_changed":
        src = base / "src" / name / "dt=a" / "f0000.csv"
        lines = src.read_text().splitlines(keepends=True)
        cells = lines[1 + k].split(",")
        cells[1] = "changed at the source"
        lines[1 + k] = ",".join(cells)
        src.write_text("".join(lines))
        later = time.time() + 10
        os.utime(src, (later, later))
        return f"file://{src}"
    return first.uri


@pytest.fixture(scope="module")
def scenarios() -> dict[tuple[str, str], Scenario]:
    return {}


TARGETS = [pytest.param(("parquet", "local"), id="parquet-local"),
           pytest.param(("iceberg", "local"), id="iceberg-local"),
           pytest.param(("parquet", "s3"), id="parquet-s3", marks=pytest.mark.s3),
           pytest.param(("iceberg", "s3"), id="iceberg-s3", marks=pytest.mark.s3),
           pytest.param(("parquet", "jfs"), id="parquet-jfs", marks=pytest.mark.juicefs),
           pytest.param(("iceberg", "jfs"), id="iceberg-jfs", marks=pytest.mark.juicefs)]


@pytest.fixture(params=TARGETS)
def scenario(request: pytest.FixtureRequest, scenarios: dict[tuple[str, str], Scenario],
             tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The copy, the faults and one validation of all ten datasets, once per target and store."""
    key = request.param
    if key in scenarios:
        return scenarios[key]
    target_kind, store = key
    base = tmp_path_factory.mktemp(f"faults-{target_kind}-{store}")
    for name in FAULTS:
        make_dataset(base / "src" / name, files=FILES, rows=ROWS, partitions=["a", "b"])
    plan = _plan(base, target_kind, store, request)
    catalog = None
    if target_kind == "iceberg":
        from migrate import iceberg

        catalog = iceberg.load_catalog(plan, state_dir=plan.state_dir)
    opts = EngineOptions(use_processes=False, catalog_helper="none")
    t0 = time.monotonic()
    for name in FAULTS:
        rep = run_dataset(plan, name, catalog=catalog, options=opts)
        assert rep.ok, (name, rep.errors)
    t1 = time.monotonic()
    victims = {name: _inject(plan, target_kind, name, base, catalog) for name in FAULTS}
    from migrate.ledger import Ledger

    with Ledger.in_state_dir(plan.state_dir) as ledger:
        sources = {name: next((r.source_uri for r in ledger.records(name) if victims[name] in r.target_uris),
                              victims[name]) for name in FAULTS}
    t2 = time.monotonic()
    run = validate_plan(plan, catalog=catalog)
    print(f"{key}: copy {t1 - t0:.1f}s, faults {t2 - t1:.1f}s, validation {time.monotonic() - t2:.1f}s")
    scenarios[key] = Scenario(target_kind, store, plan, run, victims, sources)
    return scenarios[key]


def _findings(v: dict[str, Any], check: str, kind: str | None = None) -> list[dict[str, Any]]:
    return [f for f in v["findings"] if f["check"] == check and (kind is None or f.get("kind") == kind)]


def _src_line_of_victim(s: Scenario, f: dict[str, Any]) -> None:
    """The finding names the victim row's source file and line (header + 1-based row)."""
    assert f["file"] == s.victim_source[f["dataset"]], f
    assert f["line"] == VICTIM_ROW + 2, f


def test_clean_copy_passes_with_zero_findings(scenario: Scenario) -> None:
    v = scenario.verdict("clean")
    assert v["verdict"] == "pass", v["reasons"]
    assert v["findings"] == [] and v["findings_omitted"] == 0
    assert v["rows"] == {"source": FILES * ROWS, "quarantined": 0, "target": FILES * ROWS,
                         "expected_target": FILES * ROWS}
    assert v["files"]["match"] == FILES and sum(v["files"].values()) == FILES
    assert {c["check"]: c["status"] for c in v["checks"]} == {
        "files": "pass", "schema": "pass", "row_count": "pass", "profiles": "pass", "row_checksums": "pass",
        "quarantine": "pass", "not_null": "pass"}
    jsonschema.validate(v, verdicts.verdict_json_schema())
    # Equal row checksums: the source's min, max, sum and distinct count are the target's, and it says so.
    for p in v["partitions"]:
        assert p["source_profile"] == "from_target"
        for col in p["columns"].values():
            src, tgt = col["source"], col["target"]
            assert src["from_target"] == ["min", "max", "sum", "approx_distinct"] and "from_target" not in tgt
            assert {k: src[k] for k in tgt} == tgt
    assert "are the target's" in next(c for c in v["checks"] if c["check"] == "profiles")["summary"]
    assert verdicts.load_verdict(scenario.plan, "clean") == v
    assert not verdicts.is_stale(scenario.plan, v)


def test_changed_value(scenario: Scenario) -> None:
    v = scenario.verdict("changed_value")
    assert v["verdict"] == "fail"
    (f,) = _findings(v, "row_checksums", "changed_row")
    assert f["column"] == "amount" and f["partition"] == "dt=a"
    _src_line_of_victim(scenario, f)
    assert f["target_file"] == scenario.victim["changed_value"] and f["target_row"] == VICTIM_ROW
    assert f["target_value"]["amount"] == pytest.approx((f["source_value"]["amount"] or 0.0) + 1.25)
    assert [p["column"] for p in _findings(v, "profiles")] == ["amount"] * len(_findings(v, "profiles"))
    # The differing partition's source profile is measured (by the narrowing pass), the other's taken over.
    parts = {p["partition"]: p for p in v["partitions"]}
    assert parts["dt=a"]["source_profile"] == "measured" and parts["dt=b"]["source_profile"] == "from_target"
    amount = parts["dt=a"]["columns"]["amount"]
    assert "from_target" not in amount["source"] and amount["source"]["count"] == amount["target"]["count"]
    assert amount["target"]["sum"] == pytest.approx(amount["source"]["sum"] + 1.25)
    assert amount["source"]["approx_distinct"] is not None


def test_dropped_row(scenario: Scenario) -> None:
    v = scenario.verdict("dropped_row")
    assert v["verdict"] == "fail"
    (f,) = _findings(v, "row_checksums", "missing_row")
    _src_line_of_victim(scenario, f)
    (c,) = _findings(v, "row_count")
    assert c["partition"] == "dt=a" and (c["source_value"], c["target_value"]) == (PART_ROWS, PART_ROWS - 1)


def test_duplicated_row(scenario: Scenario) -> None:
    v = scenario.verdict("duplicated_row")
    assert v["verdict"] == "fail"
    (f,) = _findings(v, "row_checksums", "duplicate_row")
    assert f["target_file"] == scenario.victim["duplicated_row"] and f["target_row"] in (VICTIM_ROW, VICTIM_ROW + 1)
    assert f["partition"] == "dt=a"
    assert _findings(v, "row_count")[0]["target_value"] == PART_ROWS + 1


def test_null_in_not_null_column(scenario: Scenario) -> None:
    v = scenario.verdict("null_in_not_null")
    assert v["verdict"] == "fail"
    (f,) = _findings(v, "row_checksums", "changed_row")
    assert f["column"] == "id" and f["target_value"] == {"id": None}
    _src_line_of_victim(scenario, f)
    (n,) = _findings(v, "not_null")
    assert n["column"] == "id" and n["target_row"] == VICTIM_ROW
    _src_line_of_victim(scenario, n)  # traced back through the part file's name to the source line
    if scenario.target_kind == "parquet":  # the rewritten file says the column is nullable
        assert any(s["column"] == "id" and s["kind"] == "nullability" for s in _findings(v, "schema"))


def test_truncated_string(scenario: Scenario) -> None:
    v = scenario.verdict("truncated_string")
    (f,) = _findings(v, "row_checksums", "changed_row")
    assert v["verdict"] == "fail" and f["column"] == "name"
    assert f["source_value"]["name"].startswith(f["target_value"]["name"]) and len(f["target_value"]["name"]) == 3
    _src_line_of_victim(scenario, f)


def test_shifted_timestamp(scenario: Scenario) -> None:
    v = scenario.verdict("shifted_timestamp")
    (f,) = _findings(v, "row_checksums", "changed_row")
    assert v["verdict"] == "fail" and f["column"] == "ts"
    shift = dt.datetime.fromisoformat(f["target_value"]["ts"]) - dt.datetime.fromisoformat(f["source_value"]["ts"])
    assert shift == dt.timedelta(hours=1)
    _src_line_of_victim(scenario, f)


def test_missing_partition(scenario: Scenario) -> None:
    v = scenario.verdict("missing_partition")
    assert v["verdict"] == "fail"
    (c,) = _findings(v, "row_count", "missing_partition")
    assert c["partition"] == "dt=b" and c["target_value"] == 0 and "missing in the target" in c["message"]
    # No target rows to take the source's profile from: it is measured (one more read of the source).
    part = next(p for p in v["partitions"] if p["partition"] == "dt=b")
    assert part["source_profile"] == "measured"
    ident = part["columns"]["id"]["source"]
    assert ident["count"] == PART_ROWS and None not in (ident["min"], ident["max"], ident["sum"])
    assert ident["approx_distinct"] == PART_ROWS and part["columns"]["id"]["target"]["count"] == 0
    gone = _findings(v, "files", "missing_on_target")
    assert len(gone) == FILES // 2 and {f["partition"] for f in gone} == {"dt=b"}
    assert all(f["file"].endswith(".csv") and f["file"].split("/")[-2] == "dt=b" for f in gone)


def test_extra_file(scenario: Scenario) -> None:
    v = scenario.verdict("extra_file")
    assert v["verdict"] == "fail"
    (f,) = _findings(v, "files", "extra_on_target")
    assert f["target_file"] == scenario.victim["extra_file"] and f["partition"] == "dt=a"
    assert v["files"]["extra_on_target"] == 1
    dups = _findings(v, "row_checksums", "duplicate_row")
    assert len(dups) == 2 and {d["target_file"] for d in dups} == {scenario.victim["extra_file"]}


def test_source_changed_after_the_copy(scenario: Scenario) -> None:
    v = scenario.verdict("source_changed")
    assert v["verdict"] == "fail"
    (f,) = _findings(v, "files", "changed_at_source")
    assert f["file"] == scenario.victim["source_changed"] and "run `migrate run`" in f["message"]
    (r,) = _findings(v, "row_checksums", "changed_row")
    assert r["column"] == "name" and r["source_value"] == {"name": "changed at the source"}
    _src_line_of_victim(scenario, r)


def test_reports_and_schema(scenario: Scenario) -> None:
    """The run's JSON report holds every verdict, each valid against the schema; the reports exist."""
    import json

    paths = scenario.run["reports"]
    data = json.loads(Path(paths["json"]).read_text())
    assert [d["dataset"] for d in data["datasets"]] == FAULTS and data["verdict"] == "fail"
    for d in data["datasets"]:
        jsonschema.validate(d, verdicts.verdict_json_schema())
        assert d["reports"] == paths
    assert "changed_value" in Path(paths["md"]).read_text() and Path(paths["html"]).stat().st_size > 1000
