"""What every flow shares: retry only transient errors, artifact keys, run names, the progress sink."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migrate.errors import TransientError

# Progress bars belong to the calling terminal, not to a flow parameter (which must serialise):
# the CLI installs a sink for the duration of an in-process flow run.
_progress: Any = None


@contextmanager
def progress_to(sink: Any) -> Iterator[None]:
    global _progress
    previous, _progress = _progress, sink
    try:
        yield
    finally:
        _progress = previous


def progress() -> Any:
    return _progress


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: retry a task only when it raised a TransientError (the error kinds decide)."""
    try:
        state.result()
    except TransientError:
        return True
    except Exception:
        return False
    return False


def retry_delays() -> list[float]:
    """Backoff between task attempts; ``MIGRATE_TASK_RETRY_DELAYS=0,0,0`` shortens it (tests)."""
    raw = os.environ.get("MIGRATE_TASK_RETRY_DELAYS", "")
    try:
        return [float(x) for x in raw.split(",")] if raw.strip() else [5, 30, 120]
    except ValueError:
        return [5, 30, 120]


def key(*parts: str) -> str:
    """An artifact key: lowercase letters, digits and dashes only (Prefect's rule)."""
    raw = "-".join(parts).lower()
    return "-".join(filter(None, "".join(c if c.isalnum() else "-" for c in raw).split("-")))


def plan_name(plan_path: str) -> str:
    """The ``name:`` of a plan file for run names; its file stem when it cannot be read."""
    try:
        from migrate.plan import load_plan

        return load_plan(plan_path).name
    except Exception:
        return Path(plan_path).stem


def param(name: str, default: Any = None) -> Any:
    """A parameter of the flow or task run being named (for flow_run_name / task_run_name callables)."""
    from prefect.runtime import flow_run

    return (flow_run.parameters or {}).get(name, default)


def waves_label(waves: list[int] | None) -> str:
    return "all waves" if not waves else ("wave " if len(waves) == 1 else "waves ") + ",".join(map(str, waves))
