"""Human summary of an inventory (rich tables on the terminal)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from migrate.inventory.model import Inventory


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def summary(inv: Inventory, console: Console | None = None) -> None:
    console = console or Console()
    t = Table(title=f"{len(inv.datasets)} datasets", show_lines=False)
    for col in ("wave", "dataset", "format", "partitions", "files", "size", "rows", "small", "hive table"):
        t.add_column(col, justify="right" if col in ("files", "size", "rows", "small", "wave") else "left")
    for d in sorted(inv.datasets, key=lambda d: (d.wave or 0, d.id)):
        fmt = d.format.kind + (f"+{d.format.compression}" if d.format.compression not in ("none", None) else "")
        rows = "?" if d.rows is None else f"{d.rows:,}" + ("" if d.rows_exact else "~")
        parts = f"{','.join(d.partition_columns)} ({d.partition_count})" if d.partition_columns else ""
        t.add_row(str(d.wave or ""), d.id, fmt, parts, f"{d.files:,}", human_bytes(d.bytes), rows,
                  f"{d.small_file_ratio:.0%}", d.hive_table or "")
    console.print(t)
    j = Table(title=f"{len(inv.jobs)} jobs")
    for col in ("wave", "job", "schedule", "reads", "writes", "runs"):
        j.add_column(col)
    for job in sorted(inv.jobs, key=lambda x: (x.wave or 0, x.id)):
        reads = ", ".join(r.dataset or ("<dynamic>" if r.dynamic else r.text) for r in job.inputs)
        writes = ", ".join(r.dataset or ("<dynamic>" if r.dynamic else r.text) for r in job.outputs)
        j.add_row(str(job.wave or ""), job.id, job.schedule or "", reads, writes, ", ".join(job.runs))
    console.print(j)
    skipped = sum(r.skipped for r in inv.roots)
    console.print(
        f"{len(inv.waves)} wave(s); {len(inv.lineage.cycles)} cycle(s); {skipped} path(s) skipped as not data; "
        f"{len(inv.problems)} problem(s); {len(inv.warnings)} warning(s)"
    )
    for p in [*inv.problems, *inv.warnings][:50]:
        console.print(f"  [{p.kind}] {p.path}: {p.message}", markup=False, highlight=False)
