"""Retention KPIs for a period and segment: churn, GRR/NRR, ARR movements, CLV. Pure.

A period is the days `start`..`end`, both included. Everything dated in it counts: a contract
starting on `start` is new in the period, one whose end_date is `end` churns in it (churn is
dated on end_date). The book "at the start" is therefore the contracts active on the day
before `start`, and "at the end" those active on `end`; consecutive periods chain exactly.

ARR movements are net per account over the period, the way ChartMogul classifies a
customer's MRR change: with a = ARR at the start and b = ARR at the end,

    a = 0, b > 0: new (first ARR ever) or reactivation (it paid before)
    a > 0, b > a: expansion b - a          a > 0, 0 < b < a: contraction b - a
    a > 0, b = 0: churn -a

so start + new + expansion + reactivation + contraction + churn = end, to the cent.
GRR = sum(min(a, b)) / sum(a) and NRR = sum(b) / sum(a) over the accounts paying at the start
(SaaS Capital); the 12-month figures are the same over the twelve months ending on `end`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from tenure.kit.errors import TenureError
from tenure.retention.book_facts import (
    ZERO,
    AccountRecord,
    Book,
    ContractRecord,
    add_months,
    in_one_currency,
)
from tenure.retention.surveys import SurveyRecord, survey_figures
from tenure.retention.value import time_to_value

AVERAGE_MONTH_DAYS = 365.25 / 12
GROUPINGS = ("segment", "tier", "csm")
# Record key of each grouping: import column names where one exists (docs/architecture.md,
# JSON output).
GROUP_KEYS = {"segment": "segment", "tier": "tier", "csm": "csm_email"}
KINDS = ("paid", "ghost", "trial", "free")
MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")


def ratio(numerator: float | Decimal, denominator: float | Decimal) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


@dataclass(frozen=True)
class Movements:
    """ARR and logo movements of a period; contraction and churn are negative."""

    arr_start: Decimal = ZERO
    new: Decimal = ZERO
    expansion: Decimal = ZERO
    reactivation: Decimal = ZERO
    contraction: Decimal = ZERO
    churn: Decimal = ZERO
    arr_end: Decimal = ZERO
    logos_start: int = 0
    logos_new: int = 0
    logos_reactivated: int = 0
    logos_churned: int = 0
    logos_end: int = 0
    # Over the accounts paying at the start: their ARR at the end, capped and uncapped.
    retained: Decimal = ZERO
    cohort_end: Decimal = ZERO

    @property
    def grr(self) -> float | None:
        return ratio(self.retained, self.arr_start)

    @property
    def nrr(self) -> float | None:
        return ratio(self.cohort_end, self.arr_start)

    def amount(self, movement: str) -> Decimal:
        value: Decimal = getattr(self, movement)
        return value


Members = npt.NDArray[np.bool_]


def _total(book: Book, units: npt.NDArray[Any]) -> Decimal:
    # Python ints: exact whatever the book's size (an int64 sum could overflow).
    return book.amount(sum(units.tolist()))


@dataclass(frozen=True)
class PeriodState:
    """Every account's ARR and activity at a period's start and end, computed once and then
    summed over any group of accounts."""

    book: Book
    start: date
    a: npt.NDArray[Any]  # ARR units at the start (the day before `start`)
    b: npt.NDArray[Any]  # ARR units at the end
    active_a: Members
    active_b: Members
    came_back: Members  # had an active contract before the period
    paid_before: Members  # had ARR above zero before the period

    @classmethod
    def of(cls, book: Book, start: date, end: date) -> PeriodState:
        if end < start:
            raise TenureError(f"the period ends ({end}) before it starts ({start})")
        a, active_a = book.state_on(start - timedelta(days=1))
        b, active_b = book.state_on(end)
        return cls(
            book,
            start,
            a,
            b,
            active_a,
            active_b,
            book.active_before_mask(start),
            book.paid_before_mask(start),
        )

    def movements(self, members: Members | None = None) -> Movements:
        """ARR and logo movements of the accounts in `members` (a mask over the book's
        account codes; all when None)."""
        book, a, b, active_a, active_b = self.book, self.a, self.b, self.active_a, self.active_b
        if members is not None:
            active_a, active_b = active_a & members, active_b & members
            a = np.where(members, a, 0)
            b = np.where(members, b, 0)
        arriving = active_b & ~active_a
        paying = a > 0
        starting = ~paying & (b > 0)
        growth = b - a
        return Movements(
            arr_start=_total(book, a[active_a]),
            arr_end=_total(book, b[active_b]),
            new=_total(book, b[starting & ~self.paid_before]),
            reactivation=_total(book, b[starting & self.paid_before]),
            expansion=_total(book, growth[paying & (b > a)]),
            contraction=_total(book, growth[paying & (b > 0) & (b < a)]),
            churn=-_total(book, a[paying & (b == 0)]),
            logos_start=int(active_a.sum()),
            logos_end=int(active_b.sum()),
            logos_new=int((arriving & ~self.came_back).sum()),
            logos_reactivated=int((arriving & self.came_back).sum()),
            logos_churned=int((active_a & ~active_b).sum()),
            retained=_total(book, np.minimum(a, b)[paying]),
            cohort_end=_total(book, b[paying]),
        )

    def churn_by_kind(
        self, kinds: npt.NDArray[np.str_], members: Members | None = None
    ) -> dict[str, KindChurn]:
        """Logo churn of the accounts active at the start, by what they were then."""
        active_a = self.active_a if members is None else self.active_a & members
        result = {}
        for kind in KINDS:
            at_start = active_a & (kinds == kind)
            lost = at_start & ~self.active_b
            result[kind] = KindChurn(
                logos_start=int(at_start.sum()),
                logos_churned=int(lost.sum()),
                arr_start=_total(self.book, self.a[at_start]),
                arr_churned=_total(self.book, self.a[lost]),
            )
        return result


def movements(book: Book, start: date, end: date, members: Members | None = None) -> Movements:
    """ARR and logo movements over the days start..end (see the module docstring)."""
    return PeriodState.of(book, start, end).movements(members)


@dataclass
class KindChurn:
    logos_start: int = 0
    logos_churned: int = 0
    arr_start: Decimal = ZERO
    arr_churned: Decimal = ZERO

    @property
    def rate(self) -> float | None:
        return ratio(self.logos_churned, self.logos_start)


def account_kinds(
    book: Book,
    arr: npt.NDArray[Any],
    accounts: Mapping[str, AccountRecord],
    active_users: Mapping[str, float] | None,
) -> npt.NDArray[np.str_]:
    """Per account code: paid, ghost (paying, nobody active), trial (not paying yet) or free.

    `active_users` maps accounts to their active users; without it nobody is classed as
    ghost. An account missing from it is not a ghost: no data is not no users.
    """
    free = np.array([getattr(accounts.get(x), "tier", None) == "free" for x in book.accounts])
    idle = np.zeros(len(book), dtype=bool)
    if active_users is not None:
        idle = np.array([(u := active_users.get(x)) is not None and u <= 0 for x in book.accounts])
    paying = arr > 0
    kinds = np.where(paying, np.where(idle, "ghost", "paid"), np.where(free, "free", "trial"))
    return kinds.astype(str) if len(book) else np.array([], dtype=str)


def churn_by_kind(
    book: Book,
    accounts: Mapping[str, AccountRecord],
    start: date,
    end: date,
    active_users: Mapping[str, float] | None,
    members: Members | None = None,
) -> dict[str, KindChurn]:
    """Logo churn of the accounts active at the start, by what they were then."""
    state = PeriodState.of(book, start, end)
    return state.churn_by_kind(account_kinds(book, state.a, accounts, active_users), members)


@dataclass(frozen=True)
class LifetimeValue:
    arpa_monthly: float | None
    monthly_churn: float | None
    lifetime_months: float | None
    clv: float | None


def lifetime_value(
    arr_start: Decimal, paying: int, churned: int, days: int, margin: float
) -> LifetimeValue:
    """CLV = monthly ARPA x margin / monthly logo churn of paying accounts.

    The period's churn is turned into a monthly rate assuming a constant hazard:
    1 - (1 - c) ** (average month / days in period).
    """
    if paying == 0 or days <= 0:
        return LifetimeValue(None, None, None, None)
    arpa = float(arr_start) / 12 / paying
    period_churn = churned / paying
    monthly = 1 - (1 - period_churn) ** (AVERAGE_MONTH_DAYS / days)
    if monthly <= 0:
        return LifetimeValue(arpa, 0.0, None, None)
    return LifetimeValue(arpa, monthly, 1 / monthly, arpa * margin / monthly)


@dataclass(frozen=True)
class KpiInputs:
    contracts: Sequence[ContractRecord]
    accounts: Mapping[str, AccountRecord]
    surveys: Sequence[SurveyRecord] = ()
    # Active users of each account on the day before the period (for ghost churn).
    active_users: Mapping[str, float] | None = None
    # The day each account first reached value (for time to first value).
    first_value: Mapping[str, date] | None = None
    margin: float = 0.8
    base_currency: str = "USD"
    rates: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class KpiReport:
    currency: str | None
    rows: list[dict[str, Any]]
    movements: list[dict[str, Any]]


def group_of(grouping: str) -> Callable[[AccountRecord | None], str | None]:
    if grouping not in GROUPINGS:
        raise TenureError(f"--by {grouping!r}: group by one of {', '.join(GROUPINGS)}")
    attribute = "csm_email" if grouping == "csm" else grouping

    def key(account: AccountRecord | None) -> str | None:
        return None if account is None else getattr(account, attribute)

    return key


def kpis(inputs: KpiInputs, start: date, end: date, by: str | None = None) -> KpiReport:
    """Every KPI for the period, for all accounts and, with `by`, for each group."""
    if not 0 <= inputs.margin <= 1:
        raise TenureError(f"margin {inputs.margin}: a gross margin is between 0 and 1")
    contracts, currency = in_one_currency(inputs.contracts, inputs.base_currency, inputs.rates)
    book = Book(contracts)
    groups: list[tuple[str | None, list[str]]] = [("all", list(book.accounts))]
    if by is not None:
        key = group_of(by)
        members: dict[str | None, list[str]] = {}
        for account in sorted({*book.accounts, *inputs.accounts}):
            members.setdefault(key(inputs.accounts.get(account)), []).append(account)
        groups += sorted(members.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    shared = _Shared.of(inputs, book, start, end)
    rows: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    for index, (name, accounts) in enumerate(groups):
        label = {"group": name if index == 0 else (name if name is not None else "(none)")}
        if by is not None:
            label[GROUP_KEYS[by]] = None if index == 0 else name
        mask = np.zeros(len(book), dtype=bool)
        mask[[book.codes[a] for a in accounts if a in book.codes]] = True
        row, movement_rows = _group_kpis(inputs, shared, mask, accounts, start, end)
        rows.append({**label, "currency": currency, **row})
        moves += [{**label, "currency": currency, **m} for m in movement_rows]
    return KpiReport(currency=currency, rows=rows, movements=moves)


@dataclass(frozen=True)
class _Shared:
    """What every group's figures are cut from, computed once per report."""

    period: PeriodState
    yearly: PeriodState
    kinds: npt.NDArray[np.str_]
    starts: dict[str, date]
    surveys: dict[str, list[SurveyRecord]]

    @classmethod
    def of(cls, inputs: KpiInputs, book: Book, start: date, end: date) -> _Shared:
        period = PeriodState.of(book, start, end)
        surveys: dict[str, list[SurveyRecord]] = defaultdict(list)
        for survey in inputs.surveys:
            surveys[survey.account].append(survey)
        return cls(
            period=period,
            yearly=PeriodState.of(book, add_months(end, -12) + timedelta(days=1), end),
            kinds=account_kinds(book, period.a, inputs.accounts, inputs.active_users),
            starts={a: cs[0].start_date for a, cs in book.by_account.items()},
            surveys=surveys,
        )


