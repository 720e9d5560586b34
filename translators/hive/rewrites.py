"""Hive syntax sqlglot cannot read, rewritten on the token stream into equivalent HiveQL it can read.

- Pass-through PTFs: ``noop(on <input> [partition by p] [order by o])`` (and ``noopwithmap``,
  ``noopstreaming``, ``noopwithmapstreaming``) return their input, partitioned and ordered: that is
  ``(SELECT * FROM <input> DISTRIBUTE BY p SORT BY o)``. Chains nest (``noop(on noop(on t ...))``).
- A window ``OVER (CLUSTER BY c)`` is ``OVER (PARTITION BY c ORDER BY c)``.
- Legacy windowing (Hive's windowing branch, before 0.11 settled on standard SQL): ``expr AS alias OVER w``
  is ``expr OVER w AS alias``.

Tokens come from sqlglot's own Hive tokenizer, so strings and comments are never touched. Each rewrite
returns the new text and what it did (for the report); text without these forms comes back unchanged.
"""

from __future__ import annotations

from sqlglot.dialects.hive import Hive
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

_HIVE = Hive()
PASS_THROUGH_PTFS = {"noop", "noopwithmap", "noopstreaming", "noopwithmapstreaming"}
_CLAUSES = {TokenType.PARTITION_BY: "DISTRIBUTE BY", TokenType.DISTRIBUTE_BY: "DISTRIBUTE BY",
            TokenType.CLUSTER_BY: "CLUSTER BY", TokenType.ORDER_BY: "SORT BY", TokenType.SORT_BY: "SORT BY"}


def _tokens(text: str) -> list[Token] | None:
    try:
        return list(_HIVE.tokenize(text))
    except SqlglotError:
        return None


def _closing(tokens: list[Token], open_index: int) -> int | None:
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[i].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return i
    return None


def rewrite_ptfs(text: str) -> tuple[str, list[str]]:
    """Replace pass-through PTF calls with the equivalent subquery; returns (text, names rewritten)."""
    done: list[str] = []
    while True:
        tokens = _tokens(text)
        if tokens is None:
            return text, done
        hit = next((i for i in range(len(tokens) - 2)
                    if tokens[i].text.lower() in PASS_THROUGH_PTFS and tokens[i + 1].token_type == TokenType.L_PAREN
                    and tokens[i + 2].token_type == TokenType.ON), None)
        if hit is None:
            return text, done
        close = _closing(tokens, hit + 1)
        if close is None:
            return text, done
        inner = tokens[hit + 3:close]
        # top-level PARTITION BY / ORDER BY ... of the PTF call (not of a subquery inside its input)
        depth, cuts = 0, []
        for j, tok in enumerate(inner):
            depth += tok.token_type == TokenType.L_PAREN
            depth -= tok.token_type == TokenType.R_PAREN
            if depth == 0 and tok.token_type in _CLAUSES:
                cuts.append(j)
        end_source = cuts[0] if cuts else len(inner)
        if end_source == 0:
            return text, done
        source = text[inner[0].start:inner[end_source - 1].end + 1]
        clauses = []
        for k, j in enumerate(cuts):
            stop = cuts[k + 1] if k + 1 < len(cuts) else len(inner)
            if stop <= j + 1:
                return text, done
            clauses.append(f"{_CLAUSES[inner[j].token_type]} {text[inner[j + 1].start:inner[stop - 1].end + 1]}")
        replacement = f"(SELECT * FROM {source}{' ' if clauses else ''}{' '.join(clauses)})"
        done.append(tokens[hit].text.lower())
        text = text[:tokens[hit].start] + replacement + text[tokens[close].end + 1:]


def rewrite_legacy_windowing(text: str) -> tuple[str, int]:
    """``expr AS alias OVER w`` / ``expr AS alias OVER (spec)`` -> ``expr OVER ... AS alias``."""
    count = 0
    while True:
        tokens = _tokens(text)
        if tokens is None:
            return text, count
        hit = next((i for i in range(len(tokens) - 3) if tokens[i].token_type == TokenType.ALIAS
                    and tokens[i + 2].token_type == TokenType.OVER), None)
        if hit is None:
            return text, count
        spec_start = hit + 3
        if tokens[spec_start].token_type == TokenType.L_PAREN:
            spec_end = _closing(tokens, spec_start)
            if spec_end is None:
                return text, count
        else:
            spec_end = spec_start
        alias = tokens[hit + 1].text if tokens[hit + 1].token_type != TokenType.IDENTIFIER else \
            f"`{tokens[hit + 1].text}`"
        window = text[tokens[hit + 2].start:tokens[spec_end].end + 1]
        text = text[:tokens[hit].start] + f"{window} AS {alias}" + text[tokens[spec_end].end + 1:]
        count += 1


