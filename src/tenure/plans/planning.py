"""Making the quarter's plan (the candidates, re-planning around tasks already done) and
saving it as tasks. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.health.service import HealthRow
from tenure.kit.errors import TenureError
from tenure.models import (
    Account,
    Task,
    User,
)
from tenure.plans.defaults import EXISTING_SHARE, NEW_CLIENTS
from tenure.plans.libraries import active_library
from tenure.plans.planner import (
    HOURS_PER_WEEK,
    NewClient,
    Plan,
    PlannedActivity,
    PlanRequest,
    plan_quarter,
)
from tenure.plans.planner_book import load_book, user_of
from tenure.plans.playbooks import Library
from tenure.plans.scheduler import WEEKS
from tenure.plans.signals import (
    Comparable,
    Signal,
    comparisons,
    compute_signals,
    quarter_end,
)
from tenure.plans.tasks import tasks_of
from tenure.warehouse import Warehouse

ONBOARDING_STAGE = "onboarding"


@dataclass(frozen=True)
class PlanOptions:
    quarter_start: date
    as_of: date | None = None
    count: int | None = None
    hours_per_week: float = HOURS_PER_WEEK
    existing_share: float = EXISTING_SHARE
    new_clients: int = NEW_CLIENTS
    deterministic_time: float | None = None


@dataclass
class PlanOutcome:
    plan: Plan
    health: list[HealthRow]
    signals: dict[str, list[Signal]]
    user: User
    warnings: list[str]
    saved: int = 0


def make_plan(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    csm: str,
    options: PlanOptions,
    library: Library | None = None,
) -> PlanOutcome:
    """A CSM's plan for the quarter, keeping the tasks of that quarter already done."""
    user = user_of(session, csm)
    library = library or active_library(session)
    day = options.as_of or options.quarter_start
    book = load_book(session, warehouse, settings, day, csm)
    if not book.facts:
        raise TenureError(
            f"{user.email} owns no accounts: nothing to plan (give accounts an owner with a "
            "csm_email column in `tenure import accounts`)"
        )
    if options.new_clients < 0:
        raise TenureError(f"--new-clients: {options.new_clients}: must not be negative")
    new_clients = new_clients_of(session, user, options.quarter_start)
    onboarding = {c.client for c in new_clients}
    existing = [f for f in book.facts if f.external_id not in onboarding]
    # The accounts actually onboarding come first; placeholders make up the number asked for.
    for i in range(len(new_clients), options.new_clients):
        new_clients.append(
            NewClient(
                f"NEW-{i + 1}",
                f"new client {i + 1}",
                options.quarter_start,
                "placeholder: a new client expected this quarter, not in Tenure yet",
            )
        )
    everyone: list[Comparable] = [*book.facts, *book.others]
    compared = comparisons(everyone, library.rules)
    found = compute_signals(
        book.facts, day, options.quarter_start, library.rules, compared=compared
    )
    request = PlanRequest(
        quarter_start=options.quarter_start,
        as_of=options.as_of,
        hours_per_week=options.hours_per_week,
        existing_share=options.existing_share,
        count=options.count,
        new_clients=new_clients,
        done=[
            _kept(t, options.quarter_start)
            for t in tasks_of(session, user, options.quarter_start)
            if t.is_done
        ],
        deterministic_time=options.deterministic_time,
    )
    plan = plan_quarter(existing, found, library, request)
    return PlanOutcome(plan, book.health, found, user, book.warnings)


def new_clients_of(session: Session, user: User, quarter_start: date) -> list[NewClient]:
    """The CSM's accounts to onboard this quarter: in lifecycle stage `onboarding`, or a
    client from a day inside the quarter (`customer_since`), by start day. Onboarding starts
    on their first day, or the quarter's start when that came earlier."""
    qe = quarter_end(quarter_start)
    starts_here = Account.customer_since.between(quarter_start, qe)
    query = (
        select(Account)
        .where(Account.owner_id == user.id)
        .where(or_(Account.lifecycle_stage == ONBOARDING_STAGE, starts_here))
    )
    out = []
    for account in session.scalars(query):
        since = account.customer_since
        start = max(since or quarter_start, quarter_start)
        if account.lifecycle_stage == ONBOARDING_STAGE:
            why = "lifecycle stage onboarding" + (f", a client since {since}" if since else "")
        else:
            why = f"a new client from {since}"
        out.append(NewClient(account.external_id, account.name, start, why))
    return sorted(out, key=lambda c: (c.start, c.client))


def _kept(task: Task, quarter_start: date) -> PlannedActivity:
    """A done task as a fixed part of the new plan, in the week it was done."""
    done_on = task.done_on or task.start
    week = min(max((done_on - quarter_start).days // 7, 0), WEEKS - 1)
    notes = f"done on {done_on.isoformat()}" + (f". {task.notes}" if task.notes else "")
    return PlannedActivity(
        reference=task.reference,
        client=task.client,
        category=task.category,
        signals=tuple(task.signals),
        description=task.description,
        purpose=task.purpose,
        results=task.results,
        measurement=task.measurement,
        duration_hours=task.duration_hours,
        deadline=task.deadline,
        start=quarter_start + timedelta(days=7 * week),
        dependencies=tuple(task.dependencies),
        notes=notes,
        week=week,
        value=task.value,
        done=True,
        onboarding=task.onboarding,
        activity=task.activity,
        why=task.why,
    )


# Tasks made outside the planner (a detractor's survey follow-up, a QBR meeting's agreed
# actions) are commitments to a client: re-planning the quarter never drops them.
KEPT_ON_REPLAN = ("detractor_follow_up", "qbr_action")


def save_plan(session: Session, outcome: PlanOutcome, quarter_start: date) -> int:
    """Turn the plan into the CSM's tasks for the quarter: open tasks of an earlier plan are
    replaced, done ones (and those made outside the planner) kept. Returns how many tasks
    were written."""
    user = outcome.user
    session.execute(
        delete(Task).where(
            Task.owner_id == user.id,
            Task.quarter_start == quarter_start,
            Task.status == "open",
            Task.activity.not_in(KEPT_ON_REPLAN),
        )
    )
    ids = dict(session.execute(select(Account.external_id, Account.id)).tuples().all())
    written = 0
    for activity in [*outcome.plan.activities, *outcome.plan.onboarding]:
        if activity.done:
            continue
        session.add(
            Task(
                owner_id=user.id,
                quarter_start=quarter_start,
                reference=activity.reference,
                account_id=ids.get(activity.client),
                client=activity.client,
                onboarding=activity.onboarding,
                category=activity.category,
                activity=activity.activity,
                signals=list(activity.signals),
                description=activity.description,
                purpose=activity.purpose,
                results=activity.results,
                measurement=activity.measurement,
                duration_hours=activity.duration_hours,
                deadline=activity.deadline,
                start=activity.start,
                dependencies=list(activity.dependencies),
                notes=activity.notes,
                why=activity.why,
                value=activity.value,
                status="open",
            )
        )
        written += 1
    session.flush()
    outcome.saved = written
    return written
