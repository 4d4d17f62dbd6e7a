"""The accounts health scores and shows: one query for the fields scoring and the dashboard
read, and which of them are in the book on a day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.models import (
    Account,
    Contract,
    User,
)
from tenure.users.service import unknown_user

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
        if session.scalar(select(User.id).where(User.email == csm.lower())) is None:
            raise unknown_user(session, csm)
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
    """Accounts that were clients on `day`: started by then (no start date known counts as
    always), and not churned: an account whose contract ended by `day` with none active that
    day has churned (churn is dated on end_date) and is not scored while it stays so. An
    account without contracts (a free-tier client) is scored all along."""
    ended = set(
        session.scalars(select(Contract.account_id).where(Contract.end_date <= day).distinct())
    )
    active = set(
        session.scalars(select(Contract.account_id).where(Contract.active_on(day)).distinct())
    )
    return [
        a
        for a in accounts
        if (a.customer_since is None or a.customer_since <= day)
        and (a.id not in ended or a.id in active)
    ]
