"""Loading and changing goals; reading their progress from the metrics series or the CSM's
records. Never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tenure.accounts.service import get_account
from tenure.goals import progress as core
from tenure.goals.schemas import (
    FirstValueRead,
    GoalCreate,
    GoalRead,
    GoalUpdate,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
    ProgressCreate,
)
from tenure.kit.dates import utc_today
from tenure.kit.errors import NotFound, TenureError
from tenure.kit.metric_names import check_metric_name
from tenure.models import Account, Goal, GoalMilestone, GoalProgress
from tenure.warehouse import Warehouse


def create_goal(session: Session, account: Account, data: GoalCreate, author: str | None) -> Goal:
    if data.metric is not None and (why := check_metric_name(data.metric)):
        raise TenureError(f"metric: {data.metric!r}: {why}", 422)
    goal = Goal(
        account_id=account.id,
        title=data.title,
        measure=data.measure,
        metric=data.metric,
        baseline=data.baseline,
        target=data.target,
        unit=data.unit,
        due_date=data.due_date,
        status="open",
        created_by=author,
    )
    goal.milestones = [_milestone(i, m) for i, m in enumerate(data.milestones, start=1)]
    session.add(goal)
    session.flush()
    return goal


def _milestone(position: int, data: MilestoneCreate) -> GoalMilestone:
    return GoalMilestone(
        position=position, title=data.title, due_date=data.due_date, reached_on=data.reached_on
    )


def get_goal(session: Session, goal_id: int) -> Goal:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound(f"no goal with id {goal_id}")
    return goal


def account_goals(session: Session, account: Account) -> list[Goal]:
    query = (
        select(Goal)
        .where(Goal.account_id == account.id)
        .options(selectinload(Goal.milestones), selectinload(Goal.progress))
        .order_by(Goal.created_at, Goal.id)
    )
    return list(session.scalars(query))


def update_goal(session: Session, goal: Goal, data: GoalUpdate) -> Goal:
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is not None:
            setattr(goal, field, value)
    session.flush()
    return goal


def record_progress(
    session: Session, goal: Goal, data: ProgressCreate, author: str | None
) -> GoalProgress:
    """The CSM's reading of the measure on a day (a second reading that day replaces it)."""
    if goal.metric is not None:
        raise TenureError(
            f"goal {goal.id} reads its progress from metric {goal.metric!r}; "
            "progress is recorded only for goals without a metric",
            409,
        )
    on = data.on or utc_today()
    row = session.scalar(
        select(GoalProgress).where(GoalProgress.goal_id == goal.id, GoalProgress.on == on)
    )
    if row is None:
        row = GoalProgress(goal_id=goal.id, on=on, value=data.value)
        session.add(row)
    row.value, row.note, row.recorded_by = data.value, data.note, author
    if core.share_done(data.value, goal.baseline, goal.target) == 1.0 and goal.status == "open":
        goal.status = "achieved"
    session.flush()
    return row


def set_milestone(session: Session, goal: Goal, position: int, data: MilestoneUpdate) -> Goal:
    milestone = next((m for m in goal.milestones if m.position == position), None)
    if milestone is None:
        positions = ", ".join(str(m.position) for m in goal.milestones) or "none"
        raise NotFound(f"goal {goal.id} has no milestone {position} (it has: {positions})")
    milestone.reached_on = data.reached_on
    session.flush()
    return goal


def readings(goal: Goal, warehouse: Warehouse | None, as_of: date) -> list[core.Reading]:
    """Every reading of the goal's measure up to `as_of`, oldest first."""
    if goal.metric is None:
        return [core.Reading(p.on, p.value, "csm") for p in goal.progress if p.on <= as_of]
    if warehouse is None:
        return []
    table = warehouse.metrics.read([goal.metric], [goal.account.external_id], None, as_of)
    return [
        core.Reading(d, float(v), "metric")
        for d, v in zip(
            table.column("date").to_pylist(), table.column("value").to_pylist(), strict=True
        )
        if v is not None
    ]


def goal_read(
    goal: Goal, warehouse: Warehouse | None, as_of: date, first_goal: bool = False
) -> GoalRead:
    """`first_goal`: this is the account's earliest goal, whose first milestone is the
    first-value milestone."""
    latest = core.latest_reading(readings(goal, warehouse, as_of), as_of)
    share = core.share_done(latest.value if latest else None, goal.baseline, goal.target)
    return GoalRead(
        id=goal.id,
        account_external_id=goal.account.external_id,
        title=goal.title,
        measure=goal.measure,
        metric=goal.metric,
        baseline=goal.baseline,
        target=goal.target,
        unit=goal.unit,
        due_date=goal.due_date,
        status=goal.status,
        current=latest.value if latest else None,
        current_on=latest.on if latest else None,
        source=latest.source if latest else None,
        progress=share,
        track=core.on_track(
            share,
            goal.created_at.date(),
            goal.due_date,
            as_of,
            achieved=goal.status == "achieved",
        )
        if goal.status != "dropped"
        else "dropped",
        milestones=[
            MilestoneRead(
                position=m.position,
                title=m.title,
                due_date=m.due_date,
                reached_on=m.reached_on,
                first_value=first_goal and m.position == 1,
            )
            for m in goal.milestones
        ],
    )


def goals_of(
    session: Session, warehouse: Warehouse | None, external_id: str, as_of: date
) -> list[GoalRead]:
    account = get_account(session, external_id)
    goals = account_goals(session, account)
    return [goal_read(g, warehouse, as_of, first_goal=i == 0) for i, g in enumerate(goals)]


def first_value(session: Session) -> list[FirstValueRead]:
    """Each account's first-value milestone (the first milestone of its earliest goal) and the
    days from becoming a customer to reaching it."""
    goals = session.scalars(
        select(Goal)
        .options(selectinload(Goal.milestones), selectinload(Goal.account))
        .order_by(Goal.account_id, Goal.created_at, Goal.id)
    )
    seen: set[int] = set()
    rows: list[FirstValueRead] = []
    for goal in goals:
        if goal.account_id in seen or not goal.milestones:
            continue
        seen.add(goal.account_id)
        milestone = goal.milestones[0]
        rows.append(
            FirstValueRead(
                account_external_id=goal.account.external_id,
                name=goal.account.name,
                customer_since=goal.account.customer_since,
                milestone=milestone.title,
                reached_on=milestone.reached_on,
                days_to_first_value=core.days_to_first_value(
                    goal.account.customer_since, milestone.reached_on
                ),
            )
        )
    return sorted(rows, key=lambda r: r.name)
