"""Walk storage roots, group files into datasets and probe a few files of each.

Memory is bounded by the number of *folders*, not files: each folder is listed once (in parallel, the
backend pages its listing) and folded into a small summary (counts, bytes, newest mtime, up to
``keep_names`` file names). Datasets are then formed from folder summaries:

- a folder holding data files is a dataset;
- trailing ``k=v`` folders are Hive partitions of the nearest ancestor that is not ``k=v``;
- names starting with ``_`` or ``.`` (``_SUCCESS``, ``.crc``, ``_temporary``, ``.Trash``, staging
  folders, hidden files) are what Hadoop itself ignores: skipped and listed, never descended into.

Local roots (``file://``) are listed with ``os.scandir`` directly: one ``stat`` per entry and no per-file
owner lookup (the local backend resolves owner names per entry, too slow for a million files), with
symlink loops and non-UTF-8 names reported. Other schemes go through ``Storage.list``.
"""

from __future__ import annotations

import os
import re
import stat as stat_mod
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from migrate.errors import AuthError, MigrateError, NotFound, StorageError
from migrate.inventory.model import Column, Dataset, FormatInfo, Problem, RootInfo, Skipped
from migrate.inventory.schema_infer import merge, merge_named
from migrate.inventory.sniff import FileProbe, probe
from migrate.storage import Storage, open_storage, scheme_of

PARTITION = re.compile(r"^[^=/]+=[^/]*$")
# Date folders below a dataset's folder, the layout of logs written by date without Hive's k=v:
# yyyy[/mm[/dd[/hh]]], yyyymmdd[hh], yyyy-mm-dd, yyyy_mm_dd (then an optional /hh).
_Y, _M, _D, _H = r"(?:19[7-9]\d|20\d\d)", r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12]\d|3[01])", r"(?:[01]\d|2[0-3])"
DATE_FOLDERS = re.compile(rf"^(?:{_Y}(?:/{_M}(?:/{_D}(?:/{_H})?)?)?"
                          rf"|{_Y}([-_]?){_M}\1{_D}(?:\1?{_H})?(?:/{_H})?)$")


@dataclass
class RootSpec:
    """A tree to scan. ``aliases`` are the prefixes legacy code uses for it (``/mfs``,
    ``hdfs://namenode:8020``), so job paths can be matched to datasets."""

    name: str
    uri: str
    options: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass
class ScanSettings:
    small_file_bytes: int = 1 << 20
    sample_bytes: int = 1 << 20  # read at most this much of a sampled file
    sample_files: int = 3  # files probed per dataset (spread over partitions)
    sample_rows: int = 1000  # rows used for type inference per file
    exact_rows_bytes: int = 8 << 20  # datasets up to this size are read whole for exact row counts
    exact_rows_files: int = 32
    keep_names: int = 32  # file names kept per folder (for sampling)
    workers: int = 8
    max_partitions: int = 1000  # partition values listed per dataset (all are counted)
    max_listed: int = 1000  # skipped paths / problems listed per root (all are counted)


def skip_reason(name: str) -> str | None:
    """Why Hadoop-style tools ignore this entry, or None when it may be data."""
    if not name or name[0] not in "._":
        return None
    if name.endswith(".crc"):
        return "checksum"
    if name in ("_SUCCESS", "_FAILURE", "_metadata", "_common_metadata", "_logs"):
        return "marker"
    if name.startswith("_temporary") or name.startswith("_tmp") or name.startswith(".spark-staging"):
        return "temporary"
    if name in (".Trash", ".Trashes") or name.startswith(".Trash"):
        return "trash"
    if name.startswith(".hive-staging") or name.startswith("_impala") or name.startswith("_scratch"):
        return "staging"
    return "hidden"


@dataclass
class Folder:
    rel: str
    uri: str
    files: int = 0
    bytes: int = 0
    small: int = 0
    newest: float | None = None
    owner: str | None = None
    names: list[tuple[str, int]] = field(default_factory=list)  # (name, size), smallest names first
    entries: int = 0  # everything listed, noise included
    link: str | None = None  # rel of the deepest symlinked folder on the way here (local roots only)


