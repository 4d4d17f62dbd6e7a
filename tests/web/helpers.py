"""Helpers of the web tests: who logs in, and how a test client does it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tenure.db import Database
from tenure.models import Account, AccountHealth

PASSWORD = "a-long-secret-1"
# Role -> the email of a user with that role. The CSM owns acme and initech in the book.
PEOPLE = {
    "admin": "ada@example.com",
    "manager": "boss@example.com",
    "csm": "ana.silva@example.com",
    "other_csm": "ben.okafor@example.com",
    "viewer": "val@example.com",
}
ROLES = {
    "admin": "admin",
    "manager": "manager",
    "csm": "csm",
    "other_csm": "csm",
    "viewer": "viewer",
}


@dataclass
class Browser:
    """A TestClient with a signed-in session and its CSRF token."""

    client: TestClient
    email: str
    csrf: str = ""

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


def nonce_of(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, "the login page has no nonce"
    return found.group(1)


def csrf_of(html: str) -> str:
    found = re.search(r'data-csrf="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD, next_url: str = "/book"):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "nonce": nonce_of(page.text), "next": next_url},
        follow_redirects=False,
    )


AS_OF = date(2026, 11, 23)  # the day the shared test book is written for


def set_health(
    database: Database,
    external_id: str,
    health: int | None,
    band: str | None,
    trend: str | None = None,
    components: dict[str, int | None] | None = None,
    day: date = AS_OF,
) -> None:
    """Store an account's latest health as `tenure health compute` would leave it."""
    with database.unit_of_work() as session:
        account = session.scalar(select(Account).where(Account.external_id == external_id))
        assert account is not None
        row = session.get(AccountHealth, account.id) or AccountHealth(account_id=account.id)
        row.date = day
        row.health = health
        row.health_exact = None if health is None else float(health)
        row.band = band
        row.trend = trend
        row.components = components or {}
        session.add(row)
