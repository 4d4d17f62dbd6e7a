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
) -> Markup:
    """Lines over dates; gaps where a value is missing; coloured zones behind (health bands)."""
    values = [v for s in series for _, v in s.points if v is not None]
    days = sorted({d for s in series for d, _ in s.points})
    if not values or not days:
        return Markup(f'<p class="empty">{escape(title)}: no data yet.</p>')
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
    for day in _date_ticks(first, last):
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
        return Markup(f'<p class="empty">{escape(title)}: no data yet.</p>')
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
