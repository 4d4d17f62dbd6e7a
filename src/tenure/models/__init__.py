"""All ORM models, one module per aggregate, re-exported here."""

from tenure.models.accounts import Account, Contact, Contract
from tenure.models.activity import SurveyResponse, Ticket, TimelineEntry
from tenure.models.audit import AuditEntry
from tenure.models.base import Base
from tenure.models.enums import (
    ActivityKind,
    ContractStatus,
    Role,
    Seniority,
    Sentiment,
    SurveyKind,
    TicketKind,
    Tier,
    TimelineKind,
)
from tenure.models.health import AccountHealth, Scorecard
from tenure.models.plans import PlaybookLibrary, Task
from tenure.models.todos import Todo
from tenure.models.usage import WriteKey
from tenure.models.users import ApiToken, User
from tenure.models.web import BookMark, WebSession

__all__ = [
    "Account",
    "ActivityKind",
    "AccountHealth",
    "ApiToken",
    "AuditEntry",
    "Base",
    "BookMark",
    "Contact",
    "Contract",
    "ContractStatus",
    "PlaybookLibrary",
    "Role",
    "Scorecard",
    "Sentiment",
    "Seniority",
    "SurveyKind",
    "SurveyResponse",
    "Task",
    "Ticket",
    "TicketKind",
    "Tier",
    "TimelineEntry",
    "TimelineKind",
    "Todo",
    "User",
    "WebSession",
    "WriteKey",
]
