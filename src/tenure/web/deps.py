"""Dependencies of the page routes: the database session, who is signed in, CSRF checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.db import Database
from tenure.kit import dates
from tenure.kit.errors import Forbidden, TenureError
from tenure.models import Role, User, WebSession
from tenure.warehouse import Warehouse
from tenure.web import sessions
from tenure.web.routing import LoginRequired, PasswordChangeRequired

SESSION_COOKIE = "tenure_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def _db(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.database
    with database.unit_of_work() as session:
        # WebRoute rolls this back when the page ends in a TenureError.
        request.state.db = session
        yield session


# "function" scope: the unit of work commits before the response is sent, so a browser that
# follows a redirect after a form always sees what the form wrote.
DbDep = Annotated[Session, Depends(_db, scope="function")]


@dataclass(frozen=True)
class Identity:
    user: User
    session: WebSession


def _identity(request: Request, db: DbDep) -> Identity:
    row = sessions.find(db, request.cookies.get(SESSION_COOKIE))
    if row is None:
        raise LoginRequired()
    identity = Identity(row.user, row)
    request.state.identity = identity
    if row.user.must_change_password and request.url.path not in ("/password", "/logout"):
        raise PasswordChangeRequired()
    return identity


IdentityDep = Annotated[Identity, Depends(_identity)]


async def _checked(request: Request, identity: IdentityDep) -> Identity:
    """A write: the session's CSRF token must come back (form field or htmx header), and a
    browser's Origin, when it sends one, must be this site."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sessions.csrf_matches(identity.session, sent):
        raise TenureError(
            "this form has expired or did not come from Tenure: reload the page and try again",
            status=403,
        )
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise TenureError(f"a request from {origin} may not change anything here", status=403)
    return identity


WriterDep = Annotated[Identity, Depends(_checked)]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def warehouse_of(request: Request) -> Warehouse:
    warehouse: Warehouse = request.app.state.warehouse
    return warehouse


def today() -> date:
    """The day pages are shown as of (UTC)."""
    return dates.utc_today()


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"{user.email} ({user.role.value}) may not do this: {allowed} only")
