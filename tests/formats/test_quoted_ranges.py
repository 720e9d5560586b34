"""Quoted and escaped text in byte ranges: every row exactly once, wherever the cuts fall."""

from __future__ import annotations

import gzip
import itertools
import random
from pathlib import Path

import pyarrow as pa
import pytest

from migrate.errors import FormatError
from migrate.formats import Quarantine, arrow_schema, open_batches, records, split_ranges, split_refusal_for
from migrate.formats.delimited import TextOptions
from migrate.storage.local import LocalStorage
from tests.formats.test_readers import Col, Fmt

STORE = LocalStorage()


SCHEMA = arrow_schema([Col("id", "bigint", False), Col("name", "string"), Col("note", "string")])
TRICKY = ["plain", "a,b", 'say ""hi""', "multi\nline", "\n", "two\n\nblank lines", '""', "", "end\n", ",\n,",
          'q""\n""q', "crlf\r\ninside"]


def quoted_csv(n: int, seed: int, *, crlf: bool = False, bom: bool = False, header: bool = True) -> tuple[bytes, list]:
    """A CSV whose string fields are all quoted, many holding newlines, delimiters and doubled quotes."""
    rnd = random.Random(seed)
    eol = "\r\n" if crlf else "\n"
    rows, out = [], []
    if header:
        out.append(f'"id","name","note"{eol}')
    for i in range(n):
        name = rnd.choice(TRICKY)
        note = rnd.choice(TRICKY)
        out.append(f'{i},"{name}","{note}"{eol}')
        rows.append({"id": i, "name": name.replace('""', '"'), "note": note.replace('""', '"')})
    text = "".join(out).encode()
    return (b"\xef\xbb\xbf" + text if bom else text), rows


def read(path: Path, fmt: Fmt, byte_range: tuple[int, int] | None = None, schema: pa.Schema = SCHEMA,
         chunk_bytes: int = 1 << 20) -> tuple[list[dict], Quarantine, object]:
    q = Quarantine(None)
    s = open_batches(STORE, f"file://{path}", fmt, schema, quarantine=q, byte_range=byte_range,
                     chunk_bytes=chunk_bytes)
    with s:
        rows = pa.Table.from_batches(list(s), schema=s.schema).to_pylist()
    assert s.counts.balanced, s.counts
    return rows, q, s.counts


def aligned(path: Path, fmt: Fmt, cuts: list[int]) -> list[tuple[int, int]]:
    size = path.stat().st_size
    got = records.align_cuts(STORE, f"file://{path}", size, cuts, TextOptions.from_format(fmt).syntax)
    assert got is not None
    bounds = [0, *got, size]
    return list(itertools.pairwise(bounds))


def read_ranges(path: Path, fmt: Fmt, ranges: list[tuple[int, int]], **kw: object) -> list[dict]:
    out: list[dict] = []
    for r in ranges:
        rows, q, _ = read(path, fmt, r, **kw)  # type: ignore[arg-type]
        assert not q.records, q.records
        out += rows
    return out


@pytest.mark.parametrize(("crlf", "bom", "header"), [(False, False, True), (True, True, True), (False, True, False)])
def test_every_single_cut_reads_every_row_once(tmp_path: Path, crlf: bool, bom: bool, header: bool) -> None:
    """A cut at every byte of the file: inside quotes, on quotes, on newlines quoted or not, in CRLF."""
    data, want = quoted_csv(25, seed=1, crlf=crlf, bom=bom, header=header)
    p = tmp_path / "q.csv"
    p.write_bytes(data)
    fmt = Fmt(header=header)
    assert read(p, fmt)[0] == want
    for c in range(1, len(data)):
        ranges = aligned(p, fmt, [c])
        assert read_ranges(p, fmt, ranges) == want, (c, ranges)


def test_many_ranges_with_small_chunks(tmp_path: Path) -> None:
    data, want = quoted_csv(3000, seed=2)
    p = tmp_path / "q.csv"
    p.write_bytes(data)
    fmt = Fmt()
    size = len(data)
    for target in (size, 10_000, 1_777, 301):
        ranges = split_ranges(STORE, f"file://{p}", fmt, target)
        assert ranges[0][0] == 0 and ranges[-1][1] == size
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        if target < size:
            assert len(ranges) > 1
        assert read_ranges(p, fmt, ranges, chunk_bytes=997) == want


def test_escape_characters(tmp_path: Path) -> None:
    r"""``\"`` inside quotes, ``\\"`` (an escaped escape, then the closing quote), escaped newlines."""
    fmt = Fmt(escape="\\")
    lines = ['"id","name","note"\n']
    want = []
    rnd = random.Random(3)
    values = [('a\\"b', 'a"b'), ('x\\\\', "x\\"), ("\\\\\\\\", "\\\\"), ('\\"\\"', '""'),
              ("line\\\nnext", "line\nnext"), ('q\\"\nq', 'q"\nq'), ("", ""), ('""', '"')]
    for i in range(40):
        a, b = rnd.choice(values), rnd.choice(values)
        lines.append(f'{i},"{a[0]}","{b[0]}"\n')
        want.append({"id": i, "name": a[1], "note": b[1]})
    data = "".join(lines).encode()
    p = tmp_path / "e.csv"
    p.write_bytes(data)
    assert read(p, fmt)[0] == want
    for c in range(1, len(data)):
        assert read_ranges(p, fmt, aligned(p, fmt, [c])) == want, c