def rewrite_window_cluster_by(text: str) -> tuple[str, int]:
    """``OVER (CLUSTER BY c [frame])`` -> ``OVER (PARTITION BY c ORDER BY c [frame])``."""
    count = 0
    while True:
        tokens = _tokens(text)
        if tokens is None:
            return text, count
        hit = next((i for i in range(len(tokens) - 2) if tokens[i].token_type == TokenType.OVER
                    and tokens[i + 1].token_type == TokenType.L_PAREN
                    and tokens[i + 2].token_type == TokenType.CLUSTER_BY), None)
        if hit is None:
            return text, count
        close = _closing(tokens, hit + 1)
        if close is None or close <= hit + 3:
            return text, count
        stop = next((j for j in range(hit + 3, close) if tokens[j].token_type in (TokenType.ROWS, TokenType.RANGE)
                     or tokens[j].text.upper() in ("ROWS", "RANGE")), close)
        cols = text[tokens[hit + 3].start:tokens[stop - 1].end + 1]
        text = text[:tokens[hit + 2].start] + f"PARTITION BY {cols} ORDER BY {cols} " + text[tokens[stop].start:]
        count += 1


def rewrite_local_tz_timestamp(text: str) -> tuple[str, int]:
    """Hive 3's ``TIMESTAMP WITH LOCAL TIME ZONE`` (also spelled ``TIMESTAMPLOCALTZ``), an instant shown in the
    session's time zone, is Spark's ``TIMESTAMP`` (TIMESTAMP_LTZ): the type name is replaced."""
    tokens = _tokens(text)
    if tokens is None:
        return text, 0
    words = [t.text.lower() if t.token_type != TokenType.STRING else "" for t in tokens]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if words[i] == "timestamplocaltz":
            spans.append((tokens[i].start, tokens[i].end))
        elif words[i:i + 5] == ["timestamp", "with", "local", "time", "zone"]:
            spans.append((tokens[i].start, tokens[i + 4].end))
            i += 4
        i += 1
    for start, end in reversed(spans):
        text = text[:start] + "TIMESTAMP" + text[end + 1:]
    return text, len(spans)


# Where a MAP/REDUCE transform clause ends its argument list (at the depth of the clause).
_TRANSFORM_STOP = {TokenType.FROM, TokenType.SELECT, TokenType.WHERE, TokenType.JOIN, TokenType.UNION,
                   TokenType.GROUP_BY, TokenType.ORDER_BY, TokenType.INSERT}


def rewrite_map_reduce(text: str) -> tuple[str, int]:
    """``MAP exprs [ROW FORMAT ...] USING 'script' ...`` and ``REDUCE ...``: Hive's synonyms of ``SELECT
    TRANSFORM(exprs) ... USING``, which Spark (and sqlglot) read."""
    count = 0
    while True:
        tokens = _tokens(text)
        if tokens is None:
            return text, count
        hit = None
        for i, tok in enumerate(tokens[:-1]):
            if tok.text.upper() not in ("MAP", "REDUCE") or tokens[i + 1].token_type in (
                    TokenType.L_PAREN, TokenType.LT, TokenType.DOT, TokenType.COMMA, TokenType.R_PAREN) or (
                    i and tokens[i - 1].token_type in (TokenType.DOT, TokenType.COMMA, TokenType.SELECT)):
                continue
            depth, end = 0, None
            for j in range(i + 1, len(tokens)):
                tt = tokens[j].token_type
                depth += tt == TokenType.L_PAREN
                depth -= tt == TokenType.R_PAREN
                if depth < 0 or (depth == 0 and tt in _TRANSFORM_STOP):
                    break
                if depth == 0 and (tt == TokenType.USING or tokens[j].text.upper() == "ROW"):
                    end = j
                    break
            if end is not None and end > i + 1:
                hit = (i, end)
                break
        if hit is None:
            return text, count
        i, end = hit
        args = text[tokens[i + 1].start:tokens[end - 1].end + 1]
        text = text[:tokens[i].start] + f"SELECT TRANSFORM({args}) " + text[tokens[end].start:]
        count += 1


