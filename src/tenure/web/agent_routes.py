"""What the agent did: each day's actions per CSM, with approve / reject / undo for what
awaits a person. A CSM sees their own book; managers and admins see every book."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from tenure.agent import service
from tenure.agent.scheduler import lifespan
from tenure.kit.errors import TenureError
from tenure.models import AgentAction, AgentRun, Role
from tenure.web.deps import DbDep, IdentityDep, WriterDep, settings_of, today
from tenure.web.routing import WebRoute
from tenure.web.templating import render

# The router brings the scheduler: `tenure serve` runs the agent daily when agent_schedule is set.
router = APIRouter(route_class=WebRoute, include_in_schema=False, lifespan=lifespan)
VERDICTS = ("approve", "reject", "undo")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TenureError(f"day: {value!r}: not a date, use YYYY-MM-DD") from None


@router.get("/agent")
def agent_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    day: Annotated[str | None, Query(max_length=10)] = None,
    csm: Annotated[str | None, Query(max_length=320)] = None,
) -> Response:
    user = identity.user
    if user.role is Role.csm:
        csm = user.email  # a CSM's page is their own book
    elif csm == "all":
        csm = None
    latest = db.scalar(select(func.max(AgentAction.day)))
    shown = _day(day) or latest or today()
    actions = service.list_actions(db, shown, csm)
    waiting = [
        a
        for a in service.list_actions(db, None, csm)
        if a.status in (*service.WAITING, "held") and a.day != shown
    ]
    by_csm: dict[str, list[AgentAction]] = defaultdict(list)
    for action in actions:
        by_csm[action.csm_email or "no CSM"].append(action)
    days = [
        d
        for (d,) in db.execute(
            select(AgentAction.day).distinct().order_by(AgentAction.day.desc()).limit(60)
        )
    ]
    runs = list(db.scalars(select(AgentRun).where(AgentRun.day == shown)))
    csms = sorted({e for (e,) in db.execute(select(AgentAction.csm_email).distinct()) if e})
    mandate = service.active_mandate(db)
    context: dict[str, Any] = {
        "day": shown,
        "days": days,
        "csm": csm or "all",
        "csms": csms,
        "by_csm": dict(sorted(by_csm.items())),
        "waiting": waiting,
        "runs": runs,
        "mandate": mandate,
        "may_choose": user.role in (Role.admin, Role.manager),
        "deciding": (*service.WAITING, "held"),
        "undoable": service.DONE,
    }
    return render(request, "agent.html", context)


@router.post("/agent/actions/{action_id}/{verdict}")
def decide_action(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    action_id: Annotated[int, Path()],
    verdict: Annotated[str, Path(max_length=10)],
) -> Response:
    if verdict not in VERDICTS:
        raise TenureError(f"{verdict!r}: approve, reject or undo", status=404)
    action = service.decide(
        db, settings_of(request), action_id, verdict, identity.user, via="web", day=today()
    )
    target = f"/agent?day={action.day.isoformat()}"
    if identity.user.role is not Role.csm and action.csm_email:
        target += f"&csm={action.csm_email}"
    return RedirectResponse(target, status_code=303)


SECTION_TITLES = {
    "goals": "Goals",
    "stakeholders": "Stakeholders and their stance",
    "promises": "Promises made",
    "last_touches": "Last touches",
    "risks": "Open risks and what is being done",
    "handoffs": "Open hand-offs",
}


def source_link(source: str, external_id: str) -> str | None:
    """Where a brief line's source is shown."""
    kind, _, ref = source.partition(":")
    return (
        {
            "task": "/plan",
            "timeline": f"/accounts/{external_id}#timeline",
            "agent_action": "/agent",
            "handoff": "/agent",
            "contact": f"/accounts/{external_id}",
            "survey": f"/accounts/{external_id}",
            "brief": f"/accounts/{external_id}#brief",
        }.get(kind)
        if ref
        else None
    )


@router.get("/accounts/{external_id}/brief")
def account_brief(
    request: Request, db: DbDep, _identity: IdentityDep, external_id: str
) -> Response:
    """The account's brief, each line with its source (loaded into the account page)."""
    account = service.brief_account_of(db, external_id)
    lines = service.build_brief(db, account, today())
    sections: dict[str, list[Any]] = {key: [] for key in SECTION_TITLES}
    for line in lines:
        sections[line.section].append((line, source_link(line.source, external_id)))
    context = {"sections": sections, "titles": SECTION_TITLES, "aid": external_id}
    return render(request, "account_brief.html", context)
