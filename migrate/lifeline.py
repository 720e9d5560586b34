"""Helper processes end with the run that started them, even when it is SIGKILLed (kill -9, the OOM killer).

A process pool's workers are not children of the run: multiprocessing's forkserver forks them, and it
outlives a killed run, because every worker holds the forkserver's "alive" pipe open (the forkserver
waits for that pipe to close) and the write end of its own task queue (so it never sees end-of-file
there either). Left alone they would keep writing target files while the next run recovers, and keep
~150 MiB each for ever. So a worker (and any other helper process) calls ``watch(run_pid)`` first:
a daemon thread waits on a pidfd of the run's process and ends this process as soon as the run has
ended. When the workers are gone the forkserver and multiprocessing's resource tracker see their
pipes close and exit too.

A pidfd names one process (not a recycled pid) and works for any process, where PR_SET_PDEATHSIG
only follows the parent, and only the thread of the parent that forked. On kernels without
``pidfd_open`` (before 5.3) the thread polls the pid once a second.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from pathlib import Path

EXIT_CODE = 70  # a helper ended because its run ended (EX_SOFTWARE): not an error of its own


def pid_alive(pid: int) -> bool:
    """``pid`` runs: it exists and is not a zombie (exited, not yet reaped by its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def watch(pid: int) -> None:
    """End this process (``os._exit``: no clean-up that could publish anything) once ``pid`` has ended."""
    if pid == os.getpid():
        return
    fd: int | None = None
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(EXIT_CODE)  # already gone
    except (OSError, AttributeError):
        fd = None  # old kernel: poll below

    def wait() -> None:
        if fd is not None:
            while True:
                with contextlib.suppress(InterruptedError):
                    if select.select([fd], [], [])[0]:  # readable once the process has ended
                        break
        else:
            while pid_alive(pid):
                time.sleep(1.0)
        os._exit(EXIT_CODE)

    threading.Thread(target=wait, name=f"lifeline-{pid}", daemon=True).start()

