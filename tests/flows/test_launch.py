"""Where a command runs: no Prefect tax without a server, a clear error for a configured server that is down,
the project's background server reused by every command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.fixtures.prefect import PrefectTestServer
from tests.test_run import write_estate

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return env | extra


def _migrate(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_no_server_runs_the_library_without_importing_prefect(tmp_path: Path) -> None:
    plan = write_estate(tmp_path)
    code = textwrap.dedent(f"""
        import sys
        from migrate.flows import launch
        from migrate.plan import load_plan
        from migrate import runner
        where = launch.decide(None)
        assert not where.prefect and where.why == "no Prefect server", where
        report = launch.run(None, lambda: runner.run_plan(load_plan({str(plan)!r})).to_dict(),
                            lambda: sys.exit("the flow must not run"))
        assert report["ok"], report
        assert not [m for m in sys.modules if m == "prefect" or m.startswith("prefect.")], "prefect imported"
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(HOME=str(tmp_path)),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The CLI says why nothing shows in the UI and how to change that.
    proc = _migrate(["run", str(plan)], tmp_path, _env(HOME=str(tmp_path)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "migrate server start" in proc.stdout and "equal" in proc.stdout


def test_configured_server_down_fails_fast_naming_the_url(tmp_path: Path) -> None:
    from migrate.devservers.seaweedfs import free_ports

    plan = write_estate(tmp_path)
    url = f"http://127.0.0.1:{free_ports(1, with_grpc=False)[0]}/api"
    t0 = time.monotonic()
    proc = _migrate(["run", str(plan)], tmp_path, _env(PREFECT_API_URL=url, PREFECT_HOME=str(tmp_path / "ph")))
    took = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f"Prefect server {url} (from PREFECT_API_URL) is not answering" in out and "--no-prefect" in out
    assert "Traceback" not in out
    assert took < 10, f"took {took:.1f}s"
    assert not (tmp_path / "out").exists()  # nothing ran
    # --no-prefect runs anyway; a URL set in the active Prefect profile counts as configured too.
    assert _migrate(["run", str(plan), "--no-prefect"], tmp_path, _env(PREFECT_API_URL=url)).returncode == 0
    home = tmp_path / "ph"
    home.mkdir()
    (home / "profiles.toml").write_text(f'active = "team"\n[profiles.team]\nPREFECT_API_URL = "{url}"\n')
    out2 = _migrate(["run", str(plan)], tmp_path, _env(PREFECT_HOME=str(home)))
    assert out2.returncode == 1 and f"{url} (from PREFECT_API_URL of Prefect profile 'team'" in out2.stdout


@pytest.mark.prefect
def test_project_server_status_and_reuse(tmp_path: Path, prefect_server_session: PrefectTestServer) -> None:
    """`migrate server status` finds the session's server; `migrate run` with only its PREFECT_HOME set
    (no PREFECT_API_URL) runs as a flow on it."""
    home = str(prefect_server_session.home)
    status = _migrate(["server", "status", "--home", home], tmp_path, _env())
    assert status.returncode == 0 and prefect_server_session.ui_url in status.stdout, status.stdout + status.stderr
    plan = write_estate(tmp_path)
    proc = _migrate(["run", str(plan)], tmp_path, _env(PREFECT_HOME=home))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert f"Prefect flow on {prefect_server_session.api_url} (migrate server (pid {prefect_server_session.pid}))" \
        in out
    assert "run unit (all waves)" in out and "unit/w1/users" in out
    missing = _migrate(["server", "status", "--home", str(tmp_path / "none")], tmp_path, _env())
    assert missing.returncode == 1 and "no Prefect server running" in missing.stdout
