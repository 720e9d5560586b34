"""The run flow on a real server: dataset tasks are retried for transient errors only, and named by plan, wave
and dataset."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.devservers.seaweedfs import free_ports
from tests.fixtures.prefect import PrefectTestServer


@pytest.mark.prefect
def test_transient_errors_are_retried_terminal_ones_are_not(tmp_path: Path,
                                                            prefect_server: PrefectTestServer) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    port = free_ports(1, with_grpc=False)[0]  # nothing listens: the endpoint "is down" (a transient error)
    (tmp_path / "legacy" / "ok").mkdir(parents=True)
    (tmp_path / "legacy" / "ok" / "part-0.csv").write_text("id\n1\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(f"""\
        version: 1
        name: retries
        settings: {{state_dir: state}}
        sources:
          legacy: {{kind: local, path: legacy}}
          hdfs: {{kind: webhdfs, url: "http://127.0.0.1:{port}", user: tester}}
        targets: {{out: {{kind: local, path: out}}}}
        datasets:
          - {{name: down, source: {{store: hdfs, path: /data/down}}, format: {{kind: csv}},
             target: {{kind: parquet, store: out, path: down}}}}
          - {{name: gone, source: {{store: legacy, path: gone}}, format: {{kind: csv}},
             target: {{kind: parquet, store: out, path: gone}}}}
          - {{name: ok, source: {{store: legacy, path: ok}}, format: {{kind: csv}}, wave: 2,
             target: {{kind: parquet, store: out, path: ok}}}}
        """))
    env = dict(os.environ) | prefect_server.env() | {"MIGRATE_TASK_RETRY_DELAYS": "0,0,0"}
    proc = subprocess.run([sys.executable, "-m", "migrate.cli", "run", str(plan)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f"127.0.0.1:{port}" in out and "does not exist" in out  # both errors, named, in the summary
    with get_client(sync_client=True) as client:
        runs = {t.name: t for t in client.read_task_runs(task_run_filter=TaskRunFilter(
            name=TaskRunFilterName(any_=["retries/w1/down", "retries/w1/gone", "retries/w2/ok"])))}
    assert runs["retries/w1/down"].run_count == 4, "a transient error: 1 try + 3 retries"
    assert runs["retries/w1/down"].state is not None and runs["retries/w1/down"].state.is_failed()
    assert runs["retries/w1/gone"].run_count == 1, "a terminal error: no retry"
    assert runs["retries/w2/ok"].state is not None and runs["retries/w2/ok"].state.is_completed()
