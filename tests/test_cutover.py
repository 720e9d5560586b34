"""The cutover checklist CLI on a small local plan: every gate from its real evidence (inventory, ledger,
verdicts, translation report, shadow comparison, source listing, sign-offs), refusals, execute, rollback."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from migrate import cutover
from migrate.cli import app
from migrate.plan import load_plan

HQL = "INSERT OVERWRITE TABLE reports.daily SELECT dt, count(*) FROM web.users GROUP BY dt;\n"


def make_project(base: Path) -> Path:
    src = base / "legacy" / "users"
    src.mkdir(parents=True)
    (src / "part-0.csv").write_text("id,name,score\n1,ann,1.5\n2,bob,2.0\n")
    (src / "part-1.csv").write_text("id,name,score\n3,cy,2.25\n4,dee,0.5\n")
    jobs = base / "jobs" / "hive"
    jobs.mkdir(parents=True)
    (jobs / "daily.hql").write_text(HQL)
    plan = base / "plan.yaml"
    plan.write_text(textwrap.dedent("""\
        version: 1
        name: cut
        settings: {state_dir: state}
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
        jobs:
          - name: daily
            kind: hive
            source: jobs/hive/daily.hql
            target: {kind: spark_sql, path: translated/daily.spark.sql}
        cutover:
          inventory: inventory.json
          approvers:
            - {name: Alice, email: alice@example.com}
            - {name: Bob, email: bob@example.com}
        """))
    return plan


def cli(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def gates(plan: Path) -> dict[str, str]:
    res = cli("cutover", "status", plan, "--format", "json", "--no-prefect")
    data = json.loads(res.output)
    assert (res.exit_code == 0) == data["ok"], res.output
    return {f"{i['name']}.{g['gate']}": g["status"] for i in data["items"] for g in i["gates"]}


def validate_now(plan_path: Path, ok: bool = True) -> None:
    """`migrate validate`: the verdict the gates read."""
    res = cli("validate", plan_path, "--no-prefect")
    assert res.exit_code == (0 if ok else 1), res.output


def corrupt_target(base: Path) -> None:
    """One row of the migrated users dropped (a Parquet file rewritten without it)."""
    import pyarrow.parquet as pq

    part = sorted((base / "out" / "users").glob("*.parquet"))[0]
    table = pq.read_table(part)
    pq.write_table(table.slice(0, table.num_rows - 1), part)


def translate_now(plan_path: Path) -> None:
    """`migrate translate hive --plan` records its report under the plan's state dir."""
    base = plan_path.parent
    res = cli("translate", "hive", base / "jobs" / "hive", "-o", base / "translated", "--plan", plan_path,
              "--no-prefect")
    assert res.exit_code == 0, res.output
    assert (base / "state" / "translations" / "hive.json").is_file()


def ready_all_but_signoffs(plan: Path) -> None:
    base = plan.parent
    assert cli("inventory", "--root", f"legacy={base / 'legacy'}", "--jobs", base / "jobs",
               "-o", base / "inventory.json", "-q").exit_code == 0
    assert cli("run", plan, "--no-prefect").exit_code == 0
    validate_now(plan)
    translate_now(plan)
    (base / "legacy_out").mkdir()
    (base / "legacy_out" / "0000").write_text("2024-01-01\t3\n2024-01-02\t0.30000000000000004\n")
    (base / "new_out").mkdir()
    (base / "new_out" / "part-00000").write_text("2024-01-02\t0.3\n2024-01-01\t3\n")
    (base / "new_out" / "_SUCCESS").write_text("")
    res = cli("cutover", "shadow", plan, "daily", "--legacy", base / "legacy_out", "--new", base / "new_out")
    assert res.exit_code == 0 and "equal: 1 output folder(s) equal" in res.output, res.output


