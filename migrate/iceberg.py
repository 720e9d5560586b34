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

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from migrate.errors import ConfigError

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


def load_catalog(plan: Any, *, state_dir: str | os.PathLike[str] | None = None, name: str = "migrate") -> Any:
    """The plan's catalog: SQLite (default, in state_dir, warehouse on a local folder) or REST."""
    spec = plan.resolved_catalog() if hasattr(plan, "resolved_catalog") else plan.catalog
    if spec is None or spec.kind == "sqlite":
        from pyiceberg.catalog.sql import SqlCatalog

        base = os.fspath(state_dir) if state_dir is not None else None
        uri = spec.uri if spec is not None and spec.uri else f"sqlite:///{base}/catalog.db"
        warehouse = spec.warehouse if spec is not None and spec.warehouse else f"file://{base}/warehouse"
        if base is not None and spec is not None and plan.catalog is None:
            # No catalog in the plan: keep it next to this run's ledger.
            uri, warehouse = f"sqlite:///{base}/catalog.db", f"file://{base}/warehouse"
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
    return RestCatalog(name, **props)


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


def ensure_table(catalog: Any, identifier: str, schema: pa.Schema, partition_columns: Sequence[str] = (),
                 location: str | None = None, dataset: str | None = None) -> Any:
    """Load ``identifier`` or create it from ``schema`` with identity partitions on ``partition_columns``."""
    from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError, TableAlreadyExistsError
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform

    try:
        return catalog.load_table(identifier)
    except NoSuchTableError:
        pass
    namespace = identifier.rsplit(".", 1)[0]
    try:
        catalog.create_namespace(namespace)
    except NamespaceAlreadyExistsError:
        pass
    except Exception as exc:  # some REST servers answer differently for an existing namespace
        if "exist" not in str(exc).lower():
            raise
    arrow = iceberg_arrow_schema(schema)
    kwargs: dict[str, Any] = {"schema": arrow, "properties": {"format-version": "2"}}
    if dataset:
        kwargs["properties"][DATASET_PROPERTY] = dataset
    if location:
        kwargs["location"] = location
    # Convert ourselves (fresh ids 1..n in column order) so the partition spec can name source ids.
    from pyiceberg.io.pyarrow import _pyarrow_to_schema_without_ids
    from pyiceberg.schema import assign_fresh_schema_ids

    ice = assign_fresh_schema_ids(_pyarrow_to_schema_without_ids(arrow))
    kwargs["schema"] = ice
    if partition_columns:
        kwargs["partition_spec"] = PartitionSpec(*[
            PartitionField(source_id=ice.find_field(c).field_id, field_id=1000 + i,
                           transform=IdentityTransform(), name=c)
            for i, c in enumerate(partition_columns)
        ])
    try:
        return catalog.create_table(identifier, **kwargs)
    except TableAlreadyExistsError:
        return catalog.load_table(identifier)


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
    table.refresh()
    snap = table.current_snapshot()
    return snap.snapshot_id if snap is not None else None
