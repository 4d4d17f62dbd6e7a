"""The book read model: accounts with their health, ARR and renewal, filtered, sorted and
paginated in the database so a page stays fast at 100,000 accounts. Never commits.

A page is read in two steps: the ids of the page's accounts (filtered, sorted, limited: only
the sort key is computed for every matching account), then everything shown about those few.
Health comes from each account's latest stored snapshot (`account_health`), written by
`tenure health compute` / `tenure daily`.

It imports nothing from the health domain: health's dashboard chooses its accounts and their
facts here, so the book reads scorecards' bands from their stored definitions itself.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.kit.bands import Bands, band_of
from tenure.kit.contracts import active_contract_facts
from tenure.kit.dates import whole_months_between, years_between
from tenure.kit.errors import TenureError
from tenure.models import Account, AccountHealth, Contract, Scorecard, Tier, User

PER_PAGE = 50
MAX_PER_PAGE = 200
BANDS = ("red", "amber", "green", "none")
# Current customers: a contract active today, or a free or trial account (they have none).
STATUSES = ("current", "former", "all")
COLUMNS = ("name", "csm", "tier", "segment", "years", "arr", "renewal", "trend", "health")
DEFAULT_COMPONENTS = ("product", "satisfaction", "support", "sponsorship")


@dataclass(frozen=True)
class BookQuery:
    search: str | None = None
    csm: str | None = None  # an email; None = every CSM
    external_id: str | None = None  # one account, by its source system's id
    band: str | None = None  # red | amber | green | none (no score)
    tier: str | None = None
    segment: str | None = None
    status: str = "current"  # current | former | all
    sort: str = "health"  # a COLUMNS name or "c:<component key>"
    desc: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    def check(self) -> None:
        problems = []
        if self.band and self.band not in BANDS:
            problems.append(f"band: {self.band!r}: use one of {', '.join(BANDS)}")
        if self.tier and self.tier not in {t.value for t in Tier}:
            problems.append(f"tier: {self.tier!r}: use one of {', '.join(t.value for t in Tier)}")
        if self.status not in STATUSES:
            problems.append(f"status: {self.status!r}: use one of {', '.join(STATUSES)}")
        if self.sort not in COLUMNS and not self.sort.startswith("c:"):
            problems.append(f"sort: {self.sort!r}: use one of {', '.join(COLUMNS)} or c:KEY")
        if self.page < 1:
            problems.append(f"page: {self.page}: pages start at 1")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems.append(f"per_page: {self.per_page}: between 1 and {MAX_PER_PAGE}")
        if problems:
            raise TenureError("this book view cannot be shown:", problems=problems)


@dataclass(frozen=True)
class BookRow:
    external_id: str
    name: str
    csm_email: str | None
    csm_name: str | None
    tier: str
    segment: str | None
    years: float | None
    arr: Decimal | None
    currency: str | None
    arr_problem: str | None
    renewal_date: date | None
    renewal_months: int | None
    renewal_band: str | None
    health: int | None
    band: str | None
    trend: str | None
    components: dict[str, int | None]
    component_bands: dict[str, str | None]
    health_date: date | None


@dataclass
class BookPage:
    rows: list[BookRow]
    total: int
    query: BookQuery
    components: list[str]
    component_labels: dict[str, str]
    health_date: date | None = None
    pages: int = 1
    segments: list[str] = field(default_factory=list)


# -- scorecards: which components to show and how to colour them ---------------------------


class ShownComponent(NamedTuple):
    key: str
    title: str


@dataclass(frozen=True)
class ShownScorecard:
    """What the book shows of a stored scorecard version: its components and its bands."""

    components: tuple[ShownComponent, ...]
    bands: Bands
    renewal_bands: Bands

    @classmethod
    def from_definition(cls, data: Mapping[str, Any]) -> ShownScorecard:
        """From a stored definition, the `Scorecard.to_dict()` of health/scorecards.py (read
        here so the book needs nothing of health; a test checks both read the same)."""
        return cls(
            components=tuple(
                # A component's title is its label, else its key in words (`Component.title`).
                ShownComponent(c["key"], c.get("label") or c["key"].replace("_", " "))
                for c in data["components"]
            ),
            bands=Bands(**data["bands"]),
            renewal_bands=Bands(**data["renewal_bands"]),
        )


# A scorecard version never changes once stored (a change is a new version, a new row), so
# each is read once per process.
_definitions: dict[tuple[str, int], ShownScorecard] = {}


def scorecards_by_id(session: Session) -> dict[int, ShownScorecard]:
    url = str(session.get_bind().engine.url)
    ids = session.scalars(select(Scorecard.id)).all()
    missing = [i for i in ids if (url, i) not in _definitions]
    if missing:
        for row_id, definition in session.execute(
            select(Scorecard.id, Scorecard.definition).where(Scorecard.id.in_(missing))
        ):
            _definitions[(url, row_id)] = ShownScorecard.from_definition(definition)
    return {i: _definitions[(url, i)] for i in ids}


def component_columns(cards: dict[int, ShownScorecard]) -> tuple[list[str], dict[str, str]]:
    """Component keys of every scorecard, in scorecard order (the shipped ones without any)."""
    keys: list[str] = []
    labels: dict[str, str] = {}
    for card in cards.values():
        for component in card.components:
            if component.key not in labels:
                keys.append(component.key)
                labels[component.key] = component.title
    if not keys:
        keys = list(DEFAULT_COMPONENTS)
        labels = {k: k.capitalize() for k in keys}
    return keys, labels


# -- step 1: the page's ids -------------------------------------------------------------------


def _arr_expression(settings: Settings) -> ColumnElement[Any]:
    """A contract's ARR in the base currency where a rate is configured (sorting only: the
    shown figure is computed exactly, and refused for unconverted mixes)."""
    if not settings.currency_rates:
        return Contract.arr.expression
    rate = case(
        *((Contract.currency == c, r) for c, r in sorted(settings.currency_rates.items())),
        else_=1.0,
    )
    return Contract.arr * rate


def _sort_key(query: BookQuery, settings: Settings, as_of: date) -> Any:
    sort = query.sort
    if sort == "name":
        return Account.name
    if sort == "csm":
        return User.email
    if sort == "tier":
        return Account.tier
    if sort == "segment":
        return Account.segment
    if sort == "years":
        # More years = an earlier start date.
        return Account.customer_since
    if sort == "arr":
        return (
            select(func.sum(_arr_expression(settings)))
            .where(Contract.account_id == Account.id, Contract.active_on(as_of))
            .scalar_subquery()
        )
    if sort == "renewal":
        return (
            select(func.max(Contract.end_date))
            .where(Contract.account_id == Account.id, Contract.active_on(as_of))
            .scalar_subquery()
        )
    if sort == "trend":
        return case(
            (AccountHealth.trend == "down", 0),
            (AccountHealth.trend == "level", 1),
            (AccountHealth.trend == "up", 2),
            else_=None,
        )
    if sort == "health":
        return AccountHealth.health_exact
    return AccountHealth.components[sort.removeprefix("c:")].as_float()


def current_client(as_of: date) -> ColumnElement[bool]:
    """A current client on `as_of`: an account with a contract active that day, or a free or
    trial one (they have none) from its `customer_since` on (always, when unknown). What the
    book's default view, every count of clients, the health dashboard and scoring mean; a
    paid account without an active contract has churned (churn is dated on `end_date`)."""
    has_contract = (
        select(Contract.id)
        .where(Contract.account_id == Account.id, Contract.active_on(as_of))
        .exists()
    )
    started = or_(Account.customer_since.is_(None), Account.customer_since <= as_of)
    return or_(and_(Account.tier != Tier.paid, started), has_contract)


def _filtered(
    statement: Select[Any], query: BookQuery, owner_id: int | None, as_of: date
) -> Select[Any]:
    if query.status == "current":
        statement = statement.where(current_client(as_of))
    elif query.status == "former":
        statement = statement.where(~current_client(as_of))
    if query.csm is not None:
        # An email nobody has owns nothing (not the unassigned accounts, owner_id IS NULL).
        statement = statement.where(
            Account.owner_id == owner_id if owner_id is not None else false()
        )
    if query.external_id is not None:
        statement = statement.where(Account.external_id == query.external_id)
    if query.tier:
        statement = statement.where(Account.tier == query.tier)
    if query.segment:
        statement = statement.where(Account.segment == query.segment)
    if query.band == "none":
        statement = statement.where(AccountHealth.band.is_(None))
    elif query.band:
        statement = statement.where(AccountHealth.band == query.band)
    if query.search:
        pattern = f"%{query.search.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(Account.name).like(pattern),
                func.lower(Account.external_id).like(pattern),
            )
        )
    return statement


def _needs_health(query: BookQuery) -> bool:
    return bool(query.band) or query.sort in ("trend", "health") or query.sort.startswith("c:")


def _ordered(
    statement: Select[Any], settings: Settings, as_of: date, query: BookQuery, owner_id: int | None
) -> Select[Any]:
    """`statement` over the accounts the view matches, in the view's order."""
    if _needs_health(query):
        statement = statement.outerjoin(AccountHealth, AccountHealth.account_id == Account.id)
    if query.sort == "csm":
        statement = statement.outerjoin(User, Account.owner_id == User.id)
    statement = _filtered(statement, query, owner_id, as_of)
    key = _sort_key(query, settings, as_of)
    descending = query.desc != (query.sort == "years")
    ordered = (key.desc() if descending else key.asc()).nulls_last()
    tie = Account.name.desc() if query.desc and query.sort == "name" else Account.name.asc()
    return statement.order_by(ordered, tie, Account.id)


