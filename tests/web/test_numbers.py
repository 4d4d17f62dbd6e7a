"""One truth per number: what a page says agrees with the other pages and with the CLI."""

from __future__ import annotations

import re

from tests.conftest import BOOK_ACCOUNTS
from tests.web.helpers import AS_OF, PEOPLE, set_health

# Initech renews 29 days after the book's day; Oldco, a paid client of the same CSM, left in
# the summer and was red when it did.
SOON = "2026-12-22"
EXTRA_CONTRACTS = [
    {
        "external_id": "c-initech",
        "account_external_id": "initech",
        "start_date": "2025-12-22",
        "end_date": SOON,
        "arr": "1200",
        "currency": "USD",
        "status": "active",
    },
    {
        "external_id": "c-oldco",
        "account_external_id": "oldco",
        "start_date": "2025-06-01",
        "end_date": "2026-06-01",
        "arr": "9000",
        "currency": "USD",
        "status": "churned",
    },
]
OLDCO = {
    **BOOK_ACCOUNTS[0],
    "external_id": "oldco",
    "name": "Oldco",
    "customer_since": "2025-06-01",
}


def _more_book(initialised, files, database) -> None:
    initialised("import", "accounts", str(files.csv("more_accounts.csv", [OLDCO])))
    initialised("import", "contracts", str(files.csv("more_contracts.csv", EXTRA_CONTRACTS)))
    set_health(database, "oldco", 30, "red")


def test_a_renewal_under_a_month_is_in_days(browser, initialised, files, database):
    _more_book(initialised, files, database)
    story = initialised(
        "accounts", "show", "initech", "--as-of", AS_OF.isoformat(), "--format", "json"
    ).json()
    account = story["account"][0]
    assert account["renewal_date"] == SOON
    assert account["renewal_months"] == 0
    csm = browser("csm")
    page = csm.get("/accounts/initech").text
    assert f'{SOON} <span class="muted">(in 29 days)</span>' in page
    assert "0 mo" not in page
    today = csm.get("/today").text
    assert re.search(rf"Initech</a></td><td class=\"date\">{SOON}</td><td>29 days</td>", today)


def _team_row(html: str, name: str) -> list[str]:
    row = next(r for r in html.split("<tr>") if f">{name}</a>" in r)
    return re.findall(r'<td class="num[^"]*">(?:<a [^>]*>)?([^<]*)', row)


def test_team_counts_current_clients_and_renewals_inside_the_quarter(
    browser, initialised, files, database
):
    _more_book(initialised, files, database)
    initialised("health", "compute", "--as-of", AS_OF.isoformat())
    set_health(database, "oldco", 30, "red")
    team = browser("manager").get("/team").text
    assert "this quarter: Q4 2026 (2026-10-01 to 2026-12-31)" in team
    accounts, _arr, red, amber, green, unscored, renewals, _renewing = _team_row(team, "Csm")
    # The CSM's current clients, as the CLI's dashboard lists them (Oldco left in June).
    board = initialised(
        "health", "--csm", PEOPLE["csm"], "--as-of", AS_OF.isoformat(), "--format", "json"
    ).json()
    assert "oldco" not in {r["external_id"] for r in board}
    assert int(accounts) == len(board)
    assert int(red) == sum(1 for r in board if r["band"] == "red")
    assert int(amber) == sum(1 for r in board if r["band"] == "amber")
    assert int(green) == sum(1 for r in board if r["band"] == "green")
    assert int(unscored) == sum(1 for r in board if r["band"] is None)
    # Renewals this quarter: the accounts whose own page gives a renewal date inside it.
    inside = 0
    for row in board:
        story = initialised(
            "accounts", "show", row["external_id"], "--as-of", AS_OF.isoformat(), "--format", "json"
        ).json()
        day = story["account"][0]["renewal_date"]
        page = browser("manager").get(f"/accounts/{row['external_id']}").text
        if day:
            assert f'<div class="v">{day} ' in page
        if day and "2026-10-01" <= day <= "2026-12-31":
            inside += 1
    assert inside == 1  # initech
    assert int(renewals) == inside


