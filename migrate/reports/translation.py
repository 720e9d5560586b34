"""Translation coverage report, one format for every translator (hive, dpark, jobs): JSON (the contract),
Markdown (for reviews in git) and one self-contained HTML page (inline CSS, no scripts or fetches, renders
offline). Every note and failure carries file:line.

The JSON of each translator has the Hive report's shape (``summary``, ``files[].statements[]``...). A translator
whose units are not statements says so with ``unit`` ("construct", "job"), and may give ``title``, ``languages``
(the two column heads of the side-by-side view) and a file-level ``status``; the Hive report gives none of them
and renders as before.

``record_translation`` keeps, per plan, the latest translation of every source file in
``STATE_DIR/translations/<kind>.json`` (what ``migrate cutover``'s "translated" gate reads).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from migrate.reports import html as shell
from migrate.reports.html import e as _e

CLASSES = ("translated", "translated_with_notes", "unsupported")
_LABEL = {"translated": "translated", "translated_with_notes": "with notes", "unsupported": "unsupported"}


def _data(report: Any) -> dict[str, Any]:
    return report if isinstance(report, dict) else report.to_dict()


def to_json(report: Any) -> str:
    return json.dumps(_data(report), indent=2, sort_keys=False)


def _findings(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(where, status, rule, message) for every note and failure, in file order."""
    out = []
    for f in data["files"]:
        for s in f["statements"]:
            where = f"{f['path']}:{s['line']}"
            for n in s["failures"]:
                out.append((where, "unsupported", n["rule"], n["message"]))
            for n in s["notes"]:
                out.append((where, "note", n["rule"], n["message"]))
    return out


def _unit(data: dict[str, Any]) -> tuple[str, str]:
    unit = data.get("unit", "statement")
    return unit, unit + "s"


def _title(data: dict[str, Any], default: str) -> str:
    return str(data.get("title") or default)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Any, title: str = "HiveQL -> Spark SQL translation") -> str:
    data = _data(report)
    s = data["summary"]
    _, units = _unit(data)
    lines = [f"# {_title(data, title)}", ""]
    lines.append(f"{s['statements']} {units} in {s['files']} files: **{s['translated']} translated**, "
                 f"**{s['translated_with_notes']} translated with notes**, **{s['unsupported']} unsupported** "
                 f"({s['translated_pct']}% translated; {s['unsupported_with_reason']} of {s['unsupported']} "
                 "unsupported carry a reason).")
    if "spark_parse_failures" in s:
        lines.append(f"Spark's parser checked every output: {s['spark_parse_failures']} rejected.")
    if "files_by_status" in s:
        fs = s["files_by_status"]
        lines.append(f"Files: {fs['translated']} translated, {fs['translated_with_notes']} with notes, "
                     f"{fs['unsupported']} unsupported ({s.get('files_per_second')} files/s).")
    with_status = any("status" in f for f in data["files"])
    lines += ["", "## Per file", "", "| file | translated | with notes | unsupported |"
              + (" file status |" if with_status else ""), "|---|---:|---:|---:|" + ("---|" if with_status else "")]
    for f in data["files"]:
        c = f["counts"]
        lines.append(f"| {_md_escape(f['path'])} | {c['translated']} | {c['translated_with_notes']} | "
                     f"{c['unsupported']} |" + (f" {_LABEL[f['status']]} |" if with_status else ""))
    lines += ["", "## By construct", "", "| construct | translated | with notes | unsupported |",
              "|---|---:|---:|---:|"]
    for name, c in data["by_construct"].items():
        lines.append(f"| {name} | {c['translated']} | {c['translated_with_notes']} | {c['unsupported']} |")
    lines += ["", "## Unsupported and notes", "", "| where | class | rule | message |", "|---|---|---|---|"]
    for where, cls, rule, msg in _findings(data):
        lines.append(f"| {_md_escape(where)} | {cls} | {rule} | {_md_escape(msg)} |")
    return "\n".join(lines) + "\n"


def _joined(outputs: list[str]) -> str:
    return "".join(o + ";\n" for o in outputs) or "(nothing emitted)"


