"""SVG charts drawn on the server: ticks, gaps, bands, and labels escaped."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.kit.charts import (
    Interval,
    Series,
    Step,
    Zone,
    bar_chart,
    interval_chart,
    line_chart,
    meter,
    nice_ticks,
    waterfall_chart,
)


@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.floats(min_value=1e-3, max_value=1e6, allow_nan=False),
)
def test_ticks_cover_the_range_in_round_steps(low, span):
    high = low + span
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low + 1e-9 * max(1, abs(low))
    assert ticks[-1] >= high - 1e-9 * max(1, abs(high))
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    assert 2 <= len(ticks) <= 12


def test_a_line_breaks_where_data_is_missing():
    start = date(2026, 1, 1)
    points = [(start + timedelta(days=i), None if i == 3 else float(i)) for i in range(7)]
    svg = str(line_chart([Series("Health", points, "health")], "Health", y_range=(0, 100)))
    assert svg.startswith('<svg class="chart"')
    assert svg.count("<polyline") == 2  # days 0-2 and 4-6
    zones = line_chart(
        [Series("Health", points, "health")],
        "Health",
        y_range=(0, 100),
        zones=[Zone(0, 50, "zone-red"), Zone(50, 74, "zone-amber"), Zone(74, 100, "zone-green")],
    )
    assert str(zones).count('<rect class="zone-') == 3


def test_no_data_is_said_not_drawn():
    assert "no data yet" in str(line_chart([Series("x", [])], "Usage"))
    assert "no data yet" in str(bar_chart([], "ARR"))


def test_labels_are_escaped():
    day = date(2026, 1, 1)
    svg = str(
        line_chart(
            [Series("<script>x</script>", [(day, 1.0), (day + timedelta(1), 2.0)])], "<b>t</b>"
        )
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    bars = str(bar_chart([("<i>red</i>", 5.0, "red")], "ARR"))
    assert "<i>" not in bars
    assert "&lt;i&gt;red&lt;/i&gt;" in bars


def test_meter_turns_red_when_over_capacity():
    assert 'class="fill under"' in str(meter(100, 520))
    assert 'class="fill over"' in str(meter(600, 520))


def waterfall_bars(svg: str) -> list[tuple[str, float, float]]:
    """Each bar of a waterfall as (class, top y, bottom y) in SVG pixels."""
    found = re.findall(
        r'<rect class="bar (\w+)" x="[\d.]+" y="([\d.-]+)" width="[\d.]+" height="([\d.]+)"',
        svg,
    )
    return [(css, float(y), float(y) + float(h)) for css, y, h in found]


def assert_waterfall_reconciles(svg: str) -> None:
    """Each change starts at the level the bar before it left, and the walk ends on the top
    of the last total (to the 0.1 px the chart rounds to)."""
    bars = waterfall_bars(svg)
    assert bars[0][0] == bars[-1][0] == "total"
    level = bars[0][1]
    for css, top, bottom in bars[1:-1]:
        assert css in ("up", "down")
        assert abs((bottom if css == "up" else top) - level) <= 0.15
        level = top if css == "up" else bottom
    assert abs(bars[-1][1] - level) <= 0.15


def test_a_waterfall_walks_from_the_start_to_the_end():
    # The hand-worked year of tests/retention/test_kpis.py, in thousands.
    steps = [
        Step("Start", 275, total=True),
        Step("New", 30),
        Step("Expansion", 20),
        Step("Reactivation", 45),
        Step("Contraction", -20),
        Step("Churn", -85),
        Step("End", 265, total=True),
    ]
    svg = str(waterfall_chart(steps, "ARR movements"))
    assert svg.startswith('<svg class="chart waterfall"')
    assert [b[0] for b in waterfall_bars(svg)] == [
        "total", "up", "up", "up", "down", "down", "total",
    ]  # fmt: skip
    assert_waterfall_reconciles(svg)
    assert ">+45<" in svg
    assert ">−85<" in svg  # a fall is labelled with a minus sign, not "$-85"
    assert svg.count('class="connector"') == len(steps) - 1
    # Changes float: the churn bar spans 85 of the axis, the same height as 85 on a total.
    bars = waterfall_bars(svg)
    per_unit = (bars[0][2] - bars[0][1]) / 275
    assert bars[5][2] - bars[5][1] == pytest.approx(85 * per_unit, abs=0.2)


def test_interval_bars_have_whiskers_and_say_when_there_is_nothing():
    svg = str(
        interval_chart(
            [
                Interval("Red", 0.5, 0.3, 0.7, "red", "5 of 10 churned"),
                Interval("Green", 0.0, 0.0, 0.16, "green", "0 of 20 churned"),
                Interval("<b>Amber</b>", None, None, None, "amber"),
            ],
            "Churn by band",
            label=lambda v: f"{v:.0%}",
        )
    )
    assert svg.count('class="whisker"') == 2
    assert "50% (30%–70%) · 5 of 10 churned" in svg
    assert "no data" in svg
    assert "<b>" not in svg
    assert "&lt;b&gt;Amber&lt;/b&gt;" in svg
    assert "no data yet" in str(interval_chart([], "Churn by band"))
    assert "no data yet" in str(waterfall_chart([], "ARR"))