def page_ids(
    session: Session, settings: Settings, as_of: date, query: BookQuery, owner_id: int | None
) -> tuple[list[int], int]:
    """The ids of the accounts on the page, in order, and how many match in all (counted in
    the same pass, as a window over the matching rows)."""
    counting: Select[Any] = select(func.count(Account.id))
    if query.band:
        counting = counting.outerjoin(AccountHealth, AccountHealth.account_id == Account.id)
    counting = _filtered(counting, query, owner_id, as_of)
    statement = _ordered(select(Account.id, func.count().over()), settings, as_of, query, owner_id)
    statement = statement.limit(query.per_page).offset((query.page - 1) * query.per_page)
    found = session.execute(statement).all()
    if found:
        return [row[0] for row in found], int(found[0][1])
    # A page past the end has no row to carry the count.
    return [], int(session.scalar(counting) or 0)


# -- step 2: what is shown about them --------------------------------------------------------


# What is shown about the page's accounts: plain columns rather than ORM objects (building 150
# instances cost more than the page's queries themselves), in statements built once (building
# them cost as much again per page).
_SHOWN = (
    select(
        Account.id,
        Account.external_id,
        Account.name,
        Account.tier,
        Account.segment,
        Account.customer_since,
        User.email.label("csm_email"),
        User.name.label("csm_name"),
        AccountHealth.scorecard_id,
        AccountHealth.health,
        AccountHealth.band,
        AccountHealth.trend,
        AccountHealth.components,
        AccountHealth.date,
    )
    .outerjoin(User, Account.owner_id == User.id)
    .outerjoin(AccountHealth, AccountHealth.account_id == Account.id)
    .where(Account.id.in_(bindparam("ids", expanding=True)))
)
_CONTRACTS = select(Contract.account_id, Contract.arr, Contract.currency, Contract.end_date).where(
    Contract.account_id.in_(bindparam("ids", expanding=True)),
    Contract.active_on(bindparam("as_of", type_=Date)),
)


