"""Iceberg targets through pyiceberg: catalogs from the plan, tables from Arrow schemas, idempotent appends.

The engine writes Parquet data files itself (atomic, resumable, in parallel) and registers them here
in one snapshot per batch of source files. Each snapshot's summary names what it brought in:

- ``migrate.source-keys``: comma-separated content-version keys of the source files (always complete;
  the duplicate check reads these, so a crash between the table commit and the ledger update can
  never register a file twice)
- ``migrate.source-files``: compact JSON ``[[uri, checksum], ...]`` for people, replaced by its sha256
  and count when longer than ``MAX_PROPERTY_CHARS``

Credentials come only from environment variables named in the plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from migrate.errors import AuthError, ConfigError

KEYS_PROPERTY = "migrate.source-keys"
FILES_PROPERTY = "migrate.source-files"
DATASET_PROPERTY = "migrate.dataset"
MAX_PROPERTY_CHARS = 32_000


def _env(name: str | None, what: str) -> str | None:
    if not name:
        return None
    value = os.environ.get(name)
    if value is None:
        raise ConfigError(f"{what}: environment variable {name} is not set")
    return value


def s3_properties(options: dict[str, Any]) -> dict[str, str]:
    """pyiceberg FileIO properties from our S3 storage options (env var names resolved here).

    Also defaults ``AWS_REQUEST_CHECKSUM_CALCULATION=when_required`` for this process (as our boto3
    client does): the AWS C++ SDK under pyarrow's S3 FileIO otherwise streams uploads with checksum
    trailers and no Content-Length, which S3-compatible servers such as the JuiceFS gateway refuse (411).
    """
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    props: dict[str, str] = {"s3.path-style-access": "true"}
    if options.get("endpoint_url"):
        props["s3.endpoint"] = options["endpoint_url"]
    props["s3.region"] = options.get("region") or "us-east-1"
    key = _env(options.get("access_key_id_env"), "iceberg s3 access key")
    secret = _env(options.get("secret_access_key_env"), "iceberg s3 secret key")
    token = _env(options.get("session_token_env"), "iceberg s3 session token")
    if key and secret:
        props["s3.access-key-id"] = key
        props["s3.secret-access-key"] = secret
    if token:
        props["s3.session-token"] = token
    if options.get("profile"):
        props["s3.profile-name"] = options["profile"]
    return props


def sqlite_settings(plan: Any, *, state_dir: str | os.PathLike[str] | None = None) -> tuple[str, str] | None:
    """(SQLAlchemy uri, warehouse) of the plan's SQLite catalog, None for a REST catalog. Imports nothing."""
    spec = plan.resolved_catalog() if hasattr(plan, "resolved_catalog") else plan.catalog
    if spec is not None and spec.kind != "sqlite":
        return None
    base = os.fspath(state_dir) if state_dir is not None else None
    uri = spec.uri if spec is not None and spec.uri else f"sqlite:///{base}/catalog.db"
    warehouse = spec.warehouse if spec is not None and spec.warehouse else f"file://{base}/warehouse"
    if base is not None and spec is not None and plan.catalog is None:
        # No catalog in the plan: keep it next to this run's ledger.
        uri, warehouse = f"sqlite:///{base}/catalog.db", f"file://{base}/warehouse"
    return uri, warehouse


def load_catalog(plan: Any, *, state_dir: str | os.PathLike[str] | None = None, name: str = "migrate") -> Any:
    """The plan's catalog: SQLite (default, in state_dir, warehouse on a local folder) or REST."""
    spec = plan.resolved_catalog() if hasattr(plan, "resolved_catalog") else plan.catalog
    sql = sqlite_settings(plan, state_dir=state_dir)
    if sql is not None:
        from pyiceberg.catalog.sql import SqlCatalog

        uri, warehouse = sql
        os.makedirs(os.path.dirname(uri.removeprefix("sqlite:///")) or ".", exist_ok=True)
        if warehouse.startswith("file://"):
            os.makedirs(warehouse.removeprefix("file://"), exist_ok=True)
        fileio: dict[str, str] = {}
        if spec is not None and spec.s3_store:  # tables on S3: the FileIO needs the endpoint and keys
            fileio = s3_properties(plan.location(spec.s3_store, "")[1])
        return SqlCatalog(name, uri=uri, warehouse=warehouse, **fileio)
    from pyiceberg.catalog.rest import RestCatalog

    props: dict[str, str] = {"uri": spec.uri}
    if spec.warehouse:
        props["warehouse"] = spec.warehouse
    cred = _env(spec.credential_env, f"catalog {spec.uri} credential")
    if cred:
        props["credential"] = cred
    if spec.s3_store:
        props.update(s3_properties(plan.location(spec.s3_store, "")[1]))
    from pyiceberg.exceptions import OAuthError, UnauthorizedError

    try:
        return RestCatalog(name, **props)  # exchanges the credential for a token at once
    except (OAuthError, UnauthorizedError) as exc:
        # pyiceberg says only "invalid_client": name the catalog and where the credential came from.
        where = f"from env {spec.credential_env}" if spec.credential_env else "none given (catalog.credential_env)"
        raise AuthError(f"Iceberg REST catalog {spec.uri} refused the credential ({where}): "
                        f"{type(exc).__name__}: {exc}", spec.uri) from None


