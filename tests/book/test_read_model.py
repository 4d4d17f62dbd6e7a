"""One read model of the book: the accounts CLI and API, the book page and its export choose
and order accounts the same way, and the SQL "active on day" rule is the Python one."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tenure.accounts.service import AccountFilter, list_accounts
from tenure.book.query import BookQuery, all_rows, book_page, matching_ids
from tenure.kit.errors import TenureError
from tenure.models import Account, Contract, ContractStatus, Tier

AS_OF = date(2026, 11, 23)
FILTERS = [
    {},
    {"csm": "ana.silva@example.com"},
    {"tier": "free"},
    {"segment": "enterprise"},
    {"search": "GLOB"},
    {"search": "corp", "tier": "paid"},
    {"search": "nothing like it"},
]


@pytest.fixture
def loaded(initialised, book, session):
    book.load(initialised)
    return session


@pytest.mark.parametrize("view", FILTERS)
def test_the_cli_api_and_page_list_the_same_accounts_in_the_same_order(
    loaded, settings, initialised, view
):
    where = AccountFilter(
        csm_email=view.get("csm"),
        tier=view.get("tier"),
        segment=view.get("segment"),
        search=view.get("search"),
    )
    listed = [a.external_id for a in list_accounts(loaded, settings, AS_OF, where)]
    query = BookQuery(status="all", sort="name", **view)
    page = [r.external_id for r in book_page(loaded, settings, AS_OF, query).rows]
    _, exported = all_rows(loaded, settings, AS_OF, query)
    assert listed == page == [r.external_id for r in exported]
    args = [f"--{k}={v}" for k, v in view.items()]
    cli = initialised("accounts", "list", "--as-of", AS_OF.isoformat(), *args, "--format", "json")
    assert [r["external_id"] for r in cli.json()] == listed


def test_pages_of_the_read_model_add_up_to_the_whole_view(loaded, settings):
    view = BookQuery(status="all", sort="name")
    whole = matching_ids(loaded, settings, AS_OF, view)
    assert len(whole) == 3
    assert [matching_ids(loaded, settings, AS_OF, view, 1, n)[0] for n in range(3)] == whole
    listed = list_accounts(loaded, settings, AS_OF, limit=2, offset=1)
    names = dict(loaded.execute(select(Account.id, Account.external_id)).tuples().all())
    assert [a.external_id for a in listed] == [names[i] for i in whole[1:3]]


def test_a_bad_filter_is_refused_naming_it(loaded, settings):
    with pytest.raises(TenureError, match="tier: 'gold': use one of free, trial, paid"):
        list_accounts(loaded, settings, AS_OF, AccountFilter(tier="gold"))


def test_contract_active_on_in_sql_is_the_python_rule(session):
    """start_date <= D < end_date, whatever the status, on random contracts and days."""
    rng = random.Random(7)
    account = Account(external_id="a", name="A", tier=Tier.paid, attributes={})
    session.add(account)
    session.flush()
    contracts = []
    for n in range(60):
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 60))
        contract = Contract(
            external_id=f"c{n}",
            account_id=account.id,
            start_date=start,
            end_date=start + timedelta(days=rng.randrange(0, 40)),  # some empty, never active
            arr=Decimal(100),
            currency="USD",
            status=rng.choice(list(ContractStatus)),
        )
        contracts.append(contract)
    session.add_all(contracts)
    session.flush()
    for day in [date(2026, 1, 1) + timedelta(days=d) for d in range(-1, 102, 3)]:
        in_sql = set(session.scalars(select(Contract.external_id).where(Contract.active_on(day))))
        in_python = {c.external_id for c in contracts if c.is_active_on(day)}
        assert in_sql == in_python, day
