"""What the plan page shows: a CSM's saved tasks of a quarter placed week by week with each
week's hours, and the planner's plan laid out the same way for its preview. Plain shapes over
the plans domain's tasks and plans; the routes are in `plan_routes.py`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from tenure.models import Task, User
from tenure.plans import service as plans
from tenure.plans.service import HOURS_PER_WEEK, WEEKS, Plan, PlannedActivity, WeekLoad

# The planner starts the notes of an activity whose deadline has passed with this
# (docs/plans.md, "Deadlines"); tasks keep the notes, not the flag.
URGENT = "URGENT:"
WEEK_COLUMNS = ("week", "start", "end", "hours", "onboarding_hours", "capacity", "done_hours")


@dataclass
class Week:
    """One of the quarter's 13 weeks: its tasks (clients' and onboarding) and its hours."""

    number: int  # 1-based
    start: date
    capacity: float
    tasks: list[Task] = field(default_factory=list)
    onboarding: list[Task] = field(default_factory=list)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def client_hours(self) -> float:
        return sum(t.duration_hours for t in self.tasks)

    @property
    def onboarding_hours(self) -> float:
        return sum(t.duration_hours for t in self.onboarding)

    @property
    def hours(self) -> float:
        return self.client_hours + self.onboarding_hours

    @property
    def done_hours(self) -> float:
        return sum(t.duration_hours for t in [*self.tasks, *self.onboarding] if t.is_done)

    def record(self) -> dict[str, object]:
        return {
            "week": self.number,
            "start": self.start,
            "end": self.end,
            "hours": self.client_hours,
            "onboarding_hours": self.onboarding_hours,
            "capacity": self.capacity,
            "done_hours": self.done_hours,
        }


def week_index(day: date, quarter_start: date) -> int:
    """The 0-based week of the quarter a day falls in; a day outside the quarter counts in its
    first or last week (a task's start always lies inside when the planner wrote it)."""
    return min(max((day - quarter_start).days // 7, 0), WEEKS - 1)


def weeks_of(tasks: Iterable[Task], quarter_start: date, hours_per_week: float) -> list[Week]:
    weeks = [
        Week(w + 1, quarter_start + timedelta(days=7 * w), hours_per_week) for w in range(WEEKS)
    ]
    for task in tasks:
        week = weeks[week_index(task.start, quarter_start)]
        (week.onboarding if task.onboarding else week.tasks).append(task)
    return weeks


@dataclass
class SavedPlan:
    """The tasks saved for a CSM's quarter, all of them and week by week."""

    owner: User
    quarter_start: date
    tasks: list[Task]
    weeks: list[Week]

    @property
    def onboarding(self) -> list[Task]:
        return [t for t in self.tasks if t.onboarding]

    @property
    def capacity(self) -> float:
        return sum(w.capacity for w in self.weeks)

    @property
    def hours(self) -> float:
        return sum(t.duration_hours for t in self.tasks)

    @property
    def done_hours(self) -> float:
        return sum(t.duration_hours for t in self.tasks if t.is_done)

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.is_done)

    @property
    def open(self) -> int:
        return len(self.tasks) - self.done


def saved_plan(db: Session, owner: User, quarter_start: date) -> SavedPlan:
    """Weeks are measured against the planner's default 40 hours (as on the team page): tasks
    do not keep the options their plan was made with."""
    tasks = plans.list_tasks(db, owner.email, quarter_start)
    return SavedPlan(owner, quarter_start, tasks, weeks_of(tasks, quarter_start, HOURS_PER_WEEK))


def fingerprint(plan: Plan) -> str:
    """What was previewed, so that saving can tell when the plan came out different (the
    book's data changed in between)."""
    placed = sorted((a.reference, a.week) for a in [*plan.activities, *plan.onboarding])
    return hashlib.sha256(repr(placed).encode()).hexdigest()[:16]


# -- the preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewWeek:
    load: WeekLoad
    activities: list[PlannedActivity]
    onboarding: list[PlannedActivity]

    @property
    def end(self) -> date:
        return self.load.start + timedelta(days=6)


def preview_weeks(plan: Plan) -> list[PreviewWeek]:
    return [
        PreviewWeek(
            load,
            [a for a in plan.activities if a.week == load.week - 1],
            [a for a in plan.onboarding if a.week == load.week - 1],
        )
        for load in plan.weeks
    ]
