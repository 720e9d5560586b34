"""Validation report: one self-contained HTML page (the shared shell: inline CSS, no scripts, no fetches),
the JSON machines read (every dataset's verdict, docs/validation.md) and a Markdown summary (the Prefect
artifact). Each dataset's verdict and its reasons come first, details below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrate.reports import html as shell
from migrate.reports.html import e as _e

REPORT_NAMES = {"html": "validation.html", "json": "validation.json", "md": "validation.md"}
_CSS = {"pass": "pass", "fail": "fail", "error": "fail", "skipped": "info", "none": "info"}
_FINDINGS_SHOWN = 200  # per dataset in the HTML page (the JSON has them all)


def report_paths(folder: Path) -> dict[str, str]:
    """Where a run's reports go inside ``folder``."""
    return {kind: str(folder / name) for kind, name in REPORT_NAMES.items()}


def to_json(run: dict[str, Any]) -> str:
    return json.dumps(run, indent=2, default=str, ensure_ascii=False) + "\n"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _where(f: dict[str, Any]) -> str:
    """``file line N`` / ``target_file row N`` / partition: the most precise location a finding has."""
    parts = []
    if f.get("file"):
        pos = (f" line {f['line']}" if f.get("line") is not None else
               f" record {f['record']}" if f.get("record") is not None else "")
        parts.append(f"{f['file']}{pos}")
    if f.get("target_file"):
        row = f" row {f['target_row']}" if f.get("target_row") is not None else ""
        parts.append(f"target {f['target_file']}{row}")
    if not parts and f.get("partition"):
        parts.append(f"partition {f['partition']}")
    return "; ".join(parts)


def to_markdown(run: dict[str, Any]) -> str:
    ds = run["datasets"]
    passed = sum(1 for d in ds if d["verdict"] == "pass")
    lines = [f"# Validation of plan {run['plan']}", "",
             f"**{passed} of {len(ds)} dataset(s) pass** (checked {run['checked_at']}).", "",
             "| dataset | verdict | source rows | quarantined | target rows | findings | why |",
             "|---|---|---:|---:|---:|---:|---|"]
    for d in ds:
        r = d.get("rows") or {}
        why = _md(d["reasons"][0] if d["reasons"] else "")
        lines.append(f"| {_md(d['dataset'])} | **{d['verdict']}** | {r.get('source', '-')} | "
                     f"{r.get('quarantined', '-')} | {r.get('target', '-')} | "
                     f"{len(d['findings']) + d.get('findings_omitted', 0)} | {why} |")
    for d in ds:
        if d["verdict"] == "pass":
            continue
        lines += ["", f"## {d['dataset']}: {d['verdict']}", ""]
        lines += [f"- {_md(r)}" for r in d["reasons"]]
        if d["findings"]:
            lines += ["", "| check | where | finding |", "|---|---|---|"]
            for f in d["findings"][:20]:
                lines.append(f"| {f['check']} | {_md(_where(f))} | {_md(f['message'])} |")
            more = len(d["findings"]) - 20 + d.get("findings_omitted", 0)
            if more > 0:
                lines.append(f"| | | ... and {more} more (see the HTML / JSON report) |")
    reports = run.get("reports") or {}
    if reports.get("html"):
        lines += ["", f"Full report: {reports['html']} (JSON: {reports.get('json')})"]
    return "\n".join(lines) + "\n"


