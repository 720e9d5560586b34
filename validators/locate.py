"""Where a row of a source file is: its 1-based physical line (text formats) or record number (binary).

The readers hand out rows in file order with quarantined rows left out, so the k-th row out
(``ordinal`` k, 0-based) is the k-th record that was not quarantined. For text formats the records
are found as the readers find them (``delimited.record_lines``: quoted newlines, blank lines and the
header honoured); chunks without quotes, blank lines or quarantined rows are skipped by counting
newlines. Only files with findings pay for this second read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from migrate.formats.compression import open_decompressed
from migrate.formats.delimited import TextOptions, record_end, record_lines

from .sides import SourceFile, SourceSide, read_source
from .summary import CountingQuarantine

TEXT = ("csv", "tsv", "hive_text")
_CHUNK = 8 << 20


def _quarantined_positions(side: SourceSide, sf: SourceFile, ds: Any, declared: Any) -> set[int]:
    q = CountingQuarantine(keep_positions=True)
    stream = read_source(side, sf, ds, declared, q)
    with stream:
        for _ in stream:
            pass
    return set(q.positions or [])


def locate_rows(side: SourceSide, sf: SourceFile, ds: Any, declared: Any, ordinals: Iterable[int],
                quarantined: int) -> dict[int, dict[str, int]]:
    """{ordinal: {"line": n} or {"record": n}} for the wanted row ordinals of ``sf``."""
    wanted = sorted(set(ordinals))
    if not wanted:
        return {}
    kind = str(getattr(ds.format.kind, "value", ds.format.kind))
    skip = _quarantined_positions(side, sf, ds, declared) if quarantined else set()
    if kind in TEXT:
        return _text_lines(side, sf, ds.format, wanted, skip)
    if kind == "jsonl":
        return _json_lines(side, sf, wanted, skip)
    # Binary formats: records are numbered 1.. in the file; quarantined ones are skipped by the reader.
    out: dict[int, dict[str, int]] = {}
    bad = sorted(skip)
    k, record, i = 0, 0, 0
    for w in wanted:
        while True:
            record += 1
            while i < len(bad) and bad[i] < record:
                i += 1
            if i < len(bad) and bad[i] == record:
                continue
            if k == w:
                out[w] = {"record": record}
                k += 1
                break
            k += 1
    return out


def _text_lines(side: SourceSide, sf: SourceFile, fmt: Any, wanted: list[int],
                skip: set[int]) -> dict[int, dict[str, int]]:
    opts = TextOptions.from_format(fmt)
    out: dict[int, dict[str, int]] = {}
    stream, _ = open_decompressed(lambda: side.store.open(sf.uri), sf.uri, opts.compression)
    q = opts.quote.encode() if opts.quote else None
    with stream:
        buf = b""
        line = 1  # line number of buf[0]
        ordinal = 0  # rows out before buf
        header_left = 1 if opts.header else 0
        wi = 0
        eof = False
        while wi < len(wanted) and not eof:
            more = stream.read(_CHUNK)
            eof = not more
            buf += more
            k = len(buf) if eof else record_end(buf, opts)
            if k == 0:
                continue
            piece, buf = buf[:k], buf[k:]
            nl = piece.count(b"\n")
            end_line = line + nl + (0 if piece.endswith(b"\n") else 1)
            simple = ((q is None or q not in piece) and b"\n\n" not in piece and not piece.startswith(b"\n")
                      and b"\r\n\r\n" not in piece and not header_left
                      and not any(line <= s < end_line for s in skip))
            records = nl + (0 if piece.endswith(b"\n") else 1)
            if simple and ordinal + records <= wanted[wi]:
                ordinal += records
                line += nl
                continue
            for r in record_lines(piece, opts):
                ln = line + r
                if header_left:
                    header_left -= 1
                    continue
                if ln in skip:
                    continue
                while wi < len(wanted) and wanted[wi] == ordinal:
                    out[wanted[wi]] = {"line": ln}
                    wi += 1
                ordinal += 1
            line += nl
    return out


def _json_lines(side: SourceSide, sf: SourceFile, wanted: list[int], skip: set[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    stream, _ = open_decompressed(lambda: side.store.open(sf.uri), sf.uri, "auto")
    wi, ordinal, line = 0, 0, 0
    with stream:
        rest = b""
        while wi < len(wanted):
            more = stream.read(_CHUNK)
            data = rest + more
            lines = data.split(b"\n")
            rest = lines.pop() if more else b""
            if not more and rest:
                lines.append(rest)
            for text in lines:
                line += 1
                if not text.strip() or line in skip:
                    continue
                while wi < len(wanted) and wanted[wi] == ordinal:
                    out[wanted[wi]] = {"line": line}
                    wi += 1
                ordinal += 1
            if not more:
                break
    return out
