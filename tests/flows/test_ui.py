"""The demo against a real Prefect server: its flow runs, task runs and artifacts through the Prefect API, and
the UI page of the run opened in headless Chromium (screenshot saved)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.prefect import PrefectTestServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           f"--user-data-dir={tmp / 'chromium-profile'}", "--window-size=1280,900",
                           "--virtual-time-budget=15000", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.prefect
def test_demo_on_a_prefect_server_shows_in_the_api_and_ui(tmp_path: Path, prefect_server: PrefectTestServer) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterParentFlowRunId,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    from migrate.devservers.seaweedfs import free_ports

    shutil.copytree(ROOT / "plans", tmp_path / "plans")
    proc = subprocess.run([sys.executable, "-m", "migrate.cli", "demo"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=dict(os.environ) | prefect_server.env()
                          | {"MIGRATE_DEMO_PORT": str(free_ports(1)[0])})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert f"Prefect UI: {prefect_server.ui_url}/runs" in out and "demo OK" in out

    with get_client(sync_client=True) as client:
        def runs(name: str) -> list[Any]:
            return client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])),
                                         sort=FlowRunSort.START_TIME_DESC)

        run = runs("run demo (all waves)")[0]
        assert run.parameters["plan_path"].startswith(str(tmp_path / "plans" / "examples"))
        assert run.state is not None and run.state.is_completed()
        waves = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))
        assert sorted(w.name for w in waves) == ["demo wave 1", "demo wave 2"]
        tasks = client.read_task_runs(task_run_filter=TaskRunFilter(
            flow_run_id=TaskRunFilterFlowRunId(any_=[w.id for w in waves])))
        assert {"demo/w1/users", "demo/w1/access_log", "demo/w2/orders"} <= {t.name for t in tasks}
        assert all(t.state is not None and t.state.is_completed() for t in tasks if t.name.startswith("demo/"))
        for name in ("inventory mfs, hdfs", "translate hive jobs/hive", "cutover status demo"):
            assert runs(name), f"no flow run named {name!r}"

        arts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id, *(t.flow_run_id for t in tasks)])))
        keys = {a.key for a in arts}
        assert {"migrate-run-demo", "demo-users-copy", "demo-access-log-copy"} <= keys, keys
        copy = next(a for a in arts if a.key == "demo-users-copy")
        assert "files (listed)" in str(copy.data) and "500" in str(copy.data)
        everything = {a.key for a in client.read_artifacts()}
        assert {"inventory-mfs-hdfs", "translate-hive", "cutover-demo-all"} <= everything, everything

    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make setup` installs it (scripts/setup-system.sh)")
    url = f"{prefect_server.ui_url}/runs/flow-run/{run.id}"
    dom = _chromium(["--dump-dom", url], tmp_path)
    assert "run demo (all waves)" in dom.stdout and "Completed" in dom.stdout, dom.stdout[-2000:]
    shot = tmp_path / "flow-run.png"
    res = _chromium([f"--screenshot={shot}", url], tmp_path)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", res.stderr[-2000:]
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    print(f"screenshot of {url}: {shot}")
