"""Books of several days loaded together (what Today compares: today and a week ago) are the
books of each day loaded alone, and so are their signals; the team's advocates are the
advocate signals of the whole book."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenure.plans import service as plans
from tenure.warehouse import Warehouse
from tests.plans.enterprise import BOOK, CSM, QUARTER_START, SCORECARD, import_rows

WEEK_AGO = QUARTER_START - timedelta(days=7)
DAYS = [QUARTER_START, WEEK_AGO, QUARTER_START - timedelta(days=40)]
FIRST, SECOND, THIRD = (cl.external_id for cl in BOOK[:3])


def _stamp(day, hour: int = 9) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def _between_the_days() -> dict[str, list[dict[str, object]]]:
    """Tickets, contacts, answers and a contract that differ between the days compared."""
    ticket = {"kind": "problem", "priority": "high", "satisfied": ""}
    tickets = [
        # Open a week ago, closed since.
        {
            **ticket,
            "external_id": "t1",
            "account_external_id": FIRST,
            "opened_at": _stamp(DAYS[2]),
            "closed_at": _stamp(WEEK_AGO + timedelta(days=2)),
        },
        # Opened since a week ago, still open.
        *(
            {
                **ticket,
                "external_id": f"t2-{n}",
                "account_external_id": SECOND,
                "opened_at": _stamp(WEEK_AGO + timedelta(days=1)),
                "closed_at": "",
            }
            for n in range(3)
        ),
        # Closed the morning after the week-ago day: open at its end, closed today.
        {
            **ticket,
            "external_id": "t3",
            "account_external_id": THIRD,
            "opened_at": _stamp(DAYS[2]),
            "closed_at": _stamp(WEEK_AGO + timedelta(days=1), 8),
            "subject": "Feature request: exports",
        },
        {
            **ticket,
            "external_id": "t4",
            "account_external_id": THIRD,
            "opened_at": _stamp(DAYS[2]),
            "closed_at": "",
            "subject": "Feature request: more charts",
        },
    ]
    surveys = [
        {
            "external_id": "c1",
            "account_external_id": FIRST,
            "contact_email": "x@first.example",
            "kind": "csat",
            "sent_at": _stamp(WEEK_AGO),
            "score": "5",
            "responded_at": _stamp(WEEK_AGO + timedelta(days=3)),
        },
        {
            "external_id": "c2",
            "account_external_id": SECOND,
            "contact_email": "y@second.example",
            "kind": "csat",
            "sent_at": _stamp(DAYS[2]),
            "score": "2",
            "responded_at": _stamp(DAYS[2] + timedelta(days=1)),
        },
    ]
    contacts = [
        {
            "external_id": "p1",
            "account_external_id": SECOND,
            "name": "Vera Lin",
            "email": "vera@second.example",
            "title": "VP",
            "seniority": "vp",
            "is_sponsor": "true",
            "user_id": "",
        },
        {
            "external_id": "p2",
            "account_external_id": THIRD,
            "name": "Sam Roe",
            "email": "sam@third.example",
            "title": "Analyst",
            "seniority": "staff",
            "is_sponsor": "false",
            "user_id": "",
        },
    ]
    contracts = [
        # Started between the two days: active today only.
        {
            "external_id": "k-new",
            "account_external_id": FIRST,
            "start_date": (WEEK_AGO + timedelta(days=2)).isoformat(),
            "end_date": (QUARTER_START + timedelta(days=60)).isoformat(),
            "arr": "5000",
            "currency": "USD",
            "status": "active",
        },
    ]
    return {"tickets": tickets, "surveys": surveys, "contacts": contacts, "contracts": contracts}


@pytest.fixture
def loaded(initialised, files, settings, database):
    cli = initialised
    for kind, rows in import_rows().items():
        cli("import", kind, str(files.csv(f"{kind}.csv", rows)))
    for kind, rows in _between_the_days().items():
        cli("import", kind, str(files.csv(f"more-{kind}.csv", rows)))
    cli("scorecard", "load", str(files.text("enterprise.toml", SCORECARD)))
    warehouse = Warehouse(settings)
    with database.unit_of_work() as session:
        yield session, warehouse, settings


@pytest.mark.parametrize("csm", [None, CSM])
def test_books_of_several_days_are_each_days_book(loaded, csm):
    session, warehouse, settings = loaded
    together = plans.load_books(session, warehouse, settings, DAYS, csm)
    assert list(together) == DAYS
    for day in DAYS:
        alone = plans.load_book(session, warehouse, settings, day, csm)
        book = together[day]
        assert book.facts == alone.facts
        assert book.others == alone.others
        assert book.health == alone.health
        assert book.accounts.keys() == alone.accounts.keys()
        assert book.warnings == alone.warnings
    # The days differ where the data does: the books are not all the same one.
    now = {f.external_id: f for f in together[QUARTER_START].facts}
    before = {f.external_id: f for f in together[WEEK_AGO].facts}
    assert (now[FIRST].open_problems, before[FIRST].open_problems) == (0, 1)
    assert (now[SECOND].open_problems, before[SECOND].open_problems) == (3, 0)
    assert (now[THIRD].feature_requests, before[THIRD].feature_requests) == (1, 2)
    assert (now[FIRST].csat, before[FIRST].csat) == (5.0, None)
    assert now[SECOND].sponsor == before[SECOND].sponsor == "vp"
    # The week-ago day's window still holds the earlier metrics (its usage is its own).
    assert now[FIRST].usage["product_score"] != before[FIRST].usage["product_score"]


@pytest.mark.parametrize("csm", [None, CSM])
def test_signals_of_several_days_are_each_days_signals(loaded, csm):
    session, warehouse, settings = loaded
    together = plans.account_signals_days(session, warehouse, settings, DAYS, csm)
    for day in DAYS:
        assert together[day] == plans.account_signals(session, warehouse, settings, day, csm)
    assert together[QUARTER_START] != together[WEEK_AGO]


def test_advocates_are_the_advocate_signals(loaded):
    session, warehouse, settings = loaded
    for day in DAYS:
        rows = plans.account_signals(session, warehouse, settings, day)
        wanted = [r for r in rows if r.kind == "advocate_candidate"]
        assert plans.advocate_signals(session, warehouse, settings, day) == wanted
    assert plans.advocate_signals(session, warehouse, settings, QUARTER_START)


def test_latest_metrics_of_several_days_in_one_query(loaded):
    _, warehouse, _ = loaded
    days = [*DAYS, QUARTER_START - timedelta(days=1000)]
    found = warehouse.metrics.latest_days(days, 30)
    assert list(found) == days
    for day in days:
        alone = warehouse.metrics.latest(day, 30).to_pylist()
        assert found[day] == [(r["account_external_id"], r["metric"], r["value"]) for r in alone]
    assert found[QUARTER_START]
    assert not found[days[-1]]
