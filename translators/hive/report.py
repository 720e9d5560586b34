"""Results of a translation: one record per statement, per file and in total, with no silent cases.

Classes: ``translated`` (Spark SQL with the same meaning), ``translated_with_notes`` (a difference a
reviewer must know), ``unsupported`` (with the reason). The JSON form is the contract for the HTML and
Markdown renderings in ``migrate.reports.translation``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .context import Note

TRANSLATED = "translated"
WITH_NOTES = "translated_with_notes"
UNSUPPORTED = "unsupported"
CLASSES = (TRANSLATED, WITH_NOTES, UNSUPPORTED)

# Statement kinds without a data effect: settings, plans, metadata display, resources, shell steps. Coverage
# figures are given over the other statements (a dropped SET or an unsupported `dfs -ls` moves no data).
ADMIN_KINDS = frozenset({"set", "reset", "explain", "show", "add_resource", "shell", "source", "msck", "analyze",
                         "lock", "grant", "index", "use", "workload"})


@dataclass
class StatementResult:
    file: str
    line: int
    end_line: int
    source: str
    kind: str  # select, insert, create_table, set, ... (first thing the statement does)
    outputs: list[str] = field(default_factory=list)  # Spark SQL statements, without ';'
    notes: list[Note] = field(default_factory=list)
    failures: list[Note] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    constructs: list[str] = field(default_factory=list)
    leading_comments: list[str] = field(default_factory=list)
    spark_check: str | None = None  # None (not run), "ok", or Spark's parse error
    substituted: str | None = None  # the statement after variable substitution (what Hive parsed)
    unresolved: list[str] = field(default_factory=list)  # ${...} references no --var, SET or plan defined
    equality: str | None = None  # outcome of an equality run (equality.py): equal, different, failed_...

    @property
    def status(self) -> str:
        if self.failures:
            return UNSUPPORTED
        return WITH_NOTES if self.notes else TRANSLATED

    @property
    def has_data_effect(self) -> bool:
        return self.kind not in ADMIN_KINDS

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status
        d["notes"] = [asdict(n) for n in self.notes]
        d["failures"] = [asdict(n) for n in self.failures]
        return d


@dataclass
class FileResult:
    path: str
    statements: list[StatementResult] = field(default_factory=list)
    output_path: str | None = None
    trailing_comments: list[str] = field(default_factory=list)

    def missing_variables(self) -> dict[str, list[int]]:
        """Each unresolved ``${...}`` reference once, with the lines of the statements that need it."""
        out: dict[str, list[int]] = {}
        for s in self.statements:
            for ref in s.unresolved:
                out.setdefault(ref, []).append(s.line)
        return out

    def counts(self) -> dict[str, int]:
        c = Counter(s.status for s in self.statements)
        return {k: c.get(k, 0) for k in CLASSES}


@dataclass
class TranslationReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0  # translation time, without any Spark check
    spark_checked: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def statements(self) -> list[StatementResult]:
        return [s for f in self.files for s in f.statements]

    def totals(self) -> dict[str, int]:
        c = Counter(s.status for s in self.statements)
        return {k: c.get(k, 0) for k in CLASSES}

    def by_construct(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = {}
        for s in self.statements:
            for c in s.constructs or [s.kind]:
                out.setdefault(c, Counter())[s.status] += 1
        return {k: {cls: v.get(cls, 0) for cls in CLASSES} for k, v in sorted(out.items())}

    def by_kind(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = {}
        for s in self.statements:
            out.setdefault(s.kind, Counter())[s.status] += 1
        return {k: {cls: v.get(cls, 0) for cls in CLASSES} for k, v in sorted(out.items())}

    def by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(r for s in self.statements for r in s.rules).items()))

    def spark_failures(self) -> list[StatementResult]:
        return [s for s in self.statements if s.spark_check not in (None, "ok")]

    def summary(self) -> dict[str, Any]:
        n = len(self.statements)
        t = self.totals()
        ok = t[TRANSLATED] + t[WITH_NOTES]
        out: dict[str, Any] = {
            "files": len(self.files),
            "statements": n,
            **t,
            "translated_pct": round(100.0 * ok / n, 2) if n else 100.0,
            "unsupported_with_reason": sum(1 for s in self.statements if s.status == UNSUPPORTED and s.failures),
            "seconds": round(self.seconds, 3),
            "statements_per_second": round(n / self.seconds, 1) if self.seconds > 0 else None,
        }
        if self.spark_checked:
            out["spark_parse_failures"] = len(self.spark_failures())
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "options": self.options,
            "by_kind": self.by_kind(),
            "by_construct": self.by_construct(),
            "by_rule": self.by_rule(),
            "files": [
                {"path": f.path, "output_path": f.output_path, "counts": f.counts(),
                 "missing_variables": f.missing_variables(),
                 "statements": [s.to_dict() for s in f.statements]}
                for f in self.files
            ],
        }
