"""REST API for QBR packs and meetings (`/api/v1/accounts/{id}/qbr...`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from tenure.accounts.schemas import Text
from tenure.accounts.service import get_account
from tenure.audit.service import record_change
from tenure.db import SessionDep
from tenure.kit.bounds import Day
from tenure.kit.dates import utc_today
from tenure.reports import qbr, qbr_render
from tenure.reports.qbr_meeting import AgreedAction, log_meeting
from tenure.users.auth import CurrentUser, require_can_write

router = APIRouter(tags=["qbr"])


class QbrRequest(BaseModel):
    quarter_start: Day
    format: Literal["pdf", "html", "json"] = "pdf"
    as_of: Day | None = None


class ActionCreate(BaseModel):
    text: Text
    due: Day


class MeetingCreate(BaseModel):
    on: Day | None = None
    summary: str = Field(default="", max_length=2000)
    actions: list[ActionCreate] = Field(min_length=1)


class MeetingRead(BaseModel):
    account_external_id: str
    timeline_text: str
    tasks: list[str] = Field(description="References of the tasks the actions became.")


@router.post(
    "/accounts/{external_id}/qbr",
    response_model=None,
    responses={
        200: {
            "description": "The pack: a PDF, an HTML page, or its frozen figures as JSON.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    },
)
def make_qbr(
    request: Request, session: SessionDep, user: CurrentUser, external_id: str, data: QbrRequest
) -> Response:
    """Freeze the quarter's figures in a new pack; the PDF, the HTML or the figures as JSON."""
    require_can_write(user, get_account(session, external_id))
    state = request.app.state
    snapshot = qbr.build(
        session,
        state.warehouse,
        state.settings,
        external_id,
        data.quarter_start,
        data.as_of or utc_today(),
        user.email,
    )
    record_change(
        session,
        user,
        "qbr.make",
        f"account:{external_id}",
        None,
        {"id": snapshot.id, "quarter_start": data.quarter_start, "as_of": snapshot.as_of},
    )
    if data.format == "pdf":
        return Response(qbr_render.pdf(snapshot), media_type="application/pdf")
    if data.format == "html":
        return Response(
            qbr_render.html(snapshot),
            media_type="text/html",
            headers={"Content-Security-Policy": qbr_render.CONTENT_SECURITY_POLICY},
        )
    from fastapi.responses import JSONResponse

    return JSONResponse({"id": snapshot.id, "figures": snapshot.figures})


@router.post("/accounts/{external_id}/qbr-meeting", response_model=MeetingRead, status_code=201)
def add_meeting(
    session: SessionDep, user: CurrentUser, external_id: str, data: MeetingCreate
) -> MeetingRead:
    """Log a QBR meeting on the timeline; its agreed actions become tasks for the CSM."""
    account = get_account(session, external_id)
    require_can_write(user, account)
    logged = log_meeting(
        session,
        account,
        data.on or utc_today(),
        data.summary.strip(),
        [AgreedAction(a.text, a.due) for a in data.actions],
        user.email,
    )
    read = MeetingRead(
        account_external_id=external_id,
        timeline_text=logged.entry.text,
        tasks=[t.reference for t in logged.tasks],
    )
    record_change(session, user, "qbr.meeting", f"account:{external_id}", None, read)
    return read