_MODIFIERS = {"ENABLE", "DISABLE", "ENFORCED", "VALIDATE", "NOVALIDATE", "RELY", "NORELY"}
_TABLE_CONSTRAINTS = {TokenType.PRIMARY_KEY, TokenType.FOREIGN_KEY, TokenType.UNIQUE}


def _constraint_start(tokens: list[Token], i: int) -> bool:
    t = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return t.token_type in (TokenType.CONSTRAINT, TokenType.DEFAULT, TokenType.REFERENCES, *_TABLE_CONSTRAINTS) or \
        t.text.upper() == "CHECK" or (t.token_type == TokenType.NOT and nxt is not None
                                       and nxt.token_type == TokenType.NULL)


def _entry_constraints(tokens: list[Token], text: str) -> tuple[int, int, list[tuple[str, str, bool]]] | None:
    """Where the constraints of one column definition (or table-level constraint) start and end, and each
    constraint: (kind, its text without modifiers, enabled). None when there is none."""
    table_level = tokens[0].token_type in (TokenType.CONSTRAINT, TokenType.PRIMARY_KEY, TokenType.FOREIGN_KEY) or (
        tokens[0].token_type == TokenType.UNIQUE and len(tokens) > 1 and tokens[1].token_type == TokenType.L_PAREN)
    # a column's constraints follow its name and type (a column may be called check or default)
    start = 0 if table_level else next((i for i in range(2, len(tokens)) if _constraint_start(tokens, i)), None)
    if start is None:
        return None
    clauses: list[tuple[str, str, bool]] = []
    i, depth = start, 0
    while i < len(tokens):
        if tokens[i].token_type == TokenType.COMMENT or tokens[i].text.upper() == "COMMENT":
            break  # the column's comment follows its constraints
        if tokens[i].token_type == TokenType.CONSTRAINT:
            i += 2  # CONSTRAINT name
            continue
        kind_start = i
        kind = tokens[i].text.upper()
        i += 2 if kind == "NOT" else 1
        # the clause body runs to the next modifier or constraint keyword at depth 0
        while i < len(tokens):
            tt = tokens[i].token_type
            depth += tt == TokenType.L_PAREN
            depth -= tt == TokenType.R_PAREN
            if depth == 0 and (tokens[i].text.upper() in _MODIFIERS or _constraint_start(tokens, i)
                               or tokens[i].text.upper() == "COMMENT"):
                break
            if tt == TokenType.NOT and i + 1 < len(tokens) and tokens[i + 1].text.upper() == "ENFORCED":
                break
            i += 1
        body = text[tokens[kind_start].start:tokens[i - 1].end + 1]
        enabled = kind not in ("PRIMARY KEY", "FOREIGN KEY", "UNIQUE", "REFERENCES")  # Hive: DISABLE only
        while i < len(tokens) and (tokens[i].text.upper() in _MODIFIERS or (
                tokens[i].token_type == TokenType.NOT and i + 1 < len(tokens)
                and tokens[i + 1].text.upper() == "ENFORCED")):
            word = tokens[i].text.upper()
            if word == "NOT":
                enabled, i = False, i + 2
                continue
            if word in ("ENABLE", "ENFORCED"):
                enabled = True
            elif word == "DISABLE":
                enabled = False
            i += 1
        clauses.append((kind, body, enabled))
    return start, i, clauses


