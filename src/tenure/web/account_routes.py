"""The account page (Account 360) and its timeline form."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from tenure.accounts import service as accounts
from tenure.accounts.schemas import TimelineCreate
from tenure.audit.service import record_change
from tenure.health.service import renewal_band
from tenure.kit.dates import utc_now
from tenure.kit.errors import Forbidden, TenureError, from_validation
from tenure.models import Account, Task, TimelineKind, User
from tenure.plans import service as plans
from tenure.plans.service import Comparisons
from tenure.users.auth import require_can_write
from tenure.web import account
from tenure.web.deps import DbDep, IdentityDep, WriterDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

TIMELINE_KINDS = [k for k in TimelineKind if k not in (TimelineKind.system, TimelineKind.message)]


def can_write(user: User, target: Account) -> bool:
    try:
        require_can_write(user, target)
    except Forbidden:
        return False
    return True


def _page_context(
    request: Request, db: DbDep, identity: IdentityDep, external_id: str
) -> dict[str, Any]:
    as_of = today()
    target = accounts.get_account(db, external_id)
    story = accounts.account_story(db, None, settings_of(request), external_id, as_of)
    stored = account.stored_health(db, target)
    head = story.account[0]
    sponsor = next((c for c in story.contacts if c.is_sponsor), None)
    tasks = db.scalars(
        select(Task)
        .where(Task.account_id == target.id)
        .order_by(Task.status.desc(), Task.start, Task.reference)
        .limit(50)
    ).all()
    return {
        "tasks": tasks,
        "csm_name": target.owner.name if target.owner else None,
        "account": head,
        "story": story,
        "sponsor": sponsor,
        "health": stored.row,
        "renewal_band": renewal_band(head.renewal_months, stored.renewal_bands) or "none",
        "as_of": as_of,
        "can_write": can_write(identity.user, target),
        "kinds": TIMELINE_KINDS,
        "added": False,
    }


@router.get("/accounts/{external_id}")
def account_page(request: Request, db: DbDep, identity: IdentityDep, external_id: str) -> Response:
    return render(request, "account.html", _page_context(request, db, identity, external_id))


@router.get("/accounts/{external_id}/health")
def account_health(
    request: Request, db: DbDep, _identity: IdentityDep, external_id: str
) -> Response:
    """The health chart and its "why" (loaded into the account page)."""
    target = accounts.get_account(db, external_id)
    stored = account.stored_health(db, target)
    bands = stored.bands
    warehouse = warehouse_of(request)
    as_of = today()
    history = account.health_history(warehouse, external_id, as_of)
    trend_name = stored.row.trend if stored.row is not None else None
    view = account.health_view(history, bands, stored.trend, trend_name)
    chart = account.health_chart(history, bands) if view else None
    return render(
        request, "account_health.html", {"view": view, "chart": chart, "account_id": external_id}
    )


@router.get("/accounts/{external_id}/usage")
def account_usage(
    request: Request,
    db: DbDep,
    _identity: IdentityDep,
    external_id: str,
    metric: str | None = None,
) -> Response:
    """A metric of the account over the last year (loaded into the account page)."""
    accounts.get_account(db, external_id)
    warehouse = warehouse_of(request)
    choices = account.usage_metrics(warehouse.metrics.metric_names())
    if metric is not None and metric not in choices:
        raise TenureError(f"metric {metric!r}: no such metric in the metrics series", 404)
    chosen = metric or (choices[0] if choices else None)
    described = account.catalogue_descriptions(settings_of(request))
    words = {m: account.metric_words(m, described) for m in choices}
    chart = (
        account.usage_chart(warehouse, external_id, chosen, today(), words[chosen])
        if chosen
        else None
    )
    return render(
        request,
        "account_usage.html",
        {
            "choices": choices,
            "words": words,
            "metric": chosen,
            "chart": chart,
            "account_id": external_id,
        },
    )


@router.get("/accounts/{external_id}/signals")
def account_signals(
    request: Request, db: DbDep, _identity: IdentityDep, external_id: str
) -> Response:
    """What the account's facts say its CSM should act on (loaded into the account page)."""
    accounts.get_account(db, external_id)
    compared, at = book_comparisons(db, request)
    rows = plans.signals_of_account(
        db, warehouse_of(request), settings_of(request), today(), external_id, compared
    )
    return render(request, "account_signals.html", {"signals": rows, "computed_at": at})


# Some signals compare an account with the whole book (free clients with paid ones, every
# account with the exemplars). Those comparisons read every account's usage and move daily
# (usage) or with imports, so they are kept ten minutes: an account's own signals are then
# computed from its own facts on each view.
SIGNALS_SECONDS = 600.0
_comparisons: dict[tuple[str, date], tuple[float, Comparisons, datetime]] = {}


def book_comparisons(db: DbDep, request: Request) -> tuple[Comparisons, datetime]:
    day = today()
    key = (str(db.get_bind().engine.url), day)
    cached = _comparisons.get(key)
    if cached is not None and time.monotonic() - cached[0] < SIGNALS_SECONDS:
        return cached[1], cached[2]
    compared = plans.signal_comparisons(db, warehouse_of(request), day)
    at = utc_now()
    # Yesterday's comparisons are of no more use.
    for stale in [k for k in _comparisons if k[0] == key[0]]:
        del _comparisons[stale]
    _comparisons[key] = (time.monotonic(), compared, at)
    return compared, at


@router.post("/accounts/{external_id}/timeline")
def add_to_timeline(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    external_id: str,
    kind: Annotated[str, Form()] = "note",
    text: Annotated[str, Form()] = "",
    sentiment: Annotated[str, Form()] = "",
) -> Response:
    """A note, call, meeting, email or the CSM's sentiment, added to the account's timeline."""
    target = accounts.get_account(db, external_id)
    require_can_write(identity.user, target)
    try:
        data = TimelineCreate.model_validate(
            {
                "kind": kind,
                "text": text.strip(),
                "sentiment": (sentiment or None) if kind == TimelineKind.sentiment else None,
            }
        )
    except ValidationError as error:
        raise from_validation(error) from None
    entry = accounts.add_timeline_entry(db, target, data, identity.user.email)
    read = accounts.timeline_read(target, entry)
    record_change(
        db, identity.user, "timeline.add", f"account:{external_id}", None, read, via="web"
    )
    if request.headers.get("HX-Request") == "true":
        context = _page_context(request, db, identity, external_id)
        return render(request, "account_timeline.html", {**context, "added": True})
    return RedirectResponse(f"/accounts/{quote(external_id, safe='')}#timeline", 303)
