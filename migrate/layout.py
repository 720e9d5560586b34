"""How a dataset lies on disk: which source files count, their partition folders, and the names the
copy gives their target files. Shared by the engine (which writes that layout) and the validators
(which read it back and must agree with the engine to the byte).

A source file's content version is ``version_key(uri, size, mtime)``; its converted parts are named
``part-<version>[-NNNNN].parquet``, so a target file names the source version it came from.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse

from migrate.errors import TerminalError
from migrate.storage.local import TMP_MARK

PART_RE = re.compile(r"^part-([0-9a-f]{16})(-\d{5})?\.parquet$")


def version_key(uri: str, size: int, mtime: float) -> str:
    """Names a content version; mtime in ns so sub-second rewrites count as changes."""
    raw = f"{uri}\0{size}\0{round(mtime * 1e9)}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def part_name(version: str, index: int, parts: int) -> str:
    return f"part-{version}.parquet" if parts == 1 else f"part-{version}-{index:05d}.parquet"


def part_version(name: str) -> str | None:
    """The source version a part file name carries (None: not one of our part names)."""
    m = PART_RE.match(name)
    return m.group(1) if m else None


def rel_path(root: str, uri: str) -> str:
    """``uri`` relative to the folder ``root``."""
    return uri[len(root.rstrip("/")):].lstrip("/")


def partition_values(rel: str, columns: list[str]) -> dict[str, str | None] | None:
    """Hive ``k=v`` folders of a relative path (``%XX`` unescaped, Hive's default partition is NULL)."""
    if not columns:
        return None
    found: dict[str, str | None] = {}
    for seg in rel.split("/")[:-1]:
        k, sep, v = seg.partition("=")
        if sep and k in columns:
            found[k] = None if v == "__HIVE_DEFAULT_PARTITION__" else urllib.parse.unquote(v)
    missing = [c for c in columns if c not in found]
    if missing:
        raise TerminalError(f"{rel}: no partition folder for {', '.join(missing)} (want k=v folders)")
    return found


def hidden(rel: str) -> bool:
    """Hadoop/Hive bookkeeping (_SUCCESS, _logs, .crc, .hive-staging) and our own temp files."""
    return any(seg.startswith(("_", ".")) for seg in rel.split("/")) or TMP_MARK in rel
