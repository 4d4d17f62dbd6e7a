"""Service results as the records the CLI prints and the API returns."""

from __future__ import annotations

from tenure.health.dashboard import HealthRow
from tenure.health.explain import describe_change, whole
from tenure.health.schemas import (
    ComponentRead,
    HealthRead,
    MeasureRead,
    ScorecardRead,
    WhyHealth,
    WhyRead,
)
from tenure.health.scorecards import Scorecard
from tenure.health.why import Why
from tenure.models import Scorecard as ScorecardRow


def health_read(row: HealthRow) -> HealthRead:
    return HealthRead.model_validate(row, from_attributes=True)


def why_read(result: Why) -> WhyRead:
    now, before = result.now, result.previous
    assert now is not None
    earlier = result.trend.earlier
    head = WhyHealth(
        external_id=result.account.external_id,
        name=result.account.name,
        date=now.date,
        scorecard=now.scorecard,
        scorecard_version=now.scorecard_version,
        health=now.health,
        health_exact=None if now.health_exact is None else round(now.health_exact, 6),
        band=now.band,
        trend=result.trend.name,
        trend_since=earlier.date if earlier else None,
        previous_date=before.date if before else None,
        previous_health=before.health if before else None,
        why=result.summary,
    )
    components = []
    for part in now.components:
        old = before.component(part.key) if before else None
        components.append(
            ComponentRead(
                key=part.key,
                label=part.label,
                weight=round(part.weight, 6),
                effective_weight=round(part.effective_weight, 6),
                score=whole(part.score),
                score_exact=None if part.score is None else round(part.score, 6),
                contribution=round(part.contribution, 6),
                previous_score=whole(old.score) if old else None,
            )
        )
    measures = []
    for m in now.measures:
        previous = before.measure(m.component, m.metric) if before else None
        measures.append(
            MeasureRead(
                component=m.component,
                metric=m.metric,
                label=m.label,
                method=m.method,
                window_days=m.window_days,
                value=m.value,
                score=whole(m.score),
                score_exact=None if m.score is None else round(m.score, 6),
                weight=round(m.weight, 6),
                contribution=round(m.contribution, 6),
                previous_value=previous.value if previous else None,
                change=describe_change(previous.value, m.value) if before and previous else None,
            )
        )
    return WhyRead(health=[head], components=components, measures=measures)


def scorecard_read(row: ScorecardRow, current: bool) -> ScorecardRead:
    card = Scorecard.from_dict(row.definition)
    return ScorecardRead(
        name=row.name,
        version=row.version,
        current=current,
        description=card.description,
        applies_to={
            "tier": list(card.applies_to.tier),
            "segment": list(card.applies_to.segment),
            "lifecycle_stage": list(card.applies_to.lifecycle_stage),
        },
        source_file=row.source_file,
        loaded_by=row.loaded_by,
        created_at=row.created_at,
        definition=row.definition,
    )
