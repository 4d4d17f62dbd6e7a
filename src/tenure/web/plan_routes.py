"""The plan page: a CSM's saved quarter week by week (mark tasks done or open again, download
it as XLSX), and making or re-making the quarter's plan with the planner, previewed before it
is saved as the CSM's tasks.

Planning, saving and the role rule are the plans domain's (`tenure.plans.service`,
`require_may_plan_for`); this module only shapes them into pages.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.accounts.service import account_names
from tenure.health.service import dashboard, health_read
from tenure.kit.charts import meter
from tenure.kit.cli import parse_date
from tenure.kit.dates import quarter_bounds
from tenure.kit.errors import Forbidden, TenureError, from_validation
from tenure.models import Role, Task, User
from tenure.plans import flows as plan_flows
from tenure.plans import service as plans
from tenure.plans.schemas import PlanCreate
from tenure.plans.service import TASK_COLUMNS, quarter_end, write_workbook
from tenure.users.auth import require_may_plan_for
from tenure.users.service import require_by_email
from tenure.web import plan as plan_view
from tenure.web.csm_choices import csm_choices
from tenure.web.deps import DbDep, IdentityDep, WriterDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# A page should answer in a few seconds. The planner's own budget (5 deterministic units) is
# about 10 s of one core on a book of 1,000 candidates; 1 unit is about 2 s there, and a book
# of 15-50 accounts is solved to proven optimality well within it. Preview and save use the
# same budget, so saving gives the very plan that was previewed (the solver is deterministic).
WEB_DETERMINISTIC_TIME = 1.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The planner's options on the form, besides the CSM, the quarter start and the as-of day.
OPTION_FIELDS = ("hours_per_week", "existing_share", "new_clients", "count")


class PlanFields(BaseModel):
    """The plan form's fields as typed (text, empty when not given): `plan_input` checks them,
    so that every mistake is named by its field on the page rather than as a bare 422."""

    csm: str = Field("", max_length=320)
    quarter_start: str = Field("", max_length=40)
    as_of: str = Field("", max_length=40)
    hours_per_week: str = Field("", max_length=40)
    existing_share: str = Field("", max_length=40)
    new_clients: str = Field("", max_length=40)
    count: str = Field("", max_length=40)


class SaveFields(PlanFields):
    previewed: str = Field("", max_length=64)  # the fingerprint of the plan previewed


def may_plan_for(user: User, csm: str) -> bool:
    try:
        require_may_plan_for(user, csm)
    except Forbidden:
        return False
    return True


# -- what the page was asked for ------------------------------------------------------------------


def _day(value: str | None, name: str) -> date | None:
    """A date from a query or a form: empty means not given."""
    if value is None or not value.strip():
        return None
    return parse_date(value.strip(), name)


def _quarter(value: str | None) -> date:
    """The quarter asked for, or the calendar quarter running today."""
    return _day(value, "quarter_start") or quarter_bounds(today())[0]


def _csm(db: Session, user: User, csm: str | None) -> User | None:
    """The CSM whose plan to show: the one asked for, else the signed-in user when they plan
    (a CSM, or anyone who owns accounts); None lets a manager choose."""
    if csm and csm.strip():
        return require_by_email(db, csm.strip())
    if user.role is Role.csm or any(email == user.email for email, _ in csm_choices(db)):
        return user
    return None


def _form(owner: User | None, quarter_start: date, data: PlanCreate | None = None) -> PlanFields:
    """The planner's options as the form shows them: the ones asked for, or the API's
    defaults; a quarter running today is re-planned from today (weeks before it are closed)."""
    if data is None:
        running = quarter_start <= today() <= quarter_end(quarter_start)
        data = PlanCreate(
            csm=owner.email if owner else "",
            quarter_start=quarter_start,
            as_of=today() if running else None,
        )
    options = {name: getattr(data, name) for name in OPTION_FIELDS}
    return PlanFields(
        csm=data.csm,
        quarter_start=data.quarter_start.isoformat(),
        as_of=data.as_of.isoformat() if data.as_of else "",
        **{name: "" if value is None else f"{value:g}" for name, value in options.items()},
    )


def plan_input(user: User, fields: PlanFields, save: bool) -> PlanCreate:
    """The plan form's fields as the API's PlanCreate, every mistake named by its field."""
    quarter_start = _day(fields.quarter_start, "quarter_start")
    if quarter_start is None:
        raise TenureError("quarter_start: give the quarter's first day (YYYY-MM-DD)")
    as_of = _day(fields.as_of, "as_of")
    csm = fields.csm.strip() or (user.email if user.role is Role.csm else "")
    if not csm:
        raise TenureError("csm: choose the CSM whose quarter to plan")
    given = {k: v.strip() for k in OPTION_FIELDS if (v := getattr(fields, k)).strip()}
    try:
        return PlanCreate.model_validate(
            {"csm": csm, "quarter_start": quarter_start, "as_of": as_of, "save": save, **given}
        )
    except ValidationError as error:
        raise from_validation(error) from None


def _options(data: PlanCreate) -> plans.PlanOptions:
    return plans.PlanOptions(
        **data.model_dump(exclude={"csm", "save"}), deterministic_time=WEB_DETERMINISTIC_TIME
    )


def _make_plan(request: Request, db: Session, data: PlanCreate) -> plans.PlanOutcome:
    return plans.make_plan(
        db, warehouse_of(request), settings_of(request), data.csm, _options(data)
    )


def plan_url(csm: str, quarter_start: date, path: str = "/plan", **extra: object) -> str:
    query = {"csm": csm, "quarter_start": quarter_start.isoformat(), **extra}
    return f"{path}?{urlencode(query)}"


# -- the page ------------------------------------------------------------------------------------


def _quarter_choices(db: Session, owner: User | None) -> list[date]:
    """Quarters worth one click: this one, the next, and every one the CSM saved a plan for."""
    this, following = quarter_bounds(today())
    found = {this, following}
    if owner is not None:
        found.update(
            db.scalars(select(Task.quarter_start).where(Task.owner_id == owner.id).distinct())
        )
    return sorted(found, reverse=True)


def _body_context(db: Session, user: User, owner: User, quarter_start: date) -> dict[str, Any]:
    saved = plan_view.saved_plan(db, owner, quarter_start)
    return {
        "saved": saved,
        "owner": owner,
        "quarter_start": quarter_start,
        "quarter_end": quarter_end(quarter_start),
        "names": account_names(db, (t.client for t in saved.tasks)),
        "may_change": may_plan_for(user, owner.email),
        "replan": bool(saved.tasks),
        "xlsx_url": plan_url(owner.email, quarter_start, path="/plan.xlsx"),
        "today": today(),
        "urgent": plan_view.URGENT,
        "meter": meter,
        "section_of": lambda t: plan_view.week_index(t.start, quarter_start) + 1,
    }


def _page_context(db: Session, user: User, csm: str | None, quarter: str | None) -> dict[str, Any]:
    quarter_start = _quarter(quarter)
    owner = _csm(db, user, csm)
    csms = csm_choices(db)
    if owner is not None and all(email != owner.email for email, _ in csms):
        csms = [(owner.email, owner.name), *csms]  # e.g. a CSM whose accounts all moved on
    context: dict[str, Any] = {
        "owner": owner,
        "own": owner is not None and owner.id == user.id,
        "csms": csms,
        "quarter_start": quarter_start,
        "quarter_end": quarter_end(quarter_start),
        "quarters": _quarter_choices(db, owner),
        "form": _form(owner, quarter_start),
        "saved_now": None,
        "replan": False,
    }
    if owner is not None:
        context.update(_body_context(db, user, owner, quarter_start))
    return context


@router.get("/plan")
def plan_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    csm: Annotated[str | None, Query(max_length=320)] = None,
    quarter_start: Annotated[str | None, Query(max_length=40)] = None,
    saved: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """A CSM's saved plan for a quarter, week by week (a CSM opens on their own, this
    quarter)."""
    context = _page_context(db, identity.user, csm, quarter_start)
    context["saved_now"] = saved
    return render(request, "plan.html", context)


@router.get("/plan.xlsx")
def plan_xlsx(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    csm: Annotated[str | None, Query(max_length=320)] = None,
    quarter_start: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The saved plan as a workbook: "Plan" and "Onboarding" (the plan's columns plus each
    task's status), "Weeks", and "Health" (the CSM's book as of today)."""
    owner = _csm(db, identity.user, csm)
    if owner is None:
        raise TenureError("csm: choose the CSM whose plan to download")
    saved = plan_view.saved_plan(db, owner, _quarter(quarter_start))
    if not saved.tasks:
        # Nothing to download: the page itself says so and offers to make the plan.
        context = _page_context(db, identity.user, owner.email, quarter_start)
        return render(request, "plan.html", context, status=404)
    board = dashboard(db, warehouse_of(request), settings_of(request), today(), csm=owner.email)
    health = [health_read(row).model_dump(mode="json") for row in board.rows]

    def rows(tasks: Sequence[Task]) -> list[dict[str, Any]]:
        return [{c: getattr(t, c) for c in TASK_COLUMNS} for t in tasks]

    buffer = io.BytesIO()
    write_workbook(
        buffer,
        [
            ("Plan", TASK_COLUMNS, rows([t for t in saved.tasks if not t.onboarding])),
            ("Onboarding", TASK_COLUMNS, rows(saved.onboarding)),
            ("Weeks", plan_view.WEEK_COLUMNS, [w.record() for w in saved.weeks]),
        ],
        health,
    )
    name = re.sub(r"[^A-Za-z0-9._@-]", "_", f"plan-{owner.email}-{saved.quarter_start}.xlsx")
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- marking tasks done ------------------------------------------------------------------------


