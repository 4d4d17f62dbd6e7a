"""REST API for the audit log (`/api/v1/audit`): managers and admins read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tenure.audit import service
from tenure.audit.schemas import AuditRead
from tenure.db import SessionDep
from tenure.kit.bounds import MAX_OFFSET, Moment
from tenure.users.auth import CurrentUser, require_manager

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditRead])
def audit_log(
    session: SessionDep,
    user: CurrentUser,
    actor: Annotated[str | None, Query(description="Who made the change (email).")] = None,
    action: Annotated[str | None, Query(description="e.g. timeline.add, or timeline.")] = None,
    target: Annotated[
        str | None, Query(description="e.g. account:acme; a trailing * matches a prefix.")
    ] = None,
    since: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[AuditRead]:
    """Changes made through the web app and the API, newest first (managers and admins)."""
    require_manager(user)
    where = service.AuditFilter(actor=actor, action=action, target=target, since=since)
    return [
        AuditRead.model_validate(e) for e in service.list_entries(session, where, limit, offset)
    ]
