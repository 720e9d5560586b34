"""Mesos-era job specs -> Kubernetes manifests and Prefect deployments.

Input: Marathon apps, Chronos jobs, Aurora configs and crontabs, read with the inventory's parsers
(``migrate.inventory.jobs_mesos``). Output, per job, two ways to run it (pick one per job, not both):

- ``kubernetes/<name>.yaml``: scheduled by Kubernetes itself: ``ScheduledSparkApplication`` / ``CronJob`` for
  scheduled jobs, ``SparkApplication`` / ``Deployment`` for Marathon's long-running apps;
- ``prefect/prefect.yaml`` + ``prefect/manifests/<name>.yaml`` + ``prefect/k8s_jobs.py``: scheduled by Prefect
  (cron schedules; Chronos parents as triggers on the parents' completion), each run applying a run-once
  ``SparkApplication`` / ``Job`` and waiting for it.

The report has one unit per job (unit "job"), with the Hive report's statuses and file:line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.translators.dpark.base import Options as PathOptions
from migrate.translators.dpark.idioms.paths import map_path
from migrate.translators.hive import Note
from migrate.translators.hive.report import FileResult, StatementResult, TranslationReport

from migrate.inventory import jobs_mesos
from migrate.inventory.jobs import _is_crontab

from . import manifests as mf
from .command import Command, executor_settings, parse_command
from .schedule import Schedule, from_cron, from_iso8601


@dataclass
class JobOut:
    name: str
    legacy_kind: str
    file: str
    line: int
    command: Command
    schedule: Schedule
    parents: list[str]
    kubernetes: dict[str, Any] | None = None  # self-scheduled form
    run_once: dict[str, Any] | None = None  # what a Prefect run applies
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    constructs: list[str] = field(default_factory=list)


class JobsReport(TranslationReport):
    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(kind="jobs", unit="job", title="Mesos job specs -> Kubernetes and Prefect",
                 languages=["legacy spec (command)", "manifests"])
        s = d["summary"]
        s["files_per_second"] = round(len(self.files) / self.seconds, 1) if self.seconds > 0 else None
        return d


# ------------------------------------------------------------------ reading specs (with env the parsers skip)

def _env_of_items(text: str) -> dict[str, list[tuple[str, str | None, str | None]]]:
    """Marathon ``env`` (+ ``secrets``) and Chronos ``environmentVariables`` by app id / job name:
    (name, value, secret source)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    items = doc if isinstance(doc, list) else jobs_mesos._marathon_apps(doc) if isinstance(doc, dict) else []
    out: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for it in items:
        if not isinstance(it, dict):
            continue
        key = str(it.get("id") or it.get("name") or "")
        env: list[tuple[str, str | None, str | None]] = []
        secrets = it.get("secrets") if isinstance(it.get("secrets"), dict) else {}
        for k, v in (it.get("env") or {}).items() if isinstance(it.get("env"), dict) else []:
            if isinstance(v, dict) and "secret" in v:
                src = (secrets.get(v["secret"]) or {}).get("source") if isinstance(secrets, dict) else None
                env.append((k, None, str(src or v["secret"])))
            else:
                env.append((k, str(v), None))
        for e in it.get("environmentVariables") or []:
            if isinstance(e, dict) and "name" in e:
                env.append((str(e["name"]), str(e.get("value", "")), None))
        out[key] = env
    return out


