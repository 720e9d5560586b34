"""Inventory speed and memory, as ratios against peers measured in the same run.

1. Local: a tree of FILES small files in FOLDERS folders (generated in a temp dir, deleted afterwards).
   Peer: ``find ROOT -type f -printf '%s %T@\\n' > /dev/null``. Bar: inventory <= 10x find, peak RSS <= 1 GiB.
2. WebHDFS: WEBHDFS_FILES files served by the WebHDFS protocol test server. Peer: a bare recursive
   LISTSTATUS walk with the ``hdfs`` client (HdfsCLI). Bar: inventory <= 10x the walk.

Each side runs as a child process; its peak RSS comes from ``os.wait4`` (``ru_maxrss`` of that child).

    python benchmarks/inventory_bench.py [--files 1000000 --folders 2000 --webhdfs-files 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable


def make_tree(root: Path, files: int, folders: int) -> None:
    per = files // folders
    body = b"1,alice,3.5\n2,bob,4.0\n"
    for i in range(folders):
        # Hive-style partitions for half of the folders, plain folders for the rest.
        d = root / (f"warehouse/t{i // 100}/dt=2024-01-{i % 28 + 1:02d}/h={i % 100}" if i % 2 else f"data/d{i}")
        d.mkdir(parents=True, exist_ok=True)
        for j in range(per):
            fd = os.open(d / f"part-{j:05d}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, body)
            os.close(fd)


def run(cmd: list[str] | str, shell: bool = False) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=shell, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {cmd}")
    return secs, usage.ru_maxrss * 1024


def inventory_cmd(root_uri: str, out: Path, *extra: str) -> list[str]:
    return [PY, "-m", "migrate.cli", "inventory", "--root", f"b={root_uri}", "-o", str(out), "-q", *extra]


def local(files: int, folders: int) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="inv-bench-"))
    try:
        t0 = time.perf_counter()
        make_tree(tmp / "tree", files, folders)
        print(f"local: generated {files:,} files in {folders:,} folders in {time.perf_counter() - t0:.1f} s")
        run(f"find {tmp / 'tree'} -type f > /dev/null", shell=True)  # same page cache state for both
        t_find, _ = run(f"find {tmp / 'tree'} -type f -printf '%s %T@\\n' > /dev/null", shell=True)
        t_inv, rss = run(inventory_cmd(f"file://{tmp / 'tree'}", tmp / "inv.json"))
        ratio = t_inv / t_find
        ok = ratio <= 10 and rss <= 1 << 30
        print(f"local: find {t_find:.2f} s, inventory {t_inv:.2f} s, ratio {ratio:.1f}x (bar 10x), "
              f"peak RSS {rss / 2**20:.0f} MiB (bar 1024 MiB) -> {'OK' if ok else 'FAIL'}")
        return ok
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


WALK = """
import sys
from hdfs import InsecureClient
c = InsecureClient(sys.argv[1], user="bench")
n = 0
for _path, _dirs, files in c.walk("/"):
    n += len(files)
print(n)
"""


def webhdfs(files: int, folders: int) -> bool:
    from migrate.devservers.webhdfs import WebHdfsServer

    tmp = Path(tempfile.mkdtemp(prefix="inv-bench-hdfs-"))
    srv = None
    try:
        make_tree(tmp / "tree", files, folders)
        srv = WebHdfsServer(tmp / "tree").start()
        url = f"http://{srv.host}:{srv.port}"
        t_walk, _ = run([PY, "-c", WALK, url])
        t_inv, rss = run(inventory_cmd(f"webhdfs://{srv.host}:{srv.port}/", tmp / "inv.json",
                                       "--option", "b.user=bench", "--workers", "16"))
        ratio = t_inv / t_walk
        ok = ratio <= 10
        print(f"webhdfs: {files:,} files; hdfs-client walk {t_walk:.2f} s, inventory {t_inv:.2f} s, "
              f"ratio {ratio:.1f}x (bar 10x), inventory peak RSS {rss / 2**20:.0f} MiB -> {'OK' if ok else 'FAIL'}")
        return ok
    finally:
        if srv is not None:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--folders", type=int, default=2000)
    ap.add_argument("--webhdfs-files", type=int, default=100_000)
    ap.add_argument("--webhdfs-folders", type=int, default=200)
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--skip-webhdfs", action="store_true")
    a = ap.parse_args()
    ok = True
    if not a.skip_local:
        ok &= local(a.files, a.folders)
    if not a.skip_webhdfs:
        ok &= webhdfs(a.webhdfs_files, a.webhdfs_folders)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
