"""The pure part of the Today page: which week a day is in, and how far a renewal is."""

from __future__ import annotations

from datetime import date, timedelta

from tenure.kit.dates import whole_months_between

RENEWAL_WINDOW_DAYS = 90
# A fall smaller than a point is rounding, not news.
FALL_POINTS = 1.0
WEEK_DAYS = 7


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding `day` (both included)."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def renewal_in_words(as_of: date, renewal: date) -> str:
    """How far a renewal is, for people: days under a month ("29 days", never "0 mo"),
    else whole months as DESIGN's renewal months count them."""
    days = (renewal - as_of).days
    months = whole_months_between(as_of, renewal)
    if days < 0:
        return f"{-days} days ago"
    if months < 1:
        return "today" if days == 0 else "1 day" if days == 1 else f"{days} days"
    return "1 month" if months == 1 else f"{months} months"
