"""Signals: what an account's plain facts say a CSM should act on, each with its evidence.

Pure core: `AccountFacts` in (health, renewal, ARR, sponsor, surveys, usage, tickets), a list
of `Signal`s per account out. Thresholds live in `SignalRules`, which a playbook library may
override (its `[signals]` table). The service gathers the facts; nothing here reads a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import NamedTuple, Protocol

QUARTER_DAYS = 91  # 13 weeks

# The kinds docs/plans.md lists for planning, then the ones playbooks also trigger on.
KINDS = (
    "renewal_in_quarter",
    "renewal_at_risk",
    "weak_component",
    "data_gap",
    "weak_sponsor",
    "expansion_candidate",
    "advocate_candidate",
    "lookalike",
    "red_health",
    "falling_health",
    "support_problems",
    "feature_requests",
)
# Signals that mean the account is at risk: an advocate has none of them.
RISKS = (
    "renewal_at_risk",
    "weak_component",
    "weak_sponsor",
    "red_health",
    "falling_health",
    "support_problems",
)
STRONG_SPONSORS = ("c_level", "vp", "director")


@dataclass(frozen=True)
class AccountFacts:
    """What is known of one account on the as-of day. None means "not known"."""

    external_id: str
    name: str = ""
    csm_email: str | None = None
    tier: str = "paid"
    segment: str | None = None
    lifecycle_stage: str | None = None
    health: int | None = None
    band: str | None = None  # red | amber | green
    trend: str | None = None  # up | level | down
    components: Mapping[str, int | None] = field(default_factory=dict)
    renewal_months: int | None = None
    renewal_band: str | None = None
    renewal_date: date | None = None
    arr: float | None = None
    years: float | None = None
    # Seniority of the most senior executive sponsor; None with `contacts_known` = no sponsor.
    sponsor: str | None = None
    contacts_known: bool = False
    # The mean of each respondent's latest answer to the NPS question (0-10): not an NPS
    # (promoters minus detractors), so it is shown as a mean answer.
    nps: float | None = None
    csat: float | None = None  # 1-5
    usage: Mapping[str, float] = field(default_factory=dict)
    contract_quantity: float | None = None
    contract_units: str | None = None
    open_problems: int = 0
    feature_requests: int = 0
    exemplar: bool = False


@dataclass(frozen=True)
class Signal:
    """One reason to act on an account. `subject` narrows the kind (e.g. the weak component)."""

    kind: str
    evidence: str
    subject: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.subject}" if self.subject else self.kind


@dataclass(frozen=True)
class SignalRules:
    """Thresholds behind the signals; a playbook library's `[signals]` table sets them."""

    weak_component_below: float = 50.0
    renewal_risk_months: int = 6
    green_from: float = 75.0
    weak_sponsor_seniority: tuple[str, ...] = ("manager", "staff")
    sponsorship_component: str = "sponsorship"
    satisfaction_component: str = "satisfaction"
    support_component: str = "support"
    product_component: str = "product"
    rising_metric: str = "events_change_8w"
    rising_from: float = 0.1
    quantity_metrics: Mapping[str, str] = field(
        default_factory=lambda: {"seats": "active_users_28d", "users": "active_users_28d"}
    )
    quantity_metric: str = "active_users_28d"
    near_quantity: float = 0.9
    paid_like_metrics: tuple[str, ...] = ("events_28d", "active_users_28d")
    advocate_health_from: float = 80.0
    advocate_nps_from: float = 9.0
    advocate_csat_from: float = 4.5
    advocate_satisfaction_from: float = 80.0
    advocate_sponsorship_from: float = 60.0
    advocate_years_from: float = 1.0
    support_problems_from: int = 3
    feature_requests_from: int = 1
    lookalike_from: float = 0.9


def quarter_end(quarter_start: date) -> date:
    """The last day of the 13 weeks starting on `quarter_start`."""
    return quarter_start + timedelta(days=QUARTER_DAYS - 1)


def renewal_in(facts: AccountFacts, start: date, end: date) -> bool:
    """Whether the renewal falls in [start, end]; from renewal months (a renewal 0-2 whole
    months away) when the date is unknown."""
    if facts.renewal_date is not None:
        return start <= facts.renewal_date <= end
    return facts.renewal_months is not None and facts.renewal_months < 3


