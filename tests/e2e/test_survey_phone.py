"""A survey link opened on a phone, without logging in: tap a score, add a comment."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import select
from typer.testing import CliRunner

from tenure.config import Settings
from tenure.db import Database
from tenure.models import SurveyRecipient, SurveyResponse
from tenure.surveys import service


def test_a_sponsor_answers_on_a_phone(server, chromium, tmp_path):
    env = {"TENURE_DATA_DIR": str(server.data_dir)}
    from tenure.cli import app

    # The sponsor gets an email address to be surveyed at.
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "external_id,account_external_id,name,email,seniority,is_sponsor\n"
        "acme-p1,acme,Sponsor of acme,sponsor@acme.example,vp,true\n"
    )
    for command in (
        ["import", "contacts", str(contacts)],
        ["survey", "create", "phone-nps", "--kind", "nps", "--account", "acme"],
    ):
        done = CliRunner().invoke(app, command, env=env, catch_exceptions=False)
        assert done.exit_code == 0, done.stderr
    settings = Settings(data_dir=server.data_dir)
    database = Database(settings)
    try:
        now = datetime.now(UTC)
        with database.unit_of_work() as session:
            campaign = service.get_campaign(session, "phone-nps")
            (recipient,) = service.enlist(session, campaign, now)
            service.mark_delivered(session, recipient, now)
            token = service.answer_token(settings, recipient)
            recipient_id = recipient.id

        context = chromium.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.goto(f"{server.url}/s/{token}")
        expect(page.locator("h1")).to_contain_text("recommend us")
        # Every score fits the phone's width: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("link", name="9", exact=True).tap()
        expect(page.get_by_role("status")).to_contain_text("your score of 9 is recorded")
        page.get_by_label("Anything you would like to add?").fill("Great onboarding")
        page.get_by_role("button", name="Save").tap()
        expect(page.get_by_role("status")).to_contain_text("with your comment")
        context.close()

        with database.sessions() as session:
            row = session.scalar(
                select(SurveyResponse)
                .join(SurveyRecipient, SurveyRecipient.response_id == SurveyResponse.id)
                .where(SurveyRecipient.id == recipient_id)
            )
            assert row is not None
            assert (row.score, row.comment) == (9, "Great onboarding")
    finally:
        database.dispose()
