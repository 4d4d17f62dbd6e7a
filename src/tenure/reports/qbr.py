"""A QBR pack's figures, read once from the account's own data and frozen in a snapshot, so
the HTML and the PDF show the same numbers and the next QBR can be compared with this one.
Never commits.

Sections: goals and their progress, health over the quarter with the why, usage by feature
and by user, adoption gaps (features paid for and not used), support, survey results and
comments, what was done (tasks done), recommendations from the signals, the next quarter's
plan, and the renewal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.accounts.service import contract_facts, get_account
from tenure.audit.service import plain
from tenure.config import Settings
from tenure.goals import service as goals
from tenure.health.explain import summary
from tenure.health.service import renewal_band, snapshot_store, stored_health
from tenure.health.snapshots import snapshots
from tenure.kit.errors import TenureError
from tenure.models import Account, QbrSnapshot, SurveyResponse, Task, Ticket, Tier
from tenure.reports import qbr_core as core
from tenure.retention.surveys import csat, nps
from tenure.warehouse import Warehouse

# The metric charted beside the usage tables, when the account has it.
ACTIVE_USERS_METRIC = "active_users_28d"
FEATURE_PROPERTY = "feature"


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def build(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    external_id: str,
    quarter_start: date,
    as_of: date | None = None,
    author: str | None = None,
) -> QbrSnapshot:
    """Read every section's figures for the quarter starting `quarter_start` (up to `as_of`
    when the quarter is still running) and store them as a new snapshot."""
    try:
        first, last = core.quarter_of(quarter_start)
    except ValueError as error:
        raise TenureError(f"--quarter-start: {error}", 422) from None
    account = get_account(session, external_id)
    end = min(last, as_of) if as_of else last
    if end < first:
        raise TenureError(f"the quarter starting {first} has not begun by {as_of}", 422)
    next_start = last + timedelta(days=1)
    figures: dict[str, Any] = {
        "account": _account(account),
        "quarter": {"start": first, "end": last, "as_of": end, "next_start": next_start},
        "goals": [
            g.model_dump(mode="json") for g in goals.goals_of(session, warehouse, external_id, end)
        ],
        "health": _health(session, warehouse, account, first, end),
        "usage": _usage(session, warehouse, settings, account, first, end),
        "support": _support(session, account, first, end),
        "surveys": _surveys(session, account, first, end),
        "done": _tasks_done(session, account, first, end),
        "recommendations": _recommendations(session, warehouse, settings, account, end),
        "next_plan": _next_plan(session, account, next_start),
        "renewal": _renewal(session, account, settings, end),
    }
    figures["previous"] = _previous(session, account, first)
    snapshot = QbrSnapshot(
        account_id=account.id,
        quarter_start=first,
        as_of=end,
        figures=plain(figures),
        created_by=author,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def _account(account: Account) -> dict[str, Any]:
    return {
        "external_id": account.external_id,
        "name": account.name,
        "tier": account.tier.value,
        "segment": account.segment,
        "industry": account.industry,
        "customer_since": account.customer_since,
        "csm_name": account.owner.name if account.owner else None,
        "csm_email": account.owner.email if account.owner else None,
    }


def _health(
    session: Session, warehouse: Warehouse, account: Account, first: date, end: date
) -> dict[str, Any]:
    history = snapshots(snapshot_store(warehouse).history(account.external_id, first, end))
    scored = [s for s in history if s.health is not None]
    bands = stored_health(session, account).bands
    if not scored:
        return {"series": [], "start": None, "end": None, "why": "no health score this quarter"}
    start, now = scored[0], scored[-1]
    return {
        "series": [[s.date, s.health_exact] for s in history],
        "start": {"date": start.date, "score": start.health, "band": start.band},
        "end": {"date": now.date, "score": now.health, "band": now.band},
        "why": summary(now, start if start is not now else None),
        "components": [
            {"label": c.label, "score": c.score, "weight": c.weight} for c in now.components
        ],
        "bands": {"red": bands.red, "amber": bands.amber},
    }


def _usage(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    account: Account,
    first: date,
    end: date,
) -> dict[str, Any]:
    import pyarrow.compute as pc

    from tenure.usage import compute
    from tenure.usage.sources import source_for

    source = source_for(settings, warehouse)
    con = source.connect()
    try:
        events = source.events(con, first, end)
        events = events.filter(
            events.type == "track",
            events.timestamp >= _start_of(first),
            events.timestamp < _start_of(end + timedelta(days=1)),
        )
        feature = compute.property_text(events.properties, FEATURE_PROPERTY, source.engine)
        events = events.mutate(feature=feature.fill_null(events.event), day=events.timestamp.date())
        mine = events.filter(events.account_external_id == account.external_id)
        rows = (
            mine.group_by(["day", "feature", "user_id"]).aggregate(events=mine.count()).to_pyarrow()
        )
        usage_rows = [
            core.UsageRow(d, f, u, int(n))
            for d, f, u, n in zip(
                rows.column("day").to_pylist(),
                rows.column("feature").to_pylist(),
                rows.column("user_id").to_pylist(),
                rows.column("events").to_pylist(),
                strict=True,
            )
        ]
        months = sorted(
            {core.month_key(first + timedelta(days=n)) for n in range((end - first).days + 1)}
        )
        usage = core.usage_by(usage_rows, months)
        # What a paying account gets: every feature paying clients used this quarter (the product
        # has no per-plan feature list; an account's `features` attribute narrows it when set).
        paying = list(session.scalars(select(Account.external_id).where(Account.tier == Tier.paid)))
        listed = account.attributes.get("features")
        if isinstance(listed, str):
            paid_for = {f.strip() for f in listed.split(";") if f.strip()}
        elif account.tier is Tier.paid:
            book = events.filter(events.account_external_id.isin(paying))
            named = book.filter(book.feature != book.event)  # events that name their feature
            table = named.select("feature").distinct().to_pyarrow()
            paid_for = set(pc.drop_null(table.column("feature")).to_pylist())
        else:
            paid_for = set()
        used = {r.feature for r in usage_rows}
        usage["gaps"] = core.adoption_gaps(paid_for, used)
        usage["paid_for"] = len(paid_for)
    finally:
        con.disconnect()
    metric = warehouse.metrics.read([ACTIVE_USERS_METRIC], [account.external_id], first, end)
    usage["active_users"] = [
        [d, v]
        for d, v in zip(
            metric.column("date").to_pylist(), metric.column("value").to_pylist(), strict=True
        )
    ]
    return usage


def _support(session: Session, account: Account, first: date, end: date) -> dict[str, Any]:
    rows = session.execute(
        select(Ticket.opened_at, Ticket.closed_at, Ticket.kind, Ticket.satisfied).where(
            Ticket.account_id == account.id,
            Ticket.opened_at >= _start_of(first),
            Ticket.opened_at < _start_of(end + timedelta(days=1)),
        )
    )
    tickets = [core.TicketRow(o, c, k.value, s) for o, c, k, s in rows]
    return core.support_summary(tickets, first, end)


def _surveys(session: Session, account: Account, first: date, end: date) -> dict[str, Any]:
    answered = session.scalars(
        select(SurveyResponse)
        .where(
            SurveyResponse.account_id == account.id,
            SurveyResponse.score.is_not(None),
            SurveyResponse.responded_at >= _start_of(first),
            SurveyResponse.responded_at < _start_of(end + timedelta(days=1)),
        )
        .order_by(SurveyResponse.responded_at)
    ).all()
    invited = session.scalars(
        select(SurveyResponse.id).where(
            SurveyResponse.account_id == account.id,
            SurveyResponse.sent_at >= _start_of(first),
            SurveyResponse.sent_at < _start_of(end + timedelta(days=1)),
        )
    ).all()
    scores = {
        kind: [s.score for s in answered if s.kind.value == kind and s.score is not None]
        for kind in ("nps", "csat", "ces")
    }
    return {
        "answers": [
            {
                "kind": s.kind.value,
                "score": s.score,
                "contact_email": s.contact_email,
                "responded_on": s.responded_at.date() if s.responded_at else None,
                "comment": s.comment,
            }
            for s in answered
        ],
        "invited": len(invited),
        "nps": nps(scores["nps"]),
        "csat": csat(scores["csat"]),
        "ces": (sum(scores["ces"]) / len(scores["ces"])) if scores["ces"] else None,
    }


def _task(task: Task) -> dict[str, Any]:
    return {
        "reference": task.reference,
        "category": task.category,
        "description": task.description,
        "deadline": task.deadline,
        "done_on": task.done_on,
        "hours": task.duration_hours,
    }


def _tasks_done(session: Session, account: Account, first: date, end: date) -> list[dict[str, Any]]:
    done = session.scalars(
        select(Task)
        .where(
            Task.account_id == account.id,
            Task.status == "done",
            Task.done_on >= first,
            Task.done_on <= end,
        )
        .order_by(Task.done_on, Task.reference)
    )
    return [_task(t) for t in done]


def _next_plan(session: Session, account: Account, next_start: date) -> list[dict[str, Any]]:
    planned = session.scalars(
        select(Task)
        .where(Task.account_id == account.id, Task.quarter_start == next_start)
        .order_by(Task.start, Task.reference)
    )
    return [_task(t) for t in planned]


def _recommendations(
    session: Session, warehouse: Warehouse, settings: Settings, account: Account, end: date
) -> list[dict[str, Any]]:
    from tenure.plans import service as plans

    library = plans.active_library(session)
    compared = plans.signal_comparisons(session, warehouse, end)
    rows = plans.signals_of_account(
        session, warehouse, settings, end, account.external_id, compared, library
    )
    out = []
    for row in rows:
        book = next((p for p in library.playbooks if row.kind in p.when), None)
        actions = (
            [library.activities[a].description for a in book.activities if a in library.activities]
            if book
            else []
        )
        out.append(
            {
                "signal": row.kind,
                "subject": row.subject,
                "evidence": row.evidence,
                "playbook": book.name if book else None,
                "actions": actions,
            }
        )
    return out


def _renewal(session: Session, account: Account, settings: Settings, end: date) -> dict[str, Any]:
    facts = contract_facts(account.contracts, end, settings)
    bands = stored_health(session, account).renewal_bands
    return {
        "arr": facts.arr,
        "currency": facts.currency,
        "renewal_date": facts.renewal_date,
        "renewal_months": facts.renewal_months,
        "band": renewal_band(facts.renewal_months, bands),
        "contracts": [
            {
                "start_date": c.start_date,
                "end_date": c.end_date,
                "arr": c.arr,
                "currency": c.currency,
                "status": c.status.value,
            }
            for c in account.contracts
            if c.end_date >= end - timedelta(days=366)
        ],
    }


def _previous(session: Session, account: Account, first: date) -> dict[str, Any] | None:
    """The figures of the latest pack of an earlier quarter, for "since the last QBR"."""
    earlier = session.scalar(
        select(QbrSnapshot)
        .where(QbrSnapshot.account_id == account.id, QbrSnapshot.quarter_start < first)
        .order_by(QbrSnapshot.quarter_start.desc(), QbrSnapshot.id.desc())
    )
    if earlier is None:
        return None
    fig = earlier.figures
    return {
        "quarter_start": earlier.quarter_start,
        "health": (fig.get("health") or {}).get("end"),
        "nps": (fig.get("surveys") or {}).get("nps"),
        "arr": (fig.get("renewal") or {}).get("arr"),
    }


def get(session: Session, snapshot_id: int) -> QbrSnapshot:
    snapshot = session.get(QbrSnapshot, snapshot_id)
    if snapshot is None:
        raise TenureError(f"no QBR pack with id {snapshot_id}", 404)
    return snapshot