def _change_task(request: Request, db: Session, user: User, task_id: int, done: bool) -> Response:
    """Mark a task done (today) or open again, with its audit entry; htmx gets the task's
    section (its week, or the onboarding) and the tiles back, so the page stays where it
    was; a plain form a redirect to the task."""
    task = plans.find_task(db, str(task_id))
    require_may_plan_for(user, task.owner.email)
    plans.change_task_recorded(db, user, task, today() if done else None, via="web")
    if request.headers.get("HX-Request") == "true":
        context = _body_context(db, user, task.owner, task.quarter_start)
        context["section"] = (
            "onboarding"
            if task.onboarding
            else plan_view.week_index(task.start, task.quarter_start)
        )
        return render(request, "plan_section.html", context)
    url = plan_url(task.owner.email, task.quarter_start) + f"#task-{task.id}"
    return RedirectResponse(url, status_code=303)


TaskId = Annotated[int, Path(ge=1)]


@router.post("/plan/tasks/{task_id}/done")
def task_done(request: Request, db: DbDep, identity: WriterDep, task_id: TaskId) -> Response:
    return _change_task(request, db, identity.user, task_id, done=True)


@router.post("/plan/tasks/{task_id}/reopen")
def task_reopen(request: Request, db: DbDep, identity: WriterDep, task_id: TaskId) -> Response:
    return _change_task(request, db, identity.user, task_id, done=False)