class SharedCatalogs:
    """The catalogs of one run, each opened once and shared by all its datasets.

    Importing pyiceberg and SQLAlchemy and opening a catalog take seconds; a plan with hundreds of
    Iceberg datasets pays that once instead of once per table. ``prefetch`` starts the opening on a
    background thread, so the first dataset's conversion overlaps it. Namespaces known to exist are
    remembered (one create_namespace round trip per namespace, not per table).
    """

    def __init__(self) -> None:
        import threading
        from concurrent.futures import Future, ThreadPoolExecutor

        self._lock = threading.Lock()
        self._opening: dict[str, Future[Any]] = {}
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="migrate-catalogs")
        self.namespaces: set[tuple[int, str]] = set()  # (id of an open catalog, namespace) known to exist

    @staticmethod
    def key(plan: Any, state_dir: str | os.PathLike[str] | None) -> str:
        spec = plan.resolved_catalog() if hasattr(plan, "resolved_catalog") else plan.catalog
        return repr((spec, sqlite_settings(plan, state_dir=state_dir), os.fspath(state_dir or "")))

    def prefetch(self, plan: Any, state_dir: str | os.PathLike[str] | None) -> None:
        """Start opening the plan's catalog (returns at once)."""
        k = self.key(plan, state_dir)
        with self._lock:
            if k not in self._opening:
                self._opening[k] = self._pool.submit(_open_for_commits, plan, state_dir)

    def get(self, plan: Any, state_dir: str | os.PathLike[str] | None) -> Any:
        """The plan's catalog, opened once (waits for a prefetch under way; raises its error)."""
        self.prefetch(plan, state_dir)
        with self._lock:
            fut = self._opening[self.key(plan, state_dir)]
        return fut.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for fut in self._opening.values():
            if fut.done() and fut.exception() is None:
                engine = getattr(fut.result(), "engine", None)  # SqlCatalog: release its SQLite connections
                if engine is not None:
                    with contextlib.suppress(Exception):
                        engine.dispose()


def _open_for_commits(plan: Any, state_dir: str | os.PathLike[str] | None) -> Any:
    """The catalog, with what its commits import (pyiceberg's pyarrow FileIO pulls in pyarrow.dataset and
    pandas: seconds) loaded here on the background thread rather than by the first commit."""
    catalog = load_catalog(plan, state_dir=state_dir)
    import pyiceberg.io.pyarrow
    import pyiceberg.table  # noqa: F401

    return catalog


_shared: SharedCatalogs | None = None


@contextlib.contextmanager
def shared_catalogs() -> Any:
    """Within: every dataset of this process opens its Iceberg catalog once (``SharedCatalogs``)."""
    global _shared
    outer, _shared = _shared, (_shared or SharedCatalogs())
    try:
        yield _shared
    finally:
        if outer is None:
            _shared.close()
        _shared = outer


def active_catalogs() -> SharedCatalogs | None:
    """The run's shared catalogs, when a ``shared_catalogs`` block is open."""
    return _shared


def catalog_for(plan: Any, state_dir: str | os.PathLike[str] | None) -> Any:
    """The plan's catalog: the run's shared one when sharing, else a newly opened one."""
    shared = _shared
    return shared.get(plan, state_dir) if shared is not None else load_catalog(plan, state_dir=state_dir)


