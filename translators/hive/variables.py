"""Hive variable substitution: ``${hivevar:x}``, ``${hiveconf:x}``, ``${env:x}``, ``${system:x}``, ``${x}``.

Hive substitutes before parsing, everywhere in the text (strings included), repeatedly (a value may hold
another reference), so this does the same. A plain ``${x}`` looks in hivevar, then hiveconf, like Hive's
``VariableSubstitution``. Values come from the plan or ``--var`` and from ``SET`` statements met earlier in
the same script, then (for a few well-known HiveConf keys) Hive's own defaults, as Hive substitutes its
configuration; the process environment is never read, so a translation is reproducible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# HiveConf values a script reads back with ${hiveconf:...} without setting them: Hive substitutes its
# configuration, defaults included. Used when neither --var, the plan nor a SET defines the key, with a note
# (a cluster may set another value; define it then).
HIVECONF_DEFAULTS = {
    "hive.metastore.warehouse.dir": "/user/hive/warehouse",
    "hive.metastore.warehouse.external.dir": "/warehouse/tablespace/external/hive",
    "hive.exec.scratchdir": "/tmp/hive",
    "hive.exec.default.partition.name": "__HIVE_DEFAULT_PARTITION__",
    "hive.default.fileformat": "TextFile",
    "hive.exec.dynamic.partition.mode": "strict",
    "hive.exec.dynamic.partition": "true",
    "hive.execution.engine": "mr",
}

_REF = re.compile(r"\$\{(?:(hivevar|hiveconf|env|system|define):)?([^}:{$]+)\}")
_MAX_DEPTH = 40  # Hive's own limit on nested substitution


@dataclass
class Variables:
    hivevar: dict[str, str] = field(default_factory=dict)
    hiveconf: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    system: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_assignments(cls, items: list[str] | tuple[str, ...]) -> Variables:
        """Build from ``NAME=VALUE`` strings; ``NAME`` may carry a namespace (``hiveconf:x``, ``env:X``)."""
        v = cls()
        for item in items:
            if "=" not in item:
                raise ValueError(f"variable {item!r}: expected NAME=VALUE")
            name, value = item.split("=", 1)
            v.define(name.strip(), value)
        return v

    def define(self, name: str, value: str) -> None:
        ns, _, key = name.rpartition(":")
        table = {"": self.hivevar, "hivevar": self.hivevar, "define": self.hivevar, "hiveconf": self.hiveconf,
                 "env": self.env, "system": self.system}.get(ns)
        if table is None:
            raise ValueError(f"variable {name!r}: unknown namespace {ns!r}")
        table[key] = value

    def lookup(self, ns: str | None, key: str) -> str | None:
        if ns in (None, ""):
            return self.hivevar.get(key, self.hiveconf.get(key))
        if ns in ("hivevar", "define"):
            return self.hivevar.get(key)
        return {"hiveconf": self.hiveconf, "env": self.env, "system": self.system}[ns].get(key)

    def copy(self) -> Variables:
        return Variables(dict(self.hivevar), dict(self.hiveconf), dict(self.env), dict(self.system))


@dataclass(frozen=True)
class Substitution:
    text: str
    used: tuple[str, ...]  # references replaced, as written (e.g. "hivevar:dt")
    unresolved: tuple[str, ...]  # references left in the text
    defaulted: tuple[str, ...] = ()  # hiveconf references given Hive's default value (HIVECONF_DEFAULTS)


def substitute(text: str, variables: Variables) -> Substitution:
    used: list[str] = []
    unresolved: list[str] = []
    defaulted: list[str] = []

    def repl(m: re.Match[str]) -> str:
        ns, key = m.group(1), m.group(2)
        value = variables.lookup(ns, key)
        ref = f"{ns}:{key}" if ns else key
        if value is None and ns in (None, "", "hiveconf") and key in HIVECONF_DEFAULTS:
            value = HIVECONF_DEFAULTS[key]
            if ref not in defaulted:
                defaulted.append(ref)
        if value is None:
            if ref not in unresolved:
                unresolved.append(ref)
            return m.group(0)
        if ref not in used:
            used.append(ref)
        return value

    for _ in range(_MAX_DEPTH):
        unresolved.clear()
        new = _REF.sub(repl, text)
        if new == text:
            break
        text = new
    return Substitution(text, tuple(used), tuple(unresolved), tuple(defaulted))


def references(text: str) -> list[str]:
    return [f"{m.group(1)}:{m.group(2)}" if m.group(1) else m.group(2) for m in _REF.finditer(text)]
