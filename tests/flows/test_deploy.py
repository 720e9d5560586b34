"""`migrate deploy` + `migrate worker`: the scheduled incremental re-sync runs on a real server and leaves a
cut-over wave alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.ledger import Ledger
from tests.fixtures.prefect import PrefectTestServer


def _migrate(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _project(base: Path) -> Path:
    for name in ("a", "b"):
        (base / "legacy" / name).mkdir(parents=True)
        (base / "legacy" / name / "part-0.csv").write_text("id,v\n1,x\n2,y\n")
    plan = base / "plan.yaml"
    plan.write_text(textwrap.dedent("""\
        version: 1
        name: sched
        settings: {state_dir: state}
        sources: {legacy: {kind: local, path: legacy}}
        targets: {out: {kind: local, path: out}}
        datasets:
          - {name: a, source: {store: legacy, path: a}, format: {kind: csv}, wave: 1,
             target: {kind: parquet, store: out, path: a}}
          - {name: b, source: {store: legacy, path: b}, format: {kind: csv}, wave: 2,
             target: {kind: parquet, store: out, path: b}}
        cutover: {gates: [copied, final_delta, signoff]}
        """))
    return plan


@pytest.mark.slow
@pytest.mark.prefect
def test_deployment_resyncs_until_cutover(tmp_path: Path, prefect_server: PrefectTestServer) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    plan = _project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | prefect_server.env()
    assert _migrate(["run", str(plan), "--no-prefect"], tmp_path, env).returncode == 0
    assert _migrate(["cutover", "sign", str(plan), "a", "--by", "ops"], tmp_path, env).returncode == 0
    res = _migrate(["cutover", "execute", str(plan), "--wave", "1", "--by", "ops", "--no-prefect"], tmp_path, env)
    assert res.returncode == 0, res.stdout + res.stderr
    for name in ("a", "b"):  # new data at the source of both waves
        (tmp_path / "legacy" / name / "part-1.csv").write_text("id,v\n3,z\n")

    res = _migrate(["deploy", str(plan), "--every", "1h"], tmp_path, env)
    assert res.returncode == 0 and "migrate-resync/resync-sched" in res.stdout, res.stdout + res.stderr
    run = run_deployment("migrate-resync/resync-sched", timeout=0)  # started by hand, as from the UI
    res = _migrate(["worker", "--once"], tmp_path, env)
    assert res.returncode == 0, res.stdout + res.stderr
    with get_client(sync_client=True) as client:
        done = client.read_flow_run(run.id)
    assert done.state is not None and done.state.is_completed(), done.state
    assert done.name == "resync sched"
    with Ledger.in_state_dir(tmp_path / "state") as ledger:
        assert ledger.counts("b") == {"committed": 2}  # wave 2 re-synced
        assert ledger.counts("a") == {"committed": 1}  # wave 1 is cut over: left alone
    assert "none is running" in _migrate(["deploy", str(plan)], tmp_path,
                                           {k: v for k, v in env.items() if not k.startswith("PREFECT_")}
                                           | {"HOME": str(tmp_path)}).stderr
