"""Copy as-is over TLS (https) to SeaweedFS, against its peers, as ratios measured in one run.

    python benchmarks/tls_copy_bench.py                      # 8 x 64 MiB + 1,024 x 512 KiB (1 GiB)
    python benchmarks/tls_copy_bench.py --copy-scale 0.25 --repeat 3

SeaweedFS serves S3 over https with a certificate from a test CA (migrate.devservers.tlscert); every
contender trusts that CA and copies the same tree, N threads each, in alternating rounds:

- ``juicefs sync --threads N`` (Go's TLS; the CA through SSL_CERT_FILE);
- boto3's TransferManager (``upload_file`` on N threads, ``verify=CA``);
- obstore (Rust object_store, rustls; ``obstore.put(store, key, Path)`` from N threads, 8 MiB chunks,
  CRC64NVME checksums; installed by the ``bench`` extra), when importable;
- ours: ``run_dataset`` copy mode to the https endpoint with ``ca_bundle``: the lean client over an
  ssl-wrapped socket; each part's file range is hashed (CRC32C) and then read into a reused buffer and
  encrypted by OpenSSL (sendfile(2) cannot carry userspace TLS). Variants of that send path are
  measured too: ``--tls-chunks`` sets the buffer sizes tried; "bytes" reads each part into memory
  instead of sending file ranges.

Seconds, MiB/s, CPU-seconds per GiB (the contender's process tree, the work only; and the server's) and
peak RSS, best and median of the rounds; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.copy_convert_bench import (  # noqa: E402
    PeakSampler,
    _cpu_seconds,
    child_copy_boto3,
    child_copy_ours,
    gen_copy_tree,
    load_line,
    table,
)

MiB = 1 << 20


# ----------------------------------------------------------------------------- contenders (child side)
def child_ours(a: dict[str, Any]) -> dict[str, Any]:
    """copy_convert_bench's contender with ``ca_bundle``, and the TLS send-path variant asked for."""
    import migrate.storage.filerange as filerange

    if a.get("tls_chunk"):
        filerange.TLS_CHUNK = int(a["tls_chunk"])
    if a.get("bytes_path"):  # no file ranges: each part read into memory, then sent
        import migrate.storage.s3 as s3

        s3._S3Writer.accepts_file = lambda self: False  # type: ignore[method-assign]
    return child_copy_ours(a)


def child_obstore(a: dict[str, Any]) -> dict[str, Any]:
    import datetime
    from concurrent.futures import ThreadPoolExecutor

    import obstore
    from obstore.store import S3Store

    store = S3Store(a["bucket"], endpoint=a["endpoint"], region="us-east-1", access_key_id=os.environ["BENCH_KEY"],
                    secret_access_key=os.environ["BENCH_SECRET"], virtual_hosted_style_request=False,
                    checksum_algorithm="CRC64NVME", unsigned_payload=True,
                    client_options={"timeout": "300s", "root_certificate": Path(a["ca"]).read_text()},
                    retry_config={"max_retries": 3, "retry_timeout": datetime.timedelta(minutes=3)})
    files = [p for p in Path(a["src"]).rglob("*") if p.is_file()]

    def up(p: Path) -> None:
        obstore.put(store, "obstore/" + str(p.relative_to(a["src"])), p, chunk_size=8 << 20, max_concurrency=2)

    with ThreadPoolExecutor(a["threads"]) as ex:
        list(ex.map(up, files))
    return {}


