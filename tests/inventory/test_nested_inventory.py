"""The inventory types nested JSON (struct, array, map, or JSON text with a note saying why), `plan init` writes
those types, and roots below a store's top keep their folder in the plan for every store kind."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from migrate.inventory import RootSpec, build_inventory
from migrate.inventory.model import Column, Dataset, FormatInfo, Inventory, RootInfo, Settings
from migrate.inventory.plan_init import plan_from_inventory, write_plan
from migrate.inventory.schema_infer import merge, merge_named
from migrate.inventory.sniff import _json_columns
from migrate.plan import load_plan, load_plan_text


def _recs(n: int, shift: int = 0) -> list[dict[str, Any]]:
    return [{
        "id": i,
        "meta": {"k": i, "ab": {"on": i % 2 == 0}} if i % 7 else None,
        "tags": ["x"] * (i % 3),
        "lines": [{"sku": "a", "qty": i}] if i % 2 else [],
        "per_day": {f"2026-01-{d:02d}": d for d in range(1, 2 + i % 4)},
        "bag": [{"a": 1}, "text", 3][i % 3],
        "empty": {},
        "odd keys": {"a b": i, "c`d": [1.5]},
    } for i in range(shift, shift + n)]


def test_json_shapes_and_notes() -> None:
    cols = {c.name: c for c in _json_columns(_recs(60))}
    assert cols["meta"].type == "struct<k:bigint,ab:struct<on:boolean>>" and cols["meta"].nullable
    assert cols["tags"].type == "array<string>" and cols["lines"].type == "array<struct<sku:string,qty:bigint>>"
    assert cols["per_day"].type == "map<string,bigint>"
    assert "keys look like data" in (cols["per_day"].note or "")
    assert cols["bag"].type == "json" and cols["bag"].note == \
        "bag: JSON text, shapes vary (object in 20, string in 20, number in 20)"
    assert cols["empty"].type == "json" and "always empty" in (cols["empty"].note or "")
    assert cols["odd keys"].type == "struct<`a b`:bigint,`c``d`:array<double>>"
    # Many keys of one kind: a map; many keys with values of several shapes: JSON text.
    wide = [{"w": {f"k{j}": j for j in range(150)}, "v": {f"k{j}": ([j] if j % 2 else j) for j in range(150)}}]
    cols = {c.name: c for c in _json_columns(wide)}
    assert cols["w"].type == "map<string,bigint>" and "150 distinct keys" in (cols["w"].note or "")
    assert cols["v"].type == "json"


def test_merge_across_files() -> None:
    assert merge("struct<a:int>", "struct<b:string>") == "struct<a:int,b:string>"
    assert merge("array<bigint>", "array<double>") == "array<double>"
    assert merge("struct<a:int>", "string") == "json" and merge("json", "bigint") == "json"
    a = [Column(name="id", type="bigint", nullable=False), Column(name="m", type="struct<a:bigint>")]
    b = [Column(name="m", type="string", nullable=False), Column(name="new", type="date", nullable=False)]
    out = {c.name: c for c in merge_named(a, b)}
    assert out["id"].nullable and out["new"].nullable  # absent from one file: nullable
    assert out["m"].type == "json" and "struct<a:bigint> in one file, string in another" in (out["m"].note or "")


def test_jsonl_dataset_over_two_files_merges_by_name(tmp_path: Path) -> None:
    """Keys in another order (and a new key) in the second file still line up by name."""
    folder = tmp_path / "root" / "events"
    folder.mkdir(parents=True)
    (folder / "a.json").write_text("".join(json.dumps(r) + "\n" for r in _recs(40)))
    (folder / "b.json").write_text("".join(json.dumps(dict(reversed(list(r.items()))) | {"late": 1.5}) + "\n"
                                           for r in _recs(40, 40)))
    inv = build_inventory([RootSpec("r", f"file://{tmp_path / 'root'}")])
    ds = inv.dataset("events")
    cols = {c.name: c for c in ds.schema_}
    assert ds.format.kind == "jsonl" and cols["id"].type == "bigint" and cols["late"].type == "double"
    assert cols["meta"].type == "struct<k:bigint,ab:struct<on:boolean>>"
    text = write_plan(inv, tmp_path / "plan.yaml", source="inv.json")
    plan = load_plan(tmp_path / "plan.yaml")
    types = {c.name: c.type for c in plan.datasets[0].schema or []}
    assert types["per_day"] == "map<string,bigint>" and types["bag"] == "json" and types["lines"].startswith("array<")
    assert "# dataset events, column bag: JSON text, shapes vary" in text  # says which and why


def _inv(*roots: tuple[str, str, dict[str, Any]]) -> Inventory:
    datasets = [Dataset(id=f"{name}:/clicks", root=name, path="clicks", uri=f"{uri.rstrip('/')}/clicks",
                        format=FormatInfo(kind="jsonl"), schema=[Column(name="id", type="bigint")])
                for name, uri, _ in roots]
    return Inventory(generated_at=dt.datetime.now(dt.UTC).isoformat(),
                     settings=Settings(small_file_bytes=1, sample_bytes=1, sample_files=1, sample_rows=1,
                                       exact_rows_bytes=1, workers=1),
                     roots=[RootInfo(name=n, uri=u, options=o) for n, u, o in roots], datasets=datasets)


@pytest.mark.parametrize(("uri", "options", "want"), [
    ("webhdfs://nn.example:9870/mfs", {"user": "hadoop"}, "webhdfs://nn.example:9870/mfs/clicks"),
    ("webhdfs://nn.example:9870/", {}, "webhdfs://nn.example:9870/clicks"),
    ("s3://legacy/warehouse/logs", {"endpoint_url": "http://127.0.0.1:8333", "access_key_id_env": "K",
                                    "secret_access_key_env": "S"}, "s3://legacy/warehouse/logs/clicks"),
    ("jfs://vol/data/raw", {"mount_path": "/jfs"}, "file:///jfs/data/raw/clicks"),
    ("jfs://vol/data/raw", {"endpoint_url": "http://127.0.0.1:9005", "access_key_id_env": "K",
                            "secret_access_key_env": "S"}, "jfs://vol/data/raw/clicks"),
    ("file:///srv/mfs/legacy", {}, "file:///srv/mfs/legacy/clicks"),
])
def test_plan_init_keeps_the_root_folder(tmp_path: Path, uri: str, options: dict[str, Any], want: str) -> None:
    """What plan init writes resolves to the folder the inventory scanned, for every store kind."""
    doc, _ = plan_from_inventory(_inv(("src", uri, options)), tmp_path / "plan.yaml")
    import yaml

    plan = load_plan_text(yaml.safe_dump(doc), base_dir=tmp_path)
    ds = plan.datasets[0]
    got, opts = plan.location(ds.source.store, ds.source.path)
    assert got == want
    if uri.startswith("webhdfs") and options:
        assert opts["user"] == "hadoop"
    if "endpoint_url" in options:
        assert opts["endpoint_url"] == options["endpoint_url"] and opts["access_key_id_env"] == "K"


def test_hive_ddl_nested_types(tmp_path: Path) -> None:
    """A Hive ORC/Parquet table's nested DDL types are plan types now; in Hive *text* a collection is
    \\x02-separated text the delimited reader does not split, so the plan keeps it a string and says so."""
    from migrate.inventory.model import HiveColumn, HiveTable

    inv = _inv(("src", "file:///srv/legacy", {}))
    ds = inv.datasets[0]
    ds.format = FormatInfo(kind="hive_text", delimiter="\x01", header=False)
    ds.schema_ = [Column(name="id", type="bigint"), Column(name="tags", type="string"),
                  Column(name="attrs", type="string")]
    ds.hive_table = "db.clicks"
    inv.hive_tables = [HiveTable(name="db.clicks", source="ddl.sql:1", columns=[
        HiveColumn(name="id", type="BIGINT"), HiveColumn(name="tags", type="ARRAY<STRING>"),
        HiveColumn(name="attrs", type="MAP<STRING, INT>")])]
    doc, notes = plan_from_inventory(inv, tmp_path / "plan.yaml")
    assert [c["type"] for c in doc["datasets"][0]["schema"]] == ["bigint", "string", "string"]
    assert any("column tags: Hive type array<string> kept as its text" in n for n in notes)
    ds.format = FormatInfo(kind="jsonl")
    doc, _ = plan_from_inventory(inv, tmp_path / "plan.yaml")
    assert [c["type"] for c in doc["datasets"][0]["schema"]] == ["bigint", "array<string>", "map<string,int>"]
