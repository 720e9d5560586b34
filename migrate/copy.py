"""Units of work, pure over storage + formats: copy one file as-is, or convert one byte range to Parquet.

Both run in a worker (a thread, or a process for CPU-bound conversion); they open their stores from
(uri, options) themselves so a task pickles cleanly, and they report progress as (dataset, bytes,
rows) tuples on an optional queue. Nothing here touches the ledger: the engine records outcomes.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import inspect
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from migrate import checksums, retry
from migrate.storage import Storage, open_storage
from migrate.storage.filerange import regular_fd
from migrate.writers.parquet import ParquetPartWriter, WriterOptions

if TYPE_CHECKING:  # Arrow is imported where used: copy-only runs never load it
    import pyarrow as pa

COPY_CHUNK = 8 << 20
PROGRESS_EVERY = 4 << 20  # bytes between progress messages from a worker

_progress_queue: Any = None  # set in pool workers by ``init_worker``


def init_worker(queue: Any, run_pid: int | None = None) -> None:
    """Process-pool initializer: the progress queue, and end with the run.

    The run's process is not this worker's parent (the forkserver is, and it outlives a killed run):
    ``lifeline.watch`` ends the worker once the run's process is gone (kill -9, OOM), so no orphan
    keeps writing target files while a re-run starts. PR_SET_PDEATHSIG covers the forkserver's death.
    """
    global _progress_queue
    _progress_queue = queue
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if run_pid is not None:
        from migrate import lifeline

        lifeline.watch(run_pid)


def resolve(dotted: str) -> Callable[..., Any]:
    """``"pkg.mod:name"`` -> the object; lets tasks name their reader so it survives pickling."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class PartTask:
    dataset: str
    mode: str  # "convert" | "copy"
    src_uri: str
    src_opts: dict[str, Any]
    dst_uri: str
    dst_opts: dict[str, Any]
    size: int
    fmt: Any = None
    columns: Any = None
    partition_values: dict[str, str | None] | None = None
    byte_range: tuple[int, int] | None = None
    part_index: int = 0
    checksum: str | None = checksums.DEFAULT  # hash the source bytes (copy: while streaming; convert: the range)
    quarantine_path: str | None = None
    reader: str = "migrate.formats:open_batches"
    quarantine_factory: str | None = "migrate.formats.quarantine:Quarantine"
    writer_options: WriterOptions = field(default_factory=WriterOptions)
    memory_bytes: int = 0  # this part's share of the run's memory budget (0: the reader's/writer's defaults)


@dataclass
class PartOutcome:
    task: PartTask
    rows_in: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    target_checksum: str = ""
    source_checksum: str | None = None
    schema: pa.Schema | None = None
    retries: dict[str, int] = field(default_factory=dict)  # by reason, in a pool worker (migrate.retry)


class _Reporter:
    def __init__(self, dataset: str, queue: Any) -> None:
        self.dataset = dataset
        self.queue = queue
        self.bytes = 0
        self.rows = 0
        self.sent_bytes = 0

    def add(self, nbytes: int = 0, rows: int = 0, force: bool = False) -> None:
        self.bytes += nbytes
        self.rows += rows
        if self.queue is not None and (force or self.bytes >= PROGRESS_EVERY or self.rows >= 200_000):
            self.queue.put((self.dataset, self.bytes, self.rows))
            self.sent_bytes += self.bytes
            self.bytes = self.rows = 0


class _RangeHasher:
    """Hashes exactly the source bytes ``[lo, hi)`` as the reader reads them: no second pass over the source.

    Readers may open the file several times (a header re-read, a line-number count); every read reports
    its absolute position and only the bytes that continue the hashed prefix are taken, so the digest is
    the one a plain sequential read of ``[lo, hi)`` would give. ``finish`` reads whatever the reader did
    not (e.g. it stopped early) and returns ``"<algorithm>:<hex>"``.
    """

    def __init__(self, algorithm: str, lo: int, hi: int) -> None:
        self.algorithm, self.lo, self.hi, self.pos = algorithm, lo, hi, lo
        self._h = checksums.new(algorithm)
        self._lock = threading.Lock()
        self.broken = False  # a stream moved in a way we could not follow: hash in a second pass

    def feed(self, at: int, data: bytes | memoryview) -> None:
        n = len(data)
        if not n or self.broken:
            return
        with self._lock:
            if at <= self.pos < at + n and self.pos < self.hi:
                a = self.pos - at
                b = min(n, self.hi - at)
                self._h.update(memoryview(data)[a:b] if (a or b < n) else data)
                self.pos = at + b

    def finish(self, store: Storage, uri: str) -> str:
        if self.broken:
            return hash_range(store, uri, (self.lo, self.hi), self.algorithm)
        if self.pos < self.hi:
            with store.open(uri, self.pos, self.hi - self.pos) as f:
                while chunk := f.read(COPY_CHUNK):
                    self._h.update(chunk)
        return f"{self.algorithm}:{self._h.hexdigest()}"


