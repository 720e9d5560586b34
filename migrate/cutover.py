"""The cutover checklist: which gates pass for each dataset and job, sign-offs, execute and rollback.

Gates (``plan.cutover.gates`` chooses which count; all by default), each computed from evidence:

| gate | applies to | passes when |
|---|---|---|
| inventoried | datasets, jobs | found by the inventory named in ``cutover.inventory`` (source folder / job file) |
| copied | datasets | every file in the ledger is committed (n/n) under the plan's conversion settings, and some |
| validated | datasets | the latest ``migrate validate`` verdict is ``pass`` and not stale (no copy since) |
| expectations | datasets | that verdict's expectations passed (or the dataset has none) |
| translated | jobs | its file is in a translation report in ``STATE_DIR/translations``, nothing unsupported |
| shadow_run | dpark, hive jobs | a comparison recorded equal (``STATE_DIR/shadow/<job>.json``), or signed |
| final_delta | datasets | the source has no new, changed or deleted file since the last copy (listed now) |
| signoff | datasets, jobs | every approver of the plan signed (one signature when none are listed) |

A gate can be waived (``waive``, with a reason) except ``signoff``; waivers and signatures live in the
append-only log (``migrate.cutover_log``). ``execute`` refuses while any gate fails; it syncs the wave once
more, re-validates what that sync changed, re-checks every gate, then writes a switch record: which legacy
location now lives at which target URI / table. ``rollback`` makes the previous switch record current again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migrate import cutover_log
from migrate.errors import MigrateError, TerminalError
from migrate.plan import ALL_GATES, DatasetSpec, JobSpec, Plan

DATASET_GATES = ("inventoried", "copied", "validated", "expectations", "final_delta", "signoff")
JOB_GATES = ("inventoried", "translated", "shadow_run", "signoff")
SCRIPT_KINDS = ("dpark", "hive")  # jobs that compute outputs; scheduler specs (cron, chronos...) run those


def gates_of(plan: Plan, kind: str, name: str) -> tuple[str, ...]:
    """The gates that apply to an item: a scheduler spec has no output of its own to shadow-run."""
    if kind == "dataset":
        return DATASET_GATES
    if plan.job(name).kind in SCRIPT_KINDS:
        return JOB_GATES
    return tuple(g for g in JOB_GATES if g != "shadow_run")
TITLES = {"inventoried": "inventoried", "copied": "copied", "validated": "validated",
          "expectations": "expectations passed", "translated": "jobs translated", "shadow_run": "shadow run equal",
          "final_delta": "final delta synced", "signoff": "sign-offs"}
SIGNABLE = ("signoff", "shadow_run")  # a person's word counts only for these
PASS, FAIL, WAIVED = "pass", "fail", "waived"


@dataclass
class GateResult:
    gate: str
    status: str  # pass | fail | waived
    detail: str

    @property
    def passed(self) -> bool:
        return self.status != FAIL


@dataclass
class ItemStatus:
    kind: str  # dataset | job
    name: str
    wave: int
    gates: list[GateResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(g.passed for g in self.gates)

    def gate(self, name: str) -> GateResult | None:
        return next((g for g in self.gates if g.gate == name), None)


@dataclass
class Checklist:
    plan: str
    wave: int | None
    gates: list[str]
    items: list[ItemStatus]
    switches: dict[int, dict[str, Any] | None]  # wave -> current switch record
    checked_at: str = field(default_factory=lambda: _now())

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    def failing(self) -> list[tuple[ItemStatus, GateResult]]:
        return [(i, g) for i in self.items for g in i.gates if not g.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self.plan, "wave": self.wave, "ok": self.ok, "checked_at": self.checked_at,
                "gates": self.gates, "items": [asdict(i) | {"ok": i.ok} for i in self.items],
                "switches": {str(k): v for k, v in self.switches.items()}}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def cutover_dir(plan: Plan) -> Path:
    return plan.state_dir / "cutover"


# ------------------------------------------------------------------------------------------ items
def _items(plan: Plan, wave: int | None) -> list[DatasetSpec | JobSpec]:
    if wave is not None and wave not in plan.waves:
        raise TerminalError(f"plan {plan.name} has no wave {wave} "
                            f"(waves: {', '.join(map(str, plan.waves)) or 'none'})")
    items: list[DatasetSpec | JobSpec] = [*plan.datasets, *plan.jobs]
    return [x for x in items if wave is None or x.wave == wave]


def resolve_item(plan: Plan, item: str) -> tuple[str, str]:
    """``(kind, name)`` of ``item``: a dataset or job name, or ``dataset:NAME`` / ``job:NAME``."""
    kind, sep, name = item.partition(":")
    if sep and kind in ("dataset", "job"):
        (plan.dataset if kind == "dataset" else plan.job)(name)  # raises naming the known ones
        return kind, name
    kinds = [k for k, names in (("dataset", [d.name for d in plan.datasets]), ("job", [j.name for j in plan.jobs]))
             if item in names]
    if not kinds:
        known = [*(d.name for d in plan.datasets), *(f"job:{j.name}" for j in plan.jobs)]
        raise TerminalError(f"{item!r} is neither a dataset nor a job of plan {plan.name} "
                            f"(known: {', '.join(known) or 'none'})")
    if len(kinds) > 1:
        raise TerminalError(f"{item!r} is both a dataset and a job of plan {plan.name}: say dataset:{item} or "
                            f"job:{item}")
    return kinds[0], item


# ------------------------------------------------------------------------------------------ evidence
@dataclass
class _Evidence:
    """What the gates read, loaded once per checklist."""

    plan: Plan
    log: list[cutover_log.Entry]
    inventory: Any = None
    inventory_error: str | None = None
    translations: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)  # file -> entries

    def __post_init__(self) -> None:
        self._load_inventory()
        self._load_translations()

    def _load_inventory(self) -> None:
        rel = self.plan.cutover.inventory
        if not rel:
            self.inventory_error = ("no inventory named in the plan (cutover.inventory: the JSON written by "
                                    "`migrate inventory -o`)")
            return
        path = Path(rel) if Path(rel).is_absolute() else self.plan.base_dir / rel
        try:
            from migrate.inventory.model import Inventory

            self.inventory = Inventory.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.inventory_error = f"inventory {path} not found (cutover.inventory; `migrate inventory -o {rel}`)"
        except (OSError, ValueError) as exc:
            self.inventory_error = f"inventory {path} cannot be read: {str(exc).splitlines()[0]}"

    def _load_translations(self) -> None:
        folder = self.plan.state_dir / "translations"
        for report in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                data = json.loads(report.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise TerminalError(f"{report}: cannot read the translation report: {exc}") from None
            for entry in data.get("files") or []:
                path = entry.get("path") or entry.get("file")
                if path:
                    self.translations.setdefault(_real(path, report.parent), []).append((str(report), entry))

    def actions(self, kind: str, name: str, gate: str) -> list[cutover_log.Entry]:
        """Signatures and waivers of (item, gate) still in force (a later ``revoke`` by the same author
        cancels that author's earlier ones)."""
        live: dict[tuple[str, str], cutover_log.Entry] = {}
        for e in self.log:
            if e.data.get("item") != f"{kind}:{name}" or e.gate != gate:
                continue
            if e.action in ("sign", "waive"):
                live[(e.action, e.by)] = e
            elif e.action == "revoke":
                live = {k: v for k, v in live.items() if k[1] != e.by}
        return sorted(live.values(), key=lambda e: e.seq)


def _real(path: str, base: Path) -> str:
    p = Path(path)
    return os.path.realpath(p if p.is_absolute() else base / p)


def _job_file(plan: Plan, job: JobSpec) -> str:
    return os.path.realpath(plan.base_dir / job.source)


# ------------------------------------------------------------------------------------------ gates
def _inventoried(ev: _Evidence, item: DatasetSpec | JobSpec) -> GateResult:
    if ev.inventory is None:
        return GateResult("inventoried", FAIL, ev.inventory_error or "no inventory")
    if isinstance(item, DatasetSpec):
        uri = ev.plan.location(item.source.store, item.source.path)[0].rstrip("/")
        found = next((d for d in ev.inventory.datasets if d.uri.rstrip("/") == uri), None)
        if found is None:
            return GateResult("inventoried", FAIL, f"source {uri} is not a dataset of the inventory")
        return GateResult("inventoried", PASS, f"{found.id}: {found.files} files, {found.format.kind}")
    path = _job_file(ev.plan, item)
    job = next((j for j in ev.inventory.jobs if j.file and os.path.realpath(j.file) == path), None)
    if job is None:
        return GateResult("inventoried", FAIL, f"job file {item.source} is not in the inventory")
    return GateResult("inventoried", PASS, f"{job.id}")


def _copied(ev: _Evidence, ds: DatasetSpec) -> GateResult:
    from migrate.layout import conversion_key
    from migrate.ledger import DONE_STATES, Ledger

    with Ledger.in_state_dir(ev.plan.state_dir) as ledger:
        counts = ledger.counts(ds.name)
        # Files converted under settings the plan no longer has count as not copied until converted again.
        other = len(ledger.converted_with_other_settings(ds.name, conversion_key(ds)))
    total = sum(counts.values())
    done = sum(counts.get(s, 0) for s in DONE_STATES) - other
    if not total:
        return GateResult("copied", FAIL, "0/0 files: never copied (`migrate run PLAN`)")
    if done < total:
        rest = [f"{n} {s}" for s, n in sorted(counts.items()) if s not in DONE_STATES]
        if other:
            rest.append(f"{other} converted under other conversion settings than the plan's: `migrate run PLAN` "
                        "converts them again")
        return GateResult("copied", FAIL, f"{done}/{total} files ({', '.join(rest)})")
    return GateResult("copied", PASS, f"{done}/{total} files")


def _verdict(ev: _Evidence, ds: DatasetSpec) -> tuple[dict[str, Any] | None, str | None]:
    """(verdict, why it does not count) of the dataset's latest validation."""
    from migrate.validators.verdicts import is_stale, load_verdict

    try:
        v = load_verdict(ev.plan, ds.name)
    except MigrateError as exc:
        return None, str(exc)
    if v is None:
        return None, f"not validated (`migrate validate PLAN --dataset {ds.name}`)"
    if is_stale(ev.plan, v):
        return v, f"stale: files were copied since the validation at {v.get('checked_at')}; validate again"
    return v, None


def _report(v: dict[str, Any]) -> str:
    html = (v.get("reports") or {}).get("html")
    return f"; report {html}" if html else ""


def _validated(ev: _Evidence, ds: DatasetSpec) -> GateResult:
    v, why = _verdict(ev, ds)
    if why is not None:
        return GateResult("validated", FAIL, why + (_report(v) if v else ""))
    assert v is not None
    if v.get("verdict") != "pass":
        reasons = "; ".join((v.get("reasons") or [])[:2]) or v.get("error") or "see the report"
        return GateResult("validated", FAIL, f"{v.get('verdict')} at {v.get('checked_at')}: {reasons}{_report(v)}")
    return GateResult("validated", PASS, f"pass at {v.get('checked_at')}{_report(v)}")


def _expectations(ev: _Evidence, ds: DatasetSpec) -> GateResult:
    v, why = _verdict(ev, ds)
    if why is not None:
        return GateResult("expectations", FAIL, why)
    assert v is not None
    exp = v.get("expectations") or {}
    status = exp.get("status")
    if status == "pass":
        return GateResult("expectations", PASS, f"{exp.get('evaluated', '?')} expectations passed")
    if status == "none":
        return GateResult("expectations", PASS, "no expectations in the plan for this dataset")
    return GateResult("expectations", FAIL,
                      f"{status}: {exp.get('failed', '?')} of {exp.get('evaluated', '?')} failed{_report(v)}")


def _translated(ev: _Evidence, job: JobSpec) -> GateResult:
    entries = ev.translations.get(_job_file(ev.plan, job))
    if not entries:
        return GateResult("translated", FAIL, f"{job.source} is in no translation report "
                                              f"(`migrate translate {job.kind} ... --plan PLAN`)")
    report, entry = entries[-1]
    bad = _unsupported(entry)
    if bad:
        return GateResult("translated", FAIL, f"{bad} unsupported construct(s) in {job.source} ({report})")
    return GateResult("translated", PASS, f"complete ({Path(report).name})")


def _unsupported(entry: dict[str, Any]) -> int:
    """Unsupported constructs of one file entry of a translation report (any translator's shape)."""
    counts = entry.get("counts")
    if isinstance(counts, dict) and "unsupported" in counts:
        return int(counts["unsupported"] or 0)
    if entry.get("status") == "unsupported":
        return max(1, len(entry.get("failures") or []))
    return sum(1 for s in entry.get("statements") or entry.get("entries") or [] if s.get("status") == "unsupported")


def shadow_path(plan: Plan, job: str) -> Path:
    return plan.state_dir / "shadow" / f"{job}.json"


def record_shadow(plan: Plan, job: str, result: dict[str, Any]) -> Path:
    """Record a shadow-run comparison of ``job`` (``equal``: bool, plus what was compared)."""
    plan.job(job)
    path = shadow_path(plan, job)
    _write_json(path, {"job": job, "compared_at": _now(), **result})
    return path


def record_verifications(plan: Plan, verdicts: Iterable[dict[str, Any]], how: str) -> list[Path]:
    """Shadow-run records for the plan's jobs from run-both comparisons (``translate dpark --verify``: each
    verdict names the legacy ``job`` file and says ``equal`` or why not)."""
    by_file = {_job_file(plan, j): j.name for j in plan.jobs}
    written = []
    for v in verdicts:
        name = by_file.get(os.path.realpath(str(v.get("job", ""))))
        if name is not None:
            written.append(record_shadow(plan, name, {
                "equal": v.get("verdict") == "equal", "how": how, "verdict": v.get("verdict"),
                "detail": f"{how}: {v.get('verdict')}" + (f" ({v['detail']})" if v.get("detail") else "")}))
    return written


def _shadow(ev: _Evidence, job: JobSpec) -> GateResult:
    signed = [e for e in ev.actions("job", job.name, "shadow_run") if e.action == "sign"]
    path = shadow_path(ev.plan, job.name)
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        rec = None
    except (OSError, ValueError) as exc:
        return GateResult("shadow_run", FAIL, f"{path}: cannot read the shadow-run record: {exc}")
    if rec is not None and rec.get("equal") is True:
        return GateResult("shadow_run", PASS,
                          f"outputs equal ({rec.get('detail') or path}) at {rec.get('compared_at')}")
    if signed:
        e = signed[-1]
        return GateResult("shadow_run", PASS, f"signed equal by {e.by} at {e.at}: {e.data.get('note')}")
    if rec is not None:
        return GateResult("shadow_run", FAIL, f"outputs differ: {rec.get('detail') or path}")
    return GateResult("shadow_run", FAIL, "no shadow run recorded (`migrate cutover shadow` or a signed comparison)")


def source_delta(plan: Plan, ds: DatasetSpec) -> dict[str, list[str]]:
    """Source files new, changed or deleted since the last copy (what ``migrate run`` would do now)."""
    from migrate.engine import _hidden, _rel, version_key
    from migrate.ledger import DONE_STATES, Ledger
    from migrate.storage import open_storage
    from migrate.storage.local import TMP_MARK

    root, opts = plan.location(ds.source.store, ds.source.path)
    store = open_storage(root, **opts)
    listing = [f for f in store.walk(root) if not f.is_dir]
    if ds.target.kind == "copy":
        listing = [f for f in listing if TMP_MARK not in f.name]
    else:
        listing = [f for f in listing if not _hidden(_rel(root, f.uri))]
    with Ledger.in_state_dir(plan.state_dir) as ledger:
        done = {r.source_uri: r.version for r in ledger.records(ds.name) if r.state in DONE_STATES}
        known = {r.source_uri for r in ledger.records(ds.name)}
    now = {f.uri: version_key(f.uri, f.size, f.mtime) for f in listing}
    return {"new": sorted(u for u in now if u not in known),
            "changed": sorted(u for u, v in now.items() if u in known and done.get(u) != v),
            "deleted": sorted(u for u in done if u not in now)}


def _final_delta(ev: _Evidence, ds: DatasetSpec) -> GateResult:
    try:
        delta = source_delta(ev.plan, ds)
    except MigrateError as exc:
        return GateResult("final_delta", FAIL, f"source cannot be listed: {exc}")
    parts = [f"{len(v)} {k}" for k, v in delta.items() if v]
    if parts:
        first = next(v[0] for v in delta.values() if v)
        return GateResult("final_delta", FAIL, f"{', '.join(parts)} at the source since the last copy "
                                               f"(e.g. {first}); `migrate run PLAN` syncs them")
    return GateResult("final_delta", PASS, "no source change since the last copy")


def _signoff(ev: _Evidence, kind: str, name: str) -> GateResult:
    signed = [e for e in ev.actions(kind, name, "signoff") if e.action == "sign"]
    approvers = ev.plan.cutover.approvers
    if not approvers:
        if signed:
            return GateResult("signoff", PASS, "signed by " + ", ".join(f"{e.by} ({e.at})" for e in signed))
        return GateResult("signoff", FAIL, "not signed (`migrate cutover sign PLAN ITEM --by NAME`)")
    by = {e.by.lower() for e in signed}
    have = [a for a in approvers if a.name.lower() in by or a.email.lower() in by]
    missing = [a.name for a in approvers if a not in have]
    detail = f"{len(have)}/{len(approvers)} approvers signed"
    if missing:
        return GateResult("signoff", FAIL, f"{detail}; waiting for {', '.join(missing)}")
    return GateResult("signoff", PASS, f"{detail}: {', '.join(a.name for a in have)}")


def _gate(ev: _Evidence, item: DatasetSpec | JobSpec, gate: str) -> GateResult:
    kind = "dataset" if isinstance(item, DatasetSpec) else "job"
    if gate == "inventoried":
        result = _inventoried(ev, item)
    elif gate == "signoff":
        result = _signoff(ev, kind, item.name)
    elif isinstance(item, DatasetSpec):
        fn = {"copied": _copied, "validated": _validated, "expectations": _expectations,
              "final_delta": _final_delta}[gate]
        result = fn(ev, item)
    else:
        result = {"translated": _translated, "shadow_run": _shadow}[gate](ev, item)
    if not result.passed and gate != "signoff":
        waivers = [e for e in ev.actions(kind, item.name, gate) if e.action == "waive"]
        if waivers:
            w = waivers[-1]
            return GateResult(gate, WAIVED, f"waived by {w.by} at {w.at}: {w.data.get('reason')} "
                                            f"(was: {result.detail})")
    return result


def checklist(plan: Plan, wave: int | None = None) -> Checklist:
    """Every gate of every dataset and job (of ``wave``), computed now."""
    ev = _Evidence(plan, cutover_log.read(plan.state_dir))
    enforced: list[str] = [g for g in ALL_GATES if g in plan.cutover.gates]
    items = []
    for x in _items(plan, wave):
        kind = "dataset" if isinstance(x, DatasetSpec) else "job"
        applies = gates_of(plan, kind, x.name)
        status = ItemStatus(kind, x.name, x.wave)
        status.gates = [_gate(ev, x, g) for g in enforced if g in applies]
        items.append(status)
    waves = [wave] if wave is not None else plan.waves
    return Checklist(plan.name, wave, enforced, items, {w: current_switch(plan, w) for w in waves})


# ------------------------------------------------------------------------------------------ sign / waive
def sign(plan: Plan, item: str, gate: str, by: str, note: str | None = None) -> cutover_log.Entry:
    kind, name = resolve_item(plan, item)
    _check_gate(plan, kind, name, gate)
    if gate not in SIGNABLE:
        raise TerminalError(f"gate {gate} is computed from evidence and cannot be signed (signable: "
                            f"{', '.join(SIGNABLE)}); if it must pass anyway, waive it with a reason")
    if gate == "shadow_run" and kind != "job":
        raise TerminalError("shadow_run applies to jobs only")
    approvers = plan.cutover.approvers
    if approvers and gate == "signoff" and not any(by.strip().lower() in (a.name.lower(), a.email.lower())
                                                   for a in approvers):
        raise TerminalError(f"--by {by!r} is not an approver of plan {plan.name} (cutover.approvers: "
                            f"{', '.join(f'{a.name} <{a.email}>' for a in approvers)})")
    if gate == "shadow_run" and not (note or "").strip():
        raise TerminalError("--note: say what was compared (outputs, dates, where) when signing a shadow run")
    return cutover_log.append(plan.state_dir, "sign", by, item=f"{kind}:{name}", gate=gate, note=note,
                              plan=plan.name)


def waive(plan: Plan, item: str, gate: str, by: str, reason: str) -> cutover_log.Entry:
    kind, name = resolve_item(plan, item)
    _check_gate(plan, kind, name, gate)
    if gate == "signoff":
        raise TerminalError("sign-offs cannot be waived: the approvers sign (`migrate cutover sign`)")
    if not reason.strip():
        raise TerminalError("--reason: a waiver needs a reason (it is kept in the audit log)")
    return cutover_log.append(plan.state_dir, "waive", by, item=f"{kind}:{name}", gate=gate, reason=reason,
                              plan=plan.name)


def revoke(plan: Plan, item: str, gate: str, by: str, note: str | None = None) -> cutover_log.Entry:
    kind, name = resolve_item(plan, item)
    _check_gate(plan, kind, name, gate)
    return cutover_log.append(plan.state_dir, "revoke", by, item=f"{kind}:{name}", gate=gate, note=note,
                              plan=plan.name)


def _check_gate(plan: Plan, kind: str, name: str, gate: str) -> None:
    applies = gates_of(plan, kind, name)
    if gate not in applies:
        raise TerminalError(f"gate {gate!r} does not apply to a {kind} (its gates: {', '.join(applies)})")


# ------------------------------------------------------------------------------------------ switch records
def _switch_dir(plan: Plan, wave: int) -> Path:
    return cutover_dir(plan) / "switches" / f"wave-{wave}"


def current_switch(plan: Plan, wave: int) -> dict[str, Any] | None:
    path = _switch_dir(plan, wave) / "current.json"
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return record
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TerminalError(f"{path}: cannot read the current switch record: {exc}") from None


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def switch_record(plan: Plan, wave: int, inventory: Any = None) -> dict[str, Any]:
    """Which legacy location maps to which target, for the datasets and jobs of ``wave``."""
    datasets, location_map, table_map = [], [], {}
    for ds in (d for d in plan.datasets if d.wave == wave):
        legacy = plan.location(ds.source.store, ds.source.path)[0]
        inv = next((d for d in (inventory.datasets if inventory else []) if d.uri.rstrip("/") == legacy.rstrip("/")),
                   None)
        has_uri = ds.target.kind != "iceberg" or ds.target.path
        target = plan.location(ds.target.store, ds.target.path or "")[0] if has_uri else None
        entry: dict[str, Any] = {
            "dataset": ds.name, "legacy_uri": legacy, "legacy_paths": list(inv.legacy_paths) if inv else [],
            "hive_table": inv.hive_table if inv else None, "target_kind": ds.target.kind, "target_uri": target,
            "target_table": ds.target.table}
        datasets.append(entry)
        dest = ds.target.table if ds.target.kind == "iceberg" else target
        for old in [legacy, *entry["legacy_paths"]]:
            location_map.append({"legacy": old, "target": dest})
        if entry["hive_table"] and dest:
            table_map[entry["hive_table"]] = dest
    jobs = [{"job": j.name, "kind": j.kind, "legacy_source": j.source, "target_kind": j.target.kind,
             "target_path": j.target.path} for j in plan.jobs if j.wave == wave]
    return {"plan": plan.name, "wave": wave, "datasets": datasets, "jobs": jobs, "location_map": location_map,
            "table_map": table_map}


def _publish(plan: Plan) -> Path:
    """``STATE_DIR/cutover/switch.json``: every wave's current record in one file, for consumers."""
    waves = {str(w): rec for w in plan.waves if (rec := current_switch(plan, w)) is not None}
    path = cutover_dir(plan) / "switch.json"
    _write_json(path, {"plan": plan.name, "updated_at": _now(), "waves": waves,
                       "location_map": [m for r in waves.values() for m in r["location_map"]],
                       "table_map": {k: v for r in waves.values() for k, v in r["table_map"].items()}})
    return path


@dataclass
class ExecuteResult:
    switch: dict[str, Any]
    path: Path
    synced: dict[str, Any]
    revalidated: list[str]


def refuse_unless_ready(cl: Checklist) -> None:
    bad = cl.failing()
    if bad:
        lines = "; ".join(f"{i.kind} {i.name}: {TITLES[g.gate]}: {g.detail}" for i, g in bad[:8])
        more = f" (and {len(bad) - 8} more)" if len(bad) > 8 else ""
        raise TerminalError(f"cutover of plan {cl.plan} wave {cl.wave} refused: {len(bad)} gate(s) fail: "
                            f"{lines}{more}")


def execute(plan: Plan, wave: int, by: str, *, progress: Any = None) -> ExecuteResult:
    """Refuse unless every gate of ``wave`` passes; sync once more; re-validate what that sync changed
    (``migrate validate`` of those datasets); re-check every gate; then write the switch record and make it
    current."""
    from migrate import runner

    if not by.strip():
        raise TerminalError("--by: say who executes the cutover (it is kept in the audit log)")
    refuse_unless_ready(checklist(plan, wave))
    sync = runner.run_plan(plan, waves=[wave], progress=progress, count=False)
    if not sync.ok:
        errors = "; ".join(f"{o.dataset}: {o.error}" for o in sync.outcomes if not o.ok)
        raise TerminalError(f"cutover of wave {wave} stopped: the final sync failed ({errors}); nothing switched")
    changed = [o.dataset for o in sync.outcomes if (o.report or {}).get("files_processed")
               or (o.report or {}).get("files_missing")]
    revalidated: list[str] = []
    if changed and "validated" in plan.cutover.gates:
        from migrate.validators.run import validate_plan

        validate_plan(plan, names=changed, progress=progress)
        revalidated = changed
    refuse_unless_ready(checklist(plan, wave))  # the sync and re-validation may have changed a verdict
    ev = _Evidence(plan, [])
    previous = current_switch(plan, wave)
    seq = len(list(_switch_dir(plan, wave).glob("switch-*.json"))) + 1
    record = {"id": f"wave-{wave}-switch-{seq:04d}", "at": _now(), "by": by.strip(),
              "previous": previous["id"] if previous else None, **switch_record(plan, wave, ev.inventory),
              "synced": {o.dataset: (o.report or {}).get("files_processed", 0) for o in sync.outcomes},
              "revalidated": revalidated}
    path = _switch_dir(plan, wave) / f"switch-{seq:04d}.json"
    _write_json(path, record)
    cutover_log.append(plan.state_dir, "execute", by, wave=wave, switch=record["id"], previous=record["previous"],
                       plan=plan.name)
    _write_json(_switch_dir(plan, wave) / "current.json", record)
    _publish(plan)
    return ExecuteResult(record, path, record["synced"], revalidated)


def rollback(plan: Plan, wave: int, by: str, reason: str | None = None) -> dict[str, Any] | None:
    """Make the switch record before the current one current again (None: back to the legacy locations)."""
    current = current_switch(plan, wave)
    if current is None:
        raise TerminalError(f"wave {wave} of plan {plan.name} has not been cut over: nothing to roll back")
    previous = None
    if current.get("previous"):
        path = _switch_dir(plan, wave) / f"switch-{current['previous'].rsplit('-', 1)[1]}.json"
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TerminalError(f"{path}: cannot read the previous switch record: {exc}") from None
    cutover_log.append(plan.state_dir, "rollback", by, wave=wave, switch=current["id"],
                       restored=previous["id"] if previous else None, reason=reason, plan=plan.name)
    cur = _switch_dir(plan, wave) / "current.json"
    if previous is None:
        cur.unlink()
    else:
        _write_json(cur, previous)
    _publish(plan)
    return previous


def history(plan: Plan, items: Iterable[str] | None = None) -> list[cutover_log.Entry]:
    """The audit log (of ``items`` when given: ``kind:name``)."""
    wanted = set(items or [])
    return [e for e in cutover_log.read(plan.state_dir) if not wanted or e.data.get("item") in wanted]