class Comparable(Protocol):
    """What accounts are compared on: `AccountFacts`, or a `Peer`."""

    @property
    def external_id(self) -> str: ...
    @property
    def tier(self) -> str: ...
    @property
    def usage(self) -> Mapping[str, float]: ...
    @property
    def exemplar(self) -> bool: ...


class Peer(NamedTuple):
    """An account as the others are compared with it: a tuple is built many times faster
    than whole facts, which counts in a book of 100,000."""

    external_id: str
    tier: str
    usage: Mapping[str, float]
    exemplar: bool = False


@dataclass(frozen=True)
class Exemplar:
    """An exemplar's usage on the book's scale: each metric's (name, mean, spread) of the
    log values over the book, and the exemplar's own scaled vector."""

    external_id: str
    columns: tuple[tuple[str, float, float], ...]
    vector: tuple[float, ...]


@dataclass(frozen=True)
class Comparisons:
    """What an account's signals compare it with, taken from the whole book once: the median
    usage of paying clients (paid-like free clients) and the exemplars (lookalikes). Small,
    so one account's signals need not load every other account's facts."""

    paid_medians: Mapping[str, float] = field(default_factory=dict)
    exemplars: tuple[Exemplar, ...] = ()
    lookalike_from: float = 0.9


def comparisons(
    book: Sequence[Comparable], rules: SignalRules | None = None, exemplars: Sequence[str] = ()
) -> Comparisons:
    """The comparisons of a whole book; `exemplars` are accounts others are compared with,
    besides the accounts flagged `exemplar`."""
    rules = rules or SignalRules()
    wanted = [*exemplars, *(f.external_id for f in book if f.exemplar)]
    return Comparisons(_paid_medians(book, rules), _exemplars(book, wanted), rules.lookalike_from)


def _exemplars(book: Sequence[Comparable], wanted: Sequence[str]) -> tuple[Exemplar, ...]:
    by_id = {f.external_id: f for f in book}
    scaled = []
    for exemplar in dict.fromkeys(wanted):
        model = by_id.get(exemplar)
        if model is None or not model.usage:
            continue
        columns = _columns(book, sorted(model.usage))
        # On one metric every account above the book's typical value would "resemble".
        if len(columns) >= 2:
            scaled.append(Exemplar(exemplar, tuple(columns), tuple(_scaled(model, columns))))
    return tuple(scaled)


def compute_signals(
    book: Sequence[AccountFacts],
    as_of: date,
    quarter_start: date | None = None,
    rules: SignalRules | None = None,
    exemplars: Sequence[str] = (),
    compared: Comparisons | None = None,
) -> dict[str, list[Signal]]:
    """Every account's signals (account external id -> signals, in KINDS order).

    The quarter is 13 weeks from `quarter_start` (default `as_of`). Free clients are compared
    with paid ones and every account with the exemplars (`exemplars`, and accounts flagged
    `exemplar`) of the whole book: pass the whole book, or pass the accounts wanted with
    the `comparisons` of the whole book.
    """
    rules = rules or SignalRules()
    start = quarter_start or as_of
    end = quarter_end(start)
    if compared is None:
        compared = comparisons(book, rules, exemplars)
    out: dict[str, list[Signal]] = {}
    for facts in book:
        found = _account_signals(facts, start, end, rules, compared.paid_medians)
        for exemplar, score in _resembled(facts, compared):
            found.append(
                Signal(
                    "lookalike",
                    f"usage resembles {exemplar}'s (similarity {score:.2f})",
                    subject=exemplar,
                )
            )
        out[facts.external_id] = sorted(found, key=lambda s: (KINDS.index(s.kind), s.label))
    return out


