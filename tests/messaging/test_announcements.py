"""Announcements: the recipients and their count first, then one draft per contact."""

from __future__ import annotations

from tests.conftest import Cli
from tests.messaging.smtp import SmtpServer

MANAGER = "mia.manager@example.com"


def test_a_dry_run_lists_and_counts_the_recipients_and_drafts_nothing(booked: Cli) -> None:
    result = booked(
        "announce",
        "--template",
        "qbr_invitation",
        "--where",
        "tier=paid",
        "--contacts",
        "sponsor",
        "--dry-run",
        "--format",
        "json",
    )
    found = result.json()
    assert isinstance(found, list)
    assert [(r["account_external_id"], r["email"], r["role"]) for r in found] == [
        ("acme", "carla@acme.com", "sponsor")
    ]
    assert "1 recipients at 1 accounts (0 opted out or bounced)" in result.stderr
    assert booked("mail", "list", "--format", "json").json() == []


def test_an_announcement_drafts_one_message_per_contact_and_skips_the_opted_out(
    booked: Cli, smtp: SmtpServer
) -> None:
    booked("contacts", "opt-out", "dan@acme.com", "--reason", "unsubscribed")
    result = booked(
        "announce",
        "--template",
        "qbr_invitation",
        "--where",
        "segment=enterprise",
        "--where",
        "csm=Ana.Silva@example.com",
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
    )
    found = result.json()
    assert isinstance(found, list)
    assert {(r["email"], r["suppressed"]) for r in found} == {
        ("carla@acme.com", None),
        ("dan@acme.com", "unsubscribed"),
    }
    assert "2 recipients at 1 accounts (1 opted out or bounced)" in result.stderr
    outbox = booked("mail", "list", "--format", "json").json()
    assert isinstance(outbox, list)
    assert {(m["to_email"], m["status"]) for m in outbox} == {
        ("carla@acme.com", "pending_approval"),
        ("dan@acme.com", "suppressed"),
    }
    [batch] = {m["batch"] for m in outbox}
    assert batch.startswith("announcement:qbr_invitation:")
    booked("mail", "approve", "--batch", batch, "--as", MANAGER)
    booked("mail", "send")
    assert [r.rcpt_tos for r in smtp.received] == [["carla@acme.com"]]


def test_filters_that_match_nobody_or_make_no_sense_are_refused(booked: Cli) -> None:
    nobody = booked("announce", "--template", "qbr_invitation", "--where", "tier=free", ok=False)
    assert "no contact matches these filters: nothing drafted" in nobody.stderr
    bad = booked("announce", "--template", "qbr_invitation", "--where", "colour=red", ok=False)
    assert "--where colour: use tier, segment" in bad.stderr
    window = booked(
        "announce", "--template", "qbr_invitation", "--where", "renewal_within=soon", ok=False
    )
    assert "renewal_within=soon: a whole number of months" in window.stderr
    renewing = booked(
        "announce",
        "--template",
        "qbr_invitation",
        "--where",
        "renewal_within=2",
        "--as-of",
        "2026-11-23",
        "--dry-run",
        "--format",
        "json",
    ).json()
    assert {r["account_external_id"] for r in renewing} == {"acme"}  # type: ignore[union-attr]
