"""What a scheduler entry runs: a DPark job (``dpark x.py`` / ``python x.py -m mesos``), a HiveQL script
(``hive -f x.hql``), a ``spark-submit``, or some other command. DPark's own flags become Spark settings."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from migrate.inventory.jobs_mesos import _unwrap

_DPARK_VALUE_FLAGS = {"-m": "master", "--master": "master", "-p": "parallel", "--parallel": "parallel",
                      "-c": "cpus", "--cpus": "cpus", "-M": "mem", "--mem": "mem", "-g": "group", "--group": "group",
                      "--err": "err", "--role": "role", "-I": "image", "--image": "image", "-V": "volumes",
                      "--volumes": "volumes", "--checkpoint_dir": "checkpoint_dir", "--stats_dir": "stats_dir"}
_DPARK_BOOL_FLAGS = {"-q", "--quiet", "-v", "--verbose", "--color", "--no-color", "--profile"}


@dataclass
class Command:
    kind: str  # dpark | hive | spark_submit | shell
    raw: str
    script: str | None = None
    args: list[str] = field(default_factory=list)  # the job's own arguments, DPark flags removed
    dpark_flags: dict[str, str] = field(default_factory=dict)
    before: list[str] = field(default_factory=list)  # commands chained before the job (cd, source, ...)
    main_class: str | None = None  # spark-submit --class
    notes: list[str] = field(default_factory=list)


_REDIRECT = re.compile(r"^(\d?>>?|<|&>|\d?>&\d)(.*)$")


def _strip_redirections(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Shell redirections (``>> log 2>&1``) are not arguments: (arguments, redirections)."""
    out, redirs = [], []
    i = 0
    while i < len(tokens):
        m = _REDIRECT.match(tokens[i])
        if m:
            if m.group(2) or tokens[i].endswith("&1") or tokens[i].endswith("&2"):
                redirs.append(tokens[i])
            elif i + 1 < len(tokens):
                redirs.append(f"{tokens[i]} {tokens[i + 1]}")
                i += 1
            i += 1
            continue
        out.append(tokens[i])
        i += 1
    return out, redirs


def _split_dpark(tokens: list[str]) -> tuple[dict[str, str], list[str]]:
    flags: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        name, _, inline = t.partition("=")
        if name in _DPARK_VALUE_FLAGS and (inline or i + 1 < len(tokens)):
            flags[_DPARK_VALUE_FLAGS[name]] = inline or tokens[i + 1]
            i += 1 if inline else 2
            continue
        if len(t) > 2 and t[:2] in ("-m", "-p", "-c", "-M") and not t.startswith("--"):
            flags[_DPARK_VALUE_FLAGS[t[:2]]] = t[2:]
            i += 1
            continue
        if t in _DPARK_BOOL_FLAGS:
            i += 1
            continue
        rest.append(t)
        i += 1
    return flags, rest


def parse_command(command: str | None, dpark_scripts: set[str] | None = None) -> Command:
    """The job in a shell command line. ``dpark_scripts``: script names known to be DPark jobs (by content)."""
    raw = command or ""
    parts = [p.strip() for p in re.split(r"&&|;", raw) if p.strip()]
    before: list[str] = []
    for i, part in enumerate(parts):
        try:
            toks = _unwrap(shlex.split(part))
        except ValueError:
            toks = _unwrap(part.split())
        if not toks:
            continue
        exe = toks[0].rsplit("/", 1)[-1]
        if exe in ("sh", "bash") and "-c" in toks[:-1]:
            inner = parse_command(toks[toks.index("-c") + 1], dpark_scripts)
            if inner.kind != "shell":
                inner.before = before + inner.before
                return inner
        script_idx = next((k for k, t in enumerate(toks) if t.endswith(".py")), None)
        is_python = exe == "dpark" or re.fullmatch(r"python[\d.]*|pypy", exe) is not None or exe.endswith(".py")
        if is_python and script_idx is not None:
            script = toks[script_idx]
            rest, redirs = _strip_redirections(toks[script_idx + 1:])
            flags, args = _split_dpark(rest)
            known = dpark_scripts is not None and any(script.endswith(s) or s.endswith(script.lstrip("./"))
                                                      for s in dpark_scripts)
            if exe == "dpark" or flags or known:
                cmd = Command("dpark", raw, script, args, flags, before)
                if redirs:
                    cmd.notes.append(f"shell redirections dropped ({' '.join(redirs)}): the driver's output is "
                                     "in its pod log")
                if parts[i + 1:]:
                    cmd.notes.append(f"commands after the job are not run on Kubernetes: {' && '.join(parts[i + 1:])}")
                return cmd
        if exe in ("hive", "beeline"):
            for k, t in enumerate(toks[:-1]):
                if t in ("-f", "--file"):
                    rest = [x for x in toks[k + 2:]]
                    return Command("hive", raw, toks[k + 1], rest, before=before)
        if exe == "spark-submit":
            app = next((t for t in toks[1:] if t.endswith((".py", ".jar"))), None)
            idx = toks.index(app) if app else len(toks)
            main_class = toks[toks.index("--class") + 1] if "--class" in toks[:-1] else None
            return Command("spark_submit", raw, app, toks[idx + 1:], before=before, main_class=main_class)
        before.append(part)
    return Command("shell", raw)


def executor_settings(flags: dict[str, str]) -> tuple[dict[str, int | str], dict[str, str], list[str]]:
    """DPark's -p (parallel tasks), -c (CPUs per task), -M (memory per task) as executor settings and Spark
    configuration; returns (executor fields, sparkConf, notes)."""
    executor: dict[str, int | str] = {}
    conf: dict[str, str] = {}
    notes: list[str] = []
    cpus = 1
    if "cpus" in flags:
        try:
            cpus = max(1, round(float(flags["cpus"])))
        except ValueError:
            notes.append(f"-c {flags['cpus']!r} is not a number: ignored")
    executor["cores"] = cpus
    if "parallel" in flags:
        try:
            parallel = int(flags["parallel"])
            executor["instances"] = max(1, -(-parallel // cpus))
            conf["spark.default.parallelism"] = str(parallel)
        except ValueError:
            notes.append(f"-p {flags['parallel']!r} is not a number: ignored")
    else:
        executor["instances"] = 2
    if "mem" in flags:
        mem = flags["mem"].strip().lower()
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([kmgt]?)b?", mem)
        if m:
            mib = float(m.group(1)) * {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1 << 20}[m.group(2) or "m"]
            executor["memory"] = f"{max(1, round(mib))}m"  # DPark's default unit is MB
        else:
            notes.append(f"-M {flags['mem']!r} is not a memory size: ignored")
    if "master" in flags and flags["master"] not in ("local", "process"):
        notes.append(f"-m {flags['master']}: the Mesos master is replaced by the Kubernetes cluster")
    for k in ("group", "role", "image", "volumes"):
        if k in flags:
            notes.append(f"DPark's --{k} {flags[k]} has no direct translation: use node selectors, the namespace, "
                         "the image and volumes of the SparkApplication")
    return executor, conf, notes
