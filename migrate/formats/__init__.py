"""Readers: any supported source file -> Arrow record batches in the plan's schema, bounded memory.

API (everything the copy engine needs)::

    q = Quarantine("state/quarantine/worker-1.jsonl")
    stream = open_batches(store, uri, fmt, schema, quarantine=q,
                          partition_values=partition_values_from_path(uri, dataset_root))
    with stream:
        writer = pq.ParquetWriter(sink, stream.schema)
        for batch in stream:            # pa.RecordBatch, exactly stream.schema
            writer.write_batch(batch)
    stream.counts                       # FileCounts(rows_in, rows_out, rows_quarantined), balanced

- ``fmt`` is the plan's FormatSpec (or anything with its attribute names, see ``types.FormatLike``).
- ``schema`` is ``arrow_schema(dataset.schema)`` or None: None keeps the native schema of typed formats
  (Avro, ORC, Parquet) and infers one for text formats from the first MiB (``infer.py``).
- Partition columns: ``partition_values`` (decoded ``k=v`` folder values; None derives them from every
  ``k=v`` folder of ``uri``, ``{}`` disables) become constant columns, typed by ``schema`` when it names
  them, else strings appended after the data columns.
- A value that does not fit its type, a null in a non-nullable column and a ragged line are never
  nulled or dropped silently: the row goes to ``quarantine`` with file, line (text) or record/offset
  (binary formats), column, value and reason, and is counted in ``counts.rows_quarantined``.
- ``byte_range=(start, end)`` reads the records that start in that range of an uncompressed delimited
  or JSON lines file; ``split_ranges`` proposes ranges (or one whole-file range, with ``split_refusal_for`` saying
  why). Ranges of quoted or escaped text must come from ``split_ranges``: it cuts them at record starts.
- Parsing runs one chunk ahead on a background thread (``prefetch``) so the consumer (the Parquet
  writer) and the parser overlap; memory stays at about three chunks (``chunk_bytes``, 32 MiB) plus
  the decoded tables. ``counts`` is final once iteration ends.

Errors: FormatError (corrupt or unreadable input, naming the file), UnsupportedError (codec, encoding,
value class, conversion that does not exist), storage errors from the store.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Protocol

import pyarrow as pa

from migrate.errors import UnsupportedError
from migrate.formats.compression import open_decompressed
from migrate.formats.convert import FileCounts, Target
from migrate.formats.delimited import (
    DEFAULT_CHUNK_BYTES,
    DelimitedSource,
    TextOptions,
    even_ranges,
    fmt_attr,
    split_refusal,
    text_ranges,
)
from migrate.formats.quarantine import Quarantine
from migrate.formats.types import (
    ColumnLike,
    FormatLike,
    arrow_schema,
    arrow_type,
    parse_partition_value,
    partition_values_from_path,
)
from migrate.storage.base import Storage

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "BatchStream",
    "ColumnLike",
    "FileCounts",
    "FormatLike",
    "Quarantine",
    "arrow_schema",
    "arrow_type",
    "open_batches",
    "parse_partition_value",
    "partition_values_from_path",
    "split_ranges",
    "split_refusal_for",
]

DEFAULT_BATCH_ROWS = 128 * 1024
TEXT_KINDS = ("csv", "tsv", "hive_text")
COLUMNAR_KINDS = ("orc", "parquet")  # split by row group / stripe (``columnar.py``)


class Source(Protocol):
    target: Target

    def tables(self) -> Iterator[pa.Table]: ...


_DONE = object()


class BatchStream:
    """Iterable of record batches for one file, with ``.schema`` and ``.counts``. Iterate once."""

    def __init__(self, source: Source, counts: FileCounts, *, batch_size: int, prefetch: bool) -> None:
        self._source = source
        self.counts = counts
        self.batch_size = batch_size
        self._prefetch = prefetch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._used = False

    @property
    def schema(self) -> pa.Schema:
        return self._source.target.out_schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if self._used:
            raise RuntimeError("a BatchStream can be iterated only once")
        self._used = True
        tables = self._threaded() if self._prefetch else self._source.tables()
        for t in tables:
            yield from t.to_batches(max_chunksize=self.batch_size)

    def _threaded(self) -> Iterator[pa.Table]:
        q: queue.Queue[Any] = queue.Queue(maxsize=1)

        def put(item: Any) -> bool:
            while not self._stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def run() -> None:
            gen = self._source.tables()
            try:
                for t in gen:
                    if not put(t):
                        break
            except BaseException as exc:
                put(exc)
                return
            finally:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()
            put(_DONE)

        self._thread = threading.Thread(target=run, name="migrate-formats-prefetch", daemon=True)
        self._thread.start()
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join()
        self._thread = None

    def __enter__(self) -> BatchStream:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _kind(fmt: FormatLike) -> str:
    return str(fmt_attr(fmt, "kind", "csv")).lower()


def open_batches(
    store: Storage,
    uri: str,
    fmt: FormatLike,
    schema: pa.Schema | None,
    *,
    quarantine: Quarantine,
    partition_values: Mapping[str, str | None] | None = None,
    byte_range: tuple[int, int] | None = None,
    batch_size: int = DEFAULT_BATCH_ROWS,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    quoted_newlines: bool = True,
    prefetch: bool = True,
) -> BatchStream:
    """A stream of record batches of ``uri`` converted to ``schema`` (see the module docstring)."""
    kind = _kind(fmt)
    if partition_values is None:
        partition_values = partition_values_from_path(uri)
    target = Target(schema, partition_values, uri)
    counts = FileCounts()
    source: Source
    if kind in TEXT_KINDS:
        opts = TextOptions.from_format(fmt, quoted_newlines=quoted_newlines)
        src = DelimitedSource(store, uri, opts, target, quarantine=quarantine, counts=counts,
                              byte_range=byte_range, chunk_bytes=chunk_bytes)
        if schema is None:
            src.infer()
        source = src
    elif kind in COLUMNAR_KINDS:
        from migrate.formats.columnar import ColumnarSource

        source = ColumnarSource(kind, store, uri, target, quarantine=quarantine, counts=counts,
                                batch_size=batch_size, byte_range=byte_range)
    elif kind == "jsonl":  # a newline always ends a record (JSON strings cannot hold one): any range works
        from migrate.formats.jsonl import JsonlSource

        source = JsonlSource(store, uri, fmt, target, quarantine=quarantine, counts=counts,
                             chunk_bytes=chunk_bytes, byte_range=byte_range)
    elif byte_range is not None:
        raise UnsupportedError(f"byte ranges are only supported for delimited text, JSON lines, Parquet and ORC, "
                               f"not {kind} ({uri})")
    elif kind == "avro":
        from migrate.formats.avro import AvroSource

        source = AvroSource(store, uri, target, quarantine=quarantine, counts=counts, batch_size=batch_size)
    elif kind == "sequencefile":
        from migrate.formats.sequencefile import SequenceFileSource

        source = SequenceFileSource(store, uri, fmt, target, quarantine=quarantine, counts=counts,
                                    chunk_bytes=chunk_bytes)
    else:
        raise UnsupportedError(f"unknown format kind {kind!r} for {uri}")
    return BatchStream(source, counts, batch_size=batch_size, prefetch=prefetch)


def split_refusal_for(store: Storage, uri: str, fmt: FormatLike) -> str | None:
    """Why ``uri`` cannot be split into byte ranges (None when it can; Parquet and ORC: by unit).

    Quoted text can be split: ``split_ranges`` cuts it at record starts found by quote parity (and
    keeps it whole only when some quote stands where RFC 4180 quoting puts none).
    """
    if _kind(fmt) in COLUMNAR_KINDS:
        return None
    if _kind(fmt) == "jsonl":  # cut anywhere: a range reads the lines that start in it
        stream, codec = open_decompressed(lambda: store.open(uri, 0, 4), uri,
                                          str(fmt_attr(fmt, "compression", "auto")))
        stream.close()
        return split_refusal(codec)
    if _kind(fmt) not in TEXT_KINDS:
        return f"{_kind(fmt)} files are not split by byte range"
    opts = TextOptions.from_format(fmt)
    stream, codec = open_decompressed(lambda: store.open(uri, 0, 4), uri, opts.compression)
    stream.close()
    return split_refusal(codec)


def range_bytes(size: int, max_bytes: int, workers: int) -> int:
    """The range size that cuts ``size`` bytes into a multiple of ``workers`` ranges of at most ``max_bytes``:
    balanced work (5 ranges on 2 workers leave one core idle while the fifth is read alone)."""
    workers = max(1, workers)
    n = max(workers, -(-size // max(1, max_bytes)))
    n = -(-n // workers) * workers
    return -(-size // n)


def split_ranges(store: Storage, uri: str, fmt: FormatLike, target_bytes: int, *, workers: int | None = None,
                 ) -> list[tuple[int, int]]:
    """Byte ranges of about ``target_bytes`` that together read every row of ``uri`` exactly once.

    Returns one whole-file range when the file cannot be split (``split_refusal_for`` says why).
    Ranges of quoted or escaped text start at record starts (one parallel pass over the file on
    ``workers`` threads counts the quotes before each cut), so a quoted newline never splits a record.
    """
    if _kind(fmt) in COLUMNAR_KINDS:  # cut between row groups / stripes
        from migrate.formats.columnar import split_columnar

        return split_columnar(store, uri, _kind(fmt), target_bytes)
    size = store.stat(uri).size
    if split_refusal_for(store, uri, fmt) is not None:
        return [(0, size)]
    if _kind(fmt) == "jsonl":
        return even_ranges(size, target_bytes)
    return text_ranges(store, uri, TextOptions.from_format(fmt), size, target_bytes,
                       workers=workers or min(4, os.cpu_count() or 2))
