"""The crash trials' run processes, forked from one zygote that imported the engine's stack once.

``python -m tests.reliability.crash_child`` reads one JSON request a line on stdin:
``{"plan": PATH, "crash": "point:n:marker" or "", "result": PATH, "options": {EngineOptions fields}}``.
For each it forks a child in a process group of its own (the harness SIGKILLs that group) that runs
the plan's dataset with the engine, as ``migrate run --no-prefect`` does, and writes the report as
JSON to ``result``; the child's pid is answered on stdout. Children are reaped here automatically.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback

import pyarrow.parquet  # noqa: F401 - imported once here, not in every trial
import pyiceberg.catalog.sql  # noqa: F401

import migrate.engine
import migrate.formats
import migrate.storage.s3
from migrate.plan import load_plan
from tests.reliability import crash_hooks


def _child(req: dict) -> None:
    os.setpgid(0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    code = 0
    try:
        os.environ["CRASH_AT"] = req.get("crash") or ""
        crash_hooks.install()
        plan = load_plan(req["plan"])
        opts = migrate.engine.EngineOptions(**req.get("options", {}))
        rep = migrate.engine.run_dataset(plan, "events", options=opts).to_dict()
    except BaseException:
        rep, code = {"exception": traceback.format_exc()}, 1
    tmp = req["result"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(rep, f)
    os.rename(tmp, req["result"])
    os._exit(code)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(req)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
