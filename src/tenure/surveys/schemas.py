"""Survey campaigns as the API and CLI take and give them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from tenure.accounts.schemas import Email, ExternalId, Text
from tenure.models.enums import Seniority, SurveyKind, Tier


def _blank_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


LongText = Annotated[Annotated[str, Field(max_length=1000)] | None, BeforeValidator(_blank_none)]


class Audience(BaseModel):
    """Who gets the survey: contacts with an email, of accounts matching every filter given."""

    tier: Tier | None = None
    segment: str | None = None
    csm_email: Email | None = None
    accounts: list[ExternalId] = Field(default_factory=list, description="Only these accounts.")
    role: Literal["sponsor", "all"] = Field(
        default="sponsor", description="sponsor: each account's executive sponsors; all: everyone."
    )
    seniority: list[Seniority] = Field(
        default_factory=list, description="Only contacts of these seniorities."
    )
    active_only: bool = Field(
        default=True, description="Only accounts with a contract active on the sending day."
    )


class CampaignCreate(BaseModel):
    name: Text
    kind: SurveyKind
    question: LongText = Field(default=None, description="Default: the standard question.")
    follow_up: LongText = Field(
        default=None, description="An optional open question shown after the score."
    )
    audience: Audience = Field(default_factory=Audience)
    expires_days: int = Field(default=30, ge=1, le=365, description="Days a link stays valid.")
    reminder_days: int | None = Field(
        default=7, ge=1, le=365, description="Remind non-responders once after this many days."
    )


class CampaignRead(BaseModel):
    id: int
    name: str
    kind: SurveyKind
    question: str
    follow_up: str | None
    audience: Audience
    expires_days: int
    reminder_days: int | None
    status: str
    created_by: str | None
    created_at: datetime
    sent_at: datetime | None
    closed_at: datetime | None
    invited: int
    delivered: int
    answered: int
    response_rate: float | None
    nps: float | None
    csat: float | None
    ces: float | None


class AnswerEdit(BaseModel):
    score: int | None = None
    comment: Annotated[
        Annotated[str, Field(max_length=4000)] | None, BeforeValidator(_blank_none)
    ] = None
    follow_up_answer: Annotated[
        Annotated[str, Field(max_length=4000)] | None, BeforeValidator(_blank_none)
    ] = None
