"""Shared helpers of the ``migrate`` commands: atomic output files and one-line error text."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from migrate.errors import MigrateError, OutputError, PlanError


def os_reason(exc: OSError) -> str:
    """``strerror`` without the ``[Errno N]`` noise (the path is named by the caller)."""
    return exc.strerror or str(exc)


def ensure_dir(path: Path, what: str = "output folder") -> None:
    """``mkdir -p`` that names the folder (and the reason) when it cannot be made."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file, not a folder; choose another {what}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the {what}: {os_reason(exc)}") from None


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same folder + rename): a crash or a full
    disk never leaves a half-written file under the final name. Errors name the path."""
    ensure_dir(path.parent if str(path.parent) else Path("."))
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")  # created with the usual umask permissions
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write: {os_reason(exc)}") from None
        raise


@contextlib.contextmanager
def plan_command_errors(plan: Path, console: Any) -> Iterator[None]:
    """A command over a plan: a broken plan prints every problem and exits 2, another expected failure
    prints ``error: ...`` and exits 1 (no traceback)."""
    import typer

    try:
        yield
    except PlanError as exc:
        for p in exc.problems or [str(exc)]:
            console.print(p, markup=False, highlight=False, soft_wrap=True)
        console.print(f"error: {plan}: fix the plan (`migrate plan check {plan}` lists every problem)",
                      markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    except MigrateError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