def _group_kpis(
    inputs: KpiInputs,
    shared: _Shared,
    mask: Members,
    members: Sequence[str],
    start: date,
    end: date,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    period = shared.period.movements(mask)
    yearly = shared.yearly.movements(mask)
    kinds = shared.period.churn_by_kind(shared.kinds, mask)
    paying = kinds["paid"].logos_start + kinds["ghost"].logos_start
    paying_churned = kinds["paid"].logos_churned + kinds["ghost"].logos_churned
    days = (end - start).days + 1
    value = lifetime_value(period.arr_start, paying, paying_churned, days, inputs.margin)
    surveys = survey_figures((s for a in members for s in shared.surveys.get(a, ())), start, end)
    starts = {a: shared.starts[a] for a in members if a in shared.starts}
    ttfv = time_to_value(starts, inputs.first_value or {}, start, end)
    gross_lost = -(period.churn + period.contraction)
    net_lost = gross_lost - period.expansion
    row: dict[str, Any] = {
        "from": start,
        "to": end,
        "logos_start": period.logos_start,
        "logos_new": period.logos_new,
        "logos_reactivated": period.logos_reactivated,
        "logos_churned": period.logos_churned,
        "logos_end": period.logos_end,
        "logo_churn": ratio(period.logos_churned, period.logos_start),
        "logo_retention": _complement(ratio(period.logos_churned, period.logos_start)),
        "arr_start": period.arr_start,
        **{f"arr_{m}": period.amount(m) for m in MOVEMENTS},
        "arr_end": period.arr_end,
        "gross_revenue_churn": ratio(gross_lost, period.arr_start),
        "net_revenue_churn": ratio(net_lost, period.arr_start),
        "grr": period.grr,
        "nrr": period.nrr,
        "grr_12m": yearly.grr,
        "nrr_12m": yearly.nrr,
    }
    for kind in KINDS:
        row[f"{kind}_logos_start"] = kinds[kind].logos_start
        row[f"{kind}_logos_churned"] = kinds[kind].logos_churned
        row[f"{kind}_churn"] = kinds[kind].rate
    row["ghost_known"] = inputs.active_users is not None
    row.update(
        arpa_monthly=value.arpa_monthly,
        monthly_churn=value.monthly_churn,
        lifetime_months=value.lifetime_months,
        margin=inputs.margin,
        clv=value.clv,
    )
    row.update(surveys.as_record())
    row.update(ttfv.as_record())
    movement_rows: list[dict[str, Any]] = [
        {"movement": "start", "logos": period.logos_start, "arr": period.arr_start},
        {"movement": "new", "logos": period.logos_new, "arr": period.new},
        {"movement": "expansion", "logos": None, "arr": period.expansion},
        {"movement": "reactivation", "logos": period.logos_reactivated, "arr": period.reactivation},
        {"movement": "contraction", "logos": None, "arr": period.contraction},
        {"movement": "churn", "logos": -period.logos_churned, "arr": period.churn},
        {"movement": "end", "logos": period.logos_end, "arr": period.arr_end},
    ]
    return row, movement_rows


def _complement(value: float | None) -> float | None:
    return None if value is None else 1 - value
