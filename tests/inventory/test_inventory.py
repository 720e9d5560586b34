"""Inventory facts on the generated legacy estate (shared with the demo), plus edge cases."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrate.errors import AuthError
from migrate.estate import EstateManifest, generate_estate
from migrate.inventory import RootSpec, ScanSettings, build_inventory
from migrate.inventory.hiveql import analyze as analyze_hql
from migrate.inventory.hiveql import split_statements
from migrate.inventory.jobs_dpark import analyze as analyze_py
from migrate.inventory.lineage import build, mermaid, norm_path, waves
from migrate.inventory.model import Inventory, Job, PathRef
from migrate.inventory.scan import scan
from migrate.storage.local import LocalStorage


def roots_for(m: EstateManifest) -> list[RootSpec]:
    return [
        RootSpec("mfs", f"file://{m.mfs}", aliases=["/mfs"]),
        RootSpec("hdfs", f"file://{m.hdfs}", aliases=["hdfs://namenode:8020"]),
    ]


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> EstateManifest:
    return generate_estate(tmp_path_factory.mktemp("estate"))


@pytest.fixture(scope="module")
def inv(estate: EstateManifest) -> Inventory:
    return build_inventory(roots_for(estate), ddl=[estate.ddl], jobs_dirs=[estate.jobs_dir])


def test_estate_is_deterministic(tmp_path: Path, estate: EstateManifest) -> None:
    again = generate_estate(tmp_path / "again")
    for d in estate.datasets:
        if d.format in ("parquet", "orc"):
            continue  # writers embed their version; content equality is checked via rows below
        a = sorted(p.relative_to(estate.root) for p in (estate.root / d.root / d.path).rglob("*") if p.is_file())
        for rel in a:
            assert (estate.root / rel).read_bytes() == (again.root / rel).read_bytes(), rel
    assert again.to_json()["datasets"] == estate.to_json()["datasets"]


def test_every_dataset_found_with_format_partitions_schema(inv: Inventory, estate: EstateManifest) -> None:
    found = {d.path: d for d in inv.datasets if d.root in ("mfs", "hdfs")}
    expected_paths = {t.path for t in estate.datasets}
    garbage = {g.split("/", 1)[1] for g in estate.garbage}
    assert set(found) == expected_paths | garbage
    for t in estate.datasets:
        d = found[t.path]
        assert d.format.kind == t.format, t.name
        assert d.format.compression in (t.compression, "snappy", "deflate"), t.name
        if t.delimiter:
            assert d.format.delimiter == t.delimiter, t.name
            assert bool(d.format.header) == t.header, t.name
        assert d.partition_columns == t.partition_columns, t.name
        assert sorted(map(repr, d.partitions)) == sorted(map(repr, t.partitions)), t.name
        assert d.files == t.files, t.name
        assert [c.type for c in d.schema_] == [typ for _, typ in t.schema], t.name
        if t.header or t.format in ("jsonl", "parquet", "orc", "avro") or t.hive_table:
            assert [c.name for c in d.schema_] == [n for n, _ in t.schema], t.name
        for col in d.schema_:
            if t.format in ("csv", "tsv", "hive_text", "jsonl"):
                assert col.nullable == (col.name in t.nullable), (t.name, col.name)
        assert d.rows is not None
        if d.rows_exact:
            assert d.rows == t.rows, t.name
        else:
            assert abs(d.rows - t.rows) <= 0.1 * t.rows, (t.name, d.rows, t.rows)
        assert d.hive_table == t.hive_table, t.name
        assert d.legacy_paths == [t.legacy_path]
        assert d.newest_mtime is not None and d.owner


def test_small_files_and_sizes(inv: Inventory, estate: EstateManifest) -> None:
    crawl = inv.dataset("mfs:/data/crawl_pages")
    assert crawl.files == 150 and crawl.small_file_ratio == 1.0
    assert crawl.bytes == sum(p.stat().st_size for p in (estate.mfs / "data/crawl_pages").iterdir())
    big = build_inventory(roots_for(estate)[:1], settings=ScanSettings(small_file_bytes=100))
    users = big.dataset("mfs:/data/users")
    assert users.small_files == 0 and users.small_file_ratio == 0.0


def test_noise_is_skipped_and_listed(inv: Inventory, estate: EstateManifest) -> None:
    skipped = {s.path for s in inv.skipped}
    for rel in estate.noise:
        path = estate.root / rel
        # Either the file itself or a skipped folder above it is listed.
        candidates = {f"file://{p}" for p in [path, *path.parents]}
        assert candidates & skipped, rel
    reasons = {r for root in inv.roots for r in root.skipped_by_reason}
    assert {"marker", "checksum", "temporary", "trash", "hidden", "staging"} <= reasons
    for d in inv.datasets:
        assert "_temporary" not in d.path and ".Trash" not in d.path


def test_problems_reported(inv: Inventory, estate: EstateManifest) -> None:
    kinds = {(p.kind, p.path) for p in inv.problems}
    for rel in estate.empty_dirs:
        assert ("empty_folder", f"file://{estate.root / rel}") in kinds
    assert any(k == "binary" and "blobs" in p for k, p in kinds)
    assert inv.dataset("mfs:/data/blobs").format.kind == "unknown"


def test_ddl_attached_and_one_mismatch(inv: Inventory, estate: EstateManifest) -> None:
    tables = {t.name: t for t in inv.hive_tables}
    for t in estate.datasets:
        if t.hive_table:
            assert tables[t.hive_table].dataset == f"hdfs:/{t.path}"
    orders = tables["sales.orders"]
    assert [c.name for c in orders.partition_columns] == ["dt", "country"]
    assert orders.delimiter == "\x01" and orders.null_format == "\\N" and orders.storage == "text"
    assert tables["sales.products"].storage == "orc" and tables["sales.order_items"].storage == "parquet"
    assert orders.columns[2].type == "decimal(12,2)"
    mism = [w for w in inv.warnings if w.kind == "ddl_mismatch"]
    assert len(mism) == len(estate.ddl_mismatches) == 1
    table, what = estate.ddl_mismatches[0]
    assert table in mism[0].message and what in mism[0].message
    assert mism[0].path.endswith("ddl.sql:41")


def _norm_ref(r: PathRef) -> str:
    return r.text if r.kind == "table" else norm_path(r.text)


def _job_for(inv: Inventory, truth_path: str) -> Job:
    if truth_path.startswith("crontab:"):
        line = int(truth_path.split(":")[1])
        return next(j for j in inv.jobs if j.kind == "cron" and j.line == line)
    return inv.job(truth_path)


def test_every_job_with_inputs_outputs(inv: Inventory, estate: EstateManifest) -> None:
    assert len(inv.jobs) == len(estate.jobs)
    for t in estate.jobs:
        j = _job_for(inv, t.path)
        assert j.kind == t.kind, t.path
        assert sorted(_norm_ref(r) for r in j.inputs if not r.dynamic) == sorted(norm_path(p) if "/" in p else p
                                                                                   for p in t.inputs), t.path
        assert sorted(_norm_ref(r) for r in j.outputs if not r.dynamic) == sorted(
            norm_path(p) if "/" in p else p for p in t.outputs), t.path
        assert sum(r.dynamic for r in [*j.inputs, *j.outputs]) == t.dynamic, t.path
        if t.schedule:
            assert j.schedule == t.schedule
        if t.name:
            assert j.name == t.name
        assert j.parents == t.parents
        assert sorted(j.runs) == sorted(
            x.id for x in inv.jobs if x.path in t.runs and x.kind in ("dpark", "hive")), t.path
    us = inv.job("dpark/user_stats.py")
    assert us.python2 is True
    assert [r.line for r in us.inputs] == [17, 18]
    assert inv.job("chronos/user-stats.json").schedule_kind == "iso8601"
    assert inv.job("aurora/activity.aurora").resources["ram"] == 2 << 30
    assert "hivevar:dt" in inv.job("hive/revenue.hql").variables


def test_lineage_and_waves(inv: Inventory, estate: EstateManifest) -> None:
    wave = {d.id: d.wave or 0 for d in inv.datasets} | {j.id: j.wave or 0 for j in inv.jobs}

    def node(x: str) -> str:
        if x.startswith("/mfs/"):
            return inv.dataset(x).id
        if "." in x and "/" not in x:
            return next(t.dataset for t in inv.hive_tables if t.name == x) or x
        return x if ":" in x else next(j.id for j in inv.jobs if j.path == x)

    edges = {(e.src, e.dst) for e in inv.lineage.edges}
    for src, dst in estate.lineage:
        assert (node(src), node(dst)) in edges, (src, dst)
    for e in inv.lineage.edges:
        if e.src in wave and e.dst in wave:
            if e.kind == "reads":
                assert wave[e.src] <= wave[e.dst], e  # a dataset moves no later than its readers
            elif e.kind == "writes":
                assert wave[e.dst] <= wave[e.src] or wave[e.dst] == wave[e.src], e
            elif e.kind == "triggers":
                assert wave[e.src] < wave[e.dst], e
            elif e.kind == "runs":
                assert wave[e.src] == wave[e.dst], e
    assert wave["hive:hive/revenue.hql"] == 2 and wave["hive:hive/activity.hql"] == 3
    assert wave["hdfs:/warehouse/reports.db/daily_revenue"] == 2
    assert inv.lineage.cycles == []
    mm = mermaid(inv.lineage, wave)
    assert mm.startswith("flowchart LR") and 'subgraph wave3["wave 3"]' in mm


def test_cycles_are_reported_not_looped() -> None:
    a = Job(id="hive:a.hql", kind="hive", path="a.hql", inputs=[PathRef(text="t.y", kind="table", dataset="d:y")],
            outputs=[PathRef(text="t.x", kind="table", dataset="d:x")])
    b = Job(id="hive:b.hql", kind="hive", path="b.hql", inputs=[PathRef(text="t.x", kind="table", dataset="d:x")],
            outputs=[PathRef(text="t.y", kind="table", dataset="d:y")])
    c = Job(id="hive:c.hql", kind="hive", path="c.hql", inputs=[PathRef(text="t.y", kind="table", dataset="d:y")])
    g = build([], [a, b, c])
    w, cycles = waves(g)
    assert cycles == [["hive:a.hql", "hive:b.hql"]]
    assert w["hive:a.hql"] == w["hive:b.hql"] < w["hive:c.hql"]


def test_inventory_json_roundtrip(inv: Inventory) -> None:
    again = Inventory.model_validate_json(inv.to_json())
    assert again.datasets == inv.datasets and again.jobs == inv.jobs


# --- parsers -------------------------------------------------------------------------------------------


def test_hiveql_splitter_respects_strings_and_comments() -> None:
    sql = "SELECT ';' FROM a; -- x; y\nSELECT \"a;b\" /* c; d */ FROM b;\n\nSELECT `we;ird` FROM c"
    st = split_statements(sql)
    assert [s.line for s in st] == [1, 2, 4]
    assert "';'" in st[0].text
    assert st[1].text.startswith('SELECT "a;b"') and st[1].text.endswith("FROM b")  # ';' in a comment
    res = analyze_hql("INSERT INTO TABLE x.out SELECT * FROM ${hivevar:db}.src;\nSELECT FROM WHERE;", "q.hql")
    assert [r.text for r in res.outputs] == ["x.out"]
    assert res.inputs[0].dynamic
    assert res.problems[0].path == "q.hql:2"


def test_python2_unparsable_line_reported_with_file_line() -> None:
    src = "from dpark import DparkContext\nctx = DparkContext()\nprint 'hi'\nthis is not python at all ((\n" \
          "ctx.textFile('/mfs/a').saveAsTextFile('/mfs/b')\n"
    res = analyze_py(src, "job.py")
    assert res.python2
    assert [p.path for p in res.problems] == ["job.py:4"]
    assert [r.text for r in res.inputs] == ["/mfs/a"] and [r.text for r in res.outputs] == ["/mfs/b"]


# --- edge cases in trees --------------------------------------------------------------------------------


def test_symlink_loop_bad_name_and_empty_folder(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.csv").write_text("a,b\n1,2\n")
    os.symlink(root, root / "a" / "loop")
    (root / "empty").mkdir()
    bad = os.fsencode(str(root / "a")) + b"/caf\xe9.csv"
    with open(bad, "wb") as f:
        f.write(b"a,b\n1,2\n")
    res = scan([RootSpec("t", f"file://{root}")])
    kinds = {p.kind for p in res.problems}
    assert {"symlink_loop", "bad_name", "empty_folder"} <= kinds
    assert any("\\xe9" in p.path for p in res.problems if p.kind == "bad_name")
    assert [d.path for d in res.datasets] == ["a"] and res.datasets[0].rows == 1
    Inventory.model_validate_json(
        build_inventory([RootSpec("t", f"file://{root}")]).to_json())  # JSON-safe despite the bad name


class _Refusing(LocalStorage):
    """Lists like the local store but refuses one folder."""

    def list(self, uri: str) -> Iterator[Any]:
        if uri.rstrip("/").endswith("/secret"):
            raise AuthError(f"permission denied: {uri}", uri)
        return super().list(uri)


def test_permission_error_is_reported_and_scan_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import migrate.inventory.scan as scan_mod

    for name in ("secret", "open"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "d.tsv").write_text("1\t2\n3\t4\n")
    store = _Refusing()
    monkeypatch.setattr(scan_mod, "open_storage", lambda uri, **kw: store)
    monkeypatch.setattr(scan_mod, "scheme_of", lambda uri: "fake")
    res = scan([RootSpec("t", f"file://{tmp_path}")])
    assert [d.path for d in res.datasets] == ["open"]
    assert [p.kind for p in res.problems] == ["permission"] and res.problems[0].path.endswith("/secret")


# --- plan init ------------------------------------------------------------------------------------------


def test_plan_init_passes_check_and_keeps_edits(inv: Inventory, tmp_path: Path) -> None:
    import yaml

    from migrate.errors import PlanError
    from migrate.inventory.plan_init import write_plan
    from migrate.plan import check_plan, load_plan

    out = tmp_path / "plan.yaml"
    write_plan(inv, out, source="inv.json")
    assert check_plan(out) == []
    plan = load_plan(out)
    orders = plan.dataset("orders")
    assert orders.format.kind == "hive_text" and orders.partition_columns == ["dt", "country"]
    assert orders.target.kind == "iceberg" and orders.target.table == "sales.orders"
    assert next(c for c in orders.schema or [] if c.name == "amount").type == "decimal(12,2)"
    assert plan.dataset("users").target.kind == "parquet" and plan.dataset("users").format.header
    assert {j.kind for j in plan.jobs} == {"dpark", "hive", "marathon", "chronos", "aurora", "cron"}
    assert plan.job("user-stats").schedule == "0 2 * * *"  # from R/2024-01-01T02:00:00Z/P1D
    assert {d.name: d.wave for d in plan.datasets}["user_activity"] == 3
    with pytest.raises(PlanError):
        write_plan(inv, out, source="inv.json")
    doc = yaml.safe_load(out.read_text())
    doc["datasets"][0]["target"]["path"] = "edited/by/hand"
    del doc["datasets"][-1]
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    write_plan(inv, out, source="inv.json", merge=True)
    again = yaml.safe_load(out.read_text())
    assert again["datasets"][0]["target"]["path"] == "edited/by/hand"
    assert len(again["datasets"]) == len(doc["datasets"]) + 1
    assert check_plan(out) == []


def test_cli_inventory_and_plan_init(estate: EstateManifest, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrate.cli import app

    r = CliRunner().invoke(app, [
        "inventory", "--root", f"mfs={estate.mfs}", "--alias", "mfs=/mfs", "--root", f"hdfs=file://{estate.hdfs}",
        "--alias", "hdfs=hdfs://namenode:8020", "--ddl", str(estate.ddl), "--jobs", str(estate.jobs_dir),
        "-o", str(tmp_path / "inv.json"), "--mermaid", str(tmp_path / "l.mmd"), "-q"])
    assert r.exit_code == 0, r.output
    inv = Inventory.model_validate_json((tmp_path / "inv.json").read_text())
    assert len(inv.datasets) == len(estate.datasets) + len(estate.garbage)
    assert (tmp_path / "l.mmd").read_text().startswith("flowchart")
    r = CliRunner().invoke(app, ["plan", "init", "--from-inventory", str(tmp_path / "inv.json"),
                                 "-o", str(tmp_path / "p.yaml")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["plan", "check", str(tmp_path / "p.yaml")])
    assert r.exit_code == 0, r.output


# --- remote backends ------------------------------------------------------------------------------------


@pytest.mark.webhdfs
def test_inventory_over_webhdfs(webhdfs_server: Any, estate: EstateManifest) -> None:
    sub = "estate_inv"
    dst = Path(webhdfs_server.local_dir) / sub
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(estate.hdfs, dst, symlinks=True)
    root = RootSpec("hdfs", webhdfs_server.root_uri + sub, dict(webhdfs_server.options),
                    aliases=["hdfs://namenode:8020"])
    inv = build_inventory([root], ddl=[estate.ddl], settings=ScanSettings(workers=8))
    for t in estate.datasets:
        if t.root != "hdfs":
            continue
        d = inv.dataset(f"hdfs:/{t.path}")
        assert d.format.kind == t.format and d.partition_columns == t.partition_columns, t.name
        assert d.files == t.files and [c.type for c in d.schema_] == [x for _, x in t.schema], t.name
        assert d.rows == t.rows, t.name
    assert len([w for w in inv.warnings if w.kind == "ddl_mismatch"]) == 1
    assert {"marker", "checksum", "temporary", "trash", "staging"} <= set(inv.roots[0].skipped_by_reason)


@pytest.mark.s3
def test_inventory_over_s3(seaweedfs: Any, estate: EstateManifest) -> None:
    from migrate.storage import open_storage

    base = seaweedfs.root_uri("inventory")
    store = open_storage(base + "/", **seaweedfs.options)
    for p in sorted(estate.hdfs.rglob("*")):
        if p.is_file():
            store.put(f"{base}/{p.relative_to(estate.hdfs).as_posix()}", p.read_bytes())
    inv = build_inventory([RootSpec("hdfs", base, dict(seaweedfs.options), aliases=["hdfs://namenode:8020"])],
                          ddl=[estate.ddl])
    for t in estate.datasets:
        if t.root != "hdfs":
            continue
        d = inv.dataset(f"hdfs:/{t.path}")
        assert d.format.kind == t.format and d.partition_columns == t.partition_columns, t.name
        assert d.files == t.files and d.rows == t.rows, t.name
    assert len([w for w in inv.warnings if w.kind == "ddl_mismatch"]) == 1


def test_symlinks_are_reported_the_way_the_copy_treats_them(tmp_path: Path) -> None:
    """The copy follows a dataset folder that is a link but refuses links inside one: the inventory counts
    what the copy will read and reports the rest, so `plan init` -> `run` holds no surprise."""
    real = tmp_path / "vol2"
    (real / "logs" / "dt=1").mkdir(parents=True)
    (real / "logs" / "dt=1" / "a.csv").write_text("a,b\n1,2\n")
    (real / "old" / "dt=0").mkdir(parents=True)
    (real / "old" / "dt=0" / "z.csv").write_text("a,b\n3,4\n")
    root = tmp_path / "mfs"
    (root / "events" / "dt=2").mkdir(parents=True)
    (root / "events" / "dt=2" / "e.csv").write_text("a,b\n5,6\n7,8\n")
    os.symlink(real / "logs", root / "logs")  # a dataset folder that is a link: followed by both
    os.symlink(real / "old" / "dt=0", root / "events" / "dt=0")  # a partition that is a link: refused
    os.symlink(root / "events" / "dt=2" / "e.csv", root / "events" / "dt=2" / "latest.csv")  # a file link
    res = scan([RootSpec("t", f"file://{root}")])
    by_path = {d.path: d for d in res.datasets}
    assert set(by_path) == {"events", "logs"}
    assert by_path["logs"].files == 1
    links = {p.path.rsplit("/", 2)[-2:][-1]: p.message for p in res.problems if p.kind == "symlink"}
    assert set(links) == {"dt=0", "latest.csv"}
    assert "dataset events" in links["dt=0"] and "inside the dataset folder" in links["dt=0"]
    assert "not counted" in links["latest.csv"]
    assert by_path["events"].files == 2  # e.csv and the linked partition's z.csv, not latest.csv
