"""Import rows (one per kind, field names = import column names) and API read models."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from tenure.kit.bounds import Day, Moment
from tenure.kit.dates import as_utc
from tenure.models.enums import (
    SURVEY_SCALES,
    ActivityKind,
    ContractStatus,
    Seniority,
    Sentiment,
    SurveyKind,
    TicketKind,
    Tier,
    TimelineKind,
)


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _boolean(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "yes", "y", "1"}:
            return True
        if text in {"false", "no", "n", "0"}:
            return False
    return value


Text = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=300)]
ExternalId = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=200)]


def _email(value: str) -> str:
    if not EMAIL.match(value) or len(value) > 320:
        raise ValueError("not an email address")
    return value


def _currency(value: str) -> str:
    if not CURRENCY.match(value):
        raise ValueError("not a three-letter ISO 4217 currency code (e.g. USD, EUR)")
    return value


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
Email = Annotated[str, BeforeValidator(_lower), AfterValidator(_email)]
Currency = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    AfterValidator(_currency),
]
# Stored dates keep the same bounds as the API's: one year-15 entry must not break a
# computation that later reads every account's history.
UtcDateTime = Annotated[Moment, AfterValidator(as_utc)]
Boolean = Annotated[bool, BeforeValidator(_boolean)]
# Money stays exact in Python and is a plain number in JSON (a string by Pydantic's default).
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Lower = BeforeValidator(_lower)


class ImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: ExternalId


class AccountRow(ImportRow):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    name: Text
    tier: Annotated[Tier, Lower] = Tier.paid
    segment: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=100)
    csm_email: Email | None = None
    customer_since: Day | None = None
    lifecycle_stage: Annotated[str | None, Lower, Field(max_length=50)] = None
    attributes: dict[str, Any] | None = None


class ChildRow(ImportRow):
    account_external_id: ExternalId


class ContractRow(ChildRow):
    start_date: Day
    end_date: Day
    arr: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    currency: Currency
    quantity: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    units: str | None = Field(default=None, max_length=50)
    status: Annotated[ContractStatus, Lower] = ContractStatus.active

    @model_validator(mode="after")
    def _ends_after_start(self) -> ContractRow:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date (the end date is exclusive)")
        return self


class ContactRow(ChildRow):
    name: Text
    email: Email | None = None
    title: str | None = Field(default=None, max_length=200)
    seniority: Annotated[Seniority | None, Lower] = None
    is_sponsor: Boolean = False
    user_id: str | None = Field(default=None, max_length=200)


class TicketRow(ChildRow):
    opened_at: UtcDateTime
    closed_at: UtcDateTime | None = None
    kind: Annotated[TicketKind, Lower]
    priority: Annotated[str | None, Lower, Field(max_length=20)] = None
    satisfied: Boolean | None = None
    subject: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _closes_after_opening(self) -> TicketRow:
        if self.closed_at is not None and self.closed_at < self.opened_at:
            raise ValueError("closed_at is before opened_at")
        return self


class SurveyRow(ChildRow):
    contact_email: Email | None = None
    kind: Annotated[SurveyKind, Lower]
    sent_at: UtcDateTime
    score: int | None = None
    responded_at: UtcDateTime | None = None
    comment: str | None = None

    @model_validator(mode="after")
    def _answer_is_consistent(self) -> SurveyRow:
        if self.score is not None:
            low, high = SURVEY_SCALES[self.kind]
            if not low <= self.score <= high:
                raise ValueError(
                    f"score {self.score} is outside the {self.kind.value} scale {low}-{high}"
                )
            if self.responded_at is None:
                raise ValueError("a score needs responded_at")
        if self.responded_at is not None and self.responded_at < self.sent_at:
            raise ValueError("responded_at is before sent_at")
        return self


# Fields a row model reports a cross-field problem on, to name a column in the message.
ROW_CHECK_COLUMNS = {
    ContractRow: "end_date",
    TicketRow: "closed_at",
    SurveyRow: "score",
}


class TimelineCreate(BaseModel):
    kind: TimelineKind = TimelineKind.note
    text: str = Field(min_length=1, max_length=20_000)
    sentiment: Sentiment | None = None
    at: UtcDateTime | None = None

    @field_validator("kind")
    @classmethod
    def _not_system(cls, kind: TimelineKind) -> TimelineKind:
        if kind is TimelineKind.system:
            raise ValueError("system entries are written by Tenure itself")
        return kind

    @model_validator(mode="after")
    def _sentiment_goes_with_kind(self) -> TimelineCreate:
        if (self.kind is TimelineKind.sentiment) != (self.sentiment is not None):
            raise ValueError("a sentiment entry needs --sentiment red|amber|green, and only it")
        return self


class AccountRead(BaseModel):
    external_id: str
    name: str
    tier: Tier
    segment: str | None
    industry: str | None
    csm_email: str | None
    customer_since: date | None
    lifecycle_stage: str | None
    arr: Amount | None
    currency: str | None
    renewal_date: date | None
    renewal_months: int | None
    attributes: dict[str, Any]


class ContractRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    external_id: str
    account_external_id: str
    start_date: date
    end_date: date
    arr: Amount
    currency: str
    quantity: Amount | None
    units: str | None
    status: ContractStatus
    active: bool


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    external_id: str
    account_external_id: str
    name: str
    email: str | None
    title: str | None
    seniority: Seniority | None
    is_sponsor: bool
    user_id: str | None


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    external_id: str
    account_external_id: str
    opened_at: datetime
    closed_at: datetime | None
    kind: TicketKind
    priority: str | None
    satisfied: bool | None
    subject: str | None


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    external_id: str
    account_external_id: str
    contact_email: str | None
    kind: SurveyKind
    sent_at: datetime
    score: int | None
    responded_at: datetime | None
    comment: str | None


class MetricRead(BaseModel):
    account_external_id: str
    metric: str
    date: date
    value: float | None


class TimelineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_external_id: str
    # An entry's kind, or what a ticket, survey answer or task done adds to the story.
    kind: TimelineKind | ActivityKind
    author: str | None
    at: datetime
    text: str
    sentiment: Sentiment | None
    # A sent message (kind = message): the outbox row with its text.
    message_id: int | None = None


class AccountStory(BaseModel):
    """An account's whole story: one object of named arrays (docs/architecture.md, JSON output)."""

    account: list[AccountRead]
    contracts: list[ContractRead]
    contacts: list[ContactRead]
    metrics: list[MetricRead]
    tickets: list[TicketRead]
    surveys: list[SurveyRead]
    timeline: list[TimelineRead]


class ImportResultRead(BaseModel):
    kind: str
    file: str
    rows: int
    created: int
    updated: int
    unchanged: int
