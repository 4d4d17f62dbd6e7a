"""REST API for health (`/api/v1/health...`) and scorecards (`/api/v1/scorecards...`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from tenure.audit.service import record_change
from tenure.db import SessionDep
from tenure.health import service
from tenure.health.schemas import (
    ComputeRead,
    ComputeRequest,
    HealthRead,
    ScorecardLoad,
    ScorecardLoaded,
    ScorecardRead,
    WhyRead,
)
from tenure.health.views import health_read, scorecard_read, why_read
from tenure.kit.bounds import MAX_ROW_ID, Day
from tenure.kit.dates import utc_today
from tenure.kit.errors import TenureError
from tenure.users.auth import CurrentUser, require_manager

router = APIRouter()

# A backfill through the API is kept short, so a request answers well inside a client's
# timeout (four months took over 10 s on the five-account demo company under load); longer
# ones belong to `tenure health compute`.
MAX_API_COMPUTE_DAYS = 31


@router.get("/health", response_model=list[HealthRead], tags=["health"])
def health_dashboard(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    as_of: Day | None = None,
    csm: Annotated[str | None, Query(description="Only this CSM's accounts (email).")] = None,
) -> list[HealthRead]:
    """Every account's health as of a day (like `tenure health --format json`), computing
    the snapshots it needs that are missing."""
    state = request.app.state
    board = service.dashboard(session, state.warehouse, state.settings, as_of or utc_today(), csm)
    return [health_read(row) for row in board.rows]


@router.get("/health/{external_id}", response_model=HealthRead, tags=["health"])
def account_health(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    external_id: str,
    as_of: Day | None = None,
) -> HealthRead:
    state = request.app.state
    board = service.dashboard(
        session, state.warehouse, state.settings, as_of or utc_today(), external_id=external_id
    )
    return health_read(board.rows[0])


@router.get("/health/{external_id}/why", response_model=WhyRead, tags=["health"])
def account_why(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    external_id: str,
    as_of: Day | None = None,
) -> WhyRead:
    """Each component's and measure's contribution, and what moved since the previous
    snapshot (like `tenure health why`)."""
    result = service.why(session, request.app.state.warehouse, external_id, as_of or utc_today())
    return why_read(result)


@router.post("/health/compute", response_model=ComputeRead, tags=["health"])
def compute_health(
    request: Request, session: SessionDep, user: CurrentUser, data: ComputeRequest
) -> ComputeRead:
    """Score every account for a day or a range of days and store the snapshots (managers)."""
    require_manager(user)
    end = data.end or data.start
    if (end - data.start).days >= MAX_API_COMPUTE_DAYS:
        raise TenureError(
            f"at most {MAX_API_COMPUTE_DAYS} days per request; use `tenure health compute "
            "--from --to` for longer backfills"
        )
    result = service.compute(session, request.app.state.warehouse, data.start, end)
    record_change(session, user, "health.compute", f"health:{data.start}..{end}", None, result)
    return ComputeRead(
        start=data.start, end=end, days=result.days, snapshots=result.snapshots, bands=result.bands
    )


@router.get("/scorecards", response_model=list[ScorecardRead], tags=["health"])
def list_scorecards(
    session: SessionDep,
    _user: CurrentUser,
    all_versions: Annotated[bool, Query(alias="all", description="Every version.")] = False,
) -> list[ScorecardRead]:
    current = {(r.name, r.version) for r in service.current_scorecards(session)}
    rows = service.all_scorecards(session) if all_versions else service.current_scorecards(session)
    return [scorecard_read(r, (r.name, r.version) in current) for r in rows]


@router.get("/scorecards/{name}", response_model=ScorecardRead, tags=["health"])
def show_scorecard(
    session: SessionDep,
    _user: CurrentUser,
    name: str,
    version: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> ScorecardRead:
    row = service.get_scorecard(session, name, version)
    latest = service.get_scorecard(session, name)
    return scorecard_read(row, row.version == latest.version)


@router.post("/scorecards", response_model=ScorecardLoaded, status_code=201, tags=["health"])
def load_scorecard(
    request: Request, session: SessionDep, user: CurrentUser, data: ScorecardLoad
) -> ScorecardLoaded:
    """Load a scorecard's TOML (managers); an existing name gets a new version."""
    require_manager(user)
    state = request.app.state
    outcome = service.load_scorecard(
        session, state.warehouse, state.settings, data.source, data.file_name, user.email
    )
    if outcome.created:
        after = {"version": outcome.row.version}
        record_change(session, user, "scorecard.load", f"scorecard:{outcome.row.name}", None, after)
    return ScorecardLoaded(
        scorecard=scorecard_read(outcome.row, True),
        created=outcome.created,
        notes=outcome.notes,
        warnings=outcome.warnings,
    )
