"""A QBR meeting goes on the account's timeline with its agreed actions, which become tasks
for the account's CSM; a pack on an empty quarter still renders."""

from __future__ import annotations

from sqlalchemy import select

from tenure.db import Database
from tenure.models import Account, Task, TimelineEntry, TimelineKind
from tenure.plans.service import KEPT_ON_REPLAN
from tenure.reports.qbr_meeting import QBR_ACTIVITY
from tenure.surveys.service import FOLLOW_UP_ACTIVITY
from tests.conftest import Book, Cli


def test_a_qbr_meeting_and_its_agreed_actions(initialised: Cli, book: Book, settings):
    cli = initialised
    book.load(cli)
    logged = cli(
        "qbr-meeting",
        "acme",
        "--on",
        "2026-11-25",
        "--summary",
        "Quarterly review with the CFO",
        "--action",
        "Train the new analysts@2026-12-15",
        "--action",
        "Share the usage report monthly@2027-01-31",
    )
    assert "qbr-acme-2026-11-25.1, qbr-acme-2026-11-25.2" in logged.stderr
    database = Database(settings)
    try:
        with database.sessions() as session:
            account = session.scalar(select(Account).where(Account.external_id == "acme"))
            assert account is not None
            entry = session.scalar(
                select(TimelineEntry).where(
                    TimelineEntry.account_id == account.id,
                    TimelineEntry.kind == TimelineKind.meeting,
                )
            )
            assert entry is not None
            assert "QBR meeting: Quarterly review with the CFO" in entry.text
            assert "- Train the new analysts (by 2026-12-15)" in entry.text
            tasks = session.scalars(
                select(Task).where(Task.account_id == account.id).order_by(Task.reference)
            ).all()
            assert [(t.description, str(t.deadline), str(t.quarter_start)) for t in tasks] == [
                ("Train the new analysts", "2026-12-15", "2026-10-01"),
                ("Share the usage report monthly", "2027-01-31", "2027-01-01"),
            ]
            assert {t.owner.email for t in tasks} == {"ana.silva@example.com"}
    finally:
        database.dispose()
    listed = cli(
        "tasks",
        "list",
        "--csm",
        "ana.silva@example.com",
        "--quarter-start",
        "2026-10-01",
        "--format",
        "json",
    ).json()
    assert any(t["reference"] == "qbr-acme-2026-11-25.1" for t in listed)

    # Re-planning the quarter keeps what was agreed with the client.
    cli("plan", "--csm", "ana.silva@example.com", "--quarter-start", "2026-10-01", "--save")
    replanned = cli(
        "tasks",
        "list",
        "--csm",
        "ana.silva@example.com",
        "--quarter-start",
        "2026-10-01",
        "--format",
        "json",
    ).json()
    assert any(t["reference"] == "qbr-acme-2026-11-25.1" for t in replanned)
    assert QBR_ACTIVITY in KEPT_ON_REPLAN
    assert FOLLOW_UP_ACTIVITY in KEPT_ON_REPLAN

    wrong = cli("qbr-meeting", "acme", "--action", "No date here", ok=False)
    assert "write it as TEXT@YYYY-MM-DD" in wrong.stderr
    late = cli("qbr-meeting", "acme", "--on", "2026-11-25", "--action", "Past@2026-11-01", ok=False)
    assert "is before the meeting" in late.stderr
    not_first = cli("qbr", "acme", "--quarter-start", "2026-11-15", ok=False)
    assert "2026-11-15 is not the first day of a quarter" in not_first.stderr


def test_a_pack_of_a_small_book_renders_as_html(initialised: Cli, book: Book, tmp_path):
    book.load(initialised)
    out = tmp_path / "qbr.html"
    initialised(
        "qbr",
        "acme",
        "--quarter-start",
        "2026-10-01",
        "--as-of",
        "2026-11-25",
        "--format",
        "html",
        "-o",
        str(out),
    )
    page = out.read_text()
    assert "Acme Corp: quarterly business review" in page
    assert "Tickets opened" in page
    assert "carla@acme.com" not in page  # her answer was in May, not this quarter
    assert "dan@acme.com" in page  # the NPS 6 of 2026-10-02
    assert "$52,000" in page
    assert "No success goals are recorded" in page
