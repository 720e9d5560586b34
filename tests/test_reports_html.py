"""The shared HTML shell: self-contained (no script, no link, no URL) and escaping what it is given."""

from __future__ import annotations

import re

from migrate.reports import html as shell


def test_page_is_self_contained_and_escapes() -> None:
    doc = shell.page("a <b> & c", [shell.cards([("rows", 3, "pass")]), shell.bar([("fail", 25.0)]),
                                   shell.table(["x", "n"], [["<i>", 1]], numeric=[1]), shell.tag("fail", "fail")])
    assert doc.startswith("<!doctype html>") and doc.endswith("</html>")
    assert "<title>a &lt;b&gt; &amp; c</title>" in doc
    assert "&lt;i&gt;" in doc and "<i>" not in doc
    assert "<td class=n>1</td>" in doc
    assert not re.search(r"<script|<link|https?://|@import|url\(", doc, re.I)


def test_raw_table_cells_are_trusted() -> None:
    assert "<td><code>x</code></td>" in shell.table(["c"], [["<code>x</code>"]], raw=True)
