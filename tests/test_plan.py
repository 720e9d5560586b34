"""The plan model, its line-aware checks and ``migrate plan check/schema``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from migrate.cli import app
from migrate.errors import PlanError
from migrate.plan import (
    SECRET_HINT,
    FormatSpec,
    Plan,
    Problem,
    check_plan,
    check_plan_text,
    load_plan,
    load_plan_text,
    normalize_column_type,
    plan_json_schema,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "plans" / "examples").glob("*.yaml"))
BAD = ROOT / "tests" / "data" / "plans"
SCHEMA_FILE = ROOT / "plans" / "plan.schema.json"

runner = CliRunner()

HEAD = """\
version: 1
name: t
sources:
  legacy: {kind: local, path: /legacy}
targets:
  out: {kind: local, path: ./out}
"""


def lines_of(problems: list[Problem]) -> list[int]:
    return [p.line for p in problems]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(path: Path) -> None:
    assert check_plan(path) == []
    plan = load_plan(path)
    assert plan.base_dir == path.parent.resolve()
    assert plan.datasets


def test_examples_match_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    for path in EXAMPLES:
        jsonschema.validate(yaml.safe_load(path.read_text()), plan_json_schema())


def test_three_mistakes_all_reported_with_lines() -> None:
    problems = check_plan(BAD / "three_mistakes.yaml")
    assert lines_of(problems) == [4, 11, 17]
    wrong_type, secret, unknown = problems
    assert wrong_type.key_path == "settings.concurrency" and "integer" in wrong_type.message
    assert secret.key_path == "targets.lake.password" and secret.message == SECRET_HINT
    assert unknown.key_path == "datasets[0].colour" and "unknown key 'colour'" in unknown.message
    assert str(unknown).startswith(f"{BAD / 'three_mistakes.yaml'}:17:5: datasets[0].colour: unknown key")


def test_cli_check_fails_and_never_prints_the_secret() -> None:
    result = runner.invoke(app, ["plan", "check", str(BAD / "three_mistakes.yaml")])
    assert result.exit_code == 1
    assert "three_mistakes.yaml:11:15: targets.lake.password: literal secret" in result.output
    assert "hunter2" not in result.output


def test_cli_check_ok_summary() -> None:
    result = runner.invoke(app, ["plan", "check", str(ROOT / "plans/examples/full.yaml")])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "4 dataset(s), 3 job(s), 2 wave(s)" in result.output


def test_load_plan_raises_with_every_problem() -> None:
    with pytest.raises(PlanError) as err:
        load_plan(BAD / "three_mistakes.yaml")
    assert len(err.value.problems) == 3
    assert all(":" in p for p in err.value.problems)


# AWS's documented example key id, assembled here so no key-shaped string sits in the repository.
EXAMPLE_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"


def test_secrets_never_echoed(tmp_path: Path) -> None:
    plan = tmp_path / "secrets.yaml"
    plan.write_text((BAD / "secrets.yaml").read_text().replace("__AWS_KEY_ID__", EXAMPLE_KEY_ID))
    problems = check_plan(plan)
    by_path = {p.key_path: p.message for p in problems}
    assert set(by_path) == {
        "sources.hdfs.url",
        "sources.olds3.credentials.access_key_id_env",
        "catalog.credential",
        "catalog.token",
    }
    assert all(m.startswith(SECRET_HINT) for m in by_path.values())
    text = "\n".join(map(str, problems))
    for secret in ("Sup3rS3cret", EXAMPLE_KEY_ID, "TopSecretValue42", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in text


@pytest.mark.parametrize(
    "snippet",
    [
        "    credentials: {profile: x, aws_secret_access_key: abcdefgh}\n",
        "    credentials: {profile: x}\n    note: ASIAABCDEFGHIJKLMNOP\n",
        "    endpoint: 'https://me:pw123456@s3.example.com'\n",
    ],
)
def test_secret_shapes(snippet: str) -> None:
    text = HEAD + "  lake:\n    kind: s3\n    bucket: lake\n" + snippet
    problems = check_plan_text(text)
    assert any(p.message.startswith(SECRET_HINT) for p in problems)
    assert not any(s in str(p) for p in problems for s in ("abcdefgh", "ABCDEFGHIJKLMNOP", "pw123456"))


def test_env_references_are_not_secrets() -> None:
    text = HEAD + (
        "  lake: {kind: s3, bucket: lake, credentials: {access_key_id_env: K, secret_access_key_env: S,"
        " session_token_env: T}}\n"
    )
    assert check_plan_text(text) == []


def test_duplicate_keys() -> None:
    problems = check_plan(BAD / "duplicate_keys.yaml")
    assert [(p.line, p.key_path) for p in problems] == [(5, "sources.legacy"), (13, "datasets[0].target")]
    assert "duplicate key 'legacy' (first defined at line 4)" in problems[0].message


def test_bad_delimiter() -> None:
    (problem,) = check_plan(BAD / "bad_delimiter.yaml")
    assert (problem.line, problem.column) == (12, 18)
    assert problem.key_path == "datasets[0].format.delimiter"
    assert "exactly one character" in problem.message


def test_unknown_store_reference() -> None:
    problems = check_plan(BAD / "unknown_store.yaml")
    assert [(p.line, p.key_path) for p in problems] == [
        (11, "datasets[0].target.store"),
        (13, "datasets[1].source.store"),
    ]
    assert "unknown store 'lake' (expected one of: out)" in problems[0].message
    assert "it is a target" in problems[1].message


def test_yaml_syntax_error_has_position() -> None:
    (problem,) = check_plan(BAD / "syntax_error.yaml")
    assert (problem.line, problem.column) == (5, 8)
    assert "YAML syntax error" in problem.message and "line 4" in problem.message


def test_missing_file_and_empty_plan(tmp_path: Path) -> None:
    (problem,) = check_plan(tmp_path / "nope.yaml")
    assert "cannot read" in str(problem)
    (tmp_path / "empty.yaml").write_text("")
    assert "empty plan" in str(check_plan(tmp_path / "empty.yaml")[0])


def test_unknown_key_suggests_and_union_errors() -> None:
    text = HEAD + (
        "  bad: {kind: ftp}\n"
        "  nokind: {path: x}\n"
        "datasets:\n"
        "  - name: d\n"
        "    source: {store: legacy, path: p}\n"
        "    format: {kind: csv, delimitr: ';'}\n"
        "    target: {kind: iceberg, store: out}\n"
    )
    problems = {p.key_path: p for p in check_plan_text(text)}
    assert problems["targets.bad"].message.startswith("unknown kind (expected one of: local, webhdfs")
    assert problems["targets.nokind"].message.startswith("missing key 'kind'")
    assert "did you mean 'delimiter'" in problems["datasets[0].format.delimitr"].message
    assert problems["datasets[0].format.delimitr"].line == 12
    assert "needs table" in problems["datasets[0].target"].message


def test_dataset_rules() -> None:
    text = HEAD + (
        "datasets:\n"
        "  - name: d\n"
        "    source: {store: legacy, path: p}\n"
        "    format: {kind: parquet, delimiter: ','}\n"
        "    schema: [{name: a, type: string}, {name: A, type: int}]\n"
        "    partition_columns: [dt, dt]\n"
        "    target: {kind: parquet, store: out}\n"
        "    validation: [{check: unique, columns: [zz]}, {check: not_null}]\n"
        "  - name: d\n"
        "    source: {store: legacy, path: ../etc}\n"
        "    format: {kind: csv}\n"
        "    schema: [{name: a, type: varchar}]\n"
        "    target: {kind: copy, store: out, path: x, table: a.b}\n"
    )
    messages = {p.key_path: p.message for p in check_plan_text(text)}
    assert "only for csv, tsv and hive_text" in messages["datasets[0].format"]
    assert "unknown column type" in messages["datasets[1].schema[0].type"]
    assert "duplicate column 'A'" in messages["datasets[0].schema"]
    assert "duplicate partition column" in messages["datasets[0].partition_columns"]
    assert "needs path" in messages["datasets[0].target"]
    assert "'zz' is not in schema" in messages["datasets[0].validation[0].columns"]
    assert "needs columns" in messages["datasets[0].validation[1]"]
    assert "duplicate name 'd'" in messages["datasets[1].name"]
    assert "'..'" in messages["datasets[1].source.path"]
    assert "only for iceberg" in messages["datasets[1].target"]


def test_format_defaults_per_kind() -> None:
    csv = FormatSpec(kind="csv")
    assert (csv.delimiter, csv.header, csv.quote, csv.null_marker) == (",", True, '"', None)
    tsv = FormatSpec(kind="tsv")
    assert (tsv.delimiter, tsv.quote) == ("\t", None)
    hive = FormatSpec(kind="hive_text")
    assert (hive.delimiter, hive.header, hive.null_marker) == ("\x01", False, "\\N")
    assert FormatSpec.model_validate({"kind": "csv", "quote": None}).quote is None  # explicit null stays
    assert FormatSpec(kind="parquet").delimiter is None
    # YAML escapes reach the model as the one control character.
    plan = load_plan_text(
        HEAD + "datasets:\n  - name: d\n    source: {store: legacy}\n"
        '    format: {kind: csv, delimiter: "\\x01"}\n    target: {kind: copy, store: out, path: x}\n'
    )
    assert plan.datasets[0].format.delimiter == "\x01"


def test_column_types() -> None:
    assert normalize_column_type("BOOL") == "boolean"
    assert normalize_column_type("integer") == "int"
    assert normalize_column_type("Decimal( 12 , 2 )") == "decimal(12,2)"
    for bad in ("decimal(39,2)", "decimal(5,6)", "decimal", "varchar(10)"):
        with pytest.raises(ValueError):
            normalize_column_type(bad)


def test_location_for_each_store_kind(tmp_path: Path) -> None:
    text = """\
