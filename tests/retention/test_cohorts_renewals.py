"""Cohort retention tables and the renewal forecast on small books worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenure.kit.errors import TenureError
from tenure.retention.book_facts import AccountRecord, Book, ContractRecord
from tenure.retention.cohorts import cohort_label, cohort_table, survivors_by_cohort
from tenure.retention.renewals import (
    forecast_renewals,
    renewal_band,
    renewal_months,
    renewals_between,
)

D = date.fromisoformat


def c(account: str, start: str, end: str, arr: int) -> ContractRecord:
    return ContractRecord(account, D(start), D(end), Decimal(arr))


def yearly(
    account: str, first: str, years: int, arrs: list[int] | None = None
) -> list[ContractRecord]:
    """`years` back-to-back annual contracts from `first` (renewed on each end date)."""
    start = D(first)
    arrs = arrs or [100] * years
    out = []
    for year in range(years):
        begin = start.replace(year=start.year + year)
        out.append(
            ContractRecord(account, begin, begin.replace(year=begin.year + 1), Decimal(arrs[year]))
        )
    return out


COHORT_BOOK = [
    # 2023-Q1 cohort: four accounts.
    *yearly("a1", "2023-01-15", 4),  # still there in 2027
    *yearly("a2", "2023-02-01", 1),  # gone after one year
    *yearly("a3", "2023-03-10", 2, [100, 150]),  # expands, then leaves after two years
    *yearly("a4", "2023-01-01", 1),
    c("a4", "2024-06-01", "2026-06-01", 80),  # lapsed, came back: revenue yes, survivor no
    # 2024-Q2 cohort: two accounts.
    *yearly("b1", "2024-04-01", 3),
    *yearly("b2", "2024-05-01", 1),
]


def test_cohort_table_by_hand() -> None:
    table = cohort_table(Book(COHORT_BOOK), D("2026-05-15"), cohort="quarter", period_months=12)
    rows = {(r.cohort, r.period): r for r in table}
    q1 = [rows[("2023-Q1", k)] for k in range(4)]
    assert [r.survivors for r in q1] == [4, 2, 1, 1]  # a2, a4 gone after 1; a3 after 2
    # Year 1: a1 100 + a3 150 (a4 is in its gap); years 2 and 3: a1 100 + a4 80 (back).
    assert [r.arr for r in q1] == [400, 250, 180, 180]
    assert q1[1].logo_retention == 0.5
    assert q1[1].revenue_retention == pytest.approx(250 / 400)
    # b2 started 2024-05-01: period 2 (2026-05-01) is observed for both members.
    q2 = [rows[("2024-Q2", k)] for k in range(3)]
    assert [r.survivors for r in q2] == [2, 1, 1]
    assert ("2024-Q2", 3) not in rows
    assert ("2023-Q1", 4) not in rows
    assert survivors_by_cohort(table) == {"2023-Q1": [4, 2, 1, 1], "2024-Q2": [2, 1, 1]}


def test_cohort_labels_and_bad_options() -> None:
    assert cohort_label(D("2024-11-03"), "month") == "2024-11"
    assert cohort_label(D("2024-11-03"), "quarter") == "2024-Q4"
    assert cohort_label(D("2024-11-03"), "year") == "2024"
    with pytest.raises(TenureError, match="--cohort 'week'"):
        cohort_label(D("2024-11-03"), "week")
    with pytest.raises(TenureError, match="--period-months 0"):
        cohort_table(Book(COHORT_BOOK), D("2026-01-01"), period_months=0)


def test_renewal_months_and_bands() -> None:
    book = Book([c("x", "2026-01-01", "2027-02-01", 10), c("x", "2026-06-01", "2026-09-01", 5)])
    assert renewal_months(book, "x", D("2027-01-01")) == 1
    assert renewal_months(book, "x", D("2026-07-01")) == 7  # the latest active end date
    assert renewal_months(book, "x", D("2027-02-01")) is None
    assert [renewal_band(m) for m in (0, 3, 4, 6, 7, 12, 30, None)] == [
        "red",
        "red",
        "amber",
        "amber",
        "green",
        "green",
        "green",
        None,
    ]


def test_past_renewals_keep_arr_up_to_what_was_up() -> None:
    book = Book(
        [
            c("grow", "2025-01-01", "2026-01-01", 100),
            c("grow", "2026-01-01", "2027-01-01", 130),  # kept 100 of 100 (capped)
            c("shrink", "2025-02-01", "2026-02-01", 100),
            c("shrink", "2026-02-01", "2027-02-01", 60),  # kept 60
            c("gone", "2025-03-01", "2026-03-01", 50),  # kept 0
            c("gap", "2025-04-01", "2026-04-01", 40),
            c("gap", "2026-04-02", "2027-04-02", 40),  # a day's gap: lost
            c("two", "2025-01-01", "2026-05-01", 20),  # one of two contracts ends, not renewed
            c("two", "2025-06-01", "2027-06-01", 10),
        ]
    )
    found = {r.account: r for r in renewals_between(book, D("2025-12-31"), D("2026-06-30"))}
    assert {k: (r.arr_up, r.arr_kept) for k, r in found.items()} == {
        "grow": (100, 100),
        "shrink": (100, 60),
        "gone": (50, 0),
        "gap": (40, 0),
        "two": (20, 0),
    }


def test_renewal_forecast_by_band_and_csm() -> None:
    history = [
        # Renewed in the year before 2026-06-01: 5 renewals, ARR up 500, kept 400.
        *[c(f"h{i}", "2025-01-01", "2026-01-01", 100) for i in range(5)],
        *[c(f"h{i}", "2026-01-01", "2027-01-01", 100) for i in range(4)],
    ]
    upcoming = [
        c("u1", "2025-07-01", "2026-07-01", 200),  # 30 days out
        c("u2", "2025-10-01", "2026-10-01", 100),  # 122 days out
        c("u3", "2025-01-01", "2027-06-01", 300),  # a year out: outside both windows
    ]
    accounts = {
        "u1": AccountRecord("u1", csm_email="ann@example.com"),
        "u2": AccountRecord("u2", csm_email="bob@example.com"),
    }
    result = forecast_renewals(Book(history + upcoming), accounts, D("2026-06-01"))
    rates = {r["band"]: r for r in result.rates}
    assert rates["all"]["rate"] == pytest.approx(0.8)
    assert rates["all"]["past_renewals"] == 5
    detail = {r["account_external_id"]: r for r in result.renewals}
    assert set(detail) == {"u1", "u2"}
    assert detail["u1"]["days"] == 30
    assert detail["u1"]["band"] == "red"
    assert detail["u1"]["expected_arr"] == Decimal("160.0")  # 200 x 0.8
    summary = {(s["band"], s["csm_email"]): s for s in result.summary}
    ann = summary[("red", "ann@example.com")]
    assert (ann["arr_renewing_90d"], ann["expected_arr_90d"]) == (200, Decimal("160.0"))
    assert (ann["arr_renewing_180d"], ann["accounts_180d"]) == (200, 1)
    bob = summary[("amber", "bob@example.com")]  # four months to renewal
    assert (bob["arr_renewing_90d"], bob["accounts_90d"]) == (0, 0)
    assert (bob["arr_renewing_180d"], bob["expected_arr_180d"]) == (100, Decimal("80.0"))


def test_renewal_forecast_uses_health_bands_when_given() -> None:
    book = Book(
        [
            *[c(f"g{i}", "2025-01-01", "2026-01-01", 100) for i in range(6)],
            *[c(f"g{i}", "2026-01-01", "2027-01-01", 100) for i in range(6)],  # greens renew
            *[c(f"r{i}", "2025-02-01", "2026-02-01", 100) for i in range(5)],  # reds churn
            c("next_g", "2025-08-01", "2026-08-01", 100),
            c("next_r", "2025-08-01", "2026-08-01", 100),
        ]
    )

    def band(account: str, _day: date) -> str:
        return "green" if account.startswith(("g", "next_g")) else "red"

    nothing_due = forecast_renewals(Book(book.by_account["g0"]), {}, D("2026-06-01"))
    assert nothing_due.renewals == []
    assert nothing_due.summary == []
    result = forecast_renewals(book, {}, D("2026-06-01"), band_at=band, band_source="health")
    rates = {r["band"]: r["rate"] for r in result.rates}
    assert rates == {"red": 0.0, "green": 1.0, "all": pytest.approx(6 / 11)}
    detail = {r["account_external_id"]: r["expected_arr"] for r in result.renewals}
    assert detail == {"next_g": 100, "next_r": 0}
