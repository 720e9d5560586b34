"""The cutover's audit log: sign-offs, waivers, revocations, executions and rollbacks, append-only.

``STATE_DIR/cutover/log.jsonl``, one JSON object a line, never rewritten. Each entry carries the time
(UTC), the author (``--by``) and the operating-system user who ran the command, and ``prev``: the hash
of the entry before it, so an edited or deleted line breaks the chain and every later read names the
line (``verify``). Appends are serialised with an exclusive file lock and fsync'ed.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migrate.errors import TerminalError

ACTIONS = ("sign", "waive", "revoke", "execute", "rollback")
GENESIS = "0" * 64


def log_path(state_dir: Path) -> Path:
    return Path(state_dir) / "cutover" / "log.jsonl"


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    action: str
    by: str
    data: dict[str, Any]  # item, gate, note/reason, wave, switch: what the action needs
    os_user: str
    host: str
    prev: str
    hash: str

    @property
    def item(self) -> str | None:
        return self.data.get("item")

    @property
    def gate(self) -> str | None:
        return self.data.get("gate")

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "action": self.action, "by": self.by, **self.data,
                "os_user": self.os_user, "host": self.host, "prev": self.prev, "hash": self.hash}


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _os_user() -> str:
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return str(os.getuid())


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def read(state_dir: Path) -> list[Entry]:
    """Every entry, in order; a broken chain (an edited, reordered or deleted line) is an error naming it."""
    path = log_path(state_dir)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TerminalError(f"{path}: cannot read the cutover log: {exc.strerror or exc}") from None
    out: list[Entry] = []
    prev = GENESIS
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            stored = raw.pop("hash")
            body = raw
            ok = body.get("prev") == prev and _digest(body) == stored and body.get("seq") == len(out) + 1
        except (ValueError, KeyError, AttributeError):
            ok = False
        if not ok:
            raise TerminalError(f"{path}:{n}: the cutover log was altered (this entry does not follow the one "
                                "before it); it is append-only: restore it from version control or a backup")
        fixed = {k: body.pop(k) for k in ("seq", "at", "action", "by", "os_user", "host", "prev")}
        out.append(Entry(fixed["seq"], fixed["at"], fixed["action"], fixed["by"], body, fixed["os_user"],
                         fixed["host"], fixed["prev"], stored))
        prev = stored
    return out


def append(state_dir: Path, action: str, by: str, **data: Any) -> Entry:
    """Append one entry (under the lock, after checking the chain so far); returns it."""
    assert action in ACTIONS, action
    if not by.strip():
        raise TerminalError("--by: say who you are (name or e-mail); the cutover log records every author")
    path = log_path(state_dir)
    with _locked(path) as fd:
        entries = read(state_dir)
        body = {"seq": len(entries) + 1, "at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "action": action, "by": by.strip(), **{k: v for k, v in data.items() if v is not None},
                "os_user": _os_user(), "host": socket.gethostname(),
                "prev": entries[-1].hash if entries else GENESIS}
        stored = _digest(body)
        os.write(fd, (json.dumps({**body, "hash": stored}, ensure_ascii=False) + "\n").encode())
        os.fsync(fd)
    return read(state_dir)[-1]
