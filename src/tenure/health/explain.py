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


def _band(score: float | None, red: float, amber: float) -> str:
    shown = whole(score)
    if shown is None:
        return "no data"
    return "red" if shown <= red else "amber" if shown <= amber else "green"


def standing(now: Snapshot, red: float = 50, amber: float = 74, weakest: int = 2) -> str:
    """Why the score is what it is, before what moved it: the score and its band, then its
    weakest components against the bands, each with its weakest measures ("62, amber:
    weakest Product usage 41 (red): logins per user 1.2 scores 20; Support 70 (amber)")."""
    if now.health is None:
        return ""
    scored = sorted(
        (c for c in now.components if c.score is not None), key=lambda c: (c.score, c.key)
    )
    weak = [c for c in scored if _band(c.score, red, amber) != "green"]
    parts = []
    for part in weak[:weakest]:
        measures = sorted(
            (m for m in now.measures if m.component == part.key and m.score is not None),
            key=lambda m: (m.score, m.metric),
        )
        inner = ", ".join(
            f"{m.label or m.metric} {_number(m.value)} scores {whole(m.score)}"
            for m in measures[:weakest]
        )
        label = part.label or part.key
        text = f"{label} {whole(part.score)} ({_band(part.score, red, amber)})"
        parts.append(f"{text}: {inner}" if inner else text)
    missing = [c.label or c.key for c in now.components if c.score is None]
    head = f"{now.health}, {_band(now.health_exact, red, amber)}"
    if parts:
        body = f"weakest {'; '.join(parts)}"
    elif scored:
        lowest = scored[0]
        body = (
            f"every component green, the lowest {lowest.label or lowest.key} {whole(lowest.score)}"
        )
    else:
        body = ""
    if missing:
        body += ("; " if body else "") + f"no data: {', '.join(missing)}"
    return f"{head}: {body}" if body else head


def summary(
    now: Snapshot,
    before: Snapshot | None,
    trend: str | None = None,
    new_since: str | None = None,
) -> str:
    """One line: the direction and size of the move, the components and measures behind it.

    `before` is the snapshot the trend compares with (the one a trend window ago) and
    `trend` its name, so the words and the arrow say the same: a move smaller than the
    trend's threshold is "level", whatever its sign. `new_since`: a client whose history
    does not reach a trend window back (the day its snapshots start)."""
    if now.health is None:
        return "no score: " + (
            "no scorecard applies to this account"
            if now.scorecard is None
            else "none of the scorecard's measures has data"
        )
    if before is None:
        if new_since is not None:
            return f"new: not enough history for a trend yet (scored since {new_since})"
        return f"{now.health}: first snapshot, nothing to compare with"
    if before.health_exact is None:
        return f"{now.health}: no score on {before.date} to compare with"
    delta = whole((now.health_exact or 0.0) - before.health_exact)
    assert delta is not None
    if trend == "level":
        head = "level" if delta == 0 else f"level ({delta:+d}, within the trend's threshold)"
    else:
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
