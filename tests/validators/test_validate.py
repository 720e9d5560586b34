"""``migrate validate`` beyond the fault matrix: the CLI, the HTML report in a real browser, incremental
re-validation, tolerances, quarantined rows, key columns, Great Expectations and copy targets (local)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from migrate.validators import verdicts
from migrate.validators.run import validate_plan
from migrate.validators.sides import list_target
from migrate.validators.validate import Options, validate_dataset
from typer.testing import CliRunner

from migrate.cli import app
from migrate.engine import EngineOptions, run_dataset
from migrate.plan import Plan, load_plan_text
from tests.engine.helpers import SCHEMA_YAML, make_dataset, write_csv

OPTS = EngineOptions(use_processes=False)


def _plan_text(validation: str = "", target: str = "{kind: parquet, store: out, path: t}",
               fmt: str = "{kind: csv, header: true}") -> str:
    return f"""
version: 1
name: vtest
settings: {{state_dir: state, concurrency: 2}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {{kind: local, path: out}}}}
datasets:
  - name: events
    source: {{store: src, path: ""}}
    format: {fmt}
    schema: {SCHEMA_YAML}
    partition_columns: [dt]
    target: {target}
    validation: [{validation}]
"""


def _copied(base: Path, validation: str = "", files: int = 2, rows: int = 30, **kw: Any) -> Plan:
    make_dataset(base / "src", files=files, rows=rows, partitions=["a", "b"])
    text = _plan_text(validation, **kw)
    (base / "plan.yaml").write_text(text)
    plan = load_plan_text(text, base_dir=base)
    assert run_dataset(plan, "events", options=OPTS).ok
    return plan


def _rewrite_first(plan: Plan, change: Any) -> str:
    side = list_target(plan, plan.dataset("events"))
    f = side.files[0]
    path = Path(f.uri.removeprefix("file://"))
    pq.write_table(change(pq.read_table(path)), path)
    return f.uri


def _set(t: pa.Table, col: str, row: int, value: Any) -> pa.Table:
    vals = t.column(col).to_pylist()
    vals[row] = value(vals[row]) if callable(value) else value
    i = t.schema.get_field_index(col)
    return t.set_column(i, t.schema.field(i), pa.array(vals, t.schema.field(i).type))


# -- the command -------------------------------------------------------------------------------------------
def test_cli_exit_codes_findings_and_reports(tmp_path: Path) -> None:
    plan = _copied(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(tmp_path / "plan.yaml"), "--no-prefect"])
    assert ok.exit_code == 0, ok.output
    assert "pass" in ok.output and "validation.html" in ok.output
    _rewrite_first(plan, lambda t: _set(t, "amount", 3, 123456.5))
    bad = runner.invoke(app, ["validate", str(tmp_path / "plan.yaml"), "--no-prefect", "-o", str(tmp_path / "r")])
    assert bad.exit_code == 1, bad.output
    assert "error: dataset events: row_checksums: row at" in bad.output and "line 5" in bad.output
    assert "amount: source" in bad.output and "target 123456.5" in bad.output
    run = json.loads((tmp_path / "r" / "validation.json").read_text())
    assert run["verdict"] == "fail" and run["datasets"][0]["reports"]["html"] == str(tmp_path / "r" / "validation.html")
    typo = runner.invoke(app, ["validate", str(tmp_path / "plan.yaml"), "--no-prefect", "-d", "nope"])
    assert typo.exit_code == 1 and "unknown dataset(s) nope" in typo.output


def test_html_report_renders_offline_in_chromium(tmp_path: Path) -> None:
    """The page loads in headless Chromium without one request leaving the file (no CDN, no fetch)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: `make setup` installs it (scripts/setup-system.sh)")
    from playwright.sync_api import sync_playwright

    plan = _copied(tmp_path, "{check: not_null, columns: [id]}")
    _rewrite_first(plan, lambda t: _set(t, "name", 2, "<script>alert(1)</script>"))
    run = validate_plan(plan)
    html = Path(run["reports"]["html"])
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu",
                                                                    "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri(), wait_until="load")
            text = page.inner_text("body")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            scripts = page.evaluate("document.scripts.length")
        finally:
            browser.close()
    assert requests == [html.as_uri()], requests  # the page itself, nothing else
    assert scripts == 0  # the hostile value is text, not markup
    assert "events" in text and "fail" in text and "row_checksums" in text and "<script>alert(1)</script>" in text
    assert (tmp_path / "report.png").stat().st_size > 10_000