def child_juicefs(a: dict[str, Any]) -> dict[str, Any]:
    from migrate.devservers.seaweedfs import find_binary

    # juicefs sync speaks http to minio:// and to an s3:// IP address endpoint; https to a host name, and
    # path-style to localhost (the certificate names localhost too).
    port = a["endpoint"].rsplit(":", 1)[1]
    dst = f"s3://{os.environ['BENCH_KEY']}:{os.environ['BENCH_SECRET']}@{a['bucket']}.localhost:{port}/jfs/"
    subprocess.run([find_binary("juicefs"), "sync", a["src"].rstrip("/") + "/", dst, "--threads",
                    str(a["threads"]), "--quiet"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   env={**os.environ, "SSL_CERT_FILE": a["ca"]})
    return {}


CHILDREN = {"ours": child_ours, "boto3": child_copy_boto3, "obstore": child_obstore, "juicefs": child_juicefs}


def run_child(name: str, args: dict[str, Any]) -> dict[str, Any]:
    import resource

    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    extra = CHILDREN[name](args)
    secs = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": secs, "cpu_seconds": cpu, "peak_rss_mib": max(own, kids) / 1024, **extra}


# ----------------------------------------------------------------------------- parent side
def spawn(name: str, args: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", name, json.dumps(args)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT),
                            env={**os.environ, **env, "PYTHONPATH": str(ROOT)})
    with PeakSampler(pid=proc.pid) as s:
        stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{stderr[-3000:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["peak_rss_mib"] = max(res["peak_rss_mib"], s.peak / 1024)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=8, help="copy threads (same for every contender)")
    ap.add_argument("--copy-scale", type=float, default=1.0, help="scale the copy tree (1.0 = 1 GiB)")
    ap.add_argument("--repeat", type=int, default=5, help="alternating rounds")
    ap.add_argument("--tls-chunks", default="262144", help="comma-separated TLS read sizes of ours to try")
    ap.add_argument("--bytes-path", action="store_true", help="also ours reading parts into memory")
    ap.add_argument("--workdir", default=None)
    ns = ap.parse_args()
    if ns.child:
        print(json.dumps(run_child(ns.child[0], json.loads(ns.child[1]))))
        return
    from migrate.devservers.seaweedfs import SeaweedFS

    work = Path(ns.workdir or tempfile.mkdtemp(prefix="tlsbench-"))
    try:
        s = ns.copy_scale
        src = work / "tree"
        if not src.exists():
            gen_copy_tree(src, 8, max(1, round(64 * s)), max(1, round(1024 * s)), 512)
        total = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
        server = SeaweedFS(work / "weed", tls=True, table_bucket=None)
        server.start()
        try:
            lines = bench(server, src, total, work, ns)
        finally:
            server.stop()
        print("\n".join(lines))
    finally:
        if not ns.workdir:
            shutil.rmtree(work, ignore_errors=True)


def bench(server: Any, src: Path, total: int, work: Path, ns: argparse.Namespace) -> list[str]:
    env = {"BENCH_KEY": server.access_key, "BENCH_SECRET": server.secret_key}
    base = {"src": str(src), "endpoint": server.https_endpoint, "threads": ns.threads, "out": str(work / "out"),
            "ca": str(server.tls_files.ca_cert)}
    contenders: list[tuple[str, str, dict[str, Any]]] = [("juicefs sync", "juicefs", {}), ("boto3", "boto3", {})]
    try:
        import obstore  # noqa: F401

        contenders.append(("obstore", "obstore", {}))
    except ImportError:
        print("obstore not installed (pip install -e '.[bench]'): left out", file=sys.stderr)
    chunks = [int(c) for c in ns.tls_chunks.split(",") if c]
    for c in chunks:
        label = "ours" if len(chunks) == 1 else f"ours ({c >> 10} KiB reads)"
        contenders.append((label, "ours", {"tls_chunk": c}))
    if ns.bytes_path:
        contenders.append(("ours (parts in memory)", "ours", {"bytes_path": True}))

    def server_cpu() -> float:
        with open(f"/proc/{server.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before = load_line()
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in contenders}
    for r in range(ns.repeat):
        for label, name, extra in contenders:
            bucket = f"b{time.time_ns()}"
            server.create_bucket(bucket)
            shutil.rmtree(work / "out", ignore_errors=True)
            cpu0 = server_cpu()
            res = spawn(name, {**base, **extra, "bucket": bucket}, env)
            res["server_cpu"] = server_cpu() - cpu0
            res["load"] = os.getloadavg()[0]
            results[label].append(res)
            print(f"  round {r + 1}/{ns.repeat} {label}: {res['seconds']:.2f}s, CPU {res['cpu_seconds']:.2f}s "
                  f"(server {res['server_cpu']:.2f}s), peak RSS {res['peak_rss_mib']:.0f} MiB, "
                  f"load {res['load']:.2f}", file=sys.stderr)
    rows = []
    for label, _, _ in contenders:
        best = dict(min(results[label], key=lambda x: x["seconds"]))
        best["median_seconds"] = statistics.median(x["seconds"] for x in results[label])
        rows.append((label, best))
    lines = [f"\nbefore: {before}; after: {load_line()}; best of {ns.repeat} alternating rounds, "
             f"{ns.threads} threads each"]
    lines += table("Copy as-is local -> SeaweedFS S3 over https", rows, total / MiB, "juicefs sync", cpu=True)
    r = dict(rows)
    from migrate.storage.filerange import TLS_CHUNK

    ours_label = next((label for label, name, extra in contenders if name == "ours"
                       and extra.get("tls_chunk") == TLS_CHUNK), next(lb for lb, n, _ in contenders if n == "ours"))
    lines.append(f"ours = {ours_label} (the default read size, {TLS_CHUNK >> 10} KiB)")
    ours = r[ours_label]
    for peer in ("juicefs sync", "boto3", "obstore"):
        if peer in r:
            lines.append(f"ours vs {peer}: best {r[peer]['seconds'] / ours['seconds']:.2f}x, median "
                         f"{r[peer]['median_seconds'] / ours['median_seconds']:.2f}x (goal >= 1.00)")
    return lines


if __name__ == "__main__":
    main()
