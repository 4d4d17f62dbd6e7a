"""`tenure contacts erase EMAIL`: the person leaves the database and the warehouse; figures
that name nobody stay; the erasure is audited without the email."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from tenure.agent import brief
from tenure.config import Settings
from tenure.kit.dates import utc_today
from tenure.messaging import service as outbox
from tenure.models import (
    Account,
    AgentAction,
    AuditEntry,
    Contact,
    Handoff,
    Message,
    QbrSnapshot,
    SurveyRecipient,
    SurveyResponse,
    TimelineEntry,
)
from tenure.usage.store import EventStore
from tests.conftest import Book, Cli, add_users, api_client, token
from tests.messaging.smtp import SmtpServer
from tests.ops.test_backup import warehouse_files
from tests.surveys.world import edit_token, score_links

CARLA = "carla@acme.com"
NAME = "Carla Diaz"
COMMENT = "Exports time out every Friday afternoon"
FOLLOW_UP = "Fix the Friday exports first"
CSM = "ana.silva@example.com"
MANAGER = "mia.manager@example.com"

EVENTS = "".join(
    f'{{"type": "track", "event": "Logged In", "userId": "u-{1 + i % 2}", "messageId": "e{i}", '
    f'"timestamp": "2026-11-{1 + i % 10:02d}T10:00:00Z", "context": {{"groupId": "acme"}}}}\n'
    for i in range(30)
)


def users_in_events(store: EventStore) -> dict[str, int]:
    files = store.events.files()
    rows = duckdb.sql(
        f"SELECT user_id, count(*) FROM read_parquet({files!r}) GROUP BY user_id"
    ).fetchall()
    return dict(rows)


def test_erasing_a_person_removes_them_and_keeps_the_aggregates(
    initialised, book, files, settings, database
):
    book.load(initialised)
    initialised("import", "events", str(files.text("events.jsonl", EVENTS)))
    initialised("metrics", "compute", "--as-of", "2026-11-20")
    store = EventStore(settings.data_dir / "warehouse")
    assert users_in_events(store) == {"u-1": 15, "u-2": 15}
    metrics_before = {
        k: v for k, v in warehouse_files(store.root).items() if k.startswith("metrics/")
    }

    out = initialised("contacts", "erase", " Carla@ACME.com", "--format", "json").json()
    assert out == [
        {
            "target": out[0]["target"],
            "contacts": 1,
            "survey_answers": 1,
            "events": 15,
            "user_rows": out[0]["user_rows"],
            "messages": 0,
        }
    ]
    assert users_in_events(store) == {"u-2": 15}
    with database.sessions() as s:
        assert s.scalars(sa.select(Contact.email)).all() == ["dan@acme.com"]
        answer = s.scalar(sa.select(SurveyResponse).where(SurveyResponse.external_id == "s1"))
        assert answer is not None
        assert (answer.contact_email, answer.comment, answer.score) == (None, None, 9)
        audit = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contact.erase")).all()
    assert [e.target for e in audit] == [out[0]["target"]]
    assert audit[0].target.startswith("contact:sha256:")
    assert "carla" not in repr(audit[0].after).lower()
    # The daily metrics computed before are aggregates: they stay as they were.
    after = {k: v for k, v in warehouse_files(store.root).items() if k.startswith("metrics/")}
    assert after == metrics_before
    # Asked again: nobody left with that email.
    again = initialised("contacts", "erase", "carla@acme.com", ok=False)
    assert again.code != 0
    assert "no contact and no survey answer with email 'carla@acme.com'" in again.stderr


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "mail_from": "Customer Success <cs@shortener.example>",
            "public_url": "http://tenure.example",
            "secret_key": "test-secret-key",
            "mail_support_to": "support@shortener.example",
            # The app's background sender stays idle: `tenure mail send` sends, once.
            "mail_send_seconds": 3600.0,
        }
    )


@pytest.fixture
def mail(env: dict[str, str], smtp: SmtpServer, book: Book) -> Cli:
    cli = Cli(
        {
            **env,
            **smtp.env(),
            "TENURE_MAIL_FROM": "Customer Success <cs@shortener.example>",
            "TENURE_PUBLIC_URL": "http://tenure.example",
            "TENURE_SECRET_KEY": "test-secret-key",
            "TENURE_MAIL_SUPPORT_TO": "support@shortener.example",
        }
    )
    cli("init")
    book.load(cli)
    add_users(cli, (MANAGER, "manager"))
    return cli


def every_value(engine: sa.Engine) -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) for every non-null value of every table."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as con:
        for table in metadata.sorted_tables:
            for row in con.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    yield table.name, column, text


def message_aggregates(s: Any) -> list[tuple[Any, ...]]:
    rows = s.execute(
        sa.select(
            Message.account_id, Message.status, Message.audience, Message.source, Message.sent_at
        ).order_by(Message.id)
    )
    return [
        (a, st, au, so, sent.date() if isinstance(sent, datetime) else sent)
        for a, st, au, so, sent in rows
    ]


def test_erasing_a_person_removes_them_from_the_outbox(
    mail: Cli, mail_settings: Settings, smtp: SmtpServer, database: Any, book: Book
) -> None:
    with api_client(mail_settings) as api:
        drafted = api.post(
            "/api/v1/messages",
            headers=token(mail, CSM),
            json={
                "template": "renewal_reminder",
                "account_external_id": "acme",
                "contact_email": CARLA,
                "reason": f"renewal talk promised to {CARLA}",
            },
        )
        assert drafted.status_code == 200, drafted.text
        [message] = drafted.json()
        approved = api.post(
            f"/api/v1/messages/{message['id']}/approve", headers=token(mail, MANAGER)
        )
        assert approved.status_code == 200, approved.text
        mail("mail", "send")
        smtp.wait_for(1)
        mail(
            "handoff",
            "create",
            "--account",
            "acme",
            "--lane",
            "support",
            "--as",
            CSM,
            "--summary",
            f"{CARLA} cannot log in since Monday",
            "--evidence",
            f"ticket from {CARLA}",
        )
        mail("mail", "send")
        smtp.wait_for(2)
        opted_out = api.post(
            "/api/v1/suppressions",
            headers=token(mail, MANAGER),
            json={"email": CARLA, "reason": "manual", "note": f"{CARLA} asked on the phone"},
        )
        assert opted_out.status_code == 200, opted_out.text
    assert smtp.received[0].rcpt_tos == [CARLA]
    with database.sessions() as s:
        sent = s.get(Message, message["id"])
        assert sent is not None
        assert sent.status == "sent"
        personal = [sent.subject, sent.text, sent.html]
        assert "Hello Carla," in sent.text
        aggregates = message_aggregates(s)
    # Before: the address and the text are in the database (so the scan below can see them).
    assert any(CARLA in v.lower() for _, _, v in every_value(database.engine))
    assert any(sent.text in v for _, _, v in every_value(database.engine))

    out = mail("contacts", "erase", CARLA, "--format", "json").json()
    assert isinstance(out, list)
    assert out[0]["messages"] == 1

    for table, column, value in every_value(database.engine):
        assert CARLA not in value.lower(), f"{table}.{column} still holds the address: {value}"
        for text in personal:
            assert text not in value, f"{table}.{column} still holds the message: {value}"
        assert "Hello Carla" not in value, f"{table}.{column} still holds the message"
    with database.sessions() as s:
        # Counts per account, state and day stay as they were: the rows stay, redacted.
        assert message_aggregates(s) == aggregates
        line = s.scalar(sa.select(TimelineEntry).where(TimelineEntry.kind == "message"))
        assert line is not None
        assert (line.text, line.message_id, line.contact_id) == ("message (erased)", None, None)
        handoff = s.scalar(sa.select(Handoff))
        assert handoff is not None
        assert handoff.summary == "(erased) cannot log in since Monday"
        assert handoff.evidence == ["ticket from (erased)"]
        # The opt-out holds, as a hash: the address itself is gone (the scan above).
        kept = outbox.suppression_of(s, CARLA)
        assert kept is not None
        assert kept.email == outbox.hashed_address(CARLA)
        [audit] = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contact.erase"))
        assert audit.target == out[0]["target"]
        assert audit.target.startswith("contact:sha256:")
        assert audit.after["messages"] == 1

    # Re-imported by the next CRM sync, she is still not mailed: her opt-out still holds.
    mail("import", "contacts", str(book.contacts))
    again = mail(
        "mail",
        "draft",
        "--template",
        "renewal_reminder",
        "--account",
        "acme",
        "--contact",
        CARLA,
        "--author",
        CSM,
        "--format",
        "json",
    ).json()
    assert isinstance(again, list)
    assert again[0]["status"] == "suppressed"


def kpis_of(cli: Cli, day: date) -> dict[str, Any]:
    out = cli("kpis", "--from", str(day), "--to", str(day), "--format", "json").json()
    row: dict[str, Any] = out["kpis"][0] if isinstance(out, dict) else out[0]
    return row


def test_erasing_a_person_removes_them_from_surveys_qbr_and_the_agent(
    mail: Cli,
    mail_settings: Settings,
    smtp: SmtpServer,
    database: Any,
    tmp_path: Path,
) -> None:
    mail(
        "survey",
        "create",
        "nps-acme",
        "--kind",
        "nps",
        "--role",
        "all",
        "--account",
        "acme",
        "--follow-up",
        "What should we fix first?",
        "--by",
        CSM,
    )
    mail("survey", "send", "nps-acme", "--as", MANAGER, "--now")
    smtp.wait_for(2)
    [invitation] = [r.email for r in smtp.received if r.rcpt_tos == [CARLA]]
    link = score_links(invitation)[3].removeprefix("http://tenure.example")
    with api_client(mail_settings) as api:
        page = api.get(link)
        assert page.status_code == 200, page.text
        saved = api.post(
            "/s/answer",
            data={
                "token": edit_token(page.text),
                "score": "3",
                "comment": COMMENT,
                "follow_up_answer": FOLLOW_UP,
            },
        )
        assert saved.status_code == 200, saved.text
    today = utc_today()
    mail(
        "accounts",
        "brief",
        "acme",
        "--add",
        "stance",
        "--text",
        f"{NAME} ({CARLA}) backs the renewal if exports are fixed",
        "--by",
        CSM,
    )
    with database.unit_of_work() as s:
        acme = s.scalar(sa.select(Account).where(Account.external_id == "acme"))
        assert acme is not None
        brief.store(s, acme, today)  # the brief the agent's run keeps, quoting her answer
        s.add(
            AgentAction(
                key=f"acme:detractor_call:{today}",
                day=today,
                account_id=acme.id,
                account_external_id="acme",
                csm_email=CSM,
                trigger="detractor",
                play="detractor_call",
                kind="task",
                decision="shadow",
                status="proposed",
                evidence=[f"NPS 3 from {CARLA}: {COMMENT}"],
                rule="detractor -> call",
                policy_version=0,
                payload={"contact_email": CARLA, "contact_name": NAME},
                reason=f"{NAME} is a detractor",
                llm={"prompt": [{"role": "user", "content": f"contact: {NAME} <{CARLA}>"}]},
            )
        )
    pack = tmp_path / "qbr.html"
    mail("qbr", "acme", "--quarter-start", "2026-10-01", "--format", "html", "-o", str(pack))
    kpis_before = kpis_of(mail, today)
    assert kpis_before["nps_responses"] >= 1
    with database.sessions() as s:
        [snapshot] = s.scalars(sa.select(QbrSnapshot)).all()
        assert CARLA in json.dumps(snapshot.figures)
        rates = s.execute(
            sa.select(SurveyRecipient.status, SurveyResponse.score)
            .outerjoin(SurveyResponse, SurveyRecipient.response_id == SurveyResponse.id)
            .order_by(SurveyRecipient.id)
        ).all()
    # Before: each of them is somewhere in the database (so the scan below can see them).
    for text in (CARLA, NAME.lower(), COMMENT.lower(), FOLLOW_UP.lower()):
        assert any(text in v.lower() for _, _, v in every_value(database.engine)), text

    out = mail("contacts", "erase", CARLA, "--format", "json").json()
    assert isinstance(out, list)

    for table, column, value in every_value(database.engine):
        for text in (CARLA, NAME.lower(), COMMENT.lower(), FOLLOW_UP.lower()):
            assert text not in value.lower(), f"{table}.{column} still holds {text!r}: {value}"
    # Aggregates stay: NPS and response rate of the period, each invitation and its score.
    kpis_after = kpis_of(mail, today)
    for key in ("nps", "nps_responses", "nps_invited", "nps_response_rate"):
        assert kpis_after[key] == kpis_before[key], key
    with database.sessions() as s:
        assert (
            s.execute(
                sa.select(SurveyRecipient.status, SurveyResponse.score)
                .outerjoin(SurveyResponse, SurveyRecipient.response_id == SurveyResponse.id)
                .order_by(SurveyRecipient.id)
            ).all()
            == rates
        )
        action = s.scalar(sa.select(AgentAction))
        assert action is not None
        assert action.evidence == ["NPS 3 from (erased): (erased)"]
        assert action.reason == "(erased) is a detractor"
        [audit] = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contact.erase"))
        assert audit.target == out[0]["target"]
    # Her old link opens nothing any more.
    with api_client(mail_settings) as api:
        assert api.get(link).status_code == 400
