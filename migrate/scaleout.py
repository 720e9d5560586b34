"""Where the engine's parts run: ``threads`` or ``processes`` on this machine, or a Dask cluster.

``--runner`` (or ``MIGRATE_RUNNER``): ``auto`` (the engine's choice of threads or processes), ``threads``,
``processes``, ``dask`` / ``dask:N`` (a local Dask cluster of N worker processes on 127.0.0.1, started once
per ``migrate`` process and reused by every dataset), or ``dask://HOST:PORT`` / ``tcp://HOST:PORT`` (an
existing cluster: one made by dask-kubernetes, ``dask scheduler`` + ``dask worker``, ...).

Dask workers are stateless: each runs ``copy.run_part`` for a part (a byte range or a whole file) and returns
its ``PartOutcome``; the engine that submitted it stays the single writer of the ledger and commits the
target (Parquet rename / Iceberg snapshot) itself, so the ledger and the target are the same whatever ran
the parts. Workers read the sources and write the targets directly, so they need the same storage access
as this process: the plan's credentials are names of environment variables, which the workers must have too.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from migrate.errors import ConfigError, EndpointUnreachable

ENV = "MIGRATE_RUNNER"
KINDS = ("auto", "threads", "processes", "dask")


@dataclass(frozen=True)
class Runner:
    kind: str  # auto | threads | processes | dask
    workers: int | None = None  # dask:N, local cluster
    address: str | None = None  # dask://HOST:PORT -> tcp://HOST:PORT

    @property
    def remote(self) -> bool:
        return self.kind == "dask"


def parse(spec: str | None) -> Runner:
    """``--runner`` text -> Runner; a clear error for anything else."""
    text = (spec or os.environ.get(ENV) or "auto").strip()
    if text in ("auto", "threads", "processes"):
        return Runner(text)
    m = re.fullmatch(r"dask(?::(\d+))?", text)
    if m:
        n = int(m.group(1)) if m.group(1) else None
        if n is not None and n < 1:
            raise ConfigError(f"--runner {text}: a local Dask cluster needs at least 1 worker")
        return Runner("dask", workers=n)
    m = re.fullmatch(r"(?:dask|tcp|tls)://([^/\s]+)/?", text)
    if m:
        scheme = "tls" if text.startswith("tls://") else "tcp"
        return Runner("dask", address=f"{scheme}://{m.group(1)}")
    raise ConfigError(f"--runner {text!r}: expected threads, processes, dask, dask:N or dask://HOST:PORT")


_lock = threading.Lock()
_clients: dict[str, Any] = {}  # spec -> distributed.Client (and its LocalCluster), one per process


def _client(runner: Runner) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--runner dask needs Dask's distributed scheduler: pip install 'migrate[dask]' "
                          "(or `make setup`, which installs it)") from None
    key = runner.address or f"local:{runner.workers}"
    with _lock:
        client = _clients.get(key)
        if client is not None and client.status == "running":
            return client
        if runner.address:
            try:
                client = Client(runner.address, timeout="10s", set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise EndpointUnreachable(f"Dask scheduler {runner.address} did not answer ({exc}); start the "
                                          "cluster or correct --runner", runner.address) from None
        else:
            n = runner.workers or max(1, (os.cpu_count() or 2))
            # Worker processes of their own (pyarrow releases the GIL, but the readers are partly Python), one
            # thread each, on loopback, no dashboard; they die with this process.
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster, set_as_default=False)
        _clients[key] = client
        return client


def executor(runner: Runner) -> Executor:
    """A ``concurrent.futures`` executor whose futures run on the Dask cluster of ``runner``."""
    exe: Executor = _client(runner).get_executor(pure=False)
    return exe


def worker_count(runner: Runner) -> int:
    """Threads across the cluster's workers now (how many parts to keep in flight)."""
    info = _client(runner).scheduler_info()
    return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))


@atexit.register
def close_all() -> None:
    """Close the clients (and stop the local clusters) this process started."""
    with _lock:
        for client in _clients.values():
            cluster = getattr(client, "cluster", None)
            try:
                client.close()
                if cluster is not None:
                    cluster.close()
            except Exception:  # at exit: nothing more to do about it
                pass
        _clients.clear()