def _account_signals(
    f: AccountFacts,
    start: date,
    end: date,
    rules: SignalRules,
    paid_medians: Mapping[str, float],
) -> list[Signal]:
    found: list[Signal] = []
    renewal_text = _renewal_text(f)
    if renewal_in(f, start, end):
        found.append(Signal("renewal_in_quarter", f"renewal {renewal_text}, inside the quarter"))

    if f.band == "red":
        found.append(Signal("red_health", f"health {f.health} (red)"))
    if f.trend == "down":
        found.append(Signal("falling_health", f"health {f.health}, trend down"))

    weak = {
        key: score
        for key, score in f.components.items()
        if score is not None and score < rules.weak_component_below
    }
    for key, score in sorted(weak.items()):
        found.append(
            Signal(
                "weak_component",
                f"{key} {score} (below {rules.weak_component_below:g})",
                subject=key,
            )
        )

    close = (f.renewal_months is not None and f.renewal_months <= rules.renewal_risk_months) or (
        f.renewal_date is not None
        and f.renewal_date <= start + timedelta(days=31 * rules.renewal_risk_months)
    )
    if close:
        reasons = []
        if f.band == "red":
            reasons.append(f"health {f.health} is red")
        if f.trend == "down":
            reasons.append("health is falling")
        if weak:
            reasons.append("weak " + ", ".join(sorted(weak)))
        if reasons:
            found.append(Signal("renewal_at_risk", f"renewal {renewal_text}: {'; '.join(reasons)}"))

    gaps = sorted(key for key, score in f.components.items() if score is None)
    for key in gaps:
        why = "run a survey" if key == rules.satisfaction_component else "find the data"
        found.append(Signal("data_gap", f"no {key} data: {why}", subject=key))
    if f.health is None and not f.components:
        found.append(Signal("data_gap", "no health score at all", subject="health"))

    sponsor = _weak_sponsor(f, rules)
    if sponsor:
        found.append(Signal("weak_sponsor", sponsor))

    support = f.components.get(rules.support_component)
    if f.open_problems >= rules.support_problems_from:
        found.append(Signal("support_problems", f"{f.open_problems} problem tickets open"))
    elif support is not None and support < rules.weak_component_below:
        found.append(Signal("support_problems", f"support {support}: slow or troubled cases"))
    if f.feature_requests >= rules.feature_requests_from:
        found.append(Signal("feature_requests", f"{f.feature_requests} feature requests open"))

    at_risk = {s.kind for s in found} & set(RISKS)
    expansion = _expansion(f, rules, paid_medians, at_risk)
    if expansion:
        found.append(Signal("expansion_candidate", expansion))
    advocate = _advocate(f, rules, at_risk)
    if advocate:
        found.append(Signal("advocate_candidate", advocate))
    return found


def _renewal_text(f: AccountFacts) -> str:
    if f.renewal_date is not None:
        return f"on {f.renewal_date.isoformat()}"
    if f.renewal_months is not None:
        return f"in {f.renewal_months} months"
    return "date unknown"


def _weak_sponsor(f: AccountFacts, rules: SignalRules) -> str | None:
    if f.sponsor is not None:
        if f.sponsor in rules.weak_sponsor_seniority:
            return f"sponsor is only {f.sponsor.replace('_', '-')} level"
        return None
    if f.contacts_known:
        return "no executive sponsor among the contacts"
    score = f.components.get(rules.sponsorship_component)
    if score is not None and score < rules.weak_component_below:
        return f"{rules.sponsorship_component} {score}: sponsor missing or junior"
    return None


def _healthy(f: AccountFacts, rules: SignalRules) -> bool:
    return f.band == "green" or (
        f.band is None and f.health is not None and f.health >= rules.green_from
    )


def _expansion(
    f: AccountFacts, rules: SignalRules, paid_medians: Mapping[str, float], at_risk: set[str]
) -> str | None:
    if at_risk:
        return None
    if f.tier == "free" and paid_medians:
        like = [
            m
            for m, typical in paid_medians.items()
            if m in f.usage and typical > 0 and f.usage[m] >= typical
        ]
        if like and len(like) == len([m for m in paid_medians if m in f.usage]):
            shown = ", ".join(f"{m} {f.usage[m]:g} vs {paid_medians[m]:g}" for m in like)
            return f"free tier used like a paid one ({shown}, median of paid clients)"
    if not _healthy(f, rules):
        return None
    reasons = []
    if f.trend == "up":
        reasons.append("health rising")
    growth = f.usage.get(rules.rising_metric)
    if growth is not None and growth >= rules.rising_from:
        reasons.append(f"usage up {growth:.0%} ({rules.rising_metric})")
    if f.contract_quantity:
        metric = rules.quantity_metrics.get(f.contract_units or "", rules.quantity_metric)
        used = f.usage.get(metric)
        if used is not None and used >= rules.near_quantity * f.contract_quantity:
            units = f.contract_units or "units"
            reasons.append(f"{metric} {used:g} of {f.contract_quantity:g} {units} bought")
    if not reasons:
        return None
    return f"healthy ({f.health}, {f.band or 'no band'}): " + "; ".join(reasons)