def _crontab_env(text: str) -> dict[int, list[tuple[str, str | None, str | None]]]:
    """Variables set in a crontab (``NAME=value`` lines), as in force at each line."""
    env: dict[str, str] = {}
    out: dict[int, list[tuple[str, str | None, str | None]]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if "=" in s and not s.startswith("#") and s.split("=", 1)[0].strip().isidentifier() and \
                len(s.split()) and "=" in s.split()[0]:
            k, v = s.split("=", 1)
            env[k.strip()] = v.strip().strip("'\"")
        out[n] = [(k, v, None) for k, v in env.items() if k not in ("SHELL", "PATH", "MAILTO", "HOME")]
    return out


def spec_files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            rel = f.as_posix().lower()
            if rel.endswith((".json", ".aurora")) or _is_crontab(rel):
                out.append(f)
    return out


# ------------------------------------------------------------------ one job

@dataclass
class Settings:
    target: mf.Target = field(default_factory=mf.Target)
    paths: PathOptions = field(default_factory=PathOptions)  # the plan's location map, as translate dpark has it
    dpark_scripts: set[str] = field(default_factory=set)  # script names that are DPark jobs


def _resources(spec: jobs_mesos.SpecJob) -> mf.Resources:
    r = spec.resources
    cpus = r.get("cpus", r.get("cpu"))
    mem = r.get("mem")
    if mem is None and isinstance(r.get("ram"), int | float):
        mem = float(r["ram"]) / (1 << 20)  # Aurora: bytes
    inst = r.get("instances")
    return mf.Resources(float(cpus) if isinstance(cpus, int | float) else None,
                        float(mem) if isinstance(mem, int | float) else None,
                        int(inst) if isinstance(inst, int | float) else None)


def _map_args(args: list[str], settings: Settings, out: JobOut) -> list[str]:
    mapped = []
    for a in args:
        new = map_path(a, settings.paths) if a.startswith("/") or "://" in a else None
        if new is not None and new != a:
            out.constructs.append("legacy_path")
            mapped.append(new)
        else:
            mapped.append(a)
    return mapped


def build_job(spec: jobs_mesos.SpecJob, file: str, env: list[tuple[str, str | None, str | None]],
              settings: Settings, used: set[str]) -> JobOut:
    t = settings.target
    first = (spec.command or "").split()
    script = parse_command(spec.command).script or next((t for t in first if "/" in t or t.endswith(".sh")), "")
    base = spec.name or Path(script).stem or Path(file).stem
    name = mf.k8s_name(base.rsplit("/", 1)[-1] if spec.kind == "marathon" else base)
    while name in used:
        name = mf.k8s_name(f"{name[:46]}-{len(used)}")
    used.add(name)
    sched = from_iso8601(spec.schedule) if spec.schedule_kind == "iso8601" else from_cron(
        spec.schedule if spec.schedule_kind == "cron" else None)
    cmd = parse_command(spec.command, settings.dpark_scripts)
    out = JobOut(name, spec.kind, file, spec.line or 1, cmd, sched, list(spec.parents),
                 constructs=[spec.kind, f"command:{cmd.kind}"])
    if spec.schedule:
        out.constructs.append(f"schedule:{spec.schedule_kind}")
    if sched.note:
        out.notes.append(f"schedule {spec.schedule}: {sched.note}")
    if sched.failure:
        out.failures.append(sched.failure)
    out.notes.extend(cmd.notes)
    envs = [mf.EnvVar(k, secret=t.secret_name, secret_key=mf.k8s_name(src, 253)) if src else mf.secret_env(k, v, t)
            for k, v, src in env]
    if any(e.secret for e in envs):
        out.constructs.append("secrets")
        out.notes.append(f"credentials are referenced from Secret {t.secret_name!r} (keys: "
                         f"{', '.join(sorted({e.secret_key or '' for e in envs if e.secret}))}): create it before "
                         "the first run")
    res = _resources(spec)
    image = str(spec.resources.get("image") or t.image)
    built = mf.Built()
    if cmd.before:
        out.notes.append(f"set-up commands before the job are dropped: {' && '.join(cmd.before)}")
    if cmd.kind in ("dpark", "hive", "spark_submit"):
        executor, conf, flag_notes = executor_settings(cmd.dpark_flags)
        out.notes.extend(flag_notes)
        args = _map_args(cmd.args, settings, out)
        main_class = None
        py_files: list[str] = []
        if cmd.kind == "dpark":
            script = Path(cmd.script or "job.py").name
            main = f"{t.jobs_uri.rstrip('/')}/{script}"
            py_files = [f"{t.jobs_uri.rstrip('/')}/dparkcompat.py"]
            out.notes.append(f"runs {main}: the translation of {cmd.script} (migrate translate dpark)")
        elif cmd.kind == "hive":
            sql = Path(cmd.script or "job.hql").with_suffix(".spark.sql").name
            main = f"{t.jobs_uri.rstrip('/')}/run_sql.py"
            args = [f"{t.jobs_uri.rstrip('/')}/{sql}", *args]
            out.notes.append(f"runs {sql} (migrate translate hive) with run_sql.py")
        else:
            main = str(cmd.script or "")
            main_class = cmd.main_class
            if main.endswith(".jar") and not main_class:
                out.failures.append("spark-submit of a jar without --class: the SparkApplication needs mainClass")
        restart = "Always" if spec.kind == "marathon" else "Never"
        if spec.kind == "marathon":
            out.notes.append("Marathon kept this job running: restartPolicy Always")
        common = dict(legacy_kind=spec.kind, main_file=main, arguments=args, target=t, res=res, executor=executor,
                      spark_conf=conf, env=envs, py_files=py_files, timezone=sched.timezone, built=built,
                      main_class=main_class)
        out.kubernetes = mf.spark_application(name, cron=sched.cron, restart=restart, **common)  # type: ignore[arg-type]
        out.run_once = mf.spark_application(name, cron=None, restart="Never", **common)  # type: ignore[arg-type]
        out.constructs.append("SparkApplication" if sched.cron is None else "ScheduledSparkApplication")
    else:
        command = cmd.raw or ""
        if not command:
            out.failures.append("the spec has no command")
        if "image" not in spec.resources:
            out.notes.append(f"no container image in the spec: {image} is used; give the image the command needs")
        if spec.kind == "marathon":
            out.kubernetes = mf.deployment(name, legacy_kind=spec.kind, command=command, image=image, res=res,
                                           env=envs, target=t, built=built)
            out.constructs.append("Deployment")
        elif sched.cron is not None:
            out.kubernetes = mf.cron_job(name, legacy_kind=spec.kind, command=command, image=image, res=res,
                                         env=envs, cron=sched.cron, timezone=sched.timezone, target=t, built=built)
            out.constructs.append("CronJob")
        else:
            out.kubernetes = mf.job(name, legacy_kind=spec.kind, command=command, image=image, res=res, env=envs,
                                    target=t, built=built)
            out.constructs.append("Job")
        if spec.kind != "marathon":
            out.run_once = mf.job(name, legacy_kind=spec.kind, command=command, image=image, res=res, env=envs,
                                  target=t, built=built)
    if spec.parents:
        out.constructs.append("parents")
        out.notes.append(f"runs after {', '.join(spec.parents)} in Chronos: Kubernetes has no job dependencies, "
                         "so the Prefect deployment triggers it when they complete")
    return out


# ------------------------------------------------------------------ Prefect

def prefect_deployments(jobs: list[JobOut], work_pool: str) -> dict[str, Any]:
    deployments = []
    names = {j.name for j in jobs}
    for j in jobs:
        if j.run_once is None:
            continue
        d: dict[str, Any] = {
            "name": j.name, "description": f"{j.legacy_kind} job from {j.file}:{j.line}",
            "entrypoint": "k8s_jobs.py:run_manifest", "tags": ["migrate", f"legacy:{j.legacy_kind}"],
            "parameters": {"manifest": f"manifests/{j.name}.yaml", "wait": True},
            "work_pool": {"name": work_pool},
        }
        if j.schedule.cron:
            d["schedules"] = [{"cron": j.schedule.cron, "timezone": j.schedule.timezone, "active": True}]
        parents = [mf.k8s_name(p) for p in j.parents]
        if parents:
            single = [{"type": "event", "enabled": True, "match": {"prefect.resource.id": "prefect.flow-run.*"},
                       "match_related": {"prefect.resource.role": "deployment", "prefect.resource.name": p},
                       "expect": ["prefect.flow-run.Completed"], "posture": "Reactive", "threshold": 1,
                       "within": 0} for p in parents]
            d["triggers"] = single if len(single) == 1 else [
                {"type": "compound", "require": "all", "within": 86400, "enabled": True,
                 "triggers": [{k: v for k, v in s.items() if k not in ("enabled",)} for s in single]}]
            missing = [p for p in parents if p not in names]
            if missing:
                j.notes.append(f"parent(s) {', '.join(missing)} are not among the translated jobs")
        deployments.append(d)
    return {"name": "legacy-jobs", "prefect-version": "3", "deployments": deployments}


# ------------------------------------------------------------------ many files

def translate_specs(paths: Iterable[str | Path], settings: Settings | None = None) -> tuple[JobsReport, list[JobOut]]:
    settings = settings or Settings()
    report = JobsReport(options={"namespace": settings.target.namespace, "jobs_uri": settings.target.jobs_uri,
                                 "spark_image": settings.target.spark_image})
    start = time.perf_counter()
    used: set[str] = set()
    jobs: list[JobOut] = []
    for f in spec_files(paths):
        text = f.read_text(encoding="utf-8", errors="replace")
        rel = str(f)
        low = rel.lower()
        envs_by_id: dict[str, list[tuple[str, str | None, str | None]]] = {}
        cron_env: dict[int, list[tuple[str, str | None, str | None]]] = {}
        if low.endswith(".json"):
            specs, problems = jobs_mesos.parse_json_spec(text, rel)
            envs_by_id = _env_of_items(text)
        elif low.endswith(".aurora"):
            specs, problems = jobs_mesos.parse_aurora(text, rel)
        else:
            specs, problems = jobs_mesos.parse_crontab(text, rel)
            cron_env = _crontab_env(text)
        fr = FileResult(path=rel)
        for p in problems:
            line = int(p.path.rsplit(":", 1)[1]) if ":" in p.path and p.path.rsplit(":", 1)[1].isdigit() else 1
            fr.statements.append(StatementResult(file=rel, line=line, end_line=line, source="", kind="spec",
                                                 failures=[Note(p.kind, p.message)], constructs=["spec_parse"]))
        for spec in specs:
            if spec.line is None and spec.name:  # JSON specs: the line that names the job
                at = text.find(json.dumps(spec.name.rsplit("/", 1)[-1]))
                spec.line = text.count("\n", 0, at) + 1 if at >= 0 else 1
            env = envs_by_id.get(str(spec.name or ""), []) or cron_env.get(spec.line or 0, [])
            j = build_job(spec, rel, env, settings, used)
            jobs.append(j)
            fr.statements.append(StatementResult(
                file=rel, line=j.line, end_line=j.line, source=spec.command or "", kind=spec.kind,
                outputs=[f"kubernetes/{j.name}.yaml"] + ([f"prefect/manifests/{j.name}.yaml"] if j.run_once else []),
                notes=[Note("job", n) for n in j.notes], failures=[Note("job", m) for m in j.failures],
                rules=[spec.kind], constructs=j.constructs))
        report.files.append(fr)
    report.seconds = time.perf_counter() - start
    return report, jobs


RUN_SQL = '''"""Runs a translated Spark SQL script (migrate translate hive): statements end with ';' at line ends."""
import sys

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName(sys.argv[1].rsplit("/", 1)[-1]).enableHiveSupport().getOrCreate()
text = spark.sparkContext.wholeTextFiles(sys.argv[1]).values().first()
for statement in [s.strip() for s in text.split(";\\n") if s.strip()]:
    body = "\\n".join(ln for ln in statement.splitlines() if not ln.strip().startswith("--")).strip().rstrip(";")
    if body:
        spark.sql(body)
'''

K8S_JOBS = '''"""Prefect flow the generated deployments run: apply a run-once manifest (SparkApplication or Job) with
kubectl and wait for its end. Written by migrate translate jobs."""
import json
import subprocess
import time
from pathlib import Path

import yaml
from prefect import flow, get_run_logger

_DONE = {"SparkApplication": (".status.applicationState.state", {"COMPLETED"}, {"FAILED", "SUBMISSION_FAILED"}),
         "Job": (".status.conditions[*].type", {"Complete"}, {"Failed"})}


def _kubectl(*args: str) -> str:
    return subprocess.run(["kubectl", *args], check=True, capture_output=True, text=True).stdout


@flow(name="legacy-job")
def run_manifest(manifest: str, wait: bool = True, timeout_s: int = 6 * 3600) -> str:
    log = get_run_logger()
    path = Path(__file__).parent / manifest
    doc = yaml.safe_load(path.read_text())
    kind, name, ns = doc["kind"], doc["metadata"]["name"], doc["metadata"].get("namespace", "default")
    _kubectl("delete", kind.lower(), name, "-n", ns, "--ignore-not-found")
    _kubectl("apply", "-f", str(path))
    log.info("applied %s %s/%s", kind, ns, name)
    if not wait or kind not in _DONE:
        return "submitted"
    field, ok, bad = _DONE[kind]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = _kubectl("get", kind.lower(), name, "-n", ns, "-o", "jsonpath={" + field + "}")
        if any(s in state for s in ok):
            return "completed"
        if any(s in state for s in bad):
            raise RuntimeError(f"{kind} {ns}/{name} ended {state}: kubectl describe {kind.lower()} {name} -n {ns}")
        time.sleep(15)
    raise TimeoutError(f"{kind} {ns}/{name} still running after {timeout_s} s")
'''


def to_yaml(doc: Any) -> str:
    """YAML without anchors and aliases (kubectl reads them, people and some tools do not)."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False)


def write_outputs(jobs: list[JobOut], out: Path, work_pool: str = "kubernetes") -> list[Path]:
    from migrate.commands import write_output

    written = []
    for j in jobs:
        if j.kubernetes is not None:
            written.append(out / "kubernetes" / f"{j.name}.yaml")
            write_output(written[-1], to_yaml(j.kubernetes))
        if j.run_once is not None:
            written.append(out / "prefect" / "manifests" / f"{j.name}.yaml")
            write_output(written[-1], to_yaml(j.run_once))
    deployments = prefect_deployments(jobs, work_pool)
    write_output(out / "prefect" / "prefect.yaml", to_yaml(deployments))
    write_output(out / "prefect" / "k8s_jobs.py", K8S_JOBS)
    if any(j.command.kind == "hive" for j in jobs):
        write_output(out / "run_sql.py", RUN_SQL)
    return written
