"""REST API for usage (`/api/v1/usage/...`). The Segment-compatible intake is in intake.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from tenure.audit.service import record_change
from tenure.db import SessionDep
from tenure.kit.bounds import Day
from tenure.kit.dates import utc_today
from tenure.models import Tier
from tenure.usage import service
from tenure.usage.schemas import MetricRunRead, UsageStatRead, stat_records
from tenure.users.auth import CurrentUser, require_manager

router = APIRouter(tags=["usage"])


@router.get("/usage/stats", response_model=list[UsageStatRead])
def usage_stats(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    event: Annotated[str, Query(description="The event name, e.g. 'Link Clicked'.")],
    by: Annotated[str, Query(description="account, user or property:NAME.")] = "account",
    interval: Annotated[str, Query(description="day, week (from Monday) or month.")] = "week",
    start: Annotated[
        Day | None, Query(alias="from", description="First day; default 12 weeks before `to`.")
    ] = None,
    end: Annotated[Day | None, Query(alias="to", description="Last day; default today.")] = None,
    tier: Tier | None = None,
) -> list[UsageStatRead]:
    """Counts of one event per client and period, free clients included."""
    last = end or utc_today()
    first = start or last - timedelta(days=83)
    rows = service.usage_stats(
        session,
        request.app.state.warehouse,
        request.app.state.settings,
        event,
        by,
        interval,
        first,
        last,
        tier.value if tier else None,
    )
    return stat_records(rows)


@router.post("/usage/metrics/compute", response_model=MetricRunRead)
def compute_metrics(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    as_of: Annotated[Day | None, Query(description="The day; default today.")] = None,
) -> MetricRunRead:
    """Compute the usage metrics for a day (managers and admins)."""
    require_manager(user)
    run = service.compute_metrics(
        session, request.app.state.warehouse, request.app.state.settings, [as_of or utc_today()]
    )
    record_change(session, user, "metrics.compute", f"metrics:{as_of or utc_today()}", None, run)
    return MetricRunRead(
        days=run.days, values=run.rows, event_days_read=len(run.partial_days), metrics=run.metrics
    )