_UNTRACKED_READS = frozenset({"readline", "readlines", "peek", "readall", "__next__", "truncate", "raw"})


class _CountingReader:
    """A file proxy that counts bytes read (live byte progress) and feeds them to a ``_RangeHasher``."""

    def __init__(self, f: Any, rep: _Reporter, hasher: _RangeHasher | None = None, at: int = 0) -> None:
        self._f = f
        self._rep = rep
        self._hasher = hasher
        self._at = at  # absolute offset of the next byte this stream returns

    def _took(self, data: bytes | memoryview) -> None:
        n = len(data)
        self._rep.add(n)
        if self._hasher is not None:
            self._hasher.feed(self._at, data)
        self._at += n

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self._took(data)
        return data

    def read1(self, n: int = -1) -> bytes:
        data = self._f.read1(n) if hasattr(self._f, "read1") else self._f.read(n)
        self._took(data)
        return data

    def readinto(self, b: Any) -> int:
        n = self._f.readinto(b) or 0
        self._took(memoryview(b).cast("B")[:n])
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        self._at = self._f.seek(offset, whence)
        return self._at

    def tell(self) -> int:
        return int(self._f.tell())

    def __getattr__(self, name: str) -> Any:
        if name in _UNTRACKED_READS and self._hasher is not None:
            self._hasher.broken = True  # reads we do not see: fall back to a second pass
        return getattr(self._f, name)

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()

    def __iter__(self) -> Any:
        if self._hasher is not None:
            self._hasher.broken = True
        return iter(self._f)


class _CountingStore:
    """Delegates to a Storage; ``open`` returns counting (and hashing) readers."""

    def __init__(self, store: Storage, rep: _Reporter, hasher: _RangeHasher | None = None) -> None:
        self._store = store
        self._rep = rep
        self._hasher = hasher

    def open(self, uri: str, offset: int = 0, length: int | None = None) -> Any:
        return _CountingReader(self._store.open(uri, offset, length), self._rep, self._hasher, offset)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def run_part_in_worker(task: PartTask) -> PartOutcome:
    """``run_part`` in a pool process, with the retries it made (the run's process cannot count them):
    on the outcome, or on the exception as ``retries``."""
    before = retry.STATS.snapshot()
    try:
        out = run_part(task, _progress_queue)
    except Exception as exc:
        exc.retries = retry.STATS.since(before)  # type: ignore[attr-defined]
        raise
    out.retries = retry.STATS.since(before)
    return out


def run_part(task: PartTask, queue: Any = None) -> PartOutcome:
    if task.mode == "copy":
        return copy_file(task, queue)
    return convert_range(task, queue)


def copy_file(task: PartTask, queue: Any = None) -> PartOutcome:
    """Bytes as-is, hashed once while they stream (the bytes read are the bytes written).

    Reads come in the target's part size when it has one (S3): each read is then uploaded as one
    part without being copied into a buffer; a file below a part is read at once and sent as one PUT.
    A local file to an S3 store that takes file ranges is not read into memory at all (``send_file``).
    """
    src = open_storage(task.src_uri, **task.src_opts)
    dst = open_storage(task.dst_uri, **task.dst_opts)
    rep = _Reporter(task.dataset, queue)
    algo = task.checksum or checksums.DEFAULT
    part = getattr(dst, "part_size", None)
    chunk = part if isinstance(part, int) and 0 < part <= (256 << 20) else COPY_CHUNK
    # A file below one chunk is read in one call sized to it (not a chunk-sized allocation per file).
    want = chunk if task.size >= chunk else task.size + 1
    read = 0
    with src.open(task.src_uri) as f, dst.writer(task.dst_uri, algo) as w:
        accepts_file = getattr(w, "accepts_file", None)
        fd = regular_fd(f) if accepts_file is not None and accepts_file() else None
        # Wait for room for a part before reading it (S3): a waiting thread then holds no part.
        reserve = getattr(w, "reserve_part", None) if chunk == part else None
        if fd is not None:  # a local file to an object store: hashed here, sent by the kernel
            read = w.send_file(fd, task.size, task.src_uri, progress=rep.add)  # type: ignore[attr-defined]
        else:
            while True:
                if reserve is not None and task.size - read >= chunk:
                    reserve()
                data = f.read(want)
                want = chunk
                if not data:
                    break
                read += len(data)
                w.write(data)
                rep.add(len(data))
    rep.add(force=True)
    assert w.result is not None
    if w.hasher.size != read:
        from migrate.errors import IntegrityError

        dst.delete(task.dst_uri)
        raise IntegrityError(f"size mismatch copying {task.src_uri} -> {task.dst_uri}", task.dst_uri)
    return PartOutcome(task, bytes_in=read, bytes_out=w.result.info.size or read,
                       target_checksum=w.result.checksum, source_checksum=w.result.checksum)


