"""``validate_dataset``: one dataset's source against its target, as a verdict (``verdicts.py``).

1. files: fresh listings of both sides against the ledger (``files.py``);
2. schema: the target's against the plan's mapping (``schema.py``);
3. one pass over every file not summarised before (``summary.py``, in parallel threads): row counts,
   column profiles and the row checksum, per partition on both sides; the source read with the copy's
   readers and quarantine rules;
4. per partition: source rows = target rows + quarantined, profiles within tolerances, checksums equal;
   where checksums differ, the differing rows are found and located (``diff.py``);
5. the plan's checks on the target: not_null, unique (``checks.py``) and Great Expectations suites
   (``expectations.py``);
6. the verdict, written to ``STATE_DIR/validation/<dataset>.json``; a passing verdict marks the
   validated files ``verified`` in the ledger.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from migrate.errors import MigrateError
from migrate.layout import conversion_key
from migrate.ledger import DONE_STATES, Ledger
from migrate.progress import NullProgress, ProgressSink
from migrate.writers.parquet import storage_schema

from . import verdicts
from .cache import SummaryCache, config_id
from .digest import engine_id
from .files import file_buckets
from .profiles import json_value
from .schema import canonical_schema, compare_schema
from .sides import (
    SourceFile,
    SourceSide,
    TargetFile,
    TargetSide,
    list_source,
    list_target,
    read_source,
    source_ranges,
)
from .summary import Canon, CountingQuarantine, UnitSummary, describe_error, summarize_source, summarize_target
from .tolerance import Tolerances

log = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 20
PROFILED_PARTITIONS = 200  # partitions whose column profiles the verdict lists (all are compared)
DEFAULT_MAX_FINDINGS = 1000
CHECK_ORDER = ("files", "content", "schema", "row_count", "profiles", "row_checksums", "quarantine", "not_null",
               "unique", "aggregates", "expectations")


@dataclass
class Options:
    """How one validation runs (the plan's rules are read from the dataset)."""

    workers: int | None = None  # threads summarising files (default: plan concurrency, at most 4)
    use_cache: bool = True
    expectations: bool = True
    duckdb_threads: int = 1  # per hashing connection: the workers already run files in parallel
    split_bytes: int = 64 << 20  # source files above this are read in parts (as the copy splits them)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Result:
    """Findings and check outcomes while a dataset is validated."""

    dataset: str
    max_findings: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    omitted: int = 0
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, finding: dict[str, Any]) -> None:
        counted = self.checks.setdefault(finding["check"], {"check": finding["check"], "status": "pass",
                                                             "findings": 0})
        counted["findings"] += 1
        counted["status"] = "fail" if counted["status"] != "error" else "error"
        if len(self.findings) < self.max_findings:
            self.findings.append(finding)
        else:
            self.omitted += 1

    def check(self, name: str, status: str, summary: str = "", **extra: Any) -> None:
        entry = self.checks.setdefault(name, {"check": name, "status": "pass", "findings": 0})
        if status in ("fail", "error") or entry["status"] == "pass":
            entry["status"] = status if entry["status"] != "fail" or status == "error" else "fail"
        if summary:
            entry["summary"] = summary
        entry.update(extra)


def _rules(ds: Any, check: str) -> list[Any]:
    return [r for r in (ds.validation or []) if r.check == check]


def _option(ds: Any, name: str, default: int) -> int:
    vals = [getattr(r, name) for r in ds.validation or [] if getattr(r, name, None) is not None]
    return int(max(vals)) if vals else default


def _declared(ds: Any) -> pa.Schema | None:
    if not ds.schema:
        return None
    from migrate.formats.types import arrow_schema

    return arrow_schema(ds.schema)


def _reader_schema(src: SourceSide, ds: Any, declared: pa.Schema | None) -> pa.Schema | None:
    """What the copy's reader makes of the first source file (declared types, partition columns added)."""
    for sf in src.files:
        try:
            stream = read_source(src, sf, ds, declared, CountingQuarantine())
        except MigrateError:
            continue
        with stream:
            return stream.schema
    return None