def test_escaped_newlines_in_unquoted_text(tmp_path: Path) -> None:
    """Hive text with an escape character: an escaped newline is part of the value, not a record end."""
    fmt = Fmt(kind="hive_text", delimiter="\x01", header=False, quote=None, escape="\\", null_marker="\\N")
    rows = [(i, f"v{i}\\\nmore" if i % 4 == 0 else f"v{i}") for i in range(80)]
    data = "".join(f"{i}\x01{v}\x01n\n" for i, v in rows).encode()
    p = tmp_path / "h.txt"
    p.write_bytes(data)
    want = [{"id": i, "name": v.replace("\\\n", "\n"), "note": "n"} for i, v in rows]
    assert read(p, fmt)[0] == want
    for c in range(1, len(data), 3):
        assert read_ranges(p, fmt, aligned(p, fmt, [c])) == want, c


def test_ragged_row_mid_range_named_by_file_and_line(tmp_path: Path) -> None:
    data, want = quoted_csv(400, seed=4)
    # Physical lines shift with quoted newlines: the bad row goes right before row 300's record.
    body = data.decode()
    marker = "\n300,"
    at = body.index(marker) + 1
    bad_line = body[:at].count("\n") + 1
    body = body[:at] + "oops,1,2,3\n" + body[at:]
    p = tmp_path / "r.csv"
    p.write_bytes(body.encode())
    fmt = Fmt()
    size = p.stat().st_size
    for target in (size, size // 3, size // 7):
        got: list[dict] = []
        bad = []
        for r in split_ranges(STORE, f"file://{p}", fmt, target):
            rows, q, _ = read(p, fmt, r)
            got += rows
            bad += [(x["source"], x["line"], x["reason"]) for x in q.records]
        assert got == want
        assert bad == [(f"file://{p}", bad_line, "expected 3 fields, found 4")]


def test_misplaced_quote_keeps_the_file_whole(tmp_path: Path) -> None:
    """A quote inside an unquoted field breaks quote parity: the file is not split, and still read."""
    data, want = quoted_csv(500, seed=5)
    body = data.decode().replace('\n250,"', '\n250,5" disk,"', 1)
    p = tmp_path / "s.csv"
    p.write_bytes(body.encode())
    assert len(split_ranges(STORE, f"file://{p}", Fmt(), 2000)) == 1
    rows, q, counts = read(p, Fmt())
    assert counts.rows_in == 500  # type: ignore[attr-defined]
    # The row with the stray quote has one field more than the schema: quarantined, all others kept.
    assert [r["id"] for r in rows] == [r["id"] for r in want if r["id"] != 250]
    assert len(q.records) == 1


def test_unaligned_range_of_quoted_text_refused(tmp_path: Path) -> None:
    data, _ = quoted_csv(50, seed=6)
    p = tmp_path / "u.csv"
    p.write_bytes(data)
    cut = data.index(b"multi") + 2
    with pytest.raises(FormatError, match="record start"):
        read(p, Fmt(), (cut, len(data)))


def test_compressed_and_columnar_refusals(tmp_path: Path) -> None:
    data, _ = quoted_csv(200, seed=7)
    g = tmp_path / "a.csv.gz"
    g.write_bytes(gzip.compress(data))
    assert "compressed" in (split_refusal_for(STORE, f"file://{g}", Fmt()) or "")
    assert split_ranges(STORE, f"file://{g}", Fmt(), 100) == [(0, g.stat().st_size)]
    p = tmp_path / "a.csv"
    p.write_bytes(data)
    assert split_refusal_for(STORE, f"file://{p}", Fmt()) is None


def test_counting_matches_a_plain_loop() -> None:
    """The vectorised quote and record-end search against a byte-by-byte reference."""
    rnd = random.Random(8)
    for _ in range(300):
        data = bytes(rnd.choice(b'ab,"\\\n') for _ in range(rnd.randrange(1, 80)))
        for esc in (None, ord("\\")):
            syn = records.Syntax(ord('"'), esc, ord(","))
            ends, inside, i = [], False, 0
            while i < len(data):
                c = data[i]
                if esc is not None and c == esc:
                    i += 2
                    continue
                if c == ord('"'):
                    inside = not inside
                elif c == 0x0A and not inside:
                    ends.append(i)
                i += 1
            a = records.view(data)
            assert records.boundaries(a, 0, len(a), 0, syn, complete=True).tolist() == ends, (data, esc)
            assert records.record_end(data, syn) == (ends[-1] + 1 if ends else 0)


def test_unterminated_quote_found_as_pyarrow_lexes() -> None:
    syn = records.Syntax.of('"', None, ",")
    stray = b'1,"ok"\n2,5" disk\n3,"a\nb"\n'
    assert records.unterminated_start(stray, syn) is None  # odd count, but every quoted field closes
    broken = b'1,"ok"\n2,5" disk\n3,"never closes\n4,x\n'
    assert records.unterminated_start(broken, syn) == broken.index(b"3,")
    assert records.unterminated_start(b'1,"a""\nb""c\n', syn) == 0