version: 1
name: loc
sources:
  mfs: {kind: local, path: /mfs}
  rel: {kind: local, path: data/in}
  hdfs: {kind: webhdfs, url: "http://namenode:9870/", user: hadoop}
  nouser: {kind: webhdfs, url: "https://nn.example:9871"}
targets:
  lake:
    kind: s3
    endpoint: "http://127.0.0.1:8333"
    bucket: lake
    prefix: warehouse/
    region: us-east-1
    credentials: {access_key_id_env: K, secret_access_key_env: S, session_token_env: T}
    part_size_mb: 16
    max_concurrency: 4
  bare: {kind: s3, bucket: bare, credentials: {profile: migrate}}
  jmount: {kind: juicefs, volume: v, mount_path: /jfs}
  jgw:
    kind: juicefs
    volume: vol
    gateway: {endpoint: "http://127.0.0.1:9000", credentials: {profile: jfs}}
"""
    plan = load_plan_text(text, base_dir=tmp_path)
    assert plan.location("mfs", "/data/events") == ("file:///mfs/data/events", {})
    assert plan.location("mfs") == ("file:///mfs", {})
    assert plan.location("rel", "x") == (f"file://{tmp_path}/data/in/x", {})
    assert plan.location("hdfs", "/data/events") == (
        "webhdfs://namenode:9870/data/events",
        {"url": "http://namenode:9870", "user": "hadoop"},
    )
    assert plan.location("nouser", "a") == ("webhdfs://nn.example:9871/a", {"url": "https://nn.example:9871"})
    assert plan.location("lake", "events/") == (
        "s3://lake/warehouse/events",
        {
            "endpoint_url": "http://127.0.0.1:8333",
            "region": "us-east-1",
            "access_key_id_env": "K",
            "secret_access_key_env": "S",
            "session_token_env": "T",
            "part_size": 16 * 1024 * 1024,
            "max_concurrency": 4,
        },
    )
    assert plan.location("bare", "k") == ("s3://bare/k", {"profile": "migrate"})
    assert plan.location("jmount", "/raw") == ("file:///jfs/raw", {})
    assert plan.location("jgw", "raw") == (
        "jfs://vol/raw",
        {"endpoint_url": "http://127.0.0.1:9000", "profile": "jfs"},
    )
    with pytest.raises(PlanError, match="unknown store 'nope'"):
        plan.location("nope", "x")
    with pytest.raises(PlanError, match=r"'\.\.'"):
        plan.location("mfs", "../etc")


def test_relative_paths_follow_the_plan_file(tmp_path: Path) -> None:
    plan_file = tmp_path / "sub" / "p.yaml"
    plan_file.parent.mkdir()
    plan_file.write_text(HEAD)
    plan = load_plan(plan_file)
    assert plan.location("out", "x")[0] == f"file://{tmp_path}/sub/out/x"
    assert plan.state_dir == tmp_path / "sub" / ".migrate"
    catalog = plan.resolved_catalog()
    assert catalog.uri == f"sqlite:///{tmp_path}/sub/.migrate/catalog.db"
    assert catalog.warehouse == f"file://{tmp_path}/sub/.migrate/warehouse"


def test_direct_construction_runs_cross_checks() -> None:
    data = {
        "version": 1,
        "name": "x",
        "sources": {"a": {"kind": "local", "path": "/a"}},
        "targets": {"b": {"kind": "local", "path": "/b"}},
        "datasets": [
            {
                "name": "d",
                "source": {"store": "zz"},
                "format": {"kind": "csv"},
                "target": {"kind": "copy", "store": "b", "path": "p"},
            },
        ],
    }
    with pytest.raises(ValidationError, match="unknown store 'zz'"):
        Plan.model_validate(data)


def test_models_are_frozen() -> None:
    plan = load_plan(ROOT / "plans/examples/full.yaml")
    with pytest.raises(ValidationError):
        plan.name = "other"


def test_schema_file_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), "run: migrate plan schema -o plans/plan.schema.json"
    assert json.loads(SCHEMA_FILE.read_text()) == plan_json_schema(), (
        "plans/plan.schema.json is stale; run: migrate plan schema -o plans/plan.schema.json"
    )


def test_cli_schema_writes_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = runner.invoke(app, ["plan", "schema", "-o", str(out)])
    assert result.exit_code == 0, result.output
    schema = json.loads(out.read_text())
    assert schema == plan_json_schema()
    fmt = schema["$defs"]["FormatSpec"]["properties"]["delimiter"]
    assert "description" in fmt  # editors show it on completion


def test_doc_example_is_a_valid_plan() -> None:
    doc = (ROOT / "docs" / "plan.md").read_text()
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert check_plan_text(example, "docs/plan.md") == []
