"""Charts as SVG drawn on the server: no script, no network, and they print. Pure.

Colours come from classes styled in app.css, so the page's Content-Security-Policy can forbid
inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 48, 30, 12, 28


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[date, float | None]]
    css: str = "s0"  # s0..s5 palette, or a band colour


@dataclass(frozen=True)
class Zone:
    low: float
    high: float
    css: str  # zone-red | zone-amber | zone-green


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5, 5 x 10^n steps)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _no_data(title: str) -> Markup:
    """What a chart with nothing to draw shows instead."""
    return Markup(f'<p class="empty">{escape(title)}: no data yet.</p>')


def compact(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}" if value == int(value) else f"{value:.2g}"


def line_chart(
    series: Sequence[Series],
    title: str,
    y_range: tuple[float, float] | None = None,
    zones: Sequence[Zone] = (),
    label: Callable[[float], str] = compact,
    width: int = WIDTH,
    height: int = HEIGHT,
    x_ticks: Sequence[date] | None = None,
) -> Markup:
    """Lines over dates; gaps where a value is missing; coloured zones behind (health bands).
    `x_ticks`: the dates to label (those the data sits on), instead of evenly spaced days."""
    values = [v for s in series for _, v in s.points if v is not None]
    days = sorted({d for s in series for d, _ in s.points})
    if not values or not days:
        return _no_data(title)
    low, high = y_range if y_range else (min(0.0, min(values)), max(values))
    ticks = nice_ticks(low, high) if not y_range else nice_ticks(low, high, 4)
    low, high = (low, high) if y_range else (ticks[0], ticks[-1])
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / ((high - low) or 1))

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    for zone in zones:
        top, bottom = y(min(zone.high, high)), y(max(zone.low, low))
        parts.append(
            f'<rect class="{zone.css}" x="{LEFT}" y="{top:.1f}" width="{plot_w}" '
            f'height="{max(bottom - top, 0):.1f}"/>'
        )
    for tick in ticks:
        if low <= tick <= high:
            parts.append(
                f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y(tick):.1f}" '
                f'y2="{y(tick):.1f}"/><text class="axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
                f'text-anchor="end">{escape(label(tick))}</text>'
            )
    for day in x_ticks if x_ticks is not None else _date_ticks(first, last):
        parts.append(
            f'<text class="axis" x="{x(day):.1f}" y="{height - 8}" text-anchor="middle">'
            f"{escape(_date_label(day, span))}</text>"
        )
    for index, line in enumerate(series):
        css = line.css or f"s{index % 6}"
        for run in _runs(line.points):
            if len(run) == 1:
                d, v = run[0]
                parts.append(f'<circle class="dot {css}" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3"/>')
                continue
            points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in run)
            parts.append(
                f'<polyline class="line {css}" points="{points}">'
                f"<title>{escape(line.name)}</title></polyline>"
            )
        known = [(d, v) for d, v in line.points if v is not None]
        if known:
            d, v = known[-1]
            parts.append(
                f'<circle class="dot {css}" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5">'
                f"<title>{escape(line.name)} {escape(d.isoformat())}: "
                f"{escape(label(v))}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _runs(points: Sequence[tuple[date, float | None]]) -> list[list[tuple[date, float]]]:
    runs: list[list[tuple[date, float]]] = [[]]
    for day, value in sorted(points, key=lambda p: p[0]):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((day, value))
    return [r for r in runs if r]


def _date_ticks(first: date, last: date, count: int = 6) -> list[date]:
    span = (last - first).days
    if span == 0:
        return [first]
    return [
        date.fromordinal(first.toordinal() + round(span * i / (count - 1))) for i in range(count)
    ]


def _date_label(day: date, span: int) -> str:
    return day.strftime("%b %Y") if span > 180 else day.strftime("%d %b")


def bar_chart(
    bars: Sequence[tuple[str, float, str]],
    title: str,
    label: Callable[[float], str] = compact,
    width: int = WIDTH,
) -> Markup:
    """Horizontal bars: (label, value, css class) each."""
    if not bars:
        return _no_data(title)
    row, gap, name_w, value_w = 26, 8, 150, 70
    height = len(bars) * (row + gap) + gap
    top = max((v for _, v, _ in bars), default=0) or 1
    plot_w = width - name_w - value_w
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (name, value, css) in enumerate(bars):
        y = gap + index * (row + gap)
        w = max(plot_w * value / top, 0 if value <= 0 else 2)
        parts.append(
            f'<text class="axis" x="{name_w - 8}" y="{y + row * 0.68:.1f}" text-anchor="end">'
            f"{escape(name)}</text>"
            f'<rect class="bar {css}" x="{name_w}" y="{y}" width="{w:.1f}" height="{row}" rx="3">'
            f"<title>{escape(name)}: {escape(label(value))}</title></rect>"
            f'<text class="value" x="{name_w + w + 6:.1f}" y="{y + row * 0.68:.1f}">'
            f"{escape(label(value))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall: a total stands on zero and sets the level; a change floats
    from the level the bars before it reached."""

    name: str
    value: float
    total: bool = False


def _signed(value: float, label: Callable[[float], str]) -> str:
    return f"+{label(value)}" if value > 0 else f"−{label(-value)}" if value < 0 else label(0)


