"""A value report as an HTML page of its own (what the email links to, and `--out` writes)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tenure.reports.value import ValueReport
from tenure.web.charts import bar_chart

_ENV = Environment(
    loader=PackageLoader("tenure.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


def value_page(report: ValueReport) -> str:
    bars = [(str(p["period"]), float(p["count"]), "s0") for p in report.periods]
    chart = bar_chart(bars, f"Clicks per {report.interval}", width=720)
    return _ENV.get_template("value_report.html").render(report=report, chart=chart)