def rewrite_constraints(text: str, target_format: str) -> tuple[str, list[str], list[str]]:
    """Constraints in ``CREATE TABLE`` column lists (Hive 2.1+): informational ones (DISABLE, NOT ENFORCED:
    PRIMARY KEY, FOREIGN KEY, UNIQUE, and NOT NULL/CHECK when disabled) are dropped; an enforced NOT NULL is
    Spark's NOT NULL; DEFAULT is kept for Parquet (Spark fills it as Hive does) and refused for Iceberg; an
    enforced CHECK is refused. Returns (text, notes, refusals)."""
    tokens = _tokens(text)
    if tokens is None or len(tokens) < 3 or tokens[0].token_type != TokenType.CREATE:
        return text, [], []
    notes: list[str] = []
    refusals: list[str] = []
    groups: list[tuple[int, int]] = []
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.L_PAREN and i > 0 and (
                tokens[i - 1].token_type == TokenType.PARTITION_BY or
                (tokens[i - 1].token_type in (TokenType.VAR, TokenType.IDENTIFIER, TokenType.TABLE) and
                 not groups and any(t.token_type == TokenType.TABLE for t in tokens[:i]))):
            close = _closing(tokens, i)
            if close is not None:
                groups.append((i, close))
    edits: list[tuple[int, int, str]] = []
    for open_i, close_i in groups:
        entries: list[list[int]] = [[]]
        depth = angles = 0
        for j in range(open_i + 1, close_i):
            tt = tokens[j].token_type
            depth += tt == TokenType.L_PAREN
            depth -= tt == TokenType.R_PAREN
            if depth == 0:  # <> of a type (not a comparison inside CHECK (...))
                angles += tt == TokenType.LT
                angles -= tt == TokenType.GT
            if tt == TokenType.COMMA and depth == 0 and angles == 0:
                entries.append([])
            else:
                entries[-1].append(j)
        for k, idx in enumerate(entries):
            if not idx:
                continue
            toks = [tokens[j] for j in idx]
            found = _entry_constraints(toks, text)
            if found is None:
                continue
            start, end, clauses = found
            table_level = start == 0
            kept: list[str] = []
            for kind, body, enabled in clauses:
                if not enabled:
                    notes.append(" ".join(body.split())[:50])
                elif kind == "NOT":
                    kept.append("NOT NULL")
                elif kind == "DEFAULT" and target_format != "iceberg":
                    kept.append(body)
                elif kind == "DEFAULT":
                    refusals.append(f"{' '.join(body.split())[:60]}: Hive fills the value when an INSERT omits the "
                                    "column; Iceberg tables in Spark take no column DEFAULT: write the value in the "
                                    "INSERTs")
                else:
                    refusals.append(f"{' '.join(body.split())[:60]}: an enforced constraint Hive checks on every "
                                    "write; the target table cannot: check the data with a validation rule of the "
                                    "plan instead")
            if table_level:
                # the whole entry goes, with the comma before it (or after it, for the first entry)
                first, last = idx[0], idx[-1]
                if k > 0:
                    prev = entries[k - 1][-1] if entries[k - 1] else open_i
                    edits.append((tokens[prev].end + 1, tokens[last].end + 1, ""))
                else:
                    nxt = entries[1][0] if len(entries) > 1 and entries[1] else close_i
                    edits.append((tokens[first].start, tokens[nxt].start, ""))
            else:
                stop = toks[end].start if end < len(toks) else toks[-1].end + 1
                edits.append((toks[start].start, stop, " ".join(kept) + (" " if end < len(toks) else "")))
    for s, e, new in sorted(edits, reverse=True):
        text = text[:s] + new + text[e:]
    return text, notes, refusals


_ALIAS_LIST_STOP = {TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY, TokenType.SORT_BY,
                    TokenType.CLUSTER_BY, TokenType.DISTRIBUTE_BY, TokenType.LIMIT, TokenType.UNION,
                    TokenType.INSERT, TokenType.HAVING, TokenType.WINDOW, TokenType.ROW}


def rewrite_transform_columns(text: str) -> tuple[str, int]:
    """``TRANSFORM(...) USING 'script' AS a, b`` / ``AS a STRING, b INT``: Hive's column list without
    parentheses (typed or not) -> ``AS (a, b)``, the form sqlglot reads as one list (Spark reads both)."""
    count = 0
    tokens = _tokens(text)
    if tokens is None:
        return text, 0
    edits: list[tuple[int, int]] = []
    for i in range(len(tokens) - 3):
        if not (tokens[i].token_type == TokenType.USING and tokens[i + 1].token_type == TokenType.STRING
                and tokens[i + 2].token_type == TokenType.ALIAS
                and tokens[i + 3].token_type != TokenType.L_PAREN):
            continue
        depth, end = 0, i + 3
        for j in range(i + 3, len(tokens)):
            tt = tokens[j].token_type
            depth += tt in (TokenType.L_PAREN, TokenType.LT)
            depth -= tt in (TokenType.R_PAREN, TokenType.GT)
            if depth < 0 or (depth == 0 and tt in _ALIAS_LIST_STOP):
                break
            end = j
        edits.append((tokens[i + 3].start, tokens[end].end + 1))
    for start, stop in reversed(edits):
        text = text[:start] + "(" + text[start:stop] + ")" + text[stop:]
        count += 1
    return text, count
