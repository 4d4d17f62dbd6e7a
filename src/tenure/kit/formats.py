"""How a number, an amount or a day is written for people: one way in the pages, the reports
and the emails."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tenure.kit import bands
from tenure.kit.dates import whole_months_between

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
TREND_ARROWS = {"up": "▲", "level": "▶", "down": "▼"}


def money(value: float | Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    amount = float(value)
    symbol = SYMBOLS.get(currency or "USD")
    text = f"{amount:,.0f}"
    if symbol:
        return f"{symbol}{text}" if amount >= 0 else f"-{symbol}{text[1:]}"
    return f"{text} {currency}"


def short_money(value: float | Decimal | None, currency: str | None = None) -> str:
    """$1.2M, $48k: for chart labels and summary tiles."""
    if value is None:
        return "—"
    amount = float(value)
    symbol = SYMBOLS.get(currency or "USD", "")
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(amount) >= limit:
            shown = f"{amount / limit:.1f}".rstrip("0").rstrip(".")
            return f"{symbol}{shown}{suffix}" + ("" if symbol else f" {currency}")
    return f"{symbol}{amount:,.0f}" + ("" if symbol else f" {currency or ''}".rstrip())


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def band_of(score: int | float | None, red: float = 50, amber: float = 74) -> str | None:
    """The band of a shown (rounded) score, for cells whose band is not stored: the one rule
    of `kit.bands`, with the default scorecard's limits unless told others."""
    return bands.band_of(score, bands.Bands(red, amber))


def renewal_in(renewal: date | None, as_of: date) -> str:
    """How far a renewal is: "29 days" under a month (never "0 mo"), else whole months."""
    return "—" if renewal is None else renewal_in_words(as_of, renewal)


def quarter(start: date, end: date) -> str:
    """A calendar quarter, written one way on every page: "Q4 2026 (2026-10-01 to
    2026-12-31)", both days included (`end` is the exclusive bound the code counts with)."""
    from datetime import timedelta

    last = end - timedelta(days=1)
    label = f"Q{(start.month - 1) // 3 + 1} {start.year}" if start.day == 1 else "quarter"
    return f"{label} ({start.isoformat()} to {last.isoformat()})"


def renewal_in_words(as_of: date, renewal: date) -> str:
    """How far a renewal is, for people: days under a month ("29 days", never "0 mo"),
    else whole months as renewal months count them (docs/architecture.md)."""
    days = (renewal - as_of).days
    months = whole_months_between(as_of, renewal)
    if days < 0:
        return f"{-days} days ago"
    if months < 1:
        return "today" if days == 0 else "1 day" if days == 1 else f"{days} days"
    return "1 month" if months == 1 else f"{months} months"
