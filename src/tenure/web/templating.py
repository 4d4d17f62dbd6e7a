"""Jinja2 templates (autoescaped: a value with HTML in it is shown as text) and the filters
pages use to show money, dates, bands and trends the way a CSM reads them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

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
    """The band of a shown (rounded) score, for cells whose band is not stored."""
    if score is None:
        return None
    return "red" if score <= red else "amber" if score <= amber else "green"


def renewal_in(renewal: date | None, as_of: date) -> str:
    """How far a renewal is: "29 days" under a month (never "0 mo"), else whole months."""
    from tenure.today.core import renewal_in_words

    return "—" if renewal is None else renewal_in_words(as_of, renewal)


def quarter(start: date, end: date) -> str:
    """A calendar quarter, written one way on every page: "Q4 2026 (2026-10-01 to
    2026-12-31)", both days included (`end` is the exclusive bound the code counts with)."""
    from datetime import timedelta

    last = end - timedelta(days=1)
    label = f"Q{(start.month - 1) // 3 + 1} {start.year}" if start.day == 1 else "quarter"
    return f"{label} ({start.isoformat()} to {last.isoformat()})"


def query(params: dict[str, Any], **changes: Any) -> str:
    """The page's query string with some parameters changed (None drops one)."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        # Templates ship with the package: no need to stat every file on every render.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        short_money=short_money,
        day=day,
        number=number,
        percent=percent,
        band_of=band_of,
    )
    env.globals.update(renewal_in=renewal_in, quarter=quarter)
    env.globals.update(query=query, trend_arrows=TREND_ARROWS)
    return env


ENV = _environment()


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    identity = getattr(request.state, "identity", None)
    values = {
        "request": request,
        "me": identity.user if identity else None,
        "csrf": identity.session.csrf_token if identity else "",
        "path": request.url.path,
        "htmx": request.headers.get("HX-Request") == "true",
        **(context or {}),
    }
    html = ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=headers)
