"""``migrate policy PLAN``: least privilege, derived from the plan and proven on a real S3 server.

The IAM policy names exactly the plan's buckets and prefixes (multipart abort and part listing included)
and the lifecycle rules abort stale uploads under the target prefixes only. On SeaweedFS, an identity given
exactly the plan's grants (``--seaweedfs``: ``Read/List/Write:bucket/prefix/*``) runs the whole migration,
cannot touch anything else in the same buckets, and an identity missing one grant fails with a clear
permission error naming the endpoint and the object.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.devservers.seaweedfs import SeaweedFS
from migrate.plan import load_plan_text
from migrate.policy import OBJECT_WRITE, iam_policy, lifecycle_rules, plan_grants, seaweedfs_actions


def _plan_text(endpoint: str = "http://127.0.0.1:1", key_env: str = "K", secret_env: str = "S") -> str:
    creds = f"credentials: {{access_key_id_env: {key_env}, secret_access_key_env: {secret_env}}}"
    return f"""
version: 1
name: least
settings: {{state_dir: state, concurrency: 2}}
sources:
  old: {{kind: s3, endpoint: "{endpoint}", bucket: legacy-data, prefix: exports, region: us-east-1, {creds}}}
  mfs: {{kind: local, path: mfs}}
targets:
  lake: {{kind: s3, endpoint: "{endpoint}", bucket: lake-data, prefix: warehouse, region: us-east-1, {creds},
          part_size_mb: 5}}
  out: {{kind: local, path: out}}
datasets:
  - {{name: users, source: {{store: old, path: users}}, format: {{kind: csv}},
     target: {{kind: parquet, store: lake, path: users}}}}
  - {{name: raw, source: {{store: old, path: users}}, format: {{kind: csv}},
     target: {{kind: copy, store: lake, path: raw/users}}}}
  - {{name: local, source: {{store: mfs, path: x}}, format: {{kind: csv}}, target: {{kind: copy, store: out, path: x}}}}
