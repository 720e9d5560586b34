"""Shadow-run comparison: the legacy job's output against its translation's, rows in any order.

Outputs are files or folders of files (DPark's ``0000``, Spark's ``part-*``; ``_SUCCESS``, hidden and
``.crc`` files are ignored): Parquet by its magic bytes, anything else as text lines (gzip by magic).
Fields of text rows split on a tab (else a comma); numbers compare with a relative tolerance (float sums
differ in the last digits between engines), everything else exactly.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]


def data_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(("_", "."))
                  and not p.name.endswith(".crc"))


def _field(text: str) -> Any:
    try:
        return float(text) if text.strip() not in ("", "nan", "inf", "-inf") else text
    except ValueError:
        return text


def rows(path: Path) -> Iterator[Row]:
    for f in data_files(path):
        with f.open("rb") as fh:
            magic = fh.read(4)
        if magic == b"PAR1":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(f).iter_batches():
                for rec in batch.to_pylist():
                    yield tuple(_field(str(v)) if v is not None else None for v in rec.values())
            continue
        opener: Any = gzip.open if magic[:2] == b"\x1f\x8b" else open
        with opener(f, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.rstrip("\n").rstrip("\r")
                yield tuple(_field(x) for x in line.split("\t" if "\t" in line else ","))


def _key(row: Row) -> tuple[str, ...]:
    # Sort key: numbers rounded to 6 significant digits so last-digit differences sort alike.
    return tuple(f"{v:.6g}" if isinstance(v, float) else str(v) for v in row)


def _same(a: Row, b: Row, tolerance: float) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance):
                return False
        elif x != y:
            return False
    return True


def compare_outputs(legacy: Path, new: Path, *, tolerance: float = 1e-9, examples: int = 5) -> dict[str, Any]:
    """``{"equal", "legacy_rows", "new_rows", "detail", "differences"}`` for two outputs."""
    left = sorted(rows(legacy), key=_key)
    right = sorted(rows(new), key=_key)
    diffs = [{"legacy": list(map(str, a)), "new": list(map(str, b))}
             for a, b in zip(left, right, strict=False) if not _same(a, b, tolerance)]
    equal = len(left) == len(right) and not diffs
    if equal:
        detail = f"{len(left)} rows equal ({legacy} vs {new})"
    elif len(left) != len(right):
        detail = f"{len(left)} legacy rows vs {len(right)} new rows ({legacy} vs {new})"
    else:
        detail = f"{len(diffs)} of {len(left)} rows differ, e.g. {diffs[0]['legacy']} vs {diffs[0]['new']}"
    return {"equal": equal, "legacy": str(legacy), "new": str(new), "legacy_rows": len(left),
            "new_rows": len(right), "detail": detail, "differences": diffs[:examples]}
