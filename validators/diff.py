"""Narrow a checksum difference down to rows, data-diff style: buckets, then hashes, then values.

A partition whose checksums differ names the differing hash buckets (1/256 of its rows each). One more
pass over that partition's files on both sides keeps only the rows in those buckets (their row hash,
file and ordinal); the multiset difference of the hashes gives the rows only one side has (a duplicated
row is the same hash once more on one side). Their values are read back from the files involved,
paired (by the plan's key columns, else by the most columns in common) and compared with the declared
tolerances: what still differs becomes a finding naming the source file and line and the target file
and row, with both sides' values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from .digest import BUCKETS, bucket_of, digester_for
from .locate import locate_rows
from .profiles import ColumnProfile, json_value
from .sides import SourceFile, SourceSide, TargetFile, TargetSide, read_source, read_target
from .summary import Canon, CountingQuarantine

CANDIDATE_ROWS = 2_000_000  # per side: rows of the differing buckets kept (24 bytes each)
EXAMINE_WITH_TOLERANCE = 10_000  # rows read back per side when tolerances may explain differences


@dataclass
class Diff:
    """The rows of one partition that differ, as found by ``narrow``."""

    # The source's column profiles (min, max, sum and distinct-count sketch), measured while narrowing.
    source_profiles: dict[str, ColumnProfile] = field(default_factory=dict)
    source_only: int = 0  # rows (occurrences) the source has and the target has not
    target_only: int = 0
    not_itemised_buckets: int = 0  # differing buckets left out (too many rows to keep)
    findings: list[dict[str, Any]] = field(default_factory=list)


def _source_hashes(side: SourceSide, files: list[SourceFile], ds: Any, declared: Any, canon: Canon,
                   wanted: np.ndarray, profs: dict[str, ColumnProfile]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(file index, row hashes, ordinals) of the rows in the wanted buckets, file by file; meanwhile the
    source's column profiles of the partition (min, max, sum, distinct-count sketch) go into ``profs``."""
    dig = digester_for(canon.schema, canon.tolerances, canon.threads)
    for f in canon.schema:
        profs.setdefault(f.name, ColumnProfile(str(f.type)))
    for fi, sf in enumerate(files):
        base = 0
        stream = read_source(side, sf, ds, declared, CountingQuarantine())
        with stream:
            for batch in stream:
                table = dig.canonical(batch)
                rh, cols = dig.hashes(table, columns=True)
                assert cols is not None
                for i, f in enumerate(canon.schema):
                    profs[f.name].update(table.column(i), cols[i])
                keep = np.nonzero(wanted[bucket_of(rh)])[0]
                yield fi, rh[keep], keep + base
                base += batch.num_rows


def source_profiles(side: SourceSide, files: list[SourceFile], ds: Any, declared: Any,
                    canon: Canon) -> dict[str, ColumnProfile]:
    """The column profiles of ``files`` (one partition's source files), read once more: for a partition
    the target lacks (no rows to take the profiles from, nothing to narrow)."""
    profs: dict[str, ColumnProfile] = {}
    for _ in _source_hashes(side, files, ds, declared, canon, np.zeros(BUCKETS, bool), profs):
        pass
    return profs