"""


def test_iam_policy_names_exactly_the_plans_prefixes(tmp_path: Path) -> None:
    plan = load_plan_text(_plan_text(), base_dir=tmp_path)
    grants = plan_grants(plan)
    policy = iam_policy(grants)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ReadSourceObjects"]["Resource"] == ["arn:aws:s3:::legacy-data/exports/users/*"]
    assert by_sid["ReadSourceObjects"]["Action"] == ["s3:GetObject"]
    write = by_sid["WriteTargetObjects"]
    assert write["Resource"] == ["arn:aws:s3:::lake-data/warehouse/raw/users/*",
                                 "arn:aws:s3:::lake-data/warehouse/users/*"]
    assert {"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"} <= set(write["Action"])
    lists = {s["Resource"]: s for s in policy["Statement"] if s["Action"] == ["s3:ListBucket"]}
    assert lists["arn:aws:s3:::lake-data"]["Condition"]["StringLike"]["s3:prefix"] == [
        "warehouse/raw/users", "warehouse/raw/users/*", "warehouse/users", "warehouse/users/*"]
    assert lists["arn:aws:s3:::legacy-data"]["Condition"]["StringLike"]["s3:prefix"] == [
        "exports/users", "exports/users/*"]
    uploads = [s for s in policy["Statement"] if s["Action"] == ["s3:ListBucketMultipartUploads"]]
    assert [s["Resource"] for s in uploads] == ["arn:aws:s3:::lake-data"]  # targets only
    # Nothing else: every resource is one of the two buckets, no wildcard action.
    text = json.dumps(policy)
    assert "s3:*" not in text and '"*"' not in text
    assert grants.not_covered == ["mfs (local)", "out (local)"]
    rules = lifecycle_rules(grants, days=3)
    assert list(rules) == ["lake-data"]
    assert [(r["Filter"]["Prefix"], r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            for r in rules["lake-data"]["Rules"]] == [("warehouse/raw/users/", 3), ("warehouse/users/", 3)]
    assert seaweedfs_actions(plan_grants(plan, ["users"])) == [
        "List:lake-data/warehouse/users/*", "List:legacy-data/exports/users/*",
        "Read:lake-data/warehouse/users/*", "Read:legacy-data/exports/users/*", "Write:lake-data/warehouse/users/*"]


def test_policy_command_writes_policy_and_lifecycle(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(_plan_text())
    result = CliRunner().invoke(app, ["policy", str(plan), "-o", str(tmp_path / "p.json"),
                                      "--lifecycle", str(tmp_path / "lc")])
    assert result.exit_code == 0, result.output
    policy = json.loads((tmp_path / "p.json").read_text())
    assert any(set(OBJECT_WRITE) <= set(s["Action"]) for s in policy["Statement"])
    body = json.loads((tmp_path / "lc" / "lifecycle-lake-data.json").read_text())
    assert body["Rules"][0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    assert "not covered" in result.output and "mfs (local)" in result.output
    bad = CliRunner().invoke(app, ["policy", str(plan), "-d", "nope"])
    assert bad.exit_code == 1 and "unknown dataset 'nope'" in bad.output


# -- on a real S3 server ---------------------------------------------------------------------------


@dataclass
class _Scoped(SeaweedFS):
    """SeaweedFS with extra identities whose actions are given (the admin sets the buckets up)."""

    extra: dict[str, list[str]] = field(default_factory=dict)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)

    def s3_config(self) -> dict[str, object]:
        cfg = super().s3_config()
        for name, actions in self.extra.items():
            key, secret = self.keys.setdefault(name, (f"mig-{name}", secrets.token_hex(16)))
            cfg["identities"].append(  # type: ignore[attr-defined]
                {"name": name, "credentials": [{"accessKey": key, "secretKey": secret}], "actions": actions})
        return cfg


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Scoped, dict[str, list[str]]]]:
    base = tmp_path_factory.mktemp("policy")
    actions = seaweedfs_actions(plan_grants(load_plan_text(_plan_text(), base_dir=base)))
    # One grant short: no Write on the copy target's prefix.
    narrower = [a for a in actions if a != "Write:lake-data/warehouse/raw/users/*"]
    assert narrower != actions
    server = _Scoped(base / "weed", table_bucket=None, extra={"planned": actions, "narrower": narrower})
    server.start()
    try:
        admin = server.client()
        for bucket in ("legacy-data", "lake-data"):
            admin.create_bucket(Bucket=bucket)
        for i in range(3):
            body = "id,name\n" + "".join(f"{j},n{j}\n" for j in range(i * 1000, i * 1000 + 500))
            admin.put_object(Bucket="legacy-data", Key=f"exports/users/part-{i}.csv", Body=body.encode())
        admin.put_object(Bucket="legacy-data", Key="exports/payroll/secret.csv", Body=b"id\n1\n")
        admin.put_object(Bucket="lake-data", Key="finance/ledger.parquet", Body=b"not yours")
        yield server, {"planned": actions, "narrower": narrower}
    finally:
        server.stop()


def _run(tmp_path: Path, server: _Scoped, identity: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    key, secret = server.keys[identity]
    monkeypatch.setenv("MIGRATE_TEST_POLICY_KEY", key)
    monkeypatch.setenv("MIGRATE_TEST_POLICY_SECRET", secret)
    (tmp_path / "mfs" / "x").mkdir(parents=True)
    plan = tmp_path / "plan.yaml"
    plan.write_text(_plan_text(server.endpoint, "MIGRATE_TEST_POLICY_KEY", "MIGRATE_TEST_POLICY_SECRET"))
    report = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["run", str(plan), "--no-prefect", "--report", str(report)])
    assert report.exists(), result.output
    out: dict[str, Any] = {d["dataset"]: d for d in json.loads(report.read_text())["datasets"]}
    out["_exit"] = result.exit_code
    return out


@pytest.mark.s3
def test_the_planned_identity_runs_the_migration_and_nothing_more(
        tmp_path: Path, scoped: tuple[_Scoped, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = scoped
    monkeypatch.setattr("migrate.storage._cache", {})  # a fresh process's clients: these keys only
    out = _run(tmp_path, server, "planned", monkeypatch)
    assert out["_exit"] == 0, "\n".join(f"{k}: {v.get('error')}" for k, v in out.items() if isinstance(v, dict))
    assert out["users"]["ok"] and out["users"]["counts_match"] and out["users"]["target_rows"] == 1500, out
    assert out["raw"]["ok"] and out["raw"]["report"]["files_processed"] == 3, out
    # The same identity cannot reach anything the plan does not name, in the very same buckets.
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    key, secret = server.keys["planned"]
    c = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=key,
                     aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
    for call in (lambda: c.get_object(Bucket="legacy-data", Key="exports/payroll/secret.csv"),
                 lambda: c.get_object(Bucket="lake-data", Key="finance/ledger.parquet"),
                 lambda: c.put_object(Bucket="lake-data", Key="finance/x", Body=b"x"),
                 lambda: c.delete_object(Bucket="lake-data", Key="finance/ledger.parquet"),
                 lambda: c.put_object(Bucket="legacy-data", Key="exports/users/x", Body=b"x"),
                 lambda: c.list_objects_v2(Bucket="lake-data", Prefix="finance/")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "AccessDenied"


@pytest.mark.s3
def test_a_narrower_identity_fails_clearly(tmp_path: Path, scoped: tuple[_Scoped, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = scoped
    monkeypatch.setattr("migrate.storage._cache", {})
    out = _run(tmp_path, server, "narrower", monkeypatch)
    assert out["_exit"] == 1
    assert out["users"]["ok"], out  # its grants are all there
    err = out["raw"]["error"]
    assert not out["raw"]["ok"] and err, out
    endpoint = server.endpoint.removeprefix("http://")
    assert endpoint in err and "AccessDenied" in err and "s3://lake-data/warehouse/raw/users/" in err, err
    assert "migrate policy" in err and "MIGRATE_TEST_POLICY_KEY" in err, err
    assert server.keys["narrower"][1] not in err
    assert os.environ["MIGRATE_TEST_POLICY_KEY"] == server.keys["narrower"][0]
