"""Generators of the delimited-text shapes the benchmarks convert (about N MiB each, deterministic).

- ``quoted``: CSV, header, every string quoted, commas and doubled quotes inside quotes (no newline)
- ``newlines``: the same, and about one row in eight holds a newline inside a quoted field
- ``hive``: Hive text: ``\\x01`` between fields, ``\\N`` for NULL, no header, no quoting
- ``tsv``: tab-separated, header, no quoting, empty field for NULL
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLUMNS = [("id", "bigint"), ("amount", "double"), ("name", "string"), ("day", "date"),
           ("ts", "timestamp"), ("flag", "boolean"), ("qty", "int"), ("note", "string")]
SHAPES = ("quoted", "newlines", "hive", "tsv")
FILE_NAMES = {"quoted": "data.csv", "newlines": "data.csv", "hive": "000000_0", "tsv": "data.tsv"}
# DuckDB / pyarrow read options per shape (the peers get the format spelled out, no sniffing).
DELIMITER = {"quoted": ",", "newlines": ",", "hive": "\x01", "tsv": "\t"}
HEADER = {"quoted": True, "newlines": True, "hive": False, "tsv": True}
QUOTE = {"quoted": '"', "newlines": '"', "hive": None, "tsv": None}
NULL = {"quoted": "", "newlines": "", "hive": "\\N", "tsv": ""}

_WORDS = {
    "quoted": ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
               "lambda, with comma", 'mu "quoted"', "nu", 'xi, "both"', "omicron", "pi"],
    "newlines": ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "line one\nline two", "theta",
                 "lambda, with comma", 'mu "quoted"', "nu", 'xi, "both"\nand a second line', "omicron", "pi",
                 "iota", "kappa"],
    "hive": ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
             "lambda, with comma", "mu 'single'", "nu", "xi; semi", "omicron", "pi"],
    "tsv": ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
            "lambda, with comma", "mu 'single'", "nu", "xi; semi", "omicron", "pi"],
}


def generate(path: Path, shape: str, mib: int, seed: int = 42) -> int:
    """Write about ``mib`` MiB of ``shape`` to ``path``; returns the row count."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    words = np.array(_WORDS[shape])
    schema = pa.schema([("id", pa.int64()), ("amount", pa.float64()), ("name", pa.string()), ("day", pa.date32()),
                        ("ts", pa.timestamp("us")), ("flag", pa.bool_()), ("qty", pa.int32()), ("note", pa.string())])
    quoting = "needed" if QUOTE[shape] else "none"
    opts = pacsv.WriteOptions(include_header=HEADER[shape], delimiter=DELIMITER[shape], null_string=NULL[shape],
                              quoting_style=quoting)
    target = mib << 20
    total = 0
    n = 250_000
    with pacsv.CSVWriter(str(path), schema, write_options=opts) as w:
        while not path.exists() or path.stat().st_size < target:

            def nulls(p: float) -> Any:
                return rng.random(n) < p

            cols = [
                np.arange(total, total + n, dtype=np.int64),
                pa.array(np.round(rng.normal(100, 50, n), 2), mask=nulls(0.05)),
                pa.array(words[rng.integers(0, len(words), n)], mask=nulls(0.05)),
                pa.array(rng.integers(17000, 20000, n).astype("int32"), pa.int32(), mask=nulls(0.05)).cast(pa.date32()),
                pa.array(rng.integers(1_500_000_000_000_000, 1_700_000_000_000_000, n), pa.int64(),
                         mask=nulls(0.05)).cast(pa.timestamp("us")),
                pa.array(rng.random(n) < 0.5, mask=nulls(0.05)),
                pa.array(rng.integers(0, 1000, n).astype("int32"), mask=nulls(0.1)),
                pa.array(np.char.add("note-", rng.integers(0, 10**6, n).astype(str)), mask=nulls(0.3)),
            ]
            w.write_table(pa.table(cols, schema=schema))
            total += n
    return total


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for s in SHAPES:
        d = out / s
        d.mkdir(exist_ok=True)
        print(s, generate(d / FILE_NAMES[s], s, int(sys.argv[2]) if len(sys.argv) > 2 else 64))
