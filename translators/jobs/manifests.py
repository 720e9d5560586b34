"""Kubernetes manifests for one legacy job: spark-on-k8s-operator ``SparkApplication`` (or
``ScheduledSparkApplication``) v1beta2 for Spark jobs, ``Deployment`` / ``CronJob`` for other commands.

Resources come from the Mesos task (cpus, mem in MB, instances) and DPark's flags; environment variables are
kept, and any that look like credentials (or Marathon secrets) become ``secretKeyRef``s to a Secret: a secret
value is never written into a manifest.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

SPARK_API = "sparkoperator.k8s.io/v1beta2"
_SECRET_NAME = re.compile(r"(PASS|PASSWD|PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY$|ACCESS_KEY|API_KEY)", re.I)
_DNS = re.compile(r"[^a-z0-9-]+")


@dataclass
class Target:
    """Where translated jobs live and run (the ``translate jobs`` options)."""

    namespace: str = "data-jobs"
    spark_image: str = "apache/spark:4.0.0-python3"
    spark_version: str = "4.0.0"
    image: str = "debian:12-slim"  # for plain commands whose spec names no image
    jobs_uri: str = "local:///opt/migrate/jobs"  # where translated DPark jobs and dparkcompat.py are
    service_account: str = "spark"
    secret_name: str = "legacy-job-secrets"


@dataclass
class EnvVar:
    name: str
    value: str | None = None
    secret: str | None = None  # Secret name
    secret_key: str | None = None


@dataclass
class Resources:
    cpus: float | None = None
    mem_mb: float | None = None
    instances: int | None = None


@dataclass
class Built:
    manifests: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    secrets: set[tuple[str, str]] = field(default_factory=set)  # (Secret name, key) the manifests reference


def k8s_name(text: str, limit: int = 52) -> str:
    """A DNS-1123 label from a job name (CronJob names may have at most 52 characters)."""
    name = _DNS.sub("-", text.lower().replace("_", "-").replace(".", "-")).strip("-")
    name = re.sub(r"-+", "-", name)[:limit].strip("-")
    return name or "job"


def secret_env(name: str, value: str | None, target: Target) -> EnvVar:
    if value is not None and not _SECRET_NAME.search(name):
        return EnvVar(name, value=value)
    return EnvVar(name, secret=target.secret_name, secret_key=k8s_name(name, 253))


def _env_list(env: list[EnvVar], built: Built) -> list[dict[str, Any]]:
    out = []
    for e in env:
        if e.secret:
            built.secrets.add((e.secret, e.secret_key or e.name))
            out.append({"name": e.name, "valueFrom": {"secretKeyRef": {"name": e.secret, "key": e.secret_key}}})
        else:
            out.append({"name": e.name, "value": e.value or ""})
    return out


def _memory(mb: float | None) -> str | None:
    return f"{max(1, round(mb))}Mi" if mb else None


def _cpu(cpus: float | None) -> str | None:
    if not cpus:
        return None
    milli = round(cpus * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def _labels(job: str, kind: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": job, "app.kubernetes.io/managed-by": "migrate",
            "migrate/legacy-scheduler": kind}


def spark_application(name: str, *, legacy_kind: str, main_file: str, arguments: list[str], target: Target,
                      res: Resources, executor: dict[str, Any], spark_conf: dict[str, str], env: list[EnvVar],
                      py_files: list[str], cron: str | None, timezone: str, restart: str, built: Built,
                      main_class: str | None = None) -> dict[str, Any]:
    driver: dict[str, Any] = {"cores": max(1, round(res.cpus or 1)),
                              "memory": f"{max(512, round(res.mem_mb or 1024))}m",
                              "serviceAccount": target.service_account, "labels": _labels(name, legacy_kind)}
    if res.cpus and res.cpus != round(res.cpus):
        driver["coreLimit"] = _cpu(res.cpus)
    ex = {"cores": int(executor.get("cores", 1)), "instances": int(executor.get("instances", 2)),
          "memory": str(executor.get("memory", "1024m")), "labels": _labels(name, legacy_kind)}
    env_list = _env_list(env, built)
    if env_list:
        driver["env"] = env_list
        ex["env"] = env_list
    conf = {"spark.executorEnv.PYTHONHASHSEED": "0",  # Python 2 hashed str alike in every process
            "spark.hadoop.mapreduce.input.fileinputformat.input.dir.recursive": "true", **spark_conf}
    spec: dict[str, Any] = {
        "type": "Scala" if main_class else "Python", "mode": "cluster", "image": target.spark_image,
        "sparkVersion": target.spark_version, "mainApplicationFile": main_file, "arguments": arguments,
        "sparkConf": conf, "restartPolicy": {"type": restart}, "driver": driver, "executor": ex,
    }
    if main_class:
        spec["mainClass"] = main_class
    else:
        spec["pythonVersion"] = "3"
    if py_files:
        spec["deps"] = {"pyFiles": py_files}
    meta = {"name": name, "namespace": target.namespace, "labels": _labels(name, legacy_kind)}
    if cron is None:
        return {"apiVersion": SPARK_API, "kind": "SparkApplication", "metadata": meta, "spec": spec}
    return {"apiVersion": SPARK_API, "kind": "ScheduledSparkApplication", "metadata": meta,
            "spec": {"schedule": cron, "timeZone": timezone, "concurrencyPolicy": "Forbid",
                     "successfulRunHistoryLimit": 3, "failedRunHistoryLimit": 5, "template": spec}}


def _container(name: str, command: str, image: str, res: Resources, env: list[EnvVar],
               built: Built) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name[:63], "image": image, "command": ["/bin/sh", "-c", command]}
    requests = {k: v for k, v in (("cpu", _cpu(res.cpus)), ("memory", _memory(res.mem_mb))) if v}
    if requests:
        c["resources"] = {"requests": requests, "limits": {k: v for k, v in requests.items() if k == "memory"}}
    env_list = _env_list(env, built)
    if env_list:
        c["env"] = env_list
    return c


def deployment(name: str, *, legacy_kind: str, command: str, image: str, res: Resources, env: list[EnvVar],
               target: Target, built: Built) -> dict[str, Any]:
    labels = _labels(name, legacy_kind)
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": target.namespace, "labels": labels},
            "spec": {"replicas": int(res.instances or 1), "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [_container(name, command, image, res, env, built)]}}}}


def cron_job(name: str, *, legacy_kind: str, command: str, image: str, res: Resources, env: list[EnvVar],
             cron: str, timezone: str, target: Target, built: Built) -> dict[str, Any]:
    labels = _labels(name, legacy_kind)
    pod = {"metadata": {"labels": labels},
           "spec": {"restartPolicy": "Never", "containers": [_container(name, command, image, res, env, built)]}}
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": target.namespace, "labels": labels},
            "spec": {"schedule": cron, "timeZone": timezone, "concurrencyPolicy": "Forbid",
                     "jobTemplate": {"spec": {"backoffLimit": 2, "template": pod}}}}


def job(name: str, *, legacy_kind: str, command: str, image: str, res: Resources, env: list[EnvVar],
        target: Target, built: Built) -> dict[str, Any]:
    """A run-once Kubernetes Job (a Chronos child started by its parents' completion)."""
    labels = _labels(name, legacy_kind)
    pod = {"metadata": {"labels": labels},
           "spec": {"restartPolicy": "Never", "containers": [_container(name, command, image, res, env, built)]}}
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": target.namespace, "labels": labels},
            "spec": {"backoffLimit": 2, "template": pod}}


def shell_join(args: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in args)
