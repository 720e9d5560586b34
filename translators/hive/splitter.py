"""Split a HiveQL script into statements, the way the Hive CLI does, keeping line numbers and comments.

A ``;`` ends a statement unless it sits inside a string ('...' or "..." with backslash escapes, as in
Hive), a backquoted identifier, a ``--`` line comment or a ``/* */`` block comment. In a command the CLI
runs itself (``dfs``, ``!``, ``set``, ``add``, ...) ``/*`` is text, not a comment: Hive hands the line to
the command as written (``dfs -cat /warehouse/t/*``), and reading it as a comment would swallow the rest of
the script. Comments that stand
before a statement are kept apart (``leading_comments``) so the translator can re-emit them above the
translated statement; comments inside a statement stay in its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Statements the Hive CLI executes itself rather than handing them to the SQL parser.
_CLI_COMMAND = re.compile(r"(dfs|set|reset|source|compile)\b|(add|delete|list)\s+(jar|file|archive)|!", re.I)


@dataclass(frozen=True)
class RawStatement:
    """One statement of a script: ``text`` without the closing ``;``; ``line`` is 1-based."""

    text: str
    line: int
    end_line: int
    leading_comments: tuple[str, ...] = ()


@dataclass
class SplitScript:
    statements: list[RawStatement] = field(default_factory=list)
    # Comments after the last statement (no statement to attach them to).
    trailing_comments: list[str] = field(default_factory=list)


def split_statements(script: str) -> SplitScript:
    """Split ``script`` on top-level ``;``. Never raises: an unterminated string runs to the end."""
    out = SplitScript()
    n = len(script)
    i = 0
    line = 1
    buf: list[str] = []  # current statement text (comments inside included)
    comments: list[str] = []  # comments seen before the statement's first token
    start_line = 0  # line of the first non-comment token of the current statement
    quote = ""  # active quote character, "" when outside quotes
    command = False  # the current statement is a CLI command: no block comments inside it

    def flush(end_line: int) -> None:
        nonlocal buf, comments, start_line, command
        text = "".join(buf).strip()
        if text:
            out.statements.append(RawStatement(text, start_line, end_line, tuple(comments)))
            comments = []
        buf = []
        start_line = 0
        command = False

    while i < n:
        ch = script[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and quote != "`" and i + 1 < n:
                nxt = script[i + 1]
                buf.append(nxt)
                line += nxt == "\n"
                i += 2
                continue
            if ch == quote:
                quote = ""
            line += ch == "\n"
            i += 1
            continue
        if ch == "-" and script.startswith("--", i):
            end = script.find("\n", i)
            end = n if end < 0 else end
            text = script[i:end]
            if start_line:
                buf.append(text)
            else:
                comments.append(text)
            i = end
            continue
        if ch == "/" and script.startswith("/*", i) and not command:
            end = script.find("*/", i + 2)
            end = n if end < 0 else end + 2
            text = script[i:end]
            if start_line:
                buf.append(text)
            else:
                comments.append(text)
            line += text.count("\n")
            i = end
            continue
        if ch == ";":
            flush(line)
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
        if not ch.isspace() and not start_line:
            start_line = line
            command = _CLI_COMMAND.match(script, i) is not None
        if start_line:
            buf.append(ch)
        line += ch == "\n"
        i += 1
    flush(line)
    out.trailing_comments = comments
    return out
