"""Logging in and out: passwords, session cookies, CSRF, and who may open what."""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tenure.models import AuditEntry, WebSession
from tests.web.helpers import PASSWORD, csrf_of, log_in, nonce_of


def cookie_attributes(set_cookie: str, name: str) -> dict[str, str]:
    jar = SimpleCookie()
    jar.load(set_cookie)
    morsel = jar[name]
    return {k: str(v) for k, v in morsel.items() if v}


def test_a_page_sends_a_stranger_to_the_login_form(anonymous):
    response = anonymous.get("/book?band=red", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fbook%3Fband%3Dred"
    fragment = anonymous.get("/book", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.headers["HX-Redirect"].startswith("/login?next=")


def test_login_sets_a_safe_session_cookie_and_logout_ends_it(anonymous, people, database):
    response = log_in(anonymous, people["csm"], next_url="/accounts/acme")
    assert response.status_code == 303
    assert response.headers["location"] == "/accounts/acme"
    cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith("tenure_session="))
    attributes = cookie_attributes(session_cookie, "tenure_session")
    assert attributes["httponly"] == "True"
    assert attributes["samesite"].lower() == "lax"
    assert "secure" not in attributes  # plain http://: browsers would drop a Secure cookie
    page = anonymous.get("/book")
    assert page.status_code == 200
    assert "My book" in page.text
    token = anonymous.cookies.get("tenure_session")
    with database.sessions() as s:
        # Only a hash of the token is stored.
        assert s.scalar(select(func.count()).select_from(WebSession)) == 1
        assert token not in {r.token_hash for r in s.scalars(select(WebSession))}
    out = anonymous.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0
    # The old cookie is worthless now, even replayed by hand.
    anonymous.cookies.set("tenure_session", token)
    assert anonymous.get("/book", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_over_https(app, people):
    with TestClient(app, base_url="https://testserver") as client:
        response = log_in(client, people["manager"])
        session_cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("tenure_session=")
        )
        assert cookie_attributes(session_cookie, "tenure_session")["secure"] == "True"
        assert client.get("/book").status_code == 200


def test_a_wrong_password_or_unknown_email_gets_the_same_answer(anonymous, people, database):
    wrong = log_in(anonymous, people["csm"], password="not-the-password")
    unknown = log_in(anonymous, "nobody@example.com", password=PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text
    assert "Wrong email or password." in unknown.text
    assert "tenure_session" not in anonymous.cookies
    with database.sessions() as s:
        failed = s.scalars(
            select(AuditEntry.target).where(AuditEntry.action == "session.login_failed")
        ).all()
    assert sorted(failed) == ["user:ana.silva@example.com", "user:nobody@example.com"]


def test_login_needs_the_form_it_was_given(anonymous, people):
    # A form posted from another site has no matching nonce cookie.
    response = anonymous.post(
        "/login",
        data={"email": people["csm"], "password": PASSWORD, "nonce": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "expired" in response.text
    assert "tenure_session" not in anonymous.cookies


def test_next_never_leaves_the_site(anonymous, people):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        page = anonymous.get("/login", params={"next": target})
        assert 'name="next" value="/"' in page.text
        response = anonymous.post(
            "/login",
            data={
                "email": people["csm"],
                "password": PASSWORD,
                "nonce": nonce_of(page.text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_every_form_needs_the_session_csrf_token(browser):
    manager = browser("manager")
    note = {"kind": "note", "text": "from elsewhere"}
    for token in ("", "forged"):
        response = manager.client.post(
            "/accounts/acme/timeline", data={**note, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 403
        assert "did not come from Tenure" in response.text
    # htmx sends the token as a header instead.
    ok = manager.client.post(
        "/accounts/acme/timeline",
        data=note,
        headers={"X-CSRF-Token": manager.csrf, "HX-Request": "true"},
    )
    assert ok.status_code == 200
    assert "from elsewhere" in ok.text
    # Another site's page, even with a stolen token, is refused by its Origin.
    foreign = manager.client.post(
        "/accounts/acme/timeline",
        data={**note, "csrf_token": manager.csrf},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403


def test_pages_carry_security_headers(browser):
    page = browser("viewer").get("/book")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_static_assets_are_served_locally(anonymous):
    for path in ("/static/htmx.min.js", "/static/app.js", "/static/app.css"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert len(response.content) > 500
    page = anonymous.get("/login")
    assert "http://" not in page.text.replace("http://testserver", "")
    assert "https://" not in page.text


def test_pages_by_role(browser):
    viewer, csm, manager, admin = (browser(r) for r in ("viewer", "csm", "manager", "admin"))
    for page in ("/book", "/accounts/acme", "/renewals", "/usage"):
        for who in (viewer, csm, manager, admin):
            assert who.get(page).status_code == 200, (who.email, page)
    for page in ("/team", "/audit", "/scorecards"):
        assert viewer.get(page).status_code == 403
        assert csm.get(page).status_code == 403
        assert manager.get(page).status_code == 200
        assert admin.get(page).status_code == 200
    refused = manager.get("/users")
    assert refused.status_code == 403
    assert "admin only" in refused.text
    assert admin.get("/users").status_code == 200
    # Navigation offers only what the role may open.
    assert 'href="/team"' not in viewer.get("/book").text
    assert 'href="/users"' in admin.get("/book").text
