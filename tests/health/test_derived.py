"""Derived measures from the account store, as of a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tenure.health.derived import (
    HELP_TO_PROBLEM,
    TICKETS_CLOSED_48H,
    ContactRow,
    SentimentRow,
    SurveyRow,
    TicketRow,
    csm_sentiment,
    sponsor_seniority,
    survey_latest,
    ticket_measures,
)

DAY = date(2026, 11, 20)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_tickets_closed_within_48_hours_and_help_to_problem():
    rows = [
        # Closed in 47 h: counts as closed in time.
        TicketRow("a", at("2026-11-01T09:00"), at("2026-11-03T08:00"), "question"),
        # Closed in 49 h: late.
        TicketRow("a", at("2026-11-05T09:00"), at("2026-11-07T10:00"), "problem"),
        # Still open, 48 h over: late.
        TicketRow("a", at("2026-11-10T09:00"), None, "question"),
        # Still open, opened late on the day: may still make it, left out of the share.
        TicketRow("a", at("2026-11-20T20:00"), None, "question"),
        # Closed after the day: on the day it was still open and its 48 h were over.
        TicketRow("a", at("2026-11-17T09:00"), at("2026-11-21T09:00"), "question"),
        # Opened more than 90 days before: outside the window.
        TicketRow("a", at("2026-08-01T09:00"), at("2026-08-01T10:00"), "problem"),
        # Opened after the day: not yet.
        TicketRow("a", at("2026-11-21T09:00"), at("2026-11-21T10:00"), "problem"),
        TicketRow("b", at("2026-11-19T09:00"), at("2026-11-19T10:00"), "question"),
    ]
    measures = ticket_measures(rows, DAY)
    assert measures[TICKETS_CLOSED_48H] == {"a": pytest.approx(100 / 4), "b": 100.0}
    # a: 4 questions, 1 problem; b: 1 question and no problem report.
    assert measures[HELP_TO_PROBLEM] == {"a": 4.0, "b": 1.0}


def test_the_90_day_window_includes_the_day_and_89_before():
    first = TicketRow("a", at("2026-08-23T00:00"), at("2026-08-23T01:00"), "problem")
    before = TicketRow("b", at("2026-08-22T23:59"), at("2026-08-23T01:00"), "problem")
    measures = ticket_measures([first, before], DAY)
    assert measures[TICKETS_CLOSED_48H] == {"a": 100.0}


def test_surveys_average_each_respondents_latest_answer_in_the_window():
    rows = [
        SurveyRow("a", "carla", 9, at("2026-05-03T00:00")),
        SurveyRow("a", "carla", 4, at("2026-10-01T00:00")),  # Carla's latest
        SurveyRow("a", "dan", 8, at("2026-10-02T00:00")),
        SurveyRow("a", "eve", 10, at("2025-01-01T00:00")),  # outside 365 days
        SurveyRow("a", "fay", 0, at("2026-11-21T00:00")),  # after the day
        SurveyRow("b", "gus", 7, at("2026-11-20T23:00")),
    ]
    assert survey_latest(rows, DAY, 365) == {"a": 6.0, "b": 7.0}
    assert survey_latest(rows, DAY, 30) == {"b": 7.0}


def test_sponsor_seniority():
    rows = [
        ContactRow("a", "staff", False),
        ContactRow("a", "vp", True),
        ContactRow("a", "c_level", False),  # senior, but not a sponsor
        ContactRow("b", "manager", False),  # contacts, no sponsor: 0
        ContactRow("c", None, True),  # a sponsor of unknown seniority only: no data
        ContactRow("d", None, True),
        ContactRow("d", "director", True),
    ]
    assert sponsor_seniority(rows) == {"a": 80.0, "b": 0.0, "d": 60.0}


def test_csm_sentiment_takes_the_latest_in_the_window():
    rows = [
        SentimentRow("a", at("2026-11-01T10:00"), 1, "green"),
        SentimentRow("a", at("2026-11-10T10:00"), 2, "red"),
        SentimentRow("a", at("2026-11-10T10:00"), 3, "amber"),  # same instant, written later
        SentimentRow("a", at("2026-11-21T10:00"), 4, "green"),  # after the day
        SentimentRow("b", at("2026-01-01T10:00"), 5, "red"),  # outside 90 days
    ]
    assert csm_sentiment(rows, DAY, 90) == {"a": 50.0}
