"""Why a score is what it is, and what moved since the previous snapshot (pure).

"down 12: product 78 -> 54, logins per user halved"
"""

from __future__ import annotations

from dataclasses import dataclass

from tenure.health.scoring import TOLERANCE
from tenure.health.snapshot_rows import MeasurePart, Snapshot


def whole(value: float | None) -> int | None:
    """Round half up to whole points, as the score is shown."""
    if value is None:
        return None
    return int(value + 0.5 + TOLERANCE) if value >= 0 else -int(-value + 0.5 - TOLERANCE)


def describe_change(before: float | None, now: float | None) -> str:
    """How a measure's value moved, in words a CSM reads at a glance."""
    if before is None and now is None:
        return "no data"
    if before is None:
        return f"now {_number(now)} (no data before)"
    if now is None:
        return f"no data now (was {_number(before)})"
    if now == before:
        return "unchanged"
    if before == 0:
        return f"from 0 to {_number(now)}"
    ratio = now / before
    if now == 0:
        return f"dropped to 0 (was {_number(before)})"
    if 0.45 <= ratio <= 0.55:
        return f"halved ({_number(before)} -> {_number(now)})"
    if 1.9 <= ratio <= 2.1:
        return f"doubled ({_number(before)} -> {_number(now)})"
    percent = whole(abs(ratio - 1) * 100)
    direction = "up" if ratio > 1 else "down"
    return f"{direction} {percent}% ({_number(before)} -> {_number(now)})"


def _number(value: float | None) -> str:
    if value is None:
        return "no data"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


@dataclass(frozen=True)
class Movement:
    component: str
    before: int | None
    now: int | None
    points: float  # change in contribution to the exact score


def movements(now: Snapshot, before: Snapshot) -> list[Movement]:
    """Components whose shown score moved, largest effect on the score first."""
    moved: list[Movement] = []
    for part in now.components:
        old = before.component(part.key)
        was = whole(old.score) if old else None
        score = whole(part.score)
        if was == score:
            continue
        points = part.contribution - (old.contribution if old else 0.0)
        moved.append(Movement(part.label or part.key, was, score, points))
    return sorted(moved, key=lambda m: (-abs(m.points), m.component))


def measure_movers(
    now: Snapshot, before: Snapshot, limit: int = 2
) -> list[tuple[MeasurePart, str]]:
    """The measures whose contribution moved most, with how their value moved."""
    changes: list[tuple[float, MeasurePart, str]] = []
    for part in now.measures:
        old = before.measure(part.component, part.metric)
        delta = part.contribution - (old.contribution if old else 0.0)
        if abs(delta) < 0.5 and whole(part.score) == whole(old.score if old else None):
            continue
        changes.append((delta, part, describe_change(old.value if old else None, part.value)))
    changes.sort(key=lambda c: (-abs(c[0]), c[1].metric))
    return [(part, words) for _, part, words in changes[:limit]]


def summary(now: Snapshot, before: Snapshot | None) -> str:
    """One line: the direction and size of the move, the components and measures behind it."""
    if now.health is None:
        return "no score: " + (
            "no scorecard applies to this account"
            if now.scorecard is None
            else "none of the scorecard's measures has data"
        )
    if before is None:
        return f"{now.health}: first snapshot, nothing to compare with"
    if before.health_exact is None:
        return f"{now.health}: no score on {before.date} to compare with"
    delta = whole((now.health_exact or 0.0) - before.health_exact)
    assert delta is not None
    head = f"up {delta}" if delta > 0 else f"down {-delta}" if delta < 0 else "level"
    parts: list[str] = []
    for move in movements(now, before):
        parts.append(f"{move.component} {_shown(move.before)} -> {_shown(move.now)}")
    for measure, words in measure_movers(now, before):
        parts.append(f"{measure.label or measure.metric} {words}")
    if (now.scorecard, now.scorecard_version) != (before.scorecard, before.scorecard_version):
        parts.append(
            f"scorecard {before.scorecard} v{before.scorecard_version} -> "
            f"{now.scorecard} v{now.scorecard_version}"
        )
    since = f" since {before.date}"
    return f"{head}{since}: {', '.join(parts)}" if parts else f"{head}{since}"


def _shown(value: int | None) -> str:
    return "no data" if value is None else str(value)
