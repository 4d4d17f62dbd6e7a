"""Logins for the whole team: `tenure users set-password`, an admin's password reset in the
web app, and the first login after someone else chose the password."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tenure.models import AuditEntry, User
from tests.web.helpers import PASSWORD, PEOPLE, csrf_of, log_in


def _flag(database, email: str) -> bool:
    with database.sessions() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.must_change_password


def test_set_password_from_the_command_line(app, initialised, database):
    email = PEOPLE["viewer"]
    initialised("users", "set-password", "--email", email, "--password", "another-secret-9")
    assert not _flag(database, email)
    with TestClient(app) as client:
        assert log_in(client, email, PASSWORD).status_code == 401
        assert log_in(client, email, "another-secret-9").status_code == 303
    short = initialised("users", "set-password", "--email", email, "--password", "short", ok=False)
    assert short.code == 1
    assert "password: 5 characters: at least 8" in short.stderr
    nobody = initialised(
        "users", "set-password", "--email", "no@x.com", "--password", "x" * 9, ok=False
    )
    assert "no user with email 'no@x.com'" in nobody.stderr
    initialised(
        "users", "set-password", "--email", email, "--password", "temporary-pass", "--temporary"
    )
    assert _flag(database, email)


def _first_login(app, email: str, password: str) -> TestClient:
    """Log in with a password someone else chose: every page leads to the password form
    until the user chooses their own."""
    client = TestClient(app)
    client.__enter__()
    landed = log_in(client, email, password, next_url="/book")
    assert landed.status_code == 303
    assert landed.headers["location"] == "/password?next=%2Fbook"
    book = client.get("/book", follow_redirects=False)
    assert book.status_code == 303
    assert book.headers["location"] == "/password"
    form = client.get("/password")
    assert "Choose your password" in form.text
    assert 'name="current"' not in form.text  # the one just typed is proof enough
    csrf = csrf_of(form.text)
    differ = client.post(
        "/password",
        data={"csrf_token": csrf, "new": "my-own-secret-1", "again": "my-own-secret-2"},
    )
    assert differ.status_code == 400
    assert "The two new passwords differ." in differ.text
    chosen = client.post(
        "/password",
        data={
            "csrf_token": csrf,
            "new": "my-own-secret-1",
            "again": "my-own-secret-1",
            "next": "/book",
        },
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/book"
    assert client.get("/book").status_code == 200
    return client


def test_an_admin_resets_a_password_and_the_user_chooses_their_own(browser, app, database):
    admin = browser("admin")
    email = PEOPLE["csm"]
    page = admin.post(f"/users/{email}/password")
    assert page.status_code == 200
    found = re.search(
        r"Temporary password for ana\.silva@example\.com \(shown once, pass it on\): (\S+)</p>",
        page.text,
    )
    assert found, page.text
    temporary = found.group(1)
    assert "yes, to change at first login" in page.text
    with database.sessions() as session:
        entry = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None
        assert entry.action == "user.password_reset"
        assert temporary not in str(entry.after)
    with TestClient(app) as old:
        assert log_in(old, email, PASSWORD).status_code == 401
    client = _first_login(app, email, temporary)
    client.__exit__(None, None, None)
    assert not _flag(database, email)
    # Not an admin: refused.
    assert browser("manager").post(f"/users/{email}/password").status_code == 403


def test_a_created_user_chooses_a_password_at_the_first_login(browser, app, database):
    admin = browser("admin")
    created = admin.post(
        "/users",
        {
            "email": "new.csm@example.com",
            "name": "New CSM",
            "role": "csm",
            "password": "given-by-admin",
        },
    )
    assert created.status_code == 303
    assert _flag(database, "new.csm@example.com")
    client = _first_login(app, "new.csm@example.com", "given-by-admin")
    client.__exit__(None, None, None)
    assert not _flag(database, "new.csm@example.com")


def test_changing_ones_own_password_asks_for_the_current_one(browser):
    csm = browser("csm")
    form = csm.get("/password")
    assert "Change your password" in form.text
    wrong = csm.post(
        "/password", {"current": "nope", "new": "fresh-secret-1", "again": "fresh-secret-1"}
    )
    assert wrong.status_code == 400
    assert "The current password is not right." in wrong.text
    same = csm.post("/password", {"current": PASSWORD, "new": PASSWORD, "again": PASSWORD})
    assert "Choose a password other than the one you have." in same.text
    ok = csm.post(
        "/password", {"current": PASSWORD, "new": "fresh-secret-1", "again": "fresh-secret-1"}
    )
    assert ok.status_code == 303