@dataclass(frozen=True)
class TablePeek:
    """What a SQLite catalog says about a table, read without pyiceberg (see ``peek_sqlite_table``)."""

    exists: bool
    location: str | None  # the table's location when it exists, else the catalog's default for it
    warehouse: str


def peek_sqlite_table(plan: Any, identifier: str, *, state_dir: str | os.PathLike[str] | None = None,
                      name: str = "migrate") -> TablePeek | None:
    """Whether ``identifier`` exists in the plan's SQLite catalog and where it lives, in milliseconds.

    Reads the catalog database (the JDBC/pyiceberg SQL catalog layout: ``iceberg_tables``,
    ``iceberg_namespace_properties``) read-only with ``sqlite3`` and the table's metadata JSON, so
    the engine knows where data files go before pyiceberg and SQLAlchemy are even imported. None when
    it cannot tell (REST catalog, another database, an unexpected layout): ask the catalog then.
    """
    sql = sqlite_settings(plan, state_dir=state_dir)
    if sql is None or not sql[0].startswith("sqlite:///"):
        return None
    db, warehouse = sql[0].removeprefix("sqlite:///"), sql[1].rstrip("/")
    namespace, _, table = identifier.rpartition(".")
    if not namespace or db in ("", ":memory:"):
        return None
    default = f"{warehouse}/{namespace}/{table}"  # pyiceberg's default: warehouse/namespace/table
    if not os.path.exists(db):
        return TablePeek(False, default, warehouse)
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "iceberg_tables" not in tables:
                return TablePeek(False, default, warehouse)
            cols = {r[1] for r in con.execute("PRAGMA table_info(iceberg_tables)")}
            query = ("SELECT metadata_location FROM iceberg_tables WHERE catalog_name=? AND table_namespace=?"
                     " AND table_name=?")
            if "iceberg_type" in cols:  # pyiceberg's filter: tables, not views
                query += " AND (iceberg_type IS NULL OR iceberg_type='TABLE')"
            row = con.execute(query, (name, namespace, table)).fetchone()
            if row is None:
                if "iceberg_namespace_properties" in tables:
                    loc = con.execute(
                        "SELECT property_value FROM iceberg_namespace_properties WHERE catalog_name=? AND"
                        " namespace=? AND property_key='location'", (name, namespace)).fetchone()
                    if loc is not None and loc[0]:
                        default = f"{str(loc[0]).rstrip('/')}/{table}"
                return TablePeek(False, default, warehouse)
        finally:
            con.close()
        if not row[0]:
            return None
        location = _metadata_location_field(plan, str(row[0]))
    except Exception:  # any surprise: let the catalog answer
        return None
    return TablePeek(True, location, warehouse) if location else None


def _metadata_location_field(plan: Any, metadata_uri: str) -> str | None:
    """The ``location`` of a table metadata JSON file (local or on S3; gzip-compressed or not)."""
    import gzip

    if metadata_uri.startswith("file://") or metadata_uri.startswith("/"):
        with open(metadata_uri.removeprefix("file://"), "rb") as f:
            raw = f.read()
    else:
        from migrate.storage import open_storage

        uri, opts = storage_for_location(plan, metadata_uri)
        raw = open_storage(uri, **opts).read_bytes(uri)
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    location = json.loads(raw).get("location")
    return str(location).rstrip("/") if location else None


def storage_for_location(plan: Any, location: str) -> tuple[str, dict[str, Any]]:
    """(uri, open_storage options) to write data files under a table location."""
    if location.startswith("file://") or location.startswith("/"):
        return (location if location.startswith("file://") else "file://" + location), {}
    if location.startswith(("s3://", "s3a://")):
        spec = plan.resolved_catalog() if hasattr(plan, "resolved_catalog") else plan.catalog
        opts: dict[str, Any] = {}
        if spec is not None and spec.s3_store:
            opts = dict(plan.location(spec.s3_store, "")[1])
        return "s3://" + location.split("://", 1)[1], opts
    raise ConfigError(f"no storage for iceberg table location {location} (pyiceberg reaches tables through "
                      "file:// or s3://: for JuiceFS use its mount, or an s3 store on its gateway as catalog.s3_store)")


def iceberg_arrow_schema(schema: pa.Schema) -> pa.Schema:
    """Arrow types Iceberg v2 accepts (microsecond timestamps, plain strings)."""
    from migrate.writers.parquet import storage_schema

    return storage_schema(schema)


