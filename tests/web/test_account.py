"""The account page: the whole story, health and usage charts, and the timeline form."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from tenure.models import AuditEntry, TimelineEntry
from tests.web.helpers import AS_OF


def test_the_account_page_tells_the_whole_story(browser):
    page = browser("viewer").get("/accounts/acme")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Acme Corp</h1>" in html
    assert "$52,000" in html
    assert "2027-02-01" in html
    assert "(in 2 months)" in html
    assert 'class="fact cell red"' in html  # renewal within 3 months
    assert "Carla Diaz" in html  # the sponsor
    assert "CFO" in html
    assert "c level" in html  # contacts with seniority
    assert "Sponsor</span>" in html
    assert "c2" in html  # contracts
    assert "active now" in html
    assert "renewed" in html
    assert "question" in html  # the open ticket (t2), not the closed one
    assert 'Open tickets <span class="count">1</span>' in html
    assert "NPS" in html  # the latest NPS answer: 6 by Dan
    assert "dan@acme.com" in html
    assert 'hx-get="/accounts/acme/health"' in html
    assert 'hx-get="/accounts/acme/usage"' in html
    assert 'hx-get="/accounts/acme/signals"' in html
    assert "You can read this account" in html  # a viewer gets no form
    assert "<textarea" not in html


def test_unknown_account_is_a_clear_404_page(browser):
    page = browser("viewer").get("/accounts/nope")
    assert page.status_code == 404
    assert "no account with external_id &#39;nope&#39;" in page.text
    assert "<h1>Not found</h1>" in page.text


def test_health_history_and_why(browser, initialised):
    manager = browser("manager")
    before = manager.get("/accounts/acme/health")
    assert before.status_code == 200
    assert "No health score yet" in before.text
    initialised("health", "compute", "--from", "2026-10-23", "--to", "2026-11-23")
    after = manager.get("/accounts/acme/health").text
    assert "<html" not in after  # a fragment for htmx
    assert "Why:" in after
    assert '<svg class="chart"' in after
    assert "zone-red" in after  # the bands behind the line
    assert "Satisfaction" in after
    assert "Executive sponsorship" in after
    assert "Measures" in after
    page = manager.get("/accounts/acme").text
    assert 'class="health-badge cell amber"' in page or 'class="health-badge cell red"' in page


def test_usage_over_time(browser):
    viewer = browser("viewer")
    chart = viewer.get("/accounts/acme/usage")
    assert chart.status_code == 200
    assert '<option value="logins_28d" selected>' in chart.text
    assert "<polyline" in chart.text
    missing = viewer.get("/accounts/acme/usage", params={"metric": "nope"})
    assert missing.status_code == 404


def test_signals_of_an_account(browser, initialised):
    initialised("health", "compute", "--as-of", "2026-11-23")
    page = browser("csm").get("/accounts/acme/signals")
    assert page.status_code == 200
    assert "Signals" in page.text
    assert "renewal in quarter" in page.text  # acme renews on 2027-02-01


def test_an_accounts_signals_are_those_of_its_whole_book(browser, initialised):
    """The page computes one account's signals from its stored health, compared with the
    book through the kept comparisons: the same signals `tenure signals` finds over the book,
    once health was computed daily over the trend's window (as `tenure daily` does)."""
    start = (AS_OF - timedelta(days=35)).isoformat()
    initialised("health", "compute", "--from", start, "--to", AS_OF.isoformat())
    everyone = initialised("signals", "--as-of", AS_OF.isoformat(), "--format", "json").json()
    viewer = browser("viewer")
    for external_id in sorted({r["account_external_id"] for r in everyone}):
        page = viewer.get(f"/accounts/{external_id}/signals")
        assert page.status_code == 200
        found = re.findall(r'<span class="evidence">(.*?)</span>', page.text)
        shown = [html.unescape(e) for e in found]
        expected = [r["evidence"] for r in everyone if r["account_external_id"] == external_id]
        assert shown == expected, external_id


def test_notes_calls_meetings_and_sentiment_on_the_timeline(browser, database):
    csm = browser("csm")
    for kind in ("note", "call", "meeting", "email"):
        response = csm.post("/accounts/acme/timeline", {"kind": kind, "text": f"A {kind}"})
        assert response.status_code == 303
        assert response.headers["location"] == "/accounts/acme#timeline"
    feeling = csm.post(
        "/accounts/acme/timeline",
        {"kind": "sentiment", "sentiment": "amber", "text": "Sponsor is leaving"},
    )
    assert feeling.status_code == 303
    page = csm.get("/accounts/acme").text
    for kind in ("note", "call", "meeting", "email"):
        assert f"A {kind}" in page
    assert '<span class="pill amber">amber</span>' in page
    with database.sessions() as s:
        entries = s.scalars(select(TimelineEntry).order_by(TimelineEntry.id)).all()
        assert [e.kind.value for e in entries] == ["note", "call", "meeting", "email", "sentiment"]
        assert {e.author for e in entries} == {"ana.silva@example.com"}
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "timeline.add")).all()
        assert len(audit) == 5
        assert audit[-1].before is None
        assert audit[-1].after["sentiment"] == "amber"
        assert audit[-1].after["text"] == "Sponsor is leaving"
        assert audit[-1].via == "web"


def test_a_bad_entry_is_refused_with_what_was_wrong(browser, database):
    csm = browser("csm")
    no_colour = csm.post("/accounts/acme/timeline", {"kind": "sentiment", "text": "Hmm"})
    assert no_colour.status_code == 400
    assert "sentiment" in no_colour.text
    empty = csm.post("/accounts/acme/timeline", {"kind": "note", "text": "   "})
    assert empty.status_code == 400
    assert "text" in empty.text
    system = csm.post("/accounts/acme/timeline", {"kind": "system", "text": "x"})
    assert system.status_code == 400
    assert "written by Tenure itself" in system.text
    with database.sessions() as s:
        assert s.scalars(select(TimelineEntry)).all() == []
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "timeline.add")).all() == []


def test_who_may_write_on_an_account(browser):
    note = {"kind": "note", "text": "Checked in"}
    other = browser("other_csm")
    refused = other.post("/accounts/acme/timeline", note)
    assert refused.status_code == 403
    assert "may not change account &#39;acme&#39;" in refused.text
    assert "You can read this account" in other.get("/accounts/acme").text
    assert other.post("/accounts/globex/timeline", note).status_code == 303
    assert browser("manager").post("/accounts/acme/timeline", note).status_code == 303
    assert browser("viewer").post("/accounts/acme/timeline", note).status_code == 403


def test_htmx_adds_a_note_and_gets_the_timeline_back(browser):
    csm = browser("csm")
    response = csm.client.post(
        "/accounts/acme/timeline",
        data={"kind": "note", "text": "Sent the QBR deck"},
        headers={"HX-Request": "true", "X-CSRF-Token": csm.csrf},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Sent the QBR deck" in response.text
    assert "Added." in response.text