# -- making the plan -----------------------------------------------------------------------------


def _preview(
    request: Request,
    db: Session,
    user: User,
    data: PlanCreate,
    outcome: plans.PlanOutcome,
    status: int = 200,
    changed: bool = False,
) -> Response:
    plan = outcome.plan
    owner = outcome.user
    kept = plans.list_tasks(db, owner.email, data.quarter_start)
    clients = [a.client for a in [*plan.activities, *plan.onboarding]]
    clients += [x.client for x in plan.left_out]
    context = {
        "owner": owner,
        "own": owner.id == user.id,
        "plan": plan,
        "weeks": plan_view.preview_weeks(plan),
        "warnings": outcome.warnings,
        "names": account_names(db, clients),
        "quarter_start": data.quarter_start,
        "quarter_end": quarter_end(data.quarter_start),
        "form": _form(owner, data.quarter_start, data),
        "fingerprint": plan_view.fingerprint(plan),
        "may_change": may_plan_for(user, owner.email),
        "saved_open": sum(1 for t in kept if not t.is_done),
        "saved_done": sum(1 for t in kept if t.is_done),
        "changed": changed,
        "replan": bool(kept),
        "hours": sum(a.duration_hours for a in plan.activities),
        "capacity": sum(w.capacity for w in plan.weeks),
        "onboarding_hours": sum(a.duration_hours for a in plan.onboarding),
        "onboarding_capacity": sum(w.onboarding_capacity for w in plan.weeks),
        "urgent": plan_view.URGENT,
        "meter": meter,
        "today": today(),
    }
    return render(request, "plan_preview.html", context, status=status)


@router.get("/plan/preview")
def plan_preview(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    fields: Annotated[PlanFields, Query()],
) -> Response:
    """The planner's plan for the quarter, not saved: anyone may look (like GET
    /api/v1/plan); the CSM, managers and admins may then save it."""
    data = plan_input(identity.user, fields, save=False)
    outcome = _make_plan(request, db, data)
    return _preview(request, db, identity.user, data, outcome)


@router.post("/plan/save")
def plan_save(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    fields: Annotated[SaveFields, Form()],
) -> Response:
    """Plan the quarter again with the previewed options and save it as the CSM's tasks: open
    tasks of an earlier plan are replaced, done ones kept (`plans.flows.plan_and_save`)."""
    user = identity.user
    data = plan_input(user, fields, save=True)
    require_may_plan_for(user, data.csm)
    saved = plan_flows.plan_and_save(
        db,
        warehouse_of(request),
        settings_of(request),
        data.csm,
        _options(data),
        by=user,
        via="web",
        # Never save something other than what the CSM looked at: show the new plan instead.
        save_if=lambda plan: (
            not fields.previewed or fields.previewed == plan_view.fingerprint(plan)
        ),
    )
    outcome = saved.outcome
    if saved.written is None:
        return _preview(request, db, user, data, outcome, status=409, changed=True)
    return RedirectResponse(
        plan_url(outcome.user.email, data.quarter_start, saved=saved.written), status_code=303
    )
