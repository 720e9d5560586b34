"""An editable migration plan from an inventory (``migrate plan init --from-inventory``).

Datasets keep their sniffed format options and schema (Hive DDL types win where a table is attached and
the column counts agree); targets follow a naming convention: Iceberg ``<db>.<table>`` for Hive tables,
Parquet ``<root>/<path>`` for the rest (``target_kind`` forces one). Jobs get the translator their kind
needs. Datasets that cannot be migrated as-is (unknown bytes, mixed formats) are listed as comments.

Re-running onto an existing plan: ``merge=True`` keeps every dataset and job already in it (human edits
win) and every top-level section except the lists, and adds what is new; otherwise an existing file is
only replaced with ``force=True``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from migrate.column_types import normalize
from migrate.errors import PlanError
from migrate.inventory.model import Dataset, HiveTable, Inventory, Job

PLAN_KINDS = {"csv", "tsv", "hive_text", "jsonl", "avro", "orc", "sequencefile", "parquet"}
TEXT_KINDS = {"csv", "tsv", "hive_text"}
ISO = re.compile(r"^R\d*/(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2})?[^/]*/(P1D|PT1H|P1W|PT24H)$")


def _name(text: str) -> str:
    n = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")
    return n or "item"


def iso_to_cron(schedule: str) -> str | None:
    """Chronos ``R/2024-01-01T02:00:00Z/P1D`` as cron (daily, hourly, weekly only)."""
    m = ISO.match(schedule)
    if not m:
        return None
    date, hh, mm, period = m.groups()
    if period in ("P1D", "PT24H"):
        return f"{int(mm)} {int(hh)} * * *"
    if period == "PT1H":
        return f"{int(mm)} * * * *"
    import datetime as dt

    dow = (dt.date.fromisoformat(date).weekday() + 1) % 7
    return f"{int(mm)} {int(hh)} * * {dow}"


def _source(root: Any) -> tuple[dict[str, Any], str]:
    """(the plan store of an inventory root, the root's folder inside that store).

    Stores with a folder of their own (local ``path``, S3 ``prefix``) take the root's folder; WebHDFS and
    JuiceFS stores start at the top of the filesystem, so the folder goes in front of each dataset path.
    """
    uri: str = root.uri
    opts = root.options
    if uri.startswith("file://") or "://" not in uri:
        return {"kind": "local", "path": uri.removeprefix("file://")}, ""
    parts = urlsplit(uri)
    folder = parts.path.strip("/")
    if parts.scheme in ("webhdfs", "hdfs"):
        out: dict[str, Any] = {"kind": "webhdfs", "url": opts.get("url") or f"http://{parts.netloc}"}
        if opts.get("user"):
            out["user"] = opts["user"]
        return out, folder
    creds = {k: opts[k] for k in ("access_key_id_env", "secret_access_key_env", "session_token_env", "profile")
             if opts.get(k)}
    if parts.scheme in ("s3", "s3a"):
        out = {"kind": "s3", "bucket": parts.netloc, "prefix": folder}
        if opts.get("endpoint_url"):
            out["endpoint"] = opts["endpoint_url"]
        if opts.get("region"):
            out["region"] = opts["region"]
        if creds:
            out["credentials"] = creds
        return out, ""
    if parts.scheme == "jfs":
        out = {"kind": "juicefs", "volume": parts.netloc}
        if opts.get("mount_path"):
            out["mount_path"] = opts["mount_path"]
        elif opts.get("endpoint_url"):
            out["gateway"] = {"endpoint": opts["endpoint_url"], **({"credentials": creds} if creds else {})}
        else:
            raise PlanError(f"root {root.name} ({uri}): a JuiceFS root needs option mount_path or endpoint_url")
        return out, folder
    raise PlanError(f"cannot express root {root.name} ({uri}) as a plan source")


def _plan_type(text: str) -> str | None:
    """The canonical plan type, or None when ``text`` is not one (e.g. Hive's varchar(10), uniontype)."""
    try:
        return normalize(text.strip())
    except ValueError:
        return None


def _columns(ds: Dataset, table: HiveTable | None, notes: list[str], dname: str) -> list[dict[str, Any]]:
    cols = []
    use_ddl = table is not None and len(table.columns) == len(ds.schema_)
    for i, c in enumerate(ds.schema_):
        typ = _plan_type(c.type) or "string"
        if use_ddl and table is not None:
            ddl_type = _plan_type(table.columns[i].type) or typ
            if ddl_type != typ and ds.format.kind in TEXT_KINDS and "<" in ddl_type:
                # Hive text keeps collections as \x02/\x03-separated text, which the delimited reader does
                # not split: declaring the DDL's nested type would fail every row.
                notes.append(f"dataset {dname}, column {c.name}: Hive type {ddl_type} kept as its text (string); "
                             "the delimited reader does not split Hive collection delimiters")
            else:
                typ = ddl_type
        col: dict[str, Any] = {"name": c.name, "type": typ}
        if not c.nullable and ds.rows_exact:
            col["nullable"] = False
        if c.note and typ == (_plan_type(c.type) or "string"):
            notes.append(f"dataset {dname}, column {c.note}")
        cols.append(col)
    return cols


def _format(ds: Dataset, table: HiveTable | None = None) -> dict[str, Any]:
    f = ds.format
    out: dict[str, Any] = {"kind": f.kind}
    if f.compression in ("none", "gzip", "bzip2", "zstd", "deflate", "snappy", "lz4"):
        out["compression"] = f.compression
    if f.kind in TEXT_KINDS:
        out["delimiter"] = f.delimiter
        out["header"] = bool(f.header)
        out["quote"] = f.quote
        out["null_marker"] = f.null_marker
        if table is not None and table.storage == "text":
            # Read the files the way Hive did: its serde decides quoting, NULL text and skipped header lines.
            serde = (table.serde or "").lower()
            out["quote"] = '"' if "opencsv" in serde else None
            if table.null_format is not None and "opencsv" not in serde:
                out["null_marker"] = table.null_format
            out["header"] = bool(f.header) or table.header_lines > 0
    if f.encoding and f.encoding != "utf-8" and f.kind in TEXT_KINDS | {"jsonl"}:
        out["encoding"] = f.encoding
    return out


def _job_target(job: Job, name: str) -> dict[str, str]:
    if job.kind == "dpark":
        return {"kind": "pyspark", "path": f"out/jobs/{name}.py"}
    if job.kind == "hive":
        return {"kind": "spark_sql", "path": f"out/jobs/{name}.sql"}
    if job.kind == "marathon":
        return {"kind": "spark_application", "path": f"out/k8s/{name}.yaml"}
    return {"kind": "prefect_deployment", "path": f"out/deployments/{name}.yaml"}


def plan_from_inventory(
    inv: Inventory,
    plan_path: Path,
    *,
    name: str = "migration",
    target_store: str = "lake",
    target_path: str = "./lake",
    target_kind: str = "auto",
) -> tuple[dict[str, Any], list[str]]:
    """(plan document, comment lines about what was left out)."""
    plan_dir = plan_path.resolve().parent
    notes: list[str] = []
    tables = {t.name: t for t in inv.hive_tables}
    doc: dict[str, Any] = {
        "version": 1,
        "name": re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "migration",
        "settings": {"state_dir": ".migrate"},
        "sources": {},
        "targets": {target_store: {"kind": "local", "path": target_path}},
        "datasets": [],
        "jobs": [],
    }
    folders: dict[str, str] = {}
    for r in inv.roots:
        doc["sources"][r.name], folders[r.name] = _source(r)
    used: set[str] = set()

    def unique(base: str) -> str:
        n, k = base, 2
        while n in used:
            n, k = f"{base}_{k}", k + 1
        used.add(n)
        return n

    for ds in sorted(inv.datasets, key=lambda d: (d.wave or 1, d.id)):
        if ds.format.kind not in PLAN_KINDS:
            notes.append(f"left out {ds.id}: format {ds.format.kind}")
            continue
        table = tables.get(ds.hive_table or "")
        base = ds.hive_table.split(".", 1)[1] if ds.hive_table else ds.path.rsplit("/", 1)[-1]
        dname = unique(_name(base))
        kind = target_kind if target_kind != "auto" else ("iceberg" if ds.hive_table else "parquet")
        if kind == "iceberg":
            tname = ds.hive_table or f"{_name(ds.root)}.{re.sub(r'[^A-Za-z0-9_]', '_', dname)}"
            target: dict[str, Any] = {"kind": "iceberg", "store": target_store, "table": tname}
        else:
            target = {"kind": kind, "store": target_store, "path": f"{ds.root}/{ds.path}".strip("/")}
        entry: dict[str, Any] = {
            "name": dname,
            # The path inside the store: below the root's folder where the store itself starts at the top.
            "source": {"store": ds.root, "path": "/".join(p for p in (folders.get(ds.root, ""), ds.path) if p)},
            "format": _format(ds, table),
        }
        if ds.schema_ and (ds.format.kind not in ("parquet", "orc", "avro")
                           or ds.format.details.get("schema_evolution")):
            # Self-describing files carry their schema, unless they disagree: then the union is declared,
            # so that every file lands in one table shape (missing columns null, ints widened).
            entry["schema"] = _columns(ds, table, notes, dname)
        if ds.partition_columns:
            entry["partition_columns"] = list(ds.partition_columns)
        entry["target"] = target
        entry["validation"] = [{"check": "row_count"}]
        entry["wave"] = ds.wave or 1
        doc["datasets"].append(entry)

    jused: set[str] = set()
    for job in sorted(inv.jobs, key=lambda j: (j.wave or 1, j.id)):
        stem = job.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        base = _name(f"{stem}-{job.line}" if job.kind == "cron" else (job.name or stem).strip("/").replace("/", "-"))
        jname, k = base, 2
        while jname in jused:
            jname, k = f"{base}_{k}", k + 1
        jused.add(jname)
        source = os.path.relpath(job.file, plan_dir) if job.file else job.path
        jentry: dict[str, Any] = {"name": jname, "kind": job.kind, "source": source}
        sched = job.schedule
        if sched and job.schedule_kind == "iso8601":
            cron = iso_to_cron(sched)
            if cron is None:
                notes.append(f"job {jname}: schedule {sched} has no cron equivalent; set one by hand")
            sched = cron
        if sched:
            jentry["schedule"] = sched
        jentry["target"] = _job_target(job, jname)
        jentry["wave"] = job.wave or 1
        doc["jobs"].append(jentry)
    return doc, notes


def merge_existing(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Keep the old plan's sections and entries (human edits); add entries it does not have."""
    out = dict(new)
    for key, value in old.items():
        if key not in ("datasets", "jobs"):
            out[key] = value
    for section in ("datasets", "jobs"):
        kept = list(old.get(section) or [])
        names = {e.get("name") for e in kept if isinstance(e, dict)}
        out[section] = kept + [e for e in new.get(section, []) if e["name"] not in names]
    return out


def render(doc: dict[str, Any], notes: list[str], source: str) -> str:
    head = [
        f"# Generated by `migrate plan init` from {source}. Edit freely: re-running with --merge keeps",
        "# existing datasets and jobs as they are and only adds new ones.",
    ]
    head += [f"# {n}" for n in notes]
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)
    return "\n".join(head) + "\n" + body


def write_plan(
    inv: Inventory, out: Path, *, source: str, force: bool = False, merge: bool = False, **kw: Any
) -> str:
    doc, notes = plan_from_inventory(inv, out, **kw)
    if out.exists():
        if merge:
            old = yaml.safe_load(out.read_text(encoding="utf-8")) or {}
            if not isinstance(old, dict):
                raise PlanError(f"{out}: not a plan (top level is not a mapping)")
            doc = merge_existing(doc, old)
        elif not force:
            raise PlanError(f"{out} exists: pass --merge to keep its edits and add new items, or --force")
    text = render(doc, notes, source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return text
