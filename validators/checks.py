"""The plan's checks on the target alone: ``not_null`` and ``unique`` (globally, across every file).

``not_null`` reads the per-file null counts the summaries already hold and re-reads only the files that
have nulls (that column only) to list the rows. ``unique`` hashes the key columns of every target row
(8 bytes a row, in hash-range passes when the target is large), finds repeated hashes by sorting, then
re-reads the rows with a repeated hash to list them with their values. A target row written by the copy
is traced back to its source file and line through the part file's name (the source version) and the
rows of the parts before it (``TargetToSource``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .digest import _quote
from .profiles import json_value
from .sides import SourceFile, TargetFile, TargetSide, read_target
from .summary import Canon, UnitSummary

ROWS_PER_PASS = 25_000_000  # key hashes held at once by ``unique`` (200 MB)


class TargetToSource:
    """Maps (target file, row) to (source file, row ordinal) for the files the copy wrote."""

    def __init__(self, tgt: TargetSide, src_files: list[SourceFile], target_rows: dict[str, int]) -> None:
        self._by_version = {sf.version: sf for sf in src_files}
        parts: dict[str, list[TargetFile]] = defaultdict(list)
        for tf in tgt.files:
            if tf.version:
                parts[tf.version].append(tf)
        self._offset: dict[str, tuple[SourceFile, int]] = {}
        for version, tfs in parts.items():
            sf = self._by_version.get(version)
            if sf is None:
                continue
            base = 0
            for tf in sorted(tfs, key=lambda f: f.uri):  # part-<v>-00000, -00001, ... in range order
                self._offset[tf.uri] = (sf, base)
                base += target_rows.get(tf.uri, 0)

    def source_of(self, target_uri: str, row: int) -> tuple[SourceFile, int] | None:
        hit = self._offset.get(target_uri)
        return (hit[0], hit[1] + row) if hit else None


def _null_rows(tgt: TargetSide, tf: TargetFile, column: str, limit: int) -> list[int]:
    out: list[int] = []
    base = 0
    for table in read_target(tgt, tf, columns=[column]):
        idx = pc.indices_nonzero(pc.is_null(table.column(0))).to_numpy()
        out += [int(base + i) for i in idx[: limit - len(out)]]
        base += table.num_rows
        if len(out) >= limit:
            break
    return out


def run_target_checks(ds: Any, tgt: TargetSide, canon: Canon, summaries: dict[str, UnitSummary], res: Any,
                      max_rows: int, locate: Any = None) -> None:
    """``not_null`` and ``unique`` rules of ``ds`` against the target; findings into ``res``."""
    rules = list(ds.validation or [])
    not_null = [c for r in rules if r.check == "not_null" for c in r.columns]
    for column in dict.fromkeys(not_null):
        if column not in canon.schema.names:
            continue
        total = 0
        listed = 0
        for tf in tgt.files:
            s = summaries.get(tf.uri)
            nulls = s.columns[column].nulls if s is not None and column in s.columns else 0
            if not nulls:
                continue
            total += nulls
            if listed >= max_rows:
                continue
            for row in _null_rows(tgt, tf, column, max_rows - listed):
                listed += 1
                f = {"check": "not_null", "kind": "null", "dataset": ds.name, "partition": tf.partition,
                     "column": column, "target_file": tf.uri, "target_row": row,
                     "message": f"column {column} is null in target row {row} of {tf.uri}"}
                if locate is not None:
                    f.update(locate(tf.uri, row))
                    if f.get("file"):
                        where = f"line {f['line']}" if "line" in f else f"record {f.get('record', '?')}"
                        f["message"] += f" (source {f['file']} {where})"
                res.add(f)
        res.check("not_null", "fail" if total else "pass",
                  f"{column}: {total:,} null(s) in the target" if total else f"{column}: no nulls")
    for rule in (r for r in rules if r.check == "unique"):
        cols = [c for c in rule.columns if c in canon.schema.names]
        if cols:
            _unique(ds, tgt, canon, cols, summaries, res, rule.max_rows or max_rows, locate)


def _key_hashes(con: Any, table: pa.Table, cols: list[str]) -> np.ndarray:
    view = pa.table([table.column(c) for c in cols], names=[f"k{i}" for i in range(len(cols))])
    con.register("keys", view)
    try:
        sql = "SELECT hash(" + ", ".join(_quote(f"k{i}") for i in range(len(cols))) + ") FROM keys"
        out = con.execute(sql).to_arrow_table()
    finally:
        con.unregister("keys")
    return np.asarray(out.column(0).to_numpy(), np.uint64)


def _unique(ds: Any, tgt: TargetSide, canon: Canon, cols: list[str], summaries: dict[str, UnitSummary],
            res: Any, max_rows: int, locate: Any) -> None:
    import duckdb

    con = duckdb.connect(config={"threads": canon.threads})
    total_rows = sum(s.rows for s in summaries.values())
    passes = max(1, -(-total_rows // ROWS_PER_PASS))
    dup_hashes: list[np.ndarray] = []
    try:
        for p in range(passes):
            chunks = []
            for tf in tgt.files:
                for table in read_target(tgt, tf, columns=cols):
                    h = _key_hashes(con, canon_cast(table, canon, cols), cols)
                    if passes > 1:
                        h = h[(h % np.uint64(passes)) == np.uint64(p)]
                    chunks.append(h)
            if not chunks:
                continue
            allh = np.sort(np.concatenate(chunks))
            rep = allh[1:][allh[1:] == allh[:-1]]
            if len(rep):
                dup_hashes.append(np.unique(rep))
        dups = np.unique(np.concatenate(dup_hashes)) if dup_hashes else np.empty(0, np.uint64)
        name = ", ".join(cols)
        if not len(dups):
            res.check("unique", "pass", f"({name}) unique across {total_rows:,} target rows")
            return
        # Second pass: the rows whose key hash repeats, with their values.
        seen: dict[tuple[Any, ...], list[tuple[str, int, str | None]]] = defaultdict(list)
        for tf in tgt.files:
            base = 0
            for table in read_target(tgt, tf, columns=cols):
                t = canon_cast(table, canon, cols)
                h = _key_hashes(con, t, cols)
                idx = np.nonzero(np.isin(h, dups))[0]
                if len(idx):
                    for i, row in zip(idx, t.take(pa.array(idx)).to_pylist(), strict=True):
                        seen[tuple(row[c] for c in cols)].append((tf.uri, int(base + i), tf.partition))
                base += table.num_rows
        repeated = {k: v for k, v in seen.items() if len(v) > 1}
        extra = sum(len(v) - 1 for v in repeated.values())
        for key, where in list(repeated.items())[:max_rows]:
            shown = "; ".join(f"{u} row {r}" for u, r, _ in where[:5])
            f = {"check": "unique", "kind": "duplicate_key", "dataset": ds.name, "partition": where[0][2],
                 "column": name, "target_file": where[1][0], "target_row": where[1][1],
                 "key": {c: json_value(v) for c, v in zip(cols, key, strict=True)},
                 "message": f"({name}) = {tuple(json_value(v) for v in key)} appears {len(where)} times in the "
                 f"target: {shown}"}
            if locate is not None:
                f.update(locate(where[1][0], where[1][1]))
            res.add(f)
        res.check("unique", "fail" if repeated else "pass",
                  f"({name}): {len(repeated):,} key(s) repeated, {extra:,} extra row(s)" if repeated else
                  f"({name}) unique across {total_rows:,} target rows")
    finally:
        con.close()


def canon_cast(table: pa.Table, canon: Canon, cols: list[str]) -> pa.Table:
    """The key columns in the canonical types (so equal keys hash alike whatever the file stores)."""
    out = []
    for c in cols:
        col = table.column(c)
        want = canon.schema.field(c).type
        out.append(col.cast(want) if col.type != want else col)
    return pa.table(out, names=cols)
