"""Stage 1: Python 2 -> Python 3 with fissix (the maintained lib2to3 fork), before any DPark rewrite.

What fissix changes is recorded per fixer and line (``Hit``), and a line map ties every line of the result to
the original's line, so later stages report ``file:line`` of the legacy source. Leading tabs are expanded the
way Python 2 read them (tab stops of 8) first: Python 3 refuses mixed tabs and spaces.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fissix.pgen2 import parse as pgen_parse
from fissix.pgen2 import token, tokenize
from fissix.refactor import RefactoringTool, get_fixers_from_package

# fix_import turns ``import helper`` into ``from . import helper`` when a sibling file exists: wrong for jobs
# run as scripts. fix_sorted reads the first positional argument of any ``.sort(f)`` as cmp=, which is wrong
# for DPark's ``rdd.sort(key)``; ``cmp=`` keywords are rewritten by a later stage instead.
_SKIPPED = {"fix_import", "fix_sorted"}
_EXPLICIT = {"fix_buffer", "fix_idioms", "fix_set_literal", "fix_ws_comma"}

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


@dataclass(frozen=True)
class Hit:
    fixer: str  # print, except, dict, tuple_params, ...
    line: int  # line in the original source


@dataclass
class Modernized:
    source: str  # Python 3 source (or the input unchanged when it could not be modernised)
    hits: list[Hit] = field(default_factory=list)
    tabs_fixed: list[int] = field(default_factory=list)  # original lines whose leading tabs were expanded
    error: tuple[int, str] | None = None  # (line, message) when fissix could not parse the file
    line_map: list[int] = field(default_factory=list)  # 1-based: line_map[n - 1] = original line of line n

    def original_line(self, line: int) -> int:
        if 1 <= line <= len(self.line_map):
            return self.line_map[line - 1]
        return max(1, min(line, self.line_map[-1] if self.line_map else line))


def decode_source(data: bytes) -> str:
    """Source bytes as text: the PEP 263 coding line if any, else UTF-8, else Latin-1 (Python 2 allowed
    undeclared bytes in strings)."""
    enc = "utf-8"
    for line in data.splitlines()[:2]:
        m = _CODING.match(line)
        if m:
            enc = m.group(1).decode("ascii")
            break
    try:
        text = data.decode(enc)
    except (LookupError, UnicodeDecodeError):
        text = data.decode("latin-1")
    return text.removeprefix("\ufeff")


def _string_lines(src: str) -> set[int]:
    """Lines (1-based) that continue a multi-line string: their leading whitespace is data."""
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok[0] == token.STRING and tok[3][0] > tok[2][0]:
                inside.update(range(tok[2][0] + 1, tok[3][0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside


def expand_leading_tabs(src: str) -> tuple[str, list[int]]:
    if "\t" not in src:
        return src, []
    strings = _string_lines(src)
    out, fixed = [], []
    for n, line in enumerate(src.splitlines(keepends=True), 1):
        body = line.lstrip(" \t")
        lead = line[: len(line) - len(body)]
        if "\t" in lead and n not in strings and body.strip():
            line = lead.expandtabs(8) + body
            fixed.append(n)
        out.append(line)
    return "".join(out), fixed


class _RecordingTool(RefactoringTool):
    """A RefactoringTool that records which fixer changed which line."""

    def __init__(self, fixers: list[str], options: dict[str, bool]) -> None:
        super().__init__(fixers, options)
        self.hits: list[tuple[str, int]] = []
        for fixer in self.pre_order + self.post_order:
            self._wrap(fixer)

    def _wrap(self, fixer: object) -> None:
        name = type(fixer).__module__.rsplit(".", 1)[-1].removeprefix("fix_")
        transform = fixer.transform  # type: ignore[attr-defined]
        hits = self.hits

        def recorded(node: Any, results: Any) -> Any:
            line = node.get_lineno()
            changed_before = _changed(node)
            new = transform(node, results)
            if new is not None or (_changed(node) and not changed_before):
                hits.append((name, line or 1))
            return new

        fixer.transform = recorded  # type: ignore[attr-defined]


def _changed(node: object) -> bool:
    return bool(getattr(node, "was_changed", False))


@lru_cache(maxsize=1)
def _fixer_names() -> list[str]:
    return [f for f in get_fixers_from_package("fissix.fixes")
            if f.rsplit(".", 1)[-1] not in _SKIPPED | _EXPLICIT]


@lru_cache(maxsize=2)
def _tool(print_function: bool) -> _RecordingTool:
    """Building a tool compiles every fixer's pattern (~0.1 s): one per process and grammar."""
    return _RecordingTool(_fixer_names(), {"print_function": print_function})


def _line_map(old: str, new: str) -> list[int]:
    a, b = old.splitlines(), new.splitlines()
    out = [0] * len(b)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        for k in range(j2 - j1):
            if tag == "equal" or tag == "replace":
                out[j1 + k] = min(i1 + k, max(i1, i2 - 1)) + 1
            else:  # inserted lines (imports fissix adds) belong to the line they precede
                out[j1 + k] = min(i1, max(len(a) - 1, 0)) + 1
    return out


def _compiles(src: str) -> bool:
    try:
        compile(src, "<modernize>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        return False


def modernize(src: str) -> Modernized:
    text, tabs = expand_leading_tabs(src)
    if not text.endswith("\n"):
        text += "\n"
    result = Modernized(source=text, tabs_fixed=tabs)
    last_error: tuple[int, str] | None = None
    for print_function in (False, True):
        tool = _tool(print_function)
        tool.hits.clear()
        try:
            tree = tool.refactor_string(text, "<dpark job>")
        except (pgen_parse.ParseError, tokenize.TokenError, IndentationError, SyntaxError) as exc:
            last_error = _error_of(exc)
            continue
        result.source = str(tree)
        result.hits = sorted({Hit(name, line) for name, line in tool.hits}, key=lambda h: (h.line, h.fixer))
        break
    else:
        result.error = last_error if not _compiles(text) else None
    result.line_map = _line_map(text, result.source)
    return result


def _error_of(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, pgen_parse.ParseError):
        ctx = exc.context[1] if isinstance(exc.context, tuple) and len(exc.context) > 1 else (1, 0)
        return int(ctx[0]), f"cannot parse as Python 2 or 3 ({exc.msg}: {exc.value!r})"
    if isinstance(exc, tokenize.TokenError):
        pos = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else (1, 0)
        return int(pos[0]), f"cannot tokenize: {exc.args[0]}"
    line = getattr(exc, "lineno", None) or 1
    return int(line), f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}"
