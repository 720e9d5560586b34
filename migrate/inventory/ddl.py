"""Hive DDL dumps (a file of ``SHOW CREATE TABLE`` outputs) and their agreement with the files.

A small tokenizer reads each CREATE TABLE: columns and types (nested ``<...>`` and ``(p,s)`` kept),
PARTITIONED BY, ROW FORMAT SERDE / DELIMITED (field delimiter, NULL DEFINED AS), SERDEPROPERTIES,
STORED AS (or INPUTFORMAT class), LOCATION and TBLPROPERTIES. It does not need the statement to be
otherwise valid SQL, because dumps from old metastores often are not quite.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from migrate.inventory.hiveql import split_statements
from migrate.inventory.model import Dataset, HiveColumn, HiveTable, Problem

_TOKEN = re.compile(
    r"""--[^\n]*|/\*.*?\*/|`(?:[^`]|``)*`|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|[(),<>=]|[^\s(),<>=`'"]+""",
    re.S,
)

TEXT_KINDS = {"csv", "tsv", "hive_text", "text", "jsonl"}


def _unquote(tok: str) -> str:
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "`'\"":
        return tok[1:-1]
    return tok


def unescape(s: str) -> str:
    """Hive string escapes: \\uXXXX, octal \\001, \\t, \\n; ``\\N`` stays the null marker."""
    def rep(m: re.Match[str]) -> str:
        e = m.group(1)
        if e.startswith("u"):
            return chr(int(e[1:], 16))
        if e[0] in "01234567":
            return chr(int(e, 8))
        return {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "'": "'", '"': '"'}.get(e, "\\" + e)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|[0-7]{1,3}|.)", rep, s)


def _delim(value: str) -> str:
    v = unescape(value)
    if v.isdigit() and int(v) < 128:  # Hive reads a numeric delimiter as a byte value: '1' is \x01, '9' a tab
        return chr(int(v))
    return v


def _tokens(text: str) -> list[tuple[str, int]]:
    """(token, offset) with comments dropped."""
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(text) if not m.group(0).startswith(("--", "/*"))]


def _split_creates(text: str) -> list[tuple[str, int]]:
    """``SHOW CREATE TABLE`` outputs are often concatenated without ``;``: a CREATE that starts a line starts a
    new statement. (text, line offset) pairs."""
    cuts = [0]
    for tok, pos in _tokens(text):
        if pos and tok.upper() == "CREATE" and not text[text.rfind("\n", 0, pos) + 1 : pos].strip():
            cuts.append(pos)
    cuts.append(len(text))
    return [(text[a:b], text.count("\n", 0, a)) for a, b in itertools.pairwise(cuts) if text[a:b].strip()]


def _columns(tokens: list[str]) -> list[HiveColumn]:
    """Columns from the tokens between a pair of parentheses."""
    cols: list[HiveColumn] = []
    depth = 0
    cur: list[str] = []
    for t in [*tokens, ","]:
        if t in "(<" and len(t) == 1:
            depth += 1
        elif t in ")>" and len(t) == 1:
            depth -= 1
        if t == "," and depth == 0:
            if cur:
                name = _unquote(cur[0])
                rest = cur[1:]
                comment = None
                upper = [x.upper() for x in rest]
                if "COMMENT" in upper:
                    k = upper.index("COMMENT")
                    comment = unescape(_unquote(rest[k + 1])) if k + 1 < len(rest) else None
                    rest = rest[:k]
                typ = "".join(rest).lower()
                cols.append(HiveColumn(name=name.lower(), type=typ, comment=comment))
            cur = []
        else:
            cur.append(t)
    return cols


