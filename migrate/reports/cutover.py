"""The cutover checklist as Markdown (for reviews and Prefect artifacts) and one self-contained HTML page."""

from __future__ import annotations

from typing import Any

from migrate.reports import html as shell

MARK = {"pass": "✓", "waived": "~", "fail": "✗"}


def _data(cl: Any) -> dict[str, Any]:
    return cl if isinstance(cl, dict) else cl.to_dict()


def _titles() -> dict[str, str]:
    from migrate.cutover import TITLES

    return TITLES


def _cell(item: dict[str, Any], gate: str) -> dict[str, Any] | None:
    return next((g for g in item["gates"] if g["gate"] == gate), None)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(cl: Any) -> str:
    d = _data(cl)
    titles = _titles()
    wave = f" wave {d['wave']}" if d.get("wave") is not None else ""
    lines = [f"# Cutover checklist: plan {d['plan']}{wave}", "",
             f"**{'READY' if d['ok'] else 'NOT READY'}** at {d['checked_at']}: "
             f"{sum(i['ok'] for i in d['items'])} of {len(d['items'])} items pass every gate "
             "(✓ pass, ~ waived, ✗ fail, blank: does not apply).", "",
             "| item | wave | " + " | ".join(titles[g] for g in d["gates"]) + " |",
             "|---|---|" + "---|" * len(d["gates"])]
    for i in d["items"]:
        cells = [MARK[c["status"]] if (c := _cell(i, g)) else "" for g in d["gates"]]
        lines.append(f"| {i['kind']} {_md(i['name'])} | {i['wave']} | " + " | ".join(cells) + " |")
    failing = [(i, g) for i in d["items"] for g in i["gates"] if g["status"] != "pass"]
    if failing:
        lines += ["", "## To do and waived", ""]
        lines += [f"- {MARK[g['status']]} {i['kind']} **{_md(i['name'])}** — {titles[g['gate']]}: {_md(g['detail'])}"
                  for i, g in failing]
    for w, rec in sorted(d.get("switches", {}).items()):
        if rec:
            lines += ["", f"Wave {w} is cut over: switch record {rec['id']} by {rec['by']} at {rec['at']}."]
    return "\n".join(lines) + "\n"


def to_html(cl: Any) -> str:
    d = _data(cl)
    titles = _titles()
    n_ok = sum(i["ok"] for i in d["items"])
    n_fail = sum(1 for i in d["items"] for g in i["gates"] if g["status"] == "fail")
    n_waived = sum(1 for i in d["items"] for g in i["gates"] if g["status"] == "waived")
    wave = f" wave {d['wave']}" if d.get("wave") is not None else ""
    body = [
        f"<p class=muted>Checked at {shell.e(d['checked_at'])}. "
        f"{shell.tag('READY', 'pass') if d['ok'] else shell.tag('NOT READY', 'fail')}</p>",
        shell.cards([("items ready", f"{n_ok}/{len(d['items'])}", "pass" if d["ok"] else "warn"),
                     ("gates failing", n_fail, "fail" if n_fail else "pass"),
                     ("gates waived", n_waived, "warn" if n_waived else "info")]),
        "<h2>Gates</h2>",
    ]
    rows = []
    for i in d["items"]:
        cells = []
        for g in d["gates"]:
            c = _cell(i, g)
            cells.append("" if c is None else
                         f"<span class='tag {c['status'] if c['status'] != 'waived' else 'warn'}' "
                         f"title='{shell.e(c['detail'])}'>{MARK[c['status']]}</span>")
        rows.append([shell.e(f"{i['kind']} {i['name']}"), shell.e(i["wave"]), *cells])
    body.append(shell.table(["item", "wave", *(titles[g] for g in d["gates"])], rows, raw=True))
    body.append("<h2>Details</h2>")
    body.append(shell.table(
        ["item", "gate", "status", "detail"],
        [[shell.e(f"{i['kind']} {i['name']}"), shell.e(titles[g["gate"]]),
          shell.tag(g["status"], {"waived": "warn"}.get(g["status"], g["status"])), shell.e(g["detail"])]
         for i in d["items"] for g in i["gates"]], raw=True))
    switches = [(w, r) for w, r in sorted(d.get("switches", {}).items()) if r]
    if switches:
        body.append("<h2>Switch records</h2>")
        body.append(shell.table(["wave", "record", "by", "at", "datasets", "jobs"],
                                [[w, r["id"], r["by"], r["at"], len(r["datasets"]), len(r["jobs"])]
                                 for w, r in switches]))
    return shell.page(f"Cutover checklist: plan {d['plan']}{wave}", body)
