"""HiveQL scripts: statement splitting, variables, and the tables each script reads and writes.

Statements are split by ``migrate.translators.hive.splitter`` (quotes with backslash escapes,
`identifiers`, ``--`` and ``/* */`` comments: a ``;`` inside any of those does not end a statement).

Inputs and outputs come from sqlglot's Hive dialect: targets of INSERT (multi-insert included), CTAS,
LOAD DATA and INSERT OVERWRITE DIRECTORY are outputs; tables in the scopes of the query are inputs
(CTE names are not tables). ``USE db`` changes the database unqualified names resolve to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from migrate.inventory.model import PathRef, Problem
from migrate.translators.hive.splitter import split_statements as split_script

VAR = re.compile(r"\$\{(?:(hivevar|hiveconf|env|system):)?([^}]+)\}")


@dataclass
class Statement:
    text: str  # the statement without its closing ``;`` (comments inside kept)
    line: int  # 1-based line of the statement's first token


def split_statements(sql: str) -> list[Statement]:
    """Split a script on top-level ``;`` with the translator's splitter (one splitter for the project)."""
    return [Statement(st.text, st.line) for st in split_script(sql).statements]


def variables(sql: str) -> list[str]:
    return sorted({f"{ns or 'hivevar'}:{name}" for ns, name in VAR.findall(sql)})


def _placeholder(m: re.Match[str]) -> str:
    return "__var_" + re.sub(r"\W", "_", m.group(2)) + "__"


def _restore(text: str) -> str:
    return re.sub(r"__var_(\w+?)__", lambda m: "${" + m.group(1) + "}", text)


@dataclass
class HiveScript:
    inputs: list[PathRef] = field(default_factory=list)
    outputs: list[PathRef] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    statements: int = 0


_SKIP = re.compile(r"^(set|add|reset|dfs|!|source|create\s+temporary\s+function|msck|analyze|compute)\b", re.I)
_USE = re.compile(r"^use\s+`?(\w+)`?\s*$", re.I)


def analyze(sql: str, path: str = "<sql>", default_db: str = "default") -> HiveScript:
    import sqlglot
    from sqlglot import exp

    res = HiveScript(variables=variables(sql))
    db = default_db
    seen_in: set[str] = set()
    seen_out: set[str] = set()

    def add(refs: list[PathRef], seen: set[str], ref: PathRef) -> None:
        key = f"{ref.kind}:{ref.text}"
        if key not in seen:
            seen.add(key)
            refs.append(ref)

    def table_name(t: exp.Table) -> str:
        name = t.name
        qual = t.db or db
        return _restore(f"{qual}.{name}".lower())

    for st in split_statements(sql):
        res.statements += 1
        text = VAR.sub(_placeholder, st.text)
        if _SKIP.match(text):
            continue
        m = _USE.match(text)
        if m:
            db = m.group(1).lower()
            continue
        try:
            tree = sqlglot.parse_one(text, read="hive")
        except Exception as exc:  # sqlglot raises ParseError / TokenError
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            res.problems.append(Problem(path=f"{path}:{st.line}", kind="hiveql_parse", message=msg))
            continue
        if tree is None or isinstance(tree, exp.Command):
            continue
        targets: set[int] = set()
        for ins in tree.find_all(exp.Insert):
            tgt = ins.this
            if isinstance(tgt, exp.Schema):
                tgt = tgt.this
            if isinstance(tgt, exp.Table):
                targets.add(id(tgt))
                add(res.outputs, seen_out, PathRef(text=table_name(tgt), kind="table", call="INSERT",
                                                   line=st.line, dynamic="__var_" in f"{tgt.db}.{tgt.name}"))
            elif isinstance(tgt, exp.Directory):
                p = tgt.this.name if isinstance(tgt.this, exp.Literal) else tgt.this.sql()
                add(res.outputs, seen_out, PathRef(text=_restore(p), call="INSERT OVERWRITE DIRECTORY",
                                                   line=st.line))
        if isinstance(tree, exp.Create) and tree.expression is not None:
            tgt = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            if isinstance(tgt, exp.Table):
                targets.add(id(tgt))
                add(res.outputs, seen_out, PathRef(text=table_name(tgt), kind="table", call="CREATE TABLE AS",
                                                   line=st.line))
        elif isinstance(tree, exp.Create | exp.Drop | exp.Alter):
            continue  # DDL inside a script: no data flows
        if isinstance(tree, exp.LoadData):
            tgt = tree.this
            targets.add(id(tgt))
            add(res.outputs, seen_out, PathRef(text=table_name(tgt), kind="table", call="LOAD DATA", line=st.line))
            inpath = tree.args.get("inpath")
            if inpath is not None:
                add(res.inputs, seen_in, PathRef(text=_restore(inpath.name), call="LOAD DATA", line=st.line))
            continue
        for t in _source_tables(tree):
            if id(t) in targets:
                continue
            add(res.inputs, seen_in, PathRef(text=table_name(t), kind="table", call="FROM", line=st.line,
                                             dynamic="__var_" in f"{t.db}.{t.name}"))
    return res


def _source_tables(tree: Any) -> list[Any]:
    """Real tables read by a statement: scope sources (CTEs and derived tables excluded)."""
    from sqlglot import exp
    from sqlglot.optimizer.scope import traverse_scope

    assert isinstance(tree, exp.Expression)
    found: dict[int, exp.Table] = {}
    # A WITH attached to an INSERT is outside the SELECT's scope: its names are not tables.
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    queries: list[Any] = [q for q in tree.find_all(exp.Query) if not isinstance(q.parent, exp.Query | exp.Subquery)]
    ok = True
    for q in queries or [tree]:
        try:
            for scope in traverse_scope(q):
                for source in scope.sources.values():
                    if isinstance(source, exp.Table):
                        found[id(source)] = source
        except Exception:  # scope building fails on some Hive-only shapes: fall back below
            ok = False
    if not ok or not found:
        for t in tree.find_all(exp.Table):
            found.setdefault(id(t), t)
    return [t for t in found.values() if t.db or t.name.lower() not in ctes]