def test_gates_follow_the_evidence(tmp_path: Path) -> None:
    plan = make_project(tmp_path)
    first = gates(plan)
    assert set(first.values()) == {"fail"}
    assert set(first) == {f"users.{g}" for g in cutover.DATASET_GATES} | {f"daily.{g}" for g in cutover.JOB_GATES}
    res = cli("cutover", "status", plan, "--no-prefect")
    assert res.exit_code == 1
    assert "never copied" in res.output and "not validated" in res.output and "NOT READY" in res.output
    assert "inventory" in res.output and "not found" in res.output

    ready_all_but_signoffs(plan)
    now = gates(plan)
    assert {k: v for k, v in now.items() if v != "pass"} == {"users.signoff": "fail", "daily.signoff": "fail"}

    # Sign-offs: approvers only; each approver counts once; both needed.
    res = cli("cutover", "sign", plan, "users", "--by", "mallory")
    assert res.exit_code == 1 and "not an approver" in res.output and "Alice <alice@example.com>" in res.output
    assert cli("cutover", "sign", plan, "users", "--by", "Alice", "--note", "counts look right").exit_code == 0
    assert cli("cutover", "sign", plan, "users", "--by", "alice@example.com").exit_code == 0
    res = cli("cutover", "status", plan, "--no-prefect")
    assert "1/2 approvers signed; waiting for Bob" in res.output
    for who in ("Bob", "Alice"):
        assert cli("cutover", "sign", plan, "job:daily", "--by", who).exit_code == 0
    assert cli("cutover", "sign", plan, "users", "--by", "Bob").exit_code == 0
    assert set(gates(plan).values()) == {"pass"}
    assert cli("cutover", "status", plan, "--no-prefect").exit_code == 0

    # A source change breaks final_delta; the re-copy then makes the verdict stale.
    (tmp_path / "legacy" / "users" / "part-2.csv").write_text("id,name,score\n5,eve,1.0\n")
    assert gates(plan)["users.final_delta"] == "fail"
    res = cli("cutover", "status", plan, "--no-prefect")
    assert "1 new at the source" in res.output and "part-2.csv" in res.output
    assert cli("run", plan, "--no-prefect").exit_code == 0
    after = gates(plan)
    assert after["users.final_delta"] == "pass" and after["users.copied"] == "pass"
    assert after["users.validated"] == "fail" and after["users.expectations"] == "fail"
    assert "stale" in cli("cutover", "status", plan, "--no-prefect").output
    corrupt_target(tmp_path)
    validate_now(plan, ok=False)
    res = cli("cutover", "status", plan, "--format", "markdown", "--no-prefect")
    assert res.exit_code == 1 and "fail at" in res.output and "validation.html" in res.output, res.output

    # A waiver needs a reason and is shown as such; sign-offs cannot be waived; computed gates cannot be signed.
    assert cli("cutover", "waive", plan, "users", "--gate", "validated", "--by", "Bob", "--reason", " ").exit_code == 1
    assert "cannot be waived" in cli("cutover", "waive", plan, "users", "--gate", "signoff", "--by", "Bob",
                                     "--reason", "x").output
    assert "cannot be signed" in cli("cutover", "sign", plan, "users", "--gate", "copied", "--by", "Bob").output
    assert "does not apply" in cli("cutover", "waive", plan, "daily", "--gate", "copied", "--by", "Bob",
                                   "--reason", "x").output
    assert cli("cutover", "waive", plan, "users", "--gate", "validated", "--by", "Bob",
               "--reason", "known float drift, ticket DATA-42").exit_code == 0
    w = gates(plan)
    assert w["users.validated"] == "waived" and w["users.expectations"] == "pass"  # none configured
    # Revoking withdraws only the author's own entries.
    assert cli("cutover", "revoke", plan, "users", "--gate", "validated", "--by", "Alice").exit_code == 0
    assert gates(plan)["users.validated"] == "waived"
    assert cli("cutover", "revoke", plan, "users", "--gate", "validated", "--by", "Bob").exit_code == 0
    assert gates(plan)["users.validated"] == "fail"

    html = tmp_path / "checklist.html"
    assert cli("cutover", "status", plan, "--format", "html", "-o", html, "--no-prefect").exit_code == 1
    page = html.read_text()
    assert "<script" not in page and "users" in page and "sign-offs" in page and "NOT READY" in page


def test_execute_refuses_then_switches_and_rollback_restores(tmp_path: Path) -> None:
    plan = make_project(tmp_path)
    ready_all_but_signoffs(plan)
    res = cli("cutover", "execute", plan, "--wave", "1", "--by", "Alice", "--no-prefect")
    assert res.exit_code == 1 and "refused" in res.output and "sign-offs" in res.output, res.output
    assert not (tmp_path / "state" / "cutover" / "switches").exists()
    for item in ("users", "daily"):
        for who in ("Alice", "Bob"):
            assert cli("cutover", "sign", plan, item, "--by", who).exit_code == 0
    assert "has no wave 7" in cli("cutover", "execute", plan, "--wave", "7", "--by", "A", "--no-prefect").output

    res = cli("cutover", "execute", plan, "--wave", "1", "--by", "Alice", "--no-prefect")
    assert res.exit_code == 0, res.output
    assert "wave-1-switch-0001" in res.output and "final sync copied 0 file(s)" in res.output
    sdir = tmp_path / "state" / "cutover"
    first = json.loads((sdir / "switches" / "wave-1" / "current.json").read_text())
    assert first["id"] == "wave-1-switch-0001" and first["previous"] is None and first["by"] == "Alice"
    (ds,) = first["datasets"]
    assert ds["legacy_uri"] == f"file://{tmp_path}/legacy/users" and ds["target_uri"] == f"file://{tmp_path}/out/users"
    assert first["jobs"][0]["target_path"] == "translated/daily.spark.sql"
    published = json.loads((sdir / "switch.json").read_text())
    assert published["location_map"] == [{"legacy": f"file://{tmp_path}/legacy/users",
                                          "target": f"file://{tmp_path}/out/users"}]

    # A file arriving at the last minute: refused until the delta is synced, or waived because execute's own
    # final sync copies it and re-validates the dataset before switching (the first record is its previous).
    (tmp_path / "legacy" / "users" / "part-2.csv").write_text("id,name,score\n5,eve,1.0\n")
    res = cli("cutover", "execute", plan, "--wave", "1", "--by", "Alice", "--no-prefect")
    assert res.exit_code == 1 and "final delta synced" in res.output
    assert cli("cutover", "waive", plan, "users", "--gate", "final_delta", "--by", "Bob",
               "--reason", "part-2 lands at cutover; execute syncs it").exit_code == 0
    res = cli("cutover", "execute", plan, "--wave", "1", "--by", "Bob", "--no-prefect")
    assert res.exit_code == 0, res.output
    assert "final sync copied 1 file(s), re-validated users" in res.output
    second = json.loads((sdir / "switches" / "wave-1" / "current.json").read_text())
    assert second["id"] == "wave-1-switch-0002" and second["previous"] == "wave-1-switch-0001"
    assert json.loads((tmp_path / "state" / "validation" / "users.json").read_text())["verdict"] == "pass"

    res = cli("cutover", "rollback", plan, "--wave", "1", "--by", "Bob", "--reason", "consumer broke")
    assert res.exit_code == 0 and "wave-1-switch-0001" in res.output
    assert json.loads((sdir / "switches" / "wave-1" / "current.json").read_text()) == first
    assert cli("cutover", "rollback", plan, "--wave", "1", "--by", "Bob").exit_code == 0
    assert not (sdir / "switches" / "wave-1" / "current.json").exists()
    assert json.loads((sdir / "switch.json").read_text())["location_map"] == []
    res = cli("cutover", "rollback", plan, "--wave", "1", "--by", "Bob")
    assert res.exit_code == 1 and "nothing to roll back" in res.output

    log = json.loads(cli("cutover", "log", plan, "--format", "json").output)
    actions = [e["action"] for e in log]
    assert actions[-5:] == ["execute", "waive", "execute", "rollback", "rollback"] and actions.count("sign") == 4
    assert all(e["by"] and e["at"].endswith("Z") and e["os_user"] for e in log)


