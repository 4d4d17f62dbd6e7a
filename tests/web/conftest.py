"""A small book with users of every role who can log in, and browsers-in-a-test-client
signed in as each of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tenure.app import create_app
from tenure.kit import dates
from tenure.models import Role, User
from tenure.users.security import hash_password
from tests.web.helpers import AS_OF, PASSWORD, PEOPLE, ROLES, Browser, csrf_of, log_in


class _OnTheBooksDay(datetime):
    """The clock's time of day, on the day the shared test book is written for."""

    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz).replace(year=AS_OF.year, month=AS_OF.month, day=AS_OF.day)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """Pages are shown as of the day the shared test book is written for, and what a page
    writes "now" (a note, a login) happens on that day too: else a note added today would
    lie after the day the page shows."""
    monkeypatch.setattr(dates, "datetime", _OnTheBooksDay)
    assert dates.utc_today() == AS_OF
    return AS_OF


@pytest.fixture(scope="session")
def password_hash() -> str:
    # Argon2 is slow on purpose: hash the shared test password once per run.
    return hash_password(PASSWORD)


@pytest.fixture
def people(initialised, book, database, password_hash):
    """Users of every role who can log in, created before the book names its CSMs."""
    with database.unit_of_work() as session:
        for key, email in PEOPLE.items():
            session.add(
                User(
                    email=email,
                    name=key.replace("_", " ").title(),
                    role=Role(ROLES[key]),
                    password_hash=password_hash,
                )
            )
    book.load(initialised)
    return PEOPLE


@pytest.fixture
def app(people, settings):
    assert people  # the users and the book exist before the app starts
    application = create_app(settings)
    yield application
    application.state.database.dispose()


@pytest.fixture
def browser(app) -> Iterator[callable]:
    clients: list[TestClient] = []

    def open_as(who: str, base_url: str = "http://testserver") -> Browser:
        client = TestClient(app, base_url=base_url)
        client.__enter__()
        clients.append(client)
        email = PEOPLE.get(who, who)
        response = log_in(client, email)
        assert response.status_code == 303, response.text
        page = client.get("/book")
        return Browser(client, email, csrf_of(page.text))

    yield open_as
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
