"""Lineage between datasets and jobs, and migration waves.

Edges: dataset -reads-> job, job -writes-> dataset, spec -runs-> script, parent -triggers-> child.
A spec and the scripts it runs are one migration *unit*. Units form a graph (U -> V when V reads what U
writes, or U triggers V); strongly connected components (cycles) are collapsed and reported. Then:

- a unit's wave is 1 + the latest wave of the units it depends on (producers before consumers);
- a dataset a job writes moves with its earliest producer; a dataset only read moves with its earliest
  reader; so a dataset never moves later than a job that reads it;
- datasets nobody touches go in wave 1.

Path matching: legacy code names a dataset by an alias of its root (``/mfs/data/x``,
``hdfs://namenode:8020/warehouse/t/dt=1``). HDFS authorities are dropped before matching (one cluster per
inventory), globs are cut at the first wildcard, and a path inside a dataset (a partition, a file)
resolves to that dataset.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from migrate.inventory.model import Dataset, Edge, HiveTable, Job, Lineage, Node, PathRef, Wave

_GLOB = re.compile(r"[*?\[{]")


def norm_path(p: str, bare: str = "") -> str:
    """Comparable form: ``hdfs:/a/b`` for any HDFS authority, ``s3://b/k``, ``/a/b`` for POSIX paths.
    ``bare`` is the scheme a path without one belongs to (``hdfs`` for Hive LOCATIONs)."""
    p = p.strip()
    m = re.match(r"^([a-zA-Z][\w+.-]*)://([^/]*)(.*)$", p)
    if m:
        scheme, auth, rest = m.group(1).lower(), m.group(2), m.group(3)
        if scheme in ("hdfs", "webhdfs", "viewfs"):
            p = "hdfs:" + (rest or "/")
        elif scheme in ("s3", "s3a", "s3n"):
            p = f"s3://{auth}{rest}"
        elif scheme == "file":
            p = rest or "/"
        else:
            p = f"{scheme}://{auth}{rest}"
    elif bare and p.startswith("/"):
        p = f"{bare}:{p}"
    g = _GLOB.search(p)
    if g:
        p = p[: g.start()].rsplit("/", 1)[0] or "/"
    p = re.sub(r"(?<!:)/{2,}", "/", p)
    return p.rstrip("/") if len(p) > 1 else p


class Resolver:
    """Legacy paths and table names to dataset ids."""

    def __init__(self, datasets: Iterable[Dataset], tables: Iterable[HiveTable]) -> None:
        self.by_path: dict[str, str] = {}
        for d in datasets:
            for lp in d.legacy_paths:
                self.by_path[norm_path(lp)] = d.id
            self.by_path.setdefault(norm_path(d.uri), d.id)
        self.tables = {t.name: t for t in tables}

    def path(self, p: str, bare: str = "") -> str | None:
        n = norm_path(p, bare)
        while True:
            hit = self.by_path.get(n)
            if hit:
                return hit
            if "/" not in n.rstrip("/") or n in ("/", "hdfs:/"):
                return None
            n = n.rsplit("/", 1)[0] or "/"

    def table(self, name: str) -> str | None:
        t = self.tables.get(name.lower())
        if t is None:
            return None
        if t.dataset:
            return t.dataset
        return self.path(t.location, "hdfs") if t.location else None

    def ref(self, r: PathRef, bare: str = "") -> str | None:
        if r.dynamic:
            return None
        return self.table(r.text) if r.kind == "table" else self.path(r.text, bare)


def _external_id(r: PathRef) -> str:
    return f"{'table' if r.kind == 'table' else 'path'}:{r.text}"


def build(datasets: list[Dataset], jobs: list[Job]) -> Lineage:
    nodes: dict[str, Node] = {d.id: Node(id=d.id, kind="dataset", label=d.id) for d in datasets}
    edges: list[Edge] = []
    seen: set[tuple[str, str, str]] = set()

    def edge(src: str, dst: str, kind: str) -> None:
        if (src, dst, kind) not in seen:
            seen.add((src, dst, kind))
            edges.append(Edge(src=src, dst=dst, kind=kind))  # type: ignore[arg-type]

    by_name = {j.name: j.id for j in jobs if j.name}
    for j in jobs:
        nodes[j.id] = Node(id=j.id, kind="job", label=j.id)
        for r in j.inputs:
            if r.dynamic:
                continue
            target = r.dataset or _external_id(r)
            nodes.setdefault(target, Node(id=target, kind="external", label=r.text))
            edge(target, j.id, "reads")
        for r in j.outputs:
            if r.dynamic:
                continue
            target = r.dataset or _external_id(r)
            nodes.setdefault(target, Node(id=target, kind="external", label=r.text))
            edge(j.id, target, "writes")
        for s in j.runs:
            edge(j.id, s, "runs")
        for p in j.parents:
            if p in by_name:
                edge(by_name[p], j.id, "triggers")
    return Lineage(nodes=sorted(nodes.values(), key=lambda n: (n.kind, n.id)), edges=edges)


def _sccs(nodes: list[str], succ: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on deep chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def waves(lineage: Lineage) -> tuple[dict[str, int], list[list[str]]]:
    """Wave per node id, and the cycles found (lists of job ids)."""
    jobs = [n.id for n in lineage.nodes if n.kind == "job"]
    # Units: a spec with the scripts it runs (union-find).
    parent = {j: j for j in jobs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in lineage.edges:
        if e.kind == "runs" and e.src in parent and e.dst in parent:
            a, b = find(e.src), find(e.dst)
            if a != b:
                parent[max(a, b)] = min(a, b)
    producers: dict[str, set[str]] = defaultdict(set)
    readers: dict[str, set[str]] = defaultdict(set)
    succ: dict[str, set[str]] = defaultdict(set)
    for e in lineage.edges:
        if e.kind == "writes" and e.src in parent:
            producers[e.dst].add(find(e.src))
        elif e.kind == "reads" and e.dst in parent:
            readers[e.src].add(find(e.dst))
        elif e.kind == "triggers" and e.src in parent and e.dst in parent:
            a, b = find(e.src), find(e.dst)
            if a != b:
                succ[a].add(b)
            else:
                succ[a].add(a)
    for d, prods in producers.items():
        for p in prods:
            for r in readers.get(d, ()):
                succ[p].add(r)
    units = sorted({find(j) for j in jobs})
    comps = _sccs(units, succ)
    comp_of = {u: i for i, c in enumerate(comps) for u in c}
    cycles = []
    members: dict[str, list[str]] = defaultdict(list)
    for j in jobs:
        members[find(j)].append(j)
    for c in comps:
        if len(c) > 1 or c[0] in succ.get(c[0], ()):
            cycles.append(sorted(j for u in c for j in members[u]))
    # Tarjan emits components in reverse topological order: walk it backwards.
    cwave: dict[int, int] = {}
    preds: dict[int, set[int]] = defaultdict(set)
    for u, vs in succ.items():
        for v in vs:
            if comp_of[u] != comp_of[v]:
                preds[comp_of[v]].add(comp_of[u])
    for i in reversed(range(len(comps))):
        cwave[i] = 1 + max((cwave[p] for p in preds[i]), default=0)
    wave: dict[str, int] = {j: cwave[comp_of[find(j)]] for j in jobs}
    for n in lineage.nodes:
        if n.kind == "job":
            continue
        prods = producers.get(n.id, set())
        reads = readers.get(n.id, set())
        if prods:
            wave[n.id] = min(cwave[comp_of[u]] for u in prods)
        elif reads:
            wave[n.id] = min(cwave[comp_of[u]] for u in reads)
        else:
            wave[n.id] = 1
    return wave, cycles


def wave_list(lineage: Lineage, wave: dict[str, int]) -> list[Wave]:
    kinds = {n.id: n.kind for n in lineage.nodes}
    out: dict[int, Wave] = {}
    for nid, w in sorted(wave.items()):
        wv = out.setdefault(w, Wave(wave=w))
        if kinds.get(nid) == "dataset":
            wv.datasets.append(nid)
        elif kinds.get(nid) == "job":
            wv.jobs.append(nid)
    return [out[k] for k in sorted(out)]


def mermaid(lineage: Lineage, wave: dict[str, int]) -> str:
    """A Mermaid flowchart, one subgraph per wave (GitHub renders it in a PR)."""
    ids = {n.id: f"n{i}" for i, n in enumerate(lineage.nodes)}

    def label(text: str) -> str:
        return text.replace('"', "#quot;").replace("\x01", "\\x01")

    lines = ["flowchart LR"]
    by_wave: dict[int, list[Node]] = defaultdict(list)
    for n in lineage.nodes:
        by_wave[wave.get(n.id, 0)].append(n)
    for w in sorted(by_wave):
        lines.append(f'  subgraph wave{w}["wave {w}"]' if w else '  subgraph unplaced["unplaced"]')
        for n in by_wave[w]:
            shape = {"dataset": ('[("', '")]'), "external": ('[/"', '"/]'), "job": ('["', '"]')}[n.kind]
            lines.append(f"    {ids[n.id]}{shape[0]}{label(n.label)}{shape[1]}")
        lines.append("  end")
    arrows = {"reads": "-->", "writes": "==>", "runs": "-.->|runs|", "triggers": "-.->|triggers|"}
    for e in lineage.edges:
        if e.src in ids and e.dst in ids:
            lines.append(f"  {ids[e.src]} {arrows[e.kind]} {ids[e.dst]}")
    return "\n".join(lines) + "\n"
