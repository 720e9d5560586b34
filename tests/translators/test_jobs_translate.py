"""``migrate translate jobs``: one golden case per spec kind (Marathon, Chronos, Aurora, crontab); every
manifest validated: core kinds against the kubernetes client's models (unknown or mistyped fields and missing
required ones fail), SparkApplication / ScheduledSparkApplication against the v1beta2 CRD's schema for the
fields used, Prefect schedules and triggers against Prefect's own models. No secret value reaches any output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from migrate.translators.jobs.command import executor_settings, parse_command
from migrate.translators.jobs.schedule import from_cron, from_iso8601
from typer.testing import CliRunner

from migrate.cli import app

SPECS = Path(__file__).parent / "jobs" / "specs"
CORPUS = Path(__file__).parent / "dpark" / "corpus"
SECRET_VALUES = ("abc", "t0k3n-literal")


# ------------------------------------------------------------------ validation against the kubernetes models

def _model_check(value: Any, type_name: str, where: str) -> None:
    """``value`` (plain YAML data) against the kubernetes client's model ``type_name``: every key known, every
    value of its declared type, required fields present (the models' own client-side validation)."""
    import kubernetes.client as k8s

    if type_name.lower().startswith("list["):
        assert isinstance(value, list), f"{where}: expected a list"
        for i, v in enumerate(value):
            _model_check(v, type_name[5:-1], f"{where}[{i}]")
        return
    if type_name.lower().startswith(("dict(", "dict[")):  # dict(str, str), dict[str, str] or Dict[str, str]
        assert isinstance(value, dict), f"{where}: expected a map"
        inner = type_name[5:-1].split(", ", 1)[1]
        for k, v in value.items():
            _model_check(v, inner, f"{where}.{k}")
        return
    simple = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object, "datetime": str}
    if type_name in simple:
        assert isinstance(value, simple[type_name]), f"{where}: {value!r} is not {type_name}"  # type: ignore[arg-type]
        return
    model = getattr(k8s, type_name)
    assert isinstance(value, dict), f"{where}: expected an object for {type_name}"
    by_json = {v: k for k, v in model.attribute_map.items()}
    unknown = set(value) - set(by_json)
    assert not unknown, f"{where}: {type_name} has no field(s) {sorted(unknown)}"
    for key, v in value.items():
        _model_check(v, model.openapi_types[by_json[key]], f"{where}.{key}")
    k8s.ApiClient()._ApiClient__deserialize(value, type_name)  # raises on a missing required field


def validate_core(doc: dict[str, Any]) -> None:
    kinds = {"Deployment": "V1Deployment", "CronJob": "V1CronJob", "Job": "V1Job"}
    _model_check(doc, kinds[doc["kind"]], doc["kind"])


# The v1beta2 CRD's schema (kubeflow/spark-operator) for the SparkApplication fields the translator uses:
# types, enums, minimums and required fields as the CRD declares them; additionalProperties false so that a
# misspelled field fails here as it would be dropped by the API server.
_ENV = {"type": "array", "items": {"type": "object"}}
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_POD = {"type": "object", "additionalProperties": False, "properties": {
    "cores": {"type": "integer", "minimum": 1}, "coreLimit": {"type": "string"}, "memory": {"type": "string"},
    "instances": {"type": "integer", "minimum": 1}, "serviceAccount": {"type": "string"}, "env": _ENV,
    "labels": _LABELS}}
APP_SPEC = {"type": "object", "additionalProperties": False,
            "required": ["driver", "executor", "mainApplicationFile", "sparkVersion", "type"],
            "properties": {
                "type": {"enum": ["Java", "Python", "Scala", "R"]}, "mode": {"enum": ["cluster", "client"]},
                "pythonVersion": {"enum": ["2", "3"]}, "image": {"type": "string"},
                "sparkVersion": {"type": "string"}, "mainApplicationFile": {"type": "string"},
                "mainClass": {"type": "string"}, "arguments": {"type": "array", "items": {"type": "string"}},
                "sparkConf": {"type": "object", "additionalProperties": {"type": "string"}},
                "restartPolicy": {"type": "object", "additionalProperties": False, "properties": {
                    "type": {"enum": ["Never", "Always", "OnFailure"]},
                    "onFailureRetries": {"type": "integer"}}},
                "deps": {"type": "object", "additionalProperties": False,
                         "properties": {"pyFiles": {"type": "array", "items": {"type": "string"}}}},
                "driver": _POD, "executor": _POD}}
