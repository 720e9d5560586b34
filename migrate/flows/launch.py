"""Where a command runs: as a Prefect flow on a server that is already up, or as a plain library call.

The one place the CLI decides (every command goes through ``run``), and it never imports prefect to
decide. The rule, so ``migrate run`` starts moving data at once and never waits on a server:

- ``--no-prefect``: the library, directly.
- ``PREFECT_API_URL`` set (environment or the active Prefect profile): that server. It must answer
  ``/health`` within a few seconds, else a clear error naming the URL (well within 10 s), nothing run.
- else the project's background server (``migrate server start``) when it runs: reused by every command.
- else (``--prefect`` not given): the library, directly; the run is still recorded in the plan's
  ledger (``runs`` table) and reports, and shows in ``migrate cutover status``.
- ``--prefect`` with no server at all: start the project's background server once (it stays up for
  the next commands), then run the flow on it.

Prefect's temporary ("ephemeral") server is never used: it cost 13-28 s per command here and failed
outright when another job shared the cores.
"""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from migrate.errors import ConfigError, EndpointUnreachable

T = TypeVar("T")

# A configured server gets this long to answer /health (connect refused fails at once; a black hole
# takes the whole time). Below the promised 10 s with room for the Python start-up before it.
CONFIGURED_WAIT = 6.0


@dataclass(frozen=True)
class Where:
    """The decision: ``api_url`` None means the library runs directly."""

    api_url: str | None
    why: str  # for the user: "PREFECT_API_URL", "migrate server (pid N)", "--no-prefect", "no server"
    home: Path | None = None  # PREFECT_HOME to use with the project's server

    @property
    def prefect(self) -> bool:
        return self.api_url is not None

    @property
    def ui_url(self) -> str | None:
        return self.api_url.removesuffix("/").removesuffix("/api") if self.api_url else None


def configured_api_url() -> tuple[str, str] | None:
    """``(url, where it was set)`` from the environment, else from the active Prefect profile."""
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if url:
        return url, "PREFECT_API_URL"
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = os.environ.get("PREFECT_PROFILE") or doc.get("active") or "ephemeral"
    profile = (doc.get("profiles") or {}).get(name) or {}
    url = str(profile.get("PREFECT_API_URL") or "").strip()
    return (url, f"PREFECT_API_URL of Prefect profile {name!r} in {path}") if url else None


def check_configured(url: str, origin: str, wait: float = CONFIGURED_WAIT) -> None:
    """Raise a clear error naming ``url`` unless its /health answers within ``wait`` seconds."""
    from migrate.devservers.prefect import health

    deadline = time.monotonic() + wait
    for attempt in range(3):  # a server restarting gets two more looks; a refused port fails in ~1 s
        why = health(url, timeout=max(0.5, min(3.0, deadline - time.monotonic())))
        if why is None:
            return
        if attempt == 2 or time.monotonic() + 0.5 >= deadline:
            break
        time.sleep(0.5)
    raise EndpointUnreachable(
        f"Prefect server {url} (from {origin}) is not answering: {why}. Start it (`migrate server start` "
        "for a local one), correct or unset PREFECT_API_URL, or run with --no-prefect", url)


def decide(prefect: bool | None) -> Where:
    """Where to run (see the module doc); ``prefect`` is the command's --prefect/--no-prefect (None: auto)."""
    if prefect is False:
        return Where(None, "--no-prefect")
    configured = configured_api_url()
    if configured is not None:
        url, origin = configured
        check_configured(url, origin)
        return Where(url, origin)
    from migrate.devservers.prefect import project_home, running_server, start_background

    home = project_home()
    state = running_server(home)
    if state is not None:
        return Where(state.api_url, f"migrate server (pid {state.pid})", home)
    if prefect is None:
        return Where(None, "no Prefect server")
    try:
        state = start_background(home)
    except Exception as exc:
        raise ConfigError(f"--prefect: could not start a Prefect server in {home}: {exc}") from None
    return Where(state.api_url, f"migrate server (pid {state.pid}, just started)", home)


@contextmanager
def prefect_env(where: Where) -> Iterator[None]:
    """Point Prefect (imported after this) at ``where``'s server; offline; never an ephemeral server."""
    assert where.api_url is not None
    from migrate.devservers.prefect import offline_env

    saved = dict(os.environ)
    env = {"PREFECT_API_URL": where.api_url, "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    if where.home is not None and "PREFECT_HOME" not in os.environ:
        env["PREFECT_HOME"] = offline_env(where.home)["PREFECT_HOME"]
    os.environ.update(env)
    try:
        if _prefect_loaded():
            # Prefect read its settings at import: hand it the same values for this call.
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: where.api_url}):
                yield
        else:
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _prefect_loaded() -> bool:
    import sys

    return "prefect.settings" in sys.modules


_told: str | None = None


def run(prefect: bool | None, library: Callable[[], T], flow: Callable[[], T],
        note: Callable[[str], None] | None = None) -> T:
    """``flow()`` on the chosen server, or ``library()``; ``note`` hears one line saying which."""
    where = decide(prefect)
    if not where.prefect:
        if note is not None and prefect is None:
            note("not shown in the Prefect UI (no server; `migrate server start` keeps one for every command)")
        return library()
    global _told
    if note is not None and _told != where.api_url:  # once per process (the demo runs several steps)
        _told = where.api_url
        note(f"Prefect flow on {where.api_url} ({where.why}); UI: {where.ui_url}")
    with prefect_env(where):
        return flow()
