"""Imports: every kind, both file formats, idempotent, all or nothing, every problem named."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenure.models import Account, Contact, Contract, SurveyResponse, Ticket, User


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every imported table, without surrogate keys or creation times."""
    session.expire_all()
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for model in (Account, Contract, Contact, Ticket, SurveyResponse, User):
        columns = [c for c in model.__table__.columns if c.name not in {"id", "created_at"}]
        rows = session.execute(sa.select(*columns)).all()
        tables[model.__tablename__] = sorted(tuple(str(v) for v in row) for row in rows)
    return tables


def test_book_imports_every_kind(initialised, book, session):
    book.load(initialised)
    acme = session.scalar(sa.select(Account).where(Account.external_id == "acme"))
    assert acme is not None
    assert acme.owner is not None
    assert acme.owner.email == "ana.silva@example.com"
    assert acme.owner.name == "Ana Silva"
    assert acme.owner.role.value == "csm"
    assert acme.attributes == {"region": "EMEA"}
    assert [c.arr for c in acme.contracts] == [Decimal("48000"), Decimal("52000")]
    sponsor = [c for c in acme.contacts if c.is_sponsor]
    assert [c.name for c in sponsor] == ["Carla Diaz"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2
    unanswered = session.scalar(sa.select(SurveyResponse).where(SurveyResponse.external_id == "s3"))
    assert unanswered is not None
    assert unanswered.score is None


def test_importing_the_same_files_twice_changes_nothing(initialised, book, session, settings):
    from tenure.warehouse import Warehouse

    book.load(initialised)
    before = snapshot(session)
    metrics = Warehouse(settings).metrics
    version = metrics.table.manifest().version
    rows_before = metrics.read().to_pylist()
    for kind in ("accounts", "contracts", "contacts", "tickets", "surveys", "metrics"):
        result = initialised("import", kind, str(getattr(book, kind)))
        assert "0 created, 0 updated" in result.stderr
    assert snapshot(session) == before
    assert metrics.table.manifest().version == version
    assert metrics.read().to_pylist() == rows_before


def test_jsonl_imports_like_csv(initialised, files, session):
    files_ = files
    accounts = files_.jsonl(
        "accounts.jsonl",
        [
            {
                "external_id": "a1",
                "name": "One",
                "tier": "trial",
                "csm_email": "c@x.io",
                "attributes": {"plan": "pro"},
                "employees": 120,
            },
        ],
    )
    contracts = files_.jsonl(
        "contracts.jsonl",
        [
            {
                "external_id": "k1",
                "account_external_id": "a1",
                "start_date": "2026-01-01",
                "end_date": "2027-01-01",
                "arr": 1200.5,
                "currency": "eur",
            }
        ],
    )
    metrics = files_.jsonl(
        "metrics.jsonl",
        [{"account_external_id": "a1", "metric": "seats_used", "date": "2026-03-01", "value": 7}],
    )
    for kind, path in (("accounts", accounts), ("contracts", contracts), ("metrics", metrics)):
        initialised("import", kind, str(path))
    account = session.scalar(sa.select(Account).where(Account.external_id == "a1"))
    assert account is not None
    assert account.attributes == {"plan": "pro", "employees": 120}
    assert account.contracts[0].currency == "EUR"
    assert account.contracts[0].arr == Decimal("1200.50")
    shown = initialised(
        "accounts", "show", "a1", "--as-of", "2026-03-01", "--format", "json"
    ).json()
    assert shown["metrics"] == [
        {"account_external_id": "a1", "metric": "seats_used", "date": "2026-03-01", "value": 7.0}
    ]


def test_update_changes_only_given_columns_and_merges_attributes(initialised, book, files, session):
    book.load(initialised)
    update = files.csv(
        "update.csv", [{"external_id": "acme", "name": "Acme Corporation", "employees": "5000"}]
    )
    result = initialised("import", "accounts", str(update))
    assert "0 created, 1 updated" in result.stderr
    session.expire_all()
    acme = session.scalar(sa.select(Account).where(Account.external_id == "acme"))
    assert acme is not None
    assert acme.name == "Acme Corporation"
    assert acme.segment == "enterprise"  # not in the file: kept
    assert acme.owner is not None
    assert acme.owner.email == "ana.silva@example.com"
    assert acme.attributes == {"region": "EMEA", "employees": "5000"}


BAD_FILES: list[tuple[str, list[dict[str, object]], list[str]]] = [
    (
        "accounts",
        [
            {
                "external_id": "x1",
                "name": "",
                "tier": "gold",
                "csm_email": "not-an-email",
                "customer_since": "yesterday",
            },
            {
                "external_id": "x1",
                "name": "Dup",
                "tier": "paid",
                "csm_email": "",
                "customer_since": "",
            },
        ],
        [
            ":2: name: (empty): required",
            ":2: tier: 'gold': Input should be 'free', 'trial' or 'paid'",
            ":2: csm_email: 'not-an-email': not an email address",
            ":2: customer_since: 'yesterday': Input should be a valid date",
        ],
    ),
    (
        "contracts",
        [
            {
                "external_id": "k1",
                "account_external_id": "acme",
                "start_date": "2026-02-01",
                "end_date": "2026-01-01",
                "arr": "100",
                "currency": "USD",
                "status": "active",
            },
            {
                "external_id": "k2",
                "account_external_id": "nope",
                "start_date": "2026-02-30",
                "end_date": "2027-01-01",
                "arr": "-5",
                "currency": "dollars",
                "status": "lost",
            },
            {
                "external_id": "k1",
                "account_external_id": "acme",
                "start_date": "2026-01-01",
                "end_date": "2027-01-01",
                "arr": "100",
                "currency": "USD",
                "status": "active",
            },
        ],
        [
            ":2: end_date: '2026-01-01': end_date must be after start_date",
            ":3: account_external_id: 'nope': no such account (import accounts first)",
            ":3: start_date: '2026-02-30': Input should be a valid date",
            ":3: arr: '-5': Input should be greater than or equal to 0",
            ":3: currency: 'dollars': not a three-letter ISO 4217 currency code",
            ":3: status: 'lost': Input should be 'active', 'renewed', 'churned' or 'expired'",
            ":4: external_id: 'k1': also on row 2",
        ],
    ),
    (
        "contacts",
        [
            {
                "external_id": "p9",
                "account_external_id": "acme",
                "name": "Zed",
                "seniority": "intern",
                "is_sponsor": "maybe",
            },
        ],
        [
            ":2: seniority: 'intern': Input should be 'c_level', 'vp', 'director', 'manager' or",
            ":2: is_sponsor: 'maybe': Input should be a valid boolean",
        ],
    ),
    (
        "tickets",
        [
            {
                "external_id": "t9",
                "account_external_id": "acme",
                "opened_at": "2026-11-02T00:00:00Z",
                "closed_at": "2026-11-01T00:00:00Z",
                "kind": "complaint",
            },
        ],
        [
            ":2: kind: 'complaint': Input should be 'question' or 'problem'",
        ],
    ),
    (
        "surveys",
        [
            {
                "external_id": "s9",
                "account_external_id": "acme",
                "kind": "nps",
                "sent_at": "2026-10-01T00:00:00Z",
                "score": "11",
                "responded_at": "2026-10-02T00:00:00Z",
            },
            {
                "external_id": "s10",
                "account_external_id": "acme",
                "kind": "csat",
                "sent_at": "2026-10-01T00:00:00Z",
                "score": "4",
                "responded_at": "",
            },
        ],
        [
            ":2: score: '11': score 11 is outside the nps scale 0-10",
            ":3: score: '4': a score needs responded_at",
        ],
    ),
    (
        "metrics",
        [
            {
                "account_external_id": "acme",
                "metric": "Logins 28d",
                "date": "2026-11-01",
                "value": "1",
            },
            {
                "account_external_id": "ghost",
                "metric": "logins_28d",
                "date": "2026-13-01",
                "value": "lots",
            },
            {
                "account_external_id": "acme",
                "metric": "logins_28d",
                "date": "2026-11-01",
                "value": "2",
            },
            {
                "account_external_id": "acme",
                "metric": "logins_28d",
                "date": "2026-11-01",
                "value": "3",
            },
        ],
        [
            ":2: metric: 'Logins 28d': a metric name is snake_case",
            ":3: account_external_id: 'ghost': no such account (import accounts first)",
            ":3: date: '2026-13-01': not a date (YYYY-MM-DD)",
            ":3: value: 'lots': not a number",
            ":5: date: '2026-11-01': logins_28d of acme for this day also on row 4",
        ],
    ),
]


@pytest.mark.parametrize(("kind", "rows", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_bad_rows_refuse_the_whole_file(
    initialised, book, files, session, kind, rows, expected, fmt
):
    book.load(initialised)
    before = snapshot(session)
    if fmt == "csv":
        path = files.csv(f"bad_{kind}.csv", rows)
    else:
        path = files.jsonl(
            f"bad_{kind}.jsonl", [{k: v for k, v in r.items() if v != ""} for r in rows]
        )
    result = initialised("import", kind, str(path), ok=False)
    assert result.code == 1
    assert "refused, nothing imported" in result.stderr
    lines = result.stderr.splitlines()
    for want in expected:
        if fmt == "jsonl":
            # JSON Lines have no header: data row n is on line n - 1 of the CSV's numbering
            line, rest = want[1:].split(":", 1)
            rest = re.sub(r"row (\d+)", lambda m: f"row {int(m[1]) - 1}", rest)
            want = f":{int(line) - 1}:{rest}"
            if "(empty)" in want:
                continue  # an absent JSON key is "required", checked in the CSV run
        assert any(f"{path}{want}" in line for line in lines), (
            f"missing {path}{want} in\n{result.stderr}"
        )
    assert snapshot(session) == before


def test_header_problems_name_the_column(initialised, book, files):
    book.load(initialised)
    path = files.csv("contracts.csv", [{"external_id": "k", "acount_external_id": "acme"}])
    result = initialised("import", "contracts", str(path), ok=False)
    assert f"{path}:1: account_external_id: missing column (required)" in result.stderr
    assert f"{path}:1: acount_external_id: unknown column" in result.stderr
    metrics = files.csv("m.csv", [{"account": "acme", "metric": "x", "day": "2026-01-01"}])
    result = initialised("import", "metrics", str(metrics), ok=False)
    assert f"{metrics}:1: account_external_id: missing column (required)" in result.stderr


def test_unreadable_files_are_named(initialised, files):
    missing = files.folder / "nope.csv"
    assert (
        f"{missing}: no such file"
        in initialised("import", "accounts", str(missing), ok=False).stderr
    )
    wrong = files.text("accounts.xlsx", "x")
    assert (
        "unknown file type '.xlsx'"
        in initialised("import", "accounts", str(wrong), ok=False).stderr
    )
    ragged = files.text("accounts.csv", "external_id,name\na1,One,extra\n")
    assert (
        f"{ragged}:2: has 3 cells where the header has 2"
        in initialised("import", "accounts", str(ragged), ok=False).stderr
    )
    broken = files.text("accounts.jsonl", '{"external_id": "a1", "name": "One"}\n{oops\n')
    assert (
        f"{broken}:2: not valid JSON"
        in initialised("import", "accounts", str(broken), ok=False).stderr
    )


def test_dry_run_writes_nothing(initialised, book, session):
    result = initialised("import", "accounts", str(book.accounts), "--dry-run")
    assert "3 created" in result.stderr
    assert "dry run" in result.stderr
    assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
