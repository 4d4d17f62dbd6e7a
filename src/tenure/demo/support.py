"""Support tickets and survey answers, drawn each month from the accounts' hidden state (pure).

Tickets: engaged accounts ask more questions (help requests); problem-prone accounts report
more problems; whether a ticket closes within 48 hours depends on its kind, priority and
how busy support is that month. Surveys: engaged contacts answer more often (the response
rate is itself a signal); scores follow satisfaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from tenure.demo.company import (
    BoolArray,
    ContactRecord,
    FloatArray,
    IntArray,
    SurveyRecord,
    TicketRecord,
)

EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


def at(day: int, seconds: float) -> datetime:
    """The UTC moment `seconds` into day number `day`, to the whole second."""
    return EPOCH_UTC + timedelta(days=day, seconds=int(seconds))


def sigmoid(x: FloatArray | float) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64))))


@dataclass
class Counter:
    prefix: str
    value: int = 0

    def next(self) -> str:
        self.value += 1
        return f"{self.prefix}{self.value:06d}"


@dataclass
class TicketDraw:
    tickets: list[TicketRecord]
    problems: FloatArray  # per account, problems opened this month
    slow_problems: FloatArray  # per account, problems not closed within 48 hours
    closed: list[tuple[int, TicketRecord, bool]]  # (account, ticket, closed within 48 hours)


def draw_tickets(
    rng: np.random.Generator,
    external_ids: Sequence[str],
    live_lo: IntArray,
    live_hi: IntArray,
    questions: FloatArray,
    problems: FloatArray,
    satisfaction: FloatArray,
    backlog: float,
    end_day: int,
    counter: Counter,
    subjects: dict[str, tuple[str, ...]],
) -> TicketDraw:
    """Tickets opened on the accounts' live days this month (rates per account and month)."""
    count = len(external_ids)
    days = np.maximum(live_hi - live_lo, 0)
    share = days / 30.0
    n_questions = rng.poisson(questions * share)
    n_problems = rng.poisson(problems * share)
    problem_count = np.zeros(count)
    slow = np.zeros(count)
    tickets: list[TicketRecord] = []
    closed_tickets: list[tuple[int, TicketRecord, bool]] = []
    for account in np.flatnonzero(n_questions + n_problems):
        total = int(n_questions[account] + n_problems[account])
        kinds = ["question"] * int(n_questions[account]) + ["problem"] * int(n_problems[account])
        opened_days = live_lo[account] + rng.integers(0, days[account], size=total)
        opened_secs = np.clip(rng.normal(13.5, 3.0, size=total), 6, 21.5) * 3600
        draws = rng.random((total, 4))
        for j, kind in enumerate(kinds):
            is_problem = kind == "problem"
            if is_problem:
                priority = (
                    "normal" if draws[j, 0] < 0.5 else "high" if draws[j, 0] < 0.85 else "urgent"
                )
            else:
                priority = "low" if draws[j, 0] < 0.6 else "normal"
            urgent = priority in ("high", "urgent")
            p_fast = float(sigmoid(1.4 - 0.6 * is_problem + 0.5 * urgent - backlog))
            within = bool(draws[j, 1] < p_fast)
            if within:
                hours = float(np.clip(rng.lognormal(np.log(8.0), 0.9), 0.25, 47.5))
            else:
                hours = 48.5 + float(rng.exponential(60.0))
            opened = at(int(opened_days[j]), float(opened_secs[j]))
            closed: datetime | None = opened + timedelta(seconds=int(hours * 3600))
            satisfied: bool | None = None
            if closed is not None and closed >= at(end_day, 0):
                closed = None  # still open on the as-of date
            elif draws[j, 2] < 0.5:  # half the people answer the "were you satisfied?" mail
                p_sat = float(
                    sigmoid(0.8 + 1.2 * within - 0.6 * is_problem + 0.6 * satisfaction[account])
                )
                satisfied = bool(draws[j, 3] < p_sat)
            ticket = TicketRecord(
                external_id="",  # numbered below, in the order tickets were opened
                account_external_id=external_ids[int(account)],
                opened_at=opened,
                closed_at=closed,
                kind=kind,
                priority=priority,
                satisfied=satisfied,
                subject=str(rng.choice(subjects[kind])),
            )
            tickets.append(ticket)
            if is_problem:
                problem_count[account] += 1
                if not within:
                    slow[account] += 1
            if closed is not None:
                closed_tickets.append((int(account), ticket, within))
    tickets.sort(key=lambda t: (t.opened_at, t.account_external_id))
    for ticket in tickets:
        ticket.external_id = counter.next()
    return TicketDraw(tickets, problem_count, slow, closed_tickets)