def _target_hashes(side: TargetSide, files: list[TargetFile], canon: Canon,
                   wanted: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    dig = digester_for(canon.schema, canon.tolerances, canon.threads)
    for fi, tf in enumerate(files):
        base = 0
        for table in read_target(side, tf):
            rh = dig.row_hashes(dig.canonical(table))
            keep = np.nonzero(wanted[bucket_of(rh)])[0]
            yield fi, rh[keep], keep + base
            base += table.num_rows


def _collect(parts: Iterator[tuple[int, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, f, o = [], [], []
    for fi, rh, ords in parts:
        h.append(rh)
        f.append(np.full(len(rh), fi, np.int64))
        o.append(ords.astype(np.int64))
    if not h:
        return np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(h), np.concatenate(f), np.concatenate(o)


def _excess(h: np.ndarray, pos: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexes into ``h`` of the occurrences beyond what ``other`` has of the same hash (the last ones,
    in ``pos`` order), and for each whether ``other`` has that hash at all (a duplicate)."""
    if not len(h):
        return np.empty(0, np.int64), np.empty(0, bool)
    order = np.lexsort((pos, h))
    hs = h[order]
    start = np.r_[True, hs[1:] != hs[:-1]]
    group = np.cumsum(start) - 1
    starts = np.nonzero(start)[0]
    counts = np.diff(np.r_[starts, len(hs)])
    rank = np.arange(len(hs)) - starts[group]
    uniq = hs[starts]
    ou, oc = np.unique(other, return_counts=True)
    at = np.searchsorted(ou, uniq)
    at_ok = at < len(ou)
    found = np.zeros(len(uniq), bool)
    found[at_ok] = ou[at[at_ok]] == uniq[at_ok]
    other_count = np.where(found, oc[np.minimum(at, len(ou) - 1)] if len(ou) else 0, 0)
    excess = counts - other_count
    keep = rank >= (counts - excess)[group]
    keep &= excess[group] > 0
    return order[keep], found[group][keep]


def _take(tables: Iterator[pa.Table], canon: Canon, ordinals: list[int]) -> dict[int, dict[str, Any]]:
    """{ordinal: row as a dict} of the wanted rows of one file's tables (in file order)."""
    out: dict[int, dict[str, Any]] = {}
    want = np.array(sorted(set(ordinals)), np.int64)
    dig = digester_for(canon.schema, canon.tolerances, canon.threads)
    base = 0
    for table in tables:
        lo, hi = np.searchsorted(want, [base, base + table.num_rows])
        if hi > lo:
            t = dig.canonical(table).take(pa.array(want[lo:hi] - base))
            for k, row in zip(want[lo:hi], t.to_pylist(), strict=True):
                out[int(k)] = row
        base += table.num_rows
        if base > want[-1]:
            break
    return out


def _take_source(side: SourceSide, sf: SourceFile, ds: Any, declared: Any, canon: Canon,
                 ordinals: list[int]) -> dict[int, dict[str, Any]]:
    stream = read_source(side, sf, ds, declared, CountingQuarantine())
    with stream:
        return _take((pa.Table.from_batches([b]) for b in stream), canon, ordinals)


@dataclass
class _Row:
    side: str  # "source" | "target"
    file: int
    ordinal: int
    duplicate: bool
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, int] = field(default_factory=dict)


def _differing(a: dict[str, Any], b: dict[str, Any], tol: Any, names: list[str]) -> list[str]:
    return [n for n in names if not tol.equal(n, a.get(n), b.get(n))]


def _pair(src: list[_Row], tgt: list[_Row], keys: list[str], names: list[str], tol: Any,
          ) -> tuple[list[tuple[_Row, _Row]], list[_Row], list[_Row]]:
    """Pairs of (source row, target row) that are one changed row; the rest stay unpaired."""
    pairs: list[tuple[_Row, _Row]] = []
    left = [r for r in src if not r.duplicate]
    right = [r for r in tgt if not r.duplicate]
    if keys:
        by_key: dict[tuple[Any, ...], list[_Row]] = {}
        for r in right:
            by_key.setdefault(tuple(r.values.get(k) for k in keys), []).append(r)
        rest = []
        for r in left:
            cands = by_key.get(tuple(r.values.get(k) for k in keys))
            if cands:
                pairs.append((r, cands.pop(0)))
            else:
                rest.append(r)
        used = {id(t) for _, t in pairs}
        return pairs, rest + [r for r in src if r.duplicate], [r for r in tgt if id(r) not in used]
    free = list(right)
    rest = []
    for r in left:
        best, best_same = None, 0
        for t in free:
            same = len(names) - len(_differing(r.values, t.values, tol, names))
            if same > best_same:
                best, best_same = t, same
        if best is not None and best_same * 2 >= len(names):  # at least half the columns equal: one row
            pairs.append((r, best))
            free.remove(best)
        else:
            rest.append(r)
    return pairs, rest + [r for r in src if r.duplicate], free + [r for r in tgt if r.duplicate]


def narrow(ds: Any, partition: str | None, src_side: SourceSide, src_files: list[SourceFile],
           tgt_side: TargetSide, tgt_files: list[TargetFile], declared: Any, canon: Canon,
           buckets: list[int], bucket_rows: dict[int, int], *, keys: list[str], max_rows: int,
           quarantined: dict[str, int], suspect: frozenset[str] = frozenset()) -> Diff:
    """The differing rows of one partition (see the module docstring)."""
    diff = Diff()
    chosen: list[int] = []
    budget = 0
    for b in sorted(buckets, key=lambda b: bucket_rows.get(b, 0)):
        n = bucket_rows.get(b, 0)
        if chosen and budget + n > CANDIDATE_ROWS:
            diff.not_itemised_buckets += 1
            continue
        chosen.append(b)
        budget += n
    wanted = np.zeros(BUCKETS, bool)
    wanted[chosen] = True
    sh, sf_, so = _collect(_source_hashes(src_side, src_files, ds, declared, canon, wanted, diff.source_profiles))
    th, tf_, to = _collect(_target_hashes(tgt_side, tgt_files, canon, wanted))
    s_idx, s_dup = _excess(sh, sf_ * (1 << 40) + so, th)
    # Of equal target rows, the ones in files no copied source accounts for are the surplus.
    late = np.array([tf.uri in suspect for tf in tgt_files], bool)
    t_pos = np.where(late[tf_] if len(tf_) else np.empty(0, bool), 1 << 60, 0) + tf_ * (1 << 40) + to
    t_idx, t_dup = _excess(th, t_pos, sh)
    diff.source_only, diff.target_only = len(s_idx), len(t_idx)
    # The rows to read back: the first ones by file and position on each side. With tolerances every
    # row may be one that differs only within them, so many more are examined.
    examine = max(4 * max_rows, EXAMINE_WITH_TOLERANCE if canon.tolerances.by_column else 0)
    s_rows = sorted((_Row("source", int(sf_[i]), int(so[i]), bool(d)) for i, d in zip(s_idx, s_dup, strict=True)),
                    key=lambda r: (r.file, r.ordinal))[:examine]
    t_rows = sorted((_Row("target", int(tf_[i]), int(to[i]), bool(d)) for i, d in zip(t_idx, t_dup, strict=True)),
                    key=lambda r: (r.file, r.ordinal))[:examine]
    for fi in sorted({r.file for r in s_rows}):
        rows = [r for r in s_rows if r.file == fi]
        sf = src_files[fi]
        values = _take_source(src_side, sf, ds, declared, canon, [r.ordinal for r in rows])
        where = locate_rows(src_side, sf, ds, declared, [r.ordinal for r in rows], quarantined.get(sf.uri, 0))
        for r in rows:
            r.values, r.where = values.get(r.ordinal, {}), where.get(r.ordinal, {})
    for fi in sorted({r.file for r in t_rows}):
        rows = [r for r in t_rows if r.file == fi]
        values = _take(read_target(tgt_side, tgt_files[fi]), canon, [r.ordinal for r in rows])
        for r in rows:
            r.values = values.get(r.ordinal, {})
    names = list(canon.schema.names)
    pairs, s_rest, t_rest = _pair(s_rows, t_rows, keys, names, canon.tolerances)
    base = {"check": "row_checksums", "dataset": ds.name, "partition": partition}

    def src_loc(r: _Row) -> dict[str, Any]:
        return {"file": src_files[r.file].uri, **r.where, "source_row": r.ordinal}

    def tgt_loc(r: _Row) -> dict[str, Any]:
        return {"target_file": tgt_files[r.file].uri, "target_row": r.ordinal}

    def at(r: _Row) -> str:
        w = r.where
        return f"{src_files[r.file].uri} " + (f"line {w['line']}" if "line" in w else
                                               f"record {w['record']}" if "record" in w else f"row {r.ordinal + 1}")

    within = 0
    shown: list[dict[str, Any]] = []
    for s, t in pairs:
        cols = _differing(s.values, t.values, canon.tolerances, names)
        if not cols:
            within += 1  # differs only within the declared tolerances
            continue
        sv = {c: json_value(s.values.get(c)) for c in cols}
        tv = {c: json_value(t.values.get(c)) for c in cols}
        change = ", ".join(f"{c}: source {sv[c]!r}, target {tv[c]!r}" for c in cols)
        shown.append({**base, "kind": "changed_row", "column": ", ".join(cols), **src_loc(s), **tgt_loc(t),
                      "message": f"row at {at(s)} differs in the target ({change})",
                      "source_value": sv, "target_value": tv,
                      "key": {k: json_value(s.values.get(k)) for k in keys} or None})
    for r in s_rest:
        kind = "missing_duplicate" if r.duplicate else "missing_row"
        what = "appears fewer times in the target" if r.duplicate else "is not in the target"
        shown.append({**base, "kind": kind, "column": None, **src_loc(r), "message": f"row at {at(r)} {what}",
                      "source_value": {k: json_value(v) for k, v in r.values.items()}})
    for r in t_rest:
        kind = "duplicate_row" if r.duplicate else "extra_row"
        what = "is a duplicate of a source row" if r.duplicate else "is not in the source"
        uri = tgt_files[r.file].uri
        shown.append({**base, "kind": kind, "column": None, **tgt_loc(r),
                      "message": f"target row {r.ordinal} of {uri} {what}",
                      "target_value": {k: json_value(v) for k, v in r.values.items()}})
    # Tolerated pairs account for one source-only and one target-only occurrence each.
    diff.source_only -= within
    diff.target_only -= within
    diff.findings = shown[:max_rows]
    return diff
