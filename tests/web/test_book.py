"""The book page: sorting on every column, filters, search, pages, "my book", alerts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tenure.models import AuditEntry, BookMark
from tenure.web import alerts
from tenure.web.alerts import changes
from tests.web.helpers import set_health


def shown(html: str) -> list[str]:
    """External ids of the accounts in the book table, in order."""
    return re.findall(r'<td class="client"><a href="/accounts/([^"]+)"', html)


@pytest.fixture
def scored(app, database):
    set_health(
        database,
        "acme",
        40,
        "red",
        "down",
        {"product": 30, "satisfaction": 60, "support": 80, "sponsorship": 100},
    )
    set_health(
        database,
        "globex",
        82,
        "green",
        "up",
        {"product": 90, "satisfaction": None, "support": 70, "sponsorship": 50},
    )
    return app


@pytest.mark.usefixtures("scored")
@pytest.mark.parametrize(
    ("sort", "ascending", "descending"),
    [
        ("health", ["acme", "globex", "initech"], ["globex", "acme", "initech"]),
        ("name", ["acme", "globex", "initech"], ["initech", "globex", "acme"]),
        ("arr", ["globex", "acme", "initech"], ["acme", "globex", "initech"]),
        ("renewal", ["acme", "globex", "initech"], ["globex", "acme", "initech"]),
        ("years", ["initech", "globex", "acme"], ["acme", "globex", "initech"]),
        ("csm", ["acme", "initech", "globex"], ["globex", "acme", "initech"]),
        ("tier", ["initech", "acme", "globex"], ["acme", "globex", "initech"]),
        ("segment", ["acme", "globex", "initech"], ["initech", "acme", "globex"]),
        ("trend", ["acme", "globex", "initech"], ["globex", "acme", "initech"]),
        ("c:product", ["acme", "globex", "initech"], ["globex", "acme", "initech"]),
        ("c:satisfaction", ["acme", "globex", "initech"], ["acme", "globex", "initech"]),
        ("c:sponsorship", ["globex", "acme", "initech"], ["acme", "globex", "initech"]),
    ],
)
def test_every_column_sorts_on_the_server(browser, sort, ascending, descending):
    manager = browser("manager")
    up = manager.get("/book", params={"sort": sort, "dir": "asc"})
    down = manager.get("/book", params={"sort": sort, "dir": "desc"})
    assert up.status_code == down.status_code == 200
    assert shown(up.text) == ascending
    assert shown(down.text) == descending
    # The header of the sorted column says so, and links to the other direction.
    assert 'aria-sort="ascending"' in up.text
    assert 'aria-sort="descending"' in down.text


@pytest.mark.usefixtures("scored")
def test_the_book_shows_health_components_arr_and_renewal_in_colour(browser):
    page = browser("manager").get("/book", params={"sort": "name"}).text
    acme = page[page.index('href="/accounts/acme"') : page.index('href="/accounts/globex"')]
    assert "Acme Corp" in acme
    assert "$52,000" in acme
    assert "2 mo" in acme
    assert "2027-02-01" in acme
    assert 'class="num cell red"><strong>40</strong>' in acme
    assert "▼ down" in acme
    assert 'class="num cell red">30<' in acme  # product 30: red
    assert 'class="num cell green">100<' in acme  # sponsorship 100: green
    assert 'class="num cell red">2 mo' in acme  # renewal in 0-3 months: red
    globex = page[page.index('href="/accounts/globex"') :]
    assert "no data" in globex.split("</tr>")[0]  # satisfaction missing
    assert "3.8" in acme  # years as a customer


@pytest.mark.usefixtures("scored")
def test_filters_and_search(browser):
    manager = browser("manager")

    def ids(**params):
        response = manager.get("/book", params={"sort": "name", **params})
        assert response.status_code == 200
        return shown(response.text)

    assert ids() == ["acme", "globex", "initech"]
    assert ids(csm="ana.silva@example.com") == ["acme", "initech"]
    assert ids(csm="ben.okafor@example.com") == ["globex"]
    assert ids(band="red") == ["acme"]
    assert ids(band="green") == ["globex"]
    assert ids(band="none") == ["initech"]
    assert ids(tier="free") == ["initech"]
    assert ids(segment="enterprise") == ["acme", "globex"]
    assert ids(search="GLOB") == ["globex"]
    assert ids(search="init") == ["initech"]  # by name or external id
    assert ids(search="corp", tier="paid", csm="ana.silva@example.com") == ["acme"]
    assert ids(search="nothing like it") == []
    assert "No account matches." in manager.get("/book", params={"search": "zzz"}).text


@pytest.mark.usefixtures("scored")
def test_pages_of_the_book(browser):
    manager = browser("manager")
    pages = [
        shown(manager.get("/book", params={"sort": "name", "per_page": 1, "page": n}).text)
        for n in (1, 2, 3)
    ]
    assert pages == [["acme"], ["globex"], ["initech"]]
    last = manager.get("/book", params={"sort": "name", "per_page": 1, "page": 3}).text
    assert "Page 3 of 3" in last
    assert 'rel="next"' not in last
    assert 'rel="prev"' in last
    beyond = manager.get("/book", params={"sort": "name", "per_page": 1, "page": 9}).text
    assert shown(beyond) == []


def test_a_csm_opens_on_their_own_book(browser):
    csm = browser("csm")
    mine = csm.get("/book")
    assert "<h1>My book</h1>" in mine.text
    assert sorted(shown(mine.text)) == ["acme", "initech"]
    everyone = csm.get("/book", params={"csm": "all"})
    assert "<h1>Book</h1>" in everyone.text
    assert len(shown(everyone.text)) == 3
    manager = browser("manager").get("/book")
    assert len(shown(manager.text)) == 3


def test_a_bad_view_is_refused_with_reasons(browser):
    response = browser("viewer").get("/book", params={"band": "purple", "sort": "bogus"})
    assert response.status_code == 400
    assert "band: &#39;purple&#39;: use one of red, amber, green, none" in response.text
    assert "sort: &#39;bogus&#39;" in response.text
    assert browser("viewer").get("/book", params={"page": "x"}).status_code == 422


@pytest.mark.usefixtures("scored")
def test_current_and_former_customers(browser, initialised, files):
    gone = files.csv(
        "gone.csv",
        [
            {
                "external_id": "gone",
                "name": "Gone Inc",
                "tier": "paid",
                "csm_email": "ana.silva@example.com",
            }
        ],
    )
    initialised("import", "accounts", str(gone))
    manager = browser("manager")
    assert "gone" not in shown(manager.get("/book").text)  # paid, no active contract
    assert shown(manager.get("/book", params={"status": "former"}).text) == ["gone"]
    assert len(shown(manager.get("/book", params={"status": "all"}).text)) == 4


def test_htmx_gets_only_the_table(browser):
    response = browser("viewer").get(
        "/book",
        params={"sort": "name"},
        headers={"HX-Request": "true", "HX-Target": "book-results"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="book-table"' in response.text


def test_html_in_data_is_shown_as_text(browser, initialised, files):
    accounts = files.csv(
        "evil.csv",
        [
            {
                "external_id": "evil",
                "name": "<script>alert(1)</script>",
                "tier": "free",  # a current customer without contracts
                "segment": '"><img src=x onerror=alert(2)>',
                "csm_email": "ana.silva@example.com",
            }
        ],
    )
    initialised("import", "accounts", str(accounts))
    csm = browser("csm")
    for page in (csm.get("/book"), csm.get("/accounts/evil")):
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<img src=x" not in page.text
    note = csm.post(
        "/accounts/evil/timeline", {"kind": "note", "text": "<b onmouseover=alert(3)>hi</b>"}
    )
    assert note.status_code == 303
    page = csm.get("/accounts/evil").text
    assert "<b onmouseover" not in page
    assert "&lt;b onmouseover=alert(3)&gt;hi&lt;/b&gt;" in page


def test_alerts_since_the_csm_last_looked(browser, database, monkeypatch):
    monkeypatch.setattr(alerts, "STATE_SECONDS", 0.0)  # no minute-long cache between steps
    csm = browser("csm")  # opening the book the first time sets the mark
    first = csm.get("/book").text
    assert "No account turned red" in first
    with database.sessions() as s:
        mark = s.scalar(select(BookMark))
        assert mark.state == {"acme": [None, "red"], "initech": [None, None]}
    # Acme turns red; its renewal was already inside its window, so only "turned red".
    set_health(database, "acme", 35, "red", "down", {"product": 20})
    page = csm.get("/book").text
    assert "Since you last looked" in page
    assert re.search(r"Acme Corp</a> turned red", page)
    assert "renews in" not in page
    # Seen: the alerts go, and the acknowledgement is in the audit log.
    seen = csm.post("/book/seen")
    assert seen.status_code == 303
    after = csm.get("/book").text
    assert "Acme Corp</a> turned red" not in after
    assert "No account turned red" in after
    with database.sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "book.seen"))
        assert entry.actor == "ana.silva@example.com"
        assert entry.after["acme"] == ["red", "red"]
    # Managers see everyone's book without alerts of their own.
    assert "Since you last looked" not in browser("manager").get("/book").text


def test_alert_rules():
    before = {"a": ["green", "green"], "b": ["red", "amber"], "c": ["amber", "amber"]}
    now = {
        "a": ["red", "amber"],  # turned red, renewal entered 4-6 months
        "b": ["red", "red"],  # already red; renewal now 0-3 months
        "c": ["amber", "green"],  # a renewal renewed: moving away is no alert
        "d": ["red", None],  # new to the book, red
    }
    assert changes(before, now) == [
        ("a", "turned_red", "green", "red"),
        ("a", "renewal_window", "green", "amber"),
        ("b", "renewal_window", "amber", "red"),
        ("d", "turned_red", None, "red"),
    ]
    assert changes(now, now) == []
