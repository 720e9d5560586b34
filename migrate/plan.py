"""The migration plan: frozen pydantic models for docs/plan.md, a line-aware loader and checks.

``load_plan(path)`` returns a ``Plan`` or raises ``PlanError`` listing every problem as
``FILE:LINE:COLUMN: key.path: message``; ``check_plan(path)`` returns the ``Problem`` list instead.
Problems come from four places, all collected in one pass: YAML syntax/duplicate keys, pydantic
validation (types, unknown keys, per-model rules), whole-plan cross references, and a scan for
literal secrets. Messages never contain a value found under a secret-looking key.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from migrate import checksums, column_types
from migrate.column_types import TYPE_GRAMMAR
from migrate.errors import PlanError, TerminalError
from migrate.yamlpos import KeyPath, PositionedYaml, format_path, load_positioned

__all__ = [
    "Approver",
    "CatalogSpec",
    "ColumnSpec",
    "Credentials",
    "CutoverSpec",
    "DatasetSpec",
    "ExpectationSpec",
    "FormatSpec",
    "JobSpec",
    "JobTarget",
    "JuiceFsGateway",
    "JuiceFsStore",
    "LocalStore",
    "Location",
    "Plan",
    "Problem",
    "S3Store",
    "Settings",
    "StoreSpec",
    "TargetSpec",
    "ValidationRule",
    "WebHdfsStore",
    "check_plan",
    "check_plan_text",
    "duration_us",
    "load_plan",
    "load_plan_text",
    "normalize_column_type",
    "plan_json_schema",
]

PLAN_VERSION = 1
SECRET_HINT = "literal secret: reference it by environment variable (..._env) or profile"

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_STORE_NAME = r"^[a-z][a-z0-9_-]*$"
_ITEM_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_TABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"

EnvName = Annotated[str, Field(pattern=_ENV_NAME, description="name of an environment variable")]
StoreName = Annotated[str, Field(pattern=_STORE_NAME)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _http_url(value: str | None) -> str | None:
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host")
    return value


def _rel_path(value: str) -> str:
    # A plan names folders inside a store; '..' would silently escape the store's root.
    if ".." in value.replace("\\", "/").split("/"):
        raise ValueError("'..' is not allowed in a store path")
    return value


# ---------------------------------------------------------------- credentials and stores


BlockName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="name of a Prefect Secret block")]


def block_env_name(block: str) -> str:
    """The environment variable a Prefect Secret block's value is exported to for the storage layer
    (``migrate.credentials.export_block_secrets``): the stores read credentials from the environment only."""
    return "MIGRATE_PREFECT_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", block).upper()


class Credentials(_Model):
    """References to credentials, never the credentials: names of environment variables, of Prefect Secret
    blocks, or an AWS profile (exactly one way)."""

    access_key_id_env: EnvName | None = Field(default=None, description="env var holding the access key id")
    secret_access_key_env: EnvName | None = Field(
        default=None, description="env var holding the secret access key"
    )
    session_token_env: EnvName | None = Field(
        default=None, description="env var holding a session token (optional)"
    )
    access_key_id_block: BlockName | None = Field(
        default=None, description="Prefect Secret block holding the access key id")
    secret_access_key_block: BlockName | None = Field(
        default=None, description="Prefect Secret block holding the secret access key")
    session_token_block: BlockName | None = Field(
        default=None, description="Prefect Secret block holding a session token (optional)")
    profile: str | None = Field(default=None, min_length=1, description="AWS shared-config profile name")

    @model_validator(mode="after")
    def _one_way(self) -> Credentials:
        keys = (self.access_key_id_env, self.secret_access_key_env)
        blocks = (self.access_key_id_block, self.secret_access_key_block)
        if any(keys) and not all(keys):
            raise ValueError("access_key_id_env and secret_access_key_env go together")
        if any(blocks) and not all(blocks):
            raise ValueError("access_key_id_block and secret_access_key_block go together")
        if self.session_token_env and not all(keys):
            raise ValueError("session_token_env needs access_key_id_env and secret_access_key_env")
        if self.session_token_block and not all(blocks):
            raise ValueError("session_token_block needs access_key_id_block and secret_access_key_block")
        if sum((all(keys), all(blocks), bool(self.profile))) > 1:
            raise ValueError("give one of: the *_env names, the *_block names, or profile")
        if not any(keys) and not any(blocks) and not self.profile:
            raise ValueError("give access_key_id_env + secret_access_key_env, the *_block names, or profile")
        return self


class LocalStore(_Model):
    """A POSIX folder: a MooseFS FUSE mount, a JuiceFS mount, a local disk."""

    kind: Literal["local"]
    path: str = Field(min_length=1, description="folder; relative paths are relative to the plan file")


class WebHdfsStore(_Model):
    """HDFS over the WebHDFS REST API."""

    kind: Literal["webhdfs"]
    url: str = Field(description="NameNode HTTP address, e.g. http://namenode:9870")
    user: str | None = Field(default=None, description="HDFS user (simple auth)")
    auth: Literal["simple", "kerberos"] = Field(
        default="simple", description="kerberos: SPNEGO with the ticket cache (kinit), needs the kerberos extra")
    principal: str | None = Field(default=None, min_length=1,
                                  description="kerberos: the client principal (default: the ticket cache's)")
    ca_bundle: str | None = Field(default=None, min_length=1, description=(
        "https (swebhdfs): PEM file of the CA certificates to trust instead of the system's (relative to the plan)"))

    @model_validator(mode="after")
    def _auth(self) -> WebHdfsStore:
        if self.auth == "kerberos" and self.user:
            raise ValueError("user is for simple auth; with kerberos the principal is the user")
        if self.auth == "simple" and self.principal:
            raise ValueError("principal is only for auth: kerberos")
        return self

    @field_validator("url")
    @classmethod
    def _check_url(cls, v: str) -> str | None:
        return _http_url(v)


class S3Store(_Model):
    """An S3-compatible bucket (AWS, SeaweedFS, MinIO, Ceph)."""

    kind: Literal["s3"]
    endpoint: str | None = Field(default=None, description="endpoint URL; omit for AWS")
    bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
    prefix: str = Field(default="", description="key prefix inside the bucket, without leading/trailing '/'")
    region: str | None = Field(default=None, description="e.g. us-east-1")
    credentials: Credentials | None = Field(
        default=None, description="omit to use the default AWS credential chain"
    )
    part_size_mb: int | None = Field(default=None, ge=5, le=5120, description="multipart part size in MiB")
    max_concurrency: int | None = Field(
        default=None, ge=1, le=256, description="parallel part uploads per file"
    )
    ca_bundle: str | None = Field(default=None, min_length=1, description=(
        "https endpoints: PEM file of the CA certificates to trust instead of the system's (relative to the plan)"))
    read_timeout: float | None = Field(default=None, gt=0, le=3600, description=(
        "seconds without an answer before a request is retried (default 60)"))
    max_attempts: int | None = Field(default=None, ge=1, le=20, description=(
        "tries per request on transient failures (default 6; docs/plan.md: retry budget)"))

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, v: str | None) -> str | None:
        return _http_url(v)

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, v: str) -> str:
        return _rel_path(v)


class JuiceFsGateway(_Model):
    """The S3 gateway of a JuiceFS volume."""

    endpoint: str = Field(description="gateway URL, e.g. http://127.0.0.1:9000")
    credentials: Credentials | None = None

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, v: str) -> str | None:
        return _http_url(v)


class JuiceFsStore(_Model):
    """A JuiceFS volume, reached through its mount point or its S3 gateway (exactly one)."""

    kind: Literal["juicefs"]
    volume: str = Field(min_length=1, description="volume name")
    mount_path: str | None = Field(default=None, description="where the volume is mounted")
    gateway: JuiceFsGateway | None = None

    @model_validator(mode="after")
    def _one_access(self) -> JuiceFsStore:
        if (self.mount_path is None) == (self.gateway is None):
            raise ValueError("a juicefs store needs exactly one of mount_path or gateway")
        return self


StoreSpec = Annotated[LocalStore | WebHdfsStore | S3Store | JuiceFsStore, Field(discriminator="kind")]


# ---------------------------------------------------------------- settings and catalog

# A systematic problem (a schema mismatch, a wrong delimiter or encoding) hits a large share of the rows;
# stray corrupt lines in legacy logs are a few per million. A share scales with the dataset where a fixed
# count would be too lax for small tables (600 of 600 rows lost passes under 1,000) and too strict for
# billion-row logs.
DEFAULT_MAX_QUARANTINE = "1%"
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def check_quarantine_limit(v: Any) -> int | str:
    """A ``max_quarantine`` value: a row count (int >= 0) or a percentage text such as ``1%``."""
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        return v
    if isinstance(v, str):
        m = _PERCENT.match(v)
        if m and float(m.group(1)) <= 100:
            return f"{m.group(1)}%"
        if v.strip().isdigit():
            return int(v)
    raise ValueError("max_quarantine is a row count (e.g. 1000; 0 allows none) or a share of the rows "
                     "(e.g. '1%', at most '100%')")


def quarantine_allowed(limit: int | str, rows: int) -> float:
    """How many of ``rows`` rows may be quarantined under ``limit`` (a row count or ``N%``)."""
    if isinstance(limit, int):
        return float(limit)
    return float(limit.rstrip("%")) / 100.0 * rows


class Settings(_Model):
    """Run-wide settings."""

    checksum: str = Field(default=checksums.DEFAULT,
                          description="content checksum algorithm: crc32c (default) or a hashlib name such as sha256")
    concurrency: int = Field(default=4, ge=1, le=1024, description="files in flight per dataset")
    state_dir: str = Field(
        default=".migrate", min_length=1, description="ledger and reports, relative to the plan file"
    )
    max_quarantine: int | str = Field(
        default=DEFAULT_MAX_QUARANTINE,
        description="most rows a dataset may quarantine and still pass: a share of its rows ('1%', the default) "
                    "or a row count (1000; 0 = none); datasets[].max_quarantine overrides it",
        examples=["1%", "0.1%", 1000, 0],
    )

    @field_validator("max_quarantine", mode="before")
    @classmethod
    def _limit(cls, v: Any) -> int | str:
        return check_quarantine_limit(v)

    @field_validator("checksum")
    @classmethod
    def _known_hash(cls, v: str) -> str:
        if not checksums.is_known(v):
            known = ", ".join(checksums.available())
            raise ValueError(f"unknown checksum algorithm (expected one of: {known})")
        return v


class CatalogSpec(_Model):
    """The Iceberg catalog. Default: a SQLite catalog in state_dir with a file warehouse there."""

    kind: Literal["sqlite", "rest"] = "sqlite"
    uri: str | None = Field(
        default=None, description="sqlite:///rel/or/sqlite:////abs.db, or the REST catalog URL"
    )
    warehouse: str | None = Field(
        default=None, description="warehouse location, e.g. file://./warehouse or s3://bucket"
    )
    credential_env: EnvName | None = Field(
        default=None, description="rest: env var with the catalog credential"
    )
    s3_store: StoreName | None = Field(
        default=None, description="a target of kind s3 whose settings reach the warehouse"
    )

    @model_validator(mode="after")
    def _by_kind(self) -> CatalogSpec:
        if self.kind == "rest" and not self.uri:
            raise ValueError("a rest catalog needs uri")
        if self.kind == "sqlite" and self.credential_env:
            raise ValueError("credential_env is only for a rest catalog")
        if self.kind == "sqlite" and self.uri and not self.uri.startswith("sqlite:///"):
            raise ValueError("a sqlite catalog uri starts with sqlite:///")
        return self


# ---------------------------------------------------------------- datasets

FormatKind = Literal["csv", "tsv", "hive_text", "jsonl", "avro", "orc", "sequencefile", "parquet"]
TEXT_FORMATS = frozenset({"csv", "tsv", "hive_text"})
# Defaults applied when a key is absent (an explicit null stays null, e.g. `quote: null` = no quoting).
_FORMAT_DEFAULTS: dict[str, dict[str, Any]] = {
    "csv": {"delimiter": ",", "header": True, "quote": '"', "escape": None, "null_marker": None},
    "tsv": {"delimiter": "\t", "header": True, "quote": None, "escape": None, "null_marker": None},
    "hive_text": {"delimiter": "\x01", "header": False, "quote": None, "escape": None, "null_marker": "\\N"},
}
_TEXT_ONLY = ("delimiter", "header", "quote", "escape", "null_marker")


class Location(_Model):
    """A folder (or file) inside a named source store."""

    store: StoreName = Field(description="a name under `sources`")
    path: str = Field(default="", description="path inside the store")

    @field_validator("path")
    @classmethod
    def _check_path(cls, v: str) -> str:
        return _rel_path(v)


class FormatSpec(_Model):
    """How the source files are encoded. Text options apply to csv, tsv and hive_text only."""

    kind: FormatKind
    delimiter: str | None = Field(
        default=None, description='one character; default "," csv, "\\t" tsv, "\\x01" hive_text'
    )
    header: bool | None = Field(
        default=None, description="first line names the columns; default true csv/tsv, false hive_text"
    )
    quote: str | None = Field(default=None, description="quote character, null = none; default '\"' for csv")
    escape: str | None = Field(default=None, description="escape character, null = none")
    null_marker: str | None = Field(
        default=None, description='text meaning NULL; default "\\\\N" for hive_text'
    )
    compression: Literal["auto", "none", "gzip", "bzip2", "zstd", "deflate", "snappy", "lz4"] = Field(
        default="auto", description="auto = by magic bytes, else by Hadoop's suffix (.deflate, .snappy, .lz4); "
                                    "deflate = Hadoop's DefaultCodec, snappy / lz4 = Hadoop's block codecs"
    )
    encoding: str = Field(default="utf-8", description="text encoding (a Python codec name)")

    @model_validator(mode="before")
    @classmethod
    def _kind_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            defaults = _FORMAT_DEFAULTS.get(data["kind"])
            if defaults:
                data = {**defaults, **data}
        return data

    @field_validator("delimiter", "quote", "escape")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1:
            raise ValueError(f"must be exactly one character (got {len(v)})")
        return v

    @field_validator("encoding")
    @classmethod
    def _codec(cls, v: str) -> str:
        import codecs

        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError("unknown text encoding") from None
        return v

    @model_validator(mode="after")
    def _applicable(self) -> FormatSpec:
        if self.kind not in TEXT_FORMATS:
            given = [k for k in _TEXT_ONLY if getattr(self, k) is not None]
            if given:
                raise ValueError(f"{', '.join(given)}: only for csv, tsv and hive_text (kind is {self.kind})")
        elif self.delimiter is not None and self.delimiter in (self.quote, self.escape):
            raise ValueError("delimiter must differ from quote and escape")
        return self


def normalize_column_type(text: str) -> str:
    """Canonical spelling of a column type (``bool`` -> ``boolean``, ``DECIMAL(9, 2)`` -> ``decimal(9,2)``,
    ``STRUCT<a: INT>`` -> ``struct<a:int>``; grammar in ``migrate.column_types``).

    Raises ValueError saying what is wrong (naming the grammar when ``text`` is not a column type).
    """
    return column_types.normalize(text)


class ColumnSpec(_Model):
    """One column of a declared schema."""

    name: str = Field(min_length=1)
    type: str = Field(
        description=f"one of: {TYPE_GRAMMAR}; stored in canonical form",
        examples=["bigint", "decimal(12,2)", "struct<k:bigint,tags:array<string>>", "map<string,double>", "json"],
    )
    nullable: bool = True

    @field_validator("type")
    @classmethod
    def _check_type(cls, v: str) -> str:
        return normalize_column_type(v)


class TargetSpec(_Model):
    """Where and as what a dataset lands."""

    kind: Literal["parquet", "iceberg", "copy"] = Field(description="copy = bytes as-is")
    store: StoreName = Field(description="a name under `targets`")
    path: str | None = Field(
        default=None, description="parquet/copy: folder under the store; iceberg: optional table location"
    )
    table: str | None = Field(default=None, pattern=_TABLE_NAME, description="iceberg: namespace.table")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        return None if v is None else _rel_path(v)

    @model_validator(mode="after")
    def _by_kind(self) -> TargetSpec:
        if self.kind == "iceberg" and not self.table:
            raise ValueError("an iceberg target needs table (namespace.table)")
        if self.kind != "iceberg" and self.path is None:
            raise ValueError(f"a {self.kind} target needs path")
        if self.kind != "iceberg" and self.table is not None:
            raise ValueError("table is only for iceberg targets")
        return self


_NEEDS_COLUMNS = frozenset({"not_null", "unique", "aggregates"})
_TAKES_COLUMNS = _NEEDS_COLUMNS | {"tolerance"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d)\s*$")
_DURATION_US = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}


def duration_us(text: str) -> int:
    """``"250ms"`` -> 250000 (microseconds); ValueError for anything else."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError("expected a duration such as 500us, 10ms, 1s, 5m, 1h or 1d")
    return round(float(m.group(1)) * _DURATION_US[m.group(2)])


