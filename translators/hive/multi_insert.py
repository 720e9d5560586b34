"""Hive multi-insert (``FROM src INSERT ... SELECT ... INSERT ... SELECT ...``) -> one INSERT per branch.

Spark's parser accepts the multi-insert form, but not for Iceberg (DataSource V2) targets, and a reviewer
reads separate statements more easily. Splitting changes two things, reported in a note: the source is read
once per branch, and the branches are no longer one job (a failure can leave some targets written).
"""

from __future__ import annotations

from sqlglot import exp

from .context import Context


def _table_names(node: exp.Expression) -> set[str]:
    return {exp.table_name(t).lower() for t in node.find_all(exp.Table)}


def split_multi_insert(tree: exp.MultitableInserts, ctx: Context) -> list[exp.Expression]:
    ctx.construct("multi_insert")
    source = tree.args.get("source")
    with_ = tree.args.get("with_")
    out: list[exp.Expression] = []
    if source is None:
        ctx.fail("multi_insert", "multi-insert without a FROM clause")
        return out
    targets: set[str] = set()
    for branch in tree.expressions:
        ins = branch.copy()
        query = ins.expression
        if not isinstance(query, exp.Select) or query.args.get("from_"):
            ctx.fail("multi_insert", f"multi-insert branch is not a plain SELECT: {query.sql('hive')[:80]}")
            return []
        src = source.copy()
        # Joins and LATERAL VIEWs written after the shared FROM belong to each branch's SELECT.
        joins = src.args.get("joins") or []
        laterals = src.args.get("laterals") or []
        src.set("joins", None)
        src.set("laterals", None)
        query.set("from_", exp.From(this=src))
        if joins:
            query.set("joins", [j.copy() for j in joins] + list(query.args.get("joins") or []))
        if laterals:
            query.set("laterals", [lv.copy() for lv in laterals] + list(query.args.get("laterals") or []))
        if with_ is not None:
            query.set("with_", with_.copy())
        if isinstance(ins.this, exp.Table):
            targets.add(exp.table_name(ins.this).lower())
        out.append(ins)
    ctx.hit("multi_insert")
    if len(out) > 1:
        ctx.note("multi_insert", f"multi-insert split into {len(out)} INSERT statements: the source is read "
                                 f"{len(out)} times and the inserts no longer commit together")
    read = _table_names(source)
    overlap = sorted(read & targets)
    if overlap:
        ctx.fail("multi_insert", f"multi-insert writes {', '.join(overlap)}, which it also reads: the split "
                                 "statements would read rows written by earlier branches")
    return out