def ensure_namespace(catalog: Any, namespace: str) -> None:
    """Create ``namespace`` unless it exists (asked once per run and catalog when catalogs are shared)."""
    from pyiceberg.exceptions import NamespaceAlreadyExistsError

    shared = _shared
    if shared is not None and (id(catalog), namespace) in shared.namespaces:
        return
    try:
        catalog.create_namespace(namespace)
    except NamespaceAlreadyExistsError:
        pass
    except Exception as exc:  # some REST servers answer differently for an existing namespace
        if "exist" not in str(exc).lower():
            raise
    if shared is not None:
        shared.namespaces.add((id(catalog), namespace))


def table_spec(schema: pa.Schema, partition_columns: Sequence[str] = (), location: str | None = None,
               dataset: str | None = None) -> dict[str, Any]:
    """``create_table`` arguments: the Iceberg schema (fresh ids 1..n in column order, so the partition
    spec can name source ids), identity partitions on ``partition_columns``, location, properties."""
    from pyiceberg.io.pyarrow import _pyarrow_to_schema_without_ids
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import assign_fresh_schema_ids
    from pyiceberg.transforms import IdentityTransform

    ice = assign_fresh_schema_ids(_pyarrow_to_schema_without_ids(iceberg_arrow_schema(schema)))
    kwargs: dict[str, Any] = {"schema": ice, "properties": {"format-version": "2"}}
    if dataset:
        kwargs["properties"][DATASET_PROPERTY] = dataset
    if location:
        kwargs["location"] = location
    if partition_columns:
        kwargs["partition_spec"] = PartitionSpec(*[
            PartitionField(source_id=ice.find_field(c).field_id, field_id=1000 + i,
                           transform=IdentityTransform(), name=c)
            for i, c in enumerate(partition_columns)
        ])
    return kwargs


def ensure_table(catalog: Any, identifier: str, schema: pa.Schema, partition_columns: Sequence[str] = (),
                 location: str | None = None, dataset: str | None = None, *, known_absent: bool = False) -> Any:
    """Load ``identifier`` or create it from ``schema`` with identity partitions on ``partition_columns``.

    ``known_absent``: the caller just failed to load it, so go straight to creating it.
    """
    from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError

    if not known_absent:
        try:
            return catalog.load_table(identifier)
        except NoSuchTableError:
            pass
    ensure_namespace(catalog, identifier.rsplit(".", 1)[0])
    try:
        return catalog.create_table(identifier, **table_spec(schema, partition_columns, location, dataset))
    except TableAlreadyExistsError:
        return catalog.load_table(identifier)


def create_with_files(catalog: Any, identifier: str, schema: pa.Schema, partition_columns: Sequence[str],
                      location: str | None, dataset: str | None, add_paths: Sequence[str],
                      properties: dict[str, str]) -> Any | None:
    """Create ``identifier`` with its first snapshot (``add_paths``) in one commit: one metadata file
    written instead of two. None when the table exists meanwhile (the caller then appends as usual)."""
    from pyiceberg.exceptions import CommitFailedException, TableAlreadyExistsError
    from pyiceberg.table import Table

    ensure_namespace(catalog, identifier.rsplit(".", 1)[0])
    try:
        tx = catalog.create_table_transaction(identifier, **table_spec(schema, partition_columns, location, dataset))
        if add_paths:
            tx.add_files(list(add_paths), snapshot_properties=properties, check_duplicate_files=False)
        staged = tx.commit_transaction()
    except (TableAlreadyExistsError, CommitFailedException):
        return None
    # The staged table cannot be refreshed or scanned: the same metadata as a plain table.
    return Table(staged.name(), staged.metadata, staged.metadata_location, staged.io, catalog)


def committed_source_keys(table: Any) -> set[str]:
    """Every source version key any snapshot of ``table`` recorded (the duplicate guard)."""
    keys: set[str] = set()
    for snap in table.metadata.snapshots:
        summary = snap.summary
        if summary is None:
            continue
        value = summary.get(KEYS_PROPERTY) if hasattr(summary, "get") else None
        if value:
            keys.update(k for k in value.split(",") if k)
    return keys


def current_data_files(table: Any) -> set[str]:
    """Paths of the data files the current snapshot references."""
    if table.current_snapshot() is None:
        return set()
    return {task.file.file_path for task in table.scan().plan_files()}