# -- incremental ---------------------------------------------------------------------------------------------
def test_revalidation_rereads_only_what_changed(tmp_path: Path) -> None:
    plan = _copied(tmp_path, files=4)
    first = validate_dataset(plan, "events")
    assert first["verdict"] == "pass"
    assert first["incremental"] == {"source_files_read": 4, "source_files_cached": 0, "target_files_read": 4,
                                    "target_files_cached": 0}
    again = validate_dataset(plan, "events")
    assert again["verdict"] == "pass" and again["incremental"]["source_files_read"] == 0
    assert again["incremental"]["target_files_read"] == 0 and again["ledger_fingerprint"] == first["ledger_fingerprint"]
    # The source changes, an incremental re-sync copies that one file, the verdict goes stale.
    victim = sorted((tmp_path / "src").rglob("*.csv"))[1]
    write_csv(victim, 10_000, 45)
    later = time.time() + 5
    os.utime(victim, (later, later))
    rep = run_dataset(plan, "events", options=OPTS)
    assert rep.files_processed == 1 and rep.files_skipped == 3
    assert verdicts.is_stale(plan, verdicts.load_verdict(plan, "events") or {})
    third = validate_dataset(plan, "events")
    assert third["verdict"] == "pass", third["reasons"]
    assert third["incremental"] == {"source_files_read": 1, "source_files_cached": 3, "target_files_read": 1,
                                    "target_files_cached": 3}
    assert third["rows"]["source"] == 3 * 30 + 45 and not verdicts.is_stale(plan, third)
    assert third["ledger_fingerprint"] != first["ledger_fingerprint"]
    # A target file rewritten in place is re-read too (its size, mtime or ETag changed), and caught.
    time.sleep(0.01)
    _rewrite_first(plan, lambda t: _set(t, "flag", 0, lambda v: not v if v is not None else True))
    fourth = validate_dataset(plan, "events")
    assert fourth["incremental"]["target_files_read"] == 1 and fourth["verdict"] == "fail"


# -- tolerances ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("amount_delta", "ts_delta", "expect"), [
    (1e-7, dt.timedelta(microseconds=400), "pass"),  # within both tolerances
    (0.5, dt.timedelta(0), "fail"),  # float beyond
    (0.0, dt.timedelta(seconds=2), "fail"),  # timestamp beyond
])
def test_tolerances(tmp_path: Path, amount_delta: float, ts_delta: dt.timedelta, expect: str) -> None:
    rule = "{check: tolerance, columns: [amount], absolute: 0.001}, {check: tolerance, columns: [ts], timestamp: 1ms}"
    plan = _copied(tmp_path, rule, files=2, rows=200)

    def shift(t: pa.Table) -> pa.Table:
        amount = [None if v is None else v + amount_delta for v in t.column("amount").to_pylist()]
        ts = [None if v is None else v + ts_delta for v in t.column("ts").to_pylist()]
        t = t.set_column(t.schema.get_field_index("amount"), t.schema.field("amount"), pa.array(amount, pa.float64()))
        i = t.schema.get_field_index("ts")
        return t.set_column(i, t.schema.field(i), pa.array(ts, t.schema.field(i).type))

    _rewrite_first(plan, shift)
    v = validate_dataset(plan, "events")
    assert v["verdict"] == expect, v["reasons"]
    if expect == "fail":
        changed = [f for f in v["findings"] if f.get("kind") == "changed_row"]
        assert changed and changed[0]["column"] == ("amount" if amount_delta else "ts") and changed[0]["line"] >= 2
    else:
        assert v["findings"] == []
        strict = _plan_text("")  # the same copy judged without the tolerances: every shifted row differs
        plan2 = load_plan_text(strict, base_dir=tmp_path)
        v2 = validate_dataset(plan2, "events", options=Options(use_cache=False), write=False)
        assert v2["verdict"] == "fail"


