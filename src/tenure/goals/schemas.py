"""Goals as the API and CLI take and give them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from tenure.accounts.schemas import Text
from tenure.kit.bounds import Day, Measure

GOAL_STATUSES = ("open", "achieved", "dropped")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


OptionalText = Annotated[
    Annotated[str, Field(max_length=300)] | None, BeforeValidator(lambda v: _strip(v) or None)
]


class MilestoneCreate(BaseModel):
    title: Text
    due_date: Day | None = None
    reached_on: Day | None = None


class GoalCreate(BaseModel):
    title: Text
    measure: Text = Field(description="What is measured, in the client's words.")
    metric: OptionalText = Field(
        default=None, description="A metric in the metrics series that measures it, if any."
    )
    baseline: Measure | None = None
    target: Measure
    unit: OptionalText = None
    due_date: Day
    milestones: list[MilestoneCreate] = Field(
        default_factory=list,
        description="In order; the first of an account's first goal is its first-value milestone.",
    )


class GoalUpdate(BaseModel):
    status: str | None = Field(default=None, description="open, achieved or dropped.")
    target: Measure | None = None
    due_date: Day | None = None

    @model_validator(mode="after")
    def _known_status(self) -> GoalUpdate:
        if self.status is not None and self.status not in GOAL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(GOAL_STATUSES)}")
        return self


class ProgressCreate(BaseModel):
    value: Measure
    on: Day | None = Field(default=None, description="Day of the reading; default today.")
    note: Annotated[
        Annotated[str, Field(max_length=2000)] | None, BeforeValidator(lambda v: _strip(v) or None)
    ] = None


class MilestoneUpdate(BaseModel):
    reached_on: Day | None = Field(description="Day it was reached; null: not reached.")


class MilestoneRead(BaseModel):
    position: int
    title: str
    due_date: date | None
    reached_on: date | None
    first_value: bool


class GoalRead(BaseModel):
    id: int
    account_external_id: str
    title: str
    measure: str
    metric: str | None
    baseline: float | None
    target: float
    unit: str | None
    due_date: date
    status: str
    current: float | None
    current_on: date | None
    source: str | None = Field(description="Where the current value comes from: metric or csm.")
    progress: float | None = Field(description="Share of the way from baseline to target, 0-1.")
    track: str
    milestones: list[MilestoneRead]


class FirstValueRead(BaseModel):
    account_external_id: str
    name: str
    customer_since: date | None
    milestone: str
    reached_on: date | None
    days_to_first_value: int | None