def _group(tokens: list[str], i: int) -> tuple[list[str], int]:
    """Tokens inside the parenthesis group opening at tokens[i]; index after its close."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j] == "(":
            depth += 1
        elif tokens[j] == ")":
            depth -= 1
            if depth == 0:
                return tokens[i + 1 : j], j + 1
    return tokens[i + 1 :], len(tokens)


def _props(tokens: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    k = 0
    while k + 2 < len(tokens) + 1:
        if k + 2 < len(tokens) and tokens[k + 1] == "=":
            out[_unquote(tokens[k])] = _unquote(tokens[k + 2])
            k += 3
        else:
            k += 1
        if k < len(tokens) and tokens[k] == ",":
            k += 1
    return out


_STORED = {
    "textfile": "text", "orc": "orc", "orcfile": "orc", "parquet": "parquet", "parquetfile": "parquet",
    "avro": "avro", "sequencefile": "sequencefile", "rcfile": "rcfile", "jsonfile": "text",
}


def _storage_from_class(cls: str) -> str:
    low = cls.lower()
    for key, kind in (("orc", "orc"), ("parquet", "parquet"), ("avro", "avro"), ("sequencefile", "sequencefile"),
                      ("rcfile", "rcfile"), ("textinputformat", "text")):
        if key in low:
            return kind
    return "unknown"


def parse_create(text: str, source: str) -> HiveTable | None:
    tokens = [t for t, _ in _tokens(text)]
    up = [t.upper() for t in tokens]
    if not up or up[0] != "CREATE" or "TABLE" not in up[:6]:
        return None
    i = up.index("TABLE") + 1
    if up[i : i + 3] == ["IF", "NOT", "EXISTS"]:
        i += 3
    name_parts = []
    while i < len(tokens) and tokens[i] not in ("(",) and up[i] not in ("LIKE", "AS", "COMMENT", "PARTITIONED",
                                                                          "ROW", "STORED", "LOCATION"):
        name_parts.append(_unquote(tokens[i]))
        i += 1
    name = "".join(name_parts).lower()
    if "." not in name:
        name = f"default.{name}"
    t = HiveTable(name=name, source=source, external="EXTERNAL" in up[:i])
    if i < len(tokens) and tokens[i] == "(":
        inner, i = _group(tokens, i)
        t.columns = _columns(inner)
    stored_set = False
    serde_props: dict[str, str] = {}
    while i < len(tokens):
        u = up[i]
        if u == "PARTITIONED" and i + 2 < len(tokens) and tokens[i + 2] == "(":
            inner, i = _group(tokens, i + 2)
            t.partition_columns = _columns(inner)
            continue
        if u == "SERDE" and i + 1 < len(tokens) and tokens[i + 1][0] in "'\"":
            t.serde = _unquote(tokens[i + 1])
            i += 2
            continue
        if u in ("SERDEPROPERTIES", "TBLPROPERTIES") and i + 1 < len(tokens) and tokens[i + 1] == "(":
            inner, i = _group(tokens, i + 1)
            props = _props(inner)
            if u == "TBLPROPERTIES":
                t.properties.update(props)
            else:
                serde_props.update(props)
                for key in ("field.delim", "separatorChar"):
                    if key in props:
                        t.delimiter = _delim(props[key])
                if "serialization.null.format" in props:
                    t.null_format = unescape(props["serialization.null.format"])
            continue
        if u == "FIELDS" and up[i + 1 : i + 3] == ["TERMINATED", "BY"] and i + 3 < len(tokens):
            t.delimiter = _delim(_unquote(tokens[i + 3]))
            i += 4
            continue
        if u == "NULL" and up[i + 1 : i + 3] == ["DEFINED", "AS"] and i + 3 < len(tokens):
            t.null_format = unescape(_unquote(tokens[i + 3]))
            i += 4
            continue
        if u == "INPUTFORMAT" and i + 1 < len(tokens):
            t.input_format = _unquote(tokens[i + 1])
            t.storage = _storage_from_class(t.input_format)
            stored_set = True
            i += 2
            continue
        if u == "STORED" and up[i + 1 : i + 3] == ["AS", "DIRECTORIES"]:  # SKEWED BY ... list bucketing
            i += 3
            continue
        if u == "STORED" and i + 2 < len(tokens) and up[i + 1] == "AS" and up[i + 2] != "INPUTFORMAT":
            t.storage = _STORED.get(up[i + 2].lower(), "unknown")
            stored_set = True
            i += 3
            continue
        if u == "LOCATION" and i + 1 < len(tokens):
            t.location = _unquote(tokens[i + 1])
            i += 2
            continue
        if u == "AS" and i + 1 < len(tokens) and up[i + 1] in ("SELECT", "WITH", "FROM"):
            break
        i += 1
    if not stored_set and t.serde:
        t.storage = _storage_from_class(t.serde) if "lazy" not in t.serde.lower() else "text"
        if "opencsv" in t.serde.lower() or "jsonserde" in t.serde.lower() or "regex" in t.serde.lower():
            t.storage = "text"
    serde = (t.serde or "").lower()
    delimited = not serde or "lazysimple" in serde or "lazybinary" in serde or "opencsv" in serde \
        or "multidelimit" in serde
    if t.storage == "text" and t.delimiter is None and delimited:  # JSON / regex serdes have no delimiter
        t.delimiter = "," if "opencsv" in serde else "\x01"
    if t.storage == "text" and t.null_format is None and delimited and "opencsv" not in serde:
        t.null_format = "\\N"
    literal = t.properties.get("avro.schema.literal") or serde_props.get("avro.schema.literal")
    if not t.columns and literal:  # Avro tables dumped without a column list carry their schema here
        t.columns = _avro_literal_columns(literal)
    t.header_lines = int(t.properties.get("skip.header.line.count", "0") or 0)
    return t


def _avro_literal_columns(literal: str) -> list[HiveColumn]:
    import json

    from migrate.inventory.schema_infer import avro_columns

    try:
        schema = json.loads(unescape(literal) if "\\" in literal else literal)
    except ValueError:
        return []
    return [HiveColumn(name=c.name.lower(), type=c.type) for c in avro_columns(schema)] \
        if isinstance(schema, dict) else []


def parse_ddl(text: str, source: str = "<ddl>") -> tuple[list[HiveTable], list[Problem]]:
    tables: list[HiveTable] = []
    problems: list[Problem] = []
    for whole in split_statements(text):
        for part, offset in _split_creates(whole.text):
            line = whole.line + offset
            if not part.lstrip()[:40].upper().startswith("CREATE"):
                continue
            try:
                t = parse_create(part, f"{source}:{line}")
            except (IndexError, ValueError) as exc:
                problems.append(Problem(path=f"{source}:{line}", kind="ddl_parse", message=str(exc)))
                continue
            if t is not None:
                tables.append(t)
    return tables, problems


def parse_ddl_file(path: Path) -> tuple[list[HiveTable], list[Problem]]:
    """Tables of a DDL dump; a dump that is not UTF-8 text or holds no table is reported, not skipped."""
    raw = path.read_bytes()
    problems: list[Problem] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(Problem(path=f"{path}:{line}", kind="ddl_parse",
                                message=f"not UTF-8 text (byte {exc.start}); undecodable bytes replaced"))
        text = raw.decode("utf-8", errors="replace")
    tables, parsed = parse_ddl(text, str(path))
    problems.extend(parsed)
    if not tables and raw.strip():
        problems.append(Problem(path=str(path), kind="ddl_parse",
                                message="no CREATE TABLE statement found: is this a SHOW CREATE TABLE dump?"))
    return tables, problems


def _fmt_kind_matches(table: HiveTable, ds: Dataset) -> bool:
    kind = ds.format.kind
    if table.storage == "text":
        return kind in TEXT_KINDS
    return table.storage == kind or kind in ("unknown", "mixed")


def compare(table: HiveTable, ds: Dataset) -> list[Problem]:
    """Warnings where the DDL and the files disagree (format, delimiter, column count, partitions)."""
    out = []

    def warn(what: str, msg: str) -> None:
        out.append(Problem(path=table.source, kind="ddl_mismatch",
                           message=f"{table.name} at {ds.id}: {what}: {msg}"))

    if not _fmt_kind_matches(table, ds):
        warn("format", f"DDL says {table.storage}, files are {ds.format.kind}")
    elif table.storage == "text" and ds.format.kind != "jsonl" and ds.format.delimiter is not None \
            and table.delimiter is not None and table.delimiter != ds.format.delimiter:
        warn("delimiter", f"DDL says {table.delimiter!r}, files use {ds.format.delimiter!r}")
    if ds.schema_ and table.columns and len(ds.schema_) != len(table.columns):
        warn("column count", f"DDL has {len(table.columns)} columns, files have {len(ds.schema_)}")
    ddl_parts = [c.name for c in table.partition_columns]
    if ddl_parts != [c.lower() for c in ds.partition_columns]:
        warn("partition columns", f"DDL says {ddl_parts}, folders say {ds.partition_columns}")
    return out
