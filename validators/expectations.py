"""Great Expectations (1.x) suites from the plan, run on the target chunk by chunk, merged into the verdict.

Suites come from ``{check: expectation_suite, path: FILE}`` (GE's suite JSON: ``{"name", "expectations":
[{"type", "kwargs", "meta"}]}``) and ``{check: expectations, expectations: [...]}`` inline. GE is imported
here only (it costs seconds and ~300 MiB), with an ephemeral context and no Data Docs.

Row-wise ("map") expectations run through GE on chunks of target row groups (pandas frames of at most
``CHUNK_ROWS`` rows, only the columns they name), so memory stays bounded; their counts are summed and
``mostly`` is applied to the totals. What a chunk cannot decide is decided here over the whole target:
uniqueness (key hashes, like the ``unique`` check), row counts, and column aggregates (min, max, mean,
sum, distinct count: from the column profiles). Other aggregate expectations are reported as errors
(they cannot be merged chunk by chunk) rather than passed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from migrate.errors import ConfigError

from .profiles import ColumnProfile, json_value
from .sides import TargetSide, read_target
from .summary import Canon, UnitSummary

CHUNK_ROWS = 250_000

# Decided over the whole target from the profiles / row counts: type -> (profile statistic, needs column)
_AGGREGATES = {
    "expect_column_min_to_be_between": "min",
    "expect_column_max_to_be_between": "max",
    "expect_column_mean_to_be_between": "mean",
    "expect_column_sum_to_be_between": "sum",
    "expect_column_unique_value_count_to_be_between": "distinct",
}
_ROW_COUNT = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")
_UNIQUE = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


@dataclass
class Suite:
    name: str
    expectations: list[dict[str, Any]]


def declared_expectations(plan: Any, ds: Any) -> list[Suite]:
    """The dataset's suites: suite files (relative to the plan) and inline expectations."""
    suites = []
    for i, rule in enumerate(ds.validation or []):
        if rule.check == "expectation_suite":
            path = Path(rule.path)
            if not path.is_absolute():
                path = Path(plan.base_dir) / path
            suites.append(load_suite(path))
        elif rule.check == "expectations":
            inline = [{"type": e.type, "kwargs": dict(e.kwargs), "meta": e.meta} for e in rule.expectations]
            suites.append(Suite(f"{ds.name} (inline, validation[{i}])", inline))
    return suites


def load_suite(path: Path) -> Suite:
    """A GE suite JSON file (1.x ``type`` or 0.x ``expectation_type`` keys)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"expectation suite {path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"expectation suite {path}: not JSON ({exc})") from None
    items = data.get("expectations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"expectation suite {path}: expected an object with an \"expectations\" list")
    out = []
    for k, e in enumerate(items):
        kind = e.get("type") or e.get("expectation_type") if isinstance(e, dict) else None
        if not isinstance(kind, str) or not kind.startswith("expect_"):
            raise ConfigError(f"expectation suite {path}: expectations[{k}] has no \"type\" (expect_...)")
        out.append({"type": kind, "kwargs": dict(e.get("kwargs") or {}), "meta": e.get("meta")})
    return Suite(str(data.get("name") or data.get("expectation_suite_name") or path.stem), out)


class _NoSpark:
    """Import hook while GE loads: its pyspark probe costs a second and is not needed (pandas only)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pyspark" or name.startswith("pyspark."):
            raise ModuleNotFoundError("pyspark is not loaded for Great Expectations here", name=name)
        return None


def _import_gx() -> Any:
    if "great_expectations" not in sys.modules and "pyspark" not in sys.modules:
        hook = _NoSpark()
        sys.meta_path.insert(0, hook)
        try:
            import great_expectations  # noqa: F401 - loaded once, with the hook in place
        finally:
            sys.meta_path.remove(hook)
    import great_expectations as gx

    return gx


def _columns_of(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)]
    cols += [c for c in kwargs.get("column_list") or [] if isinstance(c, str)]
    return cols


def _is_map(gx: Any, kind: str) -> bool:
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        cls = get_expectation_impl(kind)
    except Exception:
        return False
    return issubclass(cls, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation)


def _within(value: Any, kwargs: dict[str, Any]) -> bool:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    strict_lo, strict_hi = kwargs.get("strict_min", False), kwargs.get("strict_max", False)
    if value is None:
        return False
    if lo is not None and (value < lo or (strict_lo and value == lo)):
        return False
    return not (hi is not None and (value > hi or (strict_hi and value == hi)))


def _profile(summaries: dict[str, UnitSummary], column: str) -> ColumnProfile | None:
    total: ColumnProfile | None = None
    for s in summaries.values():
        p = s.columns.get(column)
        if p is None:
            continue
        if total is None:
            total = ColumnProfile(p.type)
        total.merge(p)
    return total


