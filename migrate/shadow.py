"""Shadow-run comparison: the legacy job's output against its translation's, rows in any order.

Text outputs (DPark's ``0000``, Spark's ``part-*``) compare exactly as ``translate dpark --verify`` compares
them (``migrate.translators.dpark.verify.compare``: per output folder, multisets of lines, numbers to 6
significant digits, Python 2 reprs normalised). Parquet outputs compare as multisets of rows normalised the
same way.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any


def _parquet_files(root: Path) -> list[Path]:
    files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()
                                          and not p.name.startswith(("_", "."))]
    out = []
    for f in files:
        with f.open("rb") as fh:
            if fh.read(4) == b"PAR1":
                out.append(f)
    return sorted(out)


def _parquet_rows(files: list[Path]) -> Counter[str]:
    import pyarrow.parquet as pq

    from migrate.translators.dpark.verify import normalise

    rows: Counter[str] = Counter()
    for f in files:
        for batch in pq.ParquetFile(f).iter_batches():
            for rec in batch.to_pylist():
                rows[normalise("\t".join("" if v is None else str(v) for v in rec.values()))] += 1
    return rows


def compare_outputs(legacy: Path, new: Path) -> dict[str, Any]:
    """``{"equal", "legacy", "new", "detail"}`` for two outputs (files or folders)."""
    from migrate.translators.dpark.verify import compare

    left, right = _parquet_files(legacy), _parquet_files(new)
    if left or right:
        a, b = _parquet_rows(left), _parquet_rows(right)
        equal = a == b
        detail = (f"{sum(a.values())} rows equal" if equal else
                  f"{sum(a.values())} legacy rows vs {sum(b.values())} new; legacy only "
                  f"{list((a - b).elements())[:3]}, new only {list((b - a).elements())[:3]}")
    else:
        equal, detail, folders = compare(legacy, new, "", "")
        detail = detail or f"{folders - 1} output folder(s) equal"  # compare counts stdout as a folder too
    return {"equal": equal, "legacy": str(legacy), "new": str(new), "detail": f"{detail} ({legacy} vs {new})"}