def to_html(report: Any, title: str = "HiveQL → Spark SQL translation") -> str:
    data = _data(report)
    s = data["summary"]
    unit, units = _unit(data)
    n = max(s["statements"], 1)
    speed = (f"{s['files_per_second']} files/s" if s.get("files_per_second") is not None
             else f"{s['statements_per_second']} {units}/s")
    parts = [f"<p>{s['statements']} {units} in {s['files']} files, translated in {s['seconds']} s ({speed}).</p>"]
    if "files_by_status" in s:
        fs = s["files_by_status"]
        parts.append(f"<p>Files: {fs['translated']} translated, {fs['translated_with_notes']} with notes, "
                     f"{fs['unsupported']} unsupported.</p>")
    counts = [(f"{_LABEL[c]} ({100 * s[c] / n:.1f}%)", s[c], c) for c in CLASSES]
    if "spark_parse_failures" in s:
        counts.append(("rejected by Spark's parser", s["spark_parse_failures"], "info"))
    parts.append(shell.cards(counts))
    parts.append(shell.bar((c, 100 * s[c] / n) for c in CLASSES))

    def counts_table(title: str, rows: dict[str, dict[str, int]], head: str) -> None:
        parts.append(f"<h2>{_e(title)}</h2>")
        parts.append(shell.table([head, *(_LABEL[c] for c in CLASSES)],
                                 ([name, *(c[k] for k in CLASSES)] for name, c in rows.items()),
                                 numeric=range(1, 1 + len(CLASSES))))

    counts_table("Per file", {f["path"]: f["counts"] for f in data["files"]}, "file")
    counts_table("By construct", data["by_construct"], "construct")
    counts_table(f"By {unit} kind", data["by_kind"], "kind")
    parts.append("<h2>Unsupported and notes</h2>")
    parts.append(shell.table(
        ["where", "class", "rule", "message"],
        ([f"<code>{_e(where)}</code>",
          shell.tag(cls, "unsupported" if cls == "unsupported" else "translated_with_notes"), _e(rule), _e(msg)]
         for where, cls, rule, msg in _findings(data)), raw=True))
    parts.append(f"<h2>{_e(units.capitalize())}</h2>")
    old, new = data.get("languages") or ("HiveQL", "Spark SQL")
    joined = _joined if unit == "statement" else (lambda outs: "\n".join(outs) or "(nothing emitted)")
    for f in data["files"]:
        status = f" {shell.tag(_LABEL[f['status']], f['status'])}" if "status" in f else ""
        parts.append(f"<h3>{_e(f['path'])}{status}</h3>")
        for st in f["statements"]:
            label = ", ".join(st.get("constructs") or []) or st["kind"]
            parts.append(f"<details><summary>{shell.tag(_LABEL[st['status']], st['status'])} "
                         f"<code>{_e(f['path'])}:{st['line']}</code> {_e(label)}</summary>"
                         f"<table><tr><th>{_e(old)}</th><th>{_e(new)}</th></tr><tr><td><pre>{_e(st['source'])}"
                         f"</pre></td><td><pre>{_e(joined(st['outputs']))}"
                         "</pre></td></tr></table></details>")
    return shell.page(_title(data, title), parts)


def write_reports(report: Any, out_dir: str | Path, stem: str = "translation-report") -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "md": out / f"{stem}.md", "html": out / f"{stem}.html"}
    paths["json"].write_text(to_json(report), encoding="utf-8")
    paths["md"].write_text(to_markdown(report), encoding="utf-8")
    paths["html"].write_text(to_html(report), encoding="utf-8")
    return paths


# ---------------------------------------------------------------- per-plan record of translations

def _file_status(f: dict[str, Any]) -> str:
    if "status" in f:
        return str(f["status"])
    c = f["counts"]
    if c["unsupported"]:
        return "unsupported"
    return "translated_with_notes" if c["translated_with_notes"] else "translated"


def record_translation(state_dir: str | Path, kind: str, report: Any, base: str | Path | None = None) -> Path:
    """Merge this translation into ``STATE_DIR/translations/<kind>.json``: one entry per source file, keyed by
    its resolved absolute path; a later translation of the same file replaces its entry. Written atomically.

    Entry: ``path`` and ``abs_path`` (the resolved absolute path), ``given_path`` (as given on the command
    line), ``status`` (translated | translated_with_notes | unsupported), ``counts`` (per status),
    ``output_path``, ``translated_at`` (epoch seconds)."""
    data = _data(report)
    target = Path(state_dir) / "translations" / f"{kind}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
        entries = {e["abs_path"]: e for e in doc.get("files", [])}
    except (OSError, ValueError, KeyError, TypeError):
        entries = {}
    now = round(time.time(), 3)
    root = Path(base) if base is not None else Path.cwd()
    for f in data["files"]:
        abs_path = str((root / f["path"]).resolve())
        entries[abs_path] = {"path": abs_path, "abs_path": abs_path, "given_path": f["path"],
                             "status": _file_status(f),
                             "counts": f["counts"], "output_path": f.get("output_path"), "translated_at": now}
    doc = {"kind": kind, "version": 1, "files": sorted(entries.values(), key=lambda e: e["abs_path"])}
    fd, tmp = tempfile.mkstemp(prefix=f".{kind}.", suffix=".json", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, target)
    return target
