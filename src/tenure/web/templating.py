"""Jinja2 templates (autoescaped: a value with HTML in it is shown as text) and the filters
pages use to show money, dates, bands and trends the way a CSM reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tenure.kit.formats import (
    SYMBOLS,
    TREND_ARROWS,
    band_of,
    day,
    money,
    number,
    percent,
    quarter,
    renewal_in,
    short_money,
)

# The formats are re-exported: pages and templates take them from here.
__all__ = [
    "SYMBOLS",
    "TREND_ARROWS",
    "band_of",
    "day",
    "money",
    "number",
    "percent",
    "query",
    "quarter",
    "render",
    "renewal_in",
    "short_money",
]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


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
