"""Hive built-ins whose Spark namesake means something else, kept apart from sqlglot's own mapping.

sqlglot reads some Hive calls into generic nodes that Spark writes back with Spark's meaning:
``variance``/``stddev``/``std`` are *population* aggregates in Hive but *sample* ones in Spark,
``struct(a, b)`` names its fields ``col1, col2`` in Hive but ``a, b`` in Spark, ``trunc(d, 'MM')``
becomes ``date_trunc`` (a TIMESTAMP instead of a date); ``first_value(x, false)`` (Hive's skip-nulls flag)
is refused by sqlglot's parser. Before parsing, ``mark_hive_functions`` renames
those calls (found with sqlglot's own tokenizer, so strings and comments are never touched) to a private
name that sqlglot keeps as an anonymous call; the rules below then write the Spark form that keeps Hive's
meaning and record what they did. The private name never reaches the output: ``rule_hive_functions``
replaces every one of them.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.hive import Hive
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from .context import Context

PREFIX = "MIGRATE_HIVE_"
# Hive name -> why it is kept apart.
_MARKED = {"variance", "stddev", "std", "struct", "trunc", "first_value", "last_value",
           # datetime patterns: sqlglot converts them to strftime and back, which loses SimpleDateFormat letters
           # (YYYY, the week-year, comes back as yyyy); kept as written, checked by rules.rule_date_formats
           "date_format", "from_unixtime", "unix_timestamp", "to_unix_timestamp"}
_HIVE = Hive()


def mark_hive_functions(text: str) -> str:
    """Rename calls of ``_MARKED`` functions to ``MIGRATE_HIVE_<name>`` (text unchanged if none)."""
    lowered = text.lower()
    if not any(name in lowered for name in _MARKED):
        return text
    try:
        tokens = _HIVE.tokenize(text)
    except SqlglotError:
        return text  # the parser reports the statement itself
    spans: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens[:-1]):
        name = tok.text.lower()
        if name not in _MARKED or tok.token_type == TokenType.STRING:
            continue
        if tokens[i + 1].token_type != TokenType.L_PAREN or (i and tokens[i - 1].token_type == TokenType.DOT):
            continue
        if text[tok.start:tok.end + 1].lower() != name:
            continue  # a quoted identifier (`std`) or a token whose text was normalised
        spans.append((tok.start, tok.end + 1, f"{PREFIX}{name.upper()}"))
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


def _args(node: exp.Anonymous) -> list[exp.Expression]:
    return list(node.expressions)


def rule_hive_functions(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Write the marked Hive calls in the Spark form that keeps Hive's meaning."""
    marked = [n for n in ctx.of(exp.Anonymous) if n.name.upper().startswith(PREFIX)]
    for node in reversed(marked):  # innermost first: an outer call keeps the rewritten arguments
        name = node.name.upper()
        hive = name[len(PREFIX):].lower()
        args = _args(node)
        new: exp.Expression
        if hive == "variance" and len(args) == 1:
            new = exp.VariancePop(this=args[0])
            ctx.construct("population_aggregate")
            ctx.note("hive_functions", "variance(x) -> var_pop(x): Hive's variance is the population variance, "
                                       "Spark's the sample one")
        elif hive in ("stddev", "std") and len(args) == 1:
            new = exp.StddevPop(this=args[0])
            ctx.construct("population_aggregate")
            ctx.note("hive_functions", f"{hive}(x) -> stddev_pop(x): Hive's {hive} is the population standard "
                                       "deviation, Spark's stddev the sample one")
        elif hive == "struct":
            # Hive names the fields col1, col2, ... whatever the arguments are.
            new = exp.Struct(expressions=[
                a if a.is_star else exp.PropertyEQ(this=exp.to_identifier(f"col{i + 1}"), expression=a)
                for i, a in enumerate(args)])
            if any(isinstance(a, exp.Column) for a in args):
                ctx.hit("hive_functions")
        elif hive == "trunc":
            # Spark's trunc(date, fmt) returns a date like Hive's (date_trunc would return a timestamp);
            # Hive's 'Q' is Spark's 'QUARTER' (Spark returns NULL for 'Q').
            if len(args) == 2 and isinstance(args[1], exp.Literal) and args[1].is_string \
                    and args[1].name.upper() == "Q":
                args[1] = exp.Literal.string("QUARTER")
                ctx.hit("hive_functions")
            if len(args) == 2 and isinstance(args[1], exp.Literal) and not args[1].is_string:
                ctx.fail("hive_functions", "trunc(number, digits) (Hive 3) has no Spark built-in: use "
                                           "round-towards-zero, e.g. CAST(x * 10^d AS BIGINT) / 10^d")
            new = exp.Anonymous(this="TRUNC", expressions=args)
        else:
            # first_value/last_value(x, skip_nulls): Spark's first_value/last_value(x, ignore_nulls) means the same
            new = exp.Anonymous(this=hive.upper(), expressions=args)
        node.replace(new)
    initcaps = ctx.of(exp.Initcap)
    for node in initcaps:
        # sqlglot reads Hive's initcap with Hive's word delimiters and cannot write them for Spark; Spark's
        # initcap has the same meaning (whitespace-separated words, the rest lower-cased).
        node.replace(exp.Anonymous(this="INITCAP", expressions=[node.this]))
        ctx.hit("hive_functions")
    if marked or initcaps:
        ctx.nodes = list(tree.walk())  # later rules filter this index: it must hold the new nodes
    return tree
