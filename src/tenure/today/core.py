"""The pure part of the Today page: which week a day is in, and how far a renewal is."""

from __future__ import annotations

from datetime import date, timedelta

from tenure.kit.formats import renewal_in_words as renewal_in_words

RENEWAL_WINDOW_DAYS = 90
# A fall smaller than a point is rounding, not news.
FALL_POINTS = 1.0
WEEK_DAYS = 7


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding `day` (both included)."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)
