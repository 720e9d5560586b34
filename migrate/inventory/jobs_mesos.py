"""Mesos-era job specs: Marathon apps, Chronos jobs, Aurora configs and crontabs.

Each yields a Job with its command, schedule, resources and the scripts the command runs (``dpark x.py``,
``python x.py``, ``hive -f x.hql``, ``beeline ... -f x.hql``). Aurora configs are a Python DSL: read with
``ast`` and folded (names, ``2*GB``), never executed.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from migrate.inventory.model import Problem

UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@reboot"}
ISO_REPEAT = re.compile(r"^R(\d*)/([^/]*)/(P[0-9YMWDTHS.]+)$")


@dataclass
class SpecJob:
    kind: str  # marathon | chronos | aurora | cron
    name: str | None
    command: str | None
    schedule: str | None = None
    schedule_kind: str | None = None
    parents: list[str] = field(default_factory=list)
    resources: dict[str, float | int | str] = field(default_factory=dict)
    scripts: list[str] = field(default_factory=list)  # script paths as the command names them
    line: int | None = None


def scripts_in(command: str | None) -> list[str]:
    """Scripts a shell command runs: after dpark/python, or the -f of hive/beeline."""
    if not command:
        return []
    out: list[str] = []
    for part in re.split(r"&&|\|\||;|\|", command):
        try:
            toks = shlex.split(part, posix=True)
        except ValueError:
            toks = part.split()
        toks = _unwrap(toks)
        if not toks:
            continue
        exe = toks[0].rsplit("/", 1)[-1]
        if exe in ("sh", "bash") and "-c" in toks[:-1]:  # sh -c "python x.py"
            out += scripts_in(toks[toks.index("-c") + 1])
            continue
        if exe in ("dpark",) or re.fullmatch(r"python[\d.]*", exe) or exe in ("pypy", "spark-submit"):
            for t in toks[1:]:
                if t.endswith(".py"):
                    out.append(t)
                    break
        elif exe in ("hive", "beeline"):
            for i, t in enumerate(toks[:-1]):
                if t in ("-f", "-i", "--file"):
                    out.append(toks[i + 1])
        elif exe.endswith(".py"):
            out.append(toks[0])
    return out


# Commands that run another command: (name, options that take a value, positional arguments before it).
_WRAPPERS: dict[str, tuple[set[str], int]] = {
    "nice": ({"-n"}, 0), "ionice": ({"-c", "-n", "-p"}, 0), "nohup": (set(), 0), "time": (set(), 0),
    "timeout": ({"-s", "-k", "--signal", "--kill-after"}, 1), "flock": ({"-w", "-E", "--timeout"}, 1),
    "env": ({"-u", "-C"}, 0), "exec": (set(), 0), "sudo": ({"-u", "-g"}, 0), "chrt": (set(), 1),
    "taskset": (set(), 1), "stdbuf": (set(), 0), "numactl": (set(), 0), "setsid": (set(), 0),
}
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _unwrap(toks: list[str]) -> list[str]:
    """Drop ``VAR=value`` prefixes and wrappers (``nice -n 10``, ``timeout 1h``, ``/usr/bin/env``) before the
    command that really runs."""
    i = 0
    while i < len(toks):
        if _ASSIGN.match(toks[i]):
            i += 1
            continue
        spec = _WRAPPERS.get(toks[i].rsplit("/", 1)[-1])
        if spec is None:
            break
        opts, positional = spec
        i += 1
        while i < len(toks) and toks[i].startswith("-") and toks[i] != "-":
            i += 2 if toks[i] in opts else 1
        while i < len(toks) and _ASSIGN.match(toks[i]):
            i += 1
        i += positional
    return toks[i:]


def iso_schedule(s: str) -> bool:
    return bool(ISO_REPEAT.match(s))


def _marathon_apps(doc: dict[str, Any]) -> list[Any]:
    """A Marathon group's apps, nested groups included (``{"id": "/prod", "groups": [{"apps": [...]}]}``);
    any other object is one item."""
    if "apps" not in doc and "groups" not in doc:
        return [doc]
    gid = str(doc.get("id") or "").rstrip("/")
    out = [{**a, "id": f"{gid}/{a['id']}"} if isinstance(a, dict) and isinstance(a.get("id"), str)
           and not a["id"].startswith("/") and gid else a for a in doc.get("apps") or []]  # ids are group-relative
    for g in doc.get("groups") or []:
        if isinstance(g, dict):
            out += _marathon_apps(g) if ("apps" in g or "groups" in g) else []
    return out


def parse_json_spec(text: str, path: str) -> tuple[list[SpecJob], list[Problem]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return [], [Problem(path=path, kind="spec_parse", message=f"invalid JSON: {exc}")]
    items: list[Any] = doc if isinstance(doc, list) else _marathon_apps(doc) if isinstance(doc, dict) else []
    jobs: list[SpecJob] = []
    for it in items:
        if not isinstance(it, dict):
            continue
        res = {k: it[k] for k in ("cpus", "mem", "disk", "instances", "gpus") if isinstance(it.get(k), int | float)}
        if "command" in it and ("schedule" in it or "parents" in it or "name" in it):
            sched = it.get("schedule")
            jobs.append(SpecJob(
                "chronos", it.get("name"), it.get("command"), schedule=sched,
                schedule_kind="iso8601" if sched else "none", parents=list(it.get("parents") or []),
                resources={**res, **({"owner": it["owner"]} if isinstance(it.get("owner"), str) else {})},
                scripts=scripts_in(it.get("command")),
            ))
        elif "id" in it and ("cmd" in it or "args" in it or "container" in it):
            cmd = it.get("cmd") or (" ".join(it["args"]) if isinstance(it.get("args"), list) else None)
            image = ((it.get("container") or {}).get("docker") or {}).get("image")
            if image:
                res["image"] = image
            jobs.append(SpecJob("marathon", it.get("id"), cmd, schedule_kind="none", resources=res,
                                scripts=scripts_in(cmd)))
    return jobs, []


class _AuroraFolder:
    def __init__(self, tree: ast.Module) -> None:
        self.env: dict[str, ast.expr] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        self.env[t.id] = node.value

    def value(self, e: ast.expr | None, depth: int = 0) -> Any:
        if e is None or depth > 20:
            return None
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, ast.Name):
            if e.id in UNITS:
                return UNITS[e.id]
            return self.value(self.env.get(e.id), depth + 1)
        if isinstance(e, ast.BinOp):
            a, b = self.value(e.left, depth + 1), self.value(e.right, depth + 1)
            try:
                if isinstance(e.op, ast.Mult):
                    return a * b
                if isinstance(e.op, ast.Add):
                    return a + b
                if isinstance(e.op, ast.Mod):
                    return a % b
            except TypeError:
                return None
            return None
        if isinstance(e, ast.List | ast.Tuple):
            return [self.value(x, depth + 1) for x in e.elts]
        if isinstance(e, ast.Call):
            fn = e.func.id if isinstance(e.func, ast.Name) else getattr(e.func, "attr", "")
            if fn == "join" and isinstance(e.func, ast.Attribute):  # ' && '.join([...])
                sep, parts = self.value(e.func.value, depth + 1), self.value(e.args[0], depth + 1) if e.args else None
                if isinstance(sep, str) and isinstance(parts, list) and all(isinstance(p, str) for p in parts):
                    return sep.join(parts)
                return None
            return {"__call__": fn, **{k.arg: self.value(k.value, depth + 1) for k in e.keywords if k.arg}}
        if isinstance(e, ast.Attribute):  # Task(...).bind(...) and the like: not needed
            return None
        return None


def parse_aurora(text: str, path: str) -> tuple[list[SpecJob], list[Problem]]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return [], [Problem(path=f"{path}:{exc.lineno}", kind="spec_parse", message=f"aurora: {exc.msg}")]
    f = _AuroraFolder(tree)
    jobs: list[SpecJob] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("Job", "Service", "CronJob")):
            continue
        job = f.value(node)
        task = job.get("task") if isinstance(job.get("task"), dict) else {}
        procs = task.get("processes") or []
        cmds: list[str] = [p["cmdline"] for p in procs if isinstance(p, dict) and isinstance(p.get("cmdline"), str)]
        res_raw: dict[str, Any] = task["resources"] if isinstance(task.get("resources"), dict) else {}
        res: dict[str, float | int | str] = {
            k: v for k, v in res_raw.items() if k != "__call__" and isinstance(v, int | float | str)
        }
        for k in ("cluster", "role", "environment"):
            if isinstance(job.get(k), str):
                res[k] = job[k]
        command = " && ".join(cmds) if cmds else None
        sched = job.get("cron_schedule") if isinstance(job.get("cron_schedule"), str) else None
        jobs.append(SpecJob("aurora", job.get("name"), command, schedule=sched,
                            schedule_kind="cron" if sched else "none", resources=res,
                            scripts=[s for c in cmds for s in scripts_in(c)], line=node.lineno))
    return jobs, []


_ENV_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")
_KNOWN_EXE = re.compile(r"^(cd|dpark|hive|beeline|python[\d.]*|sh|bash|spark-submit|/|\.|~|\$)")


def parse_crontab(text: str, path: str) -> tuple[list[SpecJob], list[Problem]]:
    jobs: list[SpecJob] = []
    problems: list[Problem] = []
    lines = text.splitlines()
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        k = n
        while line.endswith("\\") and k < len(lines) and not line.startswith("#"):  # continued line
            line = line[:-1].rstrip() + " " + lines[k].strip()
            lines[k] = ""
            k += 1
        if not line or line.startswith("#") or _ENV_LINE.match(line):
            continue
        toks = line.split()
        if toks[0] in CRON_MACROS:
            sched, rest = toks[0], toks[1:]
        elif len(toks) >= 6:
            sched, rest = " ".join(toks[:5]), toks[5:]
        else:
            problems.append(Problem(path=f"{path}:{n}", kind="spec_parse", message="not a crontab entry"))
            continue
        # /etc/crontab and cron.d lines carry a user before the command.
        if (len(rest) > 1 and re.fullmatch(r"[a-z_][a-z0-9_-]*", rest[0]) and not _KNOWN_EXE.match(rest[0])
                and _KNOWN_EXE.match(rest[1])):
            rest = rest[1:]
        cmd = " ".join(rest).replace("\\%", "%")
        jobs.append(SpecJob("cron", None, cmd, schedule=sched, schedule_kind="cron", scripts=scripts_in(cmd),
                            line=n))
    return jobs, problems
