"""A plan edited after a run: files migrated under other conversion settings are converted again.

Schema, format options, partitioning and the target kind each re-convert every migrated file (new parts
first, then the old ones removed), say so in the report, and make validate / the cutover "copied" gate
count those files as not migrated until then; an unchanged plan re-runs as a no-op; copy datasets are
unaffected; a kill in the middle of a re-conversion recovers with exact counts; Iceberg takes compatible
changes in its commit and refuses an impossible one before writing anything.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from migrate import cutover
from migrate.engine import EngineOptions, run_dataset, target_row_count
from migrate.errors import TerminalError
from migrate.layout import PART_RE, conversion_key, describe_change
from migrate.ledger import Ledger
from migrate.plan import Plan, load_plan, load_plan_text
from migrate.storage import open_storage
from tests.engine.helpers import make_dataset, read_parquet_target, store_yaml, write_csv

SCHEMA = [("id", "bigint"), ("name", "string"), ("amount", "double"), ("day", "date"), ("ts", "timestamp"),
          ("flag", "boolean")]
FILES, ROWS = 6, 200
OPTS = EngineOptions(catalog_helper="thread")


def _schema_yaml(cols: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{{name: {n}, type: {t}}}" for n, t in cols) + "]"


def _plan(base: Path, *, cols: list[tuple[str, str]] | None = None, fmt: str = "", partition: bool = False,
          target: str = "parquet", store: str = "{kind: local, path: out}", path: str = "t") -> Plan:
    tgt = ("{kind: iceberg, store: out, table: ns.events}" if target == "iceberg"
           else f"{{kind: {target}, store: out, path: {path}}}")
    text = f"""
version: 1
name: reconvert
settings: {{state_dir: state, concurrency: 2}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {store}}}
datasets:
  - name: events
    source: {{store: src, path: ""}}
    format: {{kind: csv, header: true{fmt}}}
    schema: {_schema_yaml(cols or SCHEMA)}
    {"partition_columns: [dt]" if partition else ""}
    target: {tgt}
