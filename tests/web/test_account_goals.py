"""The account page's goals section, its QBR button, and goals through the API."""

from __future__ import annotations

from tests.conftest import Cli


def test_goals_on_the_account_page_and_through_the_api(browser, initialised: Cli):
    csm = browser("csm")
    goal = initialised(
        "goals",
        "add",
        "acme",
        "--title",
        "Halve ticket volume",
        "--target",
        "10",
        "--baseline",
        "20",
        "--due",
        "2027-06-30",
        "--milestone",
        "Self-service help live",
        "--format",
        "json",
    ).json()[0]["id"]
    section = csm.get("/accounts/acme/goals")
    assert section.status_code == 200
    assert "Halve ticket volume" in section.text
    assert "first value" in section.text
    assert "Make the QBR pack" in section.text
    recorded = csm.post(f"/accounts/acme/goals/{goal}/progress", {"value": "15"})
    assert recorded.status_code == 303
    section = csm.get("/accounts/acme/goals")
    assert "50%" in section.text
    assert 'hx-get="/accounts/acme/goals"' in csm.get("/accounts/acme").text
    bad = csm.post(f"/accounts/acme/goals/{goal}/progress", {"value": "lots"})
    assert bad.status_code == 422
    assert "not a number" in bad.text
    # A viewer reads the section but gets no form and no QBR button.
    viewer = browser("viewer").get("/accounts/acme/goals")
    assert "Halve ticket volume" in viewer.text
    assert "<form" not in viewer.text

    token = initialised(
        "tokens", "create", "--email", "ana.silva@example.com", "--format", "json"
    ).json()[0]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    made = csm.client.post(
        "/api/v1/accounts/acme/goals",
        headers=headers,
        json={
            "title": "Adopt reports",
            "measure": "Teams using reports",
            "target": 8,
            "due_date": "2027-03-31",
            "milestones": [{"title": "First team"}],
        },
    )
    assert made.status_code == 201, made.text
    listed = csm.client.get("/api/v1/accounts/acme/goals", headers=headers).json()
    assert [g["title"] for g in listed] == ["Halve ticket volume", "Adopt reports"]
    assert listed[0]["milestones"][0]["first_value"] is True
    assert listed[1]["milestones"][0]["first_value"] is False
    invalid = csm.client.post(
        "/api/v1/accounts/acme/goals", headers=headers, json={"title": "", "target": "x"}
    )
    assert invalid.status_code == 422


def test_the_qbr_button_downloads_a_pdf_pack(browser):
    csm = browser("csm")
    pack = csm.post("/accounts/acme/qbr", {"quarter_start": "2026-10-01", "format": "pdf"})
    assert pack.status_code == 200
    assert pack.headers["content-type"] == "application/pdf"
    assert pack.content.startswith(b"%PDF-")
    assert "qbr-acme-2026-10-01.pdf" in pack.headers["content-disposition"]
    html = csm.post("/accounts/acme/qbr", {"quarter_start": "2026-10-01", "format": "html"})
    assert "Acme Corp: quarterly business review" in html.text
    assert "style-src 'unsafe-inline'" in html.headers["content-security-policy"]
    wrong = csm.post("/accounts/acme/qbr", {"quarter_start": "2026-10-02"})
    assert wrong.status_code == 422
    assert "not the first day of a quarter" in wrong.text
    refused = browser("other_csm").post("/accounts/acme/qbr", {"quarter_start": "2026-10-01"})
    assert refused.status_code == 403
