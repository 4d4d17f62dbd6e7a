"""KPIs on a small contract book worked out by hand (figures in thousands)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenure.kit.errors import TenureError
from tenure.retention.book_facts import (
    AccountRecord,
    Book,
    ContractRecord,
    add_months,
    in_one_currency,
)
from tenure.retention.kpis import (
    KpiInputs,
    churn_by_kind,
    kpis,
    lifetime_value,
    movements,
)
from tenure.retention.surveys import SurveyRecord, survey_figures
from tenure.retention.value import first_value_dates, time_to_value

D = date.fromisoformat


def c(account: str, start: str, end: str, arr: int, currency: str = "USD") -> ContractRecord:
    return ContractRecord(account, D(start), D(end), Decimal(arr), currency)


# The book of the hand-worked example (see each account's comment for its movement in 2026).
CONTRACTS = [
    c("A", "2025-01-01", "2026-01-01", 100),  # renewed at 120: expansion +20
    c("A", "2026-01-01", "2027-01-01", 120),
    c("B", "2025-07-01", "2026-07-01", 50),  # not renewed: churn -50 (dated 2026-07-01)
    c("C", "2025-03-01", "2026-03-01", 80),  # renewed at 60: contraction -20
    c("C", "2026-03-01", "2027-03-01", 60),
    c("D", "2026-05-01", "2027-05-01", 30),  # first contract: new +30
    c("E", "2024-01-01", "2025-01-01", 40),  # churned in 2025, back in 2026: reactivation +45
    c("E", "2026-02-01", "2027-02-01", 45),
    c("F", "2025-12-01", "2026-01-15", 0),  # a $0 trial that did not convert: trial churn
    c("G", "2025-06-01", "2027-06-01", 10),  # paying, nobody uses it (ghost), stays
    c("H", "2025-01-01", "2026-01-01", 20),  # ghost that churns on 2026-01-01: -20
    c("I", "2025-10-01", "2026-10-01", 10),  # two overlapping contracts add up to 15 ...
    c("I", "2025-12-01", "2026-12-01", 5),  # ... and both end in 2026: churn -15
]
ACCOUNTS = {
    "A": AccountRecord("A", "paid", "enterprise", "ann@example.com"),
    "B": AccountRecord("B", "paid", "enterprise", "bob@example.com"),
    "C": AccountRecord("C", "paid", "mid-market", "ann@example.com"),
    "D": AccountRecord("D", "paid", "mid-market", "bob@example.com"),
    "E": AccountRecord("E", "paid", "enterprise", "ann@example.com"),
    "F": AccountRecord("F", "trial", "mid-market", None),
    "G": AccountRecord("G", "paid", "mid-market", "bob@example.com"),
    "H": AccountRecord("H", "paid", "enterprise", "bob@example.com"),
    "I": AccountRecord("I", "paid", "mid-market", "ann@example.com"),
}
ACTIVE_USERS = {"A": 12, "B": 3, "C": 7, "G": 0, "H": 0, "I": 2}
YEAR = (D("2026-01-01"), D("2026-12-31"))


def test_arr_on_a_day_adds_overlapping_contracts_and_excludes_the_end_date() -> None:
    book = Book(CONTRACTS)
    assert book.arr_on(D("2025-12-31"))["I"] == 15
    assert book.arr_on(D("2025-12-31"))["F"] == 0  # active at $0
    on_renewal_day = book.arr_on(D("2026-01-01"))
    assert on_renewal_day["A"] == 120  # the old contract is over on its end date
    assert "H" not in on_renewal_day


def test_movements_of_the_year_reconcile_by_hand() -> None:
    m = movements(Book(CONTRACTS), *YEAR)
    # Start (2025-12-31): A 100 + B 50 + C 80 + G 10 + H 20 + I 15 = 275 (F active at 0).
    assert m.arr_start == 275
    assert (m.new, m.expansion, m.reactivation) == (30, 20, 45)
    assert (m.contraction, m.churn) == (-20, -85)  # churn: B 50 + H 20 + I 15
    # End (2026-12-31): A 120 + C 60 + D 30 + E 45 + G 10 = 265.
    assert m.arr_end == 265
    assert m.arr_start + m.new + m.expansion + m.reactivation + m.contraction + m.churn == 265
    assert (m.logos_start, m.logos_new, m.logos_reactivated) == (7, 1, 1)
    assert (m.logos_churned, m.logos_end) == (4, 5)  # B, F, H, I churned
    # GRR: min(a, b) = A 100 + C 60 + G 10 = 170; NRR: A 120 + C 60 + G 10 = 190.
    assert m.grr == pytest.approx(170 / 275)
    assert m.nrr == pytest.approx(190 / 275)


def test_kpi_report_of_the_year() -> None:
    inputs = KpiInputs(CONTRACTS, ACCOUNTS, active_users=ACTIVE_USERS, margin=0.8)
    report = kpis(inputs, *YEAR)
    assert report.currency == "USD"
    [row] = report.rows
    assert row["group"] == "all"
    assert row["logo_churn"] == pytest.approx(4 / 7)
    assert row["logo_retention"] == pytest.approx(3 / 7)
    assert row["gross_revenue_churn"] == pytest.approx(105 / 275)  # (85 + 20) / 275
    assert row["net_revenue_churn"] == pytest.approx(85 / 275)  # (85 + 20 - 20) / 275
    assert row["grr"] == pytest.approx(0.6181818)
    assert row["nrr"] == pytest.approx(0.6909091)
    # A 12-month period: the 12-month cohort figures are the period's own.
    assert (row["grr_12m"], row["nrr_12m"]) == (row["grr"], row["nrr"])
    # Paid: A, B, C, I (B and I churn); ghost: G, H (H churns); trial: F (churns).
    assert (row["paid_logos_start"], row["paid_logos_churned"], row["paid_churn"]) == (4, 2, 0.5)
    assert (row["ghost_logos_start"], row["ghost_logos_churned"]) == (2, 1)
    assert (row["trial_logos_start"], row["trial_churn"]) == (1, 1.0)
    assert row["free_churn"] is None
    # CLV: ARPA 275 / 12 / 6 paying = 3.8194 a month; 3 of 6 paying churned over 365 days,
    # monthly 1 - 0.5 ** (30.4375 / 365) = 0.056163; CLV = 3.8194 * 0.8 / 0.056163 = 54.405.
    assert row["arpa_monthly"] == pytest.approx(3.819444, rel=1e-6)
    assert row["monthly_churn"] == pytest.approx(0.0561634, rel=1e-5)
    assert row["clv"] == pytest.approx(54.405, rel=1e-4)
    movement = {m["movement"]: (m["logos"], m["arr"]) for m in report.movements}
    assert movement == {
        "start": (7, 275),
        "new": (1, 30),
        "expansion": (None, 20),
        "reactivation": (1, 45),
        "contraction": (None, -20),
        "churn": (-4, -85),
        "end": (5, 265),
    }


def test_half_year_period_and_its_12_month_cohort_figures() -> None:
    report = kpis(KpiInputs(CONTRACTS, ACCOUNTS), D("2026-07-01"), D("2026-12-31"))
    [row] = report.rows
    # Start (2026-06-30): A 120 + B 50 + C 60 + D 30 + E 45 + G 10 + I 15 = 330;
    # B (-50, ends 2026-07-01) and I (-15) churn; nothing else moves.
    assert (row["arr_start"], row["arr_churn"], row["arr_end"]) == (330, -65, 265)
    assert row["grr"] == pytest.approx(265 / 330)
    assert row["nrr"] == pytest.approx(265 / 330)
    assert row["logo_churn"] == pytest.approx(2 / 7)
    # Twelve months ending 2026-12-31: the year above.
    assert row["grr_12m"] == pytest.approx(170 / 275)
    assert row["nrr_12m"] == pytest.approx(190 / 275)
    assert row["ghost_known"] is False  # no active users given: nobody is a ghost
    assert row["ghost_logos_start"] == 0


def test_consecutive_periods_chain() -> None:
    book = Book(CONTRACTS)
    first = movements(book, D("2026-01-01"), D("2026-06-30"))
    second = movements(book, D("2026-07-01"), D("2026-12-31"))
    whole = movements(book, *YEAR)
    assert first.arr_end == second.arr_start
    assert (first.arr_start, second.arr_end) == (whole.arr_start, whole.arr_end)


def test_kpis_by_segment_and_by_csm() -> None:
    report = kpis(KpiInputs(CONTRACTS, ACCOUNTS), *YEAR, by="segment")
    rows = {r["group"]: r for r in report.rows}
    assert set(rows) == {"all", "enterprise", "mid-market"}
    assert rows["all"]["segment"] is None
    # Enterprise: A 100, B 50, H 20 at the start (170); A 120 + E 45 at the end (165).
    enterprise = rows["enterprise"]
    assert enterprise["segment"] == "enterprise"
    assert (enterprise["arr_start"], enterprise["arr_end"]) == (170, 165)
    assert (enterprise["arr_reactivation"], enterprise["arr_churn"]) == (45, -70)
    assert enterprise["logo_churn"] == pytest.approx(2 / 3)
    assert rows["mid-market"]["arr_start"] + enterprise["arr_start"] == rows["all"]["arr_start"]
    by_csm = {r["group"]: r for r in kpis(KpiInputs(CONTRACTS, ACCOUNTS), *YEAR, by="csm").rows}
    assert set(by_csm) == {"all", "ann@example.com", "bob@example.com", "(none)"}
    assert by_csm["ann@example.com"]["csm_email"] == "ann@example.com"
    assert by_csm["(none)"]["trial_logos_start"] == 1  # F has no CSM
    with pytest.raises(TenureError, match="group by one of segment, tier, csm"):
        kpis(KpiInputs(CONTRACTS, ACCOUNTS), *YEAR, by="region")


def test_mixed_currencies_are_refused_without_rates_and_converted_with_them() -> None:
    contracts = [
        c("A", "2025-01-01", "2027-01-01", 100),
        c("B", "2025-01-01", "2026-06-01", 50, "EUR"),
    ]
    with pytest.raises(TenureError, match="cannot add them up without a rate to USD for EUR"):
        kpis(KpiInputs(contracts, ACCOUNTS), *YEAR)
    report = kpis(KpiInputs(contracts, ACCOUNTS, rates={"EUR": 1.1}), *YEAR)
    [row] = report.rows
    assert report.currency == "USD"
    assert row["arr_start"] == Decimal("155.0")  # 100 + 50 x 1.1
    assert row["arr_churn"] == Decimal("-55.0")
    only_euros, currency = in_one_currency([contracts[1]], "USD", {})
    assert currency == "EUR"
    assert only_euros[0].arr == 50


def test_churn_by_kind_counts_an_account_without_usage_data_as_not_ghost() -> None:
    kinds = churn_by_kind(Book(CONTRACTS), ACCOUNTS, *YEAR, active_users={"H": 0})
    assert kinds["ghost"].logos_start == 1  # H only: G has no data, so it is not a ghost
    assert kinds["ghost"].arr_churned == 20
    assert kinds["paid"].logos_start == 5


def test_lifetime_value_without_churn_is_unbounded() -> None:
    value = lifetime_value(Decimal(120), paying=2, churned=0, days=90, margin=0.8)
    assert value.arpa_monthly == 5
    assert value.monthly_churn == 0
    assert value.clv is None
    monthly = lifetime_value(Decimal(1200), paying=10, churned=1, days=30, margin=0.75)
    # 10% churn over 30 days is 1 - 0.9 ** (30.4375 / 30) = 10.14% a month.
    assert monthly.monthly_churn == pytest.approx(0.1014, abs=1e-4)
    assert monthly.clv == pytest.approx(10 * 0.75 / 0.10143, rel=1e-3)
    with pytest.raises(TenureError, match="between 0 and 1"):
        kpis(KpiInputs(CONTRACTS, ACCOUNTS, margin=80), *YEAR)


def test_survey_figures_by_hand() -> None:
    def s(
        kind: str, sent: str, score: int | None = None, answered: str | None = None
    ) -> SurveyRecord:
        return SurveyRecord("A", kind, D(sent), score, D(answered) if answered else None)

    surveys = [
        s("nps", "2026-02-01", 10, "2026-02-02"),
        s("nps", "2026-02-01", 9, "2026-02-03"),
        s("nps", "2026-02-01", 9),  # answered without a date: counts on the day sent
        s("nps", "2026-02-01", 7, "2026-02-05"),
        s("nps", "2026-02-01", 2, "2026-02-06"),
        s("nps", "2026-02-01"),
        s("nps", "2026-02-01"),
        s("nps", "2026-12-20", 0, "2027-01-05"),  # answered after the period: not yet
        s("nps", "2025-12-20", 10, "2025-12-21"),  # before the period
        s("csat", "2026-03-01", 5, "2026-03-01"),
        s("csat", "2026-03-01", 4, "2026-03-01"),
        s("csat", "2026-03-01", 3, "2026-03-01"),
        s("csat", "2026-03-01", 2, "2026-03-01"),
        s("csat", "2026-03-01", 5, "2026-03-01"),
        s("ces", "2026-04-01", 2, "2026-04-01"),
        s("ces", "2026-04-01", 3, "2026-04-01"),
        s("ces", "2026-04-01", 7, "2026-04-01"),
    ]
    figures = survey_figures(surveys, *YEAR)
    # Promoters 10, 9, 9; passive 7; detractor 2: (3 - 1) / 5 = +40.
    assert (figures.nps, figures.nps_responses) == (40.0, 5)
    assert (figures.csat, figures.csat_responses) == (0.6, 5)  # 5, 4, 5 of five
    assert (figures.ces, figures.ces_responses) == (4.0, 3)
    assert figures.response_rate("nps") == 5 / 8  # eight sent in 2026, five answered by its end
    assert figures.response_rate("csat") == 1.0
    empty = survey_figures([], *YEAR)
    assert empty.nps is None
    assert empty.response_rate("nps") is None


def test_time_to_first_value_from_a_metric_threshold() -> None:
    starts = {
        "D": D("2026-05-01"),
        "E": D("2026-02-01"),
        "X": D("2026-11-01"),
        "old": D("2024-01-01"),
    }
    series = [
        ("D", D("2026-04-20"), 9.0),  # before the start: ignored
        ("D", D("2026-05-10"), 2.0),
        ("D", D("2026-05-15"), 5.0),  # first day at the threshold: 14 days
        ("D", D("2026-05-20"), 8.0),
        ("E", D("2026-02-21"), 6.0),  # 20 days
        ("X", D("2026-11-05"), None),
        ("old", D("2024-01-05"), 6.0),
    ]
    first = first_value_dates(starts, series, threshold=5)
    assert first == {"D": D("2026-05-15"), "E": D("2026-02-21"), "old": D("2024-01-05")}
    ttfv = time_to_value(starts, first, *YEAR)
    assert (ttfv.started, ttfv.reached) == (3, 2)  # D, E, X started in 2026; X not there yet
    assert (ttfv.median_days, ttfv.mean_days) == (17.0, 17.0)


def test_time_to_first_value_in_the_kpi_report() -> None:
    report = kpis(KpiInputs(CONTRACTS, ACCOUNTS, first_value={"D": D("2026-05-15")}), *YEAR)
    [row] = report.rows
    # Only D's first contract started in 2026 (E's first was in 2024).
    assert (row["ttfv_accounts"], row["ttfv_reached"], row["ttfv_median_days"]) == (1, 1, 14.0)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2024-02-29", -12, "2023-02-28"),
        ("2026-12-15", 1, "2027-01-15"),
        ("2026-01-15", -1, "2025-12-15"),
    ],
)
def test_add_months(day: str, months: int, expected: str) -> None:
    assert add_months(D(day), months) == D(expected)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(TenureError, match="ends"):
        movements(Book(CONTRACTS), D("2026-02-01"), D("2026-01-01"))
