"""The two sides of a dataset as the validators see them: source files and target data files.

The source is listed fresh and read with the same readers as the copy (``migrate.formats``), its
quarantine rules included. The target is the Parquet files under the dataset's target folder, or the
data files of the Iceberg table's current snapshot (listed through pyiceberg, read here in batches
of ``BATCH_ROWS``; a file with delete files is read through pyiceberg's own scan). Each file belongs to a
partition (``k=v/k2=v2`` of its folders, None for an unpartitioned dataset), and a target file written
by the copy names the source version it came from (``migrate.layout.part_version``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from migrate.errors import MigrateError, NotFound, TerminalError
from migrate.layout import hidden, part_version, partition_values, rel_path, version_key
from migrate.storage import Storage, open_storage
from migrate.storage.base import FileInfo
from migrate.storage.local import TMP_MARK

PREFETCH_BYTES = 16 << 20
BATCH_ROWS = 256 * 1024  # rows hashed per DuckDB call: fewer calls, bounded memory
CHUNK_BYTES = 8 << 20  # source text read per parse (the reader holds about three)


def partition_key(values: dict[str, str | None] | None, columns: list[str]) -> str | None:
    """``dt=2024-01-01/country=fr`` (None when the dataset has no partition columns)."""
    if not columns:
        return None
    vals = values or {}
    return "/".join(f"{c}={'__HIVE_DEFAULT_PARTITION__' if vals.get(c) is None else vals[c]}" for c in columns)


@dataclass
class SourceFile:
    info: FileInfo
    rel: str
    version: str
    partition: str | None
    pvalues: dict[str, str | None] | None

    @property
    def uri(self) -> str:
        return self.info.uri

    @property
    def cache_key(self) -> str:
        """The ledger's source version (plus the ETag where the store lists one)."""
        return f"{self.uri}\0{self.version}\0{self.info.native_checksum or ''}"


@dataclass
class TargetFile:
    uri: str
    size: int
    mtime: float
    partition: str | None
    version: str | None  # the source version in the file name (our part files), else None
    rows: int | None = None  # from the Iceberg manifest when known
    task: Any = None  # Iceberg FileScanTask when the file has delete files (read through pyiceberg)
    etag: str | None = None  # the store's own checksum (S3 ETag) when it lists one

    @property
    def cache_key(self) -> str:
        """Changes whenever the file is rewritten (size, mtime, and the ETag where the store has one)."""
        return f"{self.uri}\0{self.size}\0{round(self.mtime * 1e6)}\0{self.etag or ''}"


@dataclass
class SourceSide:
    root: str
    options: dict[str, Any]
    store: Storage
    files: list[SourceFile]
    unpartitioned: list[tuple[str, str]] = field(default_factory=list)  # (uri, error) of files with bad folders


@dataclass
class TargetSide:
    kind: str
    root: str  # folder of the Parquet files, or the Iceberg table's data folder
    description: str  # what the report names: the folder URI or namespace.table
    files: list[TargetFile]
    schema: pa.Schema | None  # the table's schema (Iceberg), else None (read from the files)
    hidden_files: int = 0
    table: Any = None
    _stores: dict[str, Storage] = field(default_factory=dict)
    _plan: Any = None
    _options: dict[str, Any] = field(default_factory=dict)

    def store_for(self, uri: str) -> tuple[Storage, str]:
        """(a Storage that reads ``uri``, the URI to give it)."""
        if self.kind != "iceberg":
            key = "root"
            if key not in self._stores:
                self._stores[key] = open_storage(self.root, **self._options)
            return self._stores[key], uri
        from migrate import iceberg

        u, opts = iceberg.storage_for_location(self._plan, uri)
        scheme = u.split("://", 1)[0]
        if scheme not in self._stores:
            self._stores[scheme] = open_storage(u, **opts)
        return self._stores[scheme], u


