"""Assemble an Inventory: scan roots, read Hive DDL, scan jobs, resolve lineage, suggest waves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from migrate.inventory import ddl as ddl_mod
from migrate.inventory import lineage as lin
from migrate.inventory.jobs import scan_jobs
from migrate.inventory.model import Column, Dataset, HiveTable, Inventory, Job, Problem, Settings
from migrate.inventory.scan import RootSpec, ScanSettings, scan


def attach_tables(tables: list[HiveTable], datasets: list[Dataset]) -> list[Problem]:
    """Link each table to the dataset at its LOCATION; warn where DDL and files disagree."""
    warnings: list[Problem] = []
    exact: dict[str, Dataset] = {}
    for d in datasets:
        for lp in [*d.legacy_paths, d.uri]:
            exact[lin.norm_path(lp)] = d
    for t in tables:
        if not t.location:
            continue
        ds = exact.get(lin.norm_path(t.location, "hdfs"))
        if ds is None:
            warnings.append(Problem(path=t.source, kind="ddl_no_data",
                                    message=f"{t.name}: no dataset found at LOCATION {t.location}"))
            continue
        t.dataset = ds.id
        ds.hive_table = t.name
        warnings.extend(ddl_mod.compare(t, ds))
        # Headerless text has no names: take the DDL's when the column counts agree.
        if ds.format.kind in ddl_mod.TEXT_KINDS and not ds.format.header and len(ds.schema_) == len(t.columns):
            ds.schema_ = [Column(name=hc.name, type=c.type, nullable=c.nullable)
                          for c, hc in zip(ds.schema_, t.columns, strict=True)]
    return warnings


def resolve_jobs(jobs: list[Job], resolver: lin.Resolver) -> list[Problem]:
    warnings: list[Problem] = []
    for j in jobs:
        bare = "hdfs" if j.kind == "hive" else ""
        for r in [*j.inputs, *j.outputs]:
            if r.dynamic:
                warnings.append(Problem(path=f"{j.path}:{r.line or 1}", kind="dynamic_path",
                                        message=f"{r.call}({r.text}): path computed at run time"))
                continue
            r.dataset = resolver.ref(r, bare)
    return warnings


def build_inventory(
    roots: Sequence[RootSpec],
    *,
    ddl: Sequence[Path] = (),
    jobs_dirs: Sequence[Path] = (),
    settings: ScanSettings | None = None,
) -> Inventory:
    settings = settings or ScanSettings()
    res = scan(list(roots), settings)
    problems = list(res.problems)
    warnings: list[Problem] = []
    tables: list[HiveTable] = []
    for path in ddl:
        ts, probs = ddl_mod.parse_ddl_file(Path(path))
        tables.extend(ts)
        problems.extend(probs)
    warnings.extend(attach_tables(tables, res.datasets))
    jobs: list[Job] = []
    for d in jobs_dirs:
        js, probs = scan_jobs(Path(d))
        jobs.extend(js)
        problems.extend(probs)
        for j in js:
            problems.extend(p for p in j.problems if p.kind == "unknown_script")
            warnings.extend(p for p in j.problems if p.kind == "shell_command")
    warnings.extend(resolve_jobs(jobs, lin.Resolver(res.datasets, tables)))
    graph = lin.build(res.datasets, jobs)
    wave, cycles = lin.waves(graph)
    graph.cycles = cycles
    for c in cycles:
        warnings.append(Problem(path=c[0], kind="cycle", message="jobs depend on each other: " + " -> ".join(c)))
    for ds in res.datasets:
        ds.wave = wave.get(ds.id)
    for j in jobs:
        j.wave = wave.get(j.id)
    return Inventory(
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        settings=Settings(
            small_file_bytes=settings.small_file_bytes, sample_bytes=settings.sample_bytes,
            sample_files=settings.sample_files, sample_rows=settings.sample_rows,
            exact_rows_bytes=settings.exact_rows_bytes, workers=settings.workers,
        ),
        roots=res.roots,
        datasets=res.datasets,
        hive_tables=sorted(tables, key=lambda t: t.name),
        jobs=jobs,
        lineage=graph,
        waves=lin.wave_list(graph, wave),
        problems=problems,
        warnings=warnings,
        skipped=res.skipped,
    )
