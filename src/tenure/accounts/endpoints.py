"""REST API for accounts, their timeline, and imports (`/api/v1/...`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile

from tenure.accounts import service
from tenure.accounts.imports import ImportKind, import_file
from tenure.accounts.schemas import (
    AccountRead,
    AccountStory,
    ImportResultRead,
    TimelineCreate,
    TimelineRead,
)
from tenure.audit.service import record_change
from tenure.db import SessionDep
from tenure.kit.bounds import MAX_OFFSET, Day
from tenure.kit.dates import utc_today
from tenure.kit.errors import TenureError
from tenure.models import Tier
from tenure.users.auth import CurrentUser, require_can_write, require_manager
from tenure.users.schemas import UserRead

router = APIRouter()


@router.get("/me", response_model=UserRead, tags=["users"])
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.get("/accounts", response_model=list[AccountRead], tags=["accounts"])
def list_accounts(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    csm: Annotated[str | None, Query(description="Only this CSM's accounts (email).")] = None,
    tier: Tier | None = None,
    segment: str | None = None,
    search: Annotated[str | None, Query(description="Name or external id contains.")] = None,
    as_of: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[AccountRead]:
    where = service.AccountFilter(
        csm_email=csm, tier=tier.value if tier else None, segment=segment, search=search
    )
    return service.list_accounts(
        session, request.app.state.settings, as_of or utc_today(), where, limit, offset
    )


@router.get("/accounts/{external_id}", response_model=AccountStory, tags=["accounts"])
def show_account(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    external_id: str,
    as_of: Day | None = None,
) -> AccountStory:
    state = request.app.state
    return service.account_story(
        session, state.warehouse, state.settings, external_id, as_of or utc_today()
    )


@router.post(
    "/accounts/{external_id}/timeline",
    response_model=TimelineRead,
    status_code=201,
    tags=["accounts"],
)
def add_timeline_entry(
    session: SessionDep, user: CurrentUser, external_id: str, data: TimelineCreate
) -> TimelineRead:
    account = service.get_account(session, external_id)
    require_can_write(user, account)
    entry = service.add_timeline_entry(session, account, data, user.email)
    read = service.timeline_read(account, entry)
    record_change(session, user, "timeline.add", f"account:{external_id}", None, read)
    return read


@router.post("/imports/{kind}", response_model=ImportResultRead, tags=["imports"])
async def import_upload(
    request: Request, session: SessionDep, user: CurrentUser, kind: ImportKind, file: UploadFile
) -> ImportResultRead:
    """Upload a CSV or JSON Lines file; all or nothing, like `tenure import`."""
    require_manager(user)
    name = Path(file.filename or "").name
    if not name:
        raise TenureError("the upload needs a file name ending in .csv or .jsonl")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(await file.read())
        try:
            result = import_file(session, request.app.state.warehouse, kind, path)
        except TenureError as error:
            # Name the file as the client sent it, not by the server's temporary copy.
            raise TenureError(
                error.message.replace(str(path), name),
                error.status,
                [p.replace(str(path), name) for p in error.problems],
            ) from None
    read = ImportResultRead(**{**result.__dict__, "file": name})
    record_change(session, user, f"import.{kind.value}", f"file:{name}", None, read)
    return read