def run_expectations(ds: Any, tgt: TargetSide, canon: Canon, suites: list[Suite], res: Any, max_rows: int,
                     summaries: dict[str, UnitSummary] | None = None) -> dict[str, Any]:
    """Every expectation of ``suites`` on the target; findings into ``res``; the verdict's ``expectations``."""
    summaries = summaries or {}
    gx = _import_gx()
    results: list[dict[str, Any]] = []
    chunked: list[tuple[int, dict[str, Any]]] = []
    total_rows = sum(s.rows for s in summaries.values())
    for suite in suites:
        for e in suite.expectations:
            entry: dict[str, Any] = {"expectation": e["type"], "suite": suite.name, "kwargs": json_value(e["kwargs"]),
                                     "column": e["kwargs"].get("column"), "success": False}
            if e.get("meta"):
                entry["meta"] = json_value(e["meta"])
            missing = [c for c in _columns_of(e["kwargs"]) if c not in canon.schema.names]
            kw = e["kwargs"]
            if missing:
                entry["error"] = f"column(s) {', '.join(missing)} are not in the dataset"
            elif e["type"] in _ROW_COUNT:
                entry["observed_value"] = total_rows
                entry["success"] = (total_rows == kw.get("value") if e["type"].endswith("_equal")
                                    else _within(total_rows, kw))
                entry["evaluated_by"] = "migrate (whole target)"
            elif e["type"] in _AGGREGATES:
                prof = _profile(summaries, kw.get("column", ""))
                stat = _AGGREGATES[e["type"]]
                value: Any = None
                if prof is not None:
                    value = {"min": prof.min, "max": prof.max, "sum": prof.sum, "distinct": prof.distinct,
                             "mean": (float(prof.sum) / prof.count if prof.sum is not None and prof.count else None)
                             }[stat]
                entry["observed_value"] = json_value(value)
                entry["success"] = _within(value, kw)
                entry["evaluated_by"] = "migrate (whole target, column profile)"
            elif e["type"] in _UNIQUE:
                cols = [kw["column"]] if "column" in kw else list(kw.get("column_list") or [])
                entry.update(_unique(ds, tgt, canon, cols, summaries, max_rows))
                entry["evaluated_by"] = "migrate (whole target, key hashes)"
            elif _is_map(gx, e["type"]):
                chunked.append((len(results), e))
                entry.update(element_count=0, unexpected_count=0, missing_count=0, examples=[])
                entry["evaluated_by"] = f"great_expectations {gx.__version__} (chunks of <= {CHUNK_ROWS:,} rows)"
            else:
                entry["error"] = ("cannot be decided chunk by chunk (supported besides row-wise expectations: "
                                  + ", ".join(sorted((*_AGGREGATES, *_ROW_COUNT, *_UNIQUE))) + ")")
            results.append(entry)
    if chunked:
        _run_chunked(gx, tgt, canon, chunked, results, max_rows)
    failed = 0
    for entry in results:
        ok = entry["success"] and "error" not in entry
        if ok:
            continue
        failed += 1
        what = entry.get("error") or _failure_text(entry)
        finding = {"check": "expectations", "kind": entry["expectation"], "dataset": ds.name, "partition": None,
                   "column": entry.get("column"), "message": f"{entry['expectation']}"
                   f"({_kw_text(entry['kwargs'])}): {what}"}
        examples = entry.get("examples") or []
        if examples:
            finding.update(target_file=examples[0]["target_file"], target_row=examples[0]["target_row"],
                           partition=examples[0].get("partition"))
        res.add(finding)
        for ex in examples[1:max_rows]:
            res.add({**finding, "kind": entry["expectation"], "target_file": ex["target_file"],
                     "target_row": ex["target_row"], "partition": ex.get("partition"),
                     "message": f"{entry['expectation']}: unexpected value {ex['value']!r} in target row "
                     f"{ex['target_row']} of {ex['target_file']}"})
    status = "fail" if failed else "pass"
    res.check("expectations", status, f"{len(results) - failed} of {len(results)} expectation(s) met" +
              (f" ({len(suites)} suite(s))" if suites else ""))
    return {"status": status, "engine": f"great_expectations {gx.__version__}",
            "suites": [s.name for s in suites], "evaluated": len(results), "failed": failed, "results": results}


def _kw_text(kwargs: Any) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (kwargs or {}).items())


def _failure_text(entry: dict[str, Any]) -> str:
    if "unexpected_count" in entry:
        n = entry.get("element_count", 0) - entry.get("missing_count", 0)
        ex = ", ".join(repr(x["value"]) for x in (entry.get("examples") or [])[:3])
        return (f"{entry['unexpected_count']:,} of {n:,} value(s) unexpected" + (f", e.g. {ex}" if ex else "")
                + (f" (mostly={entry['kwargs'].get('mostly')})" if entry["kwargs"].get("mostly") else ""))
    return f"observed {entry.get('observed_value')!r}"


