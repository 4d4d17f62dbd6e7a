"""A CSM's day in a real browser: log in, the book, sorting, searching, an account, a note;
a viewer refused; HTML in data shown as text."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import EVIL


def client_names(page) -> list[str]:
    return page.locator("table.book td.client > a").all_inner_texts()


def test_a_csm_logs_in_to_their_own_book_in_colour(login):
    page = login("csm")
    expect(page.locator("h1")).to_have_text("My book")
    names = client_names(page)
    assert sorted(names) == sorted(["Acme Corp", "Initech", "Umbrella", EVIL])
    assert "Globex" not in names  # Ben's account
    # Health, components and renewals are coloured cells.
    assert page.locator("table.book td.cell.red, table.book td.cell.amber").count() > 0
    assert page.locator("table.book td.cell.green").count() > 0
    acme = page.locator("tr", has=page.locator("a", has_text="Acme Corp"))
    expect(acme).to_contain_text("$52,000")
    expect(acme.locator("td.cell.red").first).to_be_visible()  # renews within 3 months


def test_sorting_and_searching_the_book(login):
    page = login("manager")
    page.locator("select[name=csm]").select_option("all")
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Client").click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Client")
    assert client_names(page) == sorted(client_names(page), key=str.lower)
    assert "sort=name" in page.url  # the view is in the address, to share or reload
    page.get_by_role("link", name="Client").click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Client")
    assert client_names(page)[0] == "Umbrella"
    page.get_by_role("link", name=re.compile("^ARR")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("ARR")
    page.get_by_role("link", name=re.compile("^ARR")).click()
    expect(page.locator("table.book tbody tr").first).to_contain_text("Umbrella")
    page.fill("input[name=search]", "glob")
    expect(page.locator("table.book td.client > a")).to_have_count(1)
    assert client_names(page) == ["Globex"]
    page.reload()
    assert client_names(page) == ["Globex"]


def test_an_account_and_a_note_on_its_timeline(login):
    page = login("csm")
    page.get_by_role("link", name="Acme Corp").click()
    expect(page.locator("h1")).to_have_text("Acme Corp")
    expect(page.locator(".facts")).to_contain_text("$52,000")
    expect(page.locator(".facts")).to_contain_text("Sponsor of acme")
    # The health chart and its why arrive with htmx.
    expect(page.locator("#health svg.chart")).to_be_visible()
    expect(page.locator("#health .why")).to_contain_text("Why:")
    note = "Renewal call booked with the CFO for next Tuesday"
    page.locator("#timeline select[name=kind]").select_option("call")
    page.fill("#timeline textarea[name=text]", note)
    page.get_by_role("button", name="Add to timeline").click()
    expect(page.locator("ol.timeline li.entry").first).to_contain_text(note)
    expect(page.locator("#timeline")).to_contain_text("Added.")
    page.reload()
    first = page.locator("ol.timeline li.entry").first
    expect(first).to_contain_text(note)
    expect(first).to_contain_text("ana@example.com")
    # The CSM's own sentiment, with its colour.
    page.locator("#timeline select[name=kind]").select_option("sentiment")
    page.locator("#timeline select[name=sentiment]").select_option("red")
    page.fill("#timeline textarea[name=text]", "Sponsor is leaving")
    page.get_by_role("button", name="Add to timeline").click()
    expect(page.locator("ol.timeline li.entry").first.locator(".pill.red")).to_be_visible()


def test_a_viewer_reads_but_cannot_write(login, server):
    page = login("viewer")
    page.goto(f"{server.url}/accounts/acme")
    expect(page.locator("h1")).to_have_text("Acme Corp")
    expect(page.locator("#timeline textarea")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("You can read this account")
    # Even a hand-made request with the page's own CSRF token is refused.
    status = page.evaluate(
        """async () => {
            const body = new URLSearchParams({kind: "note", text: "sneaky",
                csrf_token: document.body.dataset.csrf});
            const r = await fetch("/accounts/acme/timeline", {method: "POST", body});
            return r.status;
        }"""
    )
    assert status == 403
    page.reload()
    expect(page.locator("ol.timeline")).not_to_contain_text("sneaky")
    response = page.goto(f"{server.url}/team")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator("nav.sidebar")).not_to_contain_text("Team")


def test_html_in_data_is_shown_as_text(login):
    page = login("csm")
    expect(page.get_by_text(EVIL)).to_be_visible()
    page.get_by_role("link", name=EVIL).click()
    expect(page.locator("h1")).to_have_text(EVIL)
    page.fill("#timeline textarea[name=text]", "<img src=x onerror=alert(2)>")
    page.get_by_role("button", name="Add to timeline").click()
    expect(page.locator("ol.timeline li.entry").first).to_contain_text(
        "<img src=x onerror=alert(2)>"
    )
    page.reload()
    assert page.dialogs == []
    assert page.locator("ol.timeline img").count() == 0
