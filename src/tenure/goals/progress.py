"""How far a goal has come, and time to first value. Pure: plain values in, plain values out.

Progress is the share of the way from the baseline to the target, so a goal to bring a figure
down (hours spent, tickets opened) works the same as one to bring it up. Without a baseline
the way starts at zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Reading:
    """The goal's measure on a day, and where it came from (`metric` or `csm`)."""

    on: date
    value: float
    source: str


def share_done(value: float | None, baseline: float | None, target: float) -> float | None:
    """0..1 of the way from baseline (0 when not given) to target; None without a value.
    Past the target counts as done (1), behind the baseline as not started (0)."""
    if value is None:
        return None
    start = baseline if baseline is not None else 0.0
    if target == start:
        return 1.0 if value == target else 0.0
    return min(max((value - start) / (target - start), 0.0), 1.0)


def on_track(
    share: float | None, created: date, due: date, as_of: date, achieved: bool = False
) -> str:
    """`achieved`, `on track`, `behind` (less done than the time gone would ask), `overdue` or
    `no data`."""
    if achieved or share == 1.0:
        return "achieved"
    if share is None:
        return "no data"
    if as_of > due:
        return "overdue"
    span = max((due - created).days, 1)
    elapsed = min(max((as_of - created).days, 0), span) / span
    return "on track" if share + 1e-9 >= elapsed else "behind"


def latest_reading(readings: list[Reading], as_of: date) -> Reading | None:
    known = [r for r in readings if r.on <= as_of]
    return max(known, key=lambda r: r.on) if known else None


def days_to_first_value(customer_since: date | None, reached_on: date | None) -> int | None:
    if customer_since is None or reached_on is None:
        return None
    return (reached_on - customer_since).days