"""
    (base / "plan.yaml").write_text(text)
    return load_plan_text(text, base_dir=base)


def _run(plan: Plan, options: EngineOptions = OPTS) -> Any:
    return run_dataset(plan, "events", options=options)


def _ledger_rows(plan: Plan) -> list[dict[str, Any]]:
    with sqlite3.connect(plan.state_dir / "ledger.db") as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM files ORDER BY source_uri")]


def _parts(root_uri: str, options: dict[str, Any] | None = None) -> list[str]:
    store = open_storage(root_uri, **(options or {}))
    return sorted(f.uri for f in store.walk(root_uri) if PART_RE.match(f.name))


def _copied_gate(plan: Plan) -> cutover.GateResult:
    item = next(i for i in cutover.checklist(plan).items if i.name == "events")
    gate = item.gate("copied")
    assert gate is not None
    return gate


def _reconverted_all(rep: Any, n: int, why: str) -> None:
    assert rep.files_failed == 0, rep.errors
    assert rep.files_processed == rep.files_reconverted == n
    assert rep.files_skipped == 0
    assert rep.reconverted == {why: n}


# -- the fingerprint ---------------------------------------------------------------------------------------
def test_fingerprint_covers_exactly_the_settings_that_change_the_data(tmp_path: Path) -> None:
    base = _plan(tmp_path).datasets[0]
    key = conversion_key(base)
    same = [_plan(tmp_path, fmt=", compression: gzip").datasets[0],  # decompressed rows are the same
            _plan(tmp_path, path="elsewhere").datasets[0]]  # a place, not a setting
    assert all(conversion_key(d) == key for d in same)
    cols = [(n, "string" if n == "amount" else t) for n, t in SCHEMA]
    other = {"schema": _plan(tmp_path, cols=cols).datasets[0],
             "format": _plan(tmp_path, fmt=", null_marker: NA").datasets[0],
             "partition": _plan(tmp_path, partition=True).datasets[0],
             "target": _plan(tmp_path, target="iceberg").datasets[0]}
    keys = {k: conversion_key(d) for k, d in other.items()}
    assert key not in keys.values() and len(set(keys.values())) == 4
    # copy datasets depend on nothing but their kind
    assert conversion_key(_plan(tmp_path, target="copy").datasets[0]) == conversion_key(
        _plan(tmp_path, target="copy", cols=cols, fmt=", delimiter: ';'").datasets[0])
    from migrate.layout import conversion_settings as cs

    assert describe_change(cs(base), cs(other["schema"])) == "schema: column amount double -> string"
    assert describe_change(cs(base), cs(other["format"])) == 'format: null_marker none -> "NA"'
    assert describe_change(cs(base), cs(other["partition"])) == 'partition_columns: [] -> ["dt"]'
    assert describe_change(cs(base), cs(other["target"])) == "target: parquet -> iceberg"
    assert describe_change(None, cs(base)) == "earlier settings not recorded"


# -- parquet, local ------------------------------------------------------------------------------------------
def test_unchanged_plan_rerun_does_nothing(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", FILES, ROWS)
    plan = _plan(tmp_path)
    first = _run(plan)
    assert first.files_processed == FILES and first.files_reconverted == 0 and first.reconverted == {}
    parts = _parts(f"file://{tmp_path}/out/t")
    again = _run(_plan(tmp_path))
    assert (again.files_processed, again.files_skipped, again.files_reconverted) == (0, FILES, 0)
    assert again.reconverted == {}
    assert _parts(f"file://{tmp_path}/out/t") == parts
    key = conversion_key(plan.datasets[0])
    assert {r["conversion"] for r in _ledger_rows(plan)} == {key}
    assert all(p.rsplit("/", 1)[-1].startswith("part-") and f"-{key[:8]}" in p for p in parts)
    assert _copied_gate(plan).status == "pass"


def test_schema_change_reconverts_every_file(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", FILES, ROWS)
    _run(_plan(tmp_path))
    old_parts = _parts(f"file://{tmp_path}/out/t")
    cols = [(n, "string" if n == "amount" else t) for n, t in SCHEMA]
    plan = _plan(tmp_path, cols=cols)
    # before the re-run: validate and the cutover gate count the files as not migrated
    gate = _copied_gate(plan)
    assert gate.status == "fail" and f"0/{FILES} files" in gate.detail and "other conversion settings" in gate.detail
    from migrate.validators.validate import validate_dataset

    verdict = validate_dataset(plan, "events", write=False)
    assert verdict["files"]["missing_on_target"] == FILES and verdict["files"]["match"] == 0, verdict["files"]
    assert any("other conversion settings" in f["message"] for f in verdict["findings"])

    rep = _run(plan)
    _reconverted_all(rep, FILES, "schema: column amount double -> string")
    new_parts = _parts(f"file://{tmp_path}/out/t")
    assert len(new_parts) == FILES and not set(new_parts) & set(old_parts)  # old parts gone, new names
    got, _ = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert got.num_rows == total and got.schema.field("amount").type == pa.string()
    assert sorted(got.column("id").to_pylist()) == list(range(total))
    assert {r["conversion"] for r in _ledger_rows(plan)} == {conversion_key(plan.datasets[0])}
    assert {r["state"] for r in _ledger_rows(plan)} == {"committed"}
    assert _copied_gate(plan).status == "pass"
    assert validate_dataset(plan, "events", write=False)["files"]["match"] == FILES
    again = _run(plan)
    assert (again.files_processed, again.files_skipped) == (0, FILES)


def test_format_option_change_reconverts(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", FILES, ROWS)
    first = _run(_plan(tmp_path))
    got0, _ = read_parquet_target(f"file://{tmp_path}/out/t", {})
    plan = _plan(tmp_path, fmt=", null_marker: 'name 8'")  # one row's name now reads as NULL
    rep = _run(plan)
    _reconverted_all(rep, FILES, 'format: null_marker none -> "name 8"')
    got, _ = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert got.num_rows == got0.num_rows == first.rows_written
    assert got.column("name").null_count == got0.column("name").null_count + 1


def test_partitioning_change_moves_the_parts(tmp_path: Path) -> None:
    total = 0
    for i in range(FILES):  # dt=<day>/h=<hour>/ folders
        write_csv(tmp_path / "src" / f"dt=2024-01-0{1 + i % 2}" / f"h={i % 3}" / f"f{i}.csv", total, ROWS)
        total += ROWS
    _run(_plan(tmp_path))  # no partition columns: every k=v folder kept, each a column
    got0, _ = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert {"dt", "h"} <= set(got0.column_names)
    old = _parts(f"file://{tmp_path}/out/t")
    assert all("/h=" in p for p in old)
    plan = _plan(tmp_path, partition=True)  # partitioned by dt only
    rep = _run(plan)
    _reconverted_all(rep, FILES, 'partition_columns: [] -> ["dt"]')
    parts = _parts(f"file://{tmp_path}/out/t")
    assert len(parts) == FILES and not set(parts) & set(old)
    assert all("/t/dt=2024-01-0" in p and "/h=" not in p for p in parts)
    got, _ = read_parquet_target(f"file://{tmp_path}/out/t", {})
    assert got.num_rows == total and "h" not in got.column_names
    assert set(got.column("dt").to_pylist()) == {"2024-01-01", "2024-01-02"}
    assert not list((tmp_path / "out" / "t").rglob("h=*/*.parquet"))


def test_target_kind_change_parquet_to_iceberg_and_copy(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", FILES, ROWS)
    _run(_plan(tmp_path))
    assert len(_parts(f"file://{tmp_path}/out/t")) == FILES
    plan = _plan(tmp_path, target="iceberg")
    rep = _run(plan)
    _reconverted_all(rep, FILES, "target: parquet -> iceberg")
    assert target_row_count(plan, "events") == total
    assert _parts(f"file://{tmp_path}/out/t") == []  # the old folder's parts went once the table had the rows
    assert _copied_gate(plan).status == "pass"
    # a copy dataset: bytes as-is, whatever its schema says; the table's files are left to the table
    copy = _plan(tmp_path, target="copy", path="c")
    rep = _run(copy)
    _reconverted_all(rep, FILES, "target: iceberg -> copy")
    copied = sorted(p.name for p in (tmp_path / "out" / "c").iterdir())
    assert copied == sorted(p.name for p in (tmp_path / "src").iterdir())
    assert target_row_count(plan, "events") == total  # the table is untouched
    cols = [(n, "string" if n == "amount" else t) for n, t in SCHEMA]
    again = _run(_plan(tmp_path, target="copy", path="c", cols=cols, fmt=", null_marker: x"))
    assert (again.files_processed, again.files_skipped, again.reconverted) == (0, FILES, {})


def test_rows_from_an_older_ledger_are_taken_to_match(tmp_path: Path) -> None:
    """A state dir from before fingerprints: no re-conversion on upgrade; later edits are detected."""
    make_dataset(tmp_path / "src", FILES, ROWS)
    plan = _plan(tmp_path)
    _run(plan)
    db = plan.state_dir / "ledger.db"
    with sqlite3.connect(db) as con:  # back to the old layout: no column, no tables
        con.execute("ALTER TABLE files DROP COLUMN conversion")
        con.execute("DROP TABLE conversions")
        con.execute("DROP TABLE conversion_baselines")
    with Ledger(db) as led:  # opening migrates it
        assert all(r.conversion is None for r in led.records("events"))
        assert led.converted_with_other_settings("events", "0" * 16) == {}  # unknown settings: match
    assert _copied_gate(plan).status == "pass"
    rep = _run(plan)
    assert (rep.files_processed, rep.files_skipped) == (0, FILES)
    cols = [(n, "string" if n == "amount" else t) for n, t in SCHEMA]
    rep = _run(_plan(tmp_path, cols=cols))
    _reconverted_all(rep, FILES, "schema: column amount double -> string")


def test_plan_check_names_the_files_to_convert_again(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrate.cli import app

    make_dataset(tmp_path / "src", 2, ROWS)
    _run(_plan(tmp_path))
    cols = [(n, "string" if n == "amount" else t) for n, t in SCHEMA if n != "flag"]
    _plan(tmp_path, cols=cols)
    res = CliRunner().invoke(app, ["plan", "check", str(tmp_path / "plan.yaml")])
    assert res.exit_code == 0, res.output
    assert ("note: dataset events: 2 migrated file(s) were converted under other settings (schema: column amount "
            "double -> string, column flag removed); the next `migrate run` converts them again") in res.output


def test_run_summary_says_what_changed(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrate.cli import app

    make_dataset(tmp_path / "src", 2, ROWS)
    _plan(tmp_path)
    args = ["run", str(tmp_path / "plan.yaml"), "--no-prefect"]
    assert CliRunner().invoke(app, args).exit_code == 0
    _plan(tmp_path, cols=[(n, "string" if n == "amount" else t) for n, t in SCHEMA])
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("re-converted 2 file(s): conversion settings changed (schema: column amount double -> string)"
            in text), res.output


def test_batches_include_files_to_convert_again(tmp_path: Path) -> None:
    from migrate import batches, runner

    make_dataset(tmp_path / "src", FILES, ROWS)
    _run(_plan(tmp_path))
    plan = _plan(tmp_path)
    assert batches.pending_batches(plan, plan.datasets[0], max_files=2) == []
    plan = _plan(tmp_path, cols=[(n, "string" if n == "amount" else t) for n, t in SCHEMA])
    ds = plan.datasets[0]
    todo = batches.pending_batches(plan, ds, max_files=2)
    assert [len(b) for b in todo] == [2, 2, 2]
    report = runner.migrate_batch(plan, ds, todo[0])
    assert report["files_reconverted"] == 2 and report["reconverted"] == {"schema: column amount double -> string": 2}
    assert [len(b) for b in batches.pending_batches(plan, ds, max_files=2)] == [2, 2]


# -- S3 ---------------------------------------------------------------------------------------------------
@pytest.mark.s3
def test_schema_change_reconverts_on_s3(tmp_path: Path, seaweedfs: Any) -> None:
    bucket = seaweedfs.root_uri("reconvert").removeprefix("s3://")
    total = make_dataset(tmp_path / "src", FILES, ROWS)
    store = store_yaml("s3", seaweedfs, bucket)
    _run(_plan(tmp_path, store=store))
    root = f"s3://{bucket}/t"
    old = _parts(root, seaweedfs.options)
    plan = _plan(tmp_path, store=store, cols=[(n, "string" if n == "id" else t) for n, t in SCHEMA])
    rep = _run(plan)
    _reconverted_all(rep, FILES, "schema: column id bigint -> string")
    new = _parts(root, seaweedfs.options)
    assert len(new) == FILES and not set(new) & set(old)
    got, names = read_parquet_target(root, seaweedfs.options)
    assert got.num_rows == total and got.schema.field("id").type == pa.string() and len(names) == FILES
    assert seaweedfs.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert _run(plan).files_processed == 0


# -- Iceberg ------------------------------------------------------------------------------------------------
def _table(plan: Plan) -> Any:
    from migrate import iceberg

    return iceberg.load_catalog(plan, state_dir=plan.state_dir).load_table("ns.events")


def test_iceberg_compatible_change_is_one_commit(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", FILES, ROWS)
    narrow = [(n, "int" if n == "id" else t) for n, t in SCHEMA]
    _run(_plan(tmp_path, cols=narrow, target="iceberg"))
    before = len(_table(_plan(tmp_path, target="iceberg")).metadata.snapshots)
    plan = _plan(tmp_path, target="iceberg")  # id: int -> bigint, a widening Iceberg evolves in place
    rep = _run(plan, EngineOptions(catalog_helper="process"))  # the table in a helper process, as by default
    _reconverted_all(rep, FILES, "schema: column id int -> bigint")
    table = _table(plan)
    assert len(table.metadata.snapshots) == before + 1  # the old files replaced in one snapshot
    assert str(table.schema().find_field("id").field_type) == "long"
    ids = table.scan(selected_fields=("id",)).to_arrow()["id"].to_pylist()
    assert sorted(ids) == list(range(total))
    assert _run(plan).files_processed == 0


def test_iceberg_partitioning_change_evolves_the_spec(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", FILES, ROWS, partitions=["2024-01-01", "2024-01-02"])
    cols = [*SCHEMA, ("dt", "string")]
    _run(_plan(tmp_path, cols=cols, target="iceberg"))
    plan = _plan(tmp_path, cols=cols, target="iceberg", partition=True)
    rep = _run(plan)
    _reconverted_all(rep, FILES, 'partition_columns: [] -> ["dt"]')
    table = _table(plan)
    assert [table.schema().find_column_name(f.source_id) for f in table.spec().fields] == ["dt"]
    got = table.scan(selected_fields=("id", "dt")).to_arrow()
    assert sorted(got["id"].to_pylist()) == list(range(total))
    assert set(got["dt"].to_pylist()) == {"2024-01-01", "2024-01-02"}
    assert _run(plan).files_processed == 0


def test_settings_changed_and_back_land_the_right_data(tmp_path: Path) -> None:
    """X -> Y -> X: the Iceberg snapshot history already holds X's keys; the table must still get X's files."""
    make_dataset(tmp_path / "src", FILES, ROWS)
    for target in ("iceberg", "parquet"):
        x = _plan(tmp_path, target=target, path=f"{target}-t")
        _run(x)

        def count(target: str = target, x: Plan = x) -> pa.Table:
            if target == "iceberg":
                return _table(x).scan(selected_fields=("id", "name")).to_arrow()
            return read_parquet_target(f"file://{tmp_path}/out/parquet-t", {})[0]

        nulls = count().column("name").null_count
        y = _plan(tmp_path, target=target, path=f"{target}-t", fmt=", null_marker: 'name 8'")
        _reconverted_all(_run(y), FILES, 'format: null_marker none -> "name 8"')
        assert count().column("name").null_count == nulls + 1
        _reconverted_all(_run(_plan(tmp_path, target=target, path=f"{target}-t")), FILES,
                         'format: null_marker "name 8" -> none')
        got = count()
        assert got.column("name").null_count == nulls and got.num_rows == FILES * ROWS, target
        assert _run(x).files_processed == 0


def test_a_reconversion_makes_the_validation_verdict_stale(tmp_path: Path) -> None:
    from migrate.validators import verdicts
    from migrate.validators.validate import validate_dataset

    make_dataset(tmp_path / "src", 2, ROWS)
    plan = _plan(tmp_path)
    _run(plan)
    verdict = validate_dataset(plan, "events", write=False)
    assert verdict["verdict"] == "pass", verdict["reasons"]
    assert not verdicts.is_stale(plan, verdict)
    plan = _plan(tmp_path, cols=[(n, "string" if n == "amount" else t) for n, t in SCHEMA])
    _run(plan)
    assert verdicts.is_stale(plan, verdict)
    assert validate_dataset(plan, "events", write=False)["verdict"] == "pass"


def test_iceberg_incompatible_change_is_a_clear_error(tmp_path: Path) -> None:
    total = make_dataset(tmp_path / "src", FILES, ROWS)
    _run(_plan(tmp_path, target="iceberg"))
    snap = _table(_plan(tmp_path, target="iceberg")).current_snapshot().snapshot_id
    rows = _ledger_rows(_plan(tmp_path, target="iceberg"))
    plan = _plan(tmp_path, target="iceberg", cols=[(n, "string" if n == "amount" else t) for n, t in SCHEMA])
    with pytest.raises(TerminalError) as err:
        _run(plan)
    text = str(err.value)
    assert "dataset events" in text and "ns.events" in text and "column amount: double -> string" in text
    assert "drop the table" in text and "nothing was written" in text
    assert _table(plan).current_snapshot().snapshot_id == snap  # the table is as it was
    assert _ledger_rows(plan) == rows
    assert target_row_count(plan, "events") == total
    files = [f for f in (tmp_path / "state" / "warehouse").rglob("*.parquet")]
    assert len(files) == FILES  # no part of the refused conversion was written


# -- a kill in the middle of a re-conversion -----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("where", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_kill_mid_reconversion_recovers_exactly(tmp_path: Path, where: str, request: pytest.FixtureRequest) -> None:
    from tests.engine.test_kill import _check, _finish, _kill_when, _setup, _spawn

    if where == "s3":
        s3 = request.getfixturevalue("seaweedfs")
        bucket = s3.root_uri("rekill").removeprefix("s3://")
        store, root, options = store_yaml("s3", s3, bucket), f"s3://{bucket}/t", s3.options
    else:
        s3 = bucket = None
        store, root, options = "{kind: local, path: out}", f"file://{tmp_path}/out/t", {}
    plan_path, total = _setup(tmp_path, store)
    assert _finish(plan_path)["files_failed"] == 0
    text = plan_path.read_text().replace("{name: amount, type: double}", "{name: amount, type: string}")
    plan_path.write_text(text)
    plan = load_plan(plan_path)
    key = conversion_key(plan.datasets[0])
    state = tmp_path / "state"

    def reconverted(n: int) -> bool:
        try:
            with sqlite3.connect(f"file:{state / 'ledger.db'}?mode=ro", uri=True, timeout=1) as con:
                return int(con.execute("SELECT COUNT(*) FROM files WHERE state='committed' AND conversion=?",
                                       (key,)).fetchone()[0]) >= n
        except sqlite3.Error:
            return False

    assert _kill_when(_spawn(plan_path), lambda: reconverted(10)), "the run finished before the kill point"
    rep = _finish(plan_path)
    assert rep["files_failed"] == 0 and rep["files_skipped"] >= 10
    assert rep["files_reconverted"] == rep["files_processed"] == 41 - rep["files_skipped"]
    _check(plan_path, total, root, options, s3, bucket)
    rows = _ledger_rows(plan)
    assert {r["conversion"] for r in rows} == {key} and all(json.loads(r["previous_uris"]) == [] for r in rows)
    got, names = read_parquet_target(root, options)
    assert got.schema.field("amount").type == pa.string()
    assert all(f"-{key[:8]}" in n for n in names)  # nothing of the old conversion is left
    assert _finish(plan_path)["files_processed"] == 0


@pytest.mark.slow
def test_kill_mid_reconversion_iceberg_recovers_exactly(tmp_path: Path) -> None:
    from tests.engine.test_kill import _finish, _kill_when, _setup, _spawn

    plan_path, total = _setup(tmp_path, "{kind: local, path: out}", target="iceberg", big_rows=50_000)
    assert _finish(plan_path)["files_failed"] == 0
    plan = load_plan(plan_path)
    nulls = _table(plan).scan(selected_fields=("name",)).to_arrow().column("name").null_count
    plan_path.write_text(plan_path.read_text().replace("{kind: csv, header: true}",
                                                       "{kind: csv, header: true, null_marker: 'name 15'}"))
    plan = load_plan(plan_path)
    key = conversion_key(plan.datasets[0])
    state = tmp_path / "state"

    def reconverted(n: int) -> bool:
        try:
            with sqlite3.connect(f"file:{state / 'ledger.db'}?mode=ro", uri=True, timeout=1) as con:
                return int(con.execute("SELECT COUNT(*) FROM files WHERE state='committed' AND conversion=?",
                                       (key,)).fetchone()[0]) >= n
        except sqlite3.Error:
            return False

    assert _kill_when(_spawn(plan_path), lambda: reconverted(5)), "the run finished before the kill point"
    rep = _finish(plan_path)
    assert rep["files_failed"] == 0 and rep["files_reconverted"] == rep["files_processed"] == 41 - rep["files_skipped"]
    table = _table(plan)
    got = table.scan(selected_fields=("id", "name")).to_arrow()
    ids = got.column("id").to_pylist()
    assert len(ids) == len(set(ids)) == total  # every row once: no old part left beside its replacement
    assert got.column("name").null_count == nulls + 1
    files = {t.file.file_path for t in table.scan().plan_files()}
    assert all(f"-{key[:8]}" in f.rsplit("/", 1)[-1] for f in files)
    rows = _ledger_rows(plan)
    assert {(r["state"], r["conversion"]) for r in rows} == {("committed", key)}
    assert sorted(u for r in rows for u in json.loads(r["target_uris"])) == sorted(files)
    assert _finish(plan_path)["files_processed"] == 0


def test_plan_check_with_a_damaged_ledger_still_checks_the_plan(tmp_path: Path) -> None:
    """The look-ahead at the ledger is a note: a ledger it cannot read does not fail `plan check`."""
    from typer.testing import CliRunner

    from migrate.cli import app

    make_dataset(tmp_path / "src", 1, ROWS)
    plan = _plan(tmp_path)
    plan.state_dir.mkdir(parents=True, exist_ok=True)
    (plan.state_dir / "ledger.db").write_bytes(b"this is not a database" * 100)
    res = CliRunner().invoke(app, ["plan", "check", str(tmp_path / "plan.yaml")])
    assert res.exit_code == 0, res.output
    assert "note: files to convert again not known:" in res.output and "ledger.db" in res.output
