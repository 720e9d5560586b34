"""A JuiceFS volume (SQLite metadata, local file blobs), its S3 gateway and an optional FUSE mount.

Everything binds 127.0.0.1 on free ports and is stopped by the PID we started. The mount runs in the
foreground (no ``-d``) so its PID is ours to stop even if ``juicefs umount`` fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from migrate.devservers.seaweedfs import (
    DevServerError,
    find_binary,
    free_ports,
    log_tail,
    stop_process,
    wait_http,
)


class FuseUnavailable(DevServerError):
    """FUSE cannot be used here (no /dev/fuse, no permission, or the mount failed); tests skip on it."""


def fuse_unavailable_reason() -> str | None:
    """Why a FUSE mount cannot work here, or None when it may."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing (container without FUSE)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is not readable and writable by this user"
    return None


@dataclass
class JuiceFS:
    """``JuiceFS(work_dir, volume_name)``: ``start()`` formats (once) and serves the S3 gateway."""

    work_dir: str | Path
    volume_name: str = "migratejfs"
    access_key: str = "migrate-jfs"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(16))  # MinIO wants >= 8 chars
    start_timeout: float = 30.0
    port: int = 0
    metrics_port: int = 0
    gateway: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    mounter: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    mount_dir: Path | None = field(default=None, init=False)
    started_in: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.work_dir = Path(self.work_dir).resolve()

    @property
    def meta_url(self) -> str:
        return f"sqlite3://{Path(self.work_dir) / 'jfs.db'}"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bucket(self) -> str:
        return self.volume_name

    def _run(self, *args: str) -> None:
        log = Path(self.work_dir) / "juicefs-cli.log"
        with open(log, "ab") as out:
            rc = subprocess.run([find_binary("juicefs"), *args], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, timeout=120).returncode
        if rc != 0:
            raise DevServerError(f"juicefs {args[0]} failed (exit {rc}); log {log}:\n{log_tail(log)}")

    def format(self) -> None:
        wd = Path(self.work_dir)
        wd.mkdir(parents=True, exist_ok=True)
        if (wd / "jfs.db").exists():
            return
        (wd / "blobs").mkdir(exist_ok=True)
        self._run("format", self.meta_url, self.volume_name, "--storage", "file",
                  "--bucket", f"{wd / 'blobs'}/", "--trash-days", "0", "--no-update")

    def start(self) -> JuiceFS:
        if self.gateway is not None and self.gateway.poll() is None:
            return self
        t0 = time.monotonic()
        self.format()
        wd = Path(self.work_dir)
        env = {**os.environ, "MINIO_ROOT_USER": self.access_key, "MINIO_ROOT_PASSWORD": self.secret_key}
        log_path = wd / "gateway.log"
        for attempt in range(3):  # a port taken between choice and bind: choose again
            if not self.port or attempt:
                self.port, self.metrics_port = free_ports(2, with_grpc=False)
            cmd = [find_binary("juicefs"), "gateway", self.meta_url, f"127.0.0.1:{self.port}",
                   "--cache-dir", str(wd / "cache-gw"), "--backup-meta", "0",
                   "--metrics", f"127.0.0.1:{self.metrics_port}", "--keep-etag", "--no-usage-report",
                   "--no-banner", "--log", str(wd / "gateway-bg.log")]
            with open(log_path, "ab") as log:
                self.gateway = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                wait_http(self.endpoint + "/minio/health/live", self.start_timeout, self.gateway)
                self.started_in = time.monotonic() - t0
                return self
            except DevServerError:
                exited = self.gateway.poll() is not None
                stop_process(self.gateway)
                if not exited or attempt == 2:
                    raise DevServerError(f"juicefs gateway did not become healthy on {self.endpoint}; "
                                         f"log {log_path}:\n{log_tail(log_path)}") from None
        raise AssertionError("unreachable")

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 3}),
        )

    @staticmethod
    def can_mount() -> bool:
        return fuse_unavailable_reason() is None

    def mount(self, mnt_dir: str | Path, timeout: float = 20.0) -> Path:
        """FUSE-mount the volume at ``mnt_dir``; raises FuseUnavailable (a skip reason) if it cannot."""
        reason = fuse_unavailable_reason()
        if reason:
            raise FuseUnavailable(reason)
        if self.mounter is not None and self.mounter.poll() is None:
            assert self.mount_dir is not None
            return self.mount_dir
        self.format()
        mnt = Path(mnt_dir).resolve()
        mnt.mkdir(parents=True, exist_ok=True)
        wd = Path(self.work_dir)
        (mport,) = free_ports(1, with_grpc=False)
        log_path = wd / "mount.log"
        cmd = [find_binary("juicefs"), "mount", self.meta_url, str(mnt), "--cache-dir", str(wd / "cache-mnt"),
               "--backup-meta", "0", "--metrics", f"127.0.0.1:{mport}", "--no-usage-report", "--no-syslog",
               "--hide-internal"]
        with open(log_path, "ab") as log:
            self.mounter = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.mounter.poll() is not None:
                raise FuseUnavailable(f"juicefs mount exited with {self.mounter.returncode}: "
                                      f"{log_tail(log_path, 5)}")
            if os.path.ismount(mnt):
                self.mount_dir = mnt
                return mnt
            time.sleep(0.1)
        self._kill_mount(mnt)
        raise FuseUnavailable(f"juicefs mount at {mnt} not ready within {timeout:.0f}s: "
                              f"{log_tail(log_path, 5)}")

    def _kill_mount(self, mnt: Path) -> None:
        stop_process(self.mounter)
        if os.path.ismount(mnt):  # the kernel may keep a dead FUSE mount: detach it lazily
            subprocess.run(["umount", "-l", str(mnt)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)

    def umount(self) -> None:
        if self.mount_dir is None:
            return
        mnt, self.mount_dir = self.mount_dir, None
        if self.mounter is not None and self.mounter.poll() is None:
            subprocess.run([find_binary("juicefs"), "umount", str(mnt)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=False)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.mounter.wait(10)
        self._kill_mount(mnt)
        self.mounter = None

    def stop(self) -> None:
        self.umount()
        stop_process(self.gateway)
        self.gateway = None

    def __enter__(self) -> JuiceFS:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


__all__ = ["FuseUnavailable", "JuiceFS", "fuse_unavailable_reason"]

if __name__ == "__main__":  # manual use: python -m migrate.devservers.juicefs WORK_DIR
    with JuiceFS(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()) as j:
        print(f"JuiceFS gateway {j.endpoint} bucket {j.bucket} user {j.access_key}; Ctrl-C to stop",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
