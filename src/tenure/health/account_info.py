"""The accounts health scores: one query for the fields scoring reads, and which of them are
on the book on a day (the book read model's rule)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.book.query import current_client
from tenure.models import Account, User

# -- accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInfo:
    id: int
    external_id: str
    name: str
    tier: str
    segment: str | None
    lifecycle_stage: str | None
    customer_since: date | None
    csm_email: str | None


def load_accounts(
    session: Session, csm: str | None = None, external_id: str | None = None
) -> list[AccountInfo]:
    """The accounts (of one CSM, or the one with this id), by external id."""
    query = select(
        Account.id,
        Account.external_id,
        Account.name,
        Account.tier,
        Account.segment,
        Account.lifecycle_stage,
        Account.customer_since,
        User.email,
    ).outerjoin(User, Account.owner_id == User.id)
    if csm is not None:
        query = query.where(User.email == csm.lower())
    if external_id is not None:
        query = query.where(Account.external_id == external_id)
    query = query.order_by(Account.external_id)
    return [
        AccountInfo(i, e, n, t.value, s, stage, since, email)
        for i, e, n, t, s, stage, since, email in session.execute(query)
    ]


def eligible_accounts(
    session: Session, accounts: Iterable[AccountInfo], day: date
) -> list[AccountInfo]:
    """Those of `accounts` that were clients on `day`, by the book's rule (`current_client`):
    what is scored is what the dashboard and the book show that day."""
    clients = set(session.scalars(select(Account.id).where(current_client(day))))
    return [a for a in accounts if a.id in clients]
