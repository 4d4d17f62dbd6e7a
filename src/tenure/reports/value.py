"""Value reports for free clients: their own statistics, which only paying clients see.

For a URL shortener: clicks on the client's links per period, its top links, its campaigns
and the share of each campaign's recipients who clicked (a campaign gives every recipient a
unique link, so links clicked over links created). The counts come from the same query as
`tenure usage stats`, so a report never disagrees with it. Never commits.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.messaging import events as window_events
from tenure.messaging import service as outbox
from tenure.models import Account, Message, Tier, User
from tenure.reports.png import bar_chart_png
from tenure.usage.service import usage_stats
from tenure.warehouse import Warehouse

CLICK = "Link Clicked"
CREATE = "Link Created"
TOP_LINKS = 10
PAID_ADDS = (
    "these statistics in your dashboard every day, per link and per campaign; the share of "
    "each campaign's recipients who clicked; exports and an API"
)


@dataclass
class ValueReport:
    account_external_id: str
    name: str
    tier: str
    start: date
    end: date
    interval: str
    total: int
    periods: list[dict[str, Any]] = field(default_factory=list)
    top_links: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    paid_adds: str = PAID_ADDS
    url: str = ""
    chart_cid: str = ""

    def variables(self) -> dict[str, Any]:
        values = asdict(self)
        values["start"], values["end"] = self.start.isoformat(), self.end.isoformat()
        for row in values["periods"]:
            row["period"] = str(row["period"])
        return values

    def chart_png(self) -> bytes:
        return bar_chart_png([float(p["count"]) for p in self.periods])


def report_url(settings: Settings, external_id: str, start: date, end: date) -> str:
    base = settings.public_url.rstrip("/")
    return f"{base}/reports/value/{external_id}?from={start}&to={end}"


def value_reports(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    start: date,
    end: date,
    *,
    interval: str = "week",
    tier: Tier | None = Tier.free,
    min_events: int = 0,
    accounts: list[str] | None = None,
) -> list[ValueReport]:
    """One report per client of `tier` (or the `accounts` named) with at least `min_events`
    clicks between `start` and `end` (inclusive days), largest first."""
    if end < start:
        raise TenureError(f"--to {end} is before --from {start}")
    tier_name = tier.value if tier is not None else None
    per_period = usage_stats(
        session, warehouse, settings, CLICK, "account", interval, start, end, tier_name
    )
    per_link = usage_stats(
        session, warehouse, settings, CLICK, "property:link_id", "month", start, end, tier_name
    )
    wanted = set(accounts) if accounts is not None else None
    totals: dict[str, int] = {}
    for row in per_period:
        totals[row["account_external_id"]] = (
            totals.get(row["account_external_id"], 0) + row["count"]
        )
    chosen = [a for a, n in totals.items() if n >= min_events and (wanted is None or a in wanted)]
    rows = session.scalars(
        select(Account).where(Account.external_id.in_(chosen)).options(selectinload(Account.owner))
    ).all()
    names = {a.external_id: a for a in rows}
    campaigns = _campaigns(session, warehouse, settings, start, end, set(chosen))
    reports = []
    for external_id in sorted(chosen, key=lambda a: (-totals[a], a)):
        account = names.get(external_id)
        if account is None:
            continue
        links: dict[str, int] = {}
        for row in per_link:
            if row["account_external_id"] == external_id and row["link_id"] is not None:
                links[row["link_id"]] = links.get(row["link_id"], 0) + row["count"]
        top = sorted(links.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_LINKS]
        reports.append(
            ValueReport(
                account_external_id=external_id,
                name=account.name,
                tier=account.tier.value,
                start=start,
                end=end,
                interval=interval,
                total=totals[external_id],
                periods=[
                    {"period": r["period"], "count": r["count"]}
                    for r in sorted(per_period, key=lambda r: str(r["period"]))
                    if r["account_external_id"] == external_id
                ],
                top_links=[{"link": k, "count": v} for k, v in top],
                campaigns=campaigns.get(external_id, []),
                url=report_url(settings, external_id, start, end),
            )
        )
    return reports


def _campaigns(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    start: date,
    end: date,
    accounts: set[str],
) -> dict[str, list[dict[str, Any]]]:
    """Per account and campaign: clicks, links created, links clicked, the share clicked."""
    if not accounts:
        return {}
    low = datetime.combine(start, time(), tzinfo=UTC)
    high = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
    with window_events.window(session, warehouse, settings, low, high) as w:
        rows = w.events.filter(
            w.events.event.isin([CLICK, CREATE]),
            w.events.account_external_id.isin(sorted(accounts)),
        )
        rows = rows.mutate(
            campaign=w.property(rows, "campaign"), link_id=w.property(rows, "link_id")
        )
        rows = rows.filter(rows.campaign.notnull())
        clicks = rows.filter(rows.event == CLICK)
        created = rows.filter(rows.event == CREATE)
        keys = ["account_external_id", "campaign"]
        clicked = clicks.group_by(keys).aggregate(
            clicks=clicks.count(), links_clicked=clicks.link_id.nunique()
        )
        made = created.group_by(keys).aggregate(links_created=created.link_id.nunique())
        joined = clicked.outer_join(made, keys).select(
            account_external_id=clicked.account_external_id.coalesce(made.account_external_id),
            campaign=clicked.campaign.coalesce(made.campaign),
            clicks=clicked.clicks.coalesce(0),
            links_clicked=clicked.links_clicked.coalesce(0),
            links_created=made.links_created.coalesce(0),
        )
        found = w.con.to_pyarrow(joined).to_pylist()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(found, key=lambda r: (-r["clicks"], r["campaign"])):
        created_n = int(row["links_created"])
        clicked_n = int(row["links_clicked"])
        out.setdefault(row["account_external_id"], []).append(
            {
                "campaign": row["campaign"],
                "count": int(row["clicks"]),
                "links_created": created_n,
                "links_clicked": clicked_n,
                # Links made before the window can be clicked in it: the share caps at 1.
                "share_clicked": min(clicked_n / created_n, 1.0) if created_n else None,
            }
        )
    return out


def draft_value_reports(
    session: Session,
    settings: Settings,
    reports: list[ValueReport],
    author: User | None,
    warehouse: Warehouse | None = None,
) -> list[Message]:
    """A value report email (with its inline chart) for each report's contacts."""
    accounts = {
        a.external_id: a
        for a in session.scalars(
            select(Account)
            .where(Account.external_id.in_([r.account_external_id for r in reports]))
            .options(selectinload(Account.contacts), selectinload(Account.contracts))
        )
    }
    template = outbox.get_template(session, "value_report")
    drafted = []
    for report in reports:
        account = accounts[report.account_external_id]
        report.chart_cid = f"clicks-{account.external_id}@tenure"
        chart = base64.b64encode(report.chart_png()).decode()
        for contact in account.contacts:
            if not contact.email:
                continue
            drafted.append(
                outbox.draft_message(
                    session,
                    settings,
                    account=account,
                    contact=contact,
                    template=template,
                    variables={"report": report.variables()},
                    author=author,
                    reason=f"value report: {report.total:,} clicks {report.start} to {report.end}",
                    source="report",
                    batch=f"value:{report.start}/{report.end}",
                    idempotency_key=f"value:{report.start}/{report.end}:{contact.id}",
                    images={report.chart_cid: chart},
                    warehouse=warehouse,
                )
            )
    return drafted