def _rows(
    session: Session,
    settings: Settings,
    as_of: date,
    ids: list[int],
    cards: dict[int, ShownScorecard],
) -> list[BookRow]:
    if not ids:
        return []
    found = session.execute(_SHOWN, {"ids": ids}).all()
    contracts: dict[int, list[tuple[Decimal, str, date]]] = defaultdict(list)
    for account_id, arr, currency, end in session.execute(_CONTRACTS, {"ids": ids, "as_of": as_of}):
        contracts[account_id].append((arr, currency, end))
    by_id = {}
    for row in found:
        card = cards.get(row.scorecard_id) if row.scorecard_id else None
        bands = card.bands if card else Bands(50, 74)
        renewal_bands = card.renewal_bands if card else Bands(3, 6)
        active = contracts[row.id]
        try:
            facts = active_contract_facts(active, as_of, settings)
            arr, currency, problem = facts.arr, facts.currency, None
            renewal, months = facts.renewal_date, facts.renewal_months
        except TenureError as error:
            arr, currency, problem = None, None, error.message
            renewal = max(end for _, _, end in active)
            months = whole_months_between(as_of, renewal)
        components: dict[str, int | None] = dict(row.components or {})
        by_id[row.id] = BookRow(
            external_id=row.external_id,
            name=row.name,
            csm_email=row.csm_email,
            csm_name=row.csm_name,
            tier=row.tier.value,
            segment=row.segment,
            years=_years(row.customer_since, as_of),
            arr=arr,
            currency=currency,
            arr_problem=problem,
            renewal_date=renewal,
            renewal_months=months,
            renewal_band=band_of(months, renewal_bands),
            health=row.health,
            band=row.band,
            trend=row.trend,
            components=components,
            component_bands={k: band_of(v, bands) for k, v in components.items()},
            health_date=row.date,
        )
    return [by_id[i] for i in ids if i in by_id]


