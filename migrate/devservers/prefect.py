"""A Prefect server (API + UI) on 127.0.0.1 with a project-local PREFECT_HOME, stopped by its PID.

Used by ``migrate server start|stop|status`` (one background server per project, found again by every
``migrate`` command through its state file), by the test suite's session fixture and by benchmarks.
``prefect server start`` takes 10-30 s to answer on a busy 2-core machine, which is why no command
starts one per run (see the README, "Prefect without a start-up tax").

Nothing here imports prefect: the server runs in its own process, and health checks are plain HTTP.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType

from migrate.devservers.seaweedfs import DevServerError, _bindable, free_ports, log_tail
from migrate.lifeline import pid_alive

HOME_DIR = ".prefect"  # project-local PREFECT_HOME, beside the plans (what `make` uses too)
STATE_FILE = "migrate-server.json"
DEFAULT_PORT = 4200


def offline_env(home: Path) -> dict[str, str]:
    """Prefect offline and project-local: no analytics, no telemetry, its files under ``home``."""
    return {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def health(api_url: str, timeout: float = 3.0) -> str | None:
    """None when ``api_url``/health answers 200, else why not (no secret: the URL only)."""
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=timeout) as r:
            return None if r.status == 200 else f"HTTP {r.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return str(getattr(reason, "strerror", None) or reason)


def _is_prefect_server(pid: int) -> bool:
    """Guards against a recycled PID: the process's command line names prefect's server."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return pid_alive(pid)  # no /proc: trust the state file
    return b"prefect" in cmdline and b"server" in cmdline


class _Urls:
    """The API and UI addresses of a server on loopback ``port``."""

    port: int

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class ServerState(_Urls):
    """What ``migrate server start`` wrote: enough for any later command to find and stop the server."""

    pid: int
    port: int
    home: str
    started_at: float
    log: str

    def alive(self) -> bool:
        return pid_alive(self.pid) and _is_prefect_server(self.pid)


@dataclass
class PrefectServer(_Urls):
    """``prefect server start`` on 127.0.0.1 (free port unless given), UI pointed at its own API."""

    home: Path
    port: int = 0
    start_timeout: float = 120.0
    detach: bool = False  # outlives this process (``migrate server start``); else stopped with us
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    started_in: float = field(default=0.0, init=False)

    @property
    def log_path(self) -> Path:
        return Path(self.home) / "server.log"

    def env(self) -> dict[str, str]:
        """The server's environment: offline, loopback, the UI calling this port's API (not :4200)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        return env | offline_env(Path(self.home)) | {
            "PREFECT_UI_API_URL": self.api_url,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            # The server's own client (its services) talks to itself, never to an ephemeral twin.
            "PREFECT_API_URL": self.api_url,
        }

    def command(self) -> list[str]:
        beside = Path(sys.executable).parent / "prefect"
        exe = [str(beside)] if beside.is_file() else [sys.executable, "-m", "prefect"]
        return [*exe, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> PrefectServer:
        if self.proc is not None and self.proc.poll() is None:
            return self
        Path(self.home).mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_ports(1, with_grpc=False)[0]
        t0 = time.monotonic()
        with open(self.log_path, "ab") as log:
            # Its own session: Ctrl-C in the terminal that ran `migrate server start` does not reach it,
            # and stop() ends the whole group (uvicorn and the services) by the PID it started.
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env(),
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         cwd=str(self.home))
        try:
            self.wait_ready(self.start_timeout)
        except DevServerError:
            self.stop()
            raise
        self.started_in = time.monotonic() - t0
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: str | None = "not started"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise DevServerError(f"prefect server exited with code {self.proc.returncode} before "
                                     f"{self.api_url} answered; log {self.log_path}:\n{log_tail(self.log_path)}")
            last = health(self.api_url, timeout=2.0)
            if last is None:
                return
            time.sleep(0.25)
        raise DevServerError(f"prefect server did not answer on {self.api_url}/health within {timeout:.0f}s "
                             f"(last: {last}); log {self.log_path}:\n{log_tail(self.log_path)}")

    def state(self) -> ServerState:
        assert self.proc is not None
        return ServerState(pid=self.proc.pid, port=self.port, home=str(self.home), started_at=time.time(),
                           log=str(self.log_path))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_group(self.proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)

    def __enter__(self) -> PrefectServer:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def stop_group(pid: int, grace: float = 15.0) -> None:
    """SIGTERM the process group led by ``pid`` (started with its own session), SIGKILL after ``grace``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            break
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):  # what is left of the group (the leader or its children)
        os.killpg(pid, signal.SIGKILL)


# -- the project's background server (``migrate server start``) ----------------------------------------
def project_home(start: Path | None = None) -> Path:
    """PREFECT_HOME when set, else the nearest ``.prefect`` folder holding a server state file from
    ``start`` (the working directory) upwards, else ``./.prefect``."""
    env = os.environ.get("PREFECT_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / HOME_DIR / STATE_FILE).is_file():
            return folder / HOME_DIR
    return here / HOME_DIR


def read_state(home: Path) -> ServerState | None:
    try:
        data = json.loads((home / STATE_FILE).read_text())
        return ServerState(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_state(state: ServerState) -> Path:
    path = Path(state.home) / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
    os.replace(tmp, path)
    return path


def running_server(home: Path | None = None) -> ServerState | None:
    """The project's background server when its process lives (a stale state file is ignored)."""
    state = read_state(home or project_home())
    return state if state is not None and state.alive() else None


def start_background(home: Path, port: int | None = None, timeout: float = 120.0) -> ServerState:
    """Start the project's server (or return the running one); it outlives this process."""
    current = running_server(home)
    if current is not None:
        return current
    if port is None:  # :4200 as users know it, unless taken (another project's server): any free port
        wanted = DEFAULT_PORT if _bindable(DEFAULT_PORT) else 0
    elif port and not _bindable(port):
        raise DevServerError(f"port 127.0.0.1:{port} is taken; choose another with --port (0: any free port)")
    else:
        wanted = port
    server = PrefectServer(Path(home), port=wanted, start_timeout=timeout, detach=True)
    server.start()
    state = server.state()
    write_state(state)
    return state


def stop_background(home: Path) -> ServerState | None:
    """Stop the project's server by the PID in its state file; None when none was running."""
    state = read_state(home)
    if state is None:
        return None
    if state.alive():
        stop_group(state.pid)
    with contextlib.suppress(OSError):
        (home / STATE_FILE).unlink()
    return state


if __name__ == "__main__":  # manual use: python -m migrate.devservers.prefect [HOME]
    with PrefectServer(Path(sys.argv[1] if len(sys.argv) > 1 else HOME_DIR).resolve()) as s:
        print(f"Prefect UI {s.ui_url}, API {s.api_url}; ready in {s.started_in:.1f}s; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
