"""Brute-force protection: wrong passwords are throttled per account and per address, with a
clear message and an audit entry; a new password ends every session of its user."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tenure.app import create_app
from tenure.models import AuditEntry, LoginFailure, User
from tenure.users.security import hash_password
from tests.web.helpers import PASSWORD, log_in


def test_wrong_passwords_pause_logins_for_that_account(anonymous, people, database):
    for _ in range(5):
        assert log_in(anonymous, people["csm"], password="guess-guess").status_code == 401
    # Even the right password is refused now: a guesser cannot tell a hit from a miss.
    paused = log_in(anonymous, people["csm"])
    assert paused.status_code == 429
    assert f"Too many wrong passwords for {people['csm']}" in paused.text
    assert "15 minutes" in paused.text
    assert 0 < int(paused.headers["retry-after"]) <= 15 * 60
    assert "tenure_session" not in anonymous.cookies
    # Another account logs in from the same place.
    assert log_in(anonymous, people["manager"]).status_code == 303
    with database.sessions() as s:
        throttled = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "session.login_throttled")
        ).all()
    assert [e.target for e in throttled] == [f"user:{people['csm']}"]
    assert throttled[0].after["address"] == "testclient"
    # Once the window has passed the right password works, and clears the count.
    with database.unit_of_work() as s:
        for failure in s.scalars(select(LoginFailure)):
            failure.at -= timedelta(minutes=16)
    assert log_in(anonymous, people["csm"]).status_code == 303
    with database.sessions() as s:
        left = s.scalars(select(LoginFailure.email)).all()
    assert people["csm"] not in left


def test_many_accounts_tried_from_one_address_are_paused(people, settings):
    settings.login_max_failures_per_address = 3
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            for email in ("a@example.com", "b@example.com", people["viewer"]):
                assert log_in(client, email, password="guess-guess").status_code == 401
            paused = log_in(client, people["manager"])
            assert paused.status_code == 429
            assert "Too many wrong passwords from here" in paused.text
    finally:
        app.state.database.dispose()


def test_a_new_password_signs_the_user_out_everywhere(browser, people, database):
    first = browser("csm")
    second = browser("csm")
    other = browser("manager")
    assert first.get("/book").status_code == 200
    with database.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == people["csm"]))
        assert user is not None
        user.password_hash = hash_password("a-brand-new-secret")
    for signed_out in (first, second):
        assert signed_out.get("/book", follow_redirects=False).status_code == 303
    assert other.get("/book").status_code == 200
    assert log_in(first.client, people["csm"], password=PASSWORD).status_code == 401
    assert log_in(first.client, people["csm"], password="a-brand-new-secret").status_code == 303
