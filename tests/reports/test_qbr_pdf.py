"""A QBR pack of a demo account, rendered to PDF by WeasyPrint: its pages become images
(pdftoppm) and its text (pdftotext) shows every section filled from that account's own data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from tenure.db import Database
from tenure.models import Account, QbrSnapshot
from tenure.web.templating import percent
from tests.conftest import Cli
from tests.reports.demo_quarter import QUARTER, build

SECTIONS = [
    "Goals and their progress",
    "Health over the quarter",
    "Usage by feature and by user",
    "Adoption gaps",
    "Support summary",
    "Survey results and comments",
    "What was done this quarter",
    "Recommendations",
    "Plan for next quarter",
    "Renewal and contracts",
]
# What a section says when it has nothing of the account's own to show.
EMPTY = [
    "No success goals",
    "no health score this quarter",
    "No paid features",
    "No survey was answered",
    "No planned activity was marked done",
    "No signal asks for action",
    "Next quarter is not planned yet",
    "No contract is active",
]


def _text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def _sections(text: str) -> dict[str, str]:
    """Each section's text: from its title to the next section's (they come in order)."""
    starts, at = [], 0
    for title in SECTIONS:
        at = text.index(title, at)
        starts.append(at)
    ends = [*starts[1:], len(text)]
    return {t: text[s:e] for t, s, e in zip(SECTIONS, starts, ends, strict=True)}


@pytest.mark.timeout(600)
def test_a_demo_accounts_qbr_pdf_has_every_section_filled(cli: Cli, settings, tmp_path: Path):
    demo = build(cli, settings, tmp_path / "demo")
    pdf = tmp_path / "qbr.pdf"
    cli("qbr", demo.account, "--quarter-start", str(QUARTER), "--format", "pdf", "-o", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")

    pages = tmp_path / "pages"
    pages.mkdir()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(pages / "p")], check=True)
    images = sorted(pages.glob("p*.png"))
    assert len(images) >= 2
    for image in images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.stat().st_size > 5_000  # a page with something drawn on it

    text = _text(pdf)
    for title in SECTIONS:
        assert title in text, f"section {title!r} missing"
    sections = _sections(text)
    for empty in EMPTY:
        assert empty not in text, f"a section is empty: {empty!r}"

    database = Database(settings)
    try:
        with database.sessions() as session:
            account = session.scalar(select(Account).where(Account.external_id == demo.account))
            assert account is not None
            snapshot = session.scalar(
                select(QbrSnapshot).where(QbrSnapshot.account_id == account.id)
            )
            assert snapshot is not None
            figures = snapshot.figures
            name, csm = account.name, account.owner.email if account.owner else None
    finally:
        database.dispose()

    # Every figure printed is the account's own, read from its frozen snapshot.
    assert name in text
    assert csm in text
    assert "Cut partner onboarding to two weeks" in sections[SECTIONS[0]]
    assert "(first value)" in sections[SECTIONS[0]]
    assert percent(10 / 16) in sections[SECTIONS[0]]  # from 30 to 20 of 30 -> 14
    health = sections[SECTIONS[1]]
    assert str(figures["health"]["end"]["score"]) in health
    assert "Why:" in health
    usage = sections[SECTIONS[2]]
    top = figures["usage"]["features"][0]
    assert top["name"] in usage
    assert f"{top['total']:,}" in usage
    assert figures["usage"]["users"][0]["name"] in usage
    assert figures["usage"]["user_count"] > 0
    gaps = sections[SECTIONS[3]]
    assert all(g in gaps for g in figures["usage"]["gaps"])
    support = sections[SECTIONS[4]]
    assert figures["support"]["opened"] > 0
    opened = figures["support"]
    assert f"{opened['problems']} problems, {opened['questions']} questions" in support
    assert opened["problems"] + opened["questions"] == opened["opened"]
    surveys = sections[SECTIONS[5]]
    assert figures["surveys"]["answers"]
    for answer in figures["surveys"]["answers"]:
        assert answer["contact_email"] in surveys
    done = sections[SECTIONS[6]]
    assert figures["done"]
    assert figures["done"][0]["description"][:30] in done
    recommendations = sections[SECTIONS[7]]
    assert figures["recommendations"]
    assert figures["recommendations"][0]["evidence"][:20] in recommendations
    plan = sections[SECTIONS[8]]
    assert figures["next_plan"]
    assert figures["next_plan"][0]["description"][:25] in plan
    renewal = sections[SECTIONS[9]]
    assert figures["renewal"]["renewal_date"] in renewal
    assert f"{float(figures['renewal']['arr']):,.0f}" in renewal