# -- quarantined rows ----------------------------------------------------------------------------------------
def test_quarantined_rows_are_counted_and_linked(tmp_path: Path) -> None:
    src = tmp_path / "src" / "dt=a"
    make_dataset(tmp_path / "src", files=2, rows=20, partitions=["a", "b"])
    f = sorted(src.glob("*.csv"))[0]
    lines = f.read_text().splitlines(keepends=True)
    lines[3] = "3,name,not-a-number,2024-01-01,2024-01-01 00:00:00,true\n"  # a bad double
    lines[5] = "5,too,many,fields,here,x,y\n"  # a ragged line
    f.write_text("".join(lines))
    text = _plan_text("")
    (tmp_path / "plan.yaml").write_text(text)
    plan = load_plan_text(text, base_dir=tmp_path)
    rep = run_dataset(plan, "events", options=OPTS)
    assert rep.rows_quarantined == 2
    v = validate_dataset(plan, "events")
    assert v["verdict"] == "pass", v["reasons"]
    assert v["rows"] == {"source": 40, "quarantined": 2, "target": 38, "expected_target": 38}
    q = v["quarantine"]
    assert (q["rows"], q["files"], q["recorded_rows"]) == (2, 1, 2)
    assert q["folder"] == str(plan.state_dir / "quarantine" / "events")
    assert {e.get("line") for e in q["examples"]} == {4, 6}
    run = validate_plan(plan)
    page = Path(run["reports"]["html"]).read_text()
    assert Path(q["folder"]).as_uri() in page and "2 row(s) of 1 file(s) were quarantined" in page
    # A row dropped after a quarantined one is still located on its physical line.
    _rewrite_first(plan, lambda t: pa.concat_tables([t.slice(0, 9), t.slice(10)]))
    v = validate_dataset(plan, "events")
    missing = [x for x in v["findings"] if x.get("kind") == "missing_row"]
    assert len(missing) == 1 and missing[0]["line"] == 13  # header + 2 quarantined lines before it + 10th row


# -- key columns, copy targets ---------------------------------------------------------------------------------
def test_key_columns_pair_a_changed_row(tmp_path: Path) -> None:
    plan = _copied(tmp_path, "{check: row_checksums, key_columns: [id], max_rows: 5}")
    _rewrite_first(plan, lambda t: _set(_set(t, "name", 4, "other"), "flag", 4, None))
    v = validate_dataset(plan, "events")
    (f,) = [x for x in v["findings"] if x["check"] == "row_checksums"]
    assert f["kind"] == "changed_row" and f["key"] == {"id": 4} and f["column"] in ("name, flag", "name")
    assert f["line"] == 6 and f["target_row"] == 4


