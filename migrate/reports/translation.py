"""Translation coverage report: JSON (the contract), Markdown (for reviews in git) and one self-contained
HTML page (inline CSS, no scripts or fetches, renders offline). Every note and failure carries file:line.
"""

from __future__ import annotations

import json
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


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Any, title: str = "HiveQL -> Spark SQL translation") -> str:
    data = _data(report)
    s = data["summary"]
    lines = [f"# {title}", ""]
    lines.append(f"{s['statements']} statements in {s['files']} files: **{s['translated']} translated**, "
                 f"**{s['translated_with_notes']} translated with notes**, **{s['unsupported']} unsupported** "
                 f"({s['translated_pct']}% translated; {s['unsupported_with_reason']} of {s['unsupported']} "
                 "unsupported carry a reason).")
    if "spark_parse_failures" in s:
        lines.append(f"Spark's parser checked every output: {s['spark_parse_failures']} rejected.")
    lines += ["", "## Per file", "", "| file | translated | with notes | unsupported |", "|---|---:|---:|---:|"]
    for f in data["files"]:
        c = f["counts"]
        lines.append(f"| {_md_escape(f['path'])} | {c['translated']} | {c['translated_with_notes']} | "
                     f"{c['unsupported']} |")
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
    n = max(s["statements"], 1)
    parts = [f"<p>{s['statements']} statements in {s['files']} files, translated in {s['seconds']} s"
             f" ({s['statements_per_second']} statements/s).</p>"]
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
    counts_table("By statement kind", data["by_kind"], "kind")
    parts.append("<h2>Unsupported and notes</h2>")
    parts.append(shell.table(
        ["where", "class", "rule", "message"],
        ([f"<code>{_e(where)}</code>",
          shell.tag(cls, "unsupported" if cls == "unsupported" else "translated_with_notes"), _e(rule), _e(msg)]
         for where, cls, rule, msg in _findings(data)), raw=True))
    parts.append("<h2>Statements</h2>")
    for f in data["files"]:
        parts.append(f"<h3>{_e(f['path'])}</h3>")
        for st in f["statements"]:
            parts.append(f"<details><summary>{shell.tag(_LABEL[st['status']], st['status'])} "
                         f"<code>{_e(f['path'])}:{st['line']}</code> {_e(st['kind'])}</summary>"
                         f"<table><tr><th>HiveQL</th><th>Spark SQL</th></tr><tr><td><pre>{_e(st['source'])}"
                         f"</pre></td><td><pre>{_e(_joined(st['outputs']))}"
                         "</pre></td></tr></table></details>")
    return shell.page(title, parts)


def write_reports(report: Any, out_dir: str | Path, stem: str = "translation-report") -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "md": out / f"{stem}.md", "html": out / f"{stem}.html"}
    paths["json"].write_text(to_json(report), encoding="utf-8")
    paths["md"].write_text(to_markdown(report), encoding="utf-8")
    paths["html"].write_text(to_html(report), encoding="utf-8")
    return paths
