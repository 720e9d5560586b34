"""Proof by running both: the legacy job under the DPark reference runtime (Python 2.7, in a subprocess) and its
translation under local PySpark (in this process, one SparkSession for all jobs), on the same input; then their
outputs compared.

A job is called as ``job.py INPUT_DIR OUTPUT_DIR`` unless its source says otherwise in a comment line
``# verify-args: --day 2024-01-01 {input} {output}``. Outputs compared: every folder of data files under the
output folder (DPark's ``0000``... against Spark's ``part-*``; ``.gz`` read through), and what the job printed.
Lines are compared as sorted multisets, numbers to 6 significant digits (float sums differ in the last digits
between engines), Python 2 reprs (``u'x'``, ``10L``) read as Python 3's.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from migrate.errors import TerminalError

from .output import relative_output

_ARGS = re.compile(r"^#\s*verify-args:\s*(.*)$", re.M)
_DPARK_PART = re.compile(r"^\d{4}(\.[\w.]+)?$")
_SPARK_PART = re.compile(r"^part-\d+.*$")
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?|(?<![\w.])-?\d+[eE][-+]?\d+")
_PY2_REPR = re.compile(r"(?<![\w'\"])u(['\"])|(?<=\d)L\b")

# Runs a legacy job under DPark with the master forced to the one given on the command line (jobs that say
# DparkContext('mesos') in code run locally for the reference run). Python 2 and 3 alike.
_DPARK_RUNNER = """\
import os, runpy, sys
import dpark
import dpark.context as c
_context = c.DparkContext
def _local(master=None, *args, **kwargs):
    return _context()
_local._instances = _context._instances
c.DparkContext = dpark.DparkContext = _local
job = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(job)))
runpy.run_path(job, run_name='__main__')
"""


@dataclass
class Verdict:
    job: str
    verdict: str  # equal | different | dpark_failed | spark_failed
    detail: str = ""
    outputs: int = 0  # output folders compared (stdout included)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ the DPark reference runtime

def dpark_python(venv: str | os.PathLike[str] | None = None) -> Path:
    """The Python of the DPark reference runtime (``scripts/setup-dpark.sh``), or an error saying why not."""
    root = Path(venv or os.environ.get("MIGRATE_DPARK_VENV") or _default_venv())
    py = root / "bin" / "python"
    if (root / "FAILED").exists():
        raise TerminalError(f"DPark reference runtime: {(root / 'FAILED').read_text().strip()}")
    if not py.exists():
        raise TerminalError(f"DPark reference runtime not found at {root}: run `make setup` "
                            "(scripts/setup-dpark.sh) or set MIGRATE_DPARK_VENV")
    return py


def _default_venv() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / ".venv-dpark").exists() or (parent / "pyproject.toml").exists():
            return parent / ".venv-dpark"
    return Path(".venv-dpark")


def job_args(source: str, input_dir: Path, output_dir: Path) -> list[str]:
    m = _ARGS.search(source)
    template = m.group(1).split() if m else ["{input}", "{output}"]
    return [a.replace("{input}", str(input_dir)).replace("{output}", str(output_dir)) for a in template]


def run_dpark(job: Path, args: list[str], workdir: Path, python: Path, timeout: float = 300) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the legacy job in local mode."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "dpark.conf"
    conf.write_text(f"DPARK_WORK_DIR = {str(workdir / 'dpark-work')!r}\n")
    runner = workdir / "dpark_runner.py"
    runner.write_text(_DPARK_RUNNER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(DPARK_CONF=str(conf), PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([str(python), str(runner), str(job), *args], cwd=workdir,
                          env=env, capture_output=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


# ------------------------------------------------------------------ the translation under local Spark

def local_spark() -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master("local[2]").appName("migrate-verify")
            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "4")
            .getOrCreate())


def run_spark_in_process(job: Path, args: list[str]) -> tuple[int, str, str]:
    """Run a translated job in this process against the active SparkSession: (exit code, stdout, error).
    ``SparkContext.stop`` is a no-op meanwhile, so a job's ``ctx.stop()`` leaves the shared session up."""
    from pyspark import SparkContext

    folder = str(job.parent.resolve())
    before = set(sys.modules)
    old_argv, old_path, old_stop = sys.argv, list(sys.path), SparkContext.stop
    out = io.StringIO()
    code, error = 0, ""
    sys.argv = [str(job), *args]
    sys.path.insert(0, folder)
    SparkContext.stop = lambda self: None  # type: ignore[method-assign]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(job), run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:
        code, error = 1, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    finally:
        SparkContext.stop = old_stop  # type: ignore[method-assign]
        sys.argv, sys.path[:] = old_argv, old_path
        for name in set(sys.modules) - before:  # helper modules of this job: fresh for the next one
            mod = sys.modules.get(name)
            if getattr(mod, "__file__", None) and str(getattr(mod, "__file__", "")).startswith(folder):
                del sys.modules[name]
    return code, out.getvalue(), error


# ------------------------------------------------------------------ comparing outputs

