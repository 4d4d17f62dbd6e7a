"""Outreach to the accounts that look like a successful pilot, naming what it did."""

from __future__ import annotations

from tests.conftest import BOOK_CONTACTS, Book, Cli, Files


def test_a_lookalike_of_the_pilot_gets_an_outreach_draft_naming_the_pilot(
    mail: Cli, book: Book, files: Files
) -> None:
    book.contacts = files.csv(
        "contacts.csv",
        [
            *BOOK_CONTACTS,
            {
                "external_id": "p3",
                "account_external_id": "initech",
                "name": "Ines Ito",
                "email": "ines@initech.com",
                "title": "CEO",
                "seniority": "c_level",
                "is_sponsor": "true",
                "user_id": "u-3",
            },
        ],
    )
    # Initech uses the product the way acme (the pilot) does; globex does not.
    usage = {"acme": (900, 400), "initech": (800, 350), "globex": (10, 5)}
    book.metrics = files.csv(
        "metrics.csv",
        [
            {"account_external_id": a, "metric": m, "date": "2026-11-20", "value": v}
            for a, values in usage.items()
            for m, v in zip(("link_clicks_28d", "links_created_28d"), values, strict=True)
        ],
    )
    book.load(mail)
    found = mail(
        "report",
        "pilots",
        "--like",
        "acme",
        "--as-of",
        "2026-11-22",
        "--dry-run",
        "--format",
        "json",
    ).json()
    assert isinstance(found, list)
    assert [f["account_external_id"] for f in found] == ["initech"]
    mail(
        "report",
        "pilots",
        "--like",
        "acme",
        "--as-of",
        "2026-11-22",
        "--what",
        "gave every recipient of its newsletter a unique short link",
        "--result",
        "It learnt which 38% of readers clicked.",
    )
    [message] = mail("mail", "list", "--format", "json").json()  # type: ignore[misc]
    assert message["to_email"] == "ines@initech.com"
    assert message["template"] == "pilot_outreach"
    assert message["reason"].startswith("looks like acme's successful pilot")
    shown = mail("mail", "show", str(message["id"]), "--format", "json").json()
    assert isinstance(shown, list)
    text = shown[0]["text"]
    assert "One of our clients gave every recipient of its newsletter a unique short link." in text
    assert "usage resembles acme's" in text
