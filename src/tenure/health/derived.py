"""Derived measures: health inputs computed from the account store as of a day.

Their names are fixed (docs/metrics.md). Each function takes plain rows, so the
rules are easy to test and to replay for any day; the service loads the rows.

- tickets_closed_48h_share_90d: of the tickets opened in the 90 days up to the day, the
  percentage (0-100) closed within 48 hours of opening. A ticket still open whose 48 hours
  have not run out yet is left out: it may still make it.
- help_to_problem_ratio_90d: help requests (kind question) per problem report among the
  tickets opened in the 90 days up to the day; with no problem report, the number of help
  requests (as if there were one).
- nps_latest / csat_latest: each respondent's latest answered survey of that kind inside the
  measure's window, averaged over respondents (NPS 0-10, CSAT 1-5). The window is the
  measure's `window_days`: e.g. 365 for a six-monthly NPS.
- sponsor_seniority: the most senior sponsor among the account's contacts: c-level 100,
  VP 80, director 60, manager 40, staff 20; contacts but no sponsor 0; no contacts, or
  sponsors of unknown seniority only: no data. Contacts carry no dates: this is today's
  picture whatever the day.
- csm_sentiment: the latest sentiment a CSM recorded on the timeline inside the window:
  red 0, amber 50, green 100.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

TICKETS_CLOSED_48H = "tickets_closed_48h_share_90d"
HELP_TO_PROBLEM = "help_to_problem_ratio_90d"
NPS_LATEST = "nps_latest"
CSAT_LATEST = "csat_latest"
SPONSOR_SENIORITY = "sponsor_seniority"
CSM_SENTIMENT = "csm_sentiment"
DERIVED = (
    TICKETS_CLOSED_48H,
    HELP_TO_PROBLEM,
    NPS_LATEST,
    CSAT_LATEST,
    SPONSOR_SENIORITY,
    CSM_SENTIMENT,
)
TICKET_WINDOW_DAYS = 90
CLOSED_WITHIN = timedelta(hours=48)
SENIORITY_POINTS = {"c_level": 100.0, "vp": 80.0, "director": 60.0, "manager": 40.0, "staff": 20.0}
SENTIMENT_POINTS = {"red": 0.0, "amber": 50.0, "green": 100.0}

Values = dict[str, float]  # account external id -> value


def end_of(day: date) -> datetime:
    """The first instant after `day` (UTC): "as of a day" includes the whole day."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def window_start(day: date, window_days: int) -> datetime:
    """The first instant of the window of `window_days` days ending with `day`."""
    return end_of(day) - timedelta(days=window_days)


@dataclass(frozen=True)
class TicketRow:
    account: str
    opened_at: datetime
    closed_at: datetime | None
    kind: str  # question | problem


@dataclass(frozen=True)
class SurveyRow:
    account: str
    respondent: str
    score: float
    responded_at: datetime


@dataclass(frozen=True)
class ContactRow:
    account: str
    seniority: str | None
    is_sponsor: bool


@dataclass(frozen=True)
class SentimentRow:
    account: str
    at: datetime
    order: int  # tie-break for entries at the same instant: the later written wins
    sentiment: str


def ticket_measures(rows: Iterable[TicketRow], day: date) -> dict[str, Values]:
    """tickets_closed_48h_share_90d and help_to_problem_ratio_90d for every account with
    tickets opened in the 90 days up to `day`."""
    end = end_of(day)
    start = window_start(day, TICKET_WINDOW_DAYS)
    counted: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # closed in 48 h, decided
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # questions, problems
    for row in rows:
        if not start <= row.opened_at < end:
            continue
        kinds[row.account][0 if row.kind == "question" else 1] += 1
        deadline = row.opened_at + CLOSED_WITHIN
        closed = row.closed_at is not None and row.closed_at < end
        if closed and row.closed_at is not None and row.closed_at <= deadline:
            counted[row.account][0] += 1
            counted[row.account][1] += 1
        elif deadline < end:  # 48 hours are over and it was not closed within them
            counted[row.account][1] += 1
    share = {a: 100.0 * c[0] / c[1] for a, c in counted.items() if c[1]}
    ratio = {a: k[0] / max(k[1], 1) for a, k in kinds.items()}
    return {TICKETS_CLOSED_48H: share, HELP_TO_PROBLEM: ratio}


def survey_latest(rows: Iterable[SurveyRow], day: date, window_days: int) -> Values:
    """Mean over respondents of each one's latest answer inside the window."""
    end, start = end_of(day), window_start(day, window_days)
    latest: dict[tuple[str, str], SurveyRow] = {}
    for row in rows:
        if not start <= row.responded_at < end:
            continue
        key = (row.account, row.respondent)
        if key not in latest or row.responded_at > latest[key].responded_at:
            latest[key] = row
    scores: dict[str, list[float]] = defaultdict(list)
    for (account, _), row in sorted(latest.items()):
        scores[account].append(row.score)
    return {a: sum(s) / len(s) for a, s in scores.items()}


def sponsor_seniority(rows: Iterable[ContactRow]) -> Values:
    best: dict[str, float | None] = {}
    for row in rows:
        current = best.get(row.account)
        if not row.is_sponsor:
            best.setdefault(row.account, 0.0)
            continue
        points = SENIORITY_POINTS.get(row.seniority or "")
        if points is None:
            # A sponsor of unknown seniority: not "no sponsor", but nothing to score yet.
            best[row.account] = current if current else None
        else:
            best[row.account] = max(points, current or 0.0)
    return {a: v for a, v in best.items() if v is not None}


def csm_sentiment(rows: Iterable[SentimentRow], day: date, window_days: int) -> Values:
    end, start = end_of(day), window_start(day, window_days)
    latest: dict[str, SentimentRow] = {}
    for row in rows:
        if not start <= row.at < end:
            continue
        held = latest.get(row.account)
        if held is None or (row.at, row.order) > (held.at, held.order):
            latest[row.account] = row
    return {a: SENTIMENT_POINTS[r.sentiment] for a, r in latest.items()}