def comment_for(
    rng: np.random.Generator, band: str, comments: dict[str, tuple[str, ...]]
) -> str | None:
    return str(rng.choice(comments[band])) if rng.random() < 0.35 else None


def nps_band(score: int) -> str:
    return "low" if score <= 6 else "mid" if score <= 8 else "high"


def csat_band(score: int) -> str:
    return "low" if score <= 2 else "mid" if score == 3 else "high"


def draw_survey_wave(
    rng: np.random.Generator,
    kind: str,
    sent: datetime,
    accounts: IntArray,
    contacts: Sequence[Sequence[ContactRecord]],
    engagement: FloatArray,
    satisfaction: FloatArray,
    aversion: FloatArray,
    end_day: int,
    counter: Counter,
    comments: dict[str, tuple[str, ...]],
) -> list[SurveyRecord]:
    """One invitation per contact with an email in each of `accounts`; some answer."""
    surveys: list[SurveyRecord] = []
    end = at(end_day, 0)
    for account in accounts:
        for contact in contacts[account]:
            if contact.email is None:
                continue
            p_answer = float(
                sigmoid(
                    -0.5 + 0.9 * engagement[account] + aversion[account] + 0.3 * contact.is_sponsor
                )
            )
            answered = rng.random() < p_answer
            delay = timedelta(seconds=int(np.clip(rng.lognormal(np.log(20 * 3600), 1.0), 300, 2e6)))
            score: int | None = None
            responded: datetime | None = None
            comment: str | None = None
            if answered and sent + delay < end:
                responded = sent + delay
                if kind == "nps":
                    score = int(
                        np.clip(np.rint(rng.normal(8.0 + 1.6 * satisfaction[account], 1.3)), 0, 10)
                    )
                    comment = comment_for(rng, nps_band(score), comments)
                else:
                    score = int(
                        np.clip(np.rint(rng.normal(3.8 + 0.8 * satisfaction[account], 0.7)), 1, 5)
                    )
                    comment = comment_for(rng, csat_band(score), comments)
            surveys.append(
                SurveyRecord(
                    external_id=counter.next(),
                    account_external_id=contact.account_external_id,
                    contact_email=contact.email,
                    kind=kind,
                    sent_at=sent,
                    score=score,
                    responded_at=responded,
                    comment=comment,
                )
            )
    return surveys


def draw_effort_surveys(
    rng: np.random.Generator,
    closed: list[tuple[int, TicketRecord, bool]],
    contacts: Sequence[Sequence[ContactRecord]],
    satisfaction: FloatArray,
    end_day: int,
    counter: Counter,
) -> list[SurveyRecord]:
    """A customer-effort survey (1-7) after each closed ticket; about a third answer."""
    surveys: list[SurveyRecord] = []
    end = at(end_day, 0)
    for account, ticket, fast in closed:
        people = [c for c in contacts[account] if c.email is not None]
        if ticket.closed_at is None or not people:
            continue
        sent = ticket.closed_at + timedelta(hours=1)
        if sent >= end:
            continue
        contact = people[int(rng.integers(len(people)))]
        score: int | None = None
        responded: datetime | None = None
        if rng.random() < 0.33:
            when = sent + timedelta(seconds=int(rng.exponential(10.0) * 3600))
            if when < end:
                responded = when
                mean = 4.6 + 1.3 * fast + 0.5 * satisfaction[account]
                score = int(np.clip(np.rint(rng.normal(mean, 1.0)), 1, 7))
        surveys.append(
            SurveyRecord(
                external_id=counter.next(),
                account_external_id=ticket.account_external_id,
                contact_email=contact.email,
                kind="ces",
                sent_at=sent,
                score=score,
                responded_at=responded,
                comment=None,
            )
        )
    return surveys


def live_mask(live_lo: IntArray, live_hi: IntArray, day: int) -> BoolArray:
    return np.asarray((live_lo <= day) & (day < live_hi))
