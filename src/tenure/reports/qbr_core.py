"""The figures of a QBR pack that are plain arithmetic over plain rows. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from tenure.kit.dates import quarter_bounds


def quarter_of(start: date) -> tuple[date, date]:
    """[first day, last day] of the calendar quarter starting on `start` (refused otherwise)."""
    first, following = quarter_bounds(start)
    if first != start:
        raise ValueError(
            f"{start} is not the first day of a quarter (that quarter starts on {first})"
        )
    return first, following - timedelta(days=1)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class UsageRow:
    day: date
    feature: str
    user: str | None
    events: int


def usage_by(rows: Iterable[UsageRow], months: Sequence[str], top: int = 8) -> dict[str, Any]:
    """Events per feature and per user for each month, the `top` most used of each."""
    by_feature: dict[str, Counter[str]] = defaultdict(Counter)
    by_user: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        month = month_key(row.day)
        by_feature[row.feature][month] += row.events
        if row.user:
            by_user[row.user][month] += row.events

    def ranked(table: dict[str, Counter[str]]) -> list[dict[str, Any]]:
        order = sorted(table, key=lambda k: (-sum(table[k].values()), k))[:top]
        return [
            {
                "name": name,
                "total": sum(table[name].values()),
                "months": [table[name].get(m, 0) for m in months],
            }
            for name in order
        ]

    return {
        "months": list(months),
        "features": ranked(by_feature),
        "users": ranked(by_user),
        "feature_count": len(by_feature),
        "user_count": len(by_user),
    }


def adoption_gaps(paid_for: Iterable[str], used: Iterable[str]) -> list[str]:
    """Features the account pays for and did not use."""
    return sorted(set(paid_for) - set(used))


@dataclass(frozen=True, slots=True)
class TicketRow:
    opened_at: datetime
    closed_at: datetime | None
    kind: str
    satisfied: bool | None


def support_summary(tickets: Sequence[TicketRow], start: date, end: date) -> dict[str, Any]:
    """Tickets opened in [start, end]: how many, of which kind, hours to close, satisfaction."""
    opened = [t for t in tickets if start <= t.opened_at.date() <= end]
    closed = [t for t in opened if t.closed_at is not None and t.closed_at.date() <= end]
    hours = [(t.closed_at - t.opened_at).total_seconds() / 3600 for t in closed if t.closed_at]
    rated = [t.satisfied for t in opened if t.satisfied is not None]
    return {
        "opened": len(opened),
        "problems": sum(1 for t in opened if t.kind == "problem"),
        "questions": sum(1 for t in opened if t.kind == "question"),
        "closed": len(closed),
        "still_open": len(opened) - len(closed),
        "median_hours_to_close": round(median(hours), 1) if hours else None,
        "closed_within_48h": (sum(1 for h in hours if h <= 48) / len(hours)) if hours else None,
        "satisfied_share": (sum(1 for s in rated if s) / len(rated)) if rated else None,
        "rated": len(rated),
    }