class ExpectationSpec(_Model):
    """One Great Expectations (1.x) expectation, in GE's own shape: ``{type, kwargs, meta}``."""

    type: str = Field(pattern=r"^expect_[a-z0-9_]+$", description="e.g. expect_column_values_to_be_between",
                      examples=["expect_column_values_to_not_be_null"])
    kwargs: dict[str, Any] = Field(default_factory=dict, description="the expectation's arguments, e.g. {column: id}")
    meta: dict[str, Any] | None = Field(default=None, description="free-form notes kept in the report")


class ValidationRule(_Model):
    """A check run by ``migrate validate``, comparing source and target (or the target alone).

    Files, row counts, schema, column profiles and row checksums are always compared; rules add checks
    (not_null, unique, aggregates, expectations) and tune the comparison (tolerance, row_checksums).
    """

    check: Literal["row_count", "not_null", "unique", "aggregates", "expectation_suite", "expectations",
                   "row_checksums", "tolerance"]
    columns: list[str] = Field(
        default_factory=list,
        description="not_null/unique/aggregates: the columns; tolerance: the columns it applies to "
        "(default: every float/double and timestamp column)")
    path: str | None = Field(
        default=None, description="expectation_suite: suite file (GE 1.x JSON), relative to the plan file"
    )
    tolerance: float = Field(default=0.0, ge=0, description="aggregates, tolerance: allowed relative difference "
                             "of float/double values")
    absolute: float | None = Field(default=None, ge=0, description="tolerance: allowed absolute difference of "
                                   "float/double values")
    timestamp: str | None = Field(default=None, description="tolerance: allowed shift of timestamp values, e.g. "
                                  "1ms, 1s", examples=["1ms"])
    key_columns: list[str] = Field(default_factory=list, description="row_checksums: columns that identify a "
                                   "row, so a differing row is shown as one changed row with both sides' values")
    max_rows: int | None = Field(default=None, ge=1, le=100_000, description="row_checksums, not_null, unique, "
                                 "expectations: rows listed per finding group (default 20)")
    max_findings: int | None = Field(default=None, ge=1, le=1_000_000, description="row_checksums: findings "
                                     "listed per dataset (default 1000); the rest are counted")
    expectations: list[ExpectationSpec] = Field(default_factory=list,
                                                description="expectations: GE expectations declared inline")

    @field_validator("timestamp")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            duration_us(v)
        return v

    @model_validator(mode="after")
    def _by_check(self) -> ValidationRule:
        c = self.check
        if c in _NEEDS_COLUMNS and not self.columns:
            raise ValueError(f"check {c} needs columns")
        if c not in _TAKES_COLUMNS and self.columns:
            raise ValueError(f"columns are not used by check {c}")
        if (c == "expectation_suite") != (self.path is not None):
            raise ValueError("path is required by, and only by, check expectation_suite")
        if (c == "expectations") != bool(self.expectations):
            raise ValueError("expectations are required by, and only by, check expectations")
        if c == "tolerance" and not (self.tolerance or self.absolute is not None or self.timestamp):
            raise ValueError("check tolerance needs tolerance (relative), absolute or timestamp")
        if c not in ("aggregates", "tolerance") and self.tolerance:
            raise ValueError(f"tolerance is not used by check {c}")
        if c != "tolerance" and (self.absolute is not None or self.timestamp is not None):
            raise ValueError("absolute and timestamp are only for check tolerance")
        if c != "row_checksums" and (self.key_columns or self.max_findings is not None):
            raise ValueError("key_columns and max_findings are only for check row_checksums")
        if self.max_rows is not None and c not in ("row_checksums", "not_null", "unique", "expectations",
                                                   "expectation_suite"):
            raise ValueError(f"max_rows is not used by check {c}")
        return self