def normalise(line: str) -> str:
    line = _PY2_REPR.sub(lambda m: m.group(1) or "", line.rstrip("\r\n"))
    return _NUMBER.sub(lambda m: f"{float(m.group(0)):.6g}", line)


def _read_lines(path: Path) -> Iterator[str]:
    data = path.read_bytes()
    if path.name.endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    yield from data.decode("utf-8", "replace").splitlines()


def output_folders(root: Path) -> dict[str, Counter[str]]:
    """Relative folder -> multiset of normalised lines of its data files (DPark or Spark part files)."""
    out: dict[str, Counter[str]] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        parts = [f for f in filenames if _DPARK_PART.match(f) or _SPARK_PART.match(f)]
        if not parts:
            continue
        rel = os.path.relpath(dirpath, root)
        c: Counter[str] = Counter()
        for f in parts:
            c.update(normalise(ln) for ln in _read_lines(Path(dirpath) / f))
        out[rel] = c
    return out


def compare(dpark_out: Path, spark_out: Path, dpark_stdout: str, spark_stdout: str) -> tuple[bool, str, int]:
    a, b = output_folders(dpark_out), output_folders(spark_out)
    a["<stdout>"] = Counter(normalise(ln) for ln in dpark_stdout.splitlines() if ln.strip())
    b["<stdout>"] = Counter(normalise(ln) for ln in spark_stdout.splitlines() if ln.strip())
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        return False, f"output folders differ: only DPark {only_a[:5]}, only Spark {only_b[:5]}", len(a)
    for rel in sorted(a):
        if a[rel] != b[rel]:
            missing = list((a[rel] - b[rel]).elements())[:3]
            extra = list((b[rel] - a[rel]).elements())[:3]
            return False, f"{rel}: {sum(a[rel].values())} vs {sum(b[rel].values())} lines; DPark only " \
                          f"{missing}, Spark only {extra}", len(a)
    return True, "", len(a)


# ------------------------------------------------------------------ both, for a set of translations

def _fresh(*dirs: Path) -> None:
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)


def reference_run(legacy: Path, input_dir: Path, work: Path, python: Path) -> tuple[int, str, str]:
    """The legacy job under DPark: (exit code, stdout, stderr); outputs under ``work/dpark-out``."""
    _fresh(work / "dpark-out")
    source = legacy.read_text(encoding="utf-8", errors="replace")
    return run_dpark(legacy, job_args(source, input_dir, work / "dpark-out"), work / "dpark", python)


def spark_run_and_compare(legacy: Path, translated: Path, input_dir: Path, work: Path,
                          reference: tuple[int, str, str]) -> Verdict:
    code, d_stdout, d_err = reference
    if code != 0:
        return Verdict(str(legacy), "dpark_failed", _tail(d_err))
    _fresh(work / "spark-out")
    source = legacy.read_text(encoding="utf-8", errors="replace")
    code, s_stdout, s_err = run_spark_in_process(translated, job_args(source, input_dir, work / "spark-out"))
    if code != 0:
        return Verdict(str(legacy), "spark_failed", s_err or f"exit code {code}")
    same, detail, n = compare(work / "dpark-out", work / "spark-out", d_stdout, s_stdout)
    return Verdict(str(legacy), "equal" if same else "different", detail, n)


def verify_job(legacy: Path, translated: Path, input_dir: Path, work: Path, python: Path) -> Verdict:
    return spark_run_and_compare(legacy, translated, input_dir, work,
                                 reference_run(legacy, input_dir, work, python))


def _tail(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-3:])[:500]


def is_job(source: str) -> bool:
    """A file that makes a DPark context (helper modules that only receive one are verified through the job)."""
    return "DparkContext" in source


def verify_translations(files: Iterable[Any], roots: Iterable[Path], out: Path, input_dir: Path,
                        dpark_workers: int = 2) -> list[Verdict]:
    """Run every translated job of ``files`` (``DparkFile``s written under ``out``) against its original.
    The DPark runs (subprocesses) go first, ``dpark_workers`` at a time; then the Spark runs, one by one in this
    process's SparkSession."""
    from concurrent.futures import ThreadPoolExecutor

    python = dpark_python()
    roots = list(roots)
    input_dir = input_dir.resolve()
    jobs = []
    for f in files:
        legacy = Path(f.path).resolve()
        if is_job(legacy.read_text(encoding="utf-8", errors="replace")):
            jobs.append((legacy, (out / relative_output(legacy, roots)).resolve()))
    local_spark()  # the session the translations run in (reused when one is active)
    with tempfile.TemporaryDirectory(prefix="migrate-verify-") as tmp:
        works = [Path(tmp) / f"{i:03d}-{legacy.stem}" for i, (legacy, _) in enumerate(jobs)]
        with ThreadPoolExecutor(max(1, dpark_workers)) as pool:
            refs = list(pool.map(lambda j: reference_run(j[0][0], input_dir, j[1], python),
                                 zip(jobs, works, strict=True)))
        return [spark_run_and_compare(legacy, translated, input_dir, work, ref)
                for (legacy, translated), work, ref in zip(jobs, works, refs, strict=True)]
