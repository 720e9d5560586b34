"""Crash trials: SIGKILL a run's whole process group at points chosen by a fixed seed, then account exactly.

Each trial runs one dataset into a local Parquet folder, S3 (Parquet, or bytes as-is with a multipart
object) or an Iceberg table, and kills the run's process group where a kill point says
(tests/reliability/crash_hooks.py: during a read, a write, an S3 upload, between a target commit and
its ledger update, inside the Iceberg catalog commit, during crash recovery itself: a second kill,
in the recovery of the re-run after a first one). Then:

- no process of the killed run survives (pool workers, their forkserver, the catalog helper);
- a re-run completes, and every source row is in the target exactly once or quarantined (ids unique),
  every object is ours and whole (Parquet footers readable, copied bytes equal), no temp file, no open
  multipart upload, the ledger names exactly the target's files (or the snapshot's), all committed;
- a further re-run does nothing (no file processed, the target and snapshot unchanged).

Runs are forked from a zygote process (crash_child.py) that imported the stack once: a trial costs
its work, not interpreter start-ups.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from migrate.engine import PART_RE, parquet_file
from migrate.ledger import Ledger
from migrate.plan import load_plan
from migrate.storage import open_storage
from migrate.storage.local import TMP_MARK
from tests.engine.helpers import SCHEMA_YAML, make_dataset, write_csv
from tests.fixtures.processes import wait_group_ends
from tests.fixtures.s3 import KEY_ENV, SECRET_ENV

ROOT = Path(__file__).resolve().parents[2]
SEED = 1919
MiB = 1 << 20

POINTS = {
    "local": ("read", "write", "commit_before_ledger", "recovery"),
    "s3": ("read", "upload", "commit_before_ledger", "recovery"),
    "s3copy": ("read", "upload", "commit_before_ledger", "recovery"),
    "iceberg": ("read", "write", "iceberg_commit", "commit_before_ledger", "recovery"),
}
MAX_N = {"read": 6, "write": 6, "upload": 3, "commit_before_ledger": 4, "iceberg_commit": 2, "recovery": 1}


@dataclass(frozen=True)
class Trial:
    target: str
    point: str
    n: int
    first: tuple[str, int] | None = None  # recovery trials: the first kill, whose recovery is then killed
    processes: bool = False  # conversion in a process pool (workers must die with the run)
    helper: str = "thread"  # Iceberg catalog helper ("thread": its commit is hookable here)

    @property
    def id(self) -> str:
        first = f"after-{self.first[0]}{self.first[1]}-" if self.first else ""
        extra = ("-procs" if self.processes else "") + ("-helperproc" if self.helper == "process" else "")
        return f"{self.target}-{first}{self.point}{self.n}{extra}"


def trials(seed: int = SEED) -> list[Trial]:
    """Every kill point of every target once, plus 4 more drawn at random: 21 trials."""
    rng = random.Random(seed)

    def one(target: str, point: str) -> Trial:
        n = rng.randint(1, MAX_N[point] if target != "iceberg" or point != "commit_before_ledger" else 2)
        first = None
        if point == "recovery":
            p = rng.choice([q for q in POINTS[target] if q != "recovery"])
            first = (p, rng.randint(1, 2))
        # Worker processes (and the catalog helper process) cost an interpreter start-up each per run:
        # a few trials show they die with the run; the rest use threads.
        return Trial(target, point, n, first, processes=target == "local" and point in ("read", "write"),
                     helper="process" if target == "iceberg" and point == "read" else "thread")

    out = [one(t, p) for t in POINTS for p in POINTS[t]]
    for _ in range(4):
        t = rng.choice(sorted(POINTS))
        out.append(one(t, rng.choice(POINTS[t])))
    return out


class Zygote:
    """crash_child.py: forks run processes on request."""

    def __init__(self, log: Path) -> None:
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_child"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})

    def spawn(self, plan: Path, result: Path, crash: str, options: dict[str, Any]) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        req = {"plan": str(plan), "result": str(result), "crash": crash, "options": options}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory, seaweedfs: Any) -> Iterator[Zygote]:
    z = Zygote(tmp_path_factory.mktemp("zygote") / "zygote.log")  # after seaweedfs: its key env vars
    yield z
    z.stop()


class Case:
    """One trial's source, plan and target."""

    def __init__(self, base: Path, trial: Trial, s3: Any) -> None:
        self.base, self.trial, self.s3 = base, trial, s3
        self.src = base / "src"
        self.bucket = ""
        target = trial.target
        if target == "s3copy":
            rng = random.Random(SEED)
            self.files = {f"f{i:02d}.bin": rng.randbytes(rng.randint(0, 300_000)) for i in range(10)}
            self.files["big.bin"] = rng.randbytes(11 * MiB)  # 3 parts of 5 MiB: a multipart upload
            for rel, data in self.files.items():
                (self.src / rel).parent.mkdir(parents=True, exist_ok=True)
                (self.src / rel).write_bytes(data)
            self.rows = 0
        else:
            self.rows = make_dataset(self.src, files=8, rows=300)
            write_csv(self.src / "big.csv", 1_000_000, 20_000)  # ~1.3 MB: split into byte ranges
            self.rows += 20_000
            with open(self.src / "f0003.csv", "a") as f:
                f.write("999999,too,many,fields,here,true,extra\n")  # one row to quarantine
            self.rows += 1
        if target in ("s3", "s3copy"):
            self.bucket = s3.root_uri("crash").removeprefix("s3://")
            o = s3.options
            store = (f'{{kind: s3, endpoint: "{o["endpoint_url"]}", bucket: {self.bucket}, region: us-east-1, '
                     f"part_size_mb: 5, credentials: {{access_key_id_env: {KEY_ENV}, "
                     f"secret_access_key_env: {SECRET_ENV}}}}}")
        else:
            store = "{kind: local, path: out}"
        kind = {"s3copy": "copy", "iceberg": "iceberg"}.get(target, "parquet")
        tgt = ("{kind: iceberg, store: out, table: ns.events}" if kind == "iceberg"
               else f"{{kind: {kind}, store: out, path: t}}")
        fmt = "{kind: csv, header: true}"
        schema = "" if kind == "copy" else f"schema: {SCHEMA_YAML}"
        self.plan_path = base / "plan.yaml"
        self.plan_path.write_text(f"""
version: 1
name: crash
settings: {{state_dir: state, concurrency: 3}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {store}}}
datasets:
  - name: events
    source: {{store: src, path: ""}}
    format: {fmt}
    {schema}
    target: {tgt}
""")
        self.plan = load_plan(self.plan_path)
        self.options = {"split_bytes": 256 << 10, "iceberg_commit_files": 3,
                        "use_processes": trial.processes, "catalog_helper": trial.helper,
                        "reader": "tests.reliability.crash_hooks:open_batches"}

    # -- running -------------------------------------------------------------------------------
    def run(self, zyg: Zygote, crash: tuple[str, int] | None, timeout: float = 120) -> dict[str, Any] | None:
        """One run; killed (the whole group) at ``crash``: None, else its report."""
        tag = uuid.uuid4().hex[:8]
        marker, result = self.base / f"killed-{tag}", self.base / f"result-{tag}.json"
        spec = f"{crash[0]}:{crash[1]}:{marker}" if crash else ""
        pid = zyg.spawn(self.plan_path, result, spec, self.options)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists():
                os.killpg(pid, signal.SIGKILL)
                wait_group_ends(pid)  # workers, forkserver, catalog helper: nothing survives
                self._lock_released()
                return None
            if result.exists():
                rep = json.loads(result.read_text())
                assert "exception" not in rep, rep["exception"]
                assert crash is None, f"the run ended before kill point {crash} was reached: {rep}"
                return rep
            time.sleep(0.005)
        os.killpg(pid, signal.SIGKILL)
        raise AssertionError(f"run did not finish nor reach {crash} within {timeout}s")

    def _lock_released(self, timeout: float = 5.0) -> None:
        """The killed run's dataset lock is free again (the kernel drops it with the last process)."""
        path = self.plan.state_dir / "locks" / "events.lock"
        if not path.exists():
            return
        deadline = time.monotonic() + timeout
        with open(path, "a+") as f:
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(f, fcntl.LOCK_UN)
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{path} still locked {timeout}s after the kill") from None
                    time.sleep(0.02)

    # -- accounting ----------------------------------------------------------------------------
    def target_files(self) -> dict[str, int]:
        """Every file under the target (uri -> size)."""
        if self.trial.target == "iceberg":
            root = f"file://{self.plan.state_dir}/warehouse"
        else:
            root, _ = self.plan.location("out", "t")
        store = open_storage(root, **(self.s3.options if root.startswith("s3://") else {}))
        try:
            return {f.uri: f.size for f in store.walk(root)}
        except Exception:
            return {}

    def account(self, rep: dict[str, Any]) -> None:
        assert rep["files_failed"] == 0, rep["errors"]
        with Ledger.in_state_dir(self.plan.state_dir) as ledger:
            records = ledger.records("events")
        assert {r.state for r in records} == {"committed"}
        ledger_uris = {u for r in records for u in r.target_uris}
        files = self.target_files()
        assert not [u for u in files if TMP_MARK in u]
        if self.bucket:
            uploads = self.s3.client().list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
            assert uploads == [], uploads
        if self.trial.target == "s3copy":
            assert set(files) == ledger_uris
            store = open_storage(f"s3://{self.bucket}", **self.s3.options)
            for rel, data in self.files.items():
                assert store.read_bytes(f"s3://{self.bucket}/t/{rel}") == data, rel
            return
        quarantined = sum(r.rows_quarantined for r in records)
        if self.trial.target == "iceberg":
            ids, data_files = self._iceberg_ids()
            assert set(data_files) == ledger_uris  # the snapshot holds exactly what the ledger says
            on_disk = {u for u in files if "/data/" in u}
            assert on_disk == ledger_uris, on_disk ^ ledger_uris  # no orphan or partial data file
        else:
            assert set(files) == ledger_uris, set(files) ^ ledger_uris
            assert all(PART_RE.match(u.rsplit("/", 1)[-1]) for u in files)
            ids = self._parquet_ids(files)
        assert len(ids) == len(set(ids)), "duplicate ids in the target"
        assert len(ids) + quarantined == self.rows and quarantined == 1
        qdir = self.plan.state_dir / "quarantine" / "events"
        lines = sum(len(p.read_text().splitlines()) for p in qdir.glob("*.jsonl")) if qdir.exists() else 0
        assert lines == quarantined

    def _parquet_ids(self, files: dict[str, int]) -> list[int]:
        root, _ = self.plan.location("out", "t")
        store = open_storage(root, **(self.s3.options if root.startswith("s3://") else {}))
        ids: list[int] = []
        for uri in files:
            ids.extend(parquet_file(store, uri).read(columns=["id"]).column("id").to_pylist())  # whole footers
        return ids

    def _iceberg_ids(self) -> tuple[list[int], list[str]]:
        from migrate import iceberg

        table = iceberg.load_catalog(self.plan, state_dir=self.plan.state_dir).load_table("ns.events")
        data_files = [t.file.file_path for t in table.scan().plan_files()]
        ids = table.scan(selected_fields=("id",)).to_arrow()["id"].to_pylist()
        return ids, data_files

    def snapshot_id(self) -> int | None:
        if self.trial.target != "iceberg":
            return None
        from migrate import iceberg

        table = iceberg.load_catalog(self.plan, state_dir=self.plan.state_dir).load_table("ns.events")
        snap = table.current_snapshot()
        return None if snap is None else snap.snapshot_id


