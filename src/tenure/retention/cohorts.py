"""Retention by start cohort, logo and revenue, and survivors for the sBG forecast. Pure.

An account belongs to the cohort of the month, quarter or year its first contract started.
Its period k ends k x `period_months` after its own start: it survives period k when it is
active on each of those anniversaries up to k (survival only falls; a lapsed account that
comes back later is not a survivor). Revenue retention compares the cohort's ARR on the k-th
anniversaries with its ARR on the start days, reactivations and expansion included, so it
can exceed 100% as NRR does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tenure.kit.errors import TenureError
from tenure.retention.book_facts import ZERO, Book, add_months
from tenure.retention.kpis import ratio

COHORT_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def cohort_label(day: date, cohort: str) -> str:
    if cohort == "month":
        return f"{day.year}-{day.month:02d}"
    if cohort == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if cohort == "year":
        return str(day.year)
    raise TenureError(f"--cohort {cohort!r}: one of {', '.join(COHORT_MONTHS)}")


@dataclass(frozen=True)
class CohortPeriod:
    cohort: str
    period: int
    accounts: int  # the cohort's size
    survivors: int
    arr_start: Decimal
    arr: Decimal

    @property
    def logo_retention(self) -> float | None:
        return ratio(self.survivors, self.accounts)

    @property
    def revenue_retention(self) -> float | None:
        return ratio(self.arr, self.arr_start)

    def as_record(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "period": self.period,
            "accounts": self.accounts,
            "survivors": self.survivors,
            "logo_retention": self.logo_retention,
            "arr_start": self.arr_start,
            "arr": self.arr,
            "revenue_retention": self.revenue_retention,
        }


def cohort_table(
    book: Book, as_of: date, cohort: str = "quarter", period_months: int = 12
) -> list[CohortPeriod]:
    """Each cohort's survivors and ARR after 0, 1, 2... periods, as far as all its accounts
    have been observed on `as_of`."""
    if period_months < 1:
        raise TenureError(f"--period-months {period_months}: must be at least 1")
    members: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for account in book.accounts:
        start = book.first_start(account)
        if start is not None and start <= as_of:
            members[cohort_label(start, cohort)].append((account, start))
    rows: list[CohortPeriod] = []
    for label in sorted(members):
        accounts = members[label]
        last_start = max(start for _, start in accounts)
        alive = {account for account, _ in accounts}
        arr_start = sum((book.account_arr_on(a, start) or ZERO for a, start in accounts), ZERO)
        period = 0
        while add_months(last_start, period * period_months) <= as_of:
            arr = ZERO
            for account, start in accounts:
                day = add_months(start, period * period_months)
                value = book.account_arr_on(account, day)
                if value is None:
                    alive.discard(account)
                else:
                    arr += value
            rows.append(CohortPeriod(label, period, len(accounts), len(alive), arr_start, arr))
            period += 1
    return rows


def survivors_by_cohort(table: list[CohortPeriod]) -> dict[str, list[int]]:
    """Survivor counts at the start of each observed period, per cohort (period 0 first)."""
    counts: dict[str, list[int]] = defaultdict(list)
    for row in sorted(table, key=lambda r: (r.cohort, r.period)):
        counts[row.cohort].append(row.survivors)
    return dict(counts)