def list_source(plan: Any, ds: Any) -> SourceSide:
    """Every file the copy would consider, with its current version: hidden bookkeeping files (``_SUCCESS``,
    ``.crc``) are left out of conversions, and copied like any file by a ``copy`` target."""
    root, opts = plan.location(ds.source.store, ds.source.path)
    store = open_storage(root, **opts)
    try:
        listing = [f for f in store.walk(root) if not f.is_dir]
    except NotFound:
        raise NotFound(f"dataset {ds.name}: source folder {root} does not exist (store {ds.source.store}, "
                       f"path {ds.source.path!r})", root) from None
    if not listing:
        try:
            store.stat(root)
        except NotFound:
            raise NotFound(f"dataset {ds.name}: source folder {root} does not exist", root) from None
    as_is = ds.target.kind == "copy"  # bytes as-is: no partition values either
    cols = [] if as_is else list(ds.partition_columns or [])
    side = SourceSide(root, opts, store, [])
    for f in listing:
        rel = rel_path(root, f.uri)
        if (TMP_MARK in rel) if as_is else hidden(rel):
            continue
        try:
            pv = partition_values(rel, cols)
        except TerminalError as exc:
            side.unpartitioned.append((f.uri, str(exc)))
            continue
        side.files.append(SourceFile(f, rel, version_key(f.uri, f.size, f.mtime), partition_key(pv, cols), pv))
    side.files.sort(key=lambda s: s.uri)
    return side


def _folder_partition(rel: str, cols: list[str]) -> str | None:
    if not cols:
        return None
    try:
        return partition_key(partition_values(rel, cols), cols)
    except TerminalError:
        return "(no partition folder)"


def list_target(plan: Any, ds: Any, *, catalog: Any = None) -> TargetSide:
    """The target's data files (Parquet folder, or the Iceberg table's current snapshot)."""
    cols = list(ds.partition_columns or [])
    if ds.target.kind == "iceberg":
        return _list_iceberg(plan, ds, cols, catalog)
    root, opts = plan.location(ds.target.store, ds.target.path or "")
    store = open_storage(root, **opts)
    try:
        listing = [f for f in store.walk(root) if not f.is_dir]
    except NotFound:
        listing = []
    side = TargetSide("parquet", root, root, [], None, _options=opts)
    side._stores["root"] = store
    for f in sorted(listing, key=lambda f: f.uri):
        rel = rel_path(root, f.uri)
        if hidden(rel):
            side.hidden_files += 1
            continue
        side.files.append(TargetFile(f.uri, f.size, f.mtime, _folder_partition(rel, cols), part_version(f.name),
                                     etag=f.native_checksum))
    return side


def _list_iceberg(plan: Any, ds: Any, cols: list[str], catalog: Any) -> TargetSide:
    from migrate import iceberg

    cat = catalog or iceberg.load_catalog(plan, state_dir=plan.state_dir)
    ident = ds.target.table
    try:
        table = cat.load_table(ident)
    except Exception as exc:  # NoSuchTableError and the REST catalog's variants
        if "NoSuchTable" in type(exc).__name__ or "not exist" in str(exc).lower() or "not found" in str(exc).lower():
            raise NotFound(f"dataset {ds.name}: iceberg table {ident} does not exist (not copied yet?)") from None
        raise
    from migrate.writers.parquet import storage_schema

    schema = storage_schema(table.schema().as_arrow())
    location = str(table.location()).rstrip("/")
    data_root = location + "/data"
    side = TargetSide("iceberg", data_root, ident, [], schema, table=table, _plan=plan)
    if table.current_snapshot() is None:
        return side
    # Size, mtime and ETag of the data files as the store has them now (the manifests say what was written).
    seen: dict[str, FileInfo] = {}
    with contextlib.suppress(NotFound):
        store, root = side.store_for(data_root)
        for listed in store.walk(root):
            seen[_norm(listed.uri)] = listed
    for task in table.scan().plan_files():
        df = task.file
        path = str(df.file_path)
        name = path.rsplit("/", 1)[-1]
        if path.startswith(data_root + "/"):
            part = _folder_partition(rel_path(data_root, path), cols)
        else:  # written elsewhere: the partition tuple the manifest records
            part = _record_partition(df, table, cols)
        info: FileInfo | None = seen.get(_norm(path))
        if info is None:
            with contextlib.suppress(NotFound):
                store, u = side.store_for(path)
                info = store.stat(u)
        side.files.append(TargetFile(path, info.size if info else int(df.file_size_in_bytes),
                                     info.mtime if info else 0.0, part, part_version(name),
                                     rows=int(df.record_count), task=task if task.delete_files else None,
                                     etag=info.native_checksum if info else None))
    side.files.sort(key=lambda f: f.uri)
    return side