_META = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
                                                                 "namespace": {"type": "string"},
                                                                 "labels": _LABELS}}
SPARK_APP = {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "properties": {
    "apiVersion": {"const": "sparkoperator.k8s.io/v1beta2"}, "kind": {"const": "SparkApplication"},
    "metadata": _META, "spec": APP_SPEC}}
SCHEDULED = {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "properties": {
    "apiVersion": {"const": "sparkoperator.k8s.io/v1beta2"}, "kind": {"const": "ScheduledSparkApplication"},
    "metadata": _META, "spec": {"type": "object", "additionalProperties": False, "required": ["schedule", "template"],
                                "properties": {"schedule": {"type": "string"}, "timeZone": {"type": "string"},
                                               "concurrencyPolicy": {"enum": ["Allow", "Forbid", "Replace"]},
                                               "successfulRunHistoryLimit": {"type": "integer"},
                                               "failedRunHistoryLimit": {"type": "integer"},
                                               "suspend": {"type": "boolean"}, "template": APP_SPEC}}}}


def validate_spark(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, SPARK_APP if doc["kind"] == "SparkApplication" else SCHEDULED)
    spec = doc["spec"] if doc["kind"] == "SparkApplication" else doc["spec"]["template"]
    for side in ("driver", "executor"):
        _model_check(spec[side].get("env", []), "list[V1EnvVar]", f"{side}.env")


def validate(doc: dict[str, Any]) -> None:
    (validate_spark if doc["apiVersion"].startswith("sparkoperator") else validate_core)(doc)


# ------------------------------------------------------------------ the translation of the example specs

@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("jobs") / "out"
    res = CliRunner().invoke(app, ["translate", "jobs", str(SPECS), "-o", str(folder), "--location-map",
                                   "/mfs=s3://lake/mfs", "--dpark-scripts", str(CORPUS)])
    assert res.exit_code == 0, res.output
    return folder


def _doc(out: Path, name: str, prefect: bool = False) -> dict[str, Any]:
    return yaml.safe_load((out / ("prefect/manifests" if prefect else "kubernetes") / f"{name}.yaml").read_text())


def test_every_manifest_validates(out: Path) -> None:
    files = sorted((out / "kubernetes").glob("*.yaml")) + sorted((out / "prefect" / "manifests").glob("*.yaml"))
    assert len(files) >= 18
    for f in files:
        validate(yaml.safe_load(f.read_text()))