def waterfall_chart(
    steps: Sequence[Step],
    title: str,
    label: Callable[[float], str] = compact,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    """Vertical bars walking from one total to the next (ARR movements): totals grey, rises
    green, falls red, and a connector at the level each bar leaves for the next one."""
    if not steps:
        return _no_data(title)
    spans: list[tuple[float, float]] = []
    level = 0.0
    for step in steps:
        start = 0.0 if step.total else level
        level = step.value if step.total else level + step.value
        spans.append((start, level))
    ticks = nice_ticks(min(0.0, *(v for s in spans for v in s)), max(v for s in spans for v in s))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM - 12
    slot = plot_w / len(steps)
    bar_w = slot * 0.6

    def y(value: float) -> float:
        return TOP + 12 + plot_h * (1 - (value - low) / ((high - low) or 1))

    parts = [
        f'<svg class="chart waterfall" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{escape(label(tick))}</text>'
        )
    for index, (step, (start, end)) in enumerate(zip(steps, spans, strict=True)):
        x = LEFT + slot * index + (slot - bar_w) / 2
        top, bottom = y(max(start, end)), y(min(start, end))
        css = "total" if step.total else "up" if step.value >= 0 else "down"
        shown = label(step.value) if step.total else _signed(step.value, label)
        middle = x + bar_w / 2
        parts.append(
            f'<rect class="bar {css}" x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
            f'height="{bottom - top:.1f}"><title>{escape(step.name)}: {escape(shown)}</title>'
            f'</rect><text class="value" x="{middle:.1f}" y="{top - 4:.1f}" '
            f'text-anchor="middle">{escape(shown)}</text><text class="axis" x="{middle:.1f}" '
            f'y="{height - 8}" text-anchor="middle">{escape(step.name)}</text>'
        )
        if index + 1 < len(steps):
            parts.append(
                f'<line class="connector" x1="{x + bar_w:.1f}" x2="{x + slot:.1f}" '
                f'y1="{y(end):.1f}" y2="{y(end):.1f}"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Interval:
    """A rate with its confidence interval; `value` None when there was nothing to count."""

    name: str
    value: float | None
    low: float | None
    high: float | None
    css: str = "s0"
    note: str = ""


def interval_chart(
    bars: Sequence[Interval],
    title: str,
    label: Callable[[float], str] = compact,
    width: int = WIDTH,
) -> Markup:
    """Horizontal bars with a whisker from each interval's low to its high end, on a shared
    axis so the bands' rates and their uncertainty compare at a glance."""
    if not bars:
        return _no_data(title)
    row, gap, name_w, value_w, axis_h = 26, 10, 110, 240, 20
    height = len(bars) * (row + gap) + gap + axis_h
    ends = [v for b in bars for v in (b.value, b.high) if v is not None]
    ticks = nice_ticks(0.0, max(ends, default=0.0) or 1.0)
    plot_w = width - name_w - value_w

    def x(value: float) -> float:
        return name_w + plot_w * value / (ticks[-1] or 1)

    parts = [
        f'<svg class="chart bars intervals" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{gap}" '
            f'y2="{height - axis_h:.1f}"/><text class="axis" x="{x(tick):.1f}" '
            f'y="{height - 6}" text-anchor="middle">{escape(label(tick))}</text>'
        )
    for index, bar in enumerate(bars):
        top = gap + index * (row + gap)
        middle = top + row / 2
        parts.append(
            f'<text class="axis" x="{name_w - 8}" y="{top + row * 0.68:.1f}" '
            f'text-anchor="end">{escape(bar.name)}</text>'
        )
        if bar.value is None:
            text = f"no data{f' · {bar.note}' if bar.note else ''}"
        else:
            low = bar.low if bar.low is not None else bar.value
            high = bar.high if bar.high is not None else bar.value
            text = f"{label(bar.value)} ({label(low)}–{label(high)})"
            text += f" · {bar.note}" if bar.note else ""
            parts.append(
                f'<rect class="bar {bar.css}" x="{name_w}" y="{top}" '
                f'width="{x(bar.value) - name_w:.1f}" height="{row}" rx="3">'
                f"<title>{escape(bar.name)}: {escape(text)}</title></rect>"
                f'<path class="whisker" d="M{x(low):.1f},{middle:.1f}H{x(high):.1f}'
                f"M{x(low):.1f},{middle - 6:.1f}V{middle + 6:.1f}"
                f'M{x(high):.1f},{middle - 6:.1f}V{middle + 6:.1f}"/>'
            )
        parts.append(
            f'<text class="value" x="{width - value_w + 8}" y="{top + row * 0.68:.1f}">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def meter(used: float, capacity: float, width: int = 160, height: int = 12) -> Markup:
    """A small used-against-capacity bar (red when over)."""
    share = 0.0 if capacity <= 0 else min(used / capacity, 1.0)
    css = "over" if used > capacity else "under"
    return Markup(
        f'<svg class="meter" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{used:.0f} of {capacity:.0f} hours">'
        f'<rect class="track" width="{width}" height="{height}" rx="3"/>'
        f'<rect class="fill {css}" width="{width * share:.1f}" height="{height}" rx="3"/></svg>'
    )
