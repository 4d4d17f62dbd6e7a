"""Announcements to a segment: choose accounts by filters and contacts by role, see the list
and the count, then draft one message per contact (one batch, pending approval).

Filters (`--where KEY=VALUE`, all must hold): `tier`, `segment`, `industry`,
`lifecycle_stage`, `csm` (the CSM's email), `health` (band: red, amber, green),
`renewal_within` (months: renews within N whole months), `attribute:NAME` (an account
attribute's value, compared as text). Values may list alternatives with commas
(`tier=paid,trial`). Contact roles: `all` (every contact with an email), `sponsor`, or
`seniority:LEVEL[,LEVEL]` (c_level, vp, director, manager, staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tenure.accounts.service import contract_facts
from tenure.config import Settings
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.messaging import service
from tenure.models import Account, AccountHealth, Contact, Message, User
from tenure.warehouse import Warehouse

KEYS = ("tier", "segment", "industry", "lifecycle_stage", "csm", "health", "renewal_within")


@dataclass(frozen=True)
class Recipient:
    account_external_id: str
    account_name: str
    contact_external_id: str
    name: str
    email: str
    role: str
    suppressed: str | None  # the suppression reason: this contact gets nothing


def parse_filters(pairs: list[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not value.strip():
            raise TenureError(f"--where {pair!r}: use KEY=VALUE (e.g. tier=paid)")
        if key not in KEYS and not key.startswith("attribute:"):
            raise TenureError(f"--where {key}: use {', '.join(KEYS)} or attribute:NAME")
        if key == "renewal_within" and not value.strip().isdigit():
            raise TenureError(f"--where renewal_within={value}: a whole number of months")
        filters[key] = [v.strip() for v in value.split(",") if v.strip()]
    return filters


def _role_matches(contact: Contact, role: str) -> bool:
    if role == "all":
        return True
    if role == "sponsor":
        return contact.is_sponsor
    if role.startswith("seniority:"):
        levels = {v.strip() for v in role.removeprefix("seniority:").split(",")}
        return contact.seniority is not None and contact.seniority.value in levels
    raise TenureError(f"--contacts {role!r}: use all, sponsor or seniority:LEVEL[,LEVEL]")


def _account_matches(
    account: Account,
    health: AccountHealth | None,
    filters: dict[str, list[str]],
    settings: Settings,
    as_of: date,
) -> bool:
    for key, values in filters.items():
        if key == "renewal_within":
            months = contract_facts(account.contracts, as_of, settings).renewal_months
            if months is None or months > int(values[0]):
                return False
            continue
        if key == "tier":
            actual: str | None = account.tier.value
        elif key == "csm":
            actual = account.owner.email if account.owner else None
            values = [v.lower() for v in values]
        elif key == "health":
            actual = health.band if health else None
        elif key.startswith("attribute:"):
            raw = (account.attributes or {}).get(key.removeprefix("attribute:"))
            actual = None if raw is None else str(raw)
        else:
            actual = getattr(account, key)
        if actual not in values:
            return False
    return True


def recipients(
    session: Session,
    settings: Settings,
    filters: dict[str, list[str]],
    role: str,
    as_of: date,
) -> list[Recipient]:
    """Everyone the announcement would go to, by account name then contact name."""
    accounts = session.scalars(
        select(Account)
        .options(
            selectinload(Account.contacts),
            selectinload(Account.contracts),
            selectinload(Account.owner),
        )
        .order_by(Account.name)
    ).all()
    health = {h.account_id: h for h in session.scalars(select(AccountHealth))}
    found = []
    for account in accounts:
        if not _account_matches(account, health.get(account.id), filters, settings, as_of):
            continue
        for contact in account.contacts:
            if not contact.email or not _role_matches(contact, role):
                continue
            suppression = service.suppression_of(session, contact.email)
            found.append(
                Recipient(
                    account_external_id=account.external_id,
                    account_name=account.name,
                    contact_external_id=contact.external_id,
                    name=contact.name,
                    email=service.normalise(contact.email),
                    role="sponsor"
                    if contact.is_sponsor
                    else (contact.seniority.value if contact.seniority else "contact"),
                    suppressed=suppression.reason if suppression else None,
                )
            )
    return found


def announce(
    session: Session,
    settings: Settings,
    *,
    template: str,
    filters: dict[str, list[str]],
    role: str,
    author: User | None,
    reason: str,
    variables: dict[str, object] | None = None,
    as_of: date,
    warehouse: Warehouse | None = None,
    now: datetime | None = None,
) -> list[Message]:
    """Draft the announcement for every recipient (suppressed ones are kept as suppressed),
    pending approval, in one batch."""
    chosen = service.get_template(session, template)
    if chosen.template.audience != "client":
        raise TenureError(f"template {template} is internal: announcements go to clients")
    found = recipients(session, settings, filters, role, as_of)
    if not found:
        raise TenureError("no contact matches these filters: nothing drafted")
    batch = f"announcement:{template}:{(now or utc_now()):%Y-%m-%dT%H:%M:%S}"
    accounts = {
        a.external_id: a
        for a in session.scalars(
            select(Account).where(Account.external_id.in_({r.account_external_id for r in found}))
        )
    }
    contacts = {
        c.external_id: c
        for c in session.scalars(
            select(Contact).where(Contact.external_id.in_([r.contact_external_id for r in found]))
        )
    }
    return [
        service.draft_message(
            session,
            settings,
            account=accounts[r.account_external_id],
            contact=contacts[r.contact_external_id],
            template=chosen,
            variables=dict(variables or {}),
            author=author,
            reason=reason,
            source="announcement",
            batch=batch,
            status=service.PENDING,
            warehouse=warehouse,
            as_of=as_of,
        )
        for r in found
    ]
