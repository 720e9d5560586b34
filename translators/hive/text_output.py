"""Hive text output of collection columns for ``INSERT OVERWRITE [LOCAL] DIRECTORY`` in text form: Hive's
LazySimpleSerDe writes an ARRAY as its items joined by the collection delimiter (\\x02 unless the ROW FORMAT
says otherwise) and a MAP as ``key<map-key delimiter>value`` pairs joined the same way, NULL items as ``\\N``.
Spark's CSV writer (what the translation writes text with) has no complex types, so such columns are turned
into that text in the SELECT. Nested collections (an array of arrays, of structs) are left alone: Spark then
refuses the write, which the report states.
"""

from __future__ import annotations

import re

from sqlglot import exp

from . import catalog, infer
from .context import Context
from .files import split_type_args, sql_string
from .rules import expand_lone_star


def _delims(row_format: exp.Expression | None) -> tuple[str, str, str]:
    items, keys, null = "\x02", "\x03", "\\N"
    if isinstance(row_format, exp.RowFormatDelimitedProperty):
        if row_format.args.get("collection_items") is not None:
            items = catalog.hive_delimiter(row_format.args["collection_items"].name)
        if row_format.args.get("map_keys") is not None:
            keys = catalog.hive_delimiter(row_format.args["map_keys"].name)
        if row_format.args.get("null") is not None:
            null = row_format.args["null"].name
    elif isinstance(row_format, exp.RowFormatSerdeProperty):  # LazySimpleSerDe with its properties
        props = {p.name: p.text("value") for p in (row_format.args.get("serde_properties") or
                                                    exp.Properties()).expressions}
        items = catalog.hive_delimiter(props.get("collection.delim", props.get("colelction.delim", items)))
        keys = catalog.hive_delimiter(props.get("mapkey.delim", keys))
        null = props.get("serialization.null.format", null)
    return items, keys, null


def _scalar(t: str) -> bool:
    return not re.match(r"(array|map|struct)<", t)


def _as_text(var: str, null: str) -> str:
    return f"coalesce(CAST({var} AS STRING), {sql_string(null)})"


def stringify_collections(select: exp.Expression, row_format: exp.Expression | None, ctx: Context) -> None:
    if not isinstance(select, exp.Select):
        return
    types = infer.Types(ctx)
    expand_lone_star(select, types)
    items, keys, null = _delims(row_format)
    changed = []
    for i, item in enumerate(list(select.expressions)):
        value = item.this if isinstance(item, exp.Alias) else item
        t = types.type_of(value, select)
        if t is None or _scalar(t):
            continue
        inner = split_type_args(t[t.index("<") + 1:-1])
        if t.startswith("array<") and len(inner) == 1 and _scalar(inner[0]):
            text = f"array_join(transform({{v}}, x -> {_as_text('x', null)}), {sql_string(items)})"
        elif t.startswith("map<") and len(inner) == 2 and all(_scalar(x) for x in inner):
            text = (f"array_join(transform(map_entries({{v}}), e -> concat({_as_text('e.key', null)}, "
                    f"{sql_string(keys)}, {_as_text('e.value', null)})), {sql_string(items)})")
        else:
            continue
        name = item.alias_or_name or f"c{i}"
        new: exp.Expression = exp.maybe_parse(text.replace("{v}", value.sql("spark")), dialect="spark")
        select.expressions[i].replace(exp.alias_(new, name, quoted=not re.fullmatch(r"[a-z_][a-z0-9_]*", name)))
        changed.append(name)
    if changed:
        ctx.note("insert_directory", f"ARRAY/MAP columns ({', '.join(changed)}) written as Hive's text does (items "
                                     "joined by the collection delimiter, keys by the map-key delimiter, NULL as "
                                     f"{null}): Spark's CSV writer has no complex types")