@dataclass
class _Listing:
    folder: Folder
    subdirs: list[tuple[str, str]]  # (rel, uri)
    skipped: list[tuple[str, str]]  # (uri, reason)
    problems: list[Problem]


def _safe(text: str) -> str:
    """A path with undecodable bytes as \\xNN escapes (JSON-safe)."""
    return os.fsencode(text).decode("utf-8", "backslashreplace") if _bad(text) else text


def _bad(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _keep(names: list[tuple[str, int]], name: str, size: int, cap: int) -> None:
    if len(names) < cap:
        names.append((name, size))
        if len(names) == cap:
            names.sort()
    elif name < names[-1][0]:
        names[-1] = (name, size)
        names.sort()


class _Uids:
    def __init__(self) -> None:
        self.cache: dict[int, str] = {}

    def name(self, uid: int) -> str:
        got = self.cache.get(uid)
        if got is None:
            try:
                import pwd

                got = pwd.getpwuid(uid).pw_name
            except (KeyError, ImportError):
                got = str(uid)
            self.cache[uid] = got
        return got


class _LocalLister:
    def __init__(self, settings: ScanSettings) -> None:
        self.s = settings
        self.seen: set[tuple[int, int]] = set()
        self.links: set[str] = set()  # rels of the symlinked folders followed
        self.lock = threading.Lock()
        self.uids = _Uids()

    def link_above(self, rel: str) -> str | None:
        """The deepest symlinked folder at or above ``rel`` (a parent is listed before its children)."""
        parts = rel.split("/") if rel else []
        with self.lock:
            for i in range(len(parts), 0, -1):
                if "/".join(parts[:i]) in self.links:
                    return "/".join(parts[:i])
        return None

    def first_visit(self, path: str) -> bool:
        st = os.stat(path)
        key = (st.st_dev, st.st_ino)
        with self.lock:
            if key in self.seen:
                return False
            self.seen.add(key)
            return True

    def __call__(self, rel: str, uri: str) -> _Listing:
        path = uri[len("file://"):] if uri.startswith("file://") else uri
        folder = Folder(rel, uri, link=self.link_above(rel))
        subdirs: list[tuple[str, str]] = []
        skipped: list[tuple[str, str]] = []
        problems: list[Problem] = []
        small_limit, cap = self.s.small_file_bytes, self.s.keep_names
        names = folder.names
        nfiles = nbytes = nsmall = 0
        newest = 0.0
        owner_uid: int | None = None
        try:
            it = os.scandir(path)
        except PermissionError as exc:
            problems.append(Problem(path=_safe(uri), kind="permission", message=f"cannot list: {exc.strerror}"))
            return _Listing(folder, [], [], problems)
        except OSError as exc:
            problems.append(Problem(path=_safe(uri), kind="unreadable", message=f"cannot list: {exc.strerror}"))
            return _Listing(folder, [], [], problems)
        with it:
            for entry in it:
                folder.entries += 1
                name = entry.name
                if name[0] in "._":
                    reason = skip_reason(name)
                    if reason:
                        skipped.append((f"{uri}/{name}", reason))
                        continue
                if _bad(name):
                    problems.append(Problem(path=_safe(f"{uri}/{name}"), kind="bad_name",
                                            message="file name is not valid UTF-8; skipped"))
                    continue
                try:
                    st = entry.stat()
                except OSError as exc:
                    kind = "symlink_loop" if exc.errno == 40 else "unreadable"
                    msg = "dangling symlink" if entry.is_symlink() else (exc.strerror or str(exc))
                    problems.append(Problem(path=f"{uri}/{name}", kind=kind, message=msg))
                    continue
                mode = st.st_mode
                if stat_mod.S_ISDIR(mode):
                    child = f"{uri}/{name}"
                    if entry.is_symlink():
                        try:
                            fresh = self.first_visit(entry.path)
                        except OSError as exc:
                            problems.append(Problem(path=child, kind="unreadable", message=str(exc)))
                            continue
                        if not fresh:
                            problems.append(Problem(path=child, kind="symlink_loop",
                                                    message="symlink to a folder already scanned; not followed"))
                            continue
                        with self.lock:
                            self.links.add(f"{rel}/{name}" if rel else name)
                    subdirs.append((f"{rel}/{name}" if rel else name, child))
                elif entry.is_symlink():
                    # The copy opens files with O_NOFOLLOW (storage/local.py): counting this one would
                    # promise data that `migrate run` refuses.
                    problems.append(Problem(path=f"{uri}/{name}", kind="symlink", message=(
                        f"a symlink to a file ({os.path.realpath(entry.path)}); not counted: the copy does not "
                        "follow symlinks inside a dataset folder and fails this entry (replace the link by "
                        "its target, or remove it)")))
                elif stat_mod.S_ISREG(mode):
                    size = st.st_size
                    nfiles += 1
                    nbytes += size
                    if size < small_limit:
                        nsmall += 1
                    if st.st_mtime > newest:
                        newest = st.st_mtime
                    if owner_uid is None:
                        owner_uid = st.st_uid
                    if not mode & 0o444:
                        problems.append(Problem(path=f"{uri}/{name}", kind="permission",
                                                message="no read permission bits on the file"))
                    _keep(names, name, size, cap)
        if len(names) < cap:
            names.sort()
        folder.files, folder.bytes, folder.small = nfiles, nbytes, nsmall
        folder.newest = newest if nfiles else None
        folder.owner = self.uids.name(owner_uid) if owner_uid is not None else None
        return _Listing(folder, subdirs, skipped, problems)


class _StoreLister:
    def __init__(self, store: Storage, settings: ScanSettings) -> None:
        self.store, self.s = store, settings

    def __call__(self, rel: str, uri: str) -> _Listing:
        folder = Folder(rel, uri)
        subdirs: list[tuple[str, str]] = []
        skipped: list[tuple[str, str]] = []
        problems: list[Problem] = []
        owners: Counter[str] = Counter()
        try:
            for info in self.store.list(uri):
                folder.entries += 1
                name = info.name
                reason = skip_reason(name)
                if reason:
                    skipped.append((info.uri, reason))
                    continue
                if info.is_dir:
                    subdirs.append((f"{rel}/{name}" if rel else name, info.uri))
                    continue
                folder.files += 1
                folder.bytes += info.size
                if info.size < self.s.small_file_bytes:
                    folder.small += 1
                if folder.newest is None or info.mtime > folder.newest:
                    folder.newest = info.mtime
                if info.owner and len(owners) < 16:
                    owners[info.owner] += 1
                _keep(folder.names, name, info.size, self.s.keep_names)
        except AuthError as exc:
            problems.append(Problem(path=uri, kind="permission", message=str(exc)))
        except NotFound as exc:
            problems.append(Problem(path=uri, kind="unreadable", message=str(exc)))
        except (StorageError, OSError) as exc:
            problems.append(Problem(path=uri, kind="unreadable", message=f"cannot list: {exc}"))
        folder.names.sort()
        folder.owner = owners.most_common(1)[0][0] if owners else None
        return _Listing(folder, subdirs, skipped, problems)


@dataclass
class RootScan:
    info: RootInfo
    folders: list[Folder]
    problems: list[Problem]
    skipped: list[Skipped]


def list_root(root: RootSpec, settings: ScanSettings, pool: ThreadPoolExecutor) -> RootScan:
    """List every folder under a root in parallel; keep folder summaries only."""
    t0 = time.perf_counter()
    base = root.uri.rstrip("/")
    info = RootInfo(name=root.name, uri=root.uri, aliases=list(root.aliases),
                    options={k: v for k, v in root.options.items() if isinstance(v, str | int | float | bool)})
    problems: list[Problem] = []
    skipped: list[Skipped] = []
    folders: list[Folder] = []
    reasons: Counter[str] = Counter()
    lister: Callable[[str, str], _Listing]
    if scheme_of(base) == "file":
        local = _LocalLister(settings)
        path = base[len("file://"):] if base.startswith("file://") else base
        if not os.path.isdir(path):
            problems.append(Problem(path=root.uri, kind="unreadable", message="root folder not found"))
            return RootScan(info, [], problems, [])
        local.first_visit(path)
        base = "file://" + os.path.abspath(path).rstrip("/") if path != "/" else "file://"
        lister = local
    else:
        lister = _StoreLister(open_storage(root.uri, **root.options), settings)
    pending: set[Future[_Listing]] = {pool.submit(lister, "", base)}
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            res = fut.result()
            f = res.folder
            info.folders += 1
            info.files += f.files
            info.bytes += f.bytes
            if f.entries == 0 and not res.problems:
                problems.append(Problem(path=f.uri, kind="empty_folder", message="folder is empty"))
            for uri, reason in res.skipped:
                reasons[reason] += 1
                if len(skipped) < settings.max_listed:
                    skipped.append(Skipped(path=_safe(uri), reason=reason))
            problems.extend(res.problems)
            if f.files:
                folders.append(f)
            for rel, uri in res.subdirs:
                pending.add(pool.submit(lister, rel, uri))
    info.skipped = sum(reasons.values())
    info.skipped_by_reason = dict(sorted(reasons.items()))
    info.seconds = round(time.perf_counter() - t0, 3)
    folders.sort(key=lambda f: f.rel)
    skipped.sort(key=lambda s: s.path)
    return RootScan(info, folders, problems, skipped)


# --- datasets -----------------------------------------------------------------------------------------


@dataclass
class _Group:
    rel: str
    folders: list[Folder] = field(default_factory=list)
    specs: list[dict[str, str]] = field(default_factory=list)
    keys: list[str] | None = None
    loose_files: bool = False  # files directly in a partitioned table's folder
    date_folders: bool = False  # some files sit in date folders (2024/03/01) below the dataset's folder


def split_partitions(rel: str) -> tuple[str, dict[str, str]]:
    parts = rel.split("/") if rel else []
    i = len(parts)
    while i > 0 and PARTITION.match(parts[i - 1]):
        i -= 1
    # Hive escapes special characters in partition folder names (``%3A`` for ``:``): report the values.
    spec = {unquote(k): unquote(v) for k, v in (p.split("=", 1) for p in parts[i:])}
    return "/".join(parts[:i]), spec


def strip_date_folders(rel: str) -> str:
    """``rel`` without its trailing date folders (``events/2024/03/01`` -> ``events``): one dataset for all
    dates, not one per day named ``01``. The folders stay as they are in the target (no partition column:
    the dates are not Hive's ``k=v``); a path made only of date folders is left alone."""
    parts = rel.split("/") if rel else []
    for k in range(max(1, len(parts) - 4), len(parts)):
        if DATE_FOLDERS.match("/".join(parts[k:])):
            return "/".join(parts[:k])
    return rel


def group_folders(folders: list[Folder]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for f in folders:
        drel, spec = split_partitions(f.rel)
        undated = strip_date_folders(drel)
        g = groups.setdefault(undated, _Group(undated))
        g.folders.append(f)
        g.date_folders |= undated != drel
        if spec:
            g.specs.append(spec)
        else:
            g.loose_files = True
    return [groups[k] for k in sorted(groups)]


def _pick_samples(g: _Group, settings: ScanSettings) -> tuple[list[tuple[str, int]], bool]:
    """(uri, size) of the files to probe, and whether they are all of the dataset's files."""
    total_files = sum(f.files for f in g.folders)
    total_bytes = sum(f.bytes for f in g.folders)
    complete = all(len(f.names) == f.files for f in g.folders)
    if complete and total_bytes <= settings.exact_rows_bytes and total_files <= settings.exact_rows_files:
        return [(f"{f.uri}/{n}", s) for f in g.folders for n, s in f.names], True
    # Spread over partitions: first, last, then evenly between.
    folders = g.folders
    k = min(settings.sample_files, len(folders))
    idx = sorted({round(i * (len(folders) - 1) / max(1, k - 1)) for i in range(k)}) if k > 1 else [0]
    out: list[tuple[str, int]] = []
    for i in idx:
        f = folders[i]
        nonempty = [(n, s) for n, s in f.names if s > 0] or f.names
        if nonempty:
            out.append((f"{f.uri}/{nonempty[0][0]}", nonempty[0][1]))
    j = 1
    while len(out) < settings.sample_files and j < settings.keep_names:
        added = False
        for f in folders:
            if j < len(f.names) and len(out) < settings.sample_files:
                n, s = f.names[j]
                out.append((f"{f.uri}/{n}", s))
                added = True
        if not added:
            break
        j += 1
    return out, False


def _merge_columns(a: list[Column], b: list[Column]) -> list[Column]:
    out = []
    for i in range(max(len(a), len(b))):
        if i < len(a) and i < len(b):
            out.append(Column(name=a[i].name, type=merge(a[i].type, b[i].type),
                              nullable=a[i].nullable or b[i].nullable))
        else:
            c = a[i] if i < len(a) else b[i]
            out.append(Column(name=c.name, type=c.type, nullable=True))
    return out


def links_inside(g: _Group) -> list[Problem]:
    """Symlinked folders strictly inside a dataset's folder: the copy follows a symlink at or above the
    folder it walks (a dataset folder may be a link) but refuses one inside it, so each is reported here."""
    inside = sorted({(f.link, f.uri[:len(f.uri) - len(f.rel)] + f.link) for f in g.folders
                     if f.link and f.link != g.rel and (not g.rel or f.link.startswith(g.rel + "/"))})
    name = g.rel or "(root)"
    return [Problem(path=uri, kind="symlink", message=(
        f"dataset {name}: folder {link} is a symlink inside the dataset folder; the inventory counted it, but "
        "the copy does not follow symlinks inside a dataset folder and fails its files (replace the link by "
        "the folder, or make it a dataset of its own)")) for link, uri in inside]


def describe(
    root: RootSpec, g: _Group, store: Storage, settings: ScanSettings
) -> tuple[Dataset, list[Problem]]:
    """Probe a group's sample files and build its Dataset entry."""
    problems: list[Problem] = links_inside(g)
    samples, complete = _pick_samples(g, settings)
    probes: list[tuple[str, int, FileProbe]] = []
    for uri, size in samples:
        try:
            p = probe(store, uri, size, sample_bytes=settings.sample_bytes, sample_rows=settings.sample_rows,
                      exact=complete)
        except (MigrateError, OSError, ValueError, EOFError, IndexError, KeyError) as exc:
            problems.append(Problem(path=uri, kind="unreadable", message=f"{type(exc).__name__}: {exc}"))
            complete = False
            continue
        except Exception as exc:  # pyarrow / fastavro raise their own types on corrupt files
            problems.append(Problem(path=uri, kind="unreadable", message=f"{type(exc).__name__}: {exc}"))
            complete = False
            continue
        if p.problem and p.format.kind == "unknown":
            kind = "binary" if p.problem.startswith("binary") else "unreadable"
            if p.problem == "empty file":
                kind = "empty_file"
            problems.append(Problem(path=uri, kind=kind, message=p.problem))
        probes.append((uri, size, p))

    good = [(u, s, p) for u, s, p in probes if p.format.kind != "unknown"]
    kinds = {(p.format.kind, p.format.delimiter) for _, _, p in good}
    fmt: FormatInfo
    columns: list[Column] = []
    if not good:
        fmt = FormatInfo(kind="unknown")
    elif len({k for k, _ in kinds}) > 1:
        fmt = FormatInfo(kind="mixed")
        problems.append(Problem(path=g.folders[0].uri, kind="mixed_formats",
                                message="files disagree: " + ", ".join(sorted(k for k, _ in kinds))))
    else:
        fmt = good[0][2].format.model_copy()
        columns = good[0][2].columns
        comps = {p.format.compression for _, _, p in good}
        if len(comps) > 1:
            fmt.compression = "mixed"
        if fmt.kind in ("parquet", "orc", "avro"):
            # Files written over years disagree (a column added, int widened to bigint): the union, by name.
            for _, _, p in good[1:]:
                if [(c.name, c.type) for c in p.columns] != [(c.name, c.type) for c in columns]:
                    fmt.details["schema_evolution"] = "true"
                    columns = merge_named(columns, p.columns)
        elif fmt.kind != "sequencefile":
            for _, _, p in good[1:]:  # JSON keys have names, not positions
                columns = merge_named(columns, p.columns) if fmt.kind == "jsonl" else _merge_columns(columns, p.columns)
        if fmt.kind == "hive_text" or any(p.format.null_marker for _, _, p in good):
            fmt.null_marker = "\\N"
    if g.date_folders:
        fmt.details["date_folders"] = "true"  # kept as folders in the target; no partition column

    total_files = sum(f.files for f in g.folders)
    total_bytes = sum(f.bytes for f in g.folders)
    rows: int | None = None
    exact = False
    if complete and probes and all(p.rows is not None for _, _, p in probes) and len(probes) == total_files:
        rows, exact = sum(p.rows or 0 for _, _, p in probes), True
    elif good:
        num = den = 0
        for _, size, p in good:
            if p.rows is not None:
                num, den = num + p.rows, den + size
            elif p.sample_rows:
                num, den = num + p.sample_rows, den + max(1, p.sample_bytes)
        if den:
            rows = round(total_bytes * num / den)

    spec_keys = [list(s) for s in g.specs]
    keys = spec_keys[0] if spec_keys else []
    if any(k != keys for k in spec_keys):
        problems.append(Problem(path=g.folders[0].uri, kind="partitions",
                                message="partition folders do not share the same columns"))
    if g.specs and g.loose_files:
        problems.append(Problem(path=g.folders[0].uri, kind="partitions",
                                message="data files directly in a partitioned table's folder"))
    base = root.uri.rstrip("/")
    owners = Counter(f.owner for f in g.folders if f.owner)
    newest = max((f.newest for f in g.folders if f.newest is not None), default=None)
    small = sum(f.small for f in g.folders)
    ds = Dataset(
        id=f"{root.name}:/{g.rel}",
        root=root.name,
        path=g.rel,
        uri=f"{base}/{g.rel}" if g.rel else base,
        legacy_paths=[f"{a.rstrip('/')}/{g.rel}" if g.rel else a for a in root.aliases],
        format=fmt,
        schema=columns,
        partition_columns=keys,
        partitions=[dict(s) for s in g.specs[: settings.max_partitions]],
        partition_count=len(g.specs),
        files=total_files,
        bytes=total_bytes,
        rows=rows,
        rows_exact=exact,
        small_files=small,
        small_file_ratio=round(small / total_files, 4) if total_files else 0.0,
        newest_mtime=newest,
        owner=owners.most_common(1)[0][0] if owners else None,
        sample_files=[u for u, _, _ in probes][: settings.sample_files],
    )
    return ds, problems


@dataclass
class ScanResult:
    roots: list[RootInfo]
    datasets: list[Dataset]
    problems: list[Problem]
    skipped: list[Skipped]


def scan(roots: list[RootSpec], settings: ScanSettings | None = None) -> ScanResult:
    """List every root, form datasets and probe them; the scan goes on past per-path failures."""
    settings = settings or ScanSettings()
    infos: list[RootInfo] = []
    datasets: list[Dataset] = []
    problems: list[Problem] = []
    skipped: list[Skipped] = []
    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="inventory") as pool:
        for root in roots:
            try:
                rs = list_root(root, settings, pool)
            except MigrateError as exc:
                problems.append(Problem(path=root.uri, kind="unreadable", message=str(exc)))
                continue
            infos.append(rs.info)
            problems.extend(rs.problems[: settings.max_listed])
            skipped.extend(rs.skipped)
            store = open_storage(root.uri, **root.options)
            groups = group_folders(rs.folders)
            futs = [pool.submit(describe, root, g, store, settings) for g in groups]
            for fut in futs:
                ds, probs = fut.result()
                datasets.append(ds)
                problems.extend(probs)
    datasets.sort(key=lambda d: d.id)
    return ScanResult(infos, datasets, problems, skipped)


def iter_dataset_files(ds: Dataset, options: dict[str, Any] | None = None) -> Iterator[str]:
    """URIs of a dataset's data files (noise excluded), for callers that need them all."""
    store = open_storage(ds.uri, **(options or {}))
    for info in store.walk(ds.uri):
        if info.refused:
            continue
        rel = info.uri[len(ds.uri):].strip("/")
        if not any(skip_reason(part) for part in rel.split("/")):
            yield info.uri
