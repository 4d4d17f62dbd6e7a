"""The outbox pages and the unsubscribe link, through the web app on a real SMTP server."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tenure.config import Settings
from tests.messaging.smtp import SmtpServer
from tests.web.conftest import app, browser, frozen_today, password_hash, people  # noqa: F401

CSM = "ana.silva@example.com"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        public_url="http://testserver",
        secret_key="web-test-secret",
        mail_from="CS <cs@example.com>",
    )


def _compose(csm, contact: str = "carla@acme.com") -> int:
    page = csm.get("/messages/new?account=acme")
    assert page.status_code == 200
    assert "renewal_reminder" in page.text
    drafted = csm.post(
        "/messages",
        {
            "template": "renewal_reminder",
            "account": "acme",
            "contact": contact,
            "reason": "renewal in three months",
        },
    )
    assert drafted.status_code == 303, drafted.text
    found = re.fullmatch(r"/messages/(\d+)", drafted.headers["location"])
    assert found
    return int(found.group(1))


def test_compose_preview_approve_and_send_from_the_pages(browser, smtp: SmtpServer) -> None:  # noqa: F811
    csm = browser("csm")
    message_id = _compose(csm)
    page = csm.get(f"/messages/{message_id}")
    assert page.status_code == 200
    assert "Acme Corp: your renewal on 2027-02-01" in page.text
    assert "<strong>2027-02-01</strong>" in page.text  # the preview, as HTML
    assert f"/messages/{message_id}/approve" not in page.text  # the author cannot approve it
    edited = csm.post(
        f"/messages/{message_id}",
        {
            "subject": "Acme: renewal",
            "text": "Hello Carla,\nsee you soon.",
            "html": "<p>Hello Carla, <script>alert(1)</script>see you soon.</p>",
        },
    )
    assert edited.status_code == 303
    refused = csm.post(f"/messages/{message_id}/approve")
    assert refused.status_code == 403

    manager = browser("manager")
    queue = manager.get("/messages?status=draft")
    assert f'href="/messages/{message_id}"' in queue.text  # the team's queue
    assert manager.post(f"/messages/{message_id}/approve").status_code == 303
    sent = manager.post("/messages/send")
    assert sent.status_code == 303
    assert "1 sent" in manager.get(sent.headers["location"]).text

    [received] = smtp.received
    assert received.email["Subject"] == "Acme: renewal"
    html = received.email.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
    assert "see you soon." in html.get_content()
    account = csm.get("/accounts/acme")
    assert f'href="/messages/{message_id}"' in account.text  # on the timeline, with its text


def test_a_csm_sees_its_own_messages_not_another_csms(browser) -> None:  # noqa: F811
    message_id = _compose(browser("csm"))
    other = browser("other_csm")
    assert f'href="/messages/{message_id}"' not in other.get("/messages").text
    assert other.get(f"/messages/{message_id}").status_code == 403


def test_the_unsubscribe_link_works_without_login_and_in_one_click(
    browser,  # noqa: F811
    app,  # noqa: F811
    smtp: SmtpServer,
) -> None:
    message_id = _compose(browser("csm"))
    manager = browser("manager")
    manager.post(f"/messages/{message_id}/approve")
    manager.post("/messages/send")
    [received] = smtp.received
    link = received.email["List-Unsubscribe"].strip("<>")
    text = received.email.get_body(("plain",))
    assert text is not None
    assert link in text.get_content()
    path = urlsplit(link).path

    with TestClient(app) as anonymous:
        page = anonymous.get(path)
        assert page.status_code == 200
        assert "Stop all emails from us to carla@acme.com?" in page.text
        # What a mail client sends for List-Unsubscribe-Post (RFC 8058).
        done = anonymous.post(
            path,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200
        assert "carla@acme.com will receive no more emails from us." in done.text
        tampered = anonymous.get(path[:-3] + "xyz")
        assert tampered.status_code == 400
        assert "not valid" in tampered.text

    again = _compose(browser("csm"))
    page = manager.get(f"/messages/{again}")
    assert "suppressed" in page.text
    assert manager.post(f"/messages/{again}/approve").status_code == 400


def test_the_announcement_wizard_shows_the_count_before_drafting(browser) -> None:  # noqa: F811
    manager = browser("manager")
    page = manager.get("/messages/announce?template=qbr_invitation&where=tier%3Dpaid&preview=1")
    assert page.status_code == 200
    assert "2 recipients at 1 accounts" in page.text
    assert "carla@acme.com" in page.text
    assert "Draft 2 messages for approval" in page.text
    drafted = manager.post(
        "/messages/announce", {"template": "qbr_invitation", "where": "tier=paid"}
    )
    assert drafted.status_code == 303
    queue = manager.get("/messages?status=pending_approval")
    assert queue.text.count("Acme Corp: our quarterly business review") == 2
    assert browser("csm").get("/messages/announce").status_code == 403


def test_the_incident_page_lists_the_affected_clients(browser, initialised, files) -> None:  # noqa: F811
    # Two clicks at acme and one at globex inside the window; one at globex after it.
    calls = [
        ("m1", "acme", "2026-11-20T14:10:00Z"),
        ("m2", "acme", "2026-11-20T14:20:00Z"),
        ("m3", "globex", "2026-11-20T14:30:00Z"),
        ("m4", "globex", "2026-11-20T15:30:00Z"),
    ]
    events = files.jsonl(
        "events.jsonl",
        [
            {
                "type": "track",
                "event": "Link Clicked",
                "anonymousId": f"visitor-{m}",
                "messageId": m,
                "timestamp": t,
                "context": {"groupId": a},
            }
            for m, a, t in calls
        ],
    )
    initialised("import", "events", str(events))
    manager = browser("manager")
    page = manager.get(
        "/messages/incident?from=2026-11-20T14:05&to=2026-11-20T14:40&event=Link+Clicked"
        "&what=redirects"
    )
    assert page.status_code == 200, page.text
    assert "2 clients affected" in page.text
    acme, globex = page.text.index("Acme Corp"), page.text.index("Globex")
    assert acme < globex  # acme's ARR is the larger
    drafted = manager.post(
        "/messages/incident",
        {
            "from": "2026-11-20T14:05",
            "to": "2026-11-20T14:40",
            "event": "Link Clicked",
            "what": "redirects",
            "summary": "redirects were slow",
        },
    )
    assert drafted.status_code == 303
    queue = manager.get("/messages?status=pending_approval").text
    assert "Acme Corp: 2 of your redirects were affected on 2026-11-20" in queue