def _no_duplicates(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for v in values:
        # Hive and Spark resolve column names case-insensitively.
        if v.lower() in seen:
            raise ValueError(f"duplicate {what} {v!r}")
        seen.add(v.lower())
    return values


with warnings.catch_warnings():
    # `schema` is the documented YAML key; it shadows the deprecated BaseModel.schema() classmethod only.
    warnings.filterwarnings("ignore", message='Field name "schema"')

    class DatasetSpec(_Model):
        """One dataset to move: source files, their format, optional schema, target and checks."""

        name: str = Field(pattern=_ITEM_NAME, description="unique among datasets")
        source: Location
        format: FormatSpec
        schema: list[ColumnSpec] | None = Field(  # type: ignore[assignment]
            default=None, description="declared columns; inferred when absent"
        )
        partition_columns: list[str] = Field(
            default_factory=list, description="Hive k=v folder names, in order"
        )
        target: TargetSpec
        validation: list[ValidationRule] = Field(default_factory=list)
        wave: int = Field(default=1, ge=0, description="datasets and jobs move in ascending waves")
        max_quarantine: int | str | None = Field(
            default=None, description="overrides settings.max_quarantine for this dataset ('1%', 1000, 0)"
        )

        @field_validator("max_quarantine", mode="before")
        @classmethod
        def _limit(cls, v: Any) -> int | str | None:
            return None if v is None else check_quarantine_limit(v)

        @field_validator("partition_columns")
        @classmethod
        def _unique_partitions(cls, v: list[str]) -> list[str]:
            return _no_duplicates(v, "partition column")

        @field_validator("schema")
        @classmethod
        def _unique_columns(cls, v: list[ColumnSpec] | None) -> list[ColumnSpec] | None:
            if v is not None:
                _no_duplicates([c.name for c in v], "column")
            return v


# ---------------------------------------------------------------- jobs and cutover


class JobTarget(_Model):
    """What a legacy job is translated into."""

    kind: Literal["pyspark", "spark_sql", "spark_application", "prefect_deployment"]
    path: str = Field(min_length=1, description="output file, relative to the plan file")


class JobSpec(_Model):
    """A legacy job (DPark script, Hive query, scheduler entry) to translate."""

    name: str = Field(pattern=_ITEM_NAME, description="unique among jobs")
    kind: Literal["dpark", "hive", "marathon", "chronos", "aurora", "cron"]
    source: str = Field(min_length=1, description="the legacy job file, relative to the plan file")
    schedule: str | None = Field(default=None, description="cron expression, e.g. '0 3 * * *'")
    target: JobTarget
    wave: int = Field(default=1, ge=0)
    variables: dict[str, str] = Field(
        default_factory=dict,
        description="hive: what the job's command line defined (-d/--hivevar NAME=VALUE, --hiveconf NAME=VALUE as "
                    "hiveconf:NAME, env:NAME, system:NAME), for ${...} references in the script",
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("@") and len(v.split()) not in (5, 6):
            raise ValueError("expected a cron expression with 5 fields (or @daily, @hourly, ...)")
        return v


# The cutover checklist (migrate.cutover), in order. Datasets: inventoried, copied, validated, expectations,
# final_delta, signoff; jobs: inventoried, translated, shadow_run, signoff.
Gate = Literal["inventoried", "copied", "validated", "expectations", "translated", "shadow_run", "final_delta",
               "signoff"]
ALL_GATES: tuple[Gate, ...] = typing.get_args(Gate)


class Approver(_Model):
    """A person who signs off the cutover."""

    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    role: str | None = None


class CutoverSpec(_Model):
    """Gates that must pass, in order, before traffic moves; and who signs off."""

    gates: list[Gate] = Field(default_factory=lambda: list(ALL_GATES))
    approvers: list[Approver] = Field(default_factory=list)
    inventory: str | None = Field(
        default=None, description="the inventory JSON (`migrate inventory -o`) the `inventoried` gate reads, "
        "relative to the plan file")

    @field_validator("gates")
    @classmethod
    def _unique_gates(cls, v: list[Gate]) -> list[Gate]:
        _no_duplicates(list(v), "gate")
        return v


# ---------------------------------------------------------------- the plan


class Plan(_Model):
    """A migration plan (see docs/plan.md)."""

    version: Literal[1] = Field(description="plan format version")
    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    settings: Settings = Field(default_factory=Settings)
    sources: dict[StoreName, StoreSpec] = Field(default_factory=dict, description="legacy stores by name")
    targets: dict[StoreName, StoreSpec] = Field(default_factory=dict, description="new stores by name")
    catalog: CatalogSpec | None = Field(
        default=None, description="Iceberg catalog; default SQLite in state_dir"
    )
    datasets: list[DatasetSpec] = Field(default_factory=list)
    jobs: list[JobSpec] = Field(default_factory=list)
    cutover: CutoverSpec = Field(default_factory=CutoverSpec)

    # The folder relative paths resolve against: the plan file's folder when loaded from a file.
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @model_validator(mode="after")
    def _cross(self, info: ValidationInfo) -> Plan:
        # The loader runs these itself to attach YAML positions; direct construction gets them here.
        if info.context and info.context.get("skip_cross_checks"):
            return self
        found = _cross_checks(self.model_dump())
        if found:
            raise ValueError("; ".join(f"{format_path(p)}: {m}" for p, m in found))
        return self

    # -- lookups

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def state_dir(self) -> Path:
        return self._resolve_local(self.settings.state_dir)

    @property
    def waves(self) -> list[int]:
        return sorted({d.wave for d in self.datasets} | {j.wave for j in self.jobs})

    def with_base_dir(self, base_dir: str | os.PathLike[str]) -> Plan:
        """A copy whose relative paths resolve against ``base_dir``."""
        copy = self.model_copy()
        copy._base_dir = Path(os.path.abspath(base_dir))
        return copy

    def store(self, name: str) -> LocalStore | WebHdfsStore | S3Store | JuiceFsStore:
        if name in self.sources:
            return self.sources[name]
        if name in self.targets:
            return self.targets[name]
        known = ", ".join(sorted({*self.sources, *self.targets})) or "none"
        raise PlanError(f"unknown store {name!r} (known: {known})")

    def select_datasets(self, names: Iterable[str] | None = None,
                        waves: Iterable[int] | None = None) -> list[DatasetSpec]:
        """Datasets by name and wave, in wave order (then plan order); an unknown name is a TerminalError."""
        wanted = set(names or [])
        unknown = wanted - {d.name for d in self.datasets}
        if unknown:
            known = ", ".join(d.name for d in self.datasets) or "none"
            raise TerminalError(f"unknown dataset(s) {', '.join(sorted(unknown))} in plan {self.name} "
                            f"(--dataset; known: {known})")
        wave_set = set(waves or [])
        chosen = [d for d in self.datasets if (not wanted or d.name in wanted) and (not wave_set or d.wave in wave_set)]
        return sorted(chosen, key=lambda d: d.wave)

    def dataset(self, name: str) -> DatasetSpec:
        for d in self.datasets:
            if d.name == name:
                return d
        raise PlanError(
            f"unknown dataset {name!r} (known: {', '.join(d.name for d in self.datasets) or 'none'})"
        )

    def max_quarantine(self, dataset: DatasetSpec) -> int | str:
        """The quarantine limit of a dataset: its own ``max_quarantine``, else the settings' one."""
        return dataset.max_quarantine if dataset.max_quarantine is not None else self.settings.max_quarantine

    def job(self, name: str) -> JobSpec:
        for j in self.jobs:
            if j.name == name:
                return j
        raise PlanError(f"unknown job {name!r} (known: {', '.join(j.name for j in self.jobs) or 'none'})")

    # -- resolution

    def _resolve_local(self, path: str) -> Path:
        p = Path(os.path.expanduser(path))
        return Path(os.path.normpath(p if p.is_absolute() else self._base_dir / p))

    def location(self, store_name: str, path: str = "") -> tuple[str, dict[str, Any]]:
        """The ``open_storage`` URI and options for ``path`` inside store ``store_name`` (docs/plan.md)."""
        store = self.store(store_name)
        try:
            rel = _rel_path(path).strip("/")
        except ValueError as exc:
            raise PlanError(f"{store_name}:{path}: {exc}") from None

        def file_uri(root: str) -> str:
            base = str(self._resolve_local(root)).rstrip("/")
            return f"file://{base}/{rel}" if rel else f"file://{base or '/'}"

        if isinstance(store, LocalStore):
            return file_uri(store.path), {}
        if isinstance(store, WebHdfsStore):
            url = store.url.rstrip("/")
            opts: dict[str, Any] = {"url": url}
            if store.user:
                opts["user"] = store.user
            if store.auth == "kerberos":
                opts["auth"] = "kerberos"
                if store.principal:
                    opts["principal"] = store.principal
            if store.ca_bundle:
                opts["ca_bundle"] = str(self._resolve_local(store.ca_bundle))
            return f"webhdfs://{urlsplit(url).netloc}/{rel}", opts
        if isinstance(store, S3Store):
            key = "/".join(p for p in (store.prefix.strip("/"), rel) if p)
            opts = {}
            if store.endpoint:
                opts["endpoint_url"] = store.endpoint
            if store.region:
                opts["region"] = store.region
            opts.update(_credential_options(store.credentials))
            if store.part_size_mb is not None:
                opts["part_size"] = store.part_size_mb * 1024 * 1024
            if store.max_concurrency is not None:
                opts["max_concurrency"] = store.max_concurrency
            if store.ca_bundle:
                opts["ca_bundle"] = str(self._resolve_local(store.ca_bundle))
            if store.read_timeout is not None:
                opts["read_timeout"] = store.read_timeout
            if store.max_attempts is not None:
                opts["max_attempts"] = store.max_attempts
            return f"s3://{store.bucket}/{key}", opts
        if store.mount_path is not None:
            return file_uri(store.mount_path), {}
        assert store.gateway is not None  # guaranteed by JuiceFsStore's validator
        opts = {"endpoint_url": store.gateway.endpoint}
        opts.update(_credential_options(store.gateway.credentials))
        return f"jfs://{store.volume}/{rel}", opts

    def resolved_catalog(self) -> CatalogSpec:
        """The catalog with defaults filled in and relative sqlite/file paths made absolute."""
        cat = self.catalog or CatalogSpec()
        if cat.kind == "rest":
            return cat
        uri = cat.uri or f"sqlite:///{self.settings.state_dir}/catalog.db"
        uri = "sqlite:///" + str(self._resolve_local(uri.removeprefix("sqlite:///")))
        warehouse = cat.warehouse or f"file://{self.settings.state_dir}/warehouse"
        if warehouse.startswith("file://"):
            warehouse = "file://" + str(self._resolve_local(warehouse.removeprefix("file://")))
        return cat.model_copy(update={"uri": uri, "warehouse": warehouse})


def _credential_options(creds: Credentials | None) -> dict[str, str]:
    if creds is None:
        return {}
    names = ("access_key_id_env", "secret_access_key_env", "session_token_env", "profile")
    out = {n: getattr(creds, n) for n in names if getattr(creds, n)}
    for n in ("access_key_id", "secret_access_key", "session_token"):
        block = getattr(creds, f"{n}_block")
        if block:  # the stores read the environment; the block's value is exported there before a run
            out[f"{n}_env"] = block_env_name(block)
    return out


# ---------------------------------------------------------------- whole-plan checks (on raw data)

Finding = tuple[KeyPath, str]


def _cross_checks(data: Any) -> list[Finding]:
    """References and uniqueness across sections, on raw (maybe invalid) data: skips what it can't read."""
    if not isinstance(data, dict):
        return []
    out: list[Finding] = []
    sources: dict[Any, Any] = data["sources"] if isinstance(data.get("sources"), dict) else {}
    targets: dict[Any, Any] = data["targets"] if isinstance(data.get("targets"), dict) else {}
    for name in targets:
        if name in sources:
            out.append((("targets", name), f"store name {name!r} is also a source; names must be unique"))

    def ref(path: KeyPath, name: Any, wanted: dict[Any, Any], other: dict[Any, Any], section: str) -> None:
        if not isinstance(name, str) or name in wanted:
            return
        if name in other:
            other_kind = "source" if section == "targets" else "target"
            out.append((path, f"{name!r} is not under {section} (it is a {other_kind})"))
        else:
            known = ", ".join(sorted(map(str, wanted))) or f"none: add it under {section}"
            out.append((path, f"unknown store {name!r} (expected one of: {known})"))

    for section in ("datasets", "jobs"):
        items = data.get(section)
        if not isinstance(items, list):
            continue
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = item.get("name")
            if isinstance(name, str):
                if name in first:
                    out.append(
                        ((section, i, "name"), f"duplicate name {name!r} (first at {section}[{first[name]}])")
                    )
                else:
                    first[name] = i
            if section == "datasets":
                _dataset_refs(i, item, ref, sources, targets, out)

    catalog = data.get("catalog")
    if isinstance(catalog, dict) and isinstance(catalog.get("s3_store"), str):
        ref(("catalog", "s3_store"), catalog["s3_store"], targets, sources, "targets")
        store = targets.get(catalog["s3_store"])
        if isinstance(store, dict) and store.get("kind") != "s3":
            out.append((("catalog", "s3_store"), "s3_store must name a target of kind s3"))
    return out


def _dataset_refs(
    i: int, ds: dict[str, Any], ref: Any, sources: dict[Any, Any], targets: dict[Any, Any], out: list[Finding]
) -> None:
    src, tgt = ds.get("source"), ds.get("target")
    if isinstance(src, dict):
        ref(("datasets", i, "source", "store"), src.get("store"), sources, targets, "sources")
    if isinstance(tgt, dict):
        ref(("datasets", i, "target", "store"), tgt.get("store"), targets, sources, "targets")
    schema, parts = ds.get("schema"), ds.get("partition_columns")
    if not isinstance(schema, list):
        return
    known = {
        c.get("name", "").lower() for c in schema if isinstance(c, dict) and isinstance(c.get("name"), str)
    }
    known |= {p.lower() for p in parts if isinstance(p, str)} if isinstance(parts, list) else set()
    rules = ds.get("validation")
    for k, rule in enumerate(rules if isinstance(rules, list) else []):
        for key in ("columns", "key_columns"):
            cols = rule.get(key) if isinstance(rule, dict) else None
            for c in cols if isinstance(cols, list) else []:
                if isinstance(c, str) and c.lower() not in known:
                    out.append(
                        (
                            ("datasets", i, "validation", k, key),
                            f"column {c!r} is not in schema or partition_columns",
                        )
                    )


# ---------------------------------------------------------------- literal secrets

_SECRET_KEY = re.compile(
    r"secret|passw(or)?d|passwd|token|access_?key|credential|api_?key|private_?key", re.I
)
_AWS_KEY_ID = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@:]*:[^/\s@]+@")


def _secret_scan(data: Any, path: KeyPath = ()) -> tuple[list[Finding], list[str]]:
    """Findings for literal secrets plus the secret texts themselves (so messages can be scrubbed)."""
    findings: list[Finding] = []
    values: list[str] = []

    def walk(node: Any, at: KeyPath) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                key = str(k)
                literal = v is not None and not isinstance(v, bool | dict | list) and str(v) != ""
                if literal and _SECRET_KEY.search(key) and not key.lower().endswith(("_env", "_block")):
                    findings.append(((*at, k), SECRET_HINT))
                    values.append(str(v))
                else:
                    walk(v, (*at, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*at, i))
        elif isinstance(node, str):
            if _AWS_KEY_ID.search(node):
                findings.append((at, f"{SECRET_HINT} (an AWS access key id)"))
                values.append(node)
            elif _URL_USERINFO.search(node):
                findings.append((at, f"{SECRET_HINT} (a URL with user:password@)"))
                values.append(node)

    walk(data, path)
    return findings, values


# ---------------------------------------------------------------- problems and loading


@dataclass(frozen=True)
class Problem:
    """One finding in a plan file; ``str()`` gives ``FILE:LINE:COLUMN: key.path: message``."""

    file: str
    line: int
    column: int
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.key_path}: {self.message}" if self.key_path else f"{where}: {self.message}"