class _Summaries:
    """Summaries of every file of both sides: cached ones reused, the others computed in threads."""

    def __init__(self, ds: Any, src: SourceSide, tgt: TargetSide, declared: pa.Schema | None, canon: Canon,
                 cache: SummaryCache | None, config: str, opts: Options, progress: ProgressSink) -> None:
        self.source: dict[str, UnitSummary] = {}
        self.target: dict[str, UnitSummary] = {}
        src_cached = cache.get(ds.name, "source", (f.cache_key for f in src.files), config) if cache else {}
        tgt_cached = cache.get(ds.name, "target", (f.cache_key for f in tgt.files), config) if cache else {}
        workers = max(1, opts.workers or 2)
        todo_src = [sf for sf in src.files if sf.cache_key not in src_cached]
        todo_tgt = [tf for tf in tgt.files if tf.cache_key not in tgt_cached]
        for sf in src.files:
            if sf.cache_key in src_cached:
                self.source[sf.uri] = src_cached[sf.cache_key]
        for tf in tgt.files:
            if tf.cache_key in tgt_cached:
                self.target[tf.uri] = tgt_cached[tf.cache_key]
        self.read = {"source": len(todo_src), "target": len(todo_tgt)}
        self.cached = {"source": len(self.source), "target": len(self.target)}
        progress.dataset_started(ds.name, len(todo_src) + len(todo_tgt),
                                 sum(f.info.size for f in todo_src) + sum(f.size for f in todo_tgt))

        def run(side: str, unit: Any, part: tuple[int, int] | None) -> UnitSummary:
            if side == "source":
                return summarize_source(src, unit, ds, declared, canon, part)
            return summarize_target(tgt, unit, canon)

        # (side, file, byte range or None, bytes, future). The target's files go first: they are the
        # big indivisible units (a Parquet file holds several times the rows of as many CSV bytes), and
        # they keep both workers busy while the source's big text files are cut into byte ranges here
        # (as the copy cuts them: quoted text needs one pass counting quotes), so the pool never waits
        # for the cutting and the last jobs are small source parts.
        jobs: list[tuple[str, Any, tuple[int, int] | None, int, Future[UnitSummary]]] = []
        ranged: dict[str, list[tuple[int, int] | None]] = {}
        parts_of: dict[str, dict[tuple[int, int] | None, UnitSummary]] = defaultdict(dict)
        with ThreadPoolExecutor(workers, thread_name_prefix=f"validate-{ds.name}") as pool:
            for tf in sorted(todo_tgt, key=lambda f: -f.size):
                jobs.append(("target", tf, None, tf.size, pool.submit(run, "target", tf, None)))
            for sf in sorted(todo_src, key=lambda f: -f.info.size):
                parts = source_ranges(src, sf, ds, split_bytes=opts.split_bytes, workers=workers)
                ranged[sf.uri] = parts
                jobs += [("source", sf, r, (r[1] - r[0]) if r else sf.info.size, pool.submit(run, "source", sf, r))
                         for r in parts]
            for side, unit, part, size, fut in jobs:
                summary = fut.result()
                progress.advance(ds.name, bytes_done=size, rows=summary.rows)
                if side == "target":
                    self.target[unit.uri] = summary
                    progress.file_finished(ds.name, unit.uri, status="failed" if summary.error else "validated")
                    continue
                got = parts_of[unit.uri]
                got[part] = summary
                if len(got) == len(ranged[unit.uri]):  # the file's parts, merged in file order
                    whole = got[ranged[unit.uri][0]]
                    for r in ranged[unit.uri][1:]:
                        whole.merge(got[r])
                        whole.error = whole.error or got[r].error
                    whole.files = 1
                    self.source[unit.uri] = whole
                    progress.file_finished(ds.name, unit.uri, status="failed" if whole.error else "validated")
        if cache is not None:
            cache.replace(ds.name, "source", config, {f.cache_key: self.source[f.uri] for f in src.files})
            cache.replace(ds.name, "target", config, {f.cache_key: self.target[f.uri] for f in tgt.files})


