"""Month arithmetic and the simulation's monthly steps (pure)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

EPOCH = date(1970, 1, 1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_floor(day: date) -> date:
    return day.replace(day=1)


def day_number(day: date) -> int:
    """Days since 1970-01-01: the integer day the event arrays work in."""
    return (day - EPOCH).days


@dataclass(frozen=True)
class Step:
    """One simulated month: the days [start, end) of a calendar month inside the history."""

    index: int
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def month(self) -> int:
        return self.start.month


def monthly_steps(history_start: date, as_of: date) -> list[Step]:
    """Calendar months cut to [history_start, as_of); the first and last may be partial."""
    steps: list[Step] = []
    start = history_start
    while start < as_of:
        end = min(add_months(month_floor(start), 1), as_of)
        steps.append(Step(len(steps), start, end))
        start = end
    return steps
