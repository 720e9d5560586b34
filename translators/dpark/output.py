"""Where translations go: ``OUT/<path relative to the given folder>.py``, plus ``OUT/dparkcompat.py`` (the
compatibility module the jobs import) once for the whole output."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from migrate.commands import write_output

from .base import COMPAT
from .translate import DparkFile


def relative_output(src: Path, roots: Iterable[Path]) -> Path:
    src = src.resolve()
    for r in roots:
        r = r.resolve()
        if r.is_dir() and src.is_relative_to(r):
            return src.relative_to(r)
    return Path(src.name)


def compat_source() -> str:
    return (Path(__file__).parent / "compat.py").read_text(encoding="utf-8")


def write_translations(files: list[DparkFile], roots: Iterable[Path], out: Path) -> None:
    roots = list(roots)
    for f in files:
        dest = out / relative_output(Path(f.path), roots)
        write_output(dest, f.source)
        f.result.output_path = str(dest)
    if any(f.uses_compat for f in files):
        write_output(out / f"{COMPAT}.py", compat_source())
