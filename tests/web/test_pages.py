"""Renewals, usage statistics, the team, users, scorecards and the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from tenure.health.scorecards import default_source
from tenure.models import AuditEntry, Role, User


def test_renewals_in_the_next_90_and_180_days(browser):
    manager = browser("manager")
    page = manager.get("/renewals").text
    assert "Acme Corp" in page  # renews 2027-02-01, 70 days after 2026-11-23
    assert "70 d" in page
    assert "Globex" not in page  # 2027-06-15: 204 days away
    assert "$52,000" in page
    assert 'class="tile red"' in page  # by renewal band: 0-3 months is red
    assert '<svg class="chart bars"' in page
    longer = manager.get("/renewals", params={"days": 180}).text
    assert "Globex" not in longer
    mine = browser("other_csm").get("/renewals").text
    assert "Acme Corp" not in mine  # a CSM opens on their own renewals
    assert "Nothing renews in the next 90 days." in mine


def test_usage_page_without_events_says_so(browser):
    page = browser("viewer").get("/usage")
    assert page.status_code == 200
    assert "Usage statistics" in page.text
    assert re.search(r"No .* in this period\.", page.text)
    bad = browser("viewer").get("/usage", params={"interval": "hour"})
    assert bad.status_code == 400
    assert "use day, week or month" in bad.text


def test_usage_statistics_per_client(browser, initialised, files):
    events = files.jsonl(
        "events.jsonl",
        [
            {
                "type": "track",
                "event": "Link Clicked",
                "userId": f"u-{n}",
                "messageId": f"m-{n}",
                "timestamp": f"2026-11-{10 + n % 5:02d}T10:00:00Z",
                "context": {"groupId": "acme" if n % 3 else "initech"},
            }
            for n in range(30)
        ],
    )
    initialised("import", "events", str(events))
    page = browser("viewer").get(
        "/usage", params={"event": "Link Clicked", "interval": "week", "from": "2026-11-01"}
    )
    assert page.status_code == 200
    html = page.text
    assert "Acme Corp" in html
    assert "Initech" in html
    assert "<strong>20</strong>" in html  # acme: 20 of the 30 clicks
    assert "<strong>10</strong>" in html  # initech (a free client) is counted too
    free = (
        browser("viewer")
        .get("/usage", params={"event": "Link Clicked", "from": "2026-11-01", "tier": "free"})
        .text
    )
    assert "Initech" in free
    assert "Acme Corp" not in free


def test_team_page_for_managers(browser):
    page = browser("manager").get("/team").text
    ana = page[page.index("ana.silva@example.com") :].split("</tr>")[0]
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', ana, re.S)
    assert cells[0] == "2"  # acme and initech
    assert "$52,000" in ana
    assert "no saved plan" in ana
    assert 'hx-get="/team/advocates"' in page
    advocates = browser("admin").get("/team/advocates")
    assert advocates.status_code == 200
    assert "Advocate candidates" in advocates.text
    assert browser("csm").get("/team/advocates").status_code == 403


def test_admins_manage_users_and_roles(browser, database):
    admin = browser("admin")
    created = admin.post(
        "/users",
        {
            "email": "New.Person@example.com",
            "name": "New Person",
            "role": "csm",
            "password": "another-secret",
        },
    )
    assert created.status_code == 303
    assert "new.person@example.com" in admin.get("/users").text
    promoted = admin.post("/users/new.person@example.com/role", {"role": "manager"})
    assert promoted.status_code == 303
    with database.sessions() as s:
        user = s.scalar(select(User).where(User.email == "new.person@example.com"))
        assert user.role is Role.manager
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.target == "user:new.person@example.com")
        ).all()
    assert [e.action for e in entries] == ["user.create", "user.role"]
    assert entries[1].before["role"] == "csm"
    assert entries[1].after["role"] == "manager"
    assert "password" not in str(entries[0].after)
    self_demotion = admin.post("/users/ada@example.com/role", {"role": "viewer"})
    assert self_demotion.status_code == 400
    assert "your own admin role" in self_demotion.text
    duplicate = admin.post("/users", {"email": "val@example.com", "name": "V", "role": "csm"})
    assert duplicate.status_code == 409
    short = admin.post(
        "/users", {"email": "x@example.com", "name": "X", "role": "csm", "password": "short"}
    )
    assert short.status_code == 400
    assert "password" in short.text


def test_scorecards_page_loads_a_new_version(browser, database):
    manager = browser("manager")
    page = manager.get("/scorecards").text
    assert "enterprise" in page
    assert "Product usage" in page
    changed = default_source().replace("weight = 0.5", "weight = 0.6", 1)
    loaded = manager.client.post(
        "/scorecards",
        data={"csrf_token": manager.csrf, "source": changed},
    )
    assert loaded.status_code == 200
    assert "Loaded enterprise version 2." in loaded.text
    again = manager.client.post("/scorecards", data={"csrf_token": manager.csrf, "source": changed})
    assert "unchanged" in again.text
    broken = manager.client.post(
        "/scorecards", data={"csrf_token": manager.csrf, "source": "name = \n"}
    )
    assert broken.status_code == 400
    with database.sessions() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "scorecard.load")).all()
    assert len(entries) == 1
    assert entries[0].after["version"] == 2


def test_the_audit_log_page(browser):
    csm = browser("csm")
    csm.post("/accounts/acme/timeline", {"kind": "note", "text": "Audited <b>note</b>"})
    manager = browser("manager")
    page = manager.get("/audit").text
    assert "<td>timeline.add</td>" in page
    assert "<td>account:acme</td>" in page
    assert "ana.silva@example.com" in page
    assert "&lt;b&gt;note&lt;/b&gt;" in page or "\\u003cb\\u003enote" in page
    assert "<b>note</b>" not in page
    only = manager.get("/audit", params={"action": "session"}).text
    assert "<td>timeline.add</td>" not in only
    assert "<td>session.login</td>" in only
    by_target = manager.get("/audit", params={"target": "account:*"}).text
    assert "<td>account:acme</td>" in by_target
    assert "<td>session.login</td>" not in by_target


def test_the_audit_api(browser, app, initialised):
    browser("csm").post("/accounts/acme/timeline", {"kind": "call", "text": "Called"})
    from fastapi.testclient import TestClient

    def token(email):
        plain = initialised("tokens", "create", "--email", email, "--format", "json").json()
        return {"Authorization": f"Bearer {plain[0]['token']}"}

    with TestClient(app) as client:
        entries = client.get(
            "/api/v1/audit", params={"action": "timeline"}, headers=token("boss@example.com")
        )
        assert entries.status_code == 200
        [entry] = entries.json()
        assert entry["actor"] == "ana.silva@example.com"
        assert entry["via"] == "web"
        assert entry["target"] == "account:acme"
        assert entry["after"]["text"] == "Called"
        refused = client.get("/api/v1/audit", headers=token("val@example.com"))
        assert refused.status_code == 403
