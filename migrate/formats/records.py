"""Where the records of delimited text end: quote parity and escape characters, counted at C speed.

A newline ends a record unless it is escaped (preceded by an odd run of escape characters: pyarrow then
keeps it in the value, quoted or not) or inside a quoted field. Inside-ness is the parity of the
unescaped quote characters before it: RFC 4180 doubles a quote inside a quoted field, which keeps the
parity, and an escaped quote (``\\"``) is not counted. Counting is numpy over the raw bytes (the
comparisons and counts release the GIL); escape runs are looked at only where an escape character
stands right before a quote or a newline.

Parity and pyarrow's lexer agree when every quote stands where RFC 4180 puts one: an opening quote at
the start of a field, a closing quote at its end (or doubled). A quote inside an unquoted field
(``5" disk``, or ``a, "b"`` with a space before the quote) is a literal to pyarrow but flips the parity.

Splitting a quoted file into byte ranges (``align_cuts``): one parallel pass over the file counts the
quotes of each stretch between the proposed cuts and checks that every quote stands where RFC 4180 puts
one; each cut then moves forward to the first newline that ends a record. Every range then starts
exactly at a record start and ends exactly where the next one starts, so every byte belongs to exactly
one range and each range parses from a known state (outside quotes): quoted fields holding newlines,
doubled quotes and escapes across a cut are read whole by the range they start in. A file where some
quote stands elsewhere is not split (``align_cuts`` returns None and says where): its parity cannot be
trusted, and the whole-file reader leaves the lexing to pyarrow.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from migrate.storage.base import Storage

log = logging.getLogger(__name__)

NL = 0x0A
CR = 0x0D
_BOM = b"\xef\xbb\xbf"
COUNT_BLOCK = 4 << 20  # bytes read and counted at a time in the census (bounds its memory)
_LOOKBACK = 256  # bytes of context read before a block, for escape runs and the byte before a quote
_SEARCH_FIRST = 64 << 10  # first read when looking for the record end after a cut
MAX_SEARCH = 64 << 20  # a cut with no record end this far after it is dropped
_CHECK = 64 << 10  # bytes before and after a cut whose quotes are checked for their roles
_STRETCH = 32 << 20  # bytes counted by one task of the census (balances the threads)


class NeedContext(Exception):
    """An escape run reaches the first byte at hand: the bytes before it decide."""


def view(data: Any) -> np.ndarray:
    """The bytes of ``data`` (bytes, bytearray, memoryview) as a uint8 array, without a copy."""
    return np.frombuffer(data, dtype=np.uint8)


@dataclass(frozen=True)
class Syntax:
    """The bytes that decide where records end (``None``: that feature is off)."""

    quote: int | None
    escape: int | None
    delimiter: int

    @classmethod
    def of(cls, quote: str | None, escape: str | None, delimiter: str) -> Syntax:
        return cls(ord(quote) if quote else None, ord(escape) if escape else None, ord(delimiter))

    @property
    def plain(self) -> bool:
        """Every newline ends a record."""
        return self.quote is None and self.escape is None


def escaped(a: np.ndarray, idx: np.ndarray, esc: int, *, complete: bool) -> np.ndarray:
    """Which of the positions ``idx`` in ``a`` follow an odd run of ``esc`` bytes (are escaped).

    ``complete``: ``a[0]`` starts the file, so a run may stop there; otherwise a run reaching ``a[0]``
    raises NeedContext. The work is proportional to the escape characters before ``idx``.
    """
    run = np.zeros(idx.size, dtype=np.int64)
    active = np.arange(idx.size)
    while active.size:
        p = idx[active] - run[active] - 1
        if (p < 0).any():
            if not complete:
                raise NeedContext
            keep = p >= 0
            active, p = active[keep], p[keep]
        active = active[a[p] == esc]
        run[active] += 1
    return (run & 1).astype(bool)


def _unescaped(a: np.ndarray, pos: np.ndarray, esc: int | None, *, complete: bool) -> np.ndarray:
    if esc is None or not pos.size:
        return pos
    before = pos[pos > 0]
    if not before.size or not (a[before - 1] == esc).any():
        if pos[0] == 0 and not complete:
            raise NeedContext
        return pos
    return pos[~escaped(a, pos, esc, complete=complete)]


def quote_positions(a: np.ndarray, lo: int, hi: int, syn: Syntax, *, complete: bool) -> np.ndarray:
    """Positions (in ``a``) of the unescaped quotes in ``a[lo:hi]``."""
    assert syn.quote is not None
    return _unescaped(a, np.flatnonzero(a[lo:hi] == syn.quote) + lo, syn.escape, complete=complete)


def count_quotes(a: np.ndarray, lo: int, hi: int, syn: Syntax, *, complete: bool) -> int:
    """Unescaped quotes in ``a[lo:hi]`` (escape runs may reach back before ``lo``)."""
    if hi <= lo or syn.quote is None:
        return 0
    is_q = a[lo:hi] == syn.quote
    n = int(np.count_nonzero(is_q))
    if syn.escape is None or not n:
        return n
    # Only a quote right after an escape character may be escaped: follow those runs alone.
    if lo > 0:
        cand = np.flatnonzero(is_q & (a[lo - 1:hi - 1] == syn.escape)) + lo
    else:
        if not complete and is_q[0]:
            raise NeedContext
        cand = np.flatnonzero(is_q[1:] & (a[: hi - 1] == syn.escape)) + 1
    if not cand.size:
        return n
    return n - int(np.count_nonzero(escaped(a, cand, syn.escape, complete=complete)))


def boundaries(a: np.ndarray, lo: int, hi: int, parity: int, syn: Syntax, *, complete: bool) -> np.ndarray:
    """Positions of the newlines in ``a[lo:hi]`` that end a record, given the quote ``parity`` at ``lo``."""
    nl = _unescaped(a, np.flatnonzero(a[lo:hi] == NL) + lo, syn.escape, complete=complete)
    if syn.quote is None or not nl.size:
        return nl
    q = quote_positions(a, lo, hi, syn, complete=complete)
    before = np.searchsorted(q, nl)  # quotes in [lo, newline)
    return nl[((before + parity) & 1) == 0]


def record_end(data: Any, syn: Syntax, limit: int | None = None) -> int:
    """Index just past the last newline that ends a record in ``data[:limit]``; 0 when there is none.

    ``data`` starts at a record start (outside quotes, no escape run before it).
    """
    end = len(data) if limit is None else min(limit, len(data))
    if syn.plain:
        if isinstance(data, memoryview):
            data = data.tobytes()
        return int(data.rfind(b"\n", 0, end)) + 1
    a = view(data)
    # A chunk almost always ends a record a few lines before its end: look at the tail first, with the
    # parity from one count over the head, and widen only when the tail holds no record end.
    pos, step = end, 1 << 16
    while pos > 0:
        lo = max(0, pos - step)
        parity = count_quotes(a, 0, lo, syn, complete=True) & 1
        ends = boundaries(a, lo, pos, parity, syn, complete=True)
        if ends.size:
            return int(ends[-1]) + 1
        pos, step = lo, step * 4
    return 0


def first_record_end(data: Any, syn: Syntax) -> int:
    """Index just past the first newline that ends a record in ``data`` (a record start); 0: none."""
    if syn.plain:
        return int((data.tobytes() if isinstance(data, memoryview) else data).find(b"\n")) + 1
    a = view(data)
    ends = boundaries(a, 0, len(a), 0, syn, complete=True)
    return int(ends[0]) + 1 if ends.size else 0


def record_lines(data: bytes, syn: Syntax, ignore_empty: bool) -> list[int]:
    """0-based physical line (within ``data``, which starts a record) where each record pyarrow sees starts.

    Blank lines are not records when ``ignore_empty`` (pyarrow skips them).
    """
    a = view(data)
    ends = boundaries(a, 0, len(a), 0, syn, complete=True)
    starts = np.concatenate((np.zeros(1, dtype=np.int64), ends + 1))
    stops = np.concatenate((ends + 1, np.array([len(a)], dtype=np.int64)))
    keep = starts < len(a)
    starts, stops = starts[keep], stops[keep]
    lines = np.searchsorted(np.flatnonzero(a == NL), starts)  # newlines before a start = its line
    out = []
    for s, e, line in zip(starts.tolist(), stops.tolist(), lines.tolist(), strict=True):
        if ignore_empty and data[s:e] in (b"\n", b"\r\n", b"", b"\r"):
            continue
        out.append(int(line))
    return out


def unterminated_start(data: Any, syn: Syntax) -> int | None:
    """Where the record starts whose quoted field never closes, as pyarrow's lexer reads ``data``; None
    when every quoted field closes. ``data`` starts at a record start.

    Exact but a Python loop over the quotes: for the rare chunk whose quote count is odd at the end of
    the input (an unterminated quote, or a quote inside an unquoted field that pyarrow reads as a
    literal). A quote opens a field only at a field start; inside, a doubled quote is a literal.
    """
    if syn.quote is None:
        return None
    a = view(data)
    raw = bytes(data)
    q = quote_positions(a, 0, len(a), syn, complete=True).tolist()
    starts_field = {syn.delimiter, NL, CR}
    inside, record, last_close, i = False, 0, -1, 0
    while i < len(q):
        p = q[i]
        if not inside:
            if p == 0 or a[p - 1] in starts_field:
                # Newlines since the last closing quote are outside quotes: the last one starts this record.
                nl = raw.rfind(b"\n", last_close + 1, p)
                if nl >= 0:
                    record = nl + 1
                inside = True
            i += 1
        elif i + 1 < len(q) and q[i + 1] == p + 1:
            i += 2  # a doubled quote inside the field
        else:
            inside, last_close = False, p
            i += 1
    return record if inside else None


# ------------------------------------------------------------------------------------------------
# aligning byte-range cuts of a quoted or escaped file to record starts


def read_span(store: Storage, uri: str, offset: int, length: int) -> bytes:
    with store.open(uri, offset, length) as f:
        parts = []
        left = length
        while left > 0:
            b = f.read(left)
            if not b:
                break
            parts.append(b)
            left -= len(b)
    return b"".join(parts)


def _misplaced(a: np.ndarray, q: np.ndarray, parity: int, syn: Syntax, base: int) -> int:
    """File offset of the first quote in ``q`` (positions in ``a``) that RFC 4180 would not put there; -1: none.

    ``parity``: of the quotes before ``q[0]``. An opening quote follows a delimiter, a line end,
    another quote (doubled) or the file start (or its BOM); a closing quote is followed by one of those.
    A neighbour outside ``a`` counts as fitting. ``base``: file offset of ``a[0]``.
    """
    if not q.size:
        return -1
    assert syn.quote is not None
    ok = np.zeros(256, dtype=bool)
    ok[[syn.delimiter, NL, CR, syn.quote]] = True
    prev = np.ones(q.size, dtype=bool)
    nxt = np.ones(q.size, dtype=bool)
    inner = q > 0
    prev[inner] = ok[a[q[inner] - 1]]
    if base == 0 and len(a) > 3 and bytes(a[:3]) == _BOM:
        prev[q == 3] = True
    inner = q + 1 < len(a)
    nxt[inner] = ok[a[q[inner] + 1]]
    opening = ((np.arange(q.size) + parity) & 1) == 0
    bad = np.flatnonzero((opening & ~prev) | (~opening & ~nxt))
    return int(q[bad[0]]) + base if bad.size else -1


def _count_stretch(store: Storage, uri: str, lo: int, hi: int, syn: Syntax) -> int:
    """Unescaped quotes in [lo, hi), read in blocks into one reused buffer (with context for escapes)."""
    back = min(lo, _LOOKBACK)
    buf = bytearray(_LOOKBACK + COUNT_BLOCK)
    total, at = 0, lo - back  # ``at``: file offset of buf[0]
    with store.open(uri, lo - back, hi - lo + back) as f, memoryview(buf) as mv:
        readinto = getattr(f, "readinto", None)
        ctx = _read_into(f, readinto, mv[:back])  # context only: not counted
        while True:
            n = _read_into(f, readinto, mv[ctx: ctx + COUNT_BLOCK])
            if not n:
                break
            total += count_quotes(view(buf)[: ctx + n], ctx, ctx + n, syn, complete=at == 0)
            keep = min(_LOOKBACK, ctx + n)
            buf[:keep] = buf[ctx + n - keep: ctx + n]
            at += ctx + n - keep
            ctx = keep
    return total


def _read_into(f: Any, readinto: Any, mv: memoryview) -> int:
    """Fill ``mv`` from ``f`` as far as the stream goes; the number of bytes read."""
    n = 0
    while n < len(mv):
        if readinto is not None:
            got = readinto(mv[n:]) or 0
        else:
            data = f.read(len(mv) - n)
            got = len(data)
            mv[n: n + got] = data
        if not got:
            break
        n += got
    return n


def _record_end_after(store: Storage, uri: str, at: int, parity: int, syn: Syntax, limit: int) -> int | None:
    """File offset just past the first record-ending newline at or after ``at`` (before ``limit``)."""
    step = _SEARCH_FIRST
    while at < limit:
        back = min(at, _LOOKBACK)
        n = min(step, limit - at)
        buf = read_span(store, uri, at - back, n + back)
        if len(buf) <= back:
            return None
        a = view(buf)
        ends = boundaries(a, back, len(a), parity, syn, complete=at - back == 0)
        if ends.size:
            return at - back + int(ends[0]) + 1
        parity = (parity + count_quotes(a, back, len(a), syn, complete=at - back == 0)) & 1
        at += len(buf) - back
        step = min(step * 4, 8 << 20)
    return None


def _check_around(store: Storage, uri: str, p: int, cut: int, parity: int, syn: Syntax, size: int) -> int:
    """The first misplaced quote within ``_CHECK`` bytes around [p, cut) (``parity`` at ``p``); -1: none.

    With the parity of every quote known, quotes in the wrong role betray a quote that parity counted
    but pyarrow would not (one in an unquoted field, anywhere before): from there on every opening
    quote looks like a closing one. Real quoted CSV has quotes every few lines, so a window of this
    size almost surely holds some.
    """
    lo, hi = max(0, p - _CHECK), min(size, cut + _CHECK)
    back = min(lo, _LOOKBACK)
    a = view(read_span(store, uri, lo - back, hi - lo + back))
    complete = lo - back == 0
    before = count_quotes(a, back, back + p - lo, syn, complete=complete)
    q = quote_positions(a, back, len(a), syn, complete=complete)
    return _misplaced(a, q, (parity - before) & 1, syn, lo - back)


def align_cuts(store: Storage, uri: str, size: int, cuts: Sequence[int], syn: Syntax, *,
               workers: int = 2) -> list[int] | None:
    """``cuts`` (sorted offsets) moved to record starts; None when the file's quoting cannot be trusted.

    Each cut c becomes the offset just past the first record-ending newline at or after c - 1, so a
    cut that already is a record start stays. Cuts that meet (one record spans both), find no record
    end within ``MAX_SEARCH`` bytes or reach the end are dropped. Quoted text: the quotes before every
    cut are counted in one pass over the file (stretches in parallel on ``workers`` threads), and the
    quotes around every cut are checked for their RFC 4180 roles (``_check_around``).
    """
    try:
        return _align(store, uri, size, cuts, syn, workers)
    except NeedContext:
        log.info("%s: not split: a run of over %d escape characters crosses a block", uri, _LOOKBACK)
        return None


def _align(store: Storage, uri: str, size: int, cuts: Sequence[int], syn: Syntax, workers: int) -> list[int] | None:
    points = [c - 1 for c in cuts]
    parities = [0] * len(points)
    if syn.quote is not None and points:
        # The stretches between cuts, counted in pieces of at most _STRETCH bytes: 3 stretches on 2
        # threads would leave one thread idle for a third of the pass; small pieces keep both busy.
        pieces = [(lo, min(hi, lo + _STRETCH), i) for i, (lo, hi) in enumerate(itertools.pairwise([0, *points]))
                  for lo in range(lo, hi, _STRETCH)]
        counts = [0] * len(points)
        with ThreadPoolExecutor(max(1, min(workers, len(pieces))), thread_name_prefix="migrate-quotes") as ex:
            for (_, _, i), n in zip(pieces, ex.map(lambda s: _count_stretch(store, uri, s[0], s[1], syn), pieces),
                                    strict=True):
                counts[i] += n
        parities = [int(x) & 1 for x in itertools.accumulate(counts)]
    out: list[int] = []
    for i, p in enumerate(points):
        if out and out[-1] > p:
            continue  # the previous cut's record reaches past this one
        limit = min(points[i + 1] if i + 1 < len(points) else size, p + MAX_SEARCH)
        got = _record_end_after(store, uri, p, parities[i], syn, max(limit, p + 1))
        if got is None or not 0 < got < size or (out and got <= out[-1]):
            continue
        if syn.quote is not None:
            bad = _check_around(store, uri, p, got, parities[i], syn, size)
            if bad >= 0:
                log.info("%s: not split: the quote at byte %d is not where RFC 4180 quoting puts one (in an "
                         "unquoted field?), so counting quotes cannot tell where records end", uri, bad)
                return None
        out.append(got)
    return out


__all__ = ["COUNT_BLOCK", "NeedContext", "Syntax", "align_cuts", "boundaries", "count_quotes", "escaped",
           "first_record_end", "quote_positions", "read_span", "record_end", "record_lines", "unterminated_start",
           "view"]