def _strip(t: Any) -> Any:
    while typing.get_origin(t) is Annotated:
        t = typing.get_args(t)[0]
    return t


def _union_members(t: Any) -> list[Any]:
    t = _strip(t)
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return [_strip(a) for a in typing.get_args(t) if a is not type(None)]
    return [t]


def _kinds_of(model: Any) -> tuple[Any, ...]:
    if isinstance(model, type) and issubclass(model, BaseModel) and "kind" in model.model_fields:
        return typing.get_args(model.model_fields["kind"].annotation)
    return ()


def _type_at(loc: tuple[Any, ...]) -> Any:
    """The annotation pydantic validated at ``loc`` (tags of discriminated unions included), or None."""
    t: Any = Plan
    for elem in loc:
        members = _union_members(t)
        if len(members) > 1:  # a discriminated union: the loc element is the tag
            t = next((m for m in members if elem in _kinds_of(m)), None)
            if t is None:
                return None
            continue
        t = members[0]
        origin = typing.get_origin(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            field = t.model_fields.get(str(elem))
            if field is None:
                return None
            t = field.annotation
        elif origin is list and isinstance(elem, int):
            t = typing.get_args(t)[0]
        elif origin is dict:
            t = typing.get_args(t)[1]
        else:
            return None
    return t


_YAML_TYPE = {
    str: "text",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
    dict: "mapping",
    list: "list",
    date: "date",
    datetime: "timestamp",
}


def _message(err: Any, loc: tuple[Any, ...]) -> str:
    kind, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    got = _YAML_TYPE.get(type(err.get("input")), type(err.get("input")).__name__)
    if kind == "extra_forbidden":
        model = _union_members(_type_at(loc[:-1]))
        allowed = (
            [f for f in model[0].model_fields]
            if len(model) == 1 and isinstance(model[0], type) and issubclass(model[0], BaseModel)
            else []
        )
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        return (
            f"unknown key {loc[-1]!r} (expected one of: {', '.join(allowed)}{extra})"
            if allowed
            else f"unknown key {loc[-1]!r}"
        )
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = [a for m in _union_members(_type_at(loc)) for a in _kinds_of(m)]
        what = "missing key 'kind'" if kind == "union_tag_not_found" else "unknown kind"
        return f"{what} (expected one of: {', '.join(tags)})"
    # A mapping key (a store name) that fails its pattern is reported as a name, not a value.
    bad = f"invalid name {loc[-2]!r}" if len(loc) > 1 and loc[-1] == "[key]" else "invalid value"
    if kind == "string_pattern_mismatch":
        return f"{bad} (expected text matching {ctx.get('pattern')})"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if msg.startswith("Input should be "):
        return f"{bad} (expected {msg.removeprefix('Input should be ')}; got {got})"
    return f"{bad} ({msg[:1].lower()}{msg[1:]})"


def _locate(loc: tuple[Any, ...], data: Any) -> tuple[KeyPath, bool]:
    """Map a pydantic loc onto a YAML key path: drop union tags; say whether the key (not value) is meant."""
    path: list[str | int] = []
    cur = data
    for i, elem in enumerate(loc):
        last = i == len(loc) - 1
        if elem == "[key]":
            return tuple(path), True
        in_dict = isinstance(cur, dict) and elem in cur
        if in_dict or (isinstance(cur, list) and isinstance(elem, int) and 0 <= elem < len(cur)):
            cur = cur[elem]
            path.append(elem)
        elif last:  # a missing key: report it at its parent
            path.append(elem)
        # else: a discriminated-union tag that pydantic inserts into loc; it is not in the YAML
    return tuple(path), False


def _problems_from(
    file: str, doc: PositionedYaml, findings: list[tuple[KeyPath, bool, str]]
) -> list[Problem]:
    out = []
    for path, at_key, message in findings:
        pos = doc.key_pos(path) if at_key else doc.value_pos(path)
        out.append(Problem(file, pos.line, pos.column, format_path(path), message))
    return out


def _validate(text: str, file: str, base_dir: Path) -> tuple[Plan | None, list[Problem]]:
    doc = load_positioned(text)
    # YAML-level issues carry their own position (a syntax error has no key path to look up).
    problems = [Problem(file, i.pos.line, i.pos.column, format_path(i.path), i.message) for i in doc.issues]
    if doc.data is None:
        if not doc.issues:
            problems.append(Problem(file, 1, 1, "", "empty plan (expected a mapping: version, name, ...)"))
        return None, problems

    secrets, secret_values = _secret_scan(doc.data)
    secret_paths = {p for p, _ in secrets}
    found: list[tuple[KeyPath, bool, str]] = []
    plan: Plan | None = None
    try:
        plan = Plan.model_validate(doc.data, context={"skip_cross_checks": True})
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=True):
            loc = tuple(err["loc"])
            path, at_key = _locate(loc, doc.data)
            if err["type"] == "extra_forbidden" and path in secret_paths:
                continue  # one finding per mistake: "literal secret" says more than "unknown key"
            found.append((path, at_key or err["type"] == "extra_forbidden", _message(err, loc)))
    found += [(p, False, m) for p, m in _cross_checks(doc.data)]
    found += [(p, False, m) for p, m in secrets]

    problems += _problems_from(file, doc, found)
    # Belt and braces: no message may carry a secret text, whatever produced it.
    for value in (v for v in secret_values if len(v) >= 4):
        problems = [
            Problem(p.file, p.line, p.column, p.key_path, p.message.replace(value, "***")) for p in problems
        ]
    problems.sort(key=lambda p: (p.line, p.column))
    if problems or plan is None:
        return None, problems
    plan._base_dir = base_dir
    return plan, []


