"""REST API for success goals (`/api/v1/accounts/{id}/goals`, `/api/v1/goals/{id}/...`)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request

from tenure.accounts.service import get_account
from tenure.audit.service import record_change
from tenure.db import SessionDep
from tenure.goals import service
from tenure.goals.schemas import (
    FirstValueRead,
    GoalCreate,
    GoalRead,
    GoalUpdate,
    MilestoneUpdate,
    ProgressCreate,
)
from tenure.kit.bounds import Day
from tenure.kit.dates import utc_today
from tenure.kit.path_bounds import PathId
from tenure.models import Goal, User
from tenure.users.auth import CurrentUser, require_can_write

router = APIRouter(tags=["goals"])


def _read(request: Request, goal: Goal, as_of: date | None = None) -> GoalRead:
    return service.goal_read(goal, request.app.state.warehouse, as_of or utc_today())


def _writable(session: SessionDep, user: User, goal_id: int) -> Goal:
    goal = service.get_goal(session, goal_id)
    require_can_write(user, goal.account)
    return goal


@router.get("/accounts/{external_id}/goals", response_model=list[GoalRead])
def list_goals(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    external_id: str,
    as_of: Day | None = None,
) -> list[GoalRead]:
    return service.goals_of(session, request.app.state.warehouse, external_id, as_of or utc_today())


@router.post("/accounts/{external_id}/goals", response_model=GoalRead, status_code=201)
def add_goal(
    request: Request, session: SessionDep, user: CurrentUser, external_id: str, data: GoalCreate
) -> GoalRead:
    account = get_account(session, external_id)
    require_can_write(user, account)
    goal = service.create_goal(session, account, data, user.email)
    read = _read(request, goal)
    record_change(session, user, "goal.add", f"account:{external_id}", None, read)
    return read


@router.patch("/goals/{goal_id}", response_model=GoalRead)
def change_goal(
    request: Request, session: SessionDep, user: CurrentUser, goal_id: PathId, data: GoalUpdate
) -> GoalRead:
    goal = _writable(session, user, goal_id)
    before = _read(request, goal)
    read = _read(request, service.update_goal(session, goal, data))
    record_change(session, user, "goal.change", f"goal:{goal_id}", before, read)
    return read


@router.post("/goals/{goal_id}/progress", response_model=GoalRead, status_code=201)
def add_progress(
    request: Request, session: SessionDep, user: CurrentUser, goal_id: PathId, data: ProgressCreate
) -> GoalRead:
    goal = _writable(session, user, goal_id)
    before = _read(request, goal)
    service.record_progress(session, goal, data, user.email)
    session.refresh(goal)
    read = _read(request, goal)
    record_change(session, user, "goal.progress", f"goal:{goal_id}", before, read)
    return read


@router.put("/goals/{goal_id}/milestones/{position}", response_model=GoalRead)
def change_milestone(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    goal_id: PathId,
    position: PathId,
    data: MilestoneUpdate,
) -> GoalRead:
    goal = _writable(session, user, goal_id)
    before = _read(request, goal)
    read = _read(request, service.set_milestone(session, goal, position, data))
    record_change(session, user, "goal.milestone", f"goal:{goal_id}", before, read)
    return read


@router.get("/goals/first-value", response_model=list[FirstValueRead])
def first_value(session: SessionDep, _user: CurrentUser) -> list[FirstValueRead]:
    return service.first_value(session)
