"""Usage statistics: how often an event happened, per client and period, free clients too."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from tenure.kit.charts import Series, line_chart
from tenure.kit.errors import TenureError
from tenure.models import Account, Tier
from tenure.usage import service as usage
from tenure.usage.sources import EmbeddedSource, source_for
from tenure.web.deps import DbDep, IdentityDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

INTERVALS = ("day", "week", "month")
PREFERRED_EVENTS = ("Link Clicked", "Feature Used", "Signed In")
TOP_CLIENTS = 25
CHARTED = 6
MAX_DAYS = 3 * 366


def event_names(request: Request, start: date, end: date) -> list[str]:
    """Events recorded between the two days (else those the metric catalogue counts), the
    usual ones first."""
    settings, warehouse = settings_of(request), warehouse_of(request)
    source = source_for(settings, warehouse)
    pending = source.store.pending() if isinstance(source, EmbeddedSource) else None
    con = source.connect()
    try:
        table = con.to_pyarrow(source.events(con, start, end, pending).select("event").distinct())
    finally:
        con.disconnect()
    named = {e for e in table.column("event").to_pylist() if e}
    if not named:
        catalogue = usage.catalogue_for(settings)
        named = {e for m in catalogue.metrics for e in (m.events or ())}
    first = [e for e in PREFERRED_EVENTS if e in named]
    return first + sorted(named - set(first))


@router.get("/usage")
def usage_page(
    request: Request,
    db: DbDep,
    _identity: IdentityDep,
    event: Annotated[str | None, Query(max_length=200)] = None,
    interval: str = "week",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    tier: str | None = None,
) -> Response:
    last = end or today()
    first = start or last - timedelta(weeks=12) + timedelta(days=1)
    events = event_names(request, first, last)
    chosen = event or (events[0] if events else None)
    if interval not in INTERVALS:
        raise TenureError(f"interval {interval!r}: use day, week or month")
    if tier and tier not in {t.value for t in Tier}:
        raise TenureError(f"tier {tier!r}: use free, trial or paid")
    if (last - first).days > MAX_DAYS:
        raise TenureError(f"from {first} to {last}: at most {MAX_DAYS} days on this page")
    records: list[dict[str, Any]] = []
    if chosen:
        records = usage.usage_stats(
            db,
            warehouse_of(request),
            settings_of(request),
            chosen,
            "account",
            interval,
            first,
            last,
            tier or None,
        )
    periods = sorted({r["period"] for r in records})
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for r in records:
        counts[r["account_external_id"]][r["period"]] = r["count"]
    totals = {a: sum(c.values()) for a, c in counts.items()}
    top = sorted(totals, key=lambda a: (-totals[a], a))[:TOP_CLIENTS]
    info = {
        external_id: (name, tier_value.value)
        for external_id, name, tier_value in db.execute(
            select(Account.external_id, Account.name, Account.tier).where(
                Account.external_id.in_(top)
            )
        )
    }
    chart = line_chart(
        [
            Series(info.get(a, (a, ""))[0], [(p, counts[a].get(p, 0)) for p in periods], f"s{i}")
            for i, a in enumerate(top[:CHARTED])
        ],
        f"{chosen or 'events'} per {interval}, top clients",
    )
    by_tier: dict[str, int] = defaultdict(int)
    for a, total in totals.items():
        by_tier[info.get(a, ("", "other"))[1] or "other"] += total
    context = {
        "events": events,
        "event": chosen,
        "interval": interval,
        "intervals": INTERVALS,
        "start": first,
        "end": last,
        "tier": tier or "",
        "periods": periods,
        "top": top,
        "counts": counts,
        "totals": totals,
        "info": info,
        "chart": chart,
        "charted": top[:CHARTED],
        "clients": len(totals),
        "all_events": sum(totals.values()),
    }
    return render(request, "usage.html", context)