def _years(since: date | None, as_of: date) -> float | None:
    if since is None or since > as_of:
        return None
    return round(years_between(since, as_of), 1)


def owner_id_of(session: Session, email: str) -> int | None:
    return session.scalar(select(User.id).where(User.email == email.lower()))


def matching_ids(
    session: Session,
    settings: Settings,
    as_of: date,
    query: BookQuery,
    limit: int | None = None,
    offset: int = 0,
) -> list[int]:
    """The ids of the accounts the view matches, in its order, from `offset` on (`limit` of
    them, or all): for readers that page themselves, such as the accounts API."""
    query.check()
    owner_id = owner_id_of(session, query.csm) if query.csm else None
    statement = _ordered(select(Account.id), settings, as_of, query, owner_id)
    return list(session.scalars(statement.offset(offset).limit(limit)))


# Ids per query when every row of a view is read (an export): well under any database's bound
# parameters.
_IDS_PER_READ = 500


def all_rows(
    session: Session, settings: Settings, as_of: date, query: BookQuery
) -> tuple[list[str], list[BookRow]]:
    """Every account the view matches, in its order, whatever its page: the component keys and
    the rows (what the CSV export of the view holds)."""
    cards = scorecards_by_id(session)
    keys, _ = component_columns(cards)
    return keys, rows_of(session, settings, as_of, matching_ids(session, settings, as_of, query))


def rows_of(session: Session, settings: Settings, as_of: date, ids: Sequence[int]) -> list[BookRow]:
    """The rows of these accounts as of `as_of`, in the order of `ids` (from `matching_ids`):
    for readers that choose through the book and show their own health beside its facts,
    such as health's dashboard of a past day."""
    cards = scorecards_by_id(session)
    rows: list[BookRow] = []
    for start in range(0, len(ids), _IDS_PER_READ):
        rows += _rows(session, settings, as_of, list(ids[start : start + _IDS_PER_READ]), cards)
    return rows


def records(rows: list[BookRow], components: list[str]) -> list[dict[str, Any]]:
    """Rows as records keyed by the import column names, one column per component."""
    return [
        {
            "external_id": r.external_id,
            "name": r.name,
            "csm_email": r.csm_email,
            "tier": r.tier,
            "segment": r.segment,
            "years": r.years,
            "arr": r.arr,
            "currency": r.currency,
            "renewal_date": r.renewal_date,
            "renewal_months": r.renewal_months,
            "renewal_band": r.renewal_band,
            "health": r.health,
            "band": r.band,
            "trend": r.trend,
            **{key: r.components.get(key) for key in components},
            "health_date": r.health_date,
        }
        for r in rows
    ]


def book_page(session: Session, settings: Settings, as_of: date, query: BookQuery) -> BookPage:
    query.check()
    owner_id = owner_id_of(session, query.csm) if query.csm else None
    ids, total = page_ids(session, settings, as_of, query, owner_id)
    cards = scorecards_by_id(session)
    keys, labels = component_columns(cards)
    rows = _rows(session, settings, as_of, ids, cards)
    dates = [r.health_date for r in rows if r.health_date]
    return BookPage(
        rows=rows,
        total=total,
        query=query,
        components=keys,
        component_labels=labels,
        health_date=max(dates) if dates else None,
        pages=max(1, -(-total // query.per_page)),
        segments=segments(session),
    )


# Segments change only with imports; reading them is a scan of every account, so the filter's
# choices are kept a minute.
SEGMENTS_SECONDS = 60.0
_segments: dict[str, tuple[float, list[str]]] = {}


def segments(session: Session) -> list[str]:
    key = str(session.get_bind().engine.url)
    cached = _segments.get(key)
    if cached is not None and time.monotonic() - cached[0] < SEGMENTS_SECONDS:
        return cached[1]
    found = sorted(
        s
        for s in session.scalars(
            select(Account.segment).where(Account.segment.is_not(None)).distinct()
        )
        if s
    )
    _segments[key] = (time.monotonic(), found)
    return found