def test_copy_target_bytes(tmp_path: Path) -> None:
    """Copies as-is, bookkeeping files such as _SUCCESS included (a copy target copies them too)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "_SUCCESS").write_bytes(b"")
    plan = _copied(tmp_path, "", target="{kind: copy, store: out, path: raw}")
    v = validate_dataset(plan, "events")
    assert v["verdict"] == "pass" and {c["check"] for c in v["checks"]} == {"files", "content"}, v["reasons"]
    assert v["files"]["match"] == 3 and v["files_validated"] == 3
    victim = sorted((tmp_path / "out" / "raw").rglob("*.csv"))[0]
    data = bytearray(victim.read_bytes())
    data[40] ^= 1
    victim.write_bytes(bytes(data))
    v = validate_dataset(plan, "events")
    (f,) = v["findings"]
    assert f["check"] == "content" and f["target_file"] == f"file://{victim}"


# -- Great Expectations --------------------------------------------------------------------------------------------
def test_expectations_suite_file_and_inline(tmp_path: Path) -> None:
    suite = {"name": "events_suite", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "min_value": -1000,
                                                                   "max_value": 1000}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "name", "regex": "^name ",
                                                                    "mostly": 0.99}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 60, "max_value": 60}},
    ]}
    (tmp_path / "suite.json").write_text(json.dumps(suite))
    inline = ("{check: expectations, expectations: ["
              "{type: expect_column_values_to_be_unique, kwargs: {column: id}},"
              "{type: expect_column_values_to_be_in_set, kwargs: {column: flag, value_set: [true, false]}},"
              "{type: expect_column_max_to_be_between, kwargs: {column: amount, max_value: 999}},"
              "{type: expect_column_median_to_be_between, kwargs: {column: amount, max_value: 999}}]}")
    plan = _copied(tmp_path, "{check: expectation_suite, path: suite.json}, " + inline)
    # Break one value per expectation: an amount out of range, a name that does not match, a duplicated id.
    _rewrite_first(plan, lambda t: _set(_set(_set(t, "amount", 6, 5000.0), "name", 8, "zzz"), "id", 9, 2))
    v = validate_dataset(plan, "events")
    exp = v["expectations"]
    jsonschema.validate(v, verdicts.verdict_json_schema())
    res = {r["expectation"]: r for r in exp["results"]}
    assert exp["status"] == "fail" and exp["evaluated"] == 8 and exp["suites"][0] == "events_suite"
    assert res["expect_column_values_to_not_be_null"]["success"]
    between = res["expect_column_values_to_be_between"]
    assert not between["success"] and between["unexpected_count"] == 1 and between["element_count"] == 60
    assert between["examples"][0]["target_row"] == 6 and between["examples"][0]["value"] == 5000.0
    regex = res["expect_column_values_to_match_regex"]
    assert regex["unexpected_count"] >= 1 and not regex["success"]  # mostly 0.99 of ~50 non-null names
    assert res["expect_table_row_count_to_be_between"]["success"]
    assert not res["expect_column_values_to_be_unique"]["success"]  # across files, not per chunk
    assert res["expect_column_values_to_be_in_set"]["success"]
    assert not res["expect_column_max_to_be_between"]["success"]
    assert "cannot be decided chunk by chunk" in res["expect_column_median_to_be_between"]["error"]
    located = [f for f in v["findings"] if f["check"] == "expectations" and f.get("target_row") == 6]
    assert located and located[0]["line"] == 8 and located[0]["file"].endswith(".csv")  # traced to the source


# -- Prefect ----------------------------------------------------------------------------------------------------
@pytest.mark.prefect
def test_validate_runs_as_a_flow_with_its_report_as_artifact(tmp_path: Path, prefect_server: Any) -> None:
    """With a server up, `migrate validate` is a flow run: one task per dataset, the Markdown report and a
    verdict table as artifacts; a failing dataset fails the run (and the command)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterName

    plan = _copied(tmp_path)
    _rewrite_first(plan, lambda t: _set(t, "day", 1, None))
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "plan.yaml")])
    assert res.exit_code == 1, res.output
    assert f"Prefect flow on {prefect_server.api_url}" in res.output and "row_checksums" in res.output
    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(
            any_=["validate vtest (all waves)"])))
        assert run.state is not None and run.state.is_failed()
        arts = {a.key: a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))}
    assert "# Validation of plan vtest" in str(arts["validate-vtest"].data)
    assert "events" in str(arts["validate-vtest-verdicts"].data) and "fail" in str(arts["validate-vtest-verdicts"].data)
    assert verdicts.load_verdict(plan, "events")["verdict"] == "fail"  # type: ignore[index]


def test_big_files_read_in_parts_agree_with_whole_reads(tmp_path: Path) -> None:
    """Source files read in byte ranges (as the copy splits big files) give the same verdict and lines."""
    plan = _copied(tmp_path, files=2, rows=400)
    parts = Options(split_bytes=4096, use_cache=False)
    v = validate_dataset(plan, "events", options=parts)
    assert v["verdict"] == "pass" and v["rows"]["source"] == 800, v["reasons"]
    _rewrite_first(plan, lambda t: _set(t, "name", 350, "changed"))
    v = validate_dataset(plan, "events", options=parts)
    (f,) = [x for x in v["findings"] if x["check"] == "row_checksums"]
    assert f["column"] == "name" and f["line"] == 352 and f["target_row"] == 350


def test_inferred_schema_jsonl_without_declared_columns(tmp_path: Path) -> None:
    """No schema in the plan: each file's inferred types are the mapping (seconds stored as ms by Parquet)."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(2):
        (src / f"e{i}.jsonl").write_text("".join(
            json.dumps({"id": i * 100 + k, "ts": f"2024-01-0{1 + k % 9} 10:00:0{k % 10}", "kind": f"k{k % 3}"}) + "\n"
            for k in range(50)))
    text = """
version: 1
name: vjson
settings: {state_dir: state}
sources: {src: {kind: local, path: src}}
targets: {out: {kind: local, path: out}}
datasets:
  - name: events
    source: {store: src}
    format: {kind: jsonl}
    target: {kind: parquet, store: out, path: e}
"""
    plan = load_plan_text(text, base_dir=tmp_path)
    assert run_dataset(plan, "events", options=OPTS).ok
    v = validate_dataset(plan, "events")
    assert v["verdict"] == "pass", (v["reasons"], v["findings"][:3])
    assert v["rows"]["target"] == 100
