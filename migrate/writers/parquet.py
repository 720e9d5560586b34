"""Stream Arrow record batches into one Parquet file through an atomic ``Storage.writer``.

The file appears at its final name only after the Parquet footer is written and the writer closed
cleanly: ``ParquetWriter`` writes into ``pa.PythonFile`` over the ``AtomicWriter`` (a temp file, a
multipart upload), and ``commit()`` runs after ``ParquetWriter.close()``. Any exception aborts.

Readers hand us small batches (a CSV block is ~1 MiB); pyarrow turns every ``write_table`` call into
at least one row group, so batches are buffered up to ``row_group_rows`` / ``row_group_bytes`` to get
real row groups while keeping memory bounded by about one row group per open writer.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from migrate.storage.base import DEFAULT_CHECKSUM, AtomicWriter, Storage

if TYPE_CHECKING:  # imported where used: a copy-only run (which imports WriterOptions) never loads Arrow
    import pyarrow as pa


@dataclass(frozen=True)
class WriterOptions:
    compression: str = "zstd"
    compression_level: int | None = None  # None: the codec's default (zstd 1 in Arrow: fast)
    row_group_rows: int = 1 << 20
    row_group_bytes: int = 64 << 20  # Arrow memory buffered before a row group is flushed
    checksum: str = DEFAULT_CHECKSUM
    buffer_bytes: int = 4 << 20  # coalesces pyarrow's many small writes into few store writes
    dictionary: str = "auto"  # "auto": columns whose values usually repeat (see dictionary_columns); "all"; "none"


@dataclass(frozen=True)
class PartResult:
    uri: str
    rows: int
    bytes_out: int
    checksum: str  # of the Parquet bytes, computed while streaming


def storage_type(t: pa.DataType) -> pa.DataType:
    """``t`` in types every Parquet/Iceberg reader agrees on, inside structs, lists and maps too:
    timestamps in microseconds (Iceberg v2 has no ns), plain (not large) strings, binaries and lists."""
    import pyarrow as pa

    def field(f: pa.Field) -> pa.Field:
        return pa.field(f.name, storage_type(f.type), f.nullable, f.metadata)

    if pa.types.is_timestamp(t) and t.unit == "ns":
        return pa.timestamp("us", tz=t.tz)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_struct(t):
        return pa.struct([field(f) for f in t])
    if pa.types.is_map(t):
        return pa.map_(field(t.key_field), field(t.item_field), keys_sorted=t.keys_sorted)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t) \
            or pa.types.is_large_list_view(t):
        return pa.list_(field(t.value_field))
    return t


def storage_schema(schema: pa.Schema) -> pa.Schema:
    """Types every Parquet/Iceberg reader agrees on (``storage_type`` of each column)."""
    import pyarrow as pa

    fields = [pa.field(f.name, storage_type(f.type), f.nullable, f.metadata) for f in schema]
    return pa.schema(fields, metadata=schema.metadata)


def _repeats(t: pa.DataType) -> bool:
    import pyarrow as pa

    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return True
    if pa.types.is_date(t) or pa.types.is_dictionary(t):
        return True
    return pa.types.is_integer(t) and t.bit_width <= 32


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary encoding: strings, dates and small integers.

    Floats, timestamps, 64-bit integers and decimals are mostly distinct: Arrow would hash up to a
    dictionary page of them per row group and then fall back to plain encoding, CPU for nothing.
    Nested columns are left plain too (their leaves would need dotted paths).
    """
    return [f.name for f in schema if _repeats(f.type)]


class _CoalescingSink:
    """Gathers pyarrow's many small writes into ``size``-byte writes; drops writes once aborted."""

    def __init__(self, raw: AtomicWriter, size: int) -> None:
        self.raw, self.size, self.buf, self.aborted = raw, size, bytearray(), False
        self.closed = False

    def write(self, data: bytes | memoryview) -> int:
        if self.aborted:
            return len(data)
        self.buf += data
        if len(self.buf) >= self.size:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buf and not self.aborted:
            self.raw.write(self.buf)
        self.buf = bytearray()

    def tell(self) -> int:
        return self.raw.tell() + len(self.buf)

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


class ParquetPartWriter:
    """One Parquet file at ``uri``. Use as a context manager: a clean exit commits, an error aborts."""

    def __init__(self, store: Storage, uri: str, schema: pa.Schema, options: WriterOptions | None = None) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.store = store
        self.uri = uri
        self.options = options or WriterOptions()
        self.schema = storage_schema(schema)
        self._cast = not self.schema.equals(schema)
        self._raw: AtomicWriter = store.writer(uri, self.options.checksum)
        try:
            self._buffered = _CoalescingSink(self._raw, self.options.buffer_bytes)
            self._pw = pq.ParquetWriter(
                pa.PythonFile(self._buffered, mode="w"), self.schema,
                compression=self.options.compression, compression_level=self.options.compression_level,
                use_dictionary=dictionary_columns(self.schema) if self.options.dictionary == "auto"
                else self.options.dictionary == "all",
                write_statistics=True,
            )
        except BaseException:
            self._raw.abort()
            raise
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        self.rows = 0
        self.result: PartResult | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        if self._cast:
            batch = batch.cast(self.schema)
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self._pending_bytes += batch.nbytes
        self.rows += batch.num_rows
        if self._pending_rows >= self.options.row_group_rows or self._pending_bytes >= self.options.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        import pyarrow as pa

        table = pa.Table.from_batches(self._pending, self.schema)
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
        self._pw.write_table(table, row_group_size=max(table.num_rows, 1))

    def commit(self) -> PartResult:
        if self.result is not None:
            return self.result
        try:
            self._flush()
            self._pw.close()  # writes the footer; a sink we passed in is left open
            self._buffered.flush()
            put = self._raw.commit()
        except BaseException:
            self.abort()
            raise
        self.result = PartResult(self.uri, self.rows, put.info.size or self._raw.tell(), put.checksum)
        return self.result

    def abort(self) -> None:
        self._pending = []
        self._buffered.aborted = True  # nothing the closing writer flushes may reach the store
        self._raw.abort()
        with contextlib.suppress(Exception):
            self._pw.close()

    def __enter__(self) -> ParquetPartWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if et is None:
            self.commit()
        else:
            self.abort()
