"""Bad input on every command, run for real: local folders, the WebHDFS test server, SeaweedFS, Prefect.

For each case: a non-zero exit code, a message that names the culprit (file:line, key path, dataset and
source file, endpoint host:port), no Python traceback, no secret value; for ``migrate run`` also no
half-written target file, and a re-run after fixing the input that completes.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from migrate.cli import app

ROOT = Path(__file__).resolve().parent.parent
PART = re.compile(r"^part-[0-9a-f]{16}(-[0-9a-f]{8})?(-\d{5})?\.parquet$")  # the engine's committed part files

PLAN = """\
version: 1
name: unit
settings: {state_dir: state}
sources:
  legacy: %(source)s
targets:
  out: %(target)s
datasets:
  - name: users
    source: {store: legacy, path: %(path)s}
    format: {kind: csv, header: true%(format)s}
    schema:
      - {name: id, type: bigint}
      - {name: name, type: string}
    target: {kind: parquet, store: out, path: users}
"""
GOOD_CSV = "id,name\n1,ann\n2,bob\n3,cy\n"


def write_plan(base: Path, *, source: str = "{kind: local, path: legacy}",
               target: str = "{kind: local, path: out}", path: str = "users", fmt: str = "",
               name: str = "plan.yaml") -> Path:
    plan = base / name
    plan.write_text(PLAN % {"source": source, "target": target, "path": path, "format": fmt})
    return plan


def line_of(file: Path, needle: str) -> int:
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if needle in line)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def check_failed(result: Result | subprocess.CompletedProcess[str], *culprits: str, code: int | None = None,
                 secrets: tuple[str, ...] = ()) -> str:
    """The common contract of a failure; returns the output for case-specific checks."""
    if isinstance(result, Result):
        out, rc = result.output, result.exit_code
        # Only SystemExit may escape a command: anything else is a traceback in a real terminal.
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    else:
        out, rc = result.stdout + result.stderr, result.returncode
    assert rc != 0, out
    if code is not None:
        assert rc == code, out
    flat = " ".join(out.split())  # messages may wrap in narrow terminals
    for c in culprits:
        assert c in out or c in flat, f"{c!r} not named in:\n{out}"
    assert "Traceback" not in out, out
    for s in secrets:
        assert s not in out, "a secret value reached the output"
    return out


def target_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_only_committed_parts(folder: Path) -> None:
    names = target_files(folder)
    assert all(PART.match(n) for n in names), f"half-written or stray files visible: {names}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    (tmp_path / "legacy" / "users").mkdir(parents=True)
    (tmp_path / "legacy" / "users" / "part-0.csv").write_text(GOOD_CSV)
    return tmp_path


# -- the CLI's own error handling -------------------------------------------------------------------------


def test_expected_error_is_one_line_and_debug_shows_the_traceback(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "afile").write_text("x")
    monkeypatch.delenv("MIGRATE_DEBUG", raising=False)
    out = check_failed(invoke("plan", "schema", "-o", tmp_path / "afile" / "schema.json"), "afile", code=1)
    assert out.startswith("error: ") and len(out.strip().splitlines()) == 1, out

    monkeypatch.setenv("MIGRATE_DEBUG", "0")  # restored after the test, whatever --debug sets
    res = invoke("--debug", "plan", "schema", "-o", tmp_path / "afile" / "schema.json")
    assert res.exit_code == 1 and "Traceback" in res.output and "error: " in res.output
    monkeypatch.setenv("MIGRATE_DEBUG", "1")
    assert "Traceback" in invoke("plan", "schema", "-o", tmp_path / "afile" / "x.json").output


def test_unexpected_error_says_bug_and_how_to_see_more(monkeypatch: pytest.MonkeyPatch) -> None:
    import migrate.commands.plan as plan_cmd

    def boom() -> str:
        raise RuntimeError("boom")

    monkeypatch.delenv("MIGRATE_DEBUG", raising=False)
    monkeypatch.setattr(plan_cmd, "schema_text", boom)
    check_failed(invoke("plan", "schema"), "unexpected RuntimeError: boom", "--debug", code=1)


def test_help_for_newcomers() -> None:
    res = invoke("--help")
    assert res.exit_code == 0
    assert "migrate demo" in res.output and "--debug" in res.output
    assert "init" in invoke("plan", "--help").output.lower()


# -- migrate plan check | schema | init --------------------------------------------------------------------


def test_plan_check_names_file_line_and_key(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, target="{kind: local, path: out}", fmt=", delimiter: ';;'")
    text = plan.read_text().replace("store: out, path: users", "store: nowhere, path: users")
    plan.write_text(text)
    out = check_failed(invoke("plan", "check", plan), code=1)
    assert f"{plan}:{line_of(plan, 'delimiter')}:" in out and "datasets[0].format.delimiter" in out
    assert f"{plan}:{line_of(plan, 'nowhere')}:" in out and "datasets[0].target.store" in out
    assert "'nowhere'" in out


def test_plan_check_yaml_syntax_empty_binary_missing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: x\nsources: {a: [\n")
    check_failed(invoke("plan", "check", broken), f"{broken}:", "YAML syntax error", code=1)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    check_failed(invoke("plan", "check", empty), f"{empty}:1:1", "empty plan", code=1)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    check_failed(invoke("plan", "check", binary), str(binary), "cannot read", code=1)
    check_failed(invoke("plan", "check", tmp_path / "missing.yaml"), "missing.yaml", "No such file", code=1)
    check_failed(invoke("plan", "check", tmp_path), str(tmp_path), "cannot read", code=1)


def test_plan_check_never_echoes_a_literal_secret(tmp_path: Path) -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    plan = write_plan(tmp_path, target="{kind: s3, bucket: lake, credentials: "
                                       f"{{access_key_id_env: K, secret_access_key: {secret}}}}}")
    check_failed(invoke("plan", "check", plan), "targets.out.credentials.secret_access_key", "literal secret",
                 f"{plan}:{line_of(plan, 'secret_access_key')}:", code=1, secrets=(secret,))
    check_failed(invoke("run", plan, "--no-prefect"), "literal secret", code=2, secrets=(secret,))


def test_plan_schema_output_errors_name_the_path(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    check_failed(invoke("plan", "schema", "-o", tmp_path / "afile" / "s.json"), str(tmp_path / "afile"), code=1)
    check_failed(invoke("plan", "schema", "-o", tmp_path), str(tmp_path), "folder", code=1)
    assert invoke("plan", "schema", "-o", tmp_path / "ok" / "s.json").exit_code == 0
    assert [p.name for p in (tmp_path / "ok").iterdir()] == ["s.json"]  # no temp file left behind


def test_plan_init_bad_inventories(estate: Path) -> None:
    out = estate / "plan.yaml"
    check_failed(invoke("plan", "init", "--from-inventory", estate / "nope.json", "-o", out),
                 "nope.json", "No such file", "migrate inventory", code=1)
    bad = estate / "bad.json"
    bad.write_text('{\n  "version": 1,\n  oops\n}\n')
    check_failed(invoke("plan", "init", "--from-inventory", bad, "-o", out), f"{bad}:3:3", "not valid JSON", code=1)
    other = estate / "other.json"
    other.write_text('{"version": 1}')
    res = invoke("plan", "init", "--from-inventory", other, "-o", out)
    assert "errors.pydantic.dev" not in check_failed(res, str(other), "not an inventory", code=1)
    assert not out.exists()

    inv = estate / "inv.json"
    assert invoke("inventory", "--root", f"legacy={estate / 'legacy'}", "-o", inv, "-q").exit_code == 0
    out.write_text("version: 1\nname: [unclosed\n")
    check_failed(invoke("plan", "init", "--from-inventory", inv, "-o", out), str(out), "--force", code=1)
    check_failed(invoke("plan", "init", "--from-inventory", inv, "-o", out, "--merge"), f"{out}:", "YAML", code=1)
    assert out.read_text() == "version: 1\nname: [unclosed\n"  # untouched
    res = invoke("plan", "init", "--from-inventory", inv, "-o", out, "--force")
    assert res.exit_code == 0, res.output
    assert "migrate plan check" in res.output


# -- migrate run --no-prefect: local folders ---------------------------------------------------------------


def test_run_malformed_plan_lists_every_problem(estate: Path) -> None:
    plan = write_plan(estate, fmt=", delimiter: ';;'")
    plan.write_text(plan.read_text().replace("store: out", "store: nowhere"))
    out = check_failed(invoke("run", plan, "--no-prefect"), "datasets[0].format.delimiter",
                       "datasets[0].target.store", f"migrate plan check {plan}", code=2)
    assert f"{plan}:{line_of(plan, 'delimiter')}:" in out
    assert not (estate / "out").exists() and not (estate / "state").exists()


def test_run_unknown_dataset_or_wave(estate: Path) -> None:
    plan = write_plan(estate)
    check_failed(invoke("run", plan, "--no-prefect", "-d", "userz"), "userz", "known: users", code=1)
    check_failed(invoke("run", plan, "--no-prefect", "-w", "7"), "wave(s) 7", "dataset waves: 1", code=1)
    assert not (estate / "out").exists()


def test_run_missing_source_folder_then_fixed(estate: Path) -> None:
    plan = write_plan(estate, path="userz")
    src = estate / "legacy" / "userz"
    check_failed(invoke("run", plan, "--no-prefect"), "dataset users", f"file://{src}", "does not exist",
                 "datasets[0].source", code=1)
    assert target_files(estate / "out") == []
    check_failed(invoke("run", plan, "--no-prefect", "--no-count"), "does not exist", code=1)  # not "0 files, ok"
    shutil.copytree(estate / "legacy" / "users", src)
    res = invoke("run", plan, "--no-prefect")
    assert res.exit_code == 0, res.output
    assert "equal" in res.output


def test_run_corrupt_file_names_it_keeps_the_rest_and_reruns(estate: Path) -> None:
    plan = write_plan(estate)
    bad = estate / "legacy" / "users" / "part-1.csv.gz"
    rows = "".join(f"{i},{uuid.UUID(int=i * 7919 + 13).hex}\n" for i in range(4, 2004))
    whole = gzip.compress(("id,name\n" + rows).encode())
    bad.write_bytes(whole[: len(whole) // 2])  # truncated in transit
    report = estate / "report.json"
    out = check_failed(invoke("run", plan, "--no-prefect", "--report", report), "dataset users",
                       f"file://{bad}", "gzip", f"migrate run {plan}", code=1)
    assert "(see below)" in out  # the table does not truncate the culprit; it is printed in full below
    assert_only_committed_parts(estate / "out")
    assert len(target_files(estate / "out")) == 1  # the good file is in; nothing of the bad one
    assert json.loads(report.read_text())["ok"] is False

    bad.write_bytes(whole)
    res = invoke("run", plan, "--no-prefect", "--report", report)
    assert res.exit_code == 0, res.output
    assert_only_committed_parts(estate / "out")
    done = json.loads(report.read_text())["datasets"][0]
    assert done["counts_match"] is True and done["target_rows"] == 3 + 2000
    assert done["report"]["files_skipped"] == 1  # the good file was not copied again


def test_run_ragged_row_is_quarantined_with_file_and_line(estate: Path) -> None:
    """A ragged row does not fail the run (by design it is quarantined and counted), but the output
    names the file and line and where all quarantined rows are."""
    src = estate / "legacy" / "users" / "part-0.csv"
    src.write_text("id,name\n1,ann\n2,bob,EXTRA\n3,cy\n")
    plan = write_plan(estate)
    plan.write_text(plan.read_text().replace("{state_dir: state}", "{state_dir: state, max_quarantine: 1}"))
    res = invoke("run", plan, "--no-prefect")
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "ok, 1 quarantined" in flat
    assert f"file://{src} line 3" in flat and "expected 2 fields" in flat
    assert "quarantine" in flat and "Traceback" not in flat
    assert "EXTRA" not in flat  # row values may be sensitive: only the location is shown


def test_run_state_dir_unusable_then_fixed(estate: Path) -> None:
    plan = write_plan(estate)
    (estate / "state").write_text("not a folder")
    check_failed(invoke("run", plan, "--no-prefect"), "settings.state_dir", str(estate / "state"),
                 "is a file", code=1)
    assert target_files(estate / "out") == []
    (estate / "state").unlink()
    (estate / "state").mkdir()
    (estate / "state" / "ledger.db").write_bytes(b"this is not sqlite" * 100)
    check_failed(invoke("run", plan, "--no-prefect"), str(estate / "state" / "ledger.db"), "ledger", code=1)
    assert target_files(estate / "out") == []
    (estate / "state" / "ledger.db").unlink()
    res = invoke("run", plan, "--no-prefect")
    assert res.exit_code == 0, res.output


def test_run_target_folder_is_a_file(estate: Path) -> None:
    plan = write_plan(estate)
    (estate / "out").mkdir()
    (estate / "out" / "users").write_text("someone's notes")
    check_failed(invoke("run", plan, "--no-prefect"), f"file://{estate / 'out' / 'users'}", "is a file",
                 "datasets[0].target", code=1)
    assert (estate / "out" / "users").read_text() == "someone's notes"


def test_run_report_path_unwritable(estate: Path) -> None:
    (estate / "afile").write_text("x")
    check_failed(invoke("run", write_plan(estate), "--no-prefect", "--report", estate / "afile" / "r.json"),
                 str(estate / "afile"), code=1)


# -- migrate run against the WebHDFS test server and SeaweedFS ---------------------------------------------


@pytest.mark.webhdfs
def test_run_webhdfs_dead_endpoint_and_wrong_user(tmp_path: Path, webhdfs_auth_server: Any) -> None:
    folder = f"cli-{uuid.uuid4().hex[:8]}"
    (webhdfs_auth_server.local_dir / folder).mkdir()
    (webhdfs_auth_server.local_dir / folder / "part-0.csv").write_text(GOOD_CSV)
    port = free_port()
    plan = write_plan(tmp_path, source=f'{{kind: webhdfs, url: "http://127.0.0.1:{port}", user: tester}}',
                      path=folder)
    check_failed(invoke("run", plan, "--no-prefect"), "dataset users", f"127.0.0.1:{port}", code=1)

    plan = write_plan(tmp_path, source=f'{{kind: webhdfs, url: "{webhdfs_auth_server.url}", user: intruder}}',
                      path=folder)
    host_port = webhdfs_auth_server.url.removeprefix("http://")
    check_failed(invoke("run", plan, "--no-prefect"), "dataset users", host_port, "intruder", code=1)
    assert target_files(tmp_path / "out") == []

    plan.write_text(plan.read_text().replace("user: intruder", "user: tester"))
    res = invoke("run", plan, "--no-prefect")
    assert res.exit_code == 0, res.output
    assert_only_committed_parts(tmp_path / "out")


def _s3_target(endpoint: str, bucket: str) -> str:
    return (f'{{kind: s3, endpoint: "{endpoint}", bucket: {bucket}, region: us-east-1, '
            "credentials: {access_key_id_env: CLI_TEST_KEY, secret_access_key_env: CLI_TEST_SECRET}}")


def _migrate(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``migrate ARGS`` in a process of its own, as users run it."""
    base = {k: v for k, v in os.environ.items() if k != "MIGRATE_DEBUG"}
    return subprocess.run([sys.executable, "-m", "migrate.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, "COLUMNS": "200", **env}, timeout=300)


def fresh_process_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each CLI run is a new process in real life: forget cached storage clients (and their credentials)."""
    import migrate.storage

    monkeypatch.setattr(migrate.storage, "_cache", {})


@pytest.mark.s3
def test_run_s3_wrong_or_missing_credentials_then_fixed(estate: Path, seaweedfs: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = seaweedfs.root_uri("cli").removeprefix("s3://")
    plan = write_plan(estate, target=_s3_target(seaweedfs.endpoint, bucket))
    key, secret = seaweedfs.server.access_key, seaweedfs.server.secret_key
    wrong = "not-the-secret-" + uuid.uuid4().hex
    host_port = seaweedfs.endpoint.split("://", 1)[1]

    monkeypatch.setenv("CLI_TEST_KEY", key)
    monkeypatch.setenv("CLI_TEST_SECRET", wrong)
    fresh_process_storage(monkeypatch)
    check_failed(invoke("run", plan, "--no-prefect"), "dataset users", host_port, "CLI_TEST_SECRET", code=1,
                 secrets=(wrong, secret))
    monkeypatch.delenv("CLI_TEST_SECRET")
    fresh_process_storage(monkeypatch)
    check_failed(invoke("run", plan, "--no-prefect"), "CLI_TEST_SECRET", "not set", host_port, code=1,
                 secrets=(secret,))
    client = seaweedfs.client()
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0  # nothing half-written

    monkeypatch.setenv("CLI_TEST_SECRET", secret)
    fresh_process_storage(monkeypatch)
    res = invoke("run", plan, "--no-prefect")
    assert res.exit_code == 0, res.output
    assert secret not in res.output
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys and all(PART.match(k.rsplit("/", 1)[-1]) for k in keys), keys


@pytest.mark.s3
def test_run_s3_dead_endpoint_and_missing_bucket(estate: Path, seaweedfs: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLI_TEST_KEY", seaweedfs.server.access_key)
    monkeypatch.setenv("CLI_TEST_SECRET", seaweedfs.server.secret_key)
    fresh_process_storage(monkeypatch)
    port = free_port()
    plan = write_plan(estate, target=_s3_target(f"http://127.0.0.1:{port}", "lake"))
    check_failed(invoke("run", plan, "--no-prefect"), "dataset users", f"127.0.0.1:{port}", code=1,
                 secrets=(seaweedfs.server.secret_key,))
    missing = f"nosuch-{uuid.uuid4().hex[:8]}"
    plan = write_plan(estate, target=_s3_target(seaweedfs.endpoint, missing))
    check_failed(invoke("run", plan, "--no-prefect"), "dataset users", missing, "does not exist", code=1,
                 secrets=(seaweedfs.server.secret_key,))


# -- migrate run as a Prefect flow -------------------------------------------------------------------------


@pytest.mark.prefect
def test_run_prefect_flow_failures_then_fixed(estate: Path, prefect_server: None) -> None:
    from prefect.settings import PREFECT_API_URL

    plan = write_plan(estate, path="userz")
    check_failed(invoke("run", plan, "-d", "nope"), "nope", "known: users", code=1)  # before any flow starts
    # The flow runs in a process of its own (as users run it) against the session's Prefect server.
    env = {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_HOME": os.environ["PREFECT_HOME"]}
    out = check_failed(_migrate(["run", str(plan)], estate, env), "dataset users",
                       f"file://{estate / 'legacy' / 'userz'}", "does not exist", code=1)
    assert "(see below)" in out
    assert target_files(estate / "out") == []
    shutil.copytree(estate / "legacy" / "users", estate / "legacy" / "userz")
    from migrate.flows.run import migrate_run_flow  # the flow `migrate run` starts, here in-process

    result = migrate_run_flow(str(plan))
    assert result["ok"], result
    assert_only_committed_parts(estate / "out")


# -- migrate inventory -------------------------------------------------------------------------------------


def test_inventory_missing_root_dead_endpoint_and_bad_paths(estate: Path) -> None:
    out = estate / "inv.json"
    check_failed(invoke("inventory", "--root", f"mfs={estate / 'nope'}", "-o", out), "root mfs",
                 str(estate / "nope"), "not found", code=1)
    port = free_port()
    check_failed(invoke("inventory", "--root", f"legacy={estate / 'legacy'}",
                        "--root", f"hdfs=webhdfs://127.0.0.1:{port}/", "-o", out),
                 "root hdfs", f"127.0.0.1:{port}", code=1)
    assert not out.exists()  # an inventory missing a whole root is not written

    check_failed(invoke("inventory", "--ddl", estate / "dump.sql", "-o", out), "dump.sql", code=2)
    check_failed(invoke("inventory", "--jobs", estate / "jobz", "-o", out), "jobz", code=2)
    check_failed(invoke("inventory", "--root", "legacy", "-o", out), "NAME=VALUE", code=2)
    (estate / "afile").write_text("x")
    check_failed(invoke("inventory", "--root", f"legacy={estate / 'legacy'}", "-o", estate / "afile" / "i.json"),
                 str(estate / "afile"), code=1)
    check_failed(invoke("inventory", "--root", f"legacy={estate / 'legacy'}", "-o", out,
                        "--mermaid", estate / "afile" / "m.mmd"), str(estate / "afile"), code=1)
    bad = write_plan(estate, fmt=", delimiter: ';;'")
    check_failed(invoke("inventory", "--plan", bad, "-o", out), f"{bad}:{line_of(bad, 'delimiter')}:",
                 "datasets[0].format.delimiter", code=1)


# -- migrate translate hive --------------------------------------------------------------------------------


def test_translate_hive_bad_plan_output_and_paths(tmp_path: Path) -> None:
    script = tmp_path / "q.hql"
    script.write_text("SELECT 1;\n")
    bad = write_plan(tmp_path, fmt=", delimiter: ';;'")
    check_failed(invoke("translate", "hive", script, "-o", tmp_path / "o", "--plan", bad),
                 f"{bad}:{line_of(bad, 'delimiter')}:", "datasets[0].format.delimiter", code=1)
    check_failed(invoke("translate", "hive", script, "-o", tmp_path / "o", "--plan", tmp_path / "nope.yaml"),
                 "nope.yaml", "cannot read the plan", code=1)
    check_failed(invoke("translate", "hive", script, "-o", script), str(script), "not a folder", code=1)
    check_failed(invoke("translate", "hive", tmp_path / "nope.hql"), "nope.hql", code=2)
    check_failed(invoke("translate", "hive", script, "--var", "novalue"), "novalue", code=2)


# -- migrate demo ------------------------------------------------------------------------------------------


def test_demo_port_taken_fails_fast_and_generates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.demo import DEMO_PORT

    shutil.copytree(ROOT / "plans", tmp_path / "plans")
    monkeypatch.chdir(tmp_path)
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a previous demo's TIME_WAIT is no owner
        try:
            holder.bind(("127.0.0.1", DEMO_PORT))
            holder.listen()
        except OSError:
            pass  # another process listens there: taken either way
        check_failed(invoke("demo", "--no-prefect"), f"127.0.0.1:{DEMO_PORT}", "taken", code=1)
    assert not (tmp_path / ".demo").exists()
