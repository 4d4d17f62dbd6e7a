"""Reminders go once, after the campaign's days, to the delivered who have not answered; a
bounce leaves the response rate; answers are one per recipient however often they change;
a closed campaign's links say so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tenure.app import create_app
from tenure.db import Database
from tenure.kit.dates import utc_today
from tenure.models import SurveyRecipient, SurveyResponse, Task
from tests.conftest import Book, Cli
from tests.messaging.smtp import SmtpServer
from tests.surveys.world import edit_token, env_for, score_links, settings_for


@pytest.fixture
def world(settings, book: Book):
    smtp = SmtpServer()
    smtp.start()
    settings = settings_for(settings, smtp, "http://testserver")
    cli = Cli(env_for(settings))
    cli("init")
    book.load(cli)
    # Dan's mailbox does not exist: his invitation bounces (a 5xx answer to RCPT).
    smtp.handler.rcpt_answers["dan@acme.com"] = "550 5.1.1 no such user"
    app = create_app(settings)
    with TestClient(app) as client:
        yield cli, smtp, client, Database(settings)
    app.state.database.dispose()
    smtp.stop()


def _responses(database: Database) -> list[SurveyResponse]:
    with database.sessions() as session:
        return list(
            session.scalars(
                select(SurveyResponse).where(SurveyResponse.external_id.like("tenure-survey-%"))
            )
        )


def test_bounce_reminder_once_one_answer_and_a_closed_survey(world):
    cli, smtp, client, database = world
    cli(
        "survey",
        "create",
        "csat-acme",
        "--kind",
        "csat",
        "--role",
        "all",
        "--account",
        "acme",
        "--reminder-days",
        "3",
        "--follow-up",
        "What would help most?",
    )
    cli("survey", "send", "csat-acme", "--now")
    smtp.wait_for(1)
    assert [r.rcpt_tos for r in smtp.received] == [["carla@acme.com"]]
    status = cli("survey", "status", "csat-acme", "--format", "json").json()[0]
    assert (status["invited"], status["delivered"], status["answered"]) == (2, 1, 0)
    # Only the delivered invitation is in the survey store: the bounce is no invitation.
    assert [r.contact_email for r in _responses(database)] == ["carla@acme.com"]

    today = utc_today()
    cli("survey", "remind", "csat-acme", "--as-of", str(today + timedelta(days=2)), "--now")
    assert len(smtp.received) == 1  # not yet: three days
    cli("survey", "remind", "csat-acme", "--as-of", str(today + timedelta(days=3)), "--now")
    smtp.wait_for(2)
    reminder = smtp.received[1]
    assert reminder.rcpt_tos == ["carla@acme.com"]
    assert reminder.email["Subject"].startswith("Reminder:")
    cli("survey", "remind", "csat-acme", "--as-of", str(today + timedelta(days=9)), "--now")
    assert len(smtp.received) == 2  # once only

    # The reminder carries the same, still unused link.
    links = score_links(reminder.email)
    assert links == score_links(smtp.received[0].email)
    path = links[4].removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200
    for score, comment in (("2", "Support is slow"), ("1", "Support is very slow")):
        changed = client.post(
            "/s/answer",
            data={"token": edit_token(page.text), "score": score, "comment": comment},
        )
        assert changed.status_code == 200
    responses = _responses(database)
    assert len(responses) == 1  # one answer per recipient, the latest kept
    assert (responses[0].score, responses[0].comment) == (1, "Support is very slow")
    with database.sessions() as session:
        recipient = session.scalar(
            select(SurveyRecipient).where(SurveyRecipient.email == "carla@acme.com")
        )
        assert recipient is not None
        assert recipient.follow_up_answer is None
        tasks = session.scalars(select(Task).where(Task.activity == "detractor_follow_up")).all()
        assert len(tasks) == 1  # CSAT 2 then 1: one follow-up, kept up to date
        assert "Support is very slow" in tasks[0].description
        assert tasks[0].owner.email == "ana.silva@example.com"

    rates = cli("survey", "status", "csat-acme", "--by", "account", "--format", "json").json()
    assert rates == [
        {
            "account": "acme",
            "invited": 2,
            "delivered": 1,
            "answered": 1,
            "response_rate": 1.0,
            "nps": None,
            "csat": 0.0,
            "ces": None,
        }
    ]
    # Not a number, off the scale, a bad edit token: clear pages, nothing kept.
    assert client.get(path.replace("score=4", "score=abc")).status_code == 422
    assert client.get(path.replace("score=4", "score=5")).status_code == 409  # used up
    bad = client.post("/s/answer", data={"token": "e.1.1.1.x.sig", "score": "9"})
    assert bad.status_code == 400
    assert "not valid" in bad.text
    off = client.post("/s/answer", data={"token": edit_token(page.text), "score": "6"})
    assert off.status_code == 422
    assert "1 to 5" in off.text
    assert _responses(database)[0].score == 1

    cli("survey", "close", "csat-acme")
    closed = client.get(path)
    assert closed.status_code == 410
    assert "closed" in closed.text
    database.dispose()
