"""`tenure serve` on its own: invitations its background sender sends count as delivered in
the survey store, and the one reminder is drafted once after the campaign's days, approved
by Tenure only where Tenure approved the invitation, with no `tenure survey` command run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tenure.app import create_app
from tenure.db import Database
from tenure.kit.dates import utc_now
from tenure.models import Message, SurveyRecipient, SurveyResponse
from tests.conftest import Book, Cli
from tests.messaging.smtp import SmtpServer
from tests.surveys.world import env_for, settings_for

MANAGER = "mia.manager@example.com"
ROUND = 0.2  # mail_send_seconds: the sender's and the surveys' rounds


def _until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def _store(database: Database) -> list[str]:
    with database.sessions() as session:
        query = select(SurveyResponse.contact_email).where(
            SurveyResponse.external_id.like("tenure-survey-%")
        )
        return sorted(session.scalars(query))


def _messages(database: Database, key: str) -> dict[str, tuple[str, str | None]]:
    with database.sessions() as session:
        query = select(Message).where(Message.idempotency_key.like(f"{key}%"))
        return {m.to_email: (m.status, m.approved_by) for m in session.scalars(query)}


def test_serve_counts_sent_invitations_and_reminds_once(settings, book: Book) -> None:
    smtp = SmtpServer()
    smtp.start()
    settings = settings_for(settings, smtp, "http://testserver").model_copy(
        update={"mail_send_seconds": ROUND}
    )
    cli = Cli(env_for(settings))
    cli("init")
    book.load(cli)
    cli("users", "create", "--email", MANAGER, "--name", "Mia", "--role", "manager")
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
    )
    database = Database(settings)
    app = create_app(settings)
    try:
        with TestClient(app):
            # Held, then Carla's invitation approved by Tenure itself, Dan's by a person.
            cli("survey", "send", "csat-acme", "--hold")
            invitations = _ids(database, "survey:")
            cli("mail", "approve", str(invitations["carla@acme.com"]))
            cli("mail", "approve", str(invitations["dan@acme.com"]), "--as", MANAGER)

            # The background sender sends them; the survey round alone makes them delivered.
            smtp.wait_for(2)
            _until(
                lambda: _store(database) == ["carla@acme.com", "dan@acme.com"],
                "both invitations in the survey store",
            )
            with database.sessions() as session:
                states = set(session.scalars(select(SurveyRecipient.status)))
            assert states == {"sent"}
            assert _messages(database, "survey-reminder:") == {}

            # Three days on (the round's clock), the reminder is drafted, once per person.
            follow_up = app.state.survey_follow_up
            follow_up.clock = lambda: utc_now() + timedelta(days=3, hours=1)
            _until(lambda: len(_messages(database, "survey-reminder:")) == 2, "two reminders")
            smtp.wait_for(3)
            time.sleep(ROUND * 8)  # several more rounds: nothing new
            reminders = _messages(database, "survey-reminder:")
            assert reminders == {
                "carla@acme.com": ("sent", "tenure"),
                "dan@acme.com": ("pending_approval", None),
            }
            assert len(smtp.received) == 3
            assert smtp.received[2].rcpt_tos == ["carla@acme.com"]
            assert smtp.received[2].email["Subject"].startswith("Reminder:")
            with database.sessions() as session:
                reminded = session.scalars(select(SurveyRecipient.reminded_at)).all()
            assert all(at is not None for at in reminded)
        # The command for cron finds nothing more to do.
        rows = cli("survey", "sync", "--format", "json").json()
        assert rows == [
            {
                "name": "csat-acme",
                "delivered": 2,
                "pending": 0,
                "reminders": 0,
                "reminders_approved": 0,
            }
        ]
        assert len(_messages(database, "survey-reminder:")) == 2
    finally:
        app.state.database.dispose()
        database.dispose()
        smtp.stop()


def _ids(database: Database, key: str) -> dict[str, int]:
    with database.sessions() as session:
        query = select(Message).where(Message.idempotency_key.like(f"{key}%"))
        return {m.to_email: m.id for m in session.scalars(query)}
