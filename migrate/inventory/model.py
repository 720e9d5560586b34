"""The inventory JSON document (schema version 1); documented in docs/inventory.md.

Models are pydantic so the document validates on load (``Inventory.model_validate_json``) and a JSON
Schema can be emitted (``Inventory.model_json_schema()``). Lists are sorted by id on write so two scans
of the same estate give the same file (apart from ``generated_at`` and durations).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

FormatKind = Literal[
    "csv", "tsv", "hive_text", "jsonl", "parquet", "orc", "avro", "sequencefile", "rcfile", "text", "unknown",
    "mixed",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Column(_Model):
    name: str
    type: str  # plan type names: bigint, double, boolean, date, timestamp, string, int, decimal(p,s), ...
    nullable: bool = True
    note: str | None = None  # why a nested value became a map or JSON text (shapes seen in the sample)


class FormatInfo(_Model):
    kind: FormatKind
    compression: Literal["none", "gzip", "bzip2", "zstd", "snappy", "zlib", "lz4", "deflate", "mixed"] = "none"
    delimiter: str | None = None
    header: bool | None = None
    quote: str | None = None
    null_marker: str | None = None
    encoding: str | None = None
    details: dict[str, str] = Field(default_factory=dict)  # e.g. SequenceFile key/value classes


class Problem(_Model):
    path: str  # URI (or file:line for jobs); non-UTF-8 bytes appear as \xNN escapes
    # permission | unreadable | binary | empty_folder | symlink | symlink_loop | bad_name | ddl_mismatch | ...
    kind: str
    message: str


class Skipped(_Model):
    path: str
    reason: str  # marker | checksum | temporary | trash | hidden | staging


class RootInfo(_Model):
    name: str
    uri: str
    aliases: list[str] = Field(default_factory=list)  # how legacy code names this root ("/mfs", "hdfs://nn:8020")
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)  # open_storage options, no secrets
    folders: int = 0
    files: int = 0
    bytes: int = 0
    skipped: int = 0
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0


class Dataset(_Model):
    id: str  # "<root>:/<path>"
    root: str
    path: str  # relative to the root, "/"-separated, no leading slash
    uri: str
    legacy_paths: list[str] = Field(default_factory=list)
    format: FormatInfo
    schema_: list[Column] = Field(default_factory=list, alias="schema")
    partition_columns: list[str] = Field(default_factory=list)
    partitions: list[dict[str, str]] = Field(default_factory=list)  # at most max_partitions listed
    partition_count: int = 0
    files: int = 0
    bytes: int = 0
    rows: int | None = None
    rows_exact: bool = False
    small_files: int = 0
    small_file_ratio: float = 0.0
    newest_mtime: float | None = None
    owner: str | None = None
    sample_files: list[str] = Field(default_factory=list)
    hive_table: str | None = None
    wave: int | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class HiveColumn(_Model):
    name: str
    type: str
    comment: str | None = None


class HiveTable(_Model):
    name: str  # db.table
    columns: list[HiveColumn] = Field(default_factory=list)
    partition_columns: list[HiveColumn] = Field(default_factory=list)
    external: bool = False
    storage: str = "text"  # text | orc | parquet | avro | sequencefile | rcfile | unknown
    serde: str | None = None
    input_format: str | None = None
    delimiter: str | None = None
    null_format: str | None = None
    header_lines: int = 0
    location: str | None = None
    properties: dict[str, str] = Field(default_factory=dict)
    source: str  # file:line of the CREATE statement
    dataset: str | None = None  # id of the dataset at LOCATION


class PathRef(_Model):
    """A path or table a job touches, as written and as resolved."""

    text: str  # the literal path / table (after constant folding); "<dynamic>" when not resolvable
    kind: Literal["path", "table"] = "path"
    dynamic: bool = False
    call: str | None = None  # textFile, csvFile, saveAsTextFile, INSERT, FROM, ...
    line: int | None = None
    dataset: str | None = None  # dataset id when resolved


class Job(_Model):
    id: str  # "<kind>:<path>[:<name or line>]"
    kind: Literal["dpark", "hive", "marathon", "chronos", "aurora", "cron", "python"]
    path: str  # relative to the jobs folder
    file: str | None = None  # absolute path of the job file
    line: int | None = None
    name: str | None = None
    command: str | None = None
    schedule: str | None = None
    schedule_kind: Literal["cron", "iso8601", "none"] | None = None
    parents: list[str] = Field(default_factory=list)  # Chronos parents (job names)
    resources: dict[str, float | int | str] = Field(default_factory=dict)
    runs: list[str] = Field(default_factory=list)  # ids of script jobs this spec runs
    inputs: list[PathRef] = Field(default_factory=list)
    outputs: list[PathRef] = Field(default_factory=list)
    variables: list[str] = Field(default_factory=list)  # ${hivevar:x} etc.
    python2: bool | None = None
    problems: list[Problem] = Field(default_factory=list)
    wave: int | None = None


class Edge(_Model):
    src: str
    dst: str
    kind: Literal["reads", "writes", "triggers", "runs"]


class Node(_Model):
    id: str
    kind: Literal["dataset", "job", "external"]
    label: str


class Lineage(_Model):
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    cycles: list[list[str]] = Field(default_factory=list)


class Wave(_Model):
    wave: int
    datasets: list[str] = Field(default_factory=list)
    jobs: list[str] = Field(default_factory=list)


class Settings(_Model):
    small_file_bytes: int
    sample_bytes: int
    sample_files: int
    sample_rows: int
    exact_rows_bytes: int
    workers: int


class Inventory(_Model):
    version: int = SCHEMA_VERSION
    generated_at: str
    settings: Settings
    roots: list[RootInfo] = Field(default_factory=list)
    datasets: list[Dataset] = Field(default_factory=list)
    hive_tables: list[HiveTable] = Field(default_factory=list)
    jobs: list[Job] = Field(default_factory=list)
    lineage: Lineage = Field(default_factory=Lineage)
    waves: list[Wave] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)  # at most max_listed; counts are in roots[]

    def dataset(self, id_or_path: str) -> Dataset:
        for d in self.datasets:
            if id_or_path in (d.id, d.path) or id_or_path in d.legacy_paths:
                return d
        raise KeyError(id_or_path)

    def job(self, id_or_path: str) -> Job:
        for j in self.jobs:
            if id_or_path in (j.id, j.path):
                return j
        raise KeyError(id_or_path)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, by_alias=True) + "\n"
