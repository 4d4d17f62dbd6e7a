"""The Today page: where a CSM starts the day (and where login lands). Managers, admins and
viewers see the whole team's day, or one CSM's through `?csm=`.

Drafts awaiting approval are not shown yet: they belong to the outbox, which does not exist
in this version; a section for them goes here once it does.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.kit.errors import TenureError
from tenure.models import Account, Role, User
from tenure.plans import service as plans
from tenure.today import service
from tenure.today.service import DayTask
from tenure.users.auth import require_may_plan_for
from tenure.web.deps import DbDep, IdentityDep, WriterDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

TEAM = "team"


@router.get("/")
def home() -> Response:
    return RedirectResponse("/today", status_code=303)


def _who(db: Session, me: User, csm: str | None) -> User | None:
    """The CSM whose day is shown: asked for, else oneself for a CSM, else the team."""
    if csm == TEAM:
        return None
    if csm:
        return service.csm_of(db, csm)
    return me if me.role is Role.csm else None


def _may_change(me: User, csm: User | None, task: DayTask | None = None) -> bool:
    owner = task.owner_email if task else csm.email if csm else None
    if me.role in (Role.admin, Role.manager):
        return True
    return me.role is Role.csm and owner == me.email


def _today_url(csm: User | None) -> str:
    return f"/today?csm={csm.email}" if csm else f"/today?csm={TEAM}"


@router.get("/today")
def today_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    csm: Annotated[str | None, Query(max_length=320)] = None,
) -> Response:
    me = identity.user
    who = _who(db, me, csm)
    as_of = today()
    view = service.today(db, warehouse_of(request), settings_of(request), as_of, who)
    csms = list(
        db.scalars(select(User).where(User.role == Role.csm).order_by(User.name, User.email))
    )
    return render(
        request,
        "today.html",
        {
            "view": view,
            "who": who,
            "csms": csms,
            "team": TEAM,
            "may_add": me.role in (Role.admin, Role.manager)
            or (me.role is Role.csm and (who is None or who.id == me.id)),
            "may_change": lambda task: _may_change(me, who, task),
            "accounts": _addable_accounts(db, me, who),
        },
    )


def _addable_accounts(db: Session, me: User, who: User | None) -> list[tuple[str, str]]:
    """(external id, name) of the accounts one may add a task for on this page."""
    query = select(Account.external_id, Account.name).order_by(Account.name)
    if who is not None:
        query = query.where(Account.owner_id == who.id)
    elif me.role is Role.csm:
        query = query.where(Account.owner_id == me.id)
    else:
        query = query.where(Account.owner_id.is_not(None))
    return [(e, n) for e, n in db.execute(query).tuples()]


def _row(request: Request, me: User, task: DayTask) -> Response:
    return render(
        request,
        "today_task.html",
        {"t": task, "may_change": lambda t: _may_change(me, None, t)},
    )


TaskId = Annotated[int, Path(ge=1)]


def _after(request: Request, me: User, task: DayTask, back: str) -> Response:
    if request.headers.get("HX-Request") == "true":
        return _row(request, me, task)
    return RedirectResponse(back, status_code=303)


def _change_plan_task(
    request: Request, db: Session, me: User, task_id: int, done: bool
) -> Response:
    """Mark a plan task done today or open again (the plan page's rule and audit entry)."""
    task = plans.find_task(db, str(task_id))
    require_may_plan_for(me, task.owner.email)
    plans.change_task_recorded(db, me, task, today() if done else None, via="web")
    shown = service.plan_task(task, today())
    return _after(request, me, shown, f"/today?csm={task.owner.email}")


def _change_todo(request: Request, db: Session, me: User, todo_id: int, done: bool) -> Response:
    todo = service.find_todo(db, todo_id)
    service.change_todo_recorded(db, me, todo, today() if done else None, via="web")
    shown = service.todo_task(todo, today())
    return _after(request, me, shown, f"/today?csm={todo.owner.email}")


@router.post("/today/tasks/{task_id}/done")
def plan_task_done(request: Request, db: DbDep, identity: WriterDep, task_id: TaskId) -> Response:
    return _change_plan_task(request, db, identity.user, task_id, done=True)


@router.post("/today/tasks/{task_id}/reopen")
def plan_task_reopen(request: Request, db: DbDep, identity: WriterDep, task_id: TaskId) -> Response:
    return _change_plan_task(request, db, identity.user, task_id, done=False)


@router.post("/today/todos/{todo_id}/done")
def todo_done(request: Request, db: DbDep, identity: WriterDep, todo_id: TaskId) -> Response:
    return _change_todo(request, db, identity.user, todo_id, done=True)


@router.post("/today/todos/{todo_id}/reopen")
def todo_reopen(request: Request, db: DbDep, identity: WriterDep, todo_id: TaskId) -> Response:
    return _change_todo(request, db, identity.user, todo_id, done=False)


@router.post("/today/todos")
def add_todo(
    db: DbDep,
    identity: WriterDep,
    title: Annotated[str, Form(max_length=500)],
    account: Annotated[str, Form(max_length=200)],
    due: Annotated[str, Form(max_length=10)],
    back: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Add a task by hand for an account; it shows on its CSM's Today until done."""
    try:
        day = date.fromisoformat(due)
    except ValueError:
        raise TenureError(f"due: {due!r}: not a date, use YYYY-MM-DD") from None
    todo = service.add_todo_recorded(db, identity.user, title, account, day, via="web")
    target = back if back.startswith("/today") else f"/today?csm={todo.owner.email}"
    return RedirectResponse(f"{target}#todo-{todo.id}", status_code=303)
