"""Everyday conveniences: the API docs work offline, a mistyped address gets a page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_api_docs_page_loads_its_assets_from_tenure(anonymous: TestClient):
    page = anonymous.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    for source in sources:
        assert source.startswith("/"), f"{source}: loaded from outside Tenure"
        asset = anonymous.get(source)
        assert asset.status_code == 200, source
    script = anonymous.get("/docs-assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in script.text
    assert anonymous.get("/openapi.json").json()["info"]["title"] == "Tenure"
    assert anonymous.get("/redoc").status_code == 404  # only one docs page, the working one


def test_an_unknown_page_is_an_html_404_and_the_api_keeps_json(anonymous: TestClient):
    page = anonymous.get("/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text
    assert "there is no page at /nowhere" in page.text
    api = anonymous.get("/api/v1/nowhere", headers={"Accept": "text/html"})
    assert api.status_code == 404
    # The API's one error shape, whatever the client accepts.
    assert api.json() == {"detail": "Not Found", "problems": []}
    plain = anonymous.get("/nowhere")
    assert plain.status_code == 404
    assert plain.json() == {"detail": "Not Found", "problems": []}


def test_did_you_mean_for_a_wrong_account_id_or_csm(browser, initialised):
    shown = initialised("accounts", "show", "acmee", ok=False)
    assert shown.code == 1
    assert "no account with external_id 'acmee' (did you mean 'acme'?)" in shown.stderr
    by_name = initialised("accounts", "show", "Initech Inc", ok=False)
    assert "(did you mean 'initech'?)" in by_name.stderr
    listed = initialised("accounts", "list", "--csm", "ana.silva@example.org", ok=False)
    assert "no user with email 'ana.silva@example.org' (did you mean 'ana.silva@example.com'?)" in (
        listed.stderr
    )
    health = initialised("health", "--csm", "ana.silva@exmple.com", ok=False)
    assert "(did you mean 'ana.silva@example.com'?)" in health.stderr
    page = browser("viewer").get("/accounts/acmee")
    assert page.status_code == 404
    assert "(did you mean &#39;acme&#39;?)" in page.text
    today = browser("manager").get("/today", params={"csm": "ben.okafor@example"})
    assert today.status_code == 404
    assert "did you mean &#39;ben.okafor@example.com&#39;?" in today.text
    nothing_close = initialised("accounts", "show", "zzzzzz", ok=False)
    assert "did you mean" not in nothing_close.stderr


def test_usage_chart_metrics_are_named_in_words(browser):
    from tenure.usage.catalogue import load_catalogue

    described = {m.name: m.description for m in load_catalogue().metrics}
    chart = browser("viewer").get("/accounts/acme/usage").text
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', chart))
    assert options["logins_28d"] == described["logins_28d"]
    assert all(" " in words for words in options.values())  # never a bare snake_case name
    assert f"{described['logins_28d']} over the last year" in chart


def test_usage_rows_add_up_pages_go_beyond_25_and_partial_weeks_are_marked(
    browser, initialised, files
):
    """30 clients clicking links: each row adds up to its total, the footer to the columns,
    page 2 lists the rest, and the week cut by the period is marked and left out of the
    chart (it would look like a drop)."""
    accounts = [
        {"external_id": f"cl{n:02d}", "name": f"Client {n:02d}", "tier": "free"} for n in range(30)
    ]
    initialised("import", "accounts", str(files.csv("clients.csv", accounts)))
    events = [
        {
            "type": "track",
            "event": "Link Clicked",
            "userId": f"u-{n}-{k}",
            "messageId": f"m-{n}-{k}",
            "timestamp": f"2026-11-{2 + k:02d}T10:00:00Z",
            "context": {"groupId": f"cl{n:02d}"},
        }
        for n in range(30)
        for k in range(n % 7 + 1 + 7)  # 2026-11-02 (a Monday) onwards, into the next week
    ]
    initialised("import", "events", str(files.jsonl("clicks.jsonl", events)))
    params = {"event": "Link Clicked", "interval": "week", "from": "2026-11-02", "to": "2026-11-12"}
    viewer = browser("viewer")
    first = viewer.get("/usage", params=params).text
    second = viewer.get("/usage", params={**params, "page": "2"}).text
    rows = []
    for html in (first, second):
        body = html[html.index('<table class="usage-table">') :].split("</table>")[0]
        for row in body.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]:
            cells = [
                int(c.replace(",", ""))
                for c in re.findall(r'<td class="num">(?:<strong>)?([\d,]+)', row)
            ]
            rows.append(cells[1:])  # without the rank
    assert len(rows) == 30
    for total, *weeks in rows:
        assert total == sum(weeks)
    footer = first[first.index('<tr class="totals">') :].split("</tr>")[0]
    sums = [
        int(c.replace(",", ""))
        for c in re.findall(r'<td class="num">(?:<strong>)?([\d,]+)', footer)
    ]
    assert sums[0] == sum(1 for e in events if e["timestamp"] < "2026-11-13")  # up to "to"
    assert sums[1:] == [sum(r[i] for r in rows) for i in range(1, len(sums))]
    assert "clients 1–25 of 30 · page 1 of 2" in first
    assert "clients 26–30 of 30 · page 2 of 2" in second
    # The week of 2026-11-09 has 4 of its 7 days in the period (9 to 12 November).
    assert "partial: 4 d" in first
    assert "(whole weeks only)" in first
