"""The team page (managers and admins): each CSM's book at a glance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from fastapi import APIRouter, Request, Response
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tenure.book.query import current_client
from tenure.config import Settings
from tenure.kit.charts import meter
from tenure.kit.dates import quarter_bounds
from tenure.kit.errors import TenureError
from tenure.kit.money import total
from tenure.models import Account, AccountHealth, Contract, Role, Task, User
from tenure.plans import service as plans
from tenure.plans.service import HOURS_PER_WEEK, WEEKS
from tenure.web.deps import DbDep, IdentityDep, require_role, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@dataclass
class CsmLine:
    email: str
    name: str
    accounts: int = 0
    red: int = 0
    amber: int = 0
    green: int = 0
    unscored: int = 0
    arr: Decimal | None = None
    currency: str | None = None
    arr_problem: str | None = None
    renewals_quarter: int = 0
    amounts: list[tuple[Decimal, str]] = field(default_factory=list)
    renewing: list[tuple[Decimal, str]] = field(default_factory=list)
    renewing_arr: Decimal | None = None
    planned_hours: float = 0.0
    done_hours: float = 0.0
    plan_start: date | None = None

    @property
    def capacity(self) -> float:
        # The planner's defaults: a quarter of 13 weeks from its start, 40 hours a week.
        return HOURS_PER_WEEK * WEEKS


def team(session: Session, settings: Settings, as_of: date) -> list[CsmLine]:
    lines: dict[int, CsmLine] = {}
    for user_id, email, name, count, red, amber, green in session.execute(
        select(
            User.id,
            User.email,
            User.name,
            func.count(Account.id),
            func.sum(case((AccountHealth.band == "red", 1), else_=0)),
            func.sum(case((AccountHealth.band == "amber", 1), else_=0)),
            func.sum(case((AccountHealth.band == "green", 1), else_=0)),
        )
        .join(Account, Account.owner_id == User.id)
        .outerjoin(AccountHealth, AccountHealth.account_id == Account.id)
        # Current clients only, as the book each count links to shows them: a churned
        # client's last red score is not a red account of the CSM's today.
        .where(current_client(as_of))
        .group_by(User.id, User.email, User.name)
    ):
        lines[user_id] = CsmLine(
            email, name, count, int(red or 0), int(amber or 0), int(green or 0)
        )
        lines[user_id].unscored = (
            count - lines[user_id].red - lines[user_id].amber - (lines[user_id].green)
        )
    _, quarter_end = quarter_bounds(as_of)
    renewal = (
        select(
            Contract.account_id.label("account_id"),
            func.max(Contract.end_date).label("renewal"),
        )
        .where(Contract.active_on(as_of))
        .group_by(Contract.account_id)
        .subquery()
    )
    for owner_id, renewal_day, arr, currency in session.execute(
        select(Account.owner_id, renewal.c.renewal, Contract.arr, Contract.currency)
        .join(renewal, renewal.c.account_id == Account.id)
        .join(Contract, Contract.account_id == Account.id)
        .where(Account.owner_id.is_not(None), Contract.active_on(as_of))
    ):
        line = lines.get(owner_id)
        if line is None:
            continue
        line.amounts.append((arr, currency))
        if renewal_day < quarter_end:
            line.renewing.append((arr, currency))
    for owner_id, count in session.execute(
        select(Account.owner_id, func.count())
        .join(renewal, renewal.c.account_id == Account.id)
        .where(renewal.c.renewal < quarter_end, Account.owner_id.is_not(None))
        .group_by(Account.owner_id)
    ):
        if owner_id in lines:
            lines[owner_id].renewals_quarter = count
    # Each CSM's saved plan running today: the latest quarter start within 13 weeks.
    earliest = as_of - timedelta(weeks=WEEKS) + timedelta(days=1)
    for owner_id, start, status, hours in session.execute(
        select(Task.owner_id, Task.quarter_start, Task.status, Task.duration_hours).where(
            Task.quarter_start <= as_of, Task.quarter_start >= earliest
        )
    ):
        line = lines.get(owner_id)
        if line is None:
            continue
        if line.plan_start is None or start > line.plan_start:
            line.plan_start, line.planned_hours, line.done_hours = start, 0.0, 0.0
        if start == line.plan_start:
            line.planned_hours += hours
            if status == "done":
                line.done_hours += hours
    for line in lines.values():
        try:
            line.arr, line.currency = total(
                line.amounts, settings.currency_rates, settings.base_currency
            )
            line.renewing_arr, _ = total(
                line.renewing, settings.currency_rates, settings.base_currency
            )
        except TenureError as error:
            line.arr_problem = error.message
    return sorted(lines.values(), key=lambda line: (-line.red, line.name))


@router.get("/team")
def team_page(request: Request, db: DbDep, identity: IdentityDep) -> Response:
    require_role(identity.user, Role.admin, Role.manager)
    as_of = today()
    start, end = quarter_bounds(as_of)
    lines = team(db, settings_of(request), as_of)
    return render(
        request,
        "team.html",
        {
            "lines": lines,
            "as_of": as_of,
            "quarter_start": start,
            "quarter_end": end,
            "meter": meter,
        },
    )


@router.get("/team/advocates")
def advocates(request: Request, db: DbDep, identity: IdentityDep) -> Response:
    """Accounts that could become references and case studies, across the team (loaded into
    the team page)."""
    require_role(identity.user, Role.admin, Role.manager)
    found = plans.advocate_signals(db, warehouse_of(request), settings_of(request), today())
    return render(request, "team_advocates.html", {"advocates": found})
