"""``migrate-resync``: the scheduled incremental re-sync of a plan until its cutover.

Every wave not yet cut over (no current switch record) is synced again by the ``migrate-wave`` sub-flow
(only new and changed source files are copied: the ledger skips the rest); a cut-over wave is left alone.
The checklist is published as an artifact after each re-sync, so the UI shows where the cutover stands.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from migrate import cutover
from migrate.flows.common import param, plan_name
from migrate.flows.cutover import checklist_artifacts
from migrate.flows.run import migrate_wave_flow
from migrate.plan import load_plan


def _name() -> str:
    return f"resync {plan_name(param('plan_path', '?'))}"


@flow(name="migrate-resync", flow_run_name=_name, log_prints=True)
def resync_flow(plan_path: str) -> dict[str, Any]:
    plan = load_plan(plan_path)
    synced, skipped = [], []
    for wave in sorted({d.wave for d in plan.datasets}):
        switch = cutover.current_switch(plan, wave)
        if switch is not None:
            print(f"wave {wave} was cut over ({switch['id']} by {switch['by']} at {switch['at']}): not re-synced")
            skipped.append(wave)
            continue
        names = [d.name for d in plan.datasets if d.wave == wave]
        state = migrate_wave_flow(plan_path, wave, names, count=False, return_state=True)
        data = state.result(raise_on_failure=False)
        if isinstance(data, BaseException):
            raise data
        synced.append({"wave": wave, "datasets": data})
    checklist_artifacts(cutover.checklist(plan))
    return {"plan": plan.name, "synced": synced, "cut_over": skipped}
