"""API shapes for plans: signals, the plan (the same object as `tenure plan --format json`),
tasks and playbook libraries."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from tenure.kit.bounds import MAX_PLAN_COUNT, Day
from tenure.plans.defaults import (
    EXISTING_SHARE,
    HOURS_PER_WEEK,
    MAX_HOURS_PER_WEEK,
    NEW_CLIENTS,
)

if TYPE_CHECKING:
    from tenure.models import Task

Category = Literal["retention", "expansion", "advocacy", "adoption", "onboarding", "data"]


class SignalRead(BaseModel):
    account_external_id: str
    name: str
    csm_email: str | None
    kind: str
    subject: str | None = Field(description="What the signal is about, e.g. the weak component.")
    evidence: str


class ActivityRead(BaseModel):
    reference: str
    client: str = Field(description="The account's external id (NEW-n: a new client to come).")
    category: Category
    signals: list[str]
    description: str
    purpose: str
    results: str
    measurement: str
    duration_hours: float
    deadline: dt.date
    start: dt.date = Field(description="First day of its week, weeks counted from the start.")
    dependencies: list[str]
    notes: str
    why: str = Field(description="Why it was chosen: the account's figures and what it covers.")


class LeftOutRead(BaseModel):
    reference: str
    client: str
    category: Category
    signals: list[str]
    description: str
    duration_hours: float
    deadline: dt.date
    why: Literal["capacity", "lower priority", "dependency", "timing"]
    reason: str


class WeekRead(BaseModel):
    week: int
    start: dt.date
    hours: float
    capacity: float
    onboarding_hours: float
    onboarding_capacity: float


class PlanRead(BaseModel):
    activities: list[ActivityRead]
    onboarding: list[ActivityRead]
    left_out: list[LeftOutRead]
    weeks: list[WeekRead]


class PlanCreate(BaseModel):
    """What `tenure plan` takes, for the API."""

    csm: str = Field(description="The CSM's email.")
    quarter_start: Day
    as_of: Day | None = None
    count: int | None = Field(default=None, ge=0, le=MAX_PLAN_COUNT)
    hours_per_week: float = Field(default=HOURS_PER_WEEK, gt=0, le=MAX_HOURS_PER_WEEK)
    existing_share: float = Field(default=EXISTING_SHARE, ge=0, le=1)
    new_clients: int = Field(default=NEW_CLIENTS, ge=0, le=MAX_PLAN_COUNT)
    save: bool = False


class TaskRead(BaseModel):
    id: int
    csm_email: str
    quarter_start: dt.date
    reference: str
    client: str
    category: str
    description: str
    duration_hours: float
    start: dt.date
    deadline: dt.date
    status: Literal["open", "done"]
    done_on: dt.date | None


def task_read(task: Task) -> TaskRead:
    """A task as the API shows it and as the audit log records it, whichever door changed it."""
    return TaskRead(
        id=task.id,
        csm_email=task.owner.email,
        quarter_start=task.quarter_start,
        reference=task.reference,
        client=task.client,
        category=task.category,
        description=task.description,
        duration_hours=task.duration_hours,
        start=task.start,
        deadline=task.deadline,
        status="done" if task.is_done else "open",
        done_on=task.done_on,
    )


class TaskDone(BaseModel):
    on: Day | None = Field(default=None, description="The day it was done; default today.")


class PlaybookLoad(BaseModel):
    source: str = Field(description="The library's TOML text.")
    file_name: str = "playbooks.toml"


class PlaybookLoaded(BaseModel):
    version: int
    created: bool
    playbooks: int
    activities: int