def _advocate(f: AccountFacts, rules: SignalRules, at_risk: set[str]) -> str | None:
    if at_risk or f.band != "green" or f.health is None or f.health < rules.advocate_health_from:
        return None
    if f.years is None or f.years < rules.advocate_years_from:
        return None
    evidence = [f"health {f.health}", f"{f.years:g} years a client"]
    # Satisfaction must be known and high on every measure that is known.
    happy: list[bool] = []
    if f.nps is not None:
        happy.append(f.nps >= rules.advocate_nps_from)
        evidence.append(f"mean NPS answer {f.nps:g}")
    if f.csat is not None:
        happy.append(f.csat >= rules.advocate_csat_from)
        evidence.append(f"CSAT {f.csat:g}")
    satisfaction = f.components.get(rules.satisfaction_component)
    if satisfaction is not None:
        happy.append(satisfaction >= rules.advocate_satisfaction_from)
        evidence.append(f"satisfaction {satisfaction}")
    if not happy or not all(happy):
        return None
    sponsorship = f.components.get(rules.sponsorship_component)
    if f.sponsor is not None:
        engaged = f.sponsor in STRONG_SPONSORS
        evidence.append(f"{f.sponsor.replace('_', '-')} sponsor")
    elif sponsorship is not None:
        engaged = sponsorship >= rules.advocate_sponsorship_from
        evidence.append(f"sponsorship {sponsorship}")
    else:
        engaged = False
    if not engaged:
        return None
    return ", ".join(evidence) + ", no open risk"


def _paid_medians(book: Sequence[Comparable], rules: SignalRules) -> dict[str, float]:
    """Median usage of paying clients on the metrics that tell a paid-like free client."""
    out: dict[str, float] = {}
    for metric in rules.paid_like_metrics:
        values = [f.usage[metric] for f in book if f.tier == "paid" and metric in f.usage]
        if values:
            out[metric] = float(median(values))
    return out


def lookalikes(
    book: Sequence[AccountFacts], exemplars: Sequence[str], threshold: float
) -> dict[str, list[tuple[str, float]]]:
    """Accounts whose usage resembles an exemplar's: account -> [(exemplar, similarity)].

    Usage vectors are compared by cosine similarity after each metric is put on the book's
    scale (log, then centred and divided by its spread), so that a metric counted in millions
    does not drown one counted in units, and "resembles" means "above or below the book in
    the same places". Metrics the exemplar lacks are ignored; missing values count as typical.
    """
    compared = Comparisons(exemplars=_exemplars(book, exemplars), lookalike_from=threshold)
    out: dict[str, list[tuple[str, float]]] = {}
    for facts in book:
        found = _resembled(facts, compared)
        if found:
            out[facts.external_id] = found
    return out


def _resembled(facts: Comparable, compared: Comparisons) -> list[tuple[str, float]]:
    found = []
    for exemplar in compared.exemplars:
        if exemplar.external_id == facts.external_id:
            continue
        if not any(m in facts.usage for m, _, _ in exemplar.columns):
            continue
        score = cosine(exemplar.vector, _scaled(facts, exemplar.columns))
        if score >= compared.lookalike_from:
            found.append((exemplar.external_id, score))
    return found


def _columns(book: Sequence[Comparable], metrics: Sequence[str]) -> list[tuple[str, float, float]]:
    columns: list[tuple[str, float, float]] = []
    for metric in metrics:
        values = [_log(f.usage[metric]) for f in book if metric in f.usage]
        if len(values) < 2:
            continue
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        if spread > 0:
            columns.append((metric, mean, spread))
    return columns


def _scaled(facts: Comparable, columns: Sequence[tuple[str, float, float]]) -> list[float]:
    return [
        (_log(facts.usage[m]) - mean) / spread if m in facts.usage else 0.0
        for m, mean, spread in columns
    ]


def _log(value: float) -> float:
    return math.copysign(math.log1p(abs(value)), value)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0 when either vector is all zeros."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
