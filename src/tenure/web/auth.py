"""Logging in and out of the web app."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from tenure.audit.service import record_change
from tenure.kit.dates import utc_now
from tenure.web import sessions, throttle
from tenure.web.deps import SESSION_COOKIE, DbDep, WriterDep
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# The login form has no session yet: a random value in a cookie and in the form must match,
# so another site cannot sign a browser in to an account of its choosing.
LOGIN_COOKIE = "tenure_login"


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//evil.example` or `https://...`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    # Browsers drop Secure cookies on plain http://127.0.0.1, so Secure follows the scheme.
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _login_page(
    request: Request, next_url: str, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"next": next_url, "email": email, "error": error, "nonce": nonce},
        status=status,
    )
    _cookie(request, response, LOGIN_COOKIE, nonce, 3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return _login_page(request, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    nonce: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    target = safe_next(next)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, nonce):
        return _login_page(request, target, email, "The login form expired: please try again.", 400)
    who = email.strip().lower()
    address = request.client.host if request.client else "unknown"
    settings = request.app.state.settings
    now = utc_now()
    refused = throttle.refusal(db, settings, who, address, now)
    if refused is not None:
        message, wait = refused
        after = {"address": address, "reason": message}
        record_change(db, None, "session.login_throttled", f"user:{who}", None, after, via="web")
        response = _login_page(request, target, email, message, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = sessions.authenticate(db, email, password)
    if user is None:
        throttle.record_failure(db, settings, who, address, now)
        after = {"address": address}
        record_change(db, None, "session.login_failed", f"user:{who}", None, after, via="web")
        return _login_page(request, target, email, "Wrong email or password.", 401)
    throttle.forget(db, who)
    row, plain = sessions.start(db, user)
    record_change(db, user, "session.login", f"user:{user.email}", None, None, via="web")
    if user.must_change_password:  # first login: choose one's own password, then go on
        target = f"/password?next={quote(target, safe='')}"
    response = RedirectResponse(target, status_code=303)
    _cookie(request, response, SESSION_COOKIE, plain, int(sessions.LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(db: DbDep, identity: WriterDep) -> Response:
    record_change(db, identity.user, "session.logout", f"user:{identity.user.email}", via="web")
    sessions.end(db, identity.session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
