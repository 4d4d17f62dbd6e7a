"""The book page's header counts the view as filtered, and the view downloads as a CSV file
that a spreadsheet opens without running anything in it."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.web.helpers import set_health


@pytest.fixture
def scored(app, database):
    set_health(database, "acme", 40, "red", "down", {"product": 30, "satisfaction": 60})
    set_health(database, "globex", 82, "green", "up", {"product": 90, "satisfaction": None})
    return app


def header_count(html: str) -> int:
    found = re.search(r'<p class="muted" id="book-summary"[^>]*>([\d,]+) accounts', html)
    assert found, "the book page has no header count"
    return int(found.group(1).replace(",", ""))


def rows_of(html: str) -> list[str]:
    return re.findall(r'<td class="client"><a href="/accounts/([^"]+)"', html)


@pytest.mark.usefixtures("scored")
@pytest.mark.parametrize(
    "params",
    [{}, {"band": "red"}, {"tier": "free"}, {"search": "glob"}, {"search": "zzz"}, {"csm": "all"}],
)
def test_the_header_counts_the_rows_the_filters_leave(browser, params):
    manager = browser("manager")
    page = manager.get("/book", params=params).text
    assert header_count(page) == len(rows_of(page))
    # Filtering through htmx swaps only the results: they carry the header line out of band.
    partial = manager.get("/book", params=params, headers={"HX-Target": "book-results"}).text
    assert 'id="book-summary" hx-swap-oob="true"' in partial
    assert header_count(partial) == len(rows_of(partial))


@pytest.mark.usefixtures("scored")
def test_the_csv_export_holds_the_view_as_filtered_and_sorted_every_page(browser):
    manager = browser("manager")
    page = manager.get("/book", params={"sort": "name", "per_page": 1}).text
    assert 'href="/book.csv?csm=all&amp;sort=name&amp;dir=asc&amp;per_page=1"' in page
    response = manager.get("/book.csv", params={"sort": "name", "dir": "desc", "per_page": 1})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="book-2026-11-23.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["external_id"] for r in rows] == ["initech", "globex", "acme"]  # not one page
    acme = rows[2]
    assert acme["name"] == "Acme Corp"
    assert acme["csm_email"] == "ana.silva@example.com"
    assert (acme["arr"], acme["currency"]) == ("52000.00", "USD")
    assert (acme["renewal_date"], acme["renewal_months"]) == ("2027-02-01", "2")
    assert (acme["health"], acme["band"], acme["trend"]) == ("40", "red", "down")
    assert (acme["product"], acme["satisfaction"]) == ("30", "60")
    red = manager.get("/book.csv", params={"band": "red"}).text
    assert [r["external_id"] for r in csv.DictReader(io.StringIO(red))] == ["acme"]
    mine = browser("csm").get("/book.csv").text  # a CSM's own book, as the page opens
    assert sorted(r["external_id"] for r in csv.DictReader(io.StringIO(mine))) == [
        "acme",
        "initech",
    ]


def test_cells_a_spreadsheet_would_run_are_made_plain_text(browser, initialised, files):
    rows = [
        {"external_id": "f1", "name": '=HYPERLINK("http://evil.example","x")', "tier": "free"},
        {"external_id": "+f2", "name": "-2+3", "tier": "free", "segment": "@SUM(A1)"},
        {"external_id": "f3", "name": "Plain", "tier": "free", "segment": "a=b"},
    ]
    initialised("import", "accounts", str(files.csv("evil.csv", rows)))
    text = browser("manager").get("/book.csv", params={"tier": "free", "sort": "name"}).text
    found = {r["external_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert found["f1"]["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert found["'+f2"]["name"] == "'-2+3"
    assert found["'+f2"]["segment"] == "'@SUM(A1)"
    assert found["f3"]["segment"] == "a=b"  # only a leading sign makes a formula
    assert found["f3"]["name"] == "Plain"
    assert found["initech"]["name"] == "Initech"


def test_a_bad_view_is_refused_with_its_reason(browser):
    response = browser("manager").get("/book.csv", params={"band": "purple"})
    assert response.status_code == 400
    assert "band: &#39;purple&#39;: use one of red, amber, green, none" in response.text
