"""The input the DPark corpus runs on (both engines read the same folder): web access logs per day (one day
gzipped), a users CSV, orders TSV, ratings, 2-D points and a small lookup file. Deterministic and small (~0.5 MB)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

PAGES = ["/", "/index.html", "/movie/1", "/movie/2", "/movie/3", "/book/7", "/music/9", "/search", "/login"]
CITIES = ["beijing", "shanghai", "guangzhou", "shenzhen", "chengdu"]


def make_input(root: Path, seed: int = 7) -> Path:
    rnd = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        folder = root / "logs" / "access" / day
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for i in range(800):
            uid = rnd.randint(1, 120)
            ip = f"10.0.{uid % 7}.{uid}"
            status = rnd.choice([200] * 12 + [301, 404, 500])
            page = rnd.choice(PAGES)
            lines.append(f'{ip} - u{uid} [{day}T{i % 24:02d}:{i % 60:02d}:00] "GET {page} HTTP/1.1" {status} '
                         f'{rnd.randint(100, 9000)} "-" "Mozilla/5.0"\n')
        text = "".join(lines)
        if day == "2024-01-03":
            (folder / "part-0.log.gz").write_bytes(gzip.compress(text.encode()))
        else:
            (folder / "part-0.log").write_text("".join(lines[:500]))
            (folder / "part-1.log").write_text("".join(lines[500:]))
        (folder / ".part-2.log.crc").write_text("hidden: DPark skips dot files\n")
    with (root / "users.csv").open("w") as f:
        for uid in range(1, 121):
            name = f"user {uid}" if uid % 10 else f'"Smith, {uid}"'
            age = "" if uid % 17 == 0 else str(15 + uid % 50)
            f.write(f"u{uid},{name},{CITIES[uid % len(CITIES)]},{age}\n")
    with (root / "orders.tsv").open("w") as f:
        for oid in range(1, 1501):
            uid = rnd.randint(1, 130)
            amount = round(rnd.uniform(1, 500), 2)
            f.write(f"{oid}\tu{uid}\t{amount}\t{rnd.choice(CITIES)}\n")
        f.write("bad line without tabs\n")
    with (root / "ratings.txt").open("w") as f:
        for _ in range(3000):
            f.write(f"u{rnd.randint(1, 80)}\ti{rnd.randint(1, 40)}\t{rnd.randint(1, 5)}\n")
    with (root / "points.txt").open("w") as f:
        for c in ((1.0, 1.0), (8.0, 2.0), (4.0, 9.0)):
            for _ in range(300):
                f.write(f"{c[0] + rnd.gauss(0, 0.8):.4f} {c[1] + rnd.gauss(0, 0.8):.4f}\n")
    (root / "city_names.txt").write_text("".join(f"{c}\t{c.upper()}\n" for c in CITIES))
    return root


if __name__ == "__main__":
    import sys

    print(make_input(Path(sys.argv[1])))
