"""Incident notices: the affected clients from the events, their notices and the brief.
Never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from tenure.accounts.service import contract_facts
from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.messaging import events as window_events
from tenure.messaging import service
from tenure.messaging.incidents import Affected, Incident, brief_markdown, ranked
from tenure.models import Account, Message, Ticket, User
from tenure.warehouse import Warehouse


def find_affected(
    session: Session, warehouse: Warehouse, settings: Settings, incident: Incident
) -> list[Affected]:
    """Every client with matching events in [start, end), with its own counts, ranked."""
    if incident.end <= incident.start:
        raise TenureError(f"--to {incident.end} is not after --from {incident.start}")
    with window_events.window(session, warehouse, settings, incident.start, incident.end) as w:
        rows = w.events
        if incident.event is not None:
            rows = rows.filter(rows.event == incident.event)
        for name, value in incident.where.items():
            rows = rows.filter(w.property(rows, name) == value)
        counts = rows.group_by("account_external_id").aggregate(
            count=rows.count(),
            users=rows.user_key.nunique(),
            first_at=rows.timestamp.min(),
            last_at=rows.timestamp.max(),
        )
        found = w.con.to_pyarrow(counts).to_pylist()
    by_id = {r["account_external_id"]: r for r in found}
    accounts = session.scalars(
        select(Account)
        .where(Account.external_id.in_(list(by_id)))
        .options(selectinload(Account.contracts), selectinload(Account.contacts))
    ).all()
    tickets: dict[int, int] = {}
    for account_id, count in session.execute(
        select(Ticket.account_id, func.count())
        .where(
            Ticket.account_id.in_([a.id for a in accounts]),
            Ticket.opened_at < incident.end,
            (Ticket.closed_at.is_(None)) | (Ticket.closed_at >= incident.end),
        )
        .group_by(Ticket.account_id)
    ):
        tickets[account_id] = int(count)
    affected = []
    for account in accounts:
        row = by_id[account.external_id]
        facts = contract_facts(account.contracts, incident.start.date(), settings)
        sponsor = next((c for c in account.contacts if c.is_sponsor and c.email), None)
        affected.append(
            Affected(
                account_external_id=account.external_id,
                name=account.name,
                tier=account.tier.value,
                arr=float(facts.arr) if facts.arr is not None else 0.0,
                currency=facts.currency or settings.base_currency,
                csm_email=account.owner.email if account.owner else None,
                count=int(row["count"]),
                users=int(row["users"]),
                first_at=row["first_at"],
                last_at=row["last_at"],
                open_tickets=int(tickets.get(account.id, 0)),
                sponsor=f"{sponsor.name} <{sponsor.email}>" if sponsor else None,
                contacts=sum(1 for c in account.contacts if c.email),
            )
        )
    return ranked(affected)


@dataclass
class IncidentDrafts:
    affected: list[Affected]
    brief: str
    notices: list[Message] = field(default_factory=list)
    brief_message: Message | None = None


def draft_incident(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    incident: Incident,
    author: User | None,
    detail: str = "",
) -> IncidentDrafts:
    """A notice for each contact of every affected client (pending approval, one batch: the
    audience is frozen now) and the brief, to TENURE_MAIL_INTERNAL_TO when set. Drafting
    the same incident again drafts nothing new."""
    affected = find_affected(session, warehouse, settings, incident)
    brief = brief_markdown(incident, affected, settings.base_currency)
    drafts = IncidentDrafts(affected, brief)
    accounts = {
        a.external_id: a
        for a in session.scalars(
            select(Account)
            .where(Account.external_id.in_([x.account_external_id for x in affected]))
            .options(selectinload(Account.contacts))
        )
    }
    notice = service.get_template(session, "incident_notice")
    for item in affected:
        account = accounts[item.account_external_id]
        values = {
            "incident": {
                "start": f"{incident.start:%Y-%m-%d %H:%M}",
                "end": f"{incident.end:%H:%M}"
                if incident.end.date() == incident.start.date()
                else f"{incident.end:%Y-%m-%d %H:%M}",
                "day": f"{incident.start:%Y-%m-%d}",
                "what": incident.what,
                "summary": incident.summary,
                "count": item.count,
                "detail": detail,
            }
        }
        for contact in account.contacts:
            if not contact.email:
                continue
            drafts.notices.append(
                service.draft_message(
                    session,
                    settings,
                    account=account,
                    contact=contact,
                    template=notice,
                    variables=values,
                    author=author,
                    reason=f"incident notice: {item.count:,} {incident.what} in the window",
                    source="incident",
                    batch=incident.key,
                    idempotency_key=f"{incident.key}:{contact.id}"[:250],
                    status=service.PENDING,
                )
            )
    if settings.mail_internal_to:
        arr = sum(a.arr for a in affected)
        drafts.brief_message = service.draft_message(
            session,
            settings,
            account=None,
            to_email=settings.mail_internal_to,
            template="incident_brief",
            variables={
                "incident": {
                    "start": f"{incident.start:%Y-%m-%d %H:%M}",
                    "end": f"{incident.end:%Y-%m-%d %H:%M}",
                },
                "brief": {
                    "markdown": brief,
                    "clients": len(affected),
                    "arr_text": f"{arr:,.0f} {settings.base_currency}",
                },
            },
            author=author,
            reason="incident brief",
            source="incident",
            batch=incident.key,
            idempotency_key=f"{incident.key}:brief"[:250],
            status=service.PENDING,
        )
    return drafts


def parse_instant(value: str, option: str) -> datetime:
    """An ISO date-time from the command line or a form; naive means UTC."""
    from tenure.kit.dates import as_utc

    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise TenureError(f"{option}: {value!r}: not a date-time, use 2026-11-20T14:05") from None


def parse_where(pairs: list[str]) -> dict[str, str]:
    where: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise TenureError(f"--where {pair!r}: use PROPERTY=VALUE (e.g. campaign=spring)")
        where[name.strip()] = value
    return where
