"""Time to first value: days from an account's start to its first moment of value. Pure.

The first-value moment is configurable: the first day a metric reaches a threshold (a usage
count of 1 makes it "the first time event X happened"), or dates given directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from statistics import fmean, median
from typing import Any


@dataclass(frozen=True)
class TimeToValue:
    started: int  # accounts whose first contract started in the period
    reached: int  # of those, how many reached first value by the period's end
    median_days: float | None
    mean_days: float | None

    def as_record(self) -> dict[str, Any]:
        return {
            "ttfv_accounts": self.started,
            "ttfv_reached": self.reached,
            "ttfv_median_days": self.median_days,
            "ttfv_mean_days": self.mean_days,
        }


def first_value_dates(
    starts: Mapping[str, date],
    series: Iterable[tuple[str, date, float | None]],
    threshold: float,
) -> dict[str, date]:
    """Each account's first day on or after its start when the metric was >= threshold."""
    first: dict[str, date] = {}
    for account, day, value in series:
        start = starts.get(account)
        if start is None or value is None or day < start or value < threshold:
            continue
        if account not in first or day < first[account]:
            first[account] = day
    return first


def time_to_value(
    starts: Mapping[str, date], first_value: Mapping[str, date], start: date, end: date
) -> TimeToValue:
    """For accounts that started in [start, end]: how many reached value by `end`, how fast."""
    cohort = [a for a, day in starts.items() if start <= day <= end]
    days = [
        (first_value[a] - starts[a]).days
        for a in cohort
        if a in first_value and first_value[a] <= end
    ]
    return TimeToValue(
        started=len(cohort),
        reached=len(days),
        median_days=float(median(days)) if days else None,
        mean_days=fmean(days) if days else None,
    )