def test_log_is_append_only(tmp_path: Path) -> None:
    plan = make_project(tmp_path)
    assert cli("cutover", "sign", plan, "users", "--by", "Alice").exit_code == 0
    assert cli("cutover", "sign", plan, "users", "--by", "Bob").exit_code == 0
    path = tmp_path / "state" / "cutover" / "log.jsonl"
    lines = path.read_text().splitlines()
    path.write_text(lines[0].replace('"Alice"', '"Alicia"') + "\n" + lines[1] + "\n")
    res = cli("cutover", "status", plan, "--no-prefect")
    assert res.exit_code == 1 and f"{path}:1: the cutover log was altered" in res.output
    path.write_text(lines[1] + "\n")  # a deleted first line breaks the chain too
    assert f"{path}:1:" in cli("cutover", "sign", plan, "users", "--by", "Bob").output


@pytest.mark.parametrize("item", ["nope", "dataset:daily"])
def test_unknown_items_are_named(tmp_path: Path, item: str) -> None:
    plan = make_project(tmp_path)
    res = cli("cutover", "sign", plan, item, "--by", "Alice")
    assert res.exit_code == 1 and ("nope" in res.output or "unknown dataset 'daily'" in res.output), res.output


def test_shadow_comparisons_decide_the_shadow_gate(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    plan = make_project(tmp_path)
    for side, rows in (("old1", [("a", 1.0), ("b", 2.0)]), ("new1", [("b", 2.0000000001), ("a", 1.0)])):
        (tmp_path / side).mkdir()
        pq.write_table(pa.table({"k": [r[0] for r in rows], "v": [r[1] for r in rows]}),
                       tmp_path / side / "part-00000.parquet")
    res = cli("cutover", "shadow", plan, "daily", "--legacy", tmp_path / "old1", "--new", tmp_path / "new1")
    assert res.exit_code == 0 and "2 rows equal" in res.output, res.output
    assert gates(plan)["daily.shadow_run"] == "pass"
    (tmp_path / "new2").mkdir()
    (tmp_path / "new2" / "part-00000").write_text("a\t1.0\nb\t2.5\n")
    (tmp_path / "old2").mkdir()
    (tmp_path / "old2" / "0000").write_text("a\t1.0\nb\t2.0\n")
    res = cli("cutover", "shadow", plan, "daily", "--legacy", tmp_path / "old2", "--new", tmp_path / "new2")
    assert res.exit_code == 1 and "DIFFERENT" in res.output and "b\\t2.5" in res.output, res.output
    assert gates(plan)["daily.shadow_run"] == "fail"
    assert "outputs differ" in cli("cutover", "status", plan, "--no-prefect").output
    # `translate dpark --verify --plan` hands its run-both verdicts over as shadow-run records.
    loaded = load_plan(plan)
    (path,) = cutover.record_verifications(loaded, [{"job": str(tmp_path / "jobs" / "hive" / "daily.hql"),
                                                     "verdict": "equal", "detail": "", "outputs": 2}], "DPark vs Spark")
    assert json.loads(path.read_text())["equal"] is True and gates(plan)["daily.shadow_run"] == "pass"
    # A person may attest a comparison done elsewhere, with a note saying what was compared.
    assert "--note" in cli("cutover", "sign", plan, "daily", "--gate", "shadow_run", "--by", "Alice").output
