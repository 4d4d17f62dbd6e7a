"""What changed in an account since the agent last looked, as triggers with their evidence.

Pure: an account's facts and signals today (from the plans domain), what the agent stored of
it on its previous run, and a few extra facts (survey answers, sponsors' last activity,
goals) in; `Trigger`s out. Each trigger carries its window: the part of the idempotency key
(account, play, window) that makes the same event act once, however often the day is run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tenure.agent.mandate import TriggerRules
from tenure.plans.signals import AccountFacts, Signal

BANDS = {"red": 0, "amber": 1, "green": 2}


@dataclass(frozen=True)
class Answer:
    """A survey answer: `ref` is its external id."""

    ref: str
    contact_email: str | None
    kind: str  # nps | csat | ces
    score: int
    responded_on: date
    comment: str | None = None


@dataclass(frozen=True)
class Sponsor:
    email: str | None
    name: str
    last_active: date | None  # the sponsor's latest product event, None when never seen


@dataclass(frozen=True)
class Goal:
    ref: str
    text: str
    due: date
    done: bool


@dataclass(frozen=True)
class Seen:
    """Everything the triggers read of one account on one day."""

    facts: AccountFacts
    signals: Sequence[Signal] = ()
    customer_since: date | None = None
    answers: Sequence[Answer] = ()  # answered on or before the day
    sponsors: Sequence[Sponsor] = ()
    goals: Sequence[Goal] = ()
    last_answer: date | None = None  # latest survey answer of any kind


@dataclass(frozen=True)
class Trigger:
    kind: str
    window: str
    evidence: tuple[str, ...]
    subject: str | None = None
    contact_email: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.subject}" if self.subject else self.kind


def state_of(seen: Seen, rules: TriggerRules) -> dict[str, Any]:
    """What the next run compares with."""
    f = seen.facts
    return {
        "health": f.health,
        "band": f.band,
        "trend": f.trend,
        "usage": f.usage.get(rules.usage_metric),
        "sponsors": sorted(s.email for s in seen.sponsors if s.email),
        "renewal_date": f.renewal_date.isoformat() if f.renewal_date else None,
    }


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def renewal_window(renewal: date | None, day: date, windows: Sequence[int]) -> int | None:
    """The smallest window (in days) the renewal is inside on `day`, None when outside all."""
    if renewal is None:
        return None
    left = (renewal - day).days
    inside = [w for w in windows if 0 < left <= w]
    return min(inside) if inside else None


def detect(
    seen: Seen,
    day: date,
    previous: Mapping[str, Any] | None,
    previous_day: date | None,
    rules: TriggerRules,
) -> list[Trigger]:
    """The account's triggers on `day`. Change triggers (band, trend, usage, sponsors)
    compare with the previous run; without one, what the agent sees is new to it."""
    f = seen.facts
    out: list[Trigger] = []
    money = f" ARR {f.arr:,.0f}." if f.arr else ""
    health = f"health {f.health} ({f.band})" if f.health is not None else "no health score"

    window = renewal_window(f.renewal_date, day, rules.renewal_windows)
    if window is not None and f.renewal_date is not None:
        left = (f.renewal_date - day).days
        out.append(
            Trigger(
                "renewal_window",
                f"{f.renewal_date.isoformat()}:{window}",
                (
                    f"renewal on {f.renewal_date.isoformat()}, {left} days away: "
                    f"inside the {window}-day window.{money}",
                    health,
                ),
                subject=str(window),
            )
        )

    was_band = previous.get("band") if previous else None
    if f.band in BANDS and (
        (was_band in BANDS and BANDS[f.band] < BANDS[was_band])
        or (previous is None and f.band == "red")
    ):
        change = f"from {was_band} to {f.band}" if was_band else f"{f.band} when first seen"
        was = f", was {previous.get('health')}" if previous else ""
        out.append(Trigger("band_drop", day.isoformat(), (f"band {change} ({health}{was})",)))

    if f.trend == "down" and (previous is None or previous.get("trend") != "down"):
        out.append(Trigger("trend_down", day.isoformat(), (f"{health}, trend turned down",)))

    usage = f.usage.get(rules.usage_metric)
    was_usage = previous.get("usage") if previous else None
    if (
        usage is not None
        and usage <= -rules.usage_drop
        and (was_usage is None or was_usage > -rules.usage_drop)
    ):
        out.append(
            Trigger(
                "usage_drop",
                day.isoformat(),
                (
                    f"{rules.usage_metric} {usage:+.0f}% "
                    f"(a drop of {rules.usage_drop:g}% or more since 8 weeks before)",
                ),
            )
        )

    since = previous_day or day - timedelta(days=30)
    for answer in seen.answers:
        below = rules.detractor_nps_below if answer.kind == "nps" else rules.detractor_csat_below
        if answer.kind == "ces" or answer.score >= below or not since < answer.responded_on <= day:
            continue
        said = f': "{answer.comment}"' if answer.comment else ""
        out.append(
            Trigger(
                "detractor",
                answer.ref,
                (
                    f"{answer.kind.upper()} answer {answer.score} from "
                    f"{answer.contact_email or 'a contact'} on "
                    f"{answer.responded_on.isoformat()}{said}",
                ),
                subject=answer.contact_email,
                contact_email=answer.contact_email,
            )
        )

    out.extend(_sponsors(seen, day, previous, rules))
    out.extend(_first_value(seen, day, rules))

    quarter = quarter_of(day)
    kinds = {s.kind: s for s in seen.signals}
    expansion = kinds.get("expansion_candidate")
    if f.tier == "free" and expansion is not None:
        out.append(Trigger("paid_like_free", quarter, (expansion.evidence,)))
    for signal in seen.signals:
        if signal.kind == "lookalike" and signal.subject:
            out.append(
                Trigger(
                    "lookalike",
                    f"{signal.subject}:{quarter}",
                    (signal.evidence,),
                    subject=signal.subject,
                )
            )
    gap = any(s.kind == "data_gap" and s.subject == "satisfaction" for s in seen.signals)
    stale = seen.last_answer is not None and (day - seen.last_answer).days > (
        rules.survey_missing_days
    )
    if gap or stale:
        why = (
            "no satisfaction data in the health score"
            if gap
            else f"no survey answer since {seen.last_answer}"
        )
        out.append(Trigger("survey_missing", quarter, (why,)))
    for kind in ("support_problems", "feature_requests"):
        if kind in kinds:
            out.append(Trigger(kind, quarter, (kinds[kind].evidence,)))
    return out


def _sponsors(
    seen: Seen, day: date, previous: Mapping[str, Any] | None, rules: TriggerRules
) -> list[Trigger]:
    out = []
    now = {s.email for s in seen.sponsors if s.email}
    before = set(previous.get("sponsors", [])) if previous else set()
    for email in sorted(before - now):
        out.append(
            Trigger(
                "sponsor_gone",
                email,
                (f"sponsor {email} is no longer a sponsor among the contacts",),
                subject=email,
            )
        )
    if not now and seen.facts.contacts_known and (previous is None or before):
        out.append(
            Trigger("sponsor_gone", "none", ("no executive sponsor among the contacts",), "none")
        )
    for sponsor in seen.sponsors:
        if sponsor.last_active is None or not sponsor.email:
            continue
        idle = (day - sponsor.last_active).days
        if idle >= rules.sponsor_idle_days:
            out.append(
                Trigger(
                    "sponsor_idle",
                    f"{sponsor.email}:{sponsor.last_active.isoformat()}",
                    (
                        f"sponsor {sponsor.name} ({sponsor.email}) last used the product on "
                        f"{sponsor.last_active.isoformat()}, {idle} days ago",
                    ),
                    subject=sponsor.email,
                )
            )
    return out


def _first_value(seen: Seen, day: date, rules: TriggerRules) -> list[Trigger]:
    if seen.goals:
        return [
            Trigger(
                "first_value_missed",
                goal.ref,
                (f"goal {goal.text!r} was due on {goal.due.isoformat()} and is not met",),
                subject=goal.ref,
            )
            for goal in seen.goals
            if not goal.done and goal.due < day
        ]
    start = seen.customer_since
    if start is None:
        return []
    days = (day - start).days
    # Only while first value is still the question: a year-old client is past onboarding.
    if not rules.first_value_days <= days < rules.first_value_days + 90:
        return []
    value = seen.facts.usage.get(rules.first_value_metric)
    if value is not None and value >= rules.first_value_from:
        return []
    shown = "unknown" if value is None else f"{value:g}"
    return [
        Trigger(
            "first_value_missed",
            "ttfv",
            (
                f"{days} days since the start on {start.isoformat()} and "
                f"{rules.first_value_metric} is {shown} (first value is "
                f"{rules.first_value_from:g} by day {rules.first_value_days})",
            ),
        )
    ]