def test_nps_is_only_ever_an_nps(browser, initialised):
    """The health score's survey measure is a mean answer, not an NPS: the page and the CLI
    call it so; the KPIs' NPS (promoters minus detractors) keeps the name."""
    initialised("health", "compute", "--from", "2026-10-23", "--to", AS_OF.isoformat())
    viewer = browser("viewer")
    health = viewer.get("/accounts/acme/health").text
    assert "likelihood to recommend, mean answer (0-10)" in health
    assert not re.search(r">\s*NPS\s*<", health)
    why = initialised("health", "why", "acme", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert "likelihood to recommend, mean answer (0-10)" in why.stdout
    assert '"NPS"' not in why.stdout
    account = viewer.get("/accounts/acme").text
    assert "NPS survey</td>" in account  # one person's answer to an NPS survey
    kpis = viewer.get("/kpis").text
    assert "NPS" in kpis  # a real NPS, -100 to 100


def test_the_timeline_tells_tickets_survey_answers_and_tasks_done(browser, initialised, database):
    from sqlalchemy import select

    from tenure.models import Account, Todo, User

    with database.unit_of_work() as session:
        owner = session.scalar(select(User).where(User.email == PEOPLE["csm"]))
        account = session.scalar(select(Account).where(Account.external_id == "acme"))
        session.add(
            Todo(owner=owner, account=account, title="Sent the QBR deck", due=AS_OF, done_on=AS_OF)
        )
    story = initialised(
        "accounts", "show", "acme", "--as-of", AS_OF.isoformat(), "--format", "json"
    ).json()
    kinds = {item["kind"] for item in story["timeline"]}
    assert {"ticket opened", "ticket closed", "survey answer", "task done"} <= kinds
    page = browser("viewer").get("/accounts/acme").text
    timeline = page[page.index('<ol class="timeline">') :].split("</ol>")[0]
    shown = re.findall(r'<span class="kind">([^<]+)</span>', timeline)
    assert shown == [item["kind"] for item in story["timeline"]]
    texts = re.findall(r'<p class="text">([^<]*)</p>', timeline)
    assert [t.replace("&#39;", "'") for t in texts] == [i["text"] for i in story["timeline"]]
    assert "Sent the QBR deck" in texts


def test_the_backtest_page_agrees_with_the_cli(browser, initialised, files, settings):
    from tests.retention.test_churn_cli import backtest_company

    backtest_company(initialised, files, settings)
    period = {"from": "2026-01-01", "to": "2026-12-31", "lead_days": "90"}
    data = initialised(
        "health", "backtest", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json"
    ).json()
    [summary] = data["summary"]
    page = browser("viewer").get("/backtest/health", params=period, headers={"HX-Request": "true"})
    assert page.status_code == 200
    html = page.text
    rows = html[html.index('<table class="compact lead-times">') :].split("</table>")[0]
    listed = rows.count("<tr><td")
    assert f"Accounts that churned ({summary['churners']})" in html
    assert listed == summary["churners"] == len(data["lead_times"])
    # Red from the history's first day: "unknown", never that first day as a date.
    assert rows.count("unknown: red since the history starts") == 4
    assert "2026-02-01" not in rows  # 120 days before the renewals: the history's first day
    assert f"{summary['churners_red_from_the_start']} were red from the history" in html
    assert not re.search(r"\d\.?\d*e[+-]\d", html)  # no scientific notation


def _page_why(browser, external_id: str) -> str:
    import html as markup

    fragment = browser("viewer").get(f"/accounts/{external_id}/health").text
    found = re.search(r'<p class="why"><strong>Why:</strong> (.*?) <span class="muted">', fragment)
    assert found, fragment
    return markup.unescape(found.group(1))


def test_the_why_explains_the_score_then_agrees_with_the_arrow(browser, initialised):
    from datetime import timedelta

    start = (AS_OF - timedelta(days=35)).isoformat()
    initialised("health", "compute", "--from", start, "--to", AS_OF.isoformat())
    board = initialised("health", "--as-of", AS_OF.isoformat(), "--format", "json").json()
    for row in board:
        if row["health"] is None:
            continue
        why = initialised(
            "health", "why", row["external_id"], "--as-of", AS_OF.isoformat(), "--format", "json"
        ).json()["health"][0]
        # The score itself first, with its band; then what moved.
        assert why["why"].startswith(f"{row['health']}, {row['band']}")
        assert "What moved: " in why["why"]
        moved = why["why"].split("What moved: ", 1)[1]
        words = {"up": "up ", "down": "down ", "level": "level"}
        assert moved.startswith(words[row["trend"]]), (row["trend"], moved)
        assert _page_why(browser, row["external_id"]) == why["why"]


def test_a_client_without_enough_history_is_new_not_a_trend(browser, initialised, files):
    from datetime import timedelta

    joined = (AS_OF - timedelta(days=10)).isoformat()
    newco = {**OLDCO, "external_id": "newco", "name": "Newco", "customer_since": joined}
    contract = {
        **EXTRA_CONTRACTS[0],
        "external_id": "c-newco",
        "account_external_id": "newco",
        "start_date": joined,
        "end_date": "2027-11-13",
    }
    initialised("import", "accounts", str(files.csv("newco.csv", [newco])))
    initialised("import", "contracts", str(files.csv("newco_contracts.csv", [contract])))
    usage = [
        {"account_external_id": "newco", "metric": "logins_per_user_28d", "date": day, "value": "6"}
        for day in (joined, AS_OF.isoformat())
    ]
    initialised("import", "metrics", str(files.csv("newco_metrics.csv", usage)))
    start = (AS_OF - timedelta(days=3)).isoformat()
    initialised("health", "compute", "--from", start, "--to", AS_OF.isoformat())
    why = initialised(
        "health", "why", "newco", "--as-of", AS_OF.isoformat(), "--format", "json"
    ).json()["health"][0]
    assert why["trend"] is None
    assert why["why"].endswith(
        f"What moved: new: not enough history for a trend yet (scored since {start})"
    )
    assert _page_why(browser, "newco") == why["why"]
