"""The outbox end to end on a real SMTP server: drafted from a template, approved, sent
exactly once (even when the sender is killed mid-send), consent, the timeline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.models import Message, TimelineEntry, TimelineKind
from tests.conftest import Cli
from tests.messaging.smtp import SmtpServer

TENURE = [sys.executable, "-m", "tenure.cli"]
CSM = "ana.silva@example.com"
MANAGER = "mia.manager@example.com"


def draft(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli(
        "mail",
        "draft",
        "--template",
        "renewal_reminder",
        "--account",
        "acme",
        "--author",
        CSM,
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
        *args,
    ).json()
    assert isinstance(result, list)
    return result


def test_drafted_approved_and_sent_reaches_the_server_once(booked: Cli, smtp: SmtpServer) -> None:
    [message] = draft(booked, "--contact", "carla@acme.com")
    assert message["status"] == "draft"
    booked("mail", "approve", str(message["id"]), "--as", MANAGER)
    booked("mail", "send")
    booked("mail", "send")  # nothing left to send: the second run sends nothing again

    [received] = smtp.received
    assert received.rcpt_tos == ["carla@acme.com"]
    email = received.email
    assert email["Message-ID"] == message["message_id"]
    assert email["Subject"] == "Acme Corp: your renewal on 2027-02-01"
    assert email["From"] == "Customer Success <cs@shortener.example>"
    assert email["Reply-To"] == CSM
    unsubscribe = email["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://tenure.example/unsubscribe/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Hello Carla," in text.get_content()
    assert "renews on 2027-02-01" in text.get_content()
    assert unsubscribe[1:-1] in text.get_content()
    assert "<strong>2027-02-01</strong>" in html.get_content()

    [row] = booked("mail", "list", "--format", "json").json()  # type: ignore[misc]
    assert row["status"] == "sent"
    assert row["attempts"] == 1
    assert row["approved_by"] == MANAGER
    assert str(row["last_answer"]).startswith("250")


def test_the_author_cannot_approve_their_own_client_message(booked: Cli) -> None:
    [message] = draft(booked, "--contact", "carla@acme.com")
    refused = booked("mail", "approve", str(message["id"]), "--as", CSM, ok=False)
    assert refused.code == 1
    assert "its author cannot approve a client message" in refused.stderr
    [row] = booked("mail", "list", "--format", "json").json()  # type: ignore[misc]
    assert row["status"] == "draft"


def sender(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*TENURE, "mail", "send"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.parametrize("where", ["rcpt", "data"])
def test_a_sender_killed_mid_send_and_restarted_sends_exactly_once(
    booked: Cli, mail_env: dict[str, str], smtp: SmtpServer, session: Session, where: str
) -> None:
    """Killed while the server holds the conversation at RCPT (the text never left: the
    restarted sender sends it) or after the whole text arrived (it must not send it again)."""
    [message] = draft(booked, "--contact", "carla@acme.com")
    booked("mail", "approve", str(message["id"]), "--as", MANAGER)
    env = {**mail_env, "TENURE_MAIL_SENDING_LEASE_SECONDS": "1"}
    smtp.handler.hold = where
    process = sender(env)
    assert smtp.handler.reached.wait(60), "the sender never reached the server"
    process.send_signal(signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL
    smtp.handler.release.set()
    smtp.handler.hold = None
    row = session.scalars(select(Message)).one()
    assert row.status == "sending"  # the killed sender left its claim behind
    assert row.phase == ("data" if where == "data" else "connect")
    time.sleep(1.2)  # the claim's lease runs out

    restarted = subprocess.run(
        [*TENURE, "mail", "send"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restarted.returncode == 0, restarted.stderr
    subprocess.run([*TENURE, "mail", "send"], env={**os.environ, **env}, check=True, timeout=120)

    assert len(smtp.received) == 1
    assert smtp.received[0].email["Message-ID"] == message["message_id"]
    session.expire_all()
    row = session.scalars(select(Message)).one()
    assert row.status == "sent"
    if where == "rcpt":
        assert row.attempts == 2
        assert row.last_answer is not None
        assert row.last_answer.startswith("250")
    else:
        assert row.attempts == 1
        assert row.last_answer is not None
        assert row.last_answer.startswith("unconfirmed")
    entries = session.scalars(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.message)
    ).all()
    assert len(entries) == 1


def test_an_opted_out_contact_receives_nothing(
    booked: Cli, smtp: SmtpServer, session: Session
) -> None:
    booked("contacts", "opt-out", "Dan@Acme.com", "--reason", "unsubscribed")
    drafted = draft(booked)  # every contact of the account: Carla and Dan
    by_email = {m["to_email"]: m for m in drafted}
    assert by_email["dan@acme.com"]["status"] == "suppressed"
    assert by_email["carla@acme.com"]["status"] == "draft"
    refused = booked(
        "mail", "approve", str(by_email["dan@acme.com"]["id"]), "--as", MANAGER, ok=False
    )
    assert "suppressed" in refused.stderr
    booked("mail", "approve", str(by_email["carla@acme.com"]["id"]), "--as", MANAGER)

    # Opting out after approval, before sending, still stops it.
    [late] = draft(booked, "--contact", "carla@acme.com")
    booked("mail", "approve", str(late["id"]), "--as", MANAGER)
    booked("mail", "send", "--limit", "1")
    booked("contacts", "opt-out", "carla@acme.com")
    booked("mail", "send")

    assert [r.rcpt_tos for r in smtp.received] == [["carla@acme.com"]]
    statuses = {m.id: m.status for m in session.scalars(select(Message))}
    assert statuses[int(str(late["id"]))] == "suppressed"
    assert statuses[int(str(by_email["dan@acme.com"]["id"]))] == "suppressed"
    listed = booked("contacts", "suppressed", "--format", "json").json()
    assert {(r["email"], r["reason"]) for r in listed} == {  # type: ignore[union-attr]
        ("dan@acme.com", "unsubscribed"),
        ("carla@acme.com", "manual"),
    }


def test_every_sent_message_is_on_the_timeline_tied_to_its_contact(
    booked: Cli, smtp: SmtpServer, session: Session
) -> None:
    drafted = draft(booked)
    for message in drafted:
        booked("mail", "approve", str(message["id"]), "--as", MANAGER)
    booked("mail", "send")
    smtp.wait_for(2)
    messages = session.scalars(select(Message).order_by(Message.id)).all()
    entries = session.scalars(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.message)
    ).all()
    assert {(e.message_id, e.contact_id) for e in entries} == {
        (m.id, m.contact_id) for m in messages
    }
    assert all(m.contact_id is not None for m in messages)
    story = booked("accounts", "show", "acme", "--as-of", "2099-01-01", "--format", "json").json()
    assert isinstance(story, dict)
    shown = [e for e in story["timeline"] if e["kind"] == "message"]
    assert len(shown) == 2
    assert {e["text"] for e in shown} == {
        f"Sent {m.subject!r} to {m.to_name} <{m.to_email}>: written by its CSM" for m in messages
    }


def test_a_hard_bounce_suppresses_the_address_and_a_busy_server_is_retried(
    booked: Cli, smtp: SmtpServer, session: Session, mail_env: dict[str, str]
) -> None:
    smtp.handler.rcpt_answers["dan@acme.com"] = "550 5.1.1 no such user"
    smtp.handler.rcpt_answers["carla@acme.com"] = "451 4.3.0 try again later"
    drafted = draft(booked)
    for message in drafted:
        booked("mail", "approve", str(message["id"]), "--as", MANAGER)
    booked("mail", "send")
    rows = {m.to_email: m for m in session.scalars(select(Message))}
    assert rows["dan@acme.com"].status == "bounced"
    assert rows["dan@acme.com"].last_answer == "RCPT: 550 5.1.1 no such user"
    assert rows["carla@acme.com"].status == "approved"
    assert rows["carla@acme.com"].last_answer == "RCPT: 451 4.3.0 try again later"
    first_retry = rows["carla@acme.com"].next_attempt_at
    assert first_retry is not None
    listed = booked("contacts", "suppressed", "--format", "json").json()
    assert [(r["email"], r["reason"]) for r in listed] == [  # type: ignore[union-attr]
        ("dan@acme.com", "hard_bounce")
    ]
    # Not due yet: nothing is attempted. Then due (no back-off), and the server takes it.
    booked("mail", "send")
    session.expire_all()
    assert session.get(Message, rows["carla@acme.com"].id).attempts == 1  # type: ignore[union-attr]
    del smtp.handler.rcpt_answers["carla@acme.com"]
    quick = Cli({**mail_env, "TENURE_MAIL_RETRY_SECONDS": "0"})
    carla = session.get(Message, rows["carla@acme.com"].id)
    assert carla is not None
    carla.next_attempt_at = None
    session.commit()
    quick("mail", "send")
    session.expire_all()
    carla = session.get(Message, rows["carla@acme.com"].id)
    assert carla is not None
    assert carla.status == "sent"
    assert carla.attempts == 2
    assert [r.rcpt_tos for r in smtp.received] == [["carla@acme.com"]]


def test_the_daily_limit_stops_sending_with_a_clear_message(
    booked: Cli, smtp: SmtpServer, mail_env: dict[str, str]
) -> None:
    for message in draft(booked):
        booked("mail", "approve", str(message["id"]), "--as", MANAGER)
    limited = Cli({**mail_env, "TENURE_MAIL_DAILY_LIMIT": "1"})
    result = limited("mail", "send", ok=False)
    assert result.code == 1
    assert "daily sending limit of 1 reached (TENURE_MAIL_DAILY_LIMIT)" in result.stderr
    assert "1 approved message(s) wait for tomorrow" in result.stderr
    assert len(smtp.received) == 1
