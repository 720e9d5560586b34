"""Walk job folders and recognise each file: DPark scripts, HiveQL, Marathon/Chronos JSON, Aurora, crontabs.

Recognition is by content where names are ambiguous: a ``.py`` file is a DPark job only when it uses
DPark; a JSON file is Marathon or Chronos by its keys.
"""

from __future__ import annotations

import os
from pathlib import Path

from migrate.inventory import hiveql, jobs_dpark, jobs_mesos
from migrate.inventory.model import Job, Problem

HIVE_EXT = (".hql", ".sql", ".q", ".hive")


def _is_crontab(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return "crontab" in name or name.endswith(".cron") or "/cron.d/" in f"/{rel}"


def _read(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # Python 2 sources without a coding line


def scan_jobs(root: Path) -> tuple[list[Job], list[Problem]]:
    """Jobs under one folder (paths in ids are relative to it)."""
    jobs: list[Job] = []
    problems: list[Problem] = []
    specs: list[tuple[Job, list[str]]] = []
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        files.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            text = _read(path)
        except OSError as exc:
            problems.append(Problem(path=str(path), kind="unreadable", message=str(exc)))
            continue
        low = rel.lower()
        if low.endswith(".py"):
            d = jobs_dpark.analyze(text, rel)
            problems.extend(d.problems)
            if d.is_dpark:
                jobs.append(Job(id=f"dpark:{rel}", kind="dpark", path=rel, inputs=d.inputs, outputs=d.outputs,
                                python2=d.python2, problems=d.problems + d.warnings))
        elif low.endswith(HIVE_EXT):
            h = hiveql.analyze(text, rel)
            problems.extend(h.problems)
            jobs.append(Job(id=f"hive:{rel}", kind="hive", path=rel, inputs=h.inputs, outputs=h.outputs,
                            variables=h.variables, problems=h.problems))
        elif low.endswith((".json", ".aurora")) or _is_crontab(rel):
            if low.endswith(".json"):
                found, probs = jobs_mesos.parse_json_spec(text, rel)
            elif low.endswith(".aurora"):
                found, probs = jobs_mesos.parse_aurora(text, rel)
            else:
                found, probs = jobs_mesos.parse_crontab(text, rel)
            problems.extend(probs)
            for s in found:
                suffix = f":{s.line}" if s.kind == "cron" or (len(found) > 1 and s.line) else (
                    f":{s.name}" if len(found) > 1 else "")
                job = Job(id=f"{s.kind}:{rel}{suffix}", kind=s.kind, path=rel, line=s.line,  # type: ignore[arg-type]
                          name=s.name, command=s.command, schedule=s.schedule,
                          schedule_kind=s.schedule_kind, parents=s.parents, resources=s.resources)  # type: ignore[arg-type]
                specs.append((job, s.scripts))
                jobs.append(job)
    scripts = {j.path: j.id for j in jobs if j.kind in ("dpark", "hive")}
    for job, refs in specs:
        for ref in refs:
            target = match_script(ref, scripts)
            if target:
                job.runs.append(target)
            else:
                job.problems.append(Problem(path=f"{job.path}:{job.line or 1}", kind="unknown_script",
                                            message=f"runs {ref}, which is not in the job folders"))
    for j in jobs:
        j.file = str((root / j.path).resolve())
    jobs.sort(key=lambda j: j.id)
    return jobs, problems


def match_script(ref: str, scripts: dict[str, str]) -> str | None:
    """The job id of the script a command names: longest relative path that is a suffix of it."""
    ref = ref.strip().removeprefix("./")
    best = None
    for rel, jid in scripts.items():
        if (ref == rel or ref.endswith("/" + rel)) and (best is None or len(rel) > len(best[0])):
            best = (rel, jid)
    if best:
        return best[1]
    base = ref.rsplit("/", 1)[-1]
    hits = [jid for rel, jid in scripts.items() if rel.rsplit("/", 1)[-1] == base]
    return hits[0] if len(hits) == 1 else None
