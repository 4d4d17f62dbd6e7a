"""The surveys page: every campaign's response rate and scores, one campaign by account or
segment."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tenure.models import SurveyRecipient
from tenure.surveys import service
from tests.conftest import Cli


def test_the_surveys_page_shows_rates_by_account_and_segment(browser, initialised: Cli, database):
    initialised(
        "survey", "create", "nps-acme", "--kind", "nps", "--role", "all", "--account", "acme"
    )
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        campaign = service.get_campaign(session, "nps-acme")
        for recipient in service.enlist(session, campaign, now):
            service.mark_delivered(session, recipient, now)
    with database.unit_of_work() as session:
        carla = session.scalar(
            select(SurveyRecipient).where(SurveyRecipient.email == "carla@acme.com")
        )
        assert carla is not None
        token = service.answer_token(database.settings, carla)
    viewer = browser("viewer")
    answered = viewer.client.get(f"/s/{token}?score=9")
    assert answered.status_code == 200
    page = viewer.get("/surveys")
    assert page.status_code == 200
    assert "nps-acme" in page.text
    assert "50%" in page.text  # one of the two delivered answered
    assert 'href="/accounts/acme"' in page.text
    by_segment = viewer.get("/surveys?campaign=nps-acme&by=segment")
    assert "enterprise" in by_segment.text
    wrong = viewer.get("/surveys?by=week")
    assert wrong.status_code == 422