def _norm(uri: str) -> str:
    """One spelling per location (pyiceberg may write s3a:// or a bare path; our stores list s3:// / file://)."""
    if uri.startswith("s3a://"):
        return "s3://" + uri[6:]
    if uri.startswith("/"):
        return "file://" + uri
    return uri


def _record_partition(df: Any, table: Any, cols: list[str]) -> str | None:
    if not cols:
        return None
    values: dict[str, str | None] = {}
    with contextlib.suppress(Exception):
        spec = table.specs()[df.spec_id]
        for i, pf in enumerate(spec.fields):
            v = df.partition[i]
            values[pf.name] = None if v is None else str(v)
    return partition_key(values, cols)


def read_target(side: TargetSide, f: TargetFile, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The rows of target file ``f``, ``BATCH_ROWS`` at a time (in file order)."""
    if f.task is not None:  # has delete files: let pyiceberg apply them
        from pyiceberg.expressions import AlwaysTrue
        from pyiceberg.io.pyarrow import ArrowScan

        t = side.table
        scan = ArrowScan(t.metadata, t.io, t.schema(), AlwaysTrue())
        for batch in scan.to_record_batches([f.task]):
            yield pa.Table.from_batches([batch])
        return
    import pyarrow.parquet as pq

    from migrate.storage.seekable import open_seekable

    store, uri = side.store_for(f.uri)
    with open_seekable(store, uri) as fh:
        pf = pq.ParquetFile(fh)
        # Decoded BATCH_ROWS at a time (a whole row group decoded is ~4x its compressed bytes), on the
        # calling thread: the validation's workers already read files in parallel.
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=columns, use_threads=False):
            yield pa.Table.from_batches([batch])


def target_schema(side: TargetSide, f: TargetFile) -> pa.Schema:
    """The Arrow schema stored in target file ``f`` (its footer)."""
    import pyarrow.parquet as pq

    from migrate.storage.seekable import open_seekable

    store, uri = side.store_for(f.uri)
    with open_seekable(store, uri) as fh:
        return pq.ParquetFile(fh).schema_arrow


def read_source(side: SourceSide, sf: SourceFile, ds: Any, schema: pa.Schema | None, quarantine: Any,
                byte_range: tuple[int, int] | None = None, prefetch: bool = True) -> Any:
    """A BatchStream over source file ``sf`` (or one byte range of it, see ``source_ranges``): the copy's
    reader, with the copy's quarantine rules. ``prefetch=False`` when parts already run in parallel: a
    chunk parsed ahead costs memory and no time then."""
    from migrate.formats import open_batches

    size = sf.info.size if byte_range is None else byte_range[1] - byte_range[0]
    kwargs: dict[str, Any] = {} if byte_range is None else {"byte_range": byte_range}
    # Parsing one chunk ahead on a thread pays off on big files only; a small file is read at once.
    return open_batches(side.store, sf.uri, ds.format, schema, quarantine=quarantine,
                        partition_values=sf.pvalues, prefetch=prefetch and size > PREFETCH_BYTES,
                        batch_size=BATCH_ROWS, chunk_bytes=CHUNK_BYTES, **kwargs)


SPLITTABLE = frozenset({"csv", "tsv", "hive_text", "parquet", "orc"})


def source_ranges(side: SourceSide, sf: SourceFile, ds: Any, *, split_bytes: int, workers: int,
                  ) -> list[tuple[int, int] | None]:
    """Parts of ``sf`` to read in parallel, as the copy splits files (``migrate.formats.split_ranges``):
    byte ranges of uncompressed text (quoted text cut at record starts), row groups / stripes of Parquet
    and ORC. ``[None]``: whole."""
    fmt = ds.format
    kind = str(getattr(fmt.kind, "value", fmt.kind))
    if (kind not in SPLITTABLE or sf.info.size <= split_bytes
            or getattr(fmt, "compression", "none") not in ("none", "auto")):
        return [None]
    from migrate.formats import range_bytes, split_ranges

    try:
        got = split_ranges(side.store, sf.uri, fmt, range_bytes(sf.info.size, split_bytes, workers))
    except MigrateError:
        return [None]
    return [(int(a), int(b)) for a, b in got] if len(got) > 1 else [None]
