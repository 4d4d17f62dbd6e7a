"""The account page's goals section (with a form to record progress) and its QBR button."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from tenure.accounts import service as accounts
from tenure.audit.service import record_change
from tenure.goals import service as goals
from tenure.goals.schemas import ProgressCreate
from tenure.kit.dates import quarter_bounds
from tenure.kit.errors import TenureError
from tenure.reports import service as reports
from tenure.users.auth import require_can_write
from tenure.web.account_routes import can_write
from tenure.web.deps import DbDep, IdentityDep, WriterDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def quarter_choices(day: date) -> list[date]:
    """The quarter running on `day` and the three before it, newest first."""
    start = quarter_bounds(day)[0]
    out = [start]
    for _ in range(3):
        start = quarter_bounds(start - timedelta(days=1))[0]
        out.append(start)
    return out


@router.get("/accounts/{external_id}/goals")
def account_goals(request: Request, db: DbDep, identity: IdentityDep, external_id: str) -> Response:
    """The goals section (loaded into the account page)."""
    target = accounts.get_account(db, external_id)
    rows = goals.goals_of(db, warehouse_of(request), external_id, today())
    return render(
        request,
        "account_goals.html",
        {
            "goals": rows,
            "account_id": external_id,
            "can_write": can_write(identity.user, target),
            "quarters": quarter_choices(today()),
        },
    )


@router.post("/accounts/{external_id}/goals/{goal_id}/progress")
def add_progress(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    external_id: str,
    goal_id: int,
    value: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    target = accounts.get_account(db, external_id)
    require_can_write(identity.user, target)
    goal = goals.get_goal(db, goal_id)
    if goal.account_id != target.id:
        raise TenureError(f"goal {goal_id} is not a goal of {external_id}", 404)
    try:
        number = float(value)
    except ValueError:
        raise TenureError(f"value: {value!r}: not a number", 422) from None
    warehouse = warehouse_of(request)
    before = goals.goal_read(goal, warehouse, today())
    goals.record_progress(db, goal, ProgressCreate(value=number, note=note), identity.user.email)
    db.refresh(goal)
    after = goals.goal_read(goal, warehouse, today())
    record_change(db, identity.user, "goal.progress", f"goal:{goal_id}", before, after, via="web")
    return RedirectResponse(f"/accounts/{quote(external_id, safe='')}#goals", 303)


@router.post("/accounts/{external_id}/qbr")
def make_qbr(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    external_id: str,
    quarter_start: Annotated[str, Form()] = "",
    fmt: Annotated[str, Form(alias="format")] = "pdf",
) -> Response:
    """The QBR button: a pack for the chosen quarter, frozen and downloaded as PDF or HTML."""
    target = accounts.get_account(db, external_id)
    require_can_write(identity.user, target)
    if fmt not in ("pdf", "html"):
        raise TenureError(f"format: {fmt!r}: pdf or html", 422)
    try:
        start = date.fromisoformat(quarter_start)
    except ValueError:
        raise TenureError(
            f"quarter_start: {quarter_start!r}: not a date (YYYY-MM-DD)", 422
        ) from None
    snapshot = reports.build_qbr(
        db,
        warehouse_of(request),
        settings_of(request),
        external_id,
        start,
        today(),
        identity.user.email,
    )
    record_change(
        db,
        identity.user,
        "qbr.make",
        f"account:{external_id}",
        None,
        {"id": snapshot.id, "quarter_start": start, "as_of": snapshot.as_of},
        via="web",
    )
    name = f"qbr-{external_id}-{start.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{quote(name)}"'}
    if fmt == "pdf":
        return Response(reports.qbr_pdf(snapshot), media_type="application/pdf", headers=headers)
    headers["Content-Security-Policy"] = reports.QBR_CONTENT_SECURITY_POLICY
    return Response(reports.qbr_html(snapshot), media_type="text/html", headers=headers)