def test_validation_catches_mistakes(out: Path) -> None:
    """The validators can fail: a misspelled field, a wrong type, a missing required field."""
    app_doc = _doc(out, "realtime-pv")
    bad = json.loads(json.dumps(app_doc))
    bad["spec"]["executor"]["cores"] = "2"
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    bad = json.loads(json.dumps(app_doc))
    del bad["spec"]["mainApplicationFile"]
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    dep = _doc(out, "log-tailer")
    bad = json.loads(json.dumps(dep))
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with pytest.raises(AssertionError, match="imagePullPolice"):
        validate(bad)
    bad = json.loads(json.dumps(dep))
    del bad["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ValueError, match="name"):
        validate(bad)


def test_chronos_dpark_job(out: Path) -> None:
    """ISO 8601 daily schedule, DPark flags -> executors, paths mapped, credentials referenced."""
    doc = _doc(out, "daily-wordcount")
    assert doc["kind"] == "ScheduledSparkApplication"
    assert doc["spec"]["schedule"] == "30 2 * * *" and doc["spec"]["timeZone"] == "UTC"
    app_spec = doc["spec"]["template"]
    assert app_spec["mainApplicationFile"] == "local:///opt/migrate/jobs/wordcount.py"
    assert app_spec["deps"]["pyFiles"] == ["local:///opt/migrate/jobs/dparkcompat.py"]
    assert app_spec["arguments"] == ["s3a://lake/mfs/log/access", "s3a://lake/mfs/report/wc"]
    assert app_spec["executor"] | {"labels": None, "env": None} == {"cores": 2, "instances": 8, "memory": "1500m",
                                                                    "labels": None, "env": None}
    assert app_spec["sparkConf"]["spark.default.parallelism"] == "16"
    assert app_spec["sparkConf"]["spark.executorEnv.PYTHONHASHSEED"] == "0"
    assert app_spec["driver"]["memory"] == "2048m"
    env = {e["name"]: e for e in app_spec["driver"]["env"]}
    assert env["TZ"]["value"] == "Asia/Shanghai"
    assert env["S3_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "legacy-job-secrets", "key": "s3-secret-key"}
    once = _doc(out, "daily-wordcount", prefect=True)
    assert once["kind"] == "SparkApplication" and once["spec"]["restartPolicy"]["type"] == "Never"


def test_chronos_timezone_parents_and_hive(out: Path) -> None:
    assert _doc(out, "hourly-topk")["spec"]["timeZone"] == "Etc/GMT-8"  # start given at +08:00
    report_join = _doc(out, "report-join")
    assert report_join["kind"] == "SparkApplication"  # started by its parents, not by a clock
    assert report_join["spec"]["mainApplicationFile"].endswith("/run_sql.py")
    assert report_join["spec"]["arguments"] == ["local:///opt/migrate/jobs/report.spark.sql"]
    compile((out / "run_sql.py").read_text(), "run_sql.py", "exec")


def test_marathon_apps(out: Path) -> None:
    dep = _doc(out, "log-tailer")
    assert dep["kind"] == "Deployment" and dep["spec"]["replicas"] == 2
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "registry.local/tailer:1.4"
    assert c["resources"]["requests"] == {"cpu": "500m", "memory": "256Mi"}
    env = {e["name"]: e for e in c["env"]}
    assert env["LOG_LEVEL"] == {"name": "LOG_LEVEL", "value": "info"}
    assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "etl-db-password"  # Marathon secret source
    assert "value" not in env["API_TOKEN"]  # a credential-looking literal is referenced, never copied
    pv = _doc(out, "realtime-pv")
    assert pv["kind"] == "SparkApplication" and pv["spec"]["restartPolicy"]["type"] == "Always"
    assert pv["spec"]["executor"]["instances"] == 32 and pv["spec"]["executor"]["memory"] == "2048m"


def test_aurora_and_crontab(out: Path) -> None:
    sim = _doc(out, "item-similarity")
    assert sim["kind"] == "ScheduledSparkApplication" and sim["spec"]["schedule"] == "15 4 * * *"
    assert sim["spec"]["template"]["driver"]["cores"] == 2 and sim["spec"]["template"]["driver"]["memory"] == "4096m"
    km = _doc(out, "kmeans")
    assert km["spec"]["template"]["arguments"] == ["s3a://lake/mfs/data/points", "s3a://lake/mfs/report/kmeans"]
    rot = _doc(out, "rotate-logs")
    assert rot["kind"] == "CronJob" and rot["spec"]["schedule"] == "0 * * * *"
    assert _doc(out, "weekly")["spec"]["schedule"] == "0 5 * * 1"


def test_unsupported_schedule_is_reported(out: Path) -> None:
    data = json.loads((out / "translation-report.json").read_text())
    assert data["kind"] == "jobs" and data["unit"] == "job" and data["summary"]["statements"] == 10
    bad = [(f["path"], s["line"], s["failures"]) for f in data["files"] for s in f["statements"] if s["failures"]]
    assert len(bad) == 1 and bad[0][0].endswith("chronos.json") and bad[0][1] == 9
    assert "PT90M" in bad[0][2][0]["message"]


def test_prefect_deployments_validate(out: Path) -> None:
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.events.schemas.deployment_triggers import DeploymentTriggerTypes
    from pydantic import TypeAdapter

    doc = yaml.safe_load((out / "prefect" / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in doc["deployments"]}
    assert "log-tailer" not in deployments  # a long-running service is no flow run
    for d in deployments.values():
        assert (out / "prefect" / d["parameters"]["manifest"]).is_file()
        for s in d.get("schedules", []):
            CronSchedule(cron=s["cron"], timezone=s["timezone"])
        for t in d.get("triggers", []):
            TypeAdapter(DeploymentTriggerTypes).validate_python(t)
    trig = deployments["report-join"]["triggers"][0]
    assert trig["type"] == "compound" and trig["require"] == "all"
    assert {t["match_related"]["prefect.resource.name"] for t in trig["triggers"]} == {"daily-wordcount",
                                                                                      "hourly-topk"}
    flows = (out / "prefect" / "k8s_jobs.py").read_text()
    compile(flows, "k8s_jobs.py", "exec")
    assert "def run_manifest" in flows


def test_no_secret_value_in_outputs(out: Path) -> None:
    for f in out.rglob("*"):
        if f.is_file():
            text = f.read_text()
            for value in SECRET_VALUES:
                assert not re.search(rf"\b{re.escape(value)}\b", text), f"{value!r} leaked into {f}"


# ------------------------------------------------------------------ units

@pytest.mark.parametrize(("iso", "cron", "tz"), [
    ("R/2024-01-01T02:30:00Z/P1D", "30 2 * * *", "UTC"),
    ("R/2024-01-01T00:05:00+08:00/PT1H", "5 * * * *", "Etc/GMT-8"),
    ("R/2024-01-01T00:10:00Z/PT15M", "10-59/15 * * * *", "UTC"),
    ("R/2024-01-01T03:00:00Z/PT6H", "0 3-23/6 * * *", "UTC"),
    ("R/2024-01-03T06:00:00Z/P1W", "0 6 * * 3", "UTC"),  # 2024-01-03 is a Wednesday
    ("R/2024-01-15T01:00:00Z/P1M", "0 1 15 * *", "UTC"),
])
def test_iso8601_to_cron(iso: str, cron: str, tz: str) -> None:
    s = from_iso8601(iso)
    assert (s.cron, s.timezone, s.failure) == (cron, tz, None)


def test_schedules_cron_cannot_say() -> None:
    assert from_iso8601("R/2024-01-01T00:00:00Z/PT90M").failure
    assert "3 time(s)" in (from_iso8601("R3/2024-01-01T00:00:00Z/P1D").note or "")
    assert from_cron("@daily").cron == "0 0 * * *" and from_cron("@reboot").failure
    assert from_cron("0 15 10 * * ?").failure is None  # Quartz seconds field: dropped with a note


def test_command_and_dpark_flags() -> None:
    cmd = parse_command("cd /jobs && nice -n 5 dpark job.py -m mesos -p 12 -c 1.5 -M 2g --day 1 >> x.log 2>&1")
    assert (cmd.kind, cmd.script, cmd.args) == ("dpark", "job.py", ["--day", "1"])
    assert cmd.dpark_flags == {"master": "mesos", "parallel": "12", "cpus": "1.5", "mem": "2g"}
    executor, conf, _ = executor_settings(cmd.dpark_flags)
    assert executor == {"cores": 2, "instances": 6, "memory": "2048m"} and conf == {"spark.default.parallelism": "12"}
    assert parse_command("hive -hiveconf d=1 -f q.hql").kind == "hive"
    assert parse_command("python tool.py --x").kind == "shell"  # not a DPark job unless told so
    assert parse_command("python tool.py --x", {"tool.py"}).kind == "dpark"
    sub = parse_command("spark-submit --class a.B app.jar 1")
    assert (sub.kind, sub.main_class, sub.args) == ("spark_submit", "a.B", ["1"])


def test_cli_records_jobs_for_a_plan(tmp_path: Path) -> None:
    (tmp_path / "mfs").mkdir()
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"version: 1\nname: t\nsettings: {{state_dir: {tmp_path / 'state'}}}\n"
                    f"sources: {{mfs: {{kind: local, path: {tmp_path / 'mfs'}}}}}\n")
    res = CliRunner().invoke(app, ["translate", "jobs", str(SPECS / "crontab"), "-o", str(tmp_path / "o"),
                                   "--plan", str(plan), "--strict"])
    assert res.exit_code == 0, res.output
    [entry] = json.loads((tmp_path / "state" / "translations" / "jobs.json").read_text())["files"]
    assert entry["path"] == str((SPECS / "crontab").resolve()) and entry["counts"]["unsupported"] == 0