def _unique(ds: Any, tgt: TargetSide, canon: Canon, cols: list[str], summaries: dict[str, UnitSummary],
            max_rows: int) -> dict[str, Any]:
    from .checks import _unique as unique_check

    class Collect:
        def __init__(self) -> None:
            self.findings: list[dict[str, Any]] = []
            self.summary = ""
            self.status = "pass"

        def add(self, f: dict[str, Any]) -> None:
            self.findings.append(f)

        def check(self, name: str, status: str, summary: str = "") -> None:
            self.status, self.summary = status, summary

    c = Collect()
    unique_check(ds, tgt, canon, cols, summaries, c, max_rows, None)
    return {"success": c.status == "pass", "observed_value": c.summary,
            "examples": [{"target_file": f["target_file"], "target_row": f["target_row"],
                          "partition": f.get("partition"), "value": f.get("key")} for f in c.findings]}


def _run_chunked(gx: Any, tgt: TargetSide, canon: Canon, chunked: list[tuple[int, dict[str, Any]]],
                 results: list[dict[str, Any]], max_rows: int) -> None:
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_def = ctx.data_sources.add_pandas("migrate").add_dataframe_asset("target") \
        .add_batch_definition_whole_dataframe("chunk")
    suite = ctx.suites.add(gx.ExpectationSuite(name="migrate-chunked"))
    for _, e in chunked:
        kwargs = {k: v for k, v in e["kwargs"].items() if k != "mostly"}  # mostly applies to the totals
        suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=kwargs))
    suite.save()
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="migrate-chunked", data=batch_def, suite=suite))
    columns = sorted({c for _, e in chunked for c in _columns_of(e["kwargs"])})
    # Results come back in another order than the suite's: match them by the ids the suite gave.
    ids = [x.id for x in suite.expectations]
    if len(ids) != len(chunked) or None in ids:
        raise ConfigError("great_expectations did not keep the suite's expectations in order; cannot merge results")
    index_of = {eid: i for eid, (i, _) in zip(ids, chunked, strict=True)}
    answered: set[int] = set()
    for frame, where in _chunks(tgt, canon, columns):
        run = vd.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        for r in run.results:
            i = index_of.get(r.expectation_config.id)
            if i is None:
                continue
            answered.add(i)
            entry = results[i]
            info = r.exception_info or {}
            if info.get("raised_exception"):
                entry["error"] = str(info.get("exception_message") or "raised an exception")
                continue
            got = r.result or {}
            entry["element_count"] += int(got.get("element_count") or 0)
            entry["unexpected_count"] += int(got.get("unexpected_count") or 0)
            entry["missing_count"] += int(got.get("missing_count") or 0)
            for idx, value in zip(got.get("partial_unexpected_index_list") or [],
                                  got.get("partial_unexpected_list") or [], strict=False):
                if len(entry["examples"]) < max_rows and isinstance(idx, int) and 0 <= idx < len(where):
                    uri, row, part = where[idx]
                    entry["examples"].append({"target_file": uri, "target_row": row, "partition": part,
                                              "value": json_value(value)})
    for i, e in chunked:
        entry = results[i]
        if "error" in entry:
            continue
        if i not in answered and entry["element_count"] == 0 and any(True for _ in tgt.files):
            entry["error"] = "great_expectations returned no result for it"
            continue
        nonmissing = entry["element_count"] - entry["missing_count"]
        mostly = e["kwargs"].get("mostly")
        if mostly is None:
            entry["success"] = entry["unexpected_count"] == 0
        else:
            entry["success"] = nonmissing == 0 or entry["unexpected_count"] <= (1 - float(mostly)) * nonmissing


def _chunks(tgt: TargetSide, canon: Canon, columns: list[str]) -> Any:
    """(pandas frame of <= CHUNK_ROWS target rows, [(file, row, partition)] per frame row)."""
    tables: list[pa.Table] = []
    where: list[tuple[str, int, str | None]] = []
    n = 0
    for tf in tgt.files:
        base = 0
        for table in read_target(tgt, tf, columns=columns):
            t = pa.table([table.column(c).cast(canon.schema.field(c).type) for c in columns], names=columns)
            for lo in range(0, t.num_rows, CHUNK_ROWS):
                piece = t.slice(lo, CHUNK_ROWS)
                tables.append(piece)
                where += [(tf.uri, base + lo + i, tf.partition) for i in range(piece.num_rows)]
                n += piece.num_rows
                if n >= CHUNK_ROWS:
                    yield pa.concat_tables(tables).to_pandas(), where
                    tables, where, n = [], [], 0
            base += table.num_rows
    if tables:
        yield pa.concat_tables(tables).to_pandas(), where
