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
from tenure.models.goals import Goal, GoalMilestone, GoalProgress, QbrSnapshot
from tenure.models.health import AccountHealth, Scorecard
from tenure.models.messaging import Handoff, Message, MessageTemplate, Suppression
from tenure.models.plans import PlaybookLibrary, Task
from tenure.models.surveys import SurveyCampaign, SurveyRecipient
from tenure.models.todos import Todo
from tenure.models.usage import WriteKey
from tenure.models.users import ApiToken, User
from tenure.models.web import BookMark, LoginFailure, WebSession

__all__ = [
    "Account",
    "AccountBrief",
    "ActivityKind",
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
    "Goal",
    "GoalMilestone",
    "GoalProgress",
    "Handoff",
    "LoginFailure",
    "Message",
    "MessageTemplate",
    "PlaybookLibrary",
    "QbrSnapshot",
    "Role",
    "Scorecard",
    "Sentiment",
    "Suppression",
    "Seniority",
    "SurveyCampaign",
    "SurveyKind",
    "SurveyRecipient",
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
