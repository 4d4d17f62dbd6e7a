"""API shapes for health: the dashboard record, "why", snapshots' parts and scorecards."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from tenure.kit.bounds import Day

Band = Literal["red", "amber", "green"]
TrendName = Literal["up", "level", "down"]


class HealthRead(BaseModel):
    """One account on the dashboard; the same record as `tenure health --format json`."""

    external_id: str
    name: str
    csm_email: str | None
    health: int | None = Field(description="The exact score rounded half up; null = no score.")
    health_exact: float | None
    band: Band | None
    trend: TrendName | None
    renewal_months: int | None
    renewal_band: Band | None
    arr: float | None
    years: float | None = Field(description="Years as a customer, one decimal.")
    components: dict[str, int | None] = Field(
        description="Component key -> score rounded half up, null = no data."
    )


class ComponentRead(BaseModel):
    key: str
    label: str
    weight: float
    effective_weight: float
    score: int | None
    score_exact: float | None
    contribution: float
    previous_score: int | None


class MeasureRead(BaseModel):
    component: str
    metric: str
    label: str
    method: str
    window_days: int
    value: float | None
    score: int | None
    score_exact: float | None
    weight: float
    contribution: float
    previous_value: float | None
    change: str | None


class WhyHealth(BaseModel):
    external_id: str
    name: str
    date: dt.date
    scorecard: str | None
    scorecard_version: int | None
    health: int | None
    health_exact: float | None
    band: Band | None
    trend: TrendName | None
    trend_since: dt.date | None
    previous_date: dt.date | None
    previous_health: int | None
    why: str


class WhyRead(BaseModel):
    """An account's score explained: one object of named arrays (docs/architecture.md, JSON
    output)."""

    health: list[WhyHealth]
    components: list[ComponentRead]
    measures: list[MeasureRead]


class ComputeRequest(BaseModel):
    start: Day
    end: Day | None = Field(default=None, description="Inclusive; default = start.")


class ComputeRead(BaseModel):
    start: dt.date
    end: dt.date
    days: int
    snapshots: int
    bands: dict[str, int]


class ScorecardLoad(BaseModel):
    source: str = Field(min_length=1, max_length=200_000, description="The scorecard's TOML.")
    file_name: str = Field(default="scorecard.toml", max_length=500)


class ScorecardRead(BaseModel):
    name: str
    version: int
    current: bool
    description: str
    applies_to: dict[str, list[str]]
    source_file: str | None
    loaded_by: str | None
    created_at: dt.datetime
    definition: dict[str, Any]


class ScorecardLoaded(BaseModel):
    scorecard: ScorecardRead
    created: bool
    notes: list[str]
    warnings: list[str]
