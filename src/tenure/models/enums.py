"""Closed vocabularies of the data contracts, shared by models, schemas and imports."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    csm = "csm"
    viewer = "viewer"


class Tier(StrEnum):
    free = "free"
    trial = "trial"
    paid = "paid"


class ContractStatus(StrEnum):
    active = "active"
    renewed = "renewed"
    churned = "churned"
    expired = "expired"


class Seniority(StrEnum):
    c_level = "c_level"
    vp = "vp"
    director = "director"
    manager = "manager"
    staff = "staff"


class TicketKind(StrEnum):
    question = "question"
    problem = "problem"


class SurveyKind(StrEnum):
    nps = "nps"
    csat = "csat"
    ces = "ces"


class ActivityKind(StrEnum):
    """What an account's timeline shows besides its entries: read from the tickets, survey
    answers and tasks themselves, never stored twice."""

    ticket_opened = "ticket opened"
    ticket_closed = "ticket closed"
    survey = "survey answer"
    task_done = "task done"


class TimelineKind(StrEnum):
    note = "note"
    email = "email"
    call = "call"
    meeting = "meeting"
    sentiment = "sentiment"
    system = "system"
    # A message Tenure sent, tied to its contact and its text in the outbox.
    message = "message"


class Sentiment(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"


SURVEY_SCALES: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.nps: (0, 10),
    SurveyKind.csat: (1, 5),
    SurveyKind.ces: (1, 7),
}
