"""The plan's column type grammar, Hive style, nested arbitrarily (pure Python: the CLI imports it at start).

    type      := primitive | decimal(p,s) | json
               | array<type> | map<primitive,type> | struct<name:type,...>
    primitive := boolean|bool, tinyint, smallint, int|integer, bigint, float, double, string, binary, date,
                 timestamp

``json`` is a string column holding JSON text: whatever the source holds there (object, array, string,
number) is kept as its JSON serialisation. A ``string`` column takes strings as they are and serialises
anything else (objects, arrays, numbers) as JSON text. Struct field names are kept as written (JSON keys
are case-sensitive); a name with characters outside ``[A-Za-z0-9_$-]`` is written in backticks
(```a b`:int``, a backtick doubled inside). Keywords are case-insensitive; ``canonical`` text is lower case
without spaces, so ``STRUCT< a : INT >`` is stored as ``struct<a:int>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRIMITIVES = {
    "boolean": "boolean", "bool": "boolean", "tinyint": "tinyint", "smallint": "smallint", "int": "int",
    "integer": "int", "bigint": "bigint", "float": "float", "double": "double", "string": "string",
    "binary": "binary", "date": "date", "timestamp": "timestamp",
}
NESTED = ("struct", "array", "map")
TYPE_GRAMMAR = (
    "boolean|bool, tinyint, smallint, int|integer, bigint, float, double, string, binary, date, timestamp,"
    " decimal(p,s), json, array<T>, map<K,V> (K not nested), struct<name:T,...>"
)
_BARE = re.compile(r"^[A-Za-z0-9_$-]+$")
_TOKEN = re.compile(r"\s*(`(?:[^`]|``)*`|[<>(),:]|[^\s<>(),:`]+)")


@dataclass(frozen=True)
class ColType:
    """A parsed column type. ``kind`` is a canonical primitive name, ``decimal``, ``json`` or a nested kind."""

    kind: str
    precision: int = 0  # decimal
    scale: int = 0
    fields: tuple[tuple[str, ColType], ...] = ()  # struct
    element: ColType | None = None  # array
    key: ColType | None = None  # map
    value: ColType | None = None  # map

    @property
    def nested(self) -> bool:
        return self.kind in NESTED

    def __str__(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind == "array":
            return f"array<{self.element}>"
        if self.kind == "map":
            return f"map<{self.key},{self.value}>"
        if self.kind == "struct":
            return "struct<" + ",".join(f"{quote_name(n)}:{t}" for n, t in self.fields) + ">"
        return self.kind


def quote_name(name: str) -> str:
    """A struct field name as the grammar writes it: bare when simple, else in backticks."""
    return name if _BARE.match(name) else "`" + name.replace("`", "``") + "`"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                if text[pos:].strip():
                    raise ValueError(f"unexpected {text[pos:].strip()[:20]!r} at character {pos + 1}")
                break
            self.tokens.append((m.group(1), m.start(1)))
            pos = m.end()
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, want: str | None = None) -> str:
        if self.i >= len(self.tokens):
            raise ValueError(f"unexpected end of type{f' (expected {want!r})' if want else ''}")
        tok, at = self.tokens[self.i]
        if want is not None and tok != want:
            raise ValueError(f"expected {want!r} at character {at + 1}, found {tok!r}")
        self.i += 1
        return tok

    def type(self) -> ColType:
        word = self.take().lower()
        if word in PRIMITIVES:
            return ColType(PRIMITIVES[word])
        if word == "json":
            return ColType("json")
        if word == "decimal":
            self.take("(")
            p, _, s = self.take(), self.take(","), self.take()
            self.take(")")
            if not (p.isdigit() and s.isdigit()):
                raise ValueError("decimal(p,s) needs whole numbers")
            if not 1 <= int(p) <= 38 or int(s) > int(p):
                raise ValueError("decimal(p,s) needs 1 <= p <= 38 and 0 <= s <= p")
            return ColType("decimal", precision=int(p), scale=int(s))
        if word == "array":
            self.take("<")
            element = self.type()
            self.take(">")
            return ColType("array", element=element)
        if word == "map":
            self.take("<")
            key = self.type()
            if key.nested or key.kind == "json":
                raise ValueError(f"map keys must be a primitive type, not {key}")
            self.take(",")
            value = self.type()
            self.take(">")
            return ColType("map", key=key, value=value)
        if word == "struct":
            self.take("<")
            fields: list[tuple[str, ColType]] = []
            seen: set[str] = set()
            while True:
                name = self.take()
                if name in {"<", ">", "(", ")", ",", ":"}:
                    raise ValueError(f"expected a field name in struct, found {name!r}")
                if name.startswith("`"):
                    name = name[1:-1].replace("``", "`")
                if name in seen:
                    raise ValueError(f"duplicate struct field {name!r}")
                seen.add(name)
                self.take(":")
                fields.append((name, self.type()))
                if self.peek() == ">":
                    break
                self.take(",")
            self.take(">")
            return ColType("struct", fields=tuple(fields))
        raise ValueError(f"unknown type {word!r}")


def parse_type(text: str) -> ColType:
    """The parsed type; ValueError saying what is wrong (and the grammar for an unknown name)."""
    try:
        p = _Parser(str(text).strip())
        t = p.type()
        if p.peek() is not None:
            raise ValueError(f"unexpected {p.peek()!r} after the type {t}")
    except ValueError as exc:
        if str(exc).startswith("unknown type"):
            name = str(exc).removeprefix("unknown type ")
            raise ValueError(f"unknown column type {name} (expected {TYPE_GRAMMAR})") from None
        if str(exc).startswith("decimal"):
            raise
        raise ValueError(f"invalid column type {str(text).strip()!r}: {exc}") from None
    return t


def normalize(text: str) -> str:
    """Canonical spelling: ``BOOL`` -> ``boolean``, ``Struct< a : INT >`` -> ``struct<a:int>``."""
    return str(parse_type(text))


def struct_of(fields: list[tuple[str, ColType]]) -> ColType:
    return ColType("struct", fields=tuple(fields))


def json_kind(v: object) -> str:
    """The JSON kind of a value from ``json.loads``: object, array, string, boolean, number or null."""
    if v is None:
        return "null"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "boolean"
    return "number"