def check_plan_text(
    text: str, file: str = "<plan>", base_dir: str | os.PathLike[str] | None = None
) -> list[Problem]:
    """Every problem in plan ``text`` (empty when it is valid)."""
    return _validate(text, file, Path(os.path.abspath(base_dir or ".")))[1]


def load_plan_text(text: str, file: str = "<plan>", base_dir: str | os.PathLike[str] | None = None) -> Plan:
    """The plan in ``text``; relative paths resolve against ``base_dir`` (default: the current folder)."""
    plan, problems = _validate(text, file, Path(os.path.abspath(base_dir or ".")))
    if plan is None:
        raise PlanError(f"{file}: {len(problems)} problem(s) in the plan", [str(p) for p in problems])
    return plan


def _read_problem(path: str | os.PathLike[str]) -> tuple[str | None, Problem | None]:
    """The plan's text, or why it cannot be read (a byte that is not UTF-8 is located by line and column)."""
    try:
        data = Path(path).read_bytes()
        return data.decode("utf-8"), None
    except OSError as exc:
        return None, Problem(str(path), 0, 0, "", f"cannot read the plan: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Problem(str(path), line, column, "", f"cannot read the plan: byte 0x{data[exc.start]:02x} "
                             f"is not UTF-8 ({exc.reason}); save the plan as UTF-8")


def _read(path: str | os.PathLike[str]) -> str:
    text, problem = _read_problem(path)
    if problem is not None:
        raise PlanError(str(problem), [str(problem)])
    assert text is not None
    return text


def check_plan(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in the plan file (empty when it is valid), each with file, line and column."""
    text, problem = _read_problem(path)
    if problem is not None:
        return [problem]
    assert text is not None
    return check_plan_text(text, str(path), Path(path).parent)


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """The plan in file ``path``; raises ``PlanError`` whose ``problems`` lists every finding."""
    return load_plan_text(_read(path), str(path), Path(path).parent)


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema of the plan format (what plans/plan.schema.json holds), for editor completion."""
    schema = Plan.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
