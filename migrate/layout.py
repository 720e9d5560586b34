"""How a dataset lies on disk: which source files count, their partition folders, and the names the
copy gives their target files. Shared by the engine (which writes that layout) and the validators
(which read it back and must agree with the engine to the byte).

A source file's content version is ``version_key(uri, size, mtime)``; its converted parts are named
``part-<version>-<settings>[-NNNNN].parquet``, so a target file names the source version it came from and
the conversion settings it was converted with (``conversion_key``: the first 8 hex digits). Parts written
before settings were recorded are named ``part-<version>[-NNNNN].parquet``; both spellings are ours.

The conversion settings of a dataset are exactly the plan values that change the converted data
(``conversion_settings``): the target kind, the source format's parsing options, the declared schema and
the partition columns. Writer options (codec, level, row group size, dictionary) are engine options that
change the encoding, not the values, and are left out: changing them does not re-convert anything.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from typing import Any

from migrate.errors import TerminalError
from migrate.storage.local import TMP_MARK

PART_RE = re.compile(r"^part-([0-9a-f]{16})(?:-([0-9a-f]{8}))?(-\d{5})?\.parquet$")
# Bumped when the converter itself changes what it writes for the same settings (forces a re-conversion).
CONVERSION_FORMAT = 1


def version_key(uri: str, size: int, mtime: float) -> str:
    """Names a content version; mtime in ns so sub-second rewrites count as changes."""
    raw = f"{uri}\0{size}\0{round(mtime * 1e9)}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def part_name(version: str, index: int, parts: int, conversion: str | None = None) -> str:
    stem = f"part-{version}-{conversion[:8]}" if conversion else f"part-{version}"
    return f"{stem}.parquet" if parts == 1 else f"{stem}-{index:05d}.parquet"


def commit_key(version: str, conversion: str | None) -> str:
    """The key an Iceberg snapshot records for a file's version converted with ``conversion`` (the part token)."""
    return f"{version}-{conversion[:8]}" if conversion else version


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


# -- conversion settings ------------------------------------------------------------------------
def conversion_settings(ds: Any) -> dict[str, Any]:
    """The plan values of dataset ``ds`` that change its converted data, as plain JSON values.

    A copy (bytes as-is) depends on nothing but its kind. Source compression is left out (gzip or not,
    the decompressed rows are the same), as are names and places (store, path, table) and checks.
    """
    kind = str(ds.target.kind)
    if kind == "copy":
        return {"v": CONVERSION_FORMAT, "target": kind}
    fmt = ds.format
    fmt_d = fmt.model_dump(mode="json", exclude={"compression"}) if fmt is not None else None
    schema = [c.model_dump(mode="json") for c in ds.schema] if ds.schema is not None else None
    return {"v": CONVERSION_FORMAT, "target": kind, "format": fmt_d, "schema": schema,
            "partition_columns": list(ds.partition_columns or [])}


def canonical_json(settings: dict[str, Any]) -> str:
    return json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def conversion_key(ds_or_settings: Any) -> str:
    """16 hex digits naming a dataset's conversion settings (a DatasetSpec or ``conversion_settings``)."""
    settings = ds_or_settings if isinstance(ds_or_settings, dict) else conversion_settings(ds_or_settings)
    return hashlib.sha256(canonical_json(settings).encode()).hexdigest()[:16]


def _show(v: Any) -> str:
    return "none" if v is None else json.dumps(v, ensure_ascii=False)


def _schema_changes(old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None) -> list[str]:
    if old is None and new is None:
        return []
    if old is None:
        return ["declared (was inferred)"]
    if new is None:
        return ["inferred (was declared)"]
    before = {c["name"]: c for c in old}
    after = {c["name"]: c for c in new}
    out: list[str] = []
    for name, c in after.items():
        o = before.get(name)
        if o is None:
            out.append(f"column {name} added ({c['type']})")
            continue
        if o["type"] != c["type"]:
            out.append(f"column {name} {o['type']} -> {c['type']}")
        if o.get("nullable", True) != c.get("nullable", True):
            out.append(f"column {name} {'nullable' if c.get('nullable', True) else 'not null'}")
    out += [f"column {name} removed" for name in before if name not in after]
    if not out and [c["name"] for c in old] != [c["name"] for c in new]:
        out.append("columns reordered")
    return out


def describe_change(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """What changed between two ``conversion_settings``, e.g. ``schema: column x bigint -> string``."""
    if old is None:
        return "earlier settings not recorded"
    parts: list[str] = []
    if old.get("target") != new.get("target"):
        parts.append(f"target: {old.get('target')} -> {new.get('target')}")
    else:
        if old.get("v") != new.get("v"):
            parts.append(f"converter format {old.get('v')} -> {new.get('v')}")
        of, nf = old.get("format") or {}, new.get("format") or {}
        fmt = [f"{k} {_show(of.get(k))} -> {_show(nf.get(k))}" for k in sorted(set(of) | set(nf))
               if of.get(k) != nf.get(k)]
        if fmt:
            parts.append("format: " + ", ".join(fmt))
        schema = _schema_changes(old.get("schema"), new.get("schema"))
        if schema:
            parts.append("schema: " + ", ".join(schema))
        if old.get("partition_columns") != new.get("partition_columns"):
            parts.append(f"partition_columns: {_show(old.get('partition_columns'))} -> "
                         f"{_show(new.get('partition_columns'))}")
    return "; ".join(parts) or "settings differ"
