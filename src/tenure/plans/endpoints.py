"""REST API for plans: `/api/v1/signals`, `/api/v1/plan`, `/api/v1/tasks`, `/api/v1/playbooks`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from tenure.audit.service import record_change
from tenure.db import SessionDep
from tenure.kit.bounds import MAX_PLAN_COUNT, MAX_ROW_ID, Day
from tenure.kit.dates import utc_today
from tenure.models import User
from tenure.plans import flows, service
from tenure.plans.defaults import (
    EXISTING_SHARE,
    HOURS_PER_WEEK,
    MAX_HOURS_PER_WEEK,
    NEW_CLIENTS,
)
from tenure.plans.schemas import (
    PlanCreate,
    PlanRead,
    PlaybookLoad,
    PlaybookLoaded,
    SignalRead,
    TaskDone,
    TaskRead,
    task_read,
)
from tenure.users.auth import CurrentUser, require_manager, require_may_plan_for

router = APIRouter()


@router.get("/signals", response_model=list[SignalRead], tags=["plans"])
def list_signals(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    as_of: Day | None = None,
    csm: Annotated[str | None, Query(description="Only this CSM's accounts (email).")] = None,
    like: Annotated[
        list[str] | None, Query(description="Exemplar accounts for the lookalike signal.")
    ] = None,
) -> list[SignalRead]:
    """Signals per account with their evidence (like `tenure signals --format json`)."""
    state = request.app.state
    rows = service.account_signals(
        session, state.warehouse, state.settings, as_of or utc_today(), csm, like or ()
    )
    return [SignalRead.model_validate(row.__dict__) for row in rows]


def _plan(
    request: Request, session: SessionDep, data: PlanCreate, user: User | None = None
) -> PlanRead:
    state = request.app.state
    options = service.PlanOptions(
        quarter_start=data.quarter_start,
        as_of=data.as_of,
        count=data.count,
        hours_per_week=data.hours_per_week,
        existing_share=data.existing_share,
        new_clients=data.new_clients,
    )
    if data.save:
        saved = flows.plan_and_save(
            session, state.warehouse, state.settings, data.csm, options, by=user, via="api"
        )
        return PlanRead.model_validate(saved.outcome.plan.parts())
    outcome = service.make_plan(session, state.warehouse, state.settings, data.csm, options)
    return PlanRead.model_validate(outcome.plan.parts())


@router.get("/plan", response_model=PlanRead, tags=["plans"])
def show_plan(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    csm: str,
    quarter_start: Day,
    as_of: Day | None = None,
    count: Annotated[int | None, Query(ge=0, le=MAX_PLAN_COUNT)] = None,
    hours_per_week: Annotated[float, Query(gt=0, le=MAX_HOURS_PER_WEEK)] = HOURS_PER_WEEK,
    existing_share: Annotated[float, Query(ge=0, le=1)] = EXISTING_SHARE,
    new_clients: Annotated[int, Query(ge=0, le=MAX_PLAN_COUNT)] = NEW_CLIENTS,
) -> PlanRead:
    """A CSM's quarterly plan (like `tenure plan --format json`), not saved."""
    data = PlanCreate(
        csm=csm,
        quarter_start=quarter_start,
        as_of=as_of,
        count=count,
        hours_per_week=hours_per_week,
        existing_share=existing_share,
        new_clients=new_clients,
    )
    return _plan(request, session, data)


@router.post("/plan", response_model=PlanRead, tags=["plans"])
def create_plan(
    request: Request, session: SessionDep, user: CurrentUser, data: PlanCreate
) -> PlanRead:
    """Plan a CSM's quarter; with `save`, turn it into tasks (keeping the done ones)."""
    if data.save:
        require_may_plan_for(user, data.csm)
    return _plan(request, session, data, user)


@router.get("/tasks", response_model=list[TaskRead], tags=["plans"])
def list_tasks(
    session: SessionDep,
    _user: CurrentUser,
    csm: str | None = None,
    quarter_start: Day | None = None,
    status: Annotated[str | None, Query(description="open or done")] = None,
) -> list[TaskRead]:
    return [task_read(t) for t in service.list_tasks(session, csm, quarter_start, status)]


@router.post("/tasks/{task_id}/done", response_model=TaskRead, tags=["plans"])
def task_done(
    session: SessionDep,
    user: CurrentUser,
    task_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)],
    data: TaskDone | None = None,
) -> TaskRead:
    task = service.find_task(session, str(task_id))
    require_may_plan_for(user, task.owner.email)
    day = (data.on if data else None) or utc_today()
    return service.change_task_recorded(session, user, task, day, via="api")


@router.post("/tasks/{task_id}/reopen", response_model=TaskRead, tags=["plans"])
def task_reopen(
    session: SessionDep, user: CurrentUser, task_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
) -> TaskRead:
    task = service.find_task(session, str(task_id))
    require_may_plan_for(user, task.owner.email)
    return service.change_task_recorded(session, user, task, None, via="api")


@router.post("/playbooks", response_model=PlaybookLoaded, status_code=201, tags=["plans"])
def load_playbooks(session: SessionDep, user: CurrentUser, data: PlaybookLoad) -> PlaybookLoaded:
    """Load a playbook library's TOML (managers); it becomes the one in use."""
    require_manager(user)
    loaded = service.load_library(session, data.source, data.file_name, user.email)
    result = PlaybookLoaded(
        version=loaded.version,
        created=loaded.created,
        playbooks=len(loaded.library.playbooks),
        activities=len(loaded.library.activities),
    )
    if loaded.created:  # the same library again changes nothing
        after = {**result.model_dump(), "file_name": data.file_name}
        record_change(
            session, user, "playbooks.load", f"playbooks:v{loaded.version}", None, after, via="api"
        )
    return result
