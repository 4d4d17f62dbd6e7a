"""All ORM models, one module per aggregate, re-exported here."""

from tenure.models.accounts import Account, Contact, Contract
from tenure.models.activity import SurveyResponse, Ticket, TimelineEntry
from tenure.models.base import Base
from tenure.models.enums import (
    ContractStatus,
    Role,
    Seniority,
    Sentiment,
    SurveyKind,
    TicketKind,
    Tier,
    TimelineKind,
)
from tenure.models.users import ApiToken, User

__all__ = [
    "Account",
    "ApiToken",
    "Base",
    "Contact",
    "Contract",
    "ContractStatus",
    "Role",
    "Sentiment",
    "Seniority",
    "SurveyKind",
    "SurveyResponse",
    "Ticket",
    "TicketKind",
    "Tier",
    "TimelineEntry",
    "TimelineKind",
    "User",
]