ALL = trials()


def test_at_least_20_trials_over_every_target_and_point() -> None:
    assert len(ALL) >= 20
    assert {t.target for t in ALL} == set(POINTS)
    assert {t.point for t in ALL} == set(MAX_N)
    assert any(t.processes for t in ALL) and any(t.helper == "process" for t in ALL)


@pytest.mark.slow
@pytest.mark.s3
@pytest.mark.parametrize("trial", ALL, ids=[f"{i:02d}-{t.id}" for i, t in enumerate(ALL)])
def test_crash_trial(trial: Trial, tmp_path: Path, zygote: Zygote, seaweedfs: Any) -> None:
    case = Case(tmp_path, trial, seaweedfs)
    if trial.first is not None:
        assert case.run(zygote, trial.first) is None  # the first crash ...
    assert case.run(zygote, (trial.point, trial.n)) is None  # ... (and one during its recovery)
    rep = case.run(zygote, None)  # the re-run
    assert rep is not None
    case.account(rep)
    before, snap = case.target_files(), case.snapshot_id()
    again = case.run(zygote, None)  # a further re-run does nothing
    assert again is not None and again["files_processed"] == 0 and again["files_failed"] == 0
    assert again["files_skipped"] == again["files_total"]
    assert case.target_files() == before and case.snapshot_id() == snap
