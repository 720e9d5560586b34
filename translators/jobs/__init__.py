"""Mesos-era job specs (Marathon, Chronos, Aurora, crontab) -> spark-on-k8s-operator SparkApplication /
ScheduledSparkApplication (v1beta2), Kubernetes Deployment / CronJob / Job, and Prefect deployments."""

from .manifests import Target
from .translate import JobOut, JobsReport, Settings, translate_specs, write_outputs

__all__ = ["JobOut", "JobsReport", "Settings", "Target", "translate_specs", "write_outputs"]
