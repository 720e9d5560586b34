"""Translation coverage report: JSON (the contract), Markdown (for reviews in git) and one self-contained
HTML page (inline CSS, no scripts or fetches, renders offline). Every note and failure carries file:line.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

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


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 8px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde}
table{border-collapse:collapse;width:100%;margin:6px 0} th,td{border:1px solid #dde;padding:4px 8px;
vertical-align:top;text-align:left} th{background:#f3f5fa} td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.card{border-radius:8px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:24px}.translated{background:#e5f6ea}.translated_with_notes{background:#fff5d6}
.unsupported{background:#fde4e4}.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:8px 0 16px}
.bar span{display:block}.bar .translated{background:#3aa35b}.bar .translated_with_notes{background:#e0b43a}
.bar .unsupported{background:#d64545} code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f7f8fb;padding:6px;margin:0;white-space:pre-wrap;max-height:18em;overflow:auto}
details{margin:4px 0} summary{cursor:pointer} .tag{font-size:12px;padding:1px 6px;border-radius:4px}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _joined(outputs: list[str]) -> str:
    return "".join(o + ";\n" for o in outputs) or "(nothing emitted)"


def to_html(report: Any, title: str = "HiveQL → Spark SQL translation") -> str:
    data = _data(report)
    s = data["summary"]
    n = max(s["statements"], 1)
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"]
    parts.append(f"<p>{s['statements']} statements in {s['files']} files, translated in {s['seconds']} s"
                 f" ({s['statements_per_second']} statements/s).</p><div class=cards>")
    for cls in CLASSES:
        parts.append(f"<div class='card {cls}'><b>{s[cls]}</b>{_LABEL[cls]} ({100 * s[cls] / n:.1f}%)</div>")
    if "spark_parse_failures" in s:
        parts.append(f"<div class=card><b>{s['spark_parse_failures']}</b>rejected by Spark's parser</div>")
    parts.append("</div><div class=bar>")
    for cls in CLASSES:
        parts.append(f"<span class={cls} style='width:{100 * s[cls] / n:.3f}%'></span>")
    parts.append("</div>")

    def table(title: str, rows: dict[str, dict[str, int]], head: str) -> None:
        parts.append(f"<h2>{_e(title)}</h2><table><tr><th>{_e(head)}</th>"
                     + "".join(f"<th>{_LABEL[c]}</th>" for c in CLASSES) + "</tr>")
        for name, c in rows.items():
            parts.append(f"<tr><td>{_e(name)}</td>" + "".join(f"<td class=n>{c[k]}</td>" for k in CLASSES)
                         + "</tr>")
        parts.append("</table>")

    table("Per file", {f["path"]: f["counts"] for f in data["files"]}, "file")
    table("By construct", data["by_construct"], "construct")
    table("By statement kind", data["by_kind"], "kind")
    parts.append("<h2>Unsupported and notes</h2><table><tr><th>where</th><th>class</th><th>rule</th>"
                 "<th>message</th></tr>")
    for where, cls, rule, msg in _findings(data):
        css = "unsupported" if cls == "unsupported" else "translated_with_notes"
        parts.append(f"<tr><td><code>{_e(where)}</code></td><td><span class='tag {css}'>{_e(cls)}</span></td>"
                     f"<td>{_e(rule)}</td><td>{_e(msg)}</td></tr>")
    parts.append("</table><h2>Statements</h2>")
    for f in data["files"]:
        parts.append(f"<h3>{_e(f['path'])}</h3>")
        for st in f["statements"]:
            parts.append(f"<details><summary><span class='tag {st['status']}'>{_LABEL[st['status']]}</span> "
                         f"<code>{_e(f['path'])}:{st['line']}</code> {_e(st['kind'])}</summary>"
                         f"<table><tr><th>HiveQL</th><th>Spark SQL</th></tr><tr><td><pre>{_e(st['source'])}"
                         f"</pre></td><td><pre>{_e(_joined(st['outputs']))}"
                         "</pre></td></tr></table></details>")
    parts.append("</body></html>")
    return "".join(parts)


def write_reports(report: Any, out_dir: str | Path, stem: str = "translation-report") -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "md": out / f"{stem}.md", "html": out / f"{stem}.html"}
    paths["json"].write_text(to_json(report), encoding="utf-8")
    paths["md"].write_text(to_markdown(report), encoding="utf-8")
    paths["html"].write_text(to_html(report), encoding="utf-8")
    return paths
