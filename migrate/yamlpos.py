"""Load YAML into plain Python objects while remembering where every key and value sits.

PyYAML's ``safe_load`` throws the marks away, so error messages could not say ``file:line:column``.
Here the document is composed into nodes (SafeLoader) and built by hand: each value gets a
``KeyPath`` (mapping keys and list indexes) and the 1-based position of its key and its value.
Duplicate mapping keys, which ``safe_load`` silently resolves to the last one, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in the source text."""

    line: int
    column: int

    @classmethod
    def of(cls, mark: yaml.Mark | None) -> Pos:
        return cls(mark.line + 1, mark.column + 1) if mark is not None else cls(1, 1)


@dataclass(frozen=True)
class YamlIssue:
    """A finding made while reading the YAML itself (syntax error, duplicate key)."""

    pos: Pos
    path: KeyPath
    message: str


@dataclass
class PositionedYaml:
    """The loaded data plus where each path came from."""

    data: Any
    values: dict[KeyPath, Pos] = field(default_factory=dict)  # where each value starts
    keys: dict[KeyPath, Pos] = field(default_factory=dict)  # where the key of a mapping entry starts
    issues: list[YamlIssue] = field(default_factory=list)

    def value_pos(self, path: KeyPath) -> Pos:
        """Position of the value at ``path``, or of the nearest ancestor that exists."""
        return self._nearest(self.values, path)

    def key_pos(self, path: KeyPath) -> Pos:
        """Position of the key at ``path`` (falls back to the value, then to an ancestor)."""
        if path in self.keys:
            return self.keys[path]
        return self._nearest(self.values, path)

    @staticmethod
    def _nearest(table: dict[KeyPath, Pos], path: KeyPath) -> Pos:
        for cut in range(len(path), -1, -1):
            pos = table.get(path[:cut])
            if pos is not None:
                return pos
        return Pos(1, 1)


def format_path(path: KeyPath) -> str:
    """``('datasets', 2, 'format', 'delimiter')`` -> ``datasets[2].format.delimiter``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part and all(c.isalnum() or c in "_-" for c in part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


# Limits no hand-written plan comes near; past them a document is an accident or an attack (a "billion
# laughs" alias bomb expands exponentially, deep nesting exhausts the parser's recursion).
MAX_DEPTH = 64  # nested mappings/lists
MAX_ALIAS_VALUES = 100_000  # values built again because an alias points at them


class _TooBig(Exception):
    def __init__(self, pos: Pos, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.issue = YamlIssue(pos, path, message)


def load_positioned(text: str) -> PositionedYaml:
    """Parse one YAML document; syntax errors become issues (data is then ``None``)."""
    try:
        loader = yaml.SafeLoader(text)  # reads the text at once: bad control characters raise here
    except yaml.YAMLError as exc:
        return PositionedYaml(None, issues=[_reader_issue(exc, text)])
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return PositionedYaml(None, issues=[_syntax_issue(exc)])
    except yaml.YAMLError as exc:  # unmarked reader errors (e.g. bad control characters)
        return PositionedYaml(None, issues=[_reader_issue(exc, text)])
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        return PositionedYaml(None, issues=[YamlIssue(Pos(1, 1), (), f"YAML nested too deeply (at most {MAX_DEPTH} "
                                                                      "levels)")])
    finally:
        loader.dispose()
    out = PositionedYaml(None)
    if node is None:
        return out
    try:
        out.data = _build(loader, node, (), out, set(), _Budget())
    except yaml.MarkedYAMLError as exc:  # an unknown tag or a bad !!int etc.
        out.data = None
        out.issues.append(_syntax_issue(exc))
    except _TooBig as exc:
        out.data = None
        out.issues.append(exc.issue)
    return out


def _reader_issue(exc: yaml.YAMLError, text: str) -> YamlIssue:
    """Where a character YAML does not accept sits (never the text around it: it may hold a secret)."""
    if isinstance(exc, yaml.reader.ReaderError):
        at = min(max(exc.position, 0), len(text))
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        what = (f"character #x{exc.character:04X} is not allowed in YAML" if isinstance(exc.character, int)
                else f"the text cannot be read ({exc.reason})")
        return YamlIssue(Pos(line, column), (), f"YAML error: {what}")
    return YamlIssue(Pos.of(getattr(exc, "problem_mark", None)), (), f"YAML error: {type(exc).__name__}")


_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class _Budget:
    seen: set[int] = field(default_factory=set)  # nodes built once
    again: int = 0  # values built again through aliases

def _syntax_issue(exc: yaml.MarkedYAMLError) -> YamlIssue:
    mark = exc.problem_mark or exc.context_mark
    # Only the problem text, never the snippet: the offending line may hold a secret.
    what = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context and exc.context_mark is not None:
        # e.g. an unclosed `{` is found lines later; say where the construct began.
        what += f" ({exc.context} started at line {exc.context_mark.line + 1})"
    return YamlIssue(Pos.of(mark), (), f"YAML syntax error: {what}")


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, out: PositionedYaml, active: set[int],
    budget: _Budget,
) -> Any:
    pos = Pos.of(node.start_mark)
    out.values[path] = pos
    if id(node) in active:  # an alias that refers to itself; YAML allows it, a plan never needs it
        out.issues.append(YamlIssue(pos, path, "recursive YAML alias"))
        return None
    if len(path) > MAX_DEPTH:
        raise _TooBig(pos, path[:2], f"YAML nested too deeply (at most {MAX_DEPTH} levels)")
    if id(node) in budget.seen:
        budget.again += 1
        if budget.again > MAX_ALIAS_VALUES:
            raise _TooBig(pos, path, f"YAML aliases expand to more than {MAX_ALIAS_VALUES:,} values "
                                     "(an alias bomb?); write the values out instead")
    else:
        budget.seen.add(id(node))
    if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:  # e.g. !!python/object/apply
        raise yaml.constructor.ConstructorError(None, None, f"could not determine a constructor for the tag "
                                                f"{node.tag!r}", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        try:
            return _build_mapping(loader, node, path, out, active, budget)
        finally:
            active.discard(id(node))
    if isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        try:
            return [_build(loader, item, (*path, i), out, active, budget) for i, item in enumerate(node.value)]
        finally:
            active.discard(id(node))
    return _scalar(loader, node)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise yaml.constructor.ConstructorError(None, None, f"cannot read this value ({exc})",
                                                node.start_mark) from None


def _build_mapping(
    loader: yaml.SafeLoader, node: yaml.MappingNode, path: KeyPath, out: PositionedYaml, active: set[int],
    budget: _Budget,
) -> dict[Any, Any]:
    # Duplicates are judged on the keys written in this mapping; keys merged in with `<<` may be overridden.
    seen: dict[Any, Pos] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = _scalar(loader, key_node)
        kpos = Pos.of(key_node.start_mark)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key (a mapping as a key); the model rejects it later
            continue
        if first is not None:
            out.issues.append(
                YamlIssue(kpos, (*path, key), f"duplicate key {key!r} (first defined at line {first.line})")
            )
        else:
            seen[key] = kpos
    loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys in place
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = _scalar(loader, key_node)
        if not isinstance(key, str | int | float | bool) and key is not None:
            out.issues.append(YamlIssue(Pos.of(key_node.start_mark), path, "mapping keys must be plain text"))
            continue
        child = (*path, key) if isinstance(key, str | int) else (*path, str(key))
        # Later duplicates win (as in safe_load), and so do their positions.
        out.keys[child] = Pos.of(key_node.start_mark)
        result[key] = _build(loader, value_node, child, out, active, budget)
    return result
