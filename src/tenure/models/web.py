"""The web app's own state: login sessions kept on the server, and what each user last saw
of their book (for "since you last looked" alerts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, delete, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account, Contract
from tenure.models.base import Base
from tenure.models.users import User

# The book pages sum each account's active contracts for many accounts at once (ARR, renewal
# date, current customer or not): this index covers those look-ups. Declared here, with the
# web app that needs it; the contracts table itself belongs to the account aggregate.
CONTRACTS_ACTIVE_INDEX = Index(
    "ix_contracts_account_active",
    Contract.account_id,
    Contract.end_date,
    Contract.start_date,
    Contract.arr,
    Contract.currency,
)


# A CSM's book filters on the owner, tests the tier and breaks ties by name for each of the
# CSM's accounts: this index answers that without a table row per account (migration 0007).
OWNER_BOOK_INDEX = Index("ix_accounts_owner_book", Account.owner_id, Account.tier, Account.name)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the database lets nobody sign in. Logging out deletes the row."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Sent back in every form and htmx request: a page on another site cannot read it.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class BookMark(Base):
    """What a user's own book looked like when they last acknowledged it: external id ->
    [health band, renewal band]."""

    __tablename__ = "web_book_marks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    state: Mapped[dict[str, Any]]


class LoginFailure(Base):
    """A wrong password, kept for the login throttle's window: per account and per address,
    so guessing one account's password or trying many accounts from one place both stop."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


@event.listens_for(Session, "before_flush")
def _end_sessions_on_password_change(session: Session, _context: Any, _instances: Any) -> None:
    """A new password ends every login session of its user, whichever code set it (a page, a
    CLI command): someone who had the old one is signed out everywhere."""
    changed = [
        user.id
        for user in session.dirty
        if isinstance(user, User)
        and user.id is not None
        and inspect(user).attrs.password_hash.history.has_changes()
    ]
    if changed:
        # Within a flush autoflush is off, so this runs as one plain DELETE.
        session.execute(delete(WebSession).where(WebSession.user_id.in_(changed)))
