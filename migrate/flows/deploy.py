"""Deployments of a plan (a scheduled incremental re-sync until cutover) and the process that serves them.

``apply`` registers the deployments with the Prefect server and records them in the project's registry
(``PREFECT_HOME/migrate-deployments.json``); ``serve`` (``migrate worker``) builds them again from that
registry and runs their scheduled (or manually started) flow runs, each in a process of its own.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

REGISTRY = "migrate-deployments.json"


def registry_path(home: Path) -> Path:
    return home / REGISTRY


def read_registry(home: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(registry_path(home).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return list(data.get("deployments", []))


def _write_registry(home: Path, entries: list[dict[str, Any]]) -> None:
    path = registry_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"deployments": entries}, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def deployment_name(plan_name: str) -> str:
    return f"resync-{plan_name}"


def build(entry: dict[str, Any]) -> Any:
    """The RunnerDeployment of one registry entry (``plan_path``, ``plan``, ``every`` seconds or ``cron``)."""
    from prefect.types.entrypoint import EntrypointType

    from migrate.flows.resync import resync_flow

    schedule: dict[str, Any] = {}
    if entry.get("cron"):
        schedule["cron"] = entry["cron"]
    elif entry.get("every"):
        schedule["interval"] = timedelta(seconds=float(entry["every"]))
    return resync_flow.to_deployment(
        name=deployment_name(entry["plan"]), parameters={"plan_path": entry["plan_path"]},
        tags=["migrate", f"plan:{entry['plan']}"], entrypoint_type=EntrypointType.MODULE_PATH,
        description=f"Incremental re-sync of plan {entry['plan']} ({entry['plan_path']}) until each wave is cut "
                    "over; served by `migrate worker`", **schedule)


def apply(home: Path, plan_path: str, plan: str, every: float | None, cron: str | None) -> tuple[str, Any]:
    """Register (or update) the plan's deployment; returns (``flow/deployment`` name, deployment id)."""
    entry = {"plan_path": plan_path, "plan": plan, "every": every, "cron": cron}
    deployment_id = build(entry).apply()
    entries = [e for e in read_registry(home) if e["plan_path"] != plan_path] + [entry]
    _write_registry(home, entries)
    return f"migrate-resync/{deployment_name(plan)}", deployment_id


def serve(home: Path, *, run_once: bool = False) -> int:
    """Serve every registered deployment (blocks; ``run_once``: one poll, run what is due, return)."""
    import asyncio

    from prefect.runner import Runner

    entries = read_registry(home)
    if not entries:
        return 0
    runner = Runner(name="migrate-worker", query_seconds=5)
    for entry in entries:
        runner.add_deployment(build(entry))
    asyncio.run(runner.start(run_once=run_once))
    return len(entries)
