"""REST API for survey campaigns (`/api/v1/surveys/...`): managers and admins run them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field

from tenure.audit.service import record_change
from tenure.db import SessionDep
from tenure.kit.dates import utc_now
from tenure.kit.periodic import running
from tenure.surveys import core, mail, service
from tenure.surveys.background import SurveyFollowUp
from tenure.surveys.schemas import CampaignCreate, CampaignRead
from tenure.users.auth import CurrentUser, require_manager


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """`tenure serve` keeps open campaigns in line with the outbox and reminds on time."""
    follow_up = SurveyFollowUp(app.state.settings, app.state.database)
    app.state.survey_follow_up = follow_up
    async with running(follow_up.worker):
        yield


router = APIRouter(tags=["surveys"], lifespan=lifespan)


@router.get("/surveys", response_model=list[CampaignRead])
def list_surveys(session: SessionDep, _user: CurrentUser) -> list[CampaignRead]:
    return [service.campaign_read(session, c) for c in service.list_campaigns(session)]


@router.post("/surveys", response_model=CampaignRead, status_code=201)
def create_survey(session: SessionDep, user: CurrentUser, data: CampaignCreate) -> CampaignRead:
    require_manager(user)
    campaign = service.create_campaign(session, data, user.email)
    read = service.campaign_read(session, campaign)
    record_change(session, user, "survey.create", f"survey:{campaign.name}", None, read)
    return read


@router.get("/surveys/{name}", response_model=CampaignRead)
def show_survey(session: SessionDep, _user: CurrentUser, name: str) -> CampaignRead:
    return service.campaign_read(session, service.get_campaign(session, name))


@router.get("/surveys/{name}/rates")
def survey_rates(
    session: SessionDep,
    _user: CurrentUser,
    name: str,
    by: Literal["account", "segment"] = "account",
) -> list[dict[str, Any]]:
    """Invited, delivered, answered, response rate and scores per account or segment."""
    campaign = service.get_campaign(session, name)
    return core.response_rates(service.recipient_rows(session, campaign), by)


class SendRequest(BaseModel):
    new_wave: bool = Field(default=False, description="Survey the audience again.")
    hold: bool = Field(
        default=False, description="Leave the emails waiting for approval in the outbox."
    )


@router.post("/surveys/{name}/send", response_model=CampaignRead)
def send_survey(
    request: Request, session: SessionDep, user: CurrentUser, name: str, data: SendRequest
) -> CampaignRead:
    """Put an invitation per recipient in the outbox, approved by the caller (who must not be
    the campaign's creator) unless `hold`; `tenure serve` sends them."""
    require_manager(user)
    campaign = service.get_campaign(session, name)
    before = service.campaign_read(session, campaign)
    mail.invite(
        session,
        request.app.state.settings,
        campaign,
        utc_now(),
        user,
        not data.hold,
        data.new_wave,
    )
    read = service.campaign_read(session, campaign)
    record_change(session, user, "survey.send", f"survey:{name}", before, read)
    return read


@router.post("/surveys/{name}/close", response_model=CampaignRead)
def close_survey(session: SessionDep, user: CurrentUser, name: str) -> CampaignRead:
    require_manager(user)
    campaign = service.get_campaign(session, name)
    before = service.campaign_read(session, campaign)
    service.close_campaign(session, campaign, utc_now())
    read = service.campaign_read(session, campaign)
    record_change(session, user, "survey.close", f"survey:{name}", before, read)
    return read
