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
from tenure.usage.service import EmbeddedSource, source_for
from tenure.web.deps import DbDep, IdentityDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

INTERVALS = ("day", "week", "month")
PREFERRED_EVENTS = ("Link Clicked", "Feature Used", "Signed In")
TOP_CLIENTS = 25
CHARTED = 6
MAX_DAYS = 3 * 366
SHOWN_PERIODS = 12


def _period_end(start: date, interval: str) -> date:
    """The day after the period that begins on `start`."""
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _period_days(start: date, interval: str) -> int:
    return (_period_end(start, interval) - start).days


def _days_in(start: date, interval: str, first: date, last: date) -> int:
    """Days of the period inside the window [first, last]."""
    low, high = max(start, first), min(_period_end(start, interval), last + timedelta(days=1))
    return max(0, (high - low).days)


def event_names(request: Request, start: date, end: date) -> list[str]:
    """Events recorded between the two days (else those the metric catalogue counts), the
    usual ones first."""
    settings, warehouse = settings_of(request), warehouse_of(request)
    source = source_for(settings, warehouse)
    pending = source.store.pending() if isinstance(source, EmbeddedSource) else None
    if isinstance(source, EmbeddedSource) and (pending is None or pending.num_rows == 0):
        # Only the stored events: one plain query, not Ibis compiling one (tens of ms).
        named = source.stored_event_names(start, end)
    else:
        con = source.connect()
        try:
            events = source.events(con, start, end, pending).select("event").distinct()
            table = con.to_pyarrow(events)
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
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
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
            check_event=False,
        )
    periods = sorted({r["period"] for r in records})[-SHOWN_PERIODS:]
    shown = set(periods)
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for r in records:
        if r["period"] in shown:
            counts[r["account_external_id"]][r["period"]] = r["count"]
    # Totals are of the periods shown, so each row adds up to its total and the columns to
    # the footer's.
    totals = {a: sum(c.values()) for a, c in counts.items()}
    ranked = sorted(totals, key=lambda a: (-totals[a], a))
    pages = max(1, -(-len(ranked) // TOP_CLIENTS))
    page = min(page, pages)
    top = ranked[(page - 1) * TOP_CLIENTS : page * TOP_CLIENTS]
    info = {
        external_id: (name, tier_value.value)
        for external_id, name, tier_value in db.execute(
            select(Account.external_id, Account.name, Account.tier)
        )
    }
    # A period cut by the window (this week so far, a week begun before `from`) holds fewer
    # days: charted it would look like a drop, so the chart leaves it out and the table says so.
    partial = {p: _days_in(p, interval, first, last) for p in periods}
    partial = {p: d for p, d in partial.items() if d < _period_days(p, interval)}
    charted_periods = [p for p in periods if p not in partial]
    chart = line_chart(
        [
            Series(
                info.get(a, (a, ""))[0],
                [(p, counts[a].get(p, 0)) for p in charted_periods],
                f"s{i}",
            )
            for i, a in enumerate(ranked[:CHARTED])
        ],
        f"{chosen or 'events'} per {interval}, top clients (whole {interval}s only)",
    )
    column_totals = {p: sum(c.get(p, 0) for c in counts.values()) for p in periods}
    context = {
        "events": events,
        "event": chosen,
        "interval": interval,
        "intervals": INTERVALS,
        "start": first,
        "end": last,
        "tier": tier or "",
        "periods": periods,
        "partial": partial,
        "top": top,
        "counts": counts,
        "totals": totals,
        "column_totals": column_totals,
        "info": info,
        "chart": chart,
        "charted": ranked[:CHARTED],
        "clients": len(totals),
        "all_events": sum(totals.values()),
        "page": page,
        "pages": pages,
        "first_rank": (page - 1) * TOP_CLIENTS + 1,
        "params": {
            "event": chosen,
            "interval": interval,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "tier": tier or None,
        },
    }
    return render(request, "usage.html", context)