def _dataset_html(d: dict[str, Any]) -> str:
    out = [f"<h2 id='{_e(d['dataset'])}'>{_e(d['dataset'])} {shell.tag(d['verdict'], _CSS[d['verdict']])}</h2>"]
    out.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in d["reasons"]) + "</ul>")
    if d.get("error"):
        out.append(f"<p class=fail>{_e(d['error'])}</p>")
    r = d.get("rows") or {}
    inc = d.get("incremental") or {}
    cards = [("source rows", f"{r.get('source', 0):,}", "info"), ("quarantined", f"{r.get('quarantined', 0):,}",
             "warn" if r.get("quarantined") else "info"), ("target rows", f"{r.get('target', 0):,}",
             "pass" if r.get("target") == r.get("expected_target") else "fail"),
             ("findings", len(d["findings"]) + d.get("findings_omitted", 0), "fail" if d["findings"] else "pass")]
    out.append(shell.cards(cards) if r else "")
    out.append(f"<p class=muted>source {_e(d.get('source'))} &rarr; {_e(d.get('target_kind'))} {_e(d.get('target'))}"
               f"; checked {_e(d['checked_at'])} in {d.get('duration_seconds', 0)} s; ledger "
               f"{_e(d['ledger_fingerprint'][:23])}&hellip;"
               + (f"; re-read {inc.get('source_files_read', 0)} source and {inc.get('target_files_read', 0)} target "
                  f"file(s), {inc.get('source_files_cached', 0)} + {inc.get('target_files_cached', 0)} unchanged "
                  "since the last validation" if inc else "") + "</p>")
    out.append("<h3>Checks</h3>")
    out.append(shell.table(["check", "status", "findings", "summary"], [
        (c["check"], shell.tag(c["status"], _CSS.get(c["status"], "info")), c.get("findings", 0),
         _e(c.get("summary", ""))) for c in d["checks"]], numeric=[2], raw=True))
    if d["findings"]:
        out.append(f"<h3>Findings ({len(d['findings']) + d.get('findings_omitted', 0):,})</h3>")
        rows = []
        for f in d["findings"][:_FINDINGS_SHOWN]:
            values = ""
            if "source_value" in f or "target_value" in f:
                values = (f"<br><code>source: {_e(json.dumps(f.get('source_value'), default=str))}</code>"
                          f"<br><code>target: {_e(json.dumps(f.get('target_value'), default=str))}</code>")
            rows.append((_e(f["check"]), _e(f.get("partition") or ""), _e(f.get("column") or ""),
                         _e(_where(f)), _e(f["message"]) + values))
        out.append(shell.table(["check", "partition", "column", "where", "finding"], rows, raw=True))
        more = len(d["findings"]) - _FINDINGS_SHOWN + d.get("findings_omitted", 0)
        if more > 0:
            out.append(f"<p class=muted>{more:,} more finding(s) in the JSON report.</p>")
    files = d.get("files") or {}
    if files:
        out.append("<h3>Files</h3>" + shell.table(list(files), [list(files.values())], numeric=range(len(files))))
    q = d.get("quarantine") or {}
    if q.get("rows"):
        ex = "".join(f"<li>{_e(x.get('file'))} {_e('line ' + str(x['line']) if 'line' in x else '')} "
                     f"{_e(x.get('reason'))}</li>" for x in q.get("examples") or [])
        out.append(f"<h3>Quarantine</h3><p>{q['rows']:,} row(s) of {q.get('files', 0)} file(s) were quarantined "
                   f"(counted, not lost; the copy recorded {q.get('recorded_rows', 0):,}). Records with file, line "
                   f"and reason: <a href='{_e(Path(q['folder']).as_uri())}'>{_e(q['folder'])}</a></p><ul>{ex}</ul>")
    parts = d.get("partitions") or []
    if parts:
        out.append("<h3>Partitions</h3>" + shell.table(
            ["partition", "status", "source rows", "quarantined", "target rows"],
            [(_e(p["partition"] or "(whole dataset)"),
              shell.tag(p.get("status", ""), _CSS.get(p.get("status"), "info")), f"{p['source_rows']:,}",
              f"{p['quarantined']:,}", f"{p['target_rows']:,}") for p in parts],
            numeric=[2, 3, 4], raw=True))
    exp = d.get("expectations") or {}
    if exp.get("results"):
        out.append(f"<h3>Expectations ({_e(exp.get('engine', ''))})</h3>" + shell.table(
            ["expectation", "column", "result", "detail"],
            [(_e(x["expectation"]), _e(x.get("column") or ""),
              shell.tag("pass" if x["success"] and "error" not in x else "fail",
                        "pass" if x["success"] and "error" not in x else "fail"),
              _e(x.get("error") or _exp_detail(x))) for x in exp["results"]], raw=True))
        out.append("<details><summary>expectation results (JSON)</summary><pre>"
                   + _e(json.dumps(exp["results"], indent=1, default=str)) + "</pre></details>")
    return "".join(out)


def _exp_detail(x: dict[str, Any]) -> str:
    if "unexpected_count" in x:
        return f"{x['unexpected_count']:,} unexpected of {x.get('element_count', 0):,}"
    return f"observed {x.get('observed_value')}"


def to_html(run: dict[str, Any]) -> str:
    ds = run["datasets"]
    passed = sum(1 for d in ds if d["verdict"] == "pass")
    n = max(len(ds), 1)
    body = [f"<p>Plan <b>{_e(run['plan'])}</b>, checked {_e(run['checked_at'])}: <b>{passed} of {len(ds)} "
            f"dataset(s) pass</b>.</p>",
            shell.bar([("pass", 100 * passed / n), ("fail", 100 * (len(ds) - passed) / n)]),
            shell.table(["dataset", "verdict", "first reason"], [
                (f"<a href='#{_e(d['dataset'])}'>{_e(d['dataset'])}</a>", shell.tag(d["verdict"], _CSS[d["verdict"]]),
                 _e(d["reasons"][0] if d["reasons"] else "")) for d in ds], raw=True)]
    body += [_dataset_html(d) for d in ds]
    return shell.page(f"Validation: {run['plan']}", body)
