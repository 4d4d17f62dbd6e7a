"""SVG charts drawn on the server: ticks, gaps, bands, and labels escaped."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tenure.web.charts import Series, Zone, bar_chart, line_chart, meter, nice_ticks


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
