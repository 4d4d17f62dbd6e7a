"""All ORM models, one module per aggregate, re-exported here."""

from tenure.models.accounts import Account, Contact, Contract
from tenure.models.activity import SurveyResponse, Ticket, TimelineEntry
from tenure.models.agent import (
    AccountBrief,
    AgentAction,
    AgentMandate,
    AgentRun,
    AgentState,
    BriefItem,
)
from tenure.models.audit import AuditEntry
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
from tenure.models.health import AccountHealth, Scorecard
from tenure.models.messaging import Handoff, Message, MessageTemplate, Suppression
from tenure.models.plans import PlaybookLibrary, Task
from tenure.models.usage import WriteKey
from tenure.models.users import ApiToken, User
from tenure.models.web import BookMark, WebSession

__all__ = [
    "Account",
    "AccountBrief",
    "AccountHealth",
    "AgentAction",
    "AgentMandate",
    "AgentRun",
    "AgentState",
    "ApiToken",
    "AuditEntry",
    "Base",
    "BookMark",
    "BriefItem",
    "Contact",
    "Contract",
    "ContractStatus",
    "Handoff",
    "Message",
    "MessageTemplate",
    "PlaybookLibrary",
    "Role",
    "Scorecard",
    "Sentiment",
    "Suppression",
    "Seniority",
    "SurveyKind",
    "SurveyResponse",
    "Task",
    "Ticket",
    "TicketKind",
    "Tier",
    "TimelineEntry",
    "TimelineKind",
    "User",
    "WebSession",
    "WriteKey",
]
