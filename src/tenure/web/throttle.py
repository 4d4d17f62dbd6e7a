"""The login throttle: too many wrong passwords for one account, or from one address, and
logins there are refused until the window has passed. Never commits.

Kept in the database rather than in memory so every `tenure serve` worker sees the same count.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.models import LoginFailure


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.login_lockout_minutes)


def refusal(
    session: Session, settings: Settings, email: str, address: str, now: datetime
) -> tuple[str, int] | None:
    """Why a login is refused now and in how many seconds it may be tried again, or None."""
    since = now - _window(settings)
    for column, value, limit, whom in (
        (LoginFailure.email, email, settings.login_max_failures, f"for {email}"),
        (LoginFailure.address, address, settings.login_max_failures_per_address, "from here"),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                column == value, LoginFailure.at > since
            )
        ).one()
        if count >= limit:
            wait = max(1, math.ceil((oldest + _window(settings) - now).total_seconds()))
            minutes = math.ceil(wait / 60)
            message = (
                f"Too many wrong passwords {whom}: logins are paused for "
                f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later."
            )
            return message, wait
    return None


def record_failure(
    session: Session, settings: Settings, email: str, address: str, now: datetime
) -> None:
    session.add(LoginFailure(email=email, address=address, at=now))
    # Failures older than the window count for nothing: swept here, no job needed.
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - _window(settings)))
    session.flush()


def forget(session: Session, email: str) -> None:
    """A right password clears the account's count (the address's count stays)."""
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    session.flush()
