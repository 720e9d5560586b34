"""The one HTML shell every report uses (translation, validation, cutover): inline CSS, no scripts, no
fetches, so a page renders the same on an air-gapped machine as in a browser with a network.

Status classes shared by all reports (a cell or card with ``class=pass`` reads green, and so on):
``pass``/``translated``, ``warn``/``translated_with_notes``, ``fail``/``unsupported``, ``info``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 8px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0} th,td{border:1px solid #dde;padding:4px 8px;
vertical-align:top;text-align:left} th{background:#f3f5fa} td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.card{border-radius:8px;padding:10px 16px;min-width:150px;
background:#f3f5fa}.card b{display:block;font-size:24px}
.translated,.pass{background:#e5f6ea}.translated_with_notes,.warn{background:#fff5d6}
.unsupported,.fail{background:#fde4e4}.info{background:#e6eefb}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:8px 0 16px}
.bar span{display:block}.bar .translated,.bar .pass{background:#3aa35b}
.bar .translated_with_notes,.bar .warn{background:#e0b43a}.bar .unsupported,.bar .fail{background:#d64545}
code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f7f8fb;padding:6px;margin:0;white-space:pre-wrap;max-height:18em;overflow:auto}
details{margin:4px 0} summary{cursor:pointer} .tag{font-size:12px;padding:1px 6px;border-radius:4px}
.muted{color:#667}
"""


def e(value: Any) -> str:
    """HTML-escaped text of ``value``."""
    return html.escape(str(value))


def page(title: str, body: Iterable[str], *, extra_css: str = "") -> str:
    """A whole self-contained document: ``<h1>title</h1>`` then the body fragments, in order."""
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(title)}</title>"
            f"<style>{CSS}{extra_css}</style></head><body><h1>{e(title)}</h1>{''.join(body)}</body></html>")


def table(head: Sequence[str], rows: Iterable[Sequence[Any]], *, numeric: Iterable[int] = (),
          raw: bool = False) -> str:
    """A table; ``numeric`` column indexes are right-aligned; ``raw`` cells are trusted HTML (else escaped)."""
    num = set(numeric)
    out = ["<table><tr>", *(f"<th>{e(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            text = str(cell) if raw else e(cell)
            out.append(f"<td class=n>{text}</td>" if i in num else f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def tag(text: str, css: str) -> str:
    """A small coloured label, e.g. ``tag('fail', 'fail')``."""
    return f"<span class='tag {e(css)}'>{e(text)}</span>"


def cards(items: Iterable[tuple[str, Any, str]]) -> str:
    """Big-number cards: (label, value, css class)."""
    return "<div class=cards>" + "".join(
        f"<div class='card {e(css)}'><b>{e(value)}</b>{e(label)}</div>" for label, value, css in items) + "</div>"


def bar(shares: Iterable[tuple[str, float]]) -> str:
    """A stacked bar of (css class, percent) segments."""
    return "<div class=bar>" + "".join(
        f"<span class={e(css)} style='width:{pct:.3f}%'></span>" for css, pct in shares) + "</div>"
