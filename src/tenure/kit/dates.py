"""Date rules shared by every domain (docs/architecture.md, "Data contracts"). Days are UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_today() -> date:
    return datetime.now(UTC).date()


def utc_now() -> datetime:
    return datetime.now(UTC)


def quarter_bounds(day: date) -> tuple[date, date]:
    """The calendar quarter holding `day`: [first day, first day of the next)."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, end


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken to be UTC; an aware one is converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def whole_months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end`, rounded down (negative if end < start).

    2027-01-01 -> 2027-02-01 is 1; 2027-01-31 -> 2027-02-28 is 0.
    """
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end >= start and end.day < start.day:
        months -= 1
    elif end < start and end.day > start.day:
        months += 1
    return months


def years_between(start: date, end: date) -> float:
    """Years from `start` to `end` as a decimal, for "years as a customer"."""
    return (end - start).days / 365.25
