"""Plan a CSM's quarter and save it as their tasks, with its audit entry: the one way the
CLI (`tenure plan --save`), the API (`POST /api/v1/plan` with `save`) and the web
(`POST /plan/save`) save a plan, so the entry has one shape whichever door. Commits nothing:
the caller's unit of work holds the tasks and the entry together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tenure.audit.service import record_change
from tenure.config import Settings
from tenure.models import User
from tenure.plans.planner import Plan
from tenure.plans.playbooks import Library
from tenure.plans.service import PlanOptions, PlanOutcome, list_tasks, make_plan, save_plan
from tenure.warehouse import Warehouse


@dataclass(frozen=True)
class SavedPlan:
    outcome: PlanOutcome
    written: int | None  # tasks written; None when `save_if` refused the plan (not saved)


def plan_and_save(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    csm: str,
    options: PlanOptions,
    *,
    by: User | None,
    via: str,
    library: Library | None = None,
    save_if: Callable[[Plan], bool] | None = None,
) -> SavedPlan:
    """Make `csm`'s plan for the quarter with `options` (and `library`, else the loaded one),
    then save it as their tasks (open tasks of an earlier plan replaced, done ones kept) with
    the `plan.save` audit entry by `by` through `via`. With `save_if`, only a plan it accepts
    is saved (the web saves only the plan the CSM previewed)."""
    outcome = make_plan(session, warehouse, settings, csm, options, library=library)
    if save_if is not None and not save_if(outcome.plan):
        return SavedPlan(outcome, None)
    quarter = options.quarter_start
    email = outcome.user.email
    before = [t.reference for t in list_tasks(session, email, quarter, "open")]
    written = save_plan(session, outcome, quarter)
    after = [t.reference for t in list_tasks(session, email, quarter)]
    record_change(
        session,
        by,
        "plan.save",
        f"plan:{email}:{quarter.isoformat()}",
        {"open_tasks": before},
        {"tasks": after, "options": _options_record(csm, options)},
        via=via,
    )
    return SavedPlan(outcome, written)


def _options_record(csm: str, options: PlanOptions) -> dict[str, Any]:
    """What the plan was made with, keyed as the API's `PlanCreate` (`save` is true: it was)."""
    return {
        "csm": csm,
        "quarter_start": options.quarter_start.isoformat(),
        "as_of": options.as_of.isoformat() if options.as_of else None,
        "count": options.count,
        "hours_per_week": options.hours_per_week,
        "existing_share": options.existing_share,
        "new_clients": options.new_clients,
        "save": True,
    }