def snapshot_properties(dataset: str, entries: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """entries: (version key, source uri, source checksum)."""
    entries = list(entries)
    files = json.dumps([[u, c] for _, u, c in entries], separators=(",", ":"))
    if len(files) > MAX_PROPERTY_CHARS:
        files = json.dumps({"count": len(entries), "sha256": hashlib.sha256(files.encode()).hexdigest()},
                           separators=(",", ":"))
    return {DATASET_PROPERTY: dataset, KEYS_PROPERTY: ",".join(k for k, _, _ in entries), FILES_PROPERTY: files}


def commit_files(table: Any, add_paths: Sequence[str], *, remove_paths: Sequence[str] = (),
                 properties: dict[str, str]) -> int | None:
    """One snapshot adding ``add_paths`` (and dropping ``remove_paths``, for changed sources).

    Returns the new snapshot id. pyiceberg's add_files refuses paths already referenced, which is
    a second guard against double registration.
    """
    if not add_paths and not remove_paths:
        return None
    if not remove_paths:
        table.add_files(list(add_paths), snapshot_properties=properties, check_duplicate_files=True)
    else:
        from pyiceberg.table import TableProperties, _parquet_files_to_data_files

        removing = set(remove_paths)
        old = [t.file for t in table.scan().plan_files() if t.file.file_path in removing]
        with table.transaction() as tx:
            if tx.table_metadata.name_mapping() is None:
                tx.set_properties(**{TableProperties.DEFAULT_NAME_MAPPING:
                                     tx.table_metadata.schema().name_mapping.model_dump_json()})
            with tx.update_snapshot(snapshot_properties=properties).overwrite() as ow:
                for df in old:
                    ow.delete_data_file(df)
                for df in _parquet_files_to_data_files(table_metadata=tx.table_metadata,
                                                       file_paths=list(add_paths), io=table.io):
                    ow.append_data_file(df)
    snap = table.current_snapshot()  # the commit updated ``table`` in place
    return snap.snapshot_id if snap is not None else None


class TableSession:
    """One dataset's table: loads the catalog and table, recovers, commits (in-process or in a helper).

    Every method takes and returns plain picklable values, so ``CatalogProcess`` can run the same
    session in a helper process: importing pyiceberg and SQLAlchemy (and, through pyarrow.dataset,
    pandas) costs seconds of single-threaded Python that would otherwise hold this process's GIL.
    """

    def __init__(self, plan: Any, state_dir: str | os.PathLike[str] | None, identifier: str, dataset: str,
                 partition_columns: Sequence[str], location: str | None, catalog: Any = None) -> None:
        self.plan, self.state_dir, self.identifier, self.dataset = plan, state_dir, identifier, dataset
        self.partition_columns = list(partition_columns or [])
        self.location = location.rstrip("/") if location else None
        self.catalog, self.table = catalog, None

    def open(self, create_schema: pa.Schema | None = None) -> str | None:
        """Load the table (None if absent; created from ``create_schema`` if given). Returns its location."""
        if self.catalog is None:
            self.catalog = catalog_for(self.plan, self.state_dir)
        try:
            self.table = self.catalog.load_table(self.identifier)
        except Exception:  # NoSuchTableError and REST variants: created on the first data file
            self.table = None
        if self.table is None and create_schema is not None:
            self.table = ensure_table(self.catalog, self.identifier, create_schema, self.partition_columns,
                                      location=self.location, dataset=self.dataset, known_absent=True)
        return str(self.table.location()).rstrip("/") if self.table is not None else None

    def call(self, method: str, *args: Any) -> Any:
        """The helpers' ``call``, in this process (the engine talks to all three alike)."""
        return getattr(self, method)(*args)

    def close(self) -> None:
        """The helpers' ``close``: nothing runs beside this process."""

    def recovery_state(self) -> tuple[set[str], set[str]]:
        """(source version keys any snapshot recorded, data files of the current snapshot)."""
        if self.table is None:
            return set(), set()
        self.table.refresh()
        return committed_source_keys(self.table), current_data_files(self.table)

    def commit(self, schema: pa.Schema | None,
               entries: Sequence[tuple[str, str, str | None, Sequence[str], Sequence[str]]]) -> int | None:
        """One snapshot for ``entries`` (version, source uri, checksum, data files, replaced files),
        leaving out versions a snapshot already recorded. Returns the snapshot id (None: nothing new).

        A new table is created together with its first snapshot. No refresh first: the catalog checks
        at commit that nobody committed since this session loaded the table, and when someone did, the
        table is refreshed and the batch recomputed (its keys may be in now).
        """
        from pyiceberg.exceptions import CommitFailedException

        if self.table is None and schema is not None:
            add = [u for e in entries for u in e[3]]
            props = snapshot_properties(self.dataset, [(v, u, c) for v, u, c, _, _ in entries])
            self.table = create_with_files(self.catalog, self.identifier, schema, self.partition_columns,
                                           self.location, self.dataset, add, props)
            if self.table is not None:
                snap = self.table.current_snapshot()
                return snap.snapshot_id if snap is not None else None
            self.table = self.catalog.load_table(self.identifier)  # created meanwhile: append to it
        assert self.table is not None
        for attempt in range(3):
            done_keys = committed_source_keys(self.table)
            batch = [e for e in entries if e[0] not in done_keys]
            if any(e[4] and e[0] in done_keys for e in entries):
                # A replacement whose key an older snapshot recorded (settings changed, then changed back):
                # it is done only if its files are in the table now.
                now = current_data_files(self.table)
                batch = [e for e in entries if e[0] not in done_keys or (e[4] and not set(e[3]) <= now)]
            add = [u for e in batch for u in e[3]]
            remove = sorted({u for e in batch for u in e[4]} - set(add))
            props = snapshot_properties(self.dataset, [(v, u, c) for v, u, c, _, _ in batch])
            try:
                return commit_files(self.table, add, remove_paths=remove, properties=props)
            except CommitFailedException:
                if attempt == 2:
                    raise
                self.table.refresh()
        return None


    def schema_changes(self, schema: pa.Schema, partition_columns: Sequence[str], apply: bool) -> list[str]:
        """What keeps files of ``schema`` (the plan's columns as written) out of the table, one line per column
        ([] when the table is absent or can take them). Changes Iceberg evolves in place (new columns,
        int->bigint, float->double, wider decimals, other partition columns) are made by ``apply``."""
        if self.table is None:
            return []
        from pyiceberg.exceptions import ResolveError
        from pyiceberg.io.pyarrow import _pyarrow_to_schema_without_ids
        from pyiceberg.schema import promote

        from migrate.writers.parquet import storage_type

        self.table.refresh()
        current = self.table.schema()
        have = current.as_arrow()
        new_arrow = iceberg_arrow_schema(schema)
        new = _pyarrow_to_schema_without_ids(new_arrow)
        problems: list[str] = []
        evolve = False
        for f in new.fields:
            if f.name not in have.names:
                evolve = True
                continue
            old = current.find_field(f.name)
            if old.field_type.is_primitive and f.field_type.is_primitive:
                if old.field_type == f.field_type:
                    continue
                try:
                    promote(old.field_type, f.field_type)
                    evolve = True
                    continue
                except ResolveError:
                    pass
            elif storage_type(have.field(f.name).type).equals(new_arrow.field(f.name).type):
                continue  # nested: ids differ, so compare the Arrow types
            problems.append(f"column {f.name}: {old.field_type} -> {f.field_type}")
        for old in current.fields:
            if old.required and old.name not in new_arrow.names:
                problems.append(f"column {old.name}: required in the table, not in the plan's schema")
        spec_cols = [current.find_column_name(pf.source_id) for pf in self.table.spec().fields]
        if not apply or problems:
            return problems
        if evolve:
            with self.table.update_schema() as up:
                up.union_by_name(new)
        if list(partition_columns) != spec_cols:
            with self.table.update_spec() as spec:
                for pf in self.table.spec().fields:
                    if current.find_column_name(pf.source_id) not in partition_columns:
                        spec.remove_field(pf.name)
                for c in partition_columns:
                    if c not in spec_cols:
                        spec.add_identity(c)
        return []


class CatalogProcess:
    """A ``TableSession`` in a helper process: calls are sent as pickles over its stdin/stdout.

    ``start`` returns at once; the helper imports pyiceberg and opens the table while this process
    converts data. A call waits for the answers before it. The helper exits when its stdin closes
    (this process ended, even by kill -9), so it never outlives a run for long.
    """

    def __init__(self, session: TableSession, create_schema: pa.Schema | None) -> None:
        import pickle
        import subprocess
        import sys

        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", f"from migrate.iceberg import _serve; _serve({os.getpid()})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in, self._out = self._proc.stdin, self._proc.stdout
        self._pickle = pickle
        self._pending = 0
        self._location: str | None = None
        self._send(("init", (session, create_schema)))

    def _send(self, msg: tuple[str, Any]) -> None:
        self._pickle.dump(msg, self._in, protocol=self._pickle.HIGHEST_PROTOCOL)
        self._in.flush()
        self._pending += 1

    def _recv(self) -> Any:
        try:
            ok, value = self._pickle.load(self._out)
        except EOFError:
            raise ConfigError(f"the iceberg catalog helper process exited (code {self._proc.wait()}); "
                              "see its error above") from None
        self._pending -= 1
        if not ok:
            raise value
        return value

    def ready(self) -> bool:
        """The answers to every call so far are waiting (non-blocking)."""
        import select

        return self._pending == 0 or bool(select.select([self._out], [], [], 0)[0])

    def opened(self) -> str | None:
        """Wait for the table to be open; its location (None: absent). Raises the helper's error."""
        while self._pending:
            self._location = self._recv()
        return self._location

    def call(self, method: str, *args: Any) -> Any:
        while self._pending:
            self._recv()
        self._send((method, args))
        return self._recv()

    def close(self) -> None:
        with _suppress():
            self._in.close()
        if self._pending == 0:
            # Every call has been answered (commits included): nothing of the helper's is in flight, so
            # it is stopped at once instead of waiting ~0.2 s for its interpreter to tear pyiceberg down.
            self._proc.kill()
        try:
            self._proc.wait(timeout=30)
        except Exception:
            self._proc.kill()
            self._proc.wait()
        with _suppress():
            self._out.close()


def _suppress() -> Any:
    import contextlib

    return contextlib.suppress(Exception)


class _NoPandas:
    """An import hook of the helper process: ``import pandas`` fails as if it were not installed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not loaded in the iceberg catalog helper", name=name)
        return None


def _serve(run_pid: int | None = None) -> None:
    """The helper's loop: ("init", (session, create_schema)) then (method, args) calls, until EOF.

    It also ends at once when the run's process ``run_pid`` ends (kill -9): a commit it finished after
    that would race the next run's crash recovery."""
    import pickle
    import sys

    if run_pid is not None:
        from migrate import lifeline

        lifeline.watch(run_pid)

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the answers
    # Lowest CPU priority: the conversion this helper overlaps with is the run's critical path; the
    # helper's imports and table creation then fill the cores' idle moments instead of taking turns.
    with contextlib.suppress(OSError):
        os.nice(19)
    # pyarrow.dataset (imported by pyiceberg's FileIO) imports pandas just to check it is there: over
    # a second of CPU this helper never needs (catalog calls, no DataFrames). Without it pyarrow
    # behaves as when pandas is not installed; a pyiceberg that needed it would fail loudly here.
    sys.meta_path.insert(0, _NoPandas())
    inp = sys.stdin.buffer
    session: TableSession | None = None
    while True:
        try:
            method, args = pickle.load(inp)
        except EOFError:
            return
        try:
            if method == "init":
                session, create_schema = args
                value: Any = session.open(create_schema)
            else:
                assert session is not None
                value = getattr(session, method)(*args)
            answer: tuple[bool, Any] = (True, value)
        except Exception as exc:
            try:
                pickle.dumps(exc)
                answer = (False, exc)
            except Exception:
                answer = (False, ConfigError(f"iceberg catalog: {type(exc).__name__}: {exc}"))
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


class CatalogThread:
    """``CatalogProcess``'s interface on a thread of this process (shares the GIL with the conversion)."""

    def __init__(self, session: TableSession, create_schema: pa.Schema | None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._session = session
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="migrate-catalog")
        self._opening = self._pool.submit(session.open, create_schema)

    def ready(self) -> bool:
        return self._opening.done()

    def opened(self) -> str | None:
        return self._opening.result()

    def call(self, method: str, *args: Any) -> Any:
        self._opening.result()
        return getattr(self._session, method)(*args)

    def close(self) -> None:
        self._opening.cancel()
        self._pool.shutdown(wait=True)
