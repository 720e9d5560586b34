"""What every translation step shares: the options a run targets, what earlier statements of the same script
established (``ScriptState``) and the per-statement record of decisions (``Context``: notes, failures, rules
applied, constructs seen, statements to emit before this one).

Kept apart from the rules so that rule modules (rules, hive_functions, ddl, ...) import it without importing
each other.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .variables import Variables


@dataclass
class TableInfo:
    """A legacy table as Hive declared it."""

    name: str  # db.table, lower case
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, Hive type)
    partitions: list[tuple[str, str]] = field(default_factory=list)
    storage: str = "text"  # text | csv | json | regex | orc | parquet | avro | sequencefile | rcfile | unknown
    serde: str | None = None
    serde_properties: dict[str, str] = field(default_factory=dict)
    field_delim: str | None = None
    collection_delim: str | None = None
    map_key_delim: str | None = None
    escape: str | None = None
    null_format: str | None = None
    location: str | None = None
    columns_known: bool = True  # False for a CTAS whose column types the translator did not derive
    source: str = ""  # where it was learnt: "script:LINE", a dump file, the plan

    def copy(self) -> TableInfo:
        return copy.deepcopy(self)

    def column_type(self, name: str) -> str | None:
        for col, typ in (*self.columns, *self.partitions):
            if col.lower() == name.lower():
                return typ
        return None


@dataclass(frozen=True)
class Note:
    rule: str
    message: str


@dataclass
class Options:
    """What the translation targets. ``table_map`` keys are legacy ``db.table`` or ``db`` (lower case)."""

    target_format: str = "iceberg"  # iceberg | parquet
    catalog: str | None = None  # prefix for legacy db.table -> catalog.db.table
    table_map: dict[str, str] = field(default_factory=dict)
    location_map: list[tuple[str, str]] = field(default_factory=list)  # legacy prefix -> target prefix
    # legacy table location -> target table (a plan dataset's source path and Iceberg table)
    location_tables: list[tuple[str, str]] = field(default_factory=list)
    variables: Variables = field(default_factory=Variables)
    # legacy tables known before the script runs (a DDL dump, the plan): db.table -> shape
    known_tables: dict[str, TableInfo] = field(default_factory=dict)
    # variables of one script (a plan job's command line): resolved script path -> NAME -> VALUE
    file_variables: dict[str, dict[str, str]] = field(default_factory=dict)
    ansi_rewrites: bool = True  # CAST -> TRY_CAST, / -> try_divide (Hive's NULL instead of an error)


@dataclass
class ScriptState:
    """What earlier statements of the same script established."""

    variables: Variables
    current_db: str | None = None
    temp_functions: set[str] = field(default_factory=set)
    dynamic_overwrite_set: bool = False
    tables: dict[str, TableInfo] = field(default_factory=dict)  # declared by the script so far
    legacy_time_parser: bool = False  # SET spark.sql.legacy.timeParserPolicy=LEGACY emitted
    views: int = 0  # temporary views the translation created (migrate_load_N, ...)
    # materialized views created by the script (now tables): lower-case name -> their query (Hive text)
    materialized_views: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    options: Options
    state: ScriptState
    notes: list[Note] = field(default_factory=list)
    failures: list[Note] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    constructs: list[str] = field(default_factory=list)
    before: list[str] = field(default_factory=list)  # Spark statements to emit before this one
    if_not_exists: bool = False  # INSERT OVERWRITE ... PARTITION (...) IF NOT EXISTS (hive_commands)
    # Every node of the tree being rewritten, collected in one walk: rules filter this list instead of
    # walking the tree again (one walk per rule made big queries 2x slower).
    nodes: list[Any] = field(default_factory=list)

    def of(self, *types: type) -> list[Any]:
        return [n for n in self.nodes if isinstance(n, types)]

    def hit(self, rule: str) -> None:
        if rule not in self.applied:
            self.applied.append(rule)

    def note(self, rule: str, message: str) -> None:
        self.hit(rule)
        if Note(rule, message) not in self.notes:
            self.notes.append(Note(rule, message))

    def fail(self, rule: str, reason: str) -> None:
        self.hit(rule)
        if Note(rule, reason) not in self.failures:
            self.failures.append(Note(rule, reason))

    def construct(self, name: str) -> None:
        if name not in self.constructs:
            self.constructs.append(name)
