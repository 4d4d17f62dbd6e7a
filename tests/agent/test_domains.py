"""The agent acting through the other domains on the small book: its hand-offs are the
messaging domain's (the internal email on a real SMTP server, the signed webhook to a real
HTTP server on loopback, retried), a missing survey becomes a survey campaign for the
sponsors, first value is read from the account's goals, and a detractor the surveys domain
already follows up gets no second task."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.agent import brief
from tenure.agent.boundaries import BoundaryError, check_handoff
from tenure.config import Settings
from tenure.db import Database
from tenure.goals import service as goals
from tenure.goals.schemas import GoalCreate, MilestoneCreate
from tenure.kit.dates import utc_now, utc_today
from tenure.messaging import service as outbox
from tenure.models import (
    Account,
    AgentAction,
    Handoff,
    Message,
    SurveyCampaign,
    SurveyRecipient,
    Task,
)
from tenure.surveys import mail as survey_mail
from tenure.surveys import service as surveys
from tenure.surveys.schemas import Audience, CampaignCreate
from tests.agent.helpers import acting_mandate
from tests.conftest import Book, Cli, Files
from tests.messaging.smtp import SmtpServer
from tests.messaging.test_handoffs import Hook

DAY = "2026-12-01"
SECRET = "agent-hook-secret"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def agent_cli(env: dict[str, str], smtp: SmtpServer, hook: Hook, book: Book) -> Cli:
    cli = Cli(
        {
            **env,
            **smtp.env(),
            "TENURE_MAIL_FROM": "Customer Success <cs@shortener.example>",
            "TENURE_PUBLIC_URL": "http://tenure.example",
            "TENURE_SECRET_KEY": "test-secret-key",
            "TENURE_MAIL_SUPPORT_TO": "support@example.com",
            "TENURE_WEBHOOK_SUPPORT_URL": hook.url,
            "TENURE_WEBHOOK_SECRET": SECRET,
            "TENURE_MAIL_RETRY_SECONDS": "0",
        }
    )
    cli("init")
    book.load(cli)
    return cli


def actions(session: Session, kind: str) -> list[AgentAction]:
    session.expire_all()
    return list(
        session.scalars(
            select(AgentAction).where(AgentAction.kind == kind).order_by(AgentAction.id)
        )
    )


def test_a_handoff_boundary_is_checked_where_it_is_made() -> None:
    check_handoff("handoff_sales", "sales", ["free tier used like a paid one"])
    with pytest.raises(BoundaryError, match="never answers a support ticket"):
        check_handoff("handoff_support", "sales", ["4 problem tickets open"])
    with pytest.raises(BoundaryError, match="never opens a new-logo deal"):
        check_handoff("handoff_sales", "product", ["free tier used like a paid one"])
    with pytest.raises(Exception, match="carries its evidence"):
        check_handoff("handoff_sales", "sales", [" "])


def test_the_agents_handoff_is_the_messaging_domains(
    agent_cli: Cli, session: Session, smtp: SmtpServer, hook: Hook, tmp_path: Path
) -> None:
    agent_cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    agent_cli("agent", "run", "--as-of", DAY)
    [action] = actions(session, "handoff_support")
    assert action.status == "done"
    [row] = session.scalars(select(Handoff)).all()
    assert action.message_ref == f"handoff:{row.id}"
    assert row.lane == "support"
    assert row.evidence == action.evidence
    assert row.evidence
    assert row.author == "agent@tenure.invalid"
    assert row.webhook_url == hook.url
    assert row.webhook_status == "pending"
    assert row.message is not None
    assert row.message.status == "approved"
    assert row.message.idempotency_key == f"handoff:{row.id}"  # the service's own email

    agent_cli("mail", "send")  # the email, and the first webhook delivery (answered 500)
    [sent] = smtp.received
    assert sent.rcpt_tos == ["support@example.com"]
    assert sent.email["Subject"].startswith("A support problem for Acme Corp")
    agent_cli("handoff", "deliver")  # retried, and taken
    assert len(hook.received) == 2
    for headers, body in hook.received:
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Tenure-Signature"] == f"sha256={expected}"
        assert headers["X-Tenure-Delivery"] == str(row.id)
    payload = json.loads(hook.received[1][1])
    assert payload["lane"] == "support"
    assert payload["evidence"] == action.evidence
    session.expire_all()
    assert session.get_one(Handoff, row.id).webhook_status == "delivered"

    # The same day again hands nothing off twice.
    assert agent_cli("agent", "run", "--as-of", DAY, "--format", "json").json() == []
    assert len(session.scalars(select(Handoff)).all()) == 1


def _sponsors(cli: Cli, files: Files) -> None:
    cli(
        "import",
        "contacts",
        str(
            files.csv(
                "sponsors.csv",
                [
                    {
                        "external_id": f"i{k}",
                        "account_external_id": "initech",
                        "name": name,
                        "email": email,
                        "seniority": "vp",
                        "is_sponsor": "true",
                    }
                    for k, (name, email) in enumerate(
                        [("Ivy Tan", "ivy@initech.com"), ("Ole Berg", "ole@initech.com")]
                    )
                ],
            )
        ),
    )


def test_a_missing_survey_is_scheduled_for_the_sponsors(
    agent_cli: Cli,
    database: Database,
    session: Session,
    smtp: SmtpServer,
    files: Files,
    tmp_path: Path,
) -> None:
    _sponsors(agent_cli, files)
    with database.unit_of_work() as s:
        outbox.suppress(s, "ole@initech.com", "unsubscribed")
    # Surveys are decided on their own; sending still needs a person (send_message).
    mandate = acting_mandate(
        tmp_path, **{'schedule_survey = "approve"': 'schedule_survey = "auto"'}
    )
    agent_cli("agent", "mandate", "load", str(mandate))
    agent_cli("agent", "run", "--as-of", DAY)
    [survey] = actions(session, "survey")
    assert survey.account_external_id == "initech"
    assert survey.key == "initech:survey_missing.survey:2026Q4"
    assert survey.status == "awaiting_approval"
    assert survey.payload["to"] == ["ivy@initech.com", "ole@initech.com"]
    campaign = session.scalars(select(SurveyCampaign)).one()
    assert survey.message_ref == f"survey:{campaign.id}"
    assert campaign.audience["accounts"] == ["initech"]
    assert campaign.audience["role"] == "sponsor"
    invitations = {
        m.to_email: m for m in session.scalars(select(Message).where(Message.source == "survey"))
    }
    assert invitations["ivy@initech.com"].status == "pending_approval"
    assert invitations["ole@initech.com"].status == "suppressed"  # opted out: never sent
    agent_cli("mail", "send")
    # Nothing leaves for the client without the approval the mandate requires.
    assert [r.rcpt_tos for r in smtp.received] == [["support@example.com"]]

    # Idempotent per (account, play, window): the quarter's survey is scheduled once.
    agent_cli("agent", "run", "--as-of", DAY)
    agent_cli("agent", "run", "--as-of", "2026-12-02")
    assert len(actions(session, "survey")) == 1
    assert len(session.scalars(select(SurveyCampaign)).all()) == 1

    # A person approves: the invitation goes, to the sponsor who did not opt out only.
    agent_cli("agent", "approve", str(survey.id), "--by", "ana.silva@example.com")
    agent_cli("mail", "send")
    assert [r.rcpt_tos for r in smtp.received] == [["support@example.com"], ["ivy@initech.com"]]
    assert actions(session, "survey")[0].status == "approved"


def test_a_survey_to_opted_out_sponsors_only_is_refused(
    agent_cli: Cli, database: Database, session: Session, files: Files, tmp_path: Path
) -> None:
    _sponsors(agent_cli, files)
    with database.unit_of_work() as s:
        outbox.suppress(s, "ivy@initech.com", "unsubscribed")
        outbox.suppress(s, "ole@initech.com", "manual")
    mandate = acting_mandate(
        tmp_path, **{'schedule_survey = "approve"': 'schedule_survey = "auto"'}
    )
    agent_cli("agent", "mandate", "load", str(mandate))
    agent_cli("agent", "run", "--as-of", DAY)
    [survey] = actions(session, "survey")
    assert survey.status == "refused"
    assert "never sends to a contact who opted out" in survey.reason
    assert session.scalars(select(SurveyCampaign)).all() == []


def test_first_value_is_read_from_the_accounts_goals(
    agent_cli: Cli, database: Database, session: Session, tmp_path: Path
) -> None:
    with database.unit_of_work() as s:
        acme = s.scalars(select(Account).where(Account.external_id == "acme")).one()
        goal = goals.create_goal(
            s,
            acme,
            GoalCreate(
                title="Faster month-end close",
                measure="days to close the books",
                baseline=10,
                target=4,
                unit="days",
                due_date=date(2027, 3, 31),
                milestones=[
                    MilestoneCreate(title="First ledger synced", due_date=date(2026, 11, 15)),
                    MilestoneCreate(title="Close in 6 days", due_date=date(2027, 1, 31)),
                ],
            ),
            "ana.silva@example.com",
        )
        goal.created_at = datetime(2026, 10, 1, tzinfo=UTC)
        goal_id, milestone_id = goal.id, goal.milestones[0].id
    agent_cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    agent_cli("agent", "run", "--as-of", DAY)
    session.expire_all()
    found = [
        a
        for a in session.scalars(select(AgentAction))
        if a.trigger.startswith("first_value_missed")
    ]
    assert [a.account_external_id for a in found] == ["acme"]
    assert found[0].key == f"acme:first_value_missed.task:milestone-{milestone_id}"
    assert "First ledger synced" in found[0].evidence[0]
    assert "2026-11-15" in found[0].evidence[0]

    acme = brief.account_of(session, "acme")
    lines = [
        line for line in brief.build(session, acme, date(2026, 12, 1)) if line.section == "goals"
    ]
    assert [line.source for line in lines] == [f"goal:{goal_id}"]
    assert "Faster month-end close" in lines[0].text
    assert "recorded by the CSM" in lines[0].text
    assert "first-value milestone: First ledger synced (due 2026-11-15)" in lines[0].text

    # Reached: the trigger is gone on a later day.
    with database.unit_of_work() as s:
        g = goals.get_goal(s, goal_id)
        g.milestones[0].reached_on = date(2026, 11, 20)
    agent_cli("agent", "run", "--as-of", "2026-12-02")
    session.expire_all()
    assert not [
        a
        for a in session.scalars(select(AgentAction).where(AgentAction.day == date(2026, 12, 2)))
        if a.trigger.startswith("first_value_missed")
    ]


def test_a_detractor_followed_up_by_surveys_gets_no_second_task(
    agent_cli: Cli, database: Database, session: Session, tmp_path: Path
) -> None:
    with database.unit_of_work() as s:
        campaign = surveys.create_campaign(
            s,
            CampaignCreate(
                name="Acme NPS",
                kind="nps",
                audience=Audience(accounts=["acme"], role="all", active_only=False),
            ),
            "mia@example.com",
        )
        survey_mail.invite(s, agent_cli_settings(agent_cli), campaign, utc_now())
    agent_cli("mail", "send")
    with database.unit_of_work() as s:
        campaign = surveys.get_campaign(s, "Acme NPS")
        survey_mail.sync(s, campaign)
        dan = s.scalars(
            select(SurveyRecipient).where(SurveyRecipient.email == "dan@acme.com")
        ).one()
        token = surveys.answer_token(agent_cli_settings(agent_cli), dan)
        answered = surveys.answer(s, agent_cli_settings(agent_cli), token, 2, utc_now())
        assert answered.task is not None
        follow_up_id = answered.task.id
    agent_cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    today = utc_today().isoformat()
    agent_cli("agent", "run", "--as-of", today)
    session.expire_all()
    detractor = [
        a for a in session.scalars(select(AgentAction)) if a.trigger == "detractor:dan@acme.com"
    ]
    # The draft to Dan is proposed; the task is the surveys domain's, not a second one.
    assert [a.kind for a in detractor] == ["draft"]
    open_tasks = list(
        session.scalars(
            select(Task).where(Task.account_id == answered_account(session), Task.status == "open")
        )
    )
    answering = [t for t in open_tasks if any(x.startswith("detractor") for x in t.signals)]
    assert [t.id for t in answering] == [follow_up_id]


def agent_cli_settings(cli: Cli) -> Settings:
    return Settings(
        data_dir=Path(cli.env["TENURE_DATA_DIR"]),
        database_url=cli.env["TENURE_DATABASE_URL"],
        public_url=cli.env["TENURE_PUBLIC_URL"],
        secret_key=cli.env["TENURE_SECRET_KEY"],
    )


def answered_account(session: Session) -> int:
    return session.scalars(select(Account.id).where(Account.external_id == "acme")).one()
