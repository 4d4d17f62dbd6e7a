"""Logo churn, gross and net revenue retention over a period, from contracts alone (pure).

The demo uses these to report what a generated company looks like and to check it against
the documented ranges; Tenure's own retention figures live in `tenure.retention`.
Definitions (DOMAIN.md): the cohort is the accounts with ARR on the period's first day;
logo churn is the share of them with no ARR on its last day; GRR = sum(min(end, start)) /
sum(start); NRR = sum(end) / sum(start). A contract counts on day D when
start_date <= D < end_date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tenure.demo.calendar import add_months


@dataclass(frozen=True)
class Span:
    account: str
    start: date
    end: date
    arr: float


@dataclass(frozen=True)
class PeriodRates:
    start: date
    end: date
    accounts: int
    churned: int
    start_arr: float
    end_arr: float
    retained_arr: float

    @property
    def logo_churn(self) -> float:
        return self.churned / self.accounts if self.accounts else 0.0

    @property
    def grr(self) -> float:
        return self.retained_arr / self.start_arr if self.start_arr else 0.0

    @property
    def nrr(self) -> float:
        return self.end_arr / self.start_arr if self.start_arr else 0.0


def arr_on(spans: Iterable[Span], day: date) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for span in spans:
        if span.start <= day < span.end:
            totals[span.account] += span.arr
    return dict(totals)


def period_rates(spans: Iterable[Span], start: date, end: date) -> PeriodRates:
    spans = list(spans)
    before, after = arr_on(spans, start), arr_on(spans, end)
    cohort = {a: arr for a, arr in before.items() if arr > 0}
    end_arr = {a: after.get(a, 0.0) for a in cohort}
    return PeriodRates(
        start=start,
        end=end,
        accounts=len(cohort),
        churned=sum(1 for a in cohort if end_arr[a] <= 0),
        start_arr=sum(cohort.values()),
        end_arr=sum(end_arr.values()),
        retained_arr=sum(min(end_arr[a], arr) for a, arr in cohort.items()),
    )


def yearly_rates(spans: Iterable[Span], as_of: date, years: int) -> list[PeriodRates]:
    """The rates of the `years` whole years that end on `as_of`, oldest first."""
    spans = list(spans)
    return [
        period_rates(spans, add_months(as_of, -12 * k), add_months(as_of, -12 * (k - 1)))
        for k in range(years, 0, -1)
    ]
