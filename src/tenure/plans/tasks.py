"""A CSM's tasks: listing, finding, marking done and reopening them. Never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tenure.audit.service import record_change
from tenure.kit.errors import NotFound, TenureError
from tenure.models import (
    Task,
    User,
)
from tenure.plans.planner_book import user_of
from tenure.plans.schemas import TaskRead, task_read


def tasks_of(session: Session, user: User, quarter_start: date) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.owner_id == user.id, Task.quarter_start == quarter_start)
            .order_by(Task.start, Task.reference)
        )
    )


def list_tasks(
    session: Session,
    csm: str | None = None,
    quarter_start: date | None = None,
    status: str | None = None,
) -> list[Task]:
    query = select(Task).join(User, Task.owner_id == User.id).options(selectinload(Task.owner))
    if csm is not None:
        query = query.where(Task.owner_id == user_of(session, csm).id)
    if quarter_start is not None:
        query = query.where(Task.quarter_start == quarter_start)
    if status is not None:
        if status not in ("open", "done"):
            raise TenureError(f"--status: {status!r}: open or done")
        query = query.where(Task.status == status)
    query = query.order_by(User.email, Task.quarter_start, Task.start, Task.reference)
    return list(session.scalars(query))


def find_task(
    session: Session, task: str, csm: str | None = None, quarter_start: date | None = None
) -> Task:
    """A task by its id, or by its reference (the latest quarter's, narrowed by CSM)."""
    if task.isdigit():
        found = session.get(Task, int(task))
        if found is None:
            raise NotFound(f"no task with id {task}")
        return found
    query = select(Task).where(Task.reference == task)
    if csm is not None:
        query = query.where(Task.owner_id == user_of(session, csm).id)
    if quarter_start is not None:
        query = query.where(Task.quarter_start == quarter_start)
    matches = list(session.scalars(query.order_by(Task.quarter_start.desc())))
    if not matches:
        raise NotFound(f"no task with reference {task!r}")
    latest = [t for t in matches if t.quarter_start == matches[0].quarter_start]
    if len(latest) > 1:
        owners = ", ".join(sorted(t.owner.email for t in latest))
        raise TenureError(f"{task}: several CSMs have this task ({owners}): add --csm EMAIL")
    return latest[0]


def mark_done(session: Session, task: Task, day: date) -> Task:
    task.status = "done"
    task.done_on = day
    session.flush()
    return task


def reopen(session: Session, task: Task) -> Task:
    task.status = "open"
    task.done_on = None
    session.flush()
    return task


def change_task_recorded(
    session: Session, by: User, task: Task, done_on: date | None, via: str
) -> TaskRead:
    """Mark a task done on `done_on`, or open again when None, with its audit entry
    (`task.done` / `task.reopen`, the task before and after). The API and the plan page both
    change tasks through here. The caller has checked `require_may_plan_for`."""
    before = task_read(task)
    if done_on is None:
        reopen(session, task)
    else:
        mark_done(session, task, done_on)
    after = task_read(task)
    action = "task.reopen" if done_on is None else "task.done"
    record_change(session, by, action, f"task:{task.id}", before, after, via=via)
    return after
