"""A QBR pack rendered from its frozen snapshot: one HTML page (the same SVG charts as the web
app, embedded as images so a browser and the PDF renderer draw them alike) and a PDF made
from that HTML by WeasyPrint."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from tenure.kit.charts import Series, Zone, bar_chart, line_chart
from tenure.kit.formats import day, money, number, percent
from tenure.models import QbrSnapshot

TEMPLATES = Path(__file__).resolve().parent / "templates"

# The web app's chart colours (static/app.css), inside each SVG: an SVG drawn as an image
# sees no stylesheet of the page around it.
CHART_CSS = """
.grid { stroke: #e8ebf0; stroke-width: 1; }
.axis { fill: #5b6573; font-size: 11px; font-family: sans-serif; }
.value { fill: #1d2430; font-size: 12px; font-family: sans-serif; }
.line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.zone-red { fill: #fbe3e3; } .zone-amber { fill: #fcf1d8; } .zone-green { fill: #e2f2e8; }
.line.health { stroke: #1d2430; } .dot.health { fill: #1d2430; }
.line.s0 { stroke: #2f5bd3; } .dot.s0 { fill: #2f5bd3; }
.line.s1 { stroke: #e07b39; } .dot.s1 { fill: #e07b39; }
.line.s2 { stroke: #2e8b57; } .dot.s2 { fill: #2e8b57; }
.line.s3 { stroke: #8e44ad; } .dot.s3 { fill: #8e44ad; }
.line.s4 { stroke: #c0392b; } .dot.s4 { fill: #c0392b; }
.line.s5 { stroke: #7f8c8d; } .dot.s5 { fill: #7f8c8d; }
.bar.s0, .bar.none { fill: #8d99ae; } .bar.s1 { fill: #2f5bd3; }
"""


def chart_image(svg: Markup, alt: str) -> Markup:
    """An SVG chart as an <img> whose data carries its own colours."""
    text = str(svg)
    head, _, rest = text.partition(">")
    if not head.startswith("<svg"):
        return svg  # a "no data" note, not a chart
    if "xmlns=" not in head:
        head = head.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    document = f"{head}><style>{CHART_CSS}</style>{rest}"
    data = base64.b64encode(document.encode()).decode()
    return Markup('<img class="chart" alt="{}" src="data:image/svg+xml;base64,{}">').format(
        alt, data
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def charts(figures: dict[str, Any]) -> dict[str, Markup]:
    health = figures["health"]
    bands = health.get("bands") or {"red": 50, "amber": 74}
    out: dict[str, Markup] = {}
    points = [(_day(d), v) for d, v in health["series"]]
    out["health"] = chart_image(
        line_chart(
            [Series("Health", points, "health")],
            "Health over the quarter",
            y_range=(0, 100),
            zones=[
                Zone(0, bands["red"], "zone-red"),
                Zone(bands["red"], bands["amber"], "zone-amber"),
                Zone(bands["amber"], 100, "zone-green"),
            ],
        ),
        "Health over the quarter",
    )
    usage = figures["usage"]
    out["features"] = chart_image(
        bar_chart(
            [(f["name"], float(f["total"]), "s1") for f in usage["features"]],
            "Events by feature this quarter",
        ),
        "Events by feature this quarter",
    )
    active = [(_day(d), v) for d, v in usage.get("active_users") or []]
    out["active_users"] = chart_image(
        line_chart([Series("Active users (28 days)", active, "s0")], "Active users (28 days)"),
        "Active users (28 days)",
    )
    return out


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, day=_as_day, number=number, percent=percent)
    return env


def _as_day(value: Any) -> str:
    return "—" if value is None else day(_day(value))


ENV = _environment()


def html(snapshot: QbrSnapshot) -> str:
    """The pack as one self-contained HTML document."""
    figures = snapshot.figures
    return ENV.get_template("qbr.html").render(
        f=figures,
        charts=charts(figures),
        snapshot_id=snapshot.id,
        made=snapshot.created_at,
    )


def pdf(snapshot: QbrSnapshot) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    document: bytes = HTML(string=html(snapshot), base_url=str(TEMPLATES)).write_pdf()
    return document


# The pack is one self-contained document: its own styles, its charts as data images.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
