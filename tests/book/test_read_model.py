"""One read model of the book: the accounts CLI and API, the book page and its export choose
and order accounts the same way, and the SQL "active on day" rule is the Python one."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tenure.accounts.service import AccountFilter, list_accounts
from tenure.book.query import (
    BookQuery,
    ShownScorecard,
    all_rows,
    book_page,
    current_client,
    matching_ids,
)
from tenure.health.scorecards import default_source, parse_scorecard
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


def test_one_account_by_its_id_and_an_unknown_csm_owns_nothing(loaded, settings):
    one = BookQuery(status="all", sort="name", external_id="globex")
    _, rows = all_rows(loaded, settings, AS_OF, one)
    assert [r.external_id for r in rows] == ["globex"]
    unassigned = Account(external_id="nobodys", name="Nobody's", tier=Tier.free, attributes={})
    loaded.add(unassigned)
    loaded.flush()
    stranger = BookQuery(status="all", sort="name", csm="stranger@example.com")
    assert matching_ids(loaded, settings, AS_OF, stranger) == []
    everyone = matching_ids(loaded, settings, AS_OF, BookQuery(status="all", sort="name"))
    assert unassigned.id in everyone


def test_a_client_on_a_day_is_a_contract_active_that_day_or_a_free_account_since(session):
    """`current_client`: paid accounts by their contracts (none, ended, not started yet: not
    a client); free ones from their customer_since on, whatever contract they once had."""
    day = date(2026, 6, 1)
    accounts = {
        name: Account(external_id=name, name=name, tier=tier, customer_since=since, attributes={})
        for name, tier, since in [
            ("active", Tier.paid, None),
            ("ended", Tier.paid, date(2025, 1, 1)),
            ("starts_later", Tier.paid, date(2025, 1, 1)),
            ("no_contract", Tier.paid, date(2025, 1, 1)),
            ("free", Tier.free, None),
            ("free_downgraded", Tier.free, date(2025, 1, 1)),
            ("free_later", Tier.trial, date(2026, 7, 1)),
        ]
    }
    session.add_all(accounts.values())
    session.flush()
    spans = {
        "active": (date(2026, 1, 1), date(2027, 1, 1)),
        "ended": (date(2025, 1, 1), date(2026, 6, 1)),  # the end date is exclusive
        "starts_later": (date(2026, 6, 2), date(2027, 6, 2)),
        "free_downgraded": (date(2025, 1, 1), date(2026, 1, 1)),
    }
    session.add_all(
        Contract(
            external_id=f"k-{name}",
            account_id=accounts[name].id,
            start_date=start,
            end_date=end,
            arr=Decimal(100),
            currency="USD",
            status=ContractStatus.active,
        )
        for name, (start, end) in spans.items()
    )
    session.flush()
    clients = set(session.scalars(select(Account.external_id).where(current_client(day))))
    assert clients == {"active", "free", "free_downgraded"}


def test_the_book_reads_stored_scorecards_as_health_parses_them():
    """The book reads bands and components from a stored definition without health's parser;
    both read the same from the shipped scorecard and from one with other bands and a
    component without a label (its title is its key in words)."""
    shipped = default_source()
    changed = (
        shipped.replace("red = 50 ", "red = 40 ", 1)
        .replace("red = 3 ", "red = 2 ", 1)
        .replace('label = "Product usage"\n', "", 1)
    )
    assert changed != shipped
    for source in (shipped, changed):
        card = parse_scorecard(source, "card.toml").scorecard
        shown = ShownScorecard.from_definition(card.to_dict())
        assert shown.bands == card.bands
        assert shown.renewal_bands == card.renewal_bands
        assert [(c.key, c.title) for c in shown.components] == [
            (c.key, c.title) for c in card.components
        ]
    other = ShownScorecard.from_definition(parse_scorecard(changed).scorecard.to_dict())
    assert (other.bands.red, other.renewal_bands.red, other.components[0].title) == (
        40,
        2,
        "product",
    )
