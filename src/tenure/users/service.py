"""Users and their API tokens. Services never commit."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.kit.dates import utc_now
from tenure.kit.errors import NotFound, TenureError
from tenure.kit.suggest import did_you_mean
from tenure.models import ApiToken, Role, User
from tenure.users.schemas import UserCreate
from tenure.users.security import hash_password as hash_password
from tenure.users.security import hash_token as hash_token
from tenure.users.security import new_token
from tenure.users.security import verify_password as verify_password


def name_from_email(email: str) -> str:
    """A readable default name: jane.doe@example.com -> Jane Doe."""
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


def require_by_email(session: Session, email: str) -> User:
    user = get_by_email(session, email)
    if user is None:
        raise unknown_user(session, email)
    return user


def unknown_user(session: Session, email: str) -> NotFound:
    """The error for an email no user has, with the closest users' emails (or the emails of
    the users whose name it is)."""
    known: dict[str, str] = {}
    for address, name in session.execute(select(User.email, User.name)):
        known[address] = address
        known.setdefault(name, address)
    return NotFound(f"no user with email {email!r}{did_you_mean(email, known)}")


def create_user(session: Session, data: UserCreate) -> User:
    email = data.email.lower()
    if get_by_email(session, email) is not None:
        raise TenureError(f"a user with email {email!r} already exists", status=409)
    user = User(
        email=email,
        name=data.name,
        role=data.role,
        password_hash=hash_password(data.password) if data.password else None,
    )
    session.add(user)
    session.flush()
    return user


def ensure_csms(session: Session, emails: set[str]) -> dict[str, User]:
    """The users with these emails, creating a CSM for each one that does not exist yet."""
    wanted = {email.lower() for email in emails}
    found = {u.email: u for u in session.scalars(select(User).where(User.email.in_(wanted)))}
    for email in sorted(wanted - found.keys()):
        user = User(email=email, name=name_from_email(email), role=Role.csm)
        session.add(user)
        found[email] = user
    session.flush()
    return found


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def create_token(session: Session, email: str, name: str | None = None) -> tuple[ApiToken, str]:
    """A new API token for the user; the plain token is returned once and never stored."""
    user = require_by_email(session, email)
    plain = new_token()
    token = ApiToken(user=user, token_hash=hash_token(plain), prefix=plain[:12], name=name)
    session.add(token)
    session.flush()
    return token, plain


def user_for_token(session: Session, plain: str) -> User | None:
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(plain), ApiToken.revoked_at.is_(None)
        )
    )
    return token.user if token else None


def revoke_token(session: Session, prefix: str) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None:
        raise NotFound(f"no API token starting with {prefix!r}")
    token.revoked_at = utc_now()
    return token


# -- passwords ---------------------------------------------------------------------------------

MIN_PASSWORD = 8


def temporary_password() -> str:
    """A password for someone else to choose their own from (about 96 random bits)."""
    return secrets.token_urlsafe(12)


def set_password(session: Session, user: User, password: str, must_change: bool = False) -> User:
    """Give the user this password; `must_change` when someone else chose it (created or
    reset by an admin), so the first login asks for a new one."""
    if len(password) < MIN_PASSWORD:
        raise TenureError(f"password: {len(password)} characters: at least {MIN_PASSWORD}")
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    session.flush()
    return user
