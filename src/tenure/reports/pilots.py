"""Outreach to accounts that look like a successful pilot (the `lookalike` signal), naming
what the pilot did. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.messaging import service as outbox
from tenure.models import Account, Message, User
from tenure.plans.service import account_signals
from tenure.reports.value import campaigns_of
from tenure.warehouse import Warehouse

# The pilot's campaigns are looked for over this many days before the as-of date.
PILOT_DAYS = 84


@dataclass(frozen=True)
class Lookalike:
    account_external_id: str
    name: str
    exemplar: str
    evidence: str


def lookalikes(
    session: Session, warehouse: Warehouse, settings: Settings, exemplar: str, as_of: date
) -> list[Lookalike]:
    rows = account_signals(session, warehouse, settings, as_of, like=[exemplar])
    return [
        Lookalike(r.account_external_id, r.name, exemplar, r.evidence)
        for r in rows
        if r.kind == "lookalike" and r.subject == exemplar
    ]


def pilot_story(
    session: Session, warehouse: Warehouse, settings: Settings, exemplar: str, as_of: date
) -> tuple[str, str]:
    """What the pilot did and what came of it, from its own campaign events."""
    start = as_of - timedelta(days=PILOT_DAYS)
    found = campaigns_of(session, warehouse, settings, start, as_of, {exemplar})
    campaigns = [c for c in found.get(exemplar, []) if c["links_created"]]
    if not campaigns:
        raise TenureError(
            f"{exemplar} ran no campaign with its own links in the {PILOT_DAYS} days to "
            f"{as_of}: say what the pilot did with --what and --result"
        )
    best = max(campaigns, key=lambda c: (c["share_clicked"] or 0, c["count"]))
    what = (
        f"gave each of the {best['links_created']:,} recipients of its {best['campaign']!r} "
        "email campaign a unique short link, so it saw exactly who clicked"
    )
    result = (
        f"{best['share_clicked']:.0%} of the recipients clicked, {best['count']:,} clicks in all."
    )
    return what, result


def draft_pilot_outreach(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    exemplar: str,
    as_of: date,
    author: User | None,
    what: str | None = None,
    result: str | None = None,
) -> tuple[list[Lookalike], list[Message]]:
    """A pilot_outreach draft to the sponsor (else every contact) of each lookalike."""
    found = lookalikes(session, warehouse, settings, exemplar, as_of)
    if what is None or result is None:
        story_what, story_result = pilot_story(session, warehouse, settings, exemplar, as_of)
        what, result = what or story_what, result or story_result
    accounts = {
        a.external_id: a
        for a in session.scalars(
            select(Account)
            .where(Account.external_id.in_([f.account_external_id for f in found]))
            .options(selectinload(Account.contacts))
        )
    }
    drafted: list[Message] = []
    for item in found:
        account = accounts[item.account_external_id]
        with_email = [c for c in account.contacts if c.email]
        chosen = [c for c in with_email if c.is_sponsor] or with_email
        for contact in chosen:
            drafted.append(
                outbox.draft_message(
                    session,
                    settings,
                    account=account,
                    contact=contact,
                    template="pilot_outreach",
                    variables={"pilot": {"what": what, "result": result, "why": item.evidence}},
                    author=author,
                    reason=f"looks like {exemplar}'s successful pilot ({item.evidence})",
                    source="report",
                    batch=f"pilot:{exemplar}:{as_of}",
                    idempotency_key=f"pilot:{exemplar}:{as_of}:{contact.id}",
                    signal={"name": "lookalike", "reason": item.evidence},
                    warehouse=warehouse,
                    as_of=as_of,
                )
            )
    return found, drafted
