"""What the account page shows beyond the account's story: its latest health with the "why",
the health history and a metric over time, read from the warehouse. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from tenure.config import Settings
from tenure.health.service import (
    Bands,
    Snapshot,
    TrendRule,
    describe_change,
    snapshot_store,
    snapshots,
    standing,
    summary,
    whole,
)

# Re-exported: the account routes read an account's stored health through this module.
from tenure.health.service import StoredHealth as StoredHealth
from tenure.health.service import stored_health as stored_health
from tenure.kit.bands import band_of
from tenure.kit.charts import Series, Zone, line_chart
from tenure.kit.errors import TenureError
from tenure.warehouse import Warehouse

HISTORY_DAYS = 365
# Metrics a CSM reads first, in this order, when the account has them.
PREFERRED_METRICS = (
    "active_users_28d",
    "logins_28d",
    "events_28d",
    "link_clicks_28d",
    "logins_per_user_28d",
    "features_used_28d",
)


@dataclass(frozen=True)
class ComponentLine:
    key: str
    label: str
    weight: float
    effective_weight: float
    score: int | None
    band: str | None
    previous: int | None
    contribution: float


@dataclass(frozen=True)
class MeasureLine:
    component: str
    label: str
    value: float | None
    score: int | None
    band: str | None
    change: str | None


@dataclass(frozen=True)
class HealthView:
    now: Snapshot
    previous: Snapshot | None
    why: str
    components: list[ComponentLine]
    measures: list[MeasureLine]
    bands: Bands


def health_history(warehouse: Warehouse, external_id: str, as_of: date) -> list[Snapshot]:
    """The account's snapshots of the last year up to `as_of`, oldest first (one read)."""
    table = snapshot_store(warehouse).history(
        external_id, as_of - timedelta(days=HISTORY_DAYS), as_of
    )
    return snapshots(table)


def health_view(
    history: list[Snapshot],
    bands: Bands,
    trend: TrendRule | None = None,
    trend_name: str | None = None,
) -> HealthView | None:
    """The latest snapshot: what its score is made of, then what moved since the snapshot
    the trend arrow compares with (`tenure health why` says the same)."""
    if not history:
        return None
    now = history[-1]
    previous = history[-2] if len(history) > 1 else None
    # As `tenure health why`: against the snapshot a trend window back when it has a score,
    # "new" when the history does not reach that far, else against the previous snapshot.
    earlier, trend_shown, new_since = previous, None, None
    if trend is not None and trend.window_days:
        back = now.date - timedelta(days=trend.window_days)
        reached = [s for s in history if s.date <= back]
        if reached and reached[-1].health_exact is not None:
            earlier, trend_shown = reached[-1], trend_name
        elif not reached and previous is not None:
            earlier, new_since = None, history[0].date.isoformat()
    components = []
    for part in now.components:
        old = previous.component(part.key) if previous else None
        score = whole(part.score)
        components.append(
            ComponentLine(
                key=part.key,
                label=part.label or part.key,
                weight=part.weight,
                effective_weight=part.effective_weight,
                score=score,
                band=band_of(score, bands),
                previous=whole(old.score) if old else None,
                contribution=part.contribution,
            )
        )
    measures = []
    for m in now.measures:
        old_measure = previous.measure(m.component, m.metric) if previous else None
        score = whole(m.score)
        measures.append(
            MeasureLine(
                component=m.component,
                label=m.label or m.metric,
                value=m.value,
                score=score,
                band=band_of(score, bands),
                change=describe_change(old_measure.value, m.value) if old_measure else None,
            )
        )
    moved = summary(now, earlier, trend_shown, new_since)
    why = (
        f"{standing(now, bands.red, bands.amber)}. What moved: {moved}"
        if now.health is not None
        else moved
    )
    return HealthView(now, previous, why, components, measures, bands)


def health_chart(history: list[Snapshot], bands: Bands) -> Markup:
    days = [s.date for s in history]
    scores = [s.health_exact for s in history]
    zones = [
        Zone(0, bands.red, "zone-red"),
        Zone(bands.red, bands.amber, "zone-amber"),
        Zone(bands.amber, 100, "zone-green"),
    ]
    return line_chart(
        [Series("Health", list(zip(days, scores, strict=True)), "health")],
        "Health over the last year",
        y_range=(0, 100),
        zones=zones,
    )


def usage_metrics(available: list[str]) -> list[str]:
    """Metrics to offer on the usage chart: the preferred ones first, then the rest."""
    known = set(available)
    first = [m for m in PREFERRED_METRICS if m in known]
    return first + sorted(known - set(first))


# The derived measures (computed from the entities, not from events) in words.
DERIVED_WORDS = {
    "tickets_closed_48h_share_90d": "Share of tickets closed within 48 hours (90 days)",
    "help_to_problem_ratio_90d": "Help requests per problem report (90 days)",
    "nps_latest": "Likelihood to recommend, mean of the latest answers (0-10)",
    "csat_latest": "CSAT, mean of the latest answers (1-5)",
    "sponsor_seniority": "Sponsor seniority",
    "csm_sentiment": "CSM's sentiment",
}


def metric_words(name: str, descriptions: dict[str, str]) -> str:
    """A metric's name for people: its catalogue description ("Sign-ins in the last 28
    days"), a derived measure's words, else the name with its window spelled out."""
    if descriptions.get(name):
        return descriptions[name]
    if name in DERIVED_WORDS:
        return DERIVED_WORDS[name]
    words = name.replace("_", " ")
    for suffix, said in ((" 28d", " (28 days)"), (" 90d", " (90 days)"), (" 8w", " (8 weeks)")):
        if words.endswith(suffix):
            words = words[: -len(suffix)] + said
    return words[:1].upper() + words[1:]


def catalogue_descriptions(settings: Settings) -> dict[str, str]:
    from tenure.usage.service import load_catalogue

    try:
        catalogue = load_catalogue(settings.metric_catalogue)
    except TenureError:
        return {}  # a broken catalogue file says so where it is used; names still show
    return {m.name: m.description for m in catalogue.metrics if m.description}


def usage_chart(
    warehouse: Warehouse, external_id: str, metric: str, as_of: date, label: str | None = None
) -> Markup:
    table = warehouse.metrics.read(
        [metric], [external_id], as_of - timedelta(days=HISTORY_DAYS), as_of
    )
    points = list(
        zip(table.column("date").to_pylist(), table.column("value").to_pylist(), strict=True)
    )
    title = f"{label or metric.replace('_', ' ')} over the last year"
    return line_chart([Series(metric, points, "s0")], title)
