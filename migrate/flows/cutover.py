"""``migrate-cutover-status`` and ``migrate-cutover-execute``: the checklist and the switch as flow runs,
with the checklist (and the switch record's location map) as artifacts."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from migrate import cutover
from migrate.flows.common import key, param, plan_name
from migrate.plan import load_plan
from migrate.reports.cutover import to_markdown


def checklist_artifacts(cl: cutover.Checklist) -> None:
    wave = f"wave-{cl.wave}" if cl.wave is not None else "all"
    create_markdown_artifact(key=key("cutover", cl.plan, wave), markdown=to_markdown(cl),
                             description=f"Cutover checklist of plan {cl.plan} ({wave})")
    create_table_artifact(
        key=key("cutover", cl.plan, wave, "gates"),
        table=[{"item": f"{i.kind} {i.name}", "wave": i.wave, "gate": cutover.TITLES[g.gate], "status": g.status,
                "detail": g.detail} for i in cl.items for g in i.gates],
        description=f"Every gate of plan {cl.plan} ({wave}), with its evidence")


def _status_name() -> str:
    w = param("wave")
    return f"cutover status {plan_name(param('plan_path', '?'))}" + (f" wave {w}" if w is not None else "")


@flow(name="migrate-cutover-status", flow_run_name=_status_name, log_prints=True)
def cutover_status_flow(plan_path: str, wave: int | None = None) -> cutover.Checklist:
    cl = cutover.checklist(load_plan(plan_path), wave)
    checklist_artifacts(cl)
    return cl


def _execute_name() -> str:
    return f"cutover {plan_name(param('plan_path', '?'))} wave {param('wave', '?')} by {param('by', '?')}"


@flow(name="migrate-cutover-execute", flow_run_name=_execute_name, log_prints=True)
def cutover_execute_flow(plan_path: str, wave: int, by: str) -> Any:
    plan = load_plan(plan_path)
    try:
        result = cutover.execute(plan, wave, by)
    finally:
        checklist_artifacts(cutover.checklist(plan, wave))  # what the gates say now, refused or not
    rec = result.switch
    create_table_artifact(key=key("cutover", plan.name, f"wave-{wave}", "switch"), table=rec["location_map"],
                          description=f"Switch record {rec['id']}: legacy location -> target ({result.path})")
    return result
