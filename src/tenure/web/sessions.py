"""Login sessions kept on the server. Never commits.

The browser holds a random token in an HttpOnly cookie; the database keeps its SHA-256, the
user, a CSRF token and the expiry. Logging out deletes the row, so a stolen cookie dies with
the session.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from tenure.kit.dates import utc_now
from tenure.models import User, WebSession
from tenure.users.service import get_by_email, hash_password, hash_token, verify_password

# A session lasts a working week at most, and ends after a day without a request.
LIFETIME = timedelta(days=7)
IDLE = timedelta(hours=24)
# last_seen_at is written at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=5)


@cache
def _dummy_hash() -> str:
    # Verifying against this keeps a wrong email as slow as a wrong password (no user probing).
    return hash_password(secrets.token_hex(16))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user with this email and password, or None (same answer and cost either way)."""
    user = get_by_email(session, email.strip())
    if user is None or not user.password_hash:
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None


def start(session: Session, user: User) -> tuple[WebSession, str]:
    """A new session for the user; the plain token is returned once, for the cookie."""
    now = utc_now()
    plain = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=hash_token(plain),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(row)
    # Expired sessions are swept whenever someone logs in: no job needed.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return row, plain


def find(session: Session, plain: str | None) -> WebSession | None:
    """The live session of a cookie token, or None (missing, unknown, expired or idle)."""
    if not plain:
        return None
    row = session.scalar(
        select(WebSession)
        .options(joinedload(WebSession.user))
        .where(WebSession.token_hash == hash_token(plain))
    )
    if row is None:
        return None
    now = utc_now()
    if row.expires_at <= now or row.last_seen_at + IDLE <= now:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end(session: Session, row: WebSession) -> None:
    session.delete(row)
    session.flush()


def csrf_matches(row: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(row.csrf_token, sent or "")
