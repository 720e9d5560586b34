"""Names that try to leave their folder, names that are not text, symlinks, and a target disk that fills up.

- A POSIX file name that is not UTF-8 fails by name (``\\xNN`` escapes) and the other files land.
- Symlinks in a local source (a loop to a parent, a file outside the dataset, a dangling link) are never
  followed: each fails by name, and nothing outside the source folder is read.
- Object keys with ``..`` or ``.`` segments (legal on AWS S3) never produce a target outside its prefix;
  a key with leading or doubled ``/`` lands inside the prefix. Replayed with an in-memory object store
  (``memstore``) because every store that runs here refuses or normalises such keys.
- A full target disk (a 1 MiB tmpfs where the machine lets us mount one, else a writer that fails with
  ENOSPC): files that do not fit fail naming the target, no partial or temporary file is left, and a
  re-run after space is freed completes exactly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrate import storage as storage_mod
from migrate.engine import EngineOptions, run_dataset
from migrate.errors import UnsafePath
from migrate.ledger import Ledger
from migrate.plan import Plan
from migrate.storage import open_storage
from migrate.storage.base import join_uri
from tests.badinput import memstore
from tests.badinput.corpus import ROWS, csv_bytes
from tests.badinput.test_files import files_under, plan_for, target_ids

OPTS = EngineOptions(catalog_helper="none")


@pytest.mark.parametrize("target", ["parquet", "copy"])
def test_non_utf8_file_name_fails_by_name(tmp_path: Path, target: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.csv").write_bytes(csv_bytes())
    with open(os.fsencode(src) + b"/caf\xe9-\xff.csv", "wb") as f:
        f.write(csv_bytes(1000, 10))
    plan = plan_for(tmp_path, "{kind: csv}", target=target)
    rep = run_dataset(plan, "ds", options=OPTS)
    assert (rep.files_total, rep.files_processed, rep.files_failed) == (2, 1, 1), rep.to_dict()
    (err,) = rep.errors
    assert err["uri"] == f"file://{src}/caf\\xe9-\\xff.csv"
    assert "not UTF-8" in err["error"] and "rename" in err["error"]
    again = run_dataset(plan, "ds", options=OPTS)  # still failing, never "missing", nothing redone
    assert (again.files_skipped, again.files_failed, again.files_missing) == (1, 1, 0), again.to_dict()
    if target == "parquet":
        assert target_ids(tmp_path) == list(range(ROWS))
    else:
        assert os.listdir(tmp_path / "out" / "t") == ["good.csv"]


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "good.csv").write_bytes(csv_bytes())
    (src / "sub" / "inner.csv").write_bytes(csv_bytes(1000, 5))
    secret = tmp_path / "private.csv"
    secret.write_bytes(b"id,name\n666,not-for-the-lake\n")
    os.symlink("..", src / "sub" / "loop-to-parent")  # a loop inside the dataset
    os.symlink(tmp_path, src / "up")  # leads out of the dataset (to state/, out/, private.csv)
    os.symlink(secret, src / "private.csv")
    os.symlink("missing.csv", src / "dangling.csv")
    os.symlink("self.csv", src / "self.csv")  # a loop of one link
    os.symlink("good.csv", src / "latest.csv")  # a second name for a file already copied
    before = files_under(tmp_path)
    rep = run_dataset(plan_for(tmp_path, "{kind: csv}"), "ds", options=OPTS)
    assert (rep.files_total, rep.files_processed, rep.files_failed) == (8, 2, 6), rep.to_dict()
    why = {e["uri"].rsplit("/", 1)[1]: e["error"] for e in rep.errors}
    assert "outside the dataset folder" in why["up"] and "outside the dataset folder" in why["private.csv"]
    assert "inside the dataset folder" in why["loop-to-parent"] and "inside the dataset folder" in why["latest.csv"]
    assert "does not resolve" in why["dangling.csv"] and "does not resolve" in why["self.csv"]
    assert all("not followed" in e or "does not resolve" in e for e in why.values())
    assert target_ids(tmp_path) == list(range(ROWS)) + list(range(1000, 1005))  # 666 never read
    new = files_under(tmp_path) - before
    assert all(f.startswith(("out/t/", "state/")) for f in new), new


def test_open_refuses_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.csv").write_bytes(b"x")
    os.symlink(tmp_path / "real.csv", tmp_path / "link.csv")
    store = open_storage(f"file://{tmp_path}")
    assert store.read_bytes(f"file://{tmp_path}/real.csv") == b"x"
    with pytest.raises(UnsafePath, match="symlink"):
        store.read_bytes(f"file://{tmp_path}/link.csv")


@pytest.mark.parametrize("rel", ["a/../../etc/passwd", "..", "../x", "a/./b", ".", "a/..", "x\0y"])
def test_join_uri_never_leaves_its_base(rel: str) -> None:
    with pytest.raises(UnsafePath, match="would leave"):
        join_uri("s3://lake/warehouse/t", rel)


# -- object keys from a hostile (or merely odd) S3 source ------------------------------------------

class _MemSourcePlan:
    """The plan, with its source store answered by the in-memory object store (see memstore)."""

    def __init__(self, plan: Plan, root: str) -> None:
        self._plan, self._root = plan, root

    def location(self, store: str, path: str = "") -> tuple[str, dict[str, Any]]:
        if store == "src":
            return self._root, {}
        return self._plan.location(store, path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plan, name)


@pytest.fixture
def mem_scheme(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(storage_mod.BACKENDS, "memtest", "tests.badinput.memstore:from_uri")
    memstore.OBJECTS.clear()
    yield
    memstore.OBJECTS.clear()


ESCAPING_KEYS = ["src/a/../../../escaped.csv", "src/../sibling.csv", "src/./dot.csv", "src/x/..", "src/a/./b.csv"]
INSIDE_KEYS = {"src//etc/passwd.csv": "etc/passwd.csv", "src/ok/fine.csv": "ok/fine.csv",
               "src/..hidden-not-dots.csv": "..hidden-not-dots.csv"}


@pytest.mark.parametrize("target", ["copy", "parquet"])
def test_object_keys_never_escape_the_target_prefix(tmp_path: Path, mem_scheme: None, target: str) -> None:
    for i, key in enumerate([*ESCAPING_KEYS, *INSIDE_KEYS]):
        memstore.OBJECTS[f"memtest://legacy/{key}"] = csv_bytes(1000 * (i + 1), 3)
    plan = _MemSourcePlan(plan_for(tmp_path, "{kind: csv}", target=target), "memtest://legacy/src")  # type: ignore[arg-type]
    before = files_under(tmp_path)
    rep = run_dataset(plan, "ds", options=OPTS)
    failed = {e["uri"].removeprefix("memtest://legacy/"): e["error"] for e in rep.errors}
    if target == "copy":
        assert set(failed) == set(ESCAPING_KEYS), rep.to_dict()
        assert all("would leave" in e for e in failed.values())
        landed = sorted(str(p.relative_to(tmp_path / "out" / "t")) for p in (tmp_path / "out" / "t").rglob("*")
                        if p.is_file())
        assert landed == sorted(INSIDE_KEYS.values())
    else:
        # Converting, a name with a segment starting with "." is Hadoop bookkeeping (.crc, .hive-staging) and
        # is not data; the parts of the others are named by the engine, under their key's folders.
        assert not failed and rep.files_total == 2, rep.to_dict()
        out = tmp_path / "out" / "t"
        assert sorted(str(p.relative_to(out).parent) for p in out.rglob("*.parquet")) == ["etc", "ok"]
    new = files_under(tmp_path) - before
    assert all(f.startswith(("out/t/", "state/")) for f in new), new
    assert not (tmp_path / "escaped.csv").exists() and not (tmp_path / "out" / "sibling.csv").exists()


# -- a full target disk ----------------------------------------------------------------------------

@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[bool]:
    """A tmpfs of ``size`` at ``path`` (True), or nothing mounted when the machine does not allow it (False)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_target_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    blobs = {f"f{i}.csv": csv_bytes(100_000 * i, 30_000) for i in range(6)}  # ~550 KiB each: one fits in 1 MiB
    for name, data in blobs.items():
        (src / name).write_bytes(data)
    plan = plan_for(tmp_path, "{kind: csv}", target="copy")
    with small_disk(tmp_path / "out", "1m") as mounted:
        if not mounted:  # no mount here: the same failure from the disk under the writer
            from migrate.storage import local

            budget = {"left": 1 << 20}

            class FullDisk:
                def __init__(self, f: Any) -> None:
                    self._f = f

                def write(self, data: Any) -> int:
                    budget["left"] -= len(data)
                    if budget["left"] < 0:
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    return int(self._f.write(data))

                def __getattr__(self, name: str) -> Any:
                    return getattr(self._f, name)

            monkeypatch.setattr(local, "open", lambda *a, **kw: FullDisk(open(*a, **kw)),  # noqa: SIM115
                                raising=False)
        rep = run_dataset(plan, "ds", options=OPTS)
        assert rep.files_failed >= 4 and rep.files_processed >= 1, rep.errors
        assert rep.files_failed + rep.files_processed == 6
        for e in rep.errors:
            assert "No space left on device" in e["error"] and f"file://{tmp_path}/out/t/" in e["error"], e
        out = tmp_path / "out" / "t"
        present = {p.name: p.read_bytes() for p in out.iterdir()}
        assert not [n for n in present if ".migrate-tmp-" in n], present.keys()  # no temp file left
        assert all(present[n] == blobs[n] for n in present), "a visible file is whole or absent"
        with Ledger.in_state_dir(tmp_path / "state") as ledger:
            states = {r.source_uri.rsplit("/", 1)[1]: r.state for r in ledger.records("ds")}
        assert {n for n, s in states.items() if s == "committed"} == set(present)
        # Space is freed (the disk grows, keeping its files): the re-run copies exactly what failed.
        if mounted:
            subprocess.run(["mount", "-o", "remount,size=16m", str(tmp_path / "out")], check=True)
        monkeypatch.undo()
        again = run_dataset(plan, "ds", options=OPTS)
        assert again.ok and again.files_processed == rep.files_failed, again.to_dict()
        assert again.files_skipped == rep.files_processed
        assert {p.name: p.read_bytes() for p in (tmp_path / "out" / "t").iterdir()} == blobs
