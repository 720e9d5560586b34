"""`migrate run`: the library runner, the Prefect flow and the CLI over a small local plan."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate import runner
from migrate.cli import app
from migrate.plan import load_plan

ROOT = Path(__file__).resolve().parent.parent


def write_estate(base: Path) -> Path:
    src = base / "legacy" / "users"
    src.mkdir(parents=True)
    (src / "part-0.csv").write_text("id,name,score\n1,ann,1.5\n2,bob,\n3,cy,2.25\n")
    (src / "part-1.csv").write_text("id,name,score\n4,dee,0.5\nfive,eve,1.0\n6,fay,3\n")  # 'five' is bad
    (src / "_SUCCESS").write_text("")
    plan = base / "plan.yaml"
    plan.write_text(textwrap.dedent("""\
        version: 1
        name: unit
        settings: {state_dir: state, max_quarantine: 1}  # accepts the one bad row ('five')
        sources:
          legacy: {kind: local, path: legacy}
        targets:
          out: {kind: local, path: out}
        datasets:
          - name: users
            source: {store: legacy, path: users}
            format: {kind: csv, header: true}
            schema:
              - {name: id, type: bigint}
              - {name: name, type: string}
              - {name: score, type: double}
            target: {kind: parquet, store: out, path: users}
        """))
    return plan


def test_run_plan_counts_and_rerun(tmp_path: Path) -> None:
    plan = load_plan(write_estate(tmp_path))
    first = runner.run_plan(plan)
    (users,) = first.outcomes
    assert users.ok, users.error
    assert users.source_rows == 6 and users.source_quarantined == 1
    assert users.target_rows == 5 and users.counts_match is True
    assert users.status == "ok, 1 quarantined"  # never a bare "ok" while a row is in quarantine
    assert first.ok
    again = runner.run_plan(plan)
    assert again.outcomes[0].report["files_skipped"] == 2
    assert again.outcomes[0].target_rows == 5


def test_counts_come_from_the_ledger_and_the_target_not_a_second_read(tmp_path: Path) -> None:
    """The source side is what the engine counted (ledger); the target side is counted from the target, so
    a committed part that goes missing shows as a difference although the ledger still has its rows."""
    plan = load_plan(write_estate(tmp_path))
    assert runner.run_plan(plan).ok
    next((tmp_path / "out" / "users").glob("part-*.parquet")).unlink()
    again = runner.run_plan(plan)
    (users,) = again.outcomes
    assert users.report["files_skipped"] == 2  # nothing read again
    assert (users.source_rows, users.source_quarantined) == (6, 1)
    assert users.target_rows is not None and users.target_rows < 5
    assert users.counts_match is False and not again.ok
    assert users.counted_from is not None and "ledger" in users.counted_from and "footers" in users.counted_from


def test_iceberg_datasets_of_a_run_share_one_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three Iceberg datasets: the catalog is opened once for the run (no helper process per dataset), each
    new table is created by its first commit together with its snapshot, and the counts are equal."""
    from migrate import iceberg

    for i in range(3):
        d = tmp_path / "legacy" / f"t{i}"
        d.mkdir(parents=True)
        (d / "part-0.csv").write_text("id,name\n" + "".join(f"{i * 10 + j},n{j}\n" for j in range(i + 2)))
    datasets = "".join(f"""
          - name: t{i}
            source: {{store: legacy, path: t{i}}}
            format: {{kind: csv, header: true}}
            schema: [{{name: id, type: bigint}}, {{name: name, type: string}}]
            target: {{kind: iceberg, store: out, table: ns.t{i}}}""" for i in range(3))
    (tmp_path / "plan.yaml").write_text(textwrap.dedent("""\
        version: 1
        name: ice
        settings: {state_dir: state}
        sources:
          legacy: {kind: local, path: legacy}
        targets:
          out: {kind: local, path: out}
        datasets:""") + datasets + "\n")
    opened: list[object] = []
    real_load = iceberg.load_catalog
    monkeypatch.setattr(iceberg, "load_catalog", lambda *a, **k: opened.append(a) or real_load(*a, **k))

    def no_helper(*a: object, **k: object) -> None:
        raise AssertionError("a catalog helper process was started")

    monkeypatch.setattr(iceberg, "CatalogProcess", no_helper)
    plan = load_plan(tmp_path / "plan.yaml")
    report = runner.run_plan(plan)
    assert report.ok, [o.error for o in report.outcomes]
    assert [(o.source_rows, o.target_rows) for o in report.outcomes] == [(2, 2), (3, 3), (4, 4)]
    assert len(opened) == 1
    catalog = real_load(plan, state_dir=plan.state_dir)
    for i in range(3):
        table = catalog.load_table(f"ns.t{i}")
        assert len(table.metadata.snapshots) == 1 and not table.metadata.metadata_log  # created with its data
    again = runner.run_plan(plan)  # nothing new: every file skipped, the tables untouched
    assert again.ok and all(o.report["files_skipped"] == 1 for o in again.outcomes)
    assert all(len(catalog.load_table(f"ns.t{i}").metadata.snapshots) == 1 for i in range(3))


def test_select_orders_by_wave_and_rejects_unknown(tmp_path: Path) -> None:
    plan = load_plan(write_estate(tmp_path))
    assert [d.name for d in runner.select(plan)] == ["users"]
    assert runner.select(plan, waves=[7]) == []
    with pytest.raises(Exception, match="nope"):
        runner.select(plan, names=["nope"])


def test_cli_run_without_prefect(tmp_path: Path) -> None:
    plan = write_estate(tmp_path)
    report = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["run", str(plan), "--no-prefect", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "equal" in result.output and "ok, 1 quarantined" in result.output
    assert '"counts_match": true' in report.read_text()


@pytest.mark.prefect
def test_run_as_prefect_flow(tmp_path: Path, prefect_server: None) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from migrate.flows.run import migrate_run_flow

    result = migrate_run_flow(str(write_estate(tmp_path)))
    assert result["ok"]
    assert result["datasets"][0]["target_rows"] == 5

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["migrate-run-unit"])))
    assert artifacts, "the flow publishes a summary table artifact"
    assert "users" in str(artifacts[0].data)


@pytest.mark.slow
@pytest.mark.prefect
def test_demo_main_job(tmp_path: Path) -> None:
    """`migrate demo` end to end, as `make demo` runs it, in a scratch copy of the project folder."""
    shutil.copytree(ROOT / "plans", tmp_path / "plans")
    from migrate.devservers.seaweedfs import free_ports

    # A free port for the demo's WebHDFS server: other demos may run on this machine at the same time.
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / ".prefect"), MIGRATE_DEMO_PORT=str(free_ports(1)[0]))
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run([sys.executable, "-m", "migrate.cli", "demo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "demo OK" in out
    for name in ("users", "access_log", "orders", "events_json", "order_items"):
        assert name in out


@pytest.mark.prefect
def test_failed_dataset_fails_the_flow_run_but_returns_the_summary(tmp_path: Path, prefect_server: None) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    from migrate.flows.run import run_plan_flow

    plan = write_estate(tmp_path)
    (tmp_path / "legacy" / "users" / "part-1.csv").write_bytes(b"\x1f\x8b\x08garbage")  # corrupt gzip
    result = run_plan_flow(str(plan))
    assert not result["ok"]
    assert result["datasets"][0]["dataset"] == "users" and not result["datasets"][0]["ok"]
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
    assert runs[0].state is not None and runs[0].state.is_failed()
    assert "users" in (runs[0].state.message or "")
