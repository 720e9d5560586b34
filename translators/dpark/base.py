"""What every DPark idiom shares: the per-file record of decisions (``FileState``) and small libcst helpers.

An idiom is a small class with libcst-style ``leave_<Node>(original, updated)`` hooks; ``IdiomPass`` runs all
of them in ONE traversal (libcst visits cost more than parsing: one visit per idiom made translation 5x slower)
and gives each hook the original node's line in the legacy source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

COMPAT = "dparkcompat"  # the name translated jobs import the compatibility module under


@dataclass(frozen=True)
class Event:
    line: int  # line in the original (legacy) source
    construct: str  # DPark API name or idiom: textFile, mapValue, py2:print, int_division, ...
    kind: str  # dpark_api | python2 | python3 | path | context | module
    note: str | None = None
    failure: str | None = None
    rule: str = ""


@dataclass
class Options:
    app_name: str = "dpark-job"
    location_map: list[tuple[str, str]] = field(default_factory=list)  # legacy prefix -> target URI
    # legacy path -> (how the plan migrated it: parquet|iceberg, Parquet path or Iceberg table, delimiter, null)
    converted: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    s3_scheme: str = "s3a"  # Spark's Hadoop S3 file system
    have_plan: bool = False


@dataclass
class FileState:
    options: Options
    events: list[Event] = field(default_factory=list)
    uses_compat: bool = False
    needs_functools: bool = False
    future_division: bool = False
    statement_notes: dict[int, list[str]] = field(default_factory=dict)  # id(statement) -> comment lines
    bound: dict[str, str] = field(default_factory=dict)  # local name -> what it is: DparkContext, optParser, ...

    def record(self, line: int, construct: str, kind: str = "dpark_api", note: str | None = None,
               failure: str | None = None, rule: str | None = None) -> None:
        ev = Event(line, construct, kind, note, failure, rule or construct)
        if ev not in self.events:
            self.events.append(ev)

    def compat(self, name: str) -> cst.Attribute:
        self.uses_compat = True
        return cst.Attribute(cst.Name(COMPAT), cst.Name(name))


# ------------------------------------------------------------------ helpers over libcst nodes

def method_name(call: cst.Call) -> str | None:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def func_name(call: cst.Call) -> str | None:
    return call.func.value if isinstance(call.func, cst.Name) else None


def receiver(call: cst.Call) -> cst.BaseExpression:
    assert isinstance(call.func, cst.Attribute)
    return call.func.value


def dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a
    return None


def arg_value(call: cst.Call, pos: int, name: str) -> cst.BaseExpression | None:
    kw = keyword(call, name)
    if kw is not None:
        return kw.value
    args = positional(call)
    return args[pos].value if pos < len(args) else None


def clean(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Arguments with commas left to the code generator (reused args carry their own)."""
    return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]


def kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def rename_keywords(args: Sequence[cst.Arg], renames: dict[str, str | None]) -> tuple[list[cst.Arg], list[str]]:
    """Keyword arguments renamed (``numSplits`` -> ``numPartitions``) or dropped (None); returns dropped names."""
    out, dropped = [], []
    for a in args:
        if a.keyword is not None and a.keyword.value in renames:
            new = renames[a.keyword.value]
            if new is None:
                dropped.append(a.keyword.value)
                continue
            a = a.with_changes(keyword=cst.Name(new))
        out.append(a)
    return out, dropped


def call(func: cst.BaseExpression, args: Sequence[cst.Arg]) -> cst.Call:
    return cst.Call(func=func, args=clean(args))


def method(obj: cst.BaseExpression, name: str, args: Sequence[cst.Arg] = ()) -> cst.Call:
    return cst.Call(func=cst.Attribute(obj, cst.Name(name)), args=clean(args))


def string_value(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        try:
            v = node.evaluated_value
        except Exception:
            return None
        return v if isinstance(v, str) else None
    return None


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


# ------------------------------------------------------------------ idioms and the one pass that runs them

class Idiom:
    """One DPark or Python 2 idiom. Hooks are ``leave_<Node>(self, original, updated, line) -> node``."""

    name = "idiom"

    def __init__(self, state: FileState) -> None:
        self.state = state
        self.run: IdiomPass | None = None  # set by the pass that runs this idiom

    def record(self, line: int, construct: str | None = None, kind: str = "dpark_api", note: str | None = None,
               failure: str | None = None, rule: str | None = None) -> None:
        construct = construct or self.name
        self.state.record(line, construct, kind, note, failure, rule or construct)
        if (note or failure) and self.run is not None:
            stmt = self.run.current_statement()
            if stmt is not None:
                text = f"# migrate: {'UNSUPPORTED' if failure else 'NOTE'} ({construct}): {failure or note}"
                notes = self.state.statement_notes.setdefault(id(stmt), [])
                if text not in notes:
                    notes.append(text)

    def result_used(self) -> bool:
        return self.run.result_used() if self.run is not None else True


Hook = Callable[[Any, Any, int], Any]


def _is_compat_call(node: object) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
        isinstance(node.func.value, cst.Name) and node.func.value.value == COMPAT


class IdiomPass(cst.CSTTransformer):
    """Runs every idiom's hooks in one traversal. ``lines`` maps an original node to its line in the legacy
    source; ``parents`` lets hooks ask whether a call's result is used."""

    def __init__(self, idioms: Sequence[Idiom], line_of: Callable[[cst.CSTNode], int], state: FileState) -> None:
        super().__init__()
        self.idioms = idioms
        self.line_of = line_of
        self.state = state
        self.stack: list[cst.CSTNode] = []
        self.statements: list[cst.CSTNode] = []
        self._hooks: dict[str, list[Hook]] = {}
        for idiom in idioms:
            idiom.run = self
            for attr in dir(idiom):
                if attr.startswith("leave_"):
                    self._hooks.setdefault(attr[len("leave_"):], []).append(getattr(idiom, attr))

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if isinstance(node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            self.statements.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        self.stack.pop()
        result: Any = updated_node
        hooks = self._hooks.get(type(original_node).__name__)
        if hooks:
            line = self.line_of(original_node)
            for hook in hooks:
                if not isinstance(result, type(original_node)) or _is_compat_call(result):
                    break  # an earlier idiom replaced the node: later ones do not apply to it
                result = hook(original_node, result, line)
        if isinstance(original_node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            self.statements.pop()
            notes = self.state.statement_notes.pop(id(original_node), None)
            if notes and isinstance(result, cst.SimpleStatementLine | cst.BaseCompoundStatement):
                comments = [cst.EmptyLine(comment=cst.Comment(c)) for c in notes]
                result = result.with_changes(leading_lines=[*result.leading_lines, *comments])
        return result

    def current_statement(self) -> cst.CSTNode | None:
        return self.statements[-1] if self.statements else None

    def result_used(self) -> bool:
        """Whether the call being left is used (not a bare expression statement)."""
        parent = self.stack[-1] if self.stack else None
        return not isinstance(parent, cst.Expr)