def _merge(files: list[Any], summaries: dict[str, UnitSummary], canon: Canon) -> UnitSummary:
    from .profiles import ColumnProfile

    total = UnitSummary(columns={f.name: ColumnProfile(str(f.type)) for f in canon.schema})
    for f in files:
        total.merge(summaries[f.uri])
    return total


def validate_dataset(plan: Any, dataset: Any, *, catalog: Any = None, options: Options | None = None,
                     progress: ProgressSink | None = None, write: bool = True,
                     reports: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Validate one dataset of ``plan`` (a DatasetSpec or its name); returns the verdict (and writes it)."""
    ds = plan.dataset(dataset) if isinstance(dataset, str) else dataset
    opts = options or Options()
    t0 = time.monotonic()
    verdict: dict[str, Any] = {
        "schema_version": verdicts.SCHEMA_VERSION, "plan": plan.name, "dataset": ds.name, "verdict": "error",
        "reasons": [], "error": None, "checked_at": _now(), "duration_seconds": 0.0, "source": "",
        "target": "", "target_kind": ds.target.kind, "ledger_fingerprint": verdicts.ledger_fingerprint([]),
        "files_validated": 0, "incremental": {}, "rows": {}, "files": {}, "checks": [],
        "expectations": {"status": "none"}, "findings": [], "findings_omitted": 0, "partitions": [],
        "reports": dict(reports or {"html": None, "json": None, "md": None}),
        "quarantine": {"rows": 0, "files": 0, "folder": str(plan.state_dir / "quarantine" / ds.name)},
    }
    try:
        if hasattr(plan, "sources"):
            from migrate.credentials import export_block_secrets

            export_block_secrets(plan)  # credentials named by Prefect Secret blocks
        _validate(plan, ds, verdict, catalog, opts, progress or NullProgress())
    except MigrateError as exc:
        verdict.update(verdict="error", error=str(exc), reasons=[f"the validation could not run: {exc}"])
    except Exception as exc:  # a bug or an unexpected library error: say what, keep the other datasets going
        log.debug("validation of %s failed", ds.name, exc_info=True)
        verdict.update(verdict="error", error=describe_error(exc),
                       reasons=[f"the validation could not run: {describe_error(exc)}"])
    verdict["duration_seconds"] = round(time.monotonic() - t0, 3)
    if write:
        verdicts.write_verdict(plan, verdict)
    return verdict


def _validate(plan: Any, ds: Any, verdict: dict[str, Any], catalog: Any, opts: Options,
              progress: ProgressSink) -> None:
    max_rows = _option(ds, "max_rows", DEFAULT_MAX_ROWS)
    res = _Result(ds.name, _option(ds, "max_findings", DEFAULT_MAX_FINDINGS))
    with Ledger.in_state_dir(plan.state_dir) as ledger:
        records = ledger.records(ds.name)
        other = ledger.converted_with_other_settings(ds.name, conversion_key(ds))
    src = list_source(plan, ds)
    verdict["source"] = src.root
    if ds.target.kind == "copy":
        from .bytes import validate_copy

        validate_copy(plan, ds, src, records, res, verdict, other)
        _finish(plan, ds, verdict, res, records=None)
        return
    tgt = list_target(plan, ds, catalog=catalog)
    verdict["target"] = tgt.description
    # 1. files
    files = file_buckets(ds, src, tgt, records, other)
    verdict["files"] = files.counts
    for f in files.findings:
        res.add(f)
    n_bad = sum(v for k, v in files.counts.items() if k != "match")
    res.check("files", "pass" if not n_bad else "fail",
              f"{files.counts['match']} of {len(src.files)} source files match" +
              (f"; {n_bad} not: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in files.counts.items()
                                                if v and k != "match") if n_bad else ""))
    verdict["ledger_fingerprint"] = verdicts.ledger_fingerprint((r.source_uri, r.copy_key) for r in files.validated)
    verdict["files_validated"] = len(src.files)
    # 2. schema
    declared = _declared(ds)
    reader = _reader_schema(src, ds, declared)
    expected = canonical_schema(reader) if reader is not None else tgt.schema
    if expected is None and tgt.files:
        from .sides import target_schema

        expected = canonical_schema(target_schema(tgt, tgt.files[0]))
    if expected is None:
        res.check("schema", "skipped", "no source or target file to read a schema from")
        _finish(plan, ds, verdict, res, records=files)
        return
    _check_schema(ds, src, tgt, declared, expected, res)
    tol = Tolerances(list(ds.validation or []), expected)
    canon = Canon(expected, tol, opts.duckdb_threads)
    # 3. summaries
    cache = SummaryCache(verdicts.validation_dir(plan) / "cache.db") if opts.use_cache else None
    config = config_id(engine_id(), str(expected), sorted(tol.describe().items()),
                       ds.format.model_dump() if hasattr(ds.format, "model_dump") else str(ds.format),
                       str(declared), list(ds.partition_columns or []))
    workers = opts.workers or min(4, int(getattr(plan.settings, "concurrency", 2) or 2))
    try:
        sums = _Summaries(ds, src, tgt, declared, canon, cache, config, replace(opts, workers=workers), progress)
    finally:
        if cache is not None:
            cache.close()
    verdict["incremental"] = {"source_files_read": sums.read["source"], "source_files_cached": sums.cached["source"],
                              "target_files_read": sums.read["target"], "target_files_cached": sums.cached["target"]}
    _compare(plan, ds, src, tgt, declared, canon, sums, files, res, verdict, max_rows)
    # 5. the plan's checks on the target
    from .checks import run_target_checks

    run_target_checks(ds, tgt, canon, sums.target, res, max_rows)
    if opts.expectations:
        from .expectations import declared_expectations, run_expectations

        try:
            suites = declared_expectations(plan, ds)
            if suites:
                verdict["expectations"] = run_expectations(ds, tgt, canon, suites, res, max_rows, sums.target)
        except MigrateError as exc:
            verdict["expectations"] = {"status": "error", "error": str(exc)}
            res.add({"check": "expectations", "kind": "error", "dataset": ds.name, "partition": None,
                     "column": None, "message": str(exc)})
            res.check("expectations", "error", str(exc))
    _trace_to_source(ds, src, tgt, declared, sums, res)
    _finish(plan, ds, verdict, res, records=files)


def _trace_to_source(ds: Any, src: SourceSide, tgt: TargetSide, declared: pa.Schema | None, sums: _Summaries,
                     res: _Result) -> None:
    """Findings that name a target row the copy wrote get the source file and line it came from."""
    from .checks import TargetToSource
    from .locate import locate_rows

    todo = [f for f in res.findings if f.get("target_file") and f.get("target_row") is not None and not f.get("file")]
    if not todo:
        return
    t2s = TargetToSource(tgt, src.files, {u: s.rows for u, s in sums.target.items()})
    wanted: dict[str, tuple[SourceFile, list[tuple[dict[str, Any], int]]]] = {}
    for f in todo:
        hit = t2s.source_of(f["target_file"], int(f["target_row"]))
        if hit is not None:
            sf, ordinal = hit
            wanted.setdefault(sf.uri, (sf, []))[1].append((f, ordinal))
    for sf, items in wanted.values():
        try:
            where = locate_rows(src, sf, ds, declared, [o for _, o in items], sums.source[sf.uri].quarantined)
        except Exception as exc:  # the finding stands without its line
            log.info("cannot locate rows of %s: %s", sf.uri, exc)
            where = {}
        for f, ordinal in items:
            f["file"] = sf.uri
            f.update(where.get(ordinal, {}))


def _check_schema(ds: Any, src: SourceSide, tgt: TargetSide, declared: pa.Schema | None, expected: pa.Schema,
                  res: _Result) -> None:
    """The target's schema against the plan's mapping; without a declared schema the mapping is what the
    reader infers, file by file, so each target file is held to the schema of the source file it came from."""
    found: list[dict[str, Any]] = []
    by_version = {sf.version: sf for sf in src.files}
    inferred: dict[str, pa.Schema | None] = {}

    def expected_for(tf: TargetFile) -> pa.Schema:
        sf = by_version.get(tf.version or "") if declared is None else None
        if sf is None:
            return expected
        if sf.uri not in inferred:
            one = SourceSide(src.root, src.options, src.store, [sf])
            inferred[sf.uri] = _reader_schema(one, ds, declared)
        own = inferred[sf.uri]
        return storage_schema(own) if own is not None else expected

    if tgt.kind == "iceberg" and tgt.schema is not None:
        found = compare_schema(ds, expected, tgt.schema, f"iceberg table {tgt.description}")
    else:
        from .sides import target_schema

        seen: dict[str, str] = {}
        for tf in tgt.files:
            try:
                actual = target_schema(tgt, tf)
            except Exception as exc:
                found.append({"check": "schema", "kind": "unreadable", "dataset": ds.name,
                              "partition": tf.partition, "column": None, "file": None, "target_file": tf.uri,
                              "message": f"{tf.uri}: cannot read its schema: {describe_error(exc)}"})
                continue
            want = expected_for(tf)
            key = f"{actual}\0{want}"
            if key in seen:
                continue  # the same schemas as a file already compared
            seen[key] = tf.uri
            found += compare_schema(ds, want, actual, tf.uri, tf.uri)
    for f in found:
        res.add(f)
    res.check("schema", "fail" if found else "pass",
              f"{len(found)} difference(s) from the plan's mapping" if found else
              f"{len(expected)} columns: names, types and nullability as the plan maps them")


def _compare(plan: Any, ds: Any, src: SourceSide, tgt: TargetSide, declared: pa.Schema | None, canon: Canon,
             sums: _Summaries, files: Any, res: _Result, verdict: dict[str, Any], max_rows: int) -> None:
    from .diff import narrow

    by_part_src: dict[str | None, list[SourceFile]] = defaultdict(list)
    by_part_tgt: dict[str | None, list[TargetFile]] = defaultdict(list)
    for sf in src.files:
        by_part_src[sf.partition].append(sf)
    for tf in tgt.files:
        by_part_tgt[tf.partition].append(tf)
    # Unreadable files: a finding each; their partitions cannot be compared.
    broken: set[str | None] = set()
    for side, units, summaries, key in (("source", src.files, sums.source, "file"),
                                        ("target", tgt.files, sums.target, "target_file")):
        for unit in units:
            err = summaries[unit.uri].error
            if err:
                broken.add(unit.partition)
                res.add({"check": "row_count", "kind": "unreadable", "dataset": ds.name, "partition": unit.partition,
                         "column": None, key: unit.uri, "message": f"cannot read {side} file: {err}"})
    keys = [c for r in _rules(ds, "row_checksums") for c in r.key_columns]
    extra = frozenset(f["target_file"] for f in files.findings if f["kind"] == "extra_on_target")
    quarantined = {sf.uri: sums.source[sf.uri].quarantined for sf in src.files}
    totals = {"source": 0, "quarantined": 0, "target": 0, "expected_target": 0}
    partitions: list[dict[str, Any]] = []
    differing_rows = differing_parts = prof_diffs = taken_over = 0
    q_files = 0
    q_examples: list[dict[str, Any]] = []
    for part in sorted(set(by_part_src) | set(by_part_tgt), key=lambda p: (p is None, p or "")):
        sfs, tfs = by_part_src.get(part, []), by_part_tgt.get(part, [])
        s = _merge(sfs, sums.source, canon)
        t = _merge(tfs, sums.target, canon)
        totals["source"] += s.rows_in
        totals["quarantined"] += s.quarantined
        totals["target"] += t.rows
        totals["expected_target"] += s.rows
        q_files += sum(1 for f in sfs if sums.source[f.uri].quarantined)
        q_examples += s.quarantine_examples[: max(0, 5 - len(q_examples))]
        ok = s.rows == t.rows
        partitions.append({"partition": part, "source_rows": s.rows_in, "quarantined": s.quarantined,
                           "target_rows": t.rows, "status": "pass" if ok else "fail",
                           "checksum": {"source": s.checksum.digest(), "target": t.checksum.digest()}})
        where = f"partition {part}" if part is not None else "the dataset"
        if not ok:
            missing = not tfs or t.rows == 0
            msg = (f"{where}: the source has {s.rows_in:,} rows ({s.quarantined:,} quarantined), so the target "
                   f"should have {s.rows:,}; it has {t.rows:,}")
            if missing and s.rows:
                msg += " (the partition is missing in the target)"
            elif not sfs:
                msg += " (the partition is not in the source)"
            res.add({"check": "row_count", "kind": "missing_partition" if missing and s.rows else "row_count",
                     "dataset": ds.name, "partition": part, "column": None,
                     "file": sfs[0].uri if sfs else None, "target_file": tfs[0].uri if tfs else None,
                     "message": msg, "source_value": s.rows, "target_value": t.rows})
        if part in broken:
            continue
        buckets = s.checksum.differing_buckets(t.checksum)
        whole_side = not sfs or not tfs or s.rows == 0 or t.rows == 0
        d = None
        if buckets and not whole_side:
            bucket_rows = {b: int(s.checksum.counts[b] + t.checksum.counts[b]) for b in buckets}
            d = narrow(ds, part, src, sfs, tgt, tfs, declared, canon, buckets, bucket_rows, keys=keys,
                       max_rows=max_rows, quarantined=quarantined, suspect=extra)
        # The source's min, max, sum and distinct counts: equal checksums mean equal column multisets
        # (the target's are the source's, and the verdict says so); where they differ, the narrowing
        # pass (or, for a partition the target lacks, one more read) measured the source's.
        from_target = _source_stats(ds, src, sfs, declared, canon, s, t, d, equal=not buckets)
        partitions[-1]["source_profile"] = "from_target" if from_target else "measured"
        taken_over += from_target
        src_distinct = _source_distinct(s, t, equal=not buckets)
        prof_diffs += _compare_profiles(ds, part, s, t, canon, res, src_distinct)
        if len(partitions) <= PROFILED_PARTITIONS:
            partitions[-1]["columns"] = {
                f.name: {"source": s.columns[f.name].to_json_with(src_distinct.get(f.name), from_target),
                         "target": t.columns[f.name].to_json_with(t.columns[f.name].distinct if t.sketched else None)}
                for f in canon.schema}
        if not buckets:
            continue
        differing_parts += 1
        if d is None:
            differing_rows += abs(s.rows - t.rows)
            continue  # a whole partition on one side only: the row count finding says it all
        rows_differ = max(d.source_only, d.target_only)
        if rows_differ <= 0 and not d.not_itemised_buckets:
            differing_parts -= 1  # every difference was within the declared tolerances
            continue
        differing_rows += rows_differ
        for f in d.findings:
            res.add(f)
        if rows_differ > len(d.findings) or d.not_itemised_buckets:
            more = (f"; {d.not_itemised_buckets} more differing hash bucket(s) were not itemised"
                    if d.not_itemised_buckets else "")
            res.add({"check": "row_checksums", "kind": "summary", "dataset": ds.name, "partition": part,
                     "column": None, "message": f"{where}: {d.source_only:,} source row(s) and {d.target_only:,} "
                     f"target row(s) have no equal on the other side; {len(d.findings)} listed{more}"})
    verdict["rows"] = totals
    verdict["partitions"] = partitions
    n_parts = len(partitions)
    bad_counts = sum(1 for p in partitions if p["status"] == "fail")
    res.check("row_count", "fail" if bad_counts or broken else "pass",
              f"{n_parts - bad_counts} of {n_parts} partition(s): source rows = target rows + quarantined"
              f" ({totals['source']:,} = {totals['target']:,} + {totals['quarantined']:,})" if not bad_counts else
              f"{bad_counts} of {n_parts} partition(s) differ: source {totals['source']:,} rows "
              f"({totals['quarantined']:,} quarantined), target {totals['target']:,}")
    taken = (f" (in {taken_over} partition(s) whose row checksums are equal, so are the column multisets: "
             "the source's min, max, sum and distinct count are the target's)" if taken_over else "")
    res.check("profiles", "fail" if prof_diffs else "pass",
              f"{prof_diffs} column statistic(s) differ{taken}" if prof_diffs else
              f"count, nulls, min, max, sum and approximate distinct of {len(canon.schema)} columns in "
              f"{n_parts} partition(s) agree{taken}")
    res.check("row_checksums", "fail" if differing_parts else "pass",
              f"{differing_rows:,} row(s) differ in {differing_parts} partition(s)" if differing_parts else
              f"order-independent row checksums of {n_parts} partition(s) are equal")
    _quarantine(plan, ds, src, sums, files, res, verdict, q_files, q_examples)


def _source_stats(ds: Any, src: SourceSide, sfs: list[SourceFile], declared: pa.Schema | None, canon: Canon,
                  s: UnitSummary, t: UnitSummary, d: Any, equal: bool) -> bool:
    """Complete the source's column profiles of one partition (``s``; the main pass counts values and
    nulls only): from the narrowing pass's measures (``d``), from the target's when the row checksums
    are equal (True: the rows are the same multiset, so are their columns' statistics), else measured by
    reading the partition's source files once more (a partition the target lacks)."""
    if s.profiled:
        return False
    if d is None and equal:
        for name, prof in s.columns.items():
            prof.stats_of(t.columns[name])
        return True
    if d is None:
        from .diff import source_profiles

        measured = source_profiles(src, sfs, ds, declared, canon) if s.rows else {}
    else:
        measured = d.source_profiles
    for name, prof in s.columns.items():
        got = measured.get(name)
        if got is not None:
            prof.stats_of(got)
            prof.sketch = got.sketch
    s.profiled = s.sketched = True
    return False


def _source_distinct(s: UnitSummary, t: UnitSummary, equal: bool) -> dict[str, int | None]:
    """The source's approximate distinct count per column: measured (a sketch in the summary, from the
    narrowing pass), or the target's when the partition's checksums are equal (same multisets)."""
    out: dict[str, int | None] = {}
    for name, prof in s.columns.items():
        if s.sketched:
            out[name] = prof.distinct
        elif equal and t.sketched:
            out[name] = t.columns[name].distinct
        else:
            out[name] = None
    return out


def _compare_profiles(ds: Any, part: str | None, s: UnitSummary, t: UnitSummary, canon: Canon, res: _Result,
                      src_distinct: dict[str, int | None]) -> int:
    n = 0
    tol = canon.tolerances
    where = f"partition {part}" if part is not None else "the dataset"
    for f in canon.schema:
        a, b = s.columns[f.name], t.columns[f.name]
        diffs = []
        if a.count != b.count:
            diffs.append(("count", a.count, b.count))
        if a.nulls != b.nulls:
            diffs.append(("nulls", a.nulls, b.nulls))
        if not tol.extreme_equal(f.name, a.min, b.min):
            diffs.append(("min", a.min, b.min))
        if not tol.extreme_equal(f.name, a.max, b.max):
            diffs.append(("max", a.max, b.max))
        if not tol.sums_equal(f.name, a.sum, b.sum, max(a.abs_sum or 0.0, b.abs_sum or 0.0), a.count):
            diffs.append(("sum", a.sum, b.sum))
        sd = src_distinct.get(f.name)
        if tol.get(f.name) is None and sd is not None and t.sketched and sd != b.distinct:
            diffs.append(("approx_distinct", sd, b.distinct))
        for stat, x, y in diffs:
            n += 1
            res.add({"check": "profiles", "kind": stat, "dataset": ds.name, "partition": part, "column": f.name,
                     "message": f"{where}, column {f.name}: {stat} is {json_value(x)!r} in the source, "
                     f"{json_value(y)!r} in the target", "source_value": json_value(x), "target_value": json_value(y)})
    return n


def _quarantine(plan: Any, ds: Any, src: SourceSide, sums: _Summaries, files: Any, res: _Result,
                verdict: dict[str, Any], q_files: int, examples: list[dict[str, Any]]) -> None:
    folder = plan.state_dir / "quarantine" / ds.name
    recorded = 0
    if folder.is_dir():
        for p in folder.glob("*.jsonl"):
            try:
                with p.open("rb") as fh:
                    recorded += sum(1 for _ in fh)
            except OSError:
                pass
    verdict["quarantine"] = {"rows": verdict["rows"].get("quarantined", 0), "files": q_files, "folder": str(folder),
                             "recorded_rows": recorded, "examples": examples}
    # The copy's own count of each file's quarantined rows against what the reader quarantines now.
    bad = 0
    for sf in src.files:
        rec = files.records.get(sf.uri)
        now = sums.source[sf.uri].quarantined
        if rec is None or files.status.get(sf.uri) != "match" or sums.source[sf.uri].error:
            continue
        if rec.rows_quarantined != now:
            bad += 1
            res.add({"check": "quarantine", "kind": "quarantine_count", "dataset": ds.name,
                     "partition": sf.partition, "column": None, "file": sf.uri,
                     "message": f"{sf.uri}: the copy quarantined {rec.rows_quarantined:,} row(s), the reader "
                     f"quarantines {now:,} now", "source_value": now, "target_value": rec.rows_quarantined})
    total = verdict["quarantine"]["rows"]
    res.check("quarantine", "fail" if bad else "pass",
              (f"{total:,} row(s) of {q_files} file(s) quarantined (counted, not lost): {folder}" if total else
               "no row quarantined") if not bad else f"{bad} file(s) quarantine a different number of rows than "
              "when they were copied")


def _finish(plan: Any, ds: Any, verdict: dict[str, Any], res: _Result, records: Any) -> None:
    checks = sorted(res.checks.values(), key=lambda c: (CHECK_ORDER.index(c["check"])
                                                        if c["check"] in CHECK_ORDER else 99, c["check"]))
    verdict["checks"] = checks
    verdict["findings"] = res.findings
    verdict["findings_omitted"] = res.omitted
    failed = [c for c in checks if c["status"] in ("fail", "error")]
    verdict["verdict"] = "fail" if failed or res.findings else "pass"
    verdict["reasons"] = ([f"{c['check']}: {c.get('summary') or 'failed'}" for c in failed] or
                          ["every check passed with zero findings",
                           *(f"{c['check']}: {c.get('summary', 'pass')}" for c in checks if c["status"] == "pass")])
    if verdict["verdict"] == "pass" and records is not None:
        with Ledger.in_state_dir(plan.state_dir) as ledger:
            ledger.mark_verified(ds.name, [r.source_uri for r in records.validated if r.state in DONE_STATES])


def default_workers() -> int:
    return min(4, os.cpu_count() or 2)
