"""Malformed plans, end to end: ``migrate run PLAN`` refuses each one with exit code 2, names the line
(and the key) at fault, never shows a traceback or a secret, and writes nothing (no state folder, no
target folder).

Each case is (id, plan text, line, text the message must hold). Every plan below is the same small valid
plan with one mistake, so a case fails for its own mistake only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app

runner = CliRunner()

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"  # must never be echoed
# Shaped like an AWS access key id (AKIA + 16), put together here so that no key-like literal is committed.
KEY_ID = "AKIA" + "IOSFODNN7" + "EXAMPLE"


def plan(*, settings: str = "", sources: str = "  legacy: {kind: local, path: ./legacy}",
         targets: str = "  out: {kind: local, path: ./out}", dataset: str = "", fmt: str = "{kind: csv}",
         target: str = "{kind: parquet, store: out, path: orders}", source: str = "{store: legacy, path: orders}",
         head: str = "version: 1\nname: bad") -> str:
    return (f"{head}\n{settings}sources:\n{sources}\ntargets:\n{targets}\ndatasets:\n  - name: orders\n"
            f"    source: {source}\n    format: {fmt}\n    target: {target}\n{dataset}")


# Line numbers: 1 version, 2 name, 3 sources:, 4 legacy, 5 targets:, 6 out, 7 datasets:, 8 - name,
# 9 source, 10 format, 11 target, 12+ extra dataset keys.
CASES: list[tuple[str, str, int, str]] = [
    ("yaml-syntax", plan(fmt="{kind: csv"), 11, "YAML syntax error"),
    ("tab-indent", plan().replace("    format:", "\tformat:"), 10, "YAML syntax error"),
    ("duplicate-key", plan(dataset="    format: {kind: tsv}\n"), 12, "duplicate key 'format'"),
    ("not-a-mapping", "- version: 1\n- name: bad\n", 1, "expected a valid dictionary"),
    ("scalar-document", "just some words\n", 1, "expected a valid dictionary"),
    ("missing-version", plan(head="name: bad"), 1, "missing required key 'version'"),
    ("wrong-version", plan(head="version: 2\nname: bad"), 1, "invalid value"),
    ("bad-plan-name", plan(head="version: 1\nname: Bad Name!"), 2, "expected text matching"),
    ("unknown-top-key", plan() + "dataset: []\n", 12, "unknown key 'dataset'"),
    ("unknown-store-kind", plan(sources="  legacy: {kind: ftp, path: ./legacy}"), 4, "unknown kind"),
    ("store-without-kind", plan(sources="  legacy: {path: ./legacy}"), 4, "missing key 'kind'"),
    ("unknown-source-store", plan(source="{store: nowhere, path: orders}"), 9, "unknown store 'nowhere'"),
    ("target-names-a-source", plan(target="{kind: parquet, store: legacy, path: o}"), 11, "it is a source"),
    ("iceberg-without-table", plan(target="{kind: iceberg, store: out}"), 11, "needs table"),
    ("parquet-without-path", plan(target="{kind: parquet, store: out}"), 11, "needs path"),
    ("two-char-delimiter", plan(fmt="{kind: csv, delimiter: ';;'}"), 10, "exactly one character"),
    ("delimiter-equals-quote", plan(fmt="{kind: csv, delimiter: '\"'}"), 10, "must differ from quote"),
    ("text-option-on-parquet", plan(fmt="{kind: parquet, delimiter: ','}"), 10, "only for csv"),
    ("unknown-encoding", plan(fmt="{kind: csv, encoding: klingon-8}"), 10, "unknown text encoding"),
    ("unknown-compression", plan(fmt="{kind: csv, compression: rar}"), 10, "invalid value"),
    ("unknown-column-type", plan(dataset="    schema: [{name: id, type: bigint2}]\n"), 12, "unknown column type"),
    ("decimal-too-wide", plan(dataset="    schema: [{name: id, type: 'decimal(40,2)'}]\n"), 12, "1 <= p <= 38"),
    ("duplicate-column", plan(dataset="    schema: [{name: id, type: int}, {name: ID, type: int}]\n"), 12,
     "duplicate column 'ID'"),
    ("duplicate-dataset", plan(dataset=("  - name: orders\n    source: {store: legacy, path: x}\n"
                                        "    format: {kind: csv}\n    target: {kind: copy, store: out, path: x}\n")),
     12, "duplicate name 'orders'"),
    ("wrong-type", plan(settings="settings: {concurrency: lots}\n"), 3, "expected a valid integer"),
    ("out-of-range", plan(settings="settings: {concurrency: 0}\n"), 3, "greater than or equal to 1"),
    ("negative-wave", plan(dataset="    wave: -1\n"), 12, "greater than or equal to 0"),
    ("literal-secret", plan(targets=("  out: {kind: s3, bucket: lake, credentials: "
                                     f"{{secret_access_key: {SECRET}}}}}")), 6, "literal secret"),
    ("aws-key-id-in-value", plan(sources=f"  legacy: {{kind: local, path: ./{KEY_ID}}}"), 4,
     "an AWS access key id"),
    ("password-in-url", plan(sources=f"  legacy: {{kind: webhdfs, url: 'http://hdfs:{SECRET}@nn:9870'}}"), 4,
     "user:password@"),
    ("half-credentials", plan(targets="  out: {kind: s3, bucket: lake, credentials: {access_key_id_env: K}}"), 6,
     "go together"),
    ("juicefs-two-ways", plan(targets=("  out: {kind: juicefs, volume: v, mount_path: /jfs, "
                                       "gateway: {endpoint: 'http://127.0.0.1:9000'}}")), 6, "exactly one of"),
    ("endpoint-not-http", plan(targets="  out: {kind: s3, bucket: lake, endpoint: 'ftp://x'}"), 6,
     "http:// or https:// URL"),
    ("bucket-name-invalid", plan(targets="  out: {kind: s3, bucket: Lake_Bucket}"), 6, "expected text matching"),
    ("dotdot-source-path", plan(source="{store: legacy, path: ../../etc}"), 9, "'..' is not allowed"),
    ("dotdot-target-path", plan(target="{kind: copy, store: out, path: 'a/../../escape'}"), 11,
     "'..' is not allowed"),
    ("dotdot-s3-prefix", plan(targets="  out: {kind: s3, bucket: lake, prefix: 'w/..'}"), 6, "'..' is not allowed"),
    ("dotdot-backslash", plan(target="{kind: copy, store: out, path: 'a\\\\..\\\\b'}"), 11, "'..' is not allowed"),
    ("validation-unknown-column", plan(dataset=("    schema: [{name: id, type: int}]\n"
                                                "    validation: [{check: unique, columns: [idd]}]\n")), 13,
     "column 'idd' is not in schema"),
    ("cron-three-fields", plan() + ("jobs:\n  - {name: j, kind: hive, source: j.sql, schedule: '0 3 *', "
                                    "target: {kind: spark_sql, path: j.sql}}\n"), 13, "cron expression"),
    ("deep-nesting", plan() + "cutover: " + "[" * 200 + "]" * 200 + "\n", 12, "nested too deeply"),
    ("deeper-than-the-parser", plan() + "cutover: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested too deeply"),
    ("alias-bomb", plan() + "\n".join(["x0: &x0 [a, a, a, a, a, a, a, a, a, a]"] + [
        f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 9)]) + "\n", 12,
     "aliases expand to more than"),
    ("huge-integer", plan(settings="settings: {concurrency: " + "9" * 5000 + "}\n"), 3, "cannot read this value"),
    ("nul-character", plan() + "# \x00\n", 12, "character #x0000 is not allowed"),
    ("python-tag", plan(settings="settings: !!python/object/apply:os.system ['touch pwned']\n"), 3,
     "could not determine a constructor"),
    ("recursive-alias", plan(settings="settings: &s {state_dir: *s}\n"), 3, "recursive YAML alias"),
]


@pytest.mark.parametrize(("case", "text", "line", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_malformed_plan_is_refused_with_its_line(tmp_path: Path, case: str, text: str, line: int,
                                                 fragment: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "legacy" / "orders").mkdir(parents=True)
    (tmp_path / "legacy" / "orders" / "a.csv").write_text("id\n1\n")
    result = runner.invoke(app, ["run", str(path), "--no-prefect"])
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out and SECRET not in out, out
    assert f"plan.yaml:{line}:" in out, out
    assert fragment in out, out
    assert not (tmp_path / "pwned").exists() and not (tmp_path / ".migrate").exists()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("case", "content"), [
    ("latin-1-bytes", "version: 1\nname: caf\xe9\n".encode("latin-1")),
    ("binary-garbage", bytes(range(256)) * 4),
    ("utf-16", "version: 1\nname: bad\n".encode("utf-16")),
])
def test_unreadable_plan_file(tmp_path: Path, case: str, content: bytes) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    result = runner.invoke(app, ["run", str(path), "--no-prefect"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "plan.yaml:" in result.output and "is not UTF-8" in result.output, result.output
    assert not (tmp_path / ".migrate").exists()
    check = runner.invoke(app, ["plan", "check", str(path)])
    assert check.exit_code == 1 and "plan.yaml" in check.output, check.output


def test_plan_is_a_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path), "--no-prefect"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "is a directory" in result.output, result.output