def _params(fn: Callable[..., Any]) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return frozenset()


def _make_quarantine(task: PartTask) -> Any:
    if task.quarantine_path is None or not task.quarantine_factory:
        return None
    # One file per part, rewritten on a redo (the sink appends): no duplicated rejects after a crash.
    with contextlib.suppress(FileNotFoundError):
        os.remove(task.quarantine_path)
    return resolve(task.quarantine_factory)(task.quarantine_path)


def _arrow_schema(columns: Any) -> pa.Schema | None:
    import pyarrow as pa

    if columns is None or isinstance(columns, pa.Schema):
        return columns
    if not columns:
        return None
    from migrate.formats.types import arrow_schema

    return arrow_schema(columns)


def hash_range(store: Storage, uri: str, byte_range: tuple[int, int] | None, algorithm: str) -> str:
    h = checksums.new(algorithm)
    offset, length = (byte_range[0], byte_range[1] - byte_range[0]) if byte_range else (0, None)
    with store.open(uri, offset, length) as f:
        while True:
            chunk = f.read(COPY_CHUNK)
            if not chunk:
                break
            h.update(chunk)
    return f"{algorithm}:{h.hexdigest()}"


def convert_range(task: PartTask, queue: Any = None) -> PartOutcome:
    """Read one file (or one byte range of it) with the format reader; write one Parquet part."""
    src = open_storage(task.src_uri, **task.src_opts)
    dst = open_storage(task.dst_uri, **task.dst_opts)
    rep = _Reporter(task.dataset, queue)
    open_batches = resolve(task.reader)
    quarantine = _make_quarantine(task)
    kwargs: dict[str, Any] = {"quarantine": quarantine, "partition_values": task.partition_values}
    if task.byte_range is not None:
        kwargs["byte_range"] = task.byte_range
    wopts = task.writer_options
    if task.memory_bytes > 0:
        # This part's share of the run's memory budget: reader chunks (about four alive at once:
        # the one filling, the one parsing, a prefetched table, the one being written) and one
        # row group of Arrow data buffered by the writer.
        if "chunk_bytes" in _params(open_batches):
            kwargs["chunk_bytes"] = max(4 << 20, min(32 << 20, task.memory_bytes // 12))
        wopts = replace(wopts, row_group_bytes=max(8 << 20, min(wopts.row_group_bytes, task.memory_bytes // 3)))
    lo, hi = task.byte_range if task.byte_range is not None else (0, task.size)
    hasher = _RangeHasher(task.checksum, lo, hi) if task.checksum else None
    try:
        stream = open_batches(_CountingStore(src, rep, hasher), task.src_uri, task.fmt,
                              _arrow_schema(task.columns), **kwargs)
        with contextlib.ExitStack() as stack:
            if hasattr(stream, "__enter__"):
                stack.enter_context(stream)
            with ParquetPartWriter(dst, task.dst_uri, stream.schema, wopts) as pw:
                for batch in stream:
                    pw.write(batch)
                    rep.add(rows=batch.num_rows)
            res = pw.commit()
    finally:
        close = getattr(quarantine, "close", None)
        if close is not None:
            close()
    expected = (task.byte_range[1] - task.byte_range[0]) if task.byte_range else task.size
    counted = rep.sent_bytes + rep.bytes
    rep.add(max(expected - counted, 0), force=True)  # readers that bypass store.open: settle the rest
    rows_in, _, rows_q = _counts(stream.counts, res.rows)
    # The source bytes were hashed while the reader read them (the rest, if any, is read now).
    source_checksum = hasher.finish(src, task.src_uri) if hasher is not None else None
    return PartOutcome(task, rows_in=rows_in, rows_written=res.rows, rows_quarantined=rows_q, bytes_in=expected,
                       bytes_out=res.bytes_out, target_checksum=res.checksum, source_checksum=source_checksum,
                       schema=pw.schema)


def _counts(counts: Any, written: int) -> tuple[int, int, int]:
    if counts is None:
        return written, written, 0
    if isinstance(counts, dict):
        get = counts.get
    elif isinstance(counts, tuple) and len(counts) == 3:
        return int(counts[0]), int(counts[1]), int(counts[2])
    else:
        def get(k: str, d: Any = None) -> Any:
            return getattr(counts, k, d)
    rows_in = int(get("rows_in", written))
    rows_out = int(get("rows_out", written))
    rows_q = int(get("rows_quarantined", 0))
    return rows_in, rows_out, rows_q
