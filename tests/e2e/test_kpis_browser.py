"""A CS leader's retention pages in a real browser: the KPIs with the ARR waterfall, and the
backtest sections htmx loads after the page."""

from __future__ import annotations

from playwright.sync_api import expect


def test_a_manager_opens_the_kpis_and_sees_the_arr_waterfall(login):
    page = login("manager")
    problems: list[str] = []  # a Content-Security-Policy refusal shows up as a console error
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.get_by_role("link", name="KPIs", exact=True).click()
    expect(page.locator("h1")).to_have_text("Retention KPIs")
    waterfall = page.locator("svg.chart.waterfall")
    expect(waterfall).to_be_visible()
    expect(waterfall.locator("rect.bar")).to_have_count(7)  # start, 5 movements, end
    expect(page.locator("p.reconcile")).to_contain_text("reconciles")
    expect(page.locator("[data-kpi=nrr] .v")).not_to_be_empty()
    page.get_by_role("link", name="Last quarter").click()
    expect(page.locator("svg.chart.waterfall")).to_be_visible()
    assert "from=" in page.url  # the period is in the address, to share or reload

    page.get_by_role("link", name="Backtest", exact=True).click()
    # Both sections arrive with htmx; this book has no trained churn model.
    expect(page.locator("#health-backtest")).to_contain_text("AUC of the score")
    expect(page.locator("#churn-model")).to_contain_text("tenure churn train")
    assert problems == []
    assert page.dialogs == []
