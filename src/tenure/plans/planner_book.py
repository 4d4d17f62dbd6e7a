"""Loading the book: each account's facts as of a day (health, contracts, contacts,
surveys, tickets, usage metrics) and the signals they raise. Never commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, String, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from tenure.book.query import BookQuery, matching_ids
from tenure.config import Settings
from tenure.health import derived
from tenure.health.service import HealthRow, dashboard, stored_rows
from tenure.kit.contracts import contract_facts
from tenure.kit.errors import NotFound, TenureError
from tenure.models import (
    Account,
    Contact,
    Contract,
    SurveyKind,
    SurveyResponse,
    Ticket,
    TicketKind,
    User,
)
from tenure.plans.libraries import active_library
from tenure.plans.playbooks import Library
from tenure.plans.signals import (
    AccountFacts,
    Comparable,
    Comparisons,
    Peer,
    Signal,
    comparisons,
    compute_signals,
)
from tenure.warehouse import Warehouse

# Usage metrics compared for lookalikes and paid-like free clients: each metric's latest value
# in this window.
USAGE_WINDOW_DAYS = 30
# Satisfaction read for signals: each respondent's latest answer in the last year.
SURVEY_WINDOW_DAYS = 365
SENIORITY_ORDER = ("c_level", "vp", "director", "manager", "staff")
# Tickets whose subject reads like one are counted as feature requests (for product).
FEATURE_REQUEST = re.compile(r"feature request|enhancement|^feature\b|would like .* to", re.I)


@dataclass
class Book:
    """What the planner and the signals read: facts of the CSM's accounts (or all), facts of
    every other account (for comparisons), and the health dashboard rows."""

    facts: list[AccountFacts]
    others: list[Peer]
    health: list[HealthRow]
    accounts: dict[str, Account]
    warnings: list[str] = field(default_factory=list)


def user_of(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    return user


def load_book(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date,
    csm: str | None = None,
) -> Book:
    """Every account's facts as of a day (the CSM's accounts in `facts`, the rest in
    `others`), with the health dashboard computed for the CSM's accounts."""
    return load_books(session, warehouse, settings, [as_of], csm)[as_of]


def load_books(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    days: Sequence[date],
    csm: str | None = None,
    with_usage: bool = True,
) -> dict[date, Book]:
    """`load_book` of each of these days. What does not depend on the day (the user, the
    owners, the contacts, the tiers) is read once, and the rest in one query for all the
    days: a page comparing today with a week ago then pays few round trips more than one.
    Without usage (`with_usage` false) the facts have none: for signals that read none."""
    if csm is not None:
        user_of(session, csm)
    boards = {day: dashboard(session, warehouse, settings, day, csm=csm) for day in days}
    scopes = {day: {row.external_id for row in board.rows} for day, board in boards.items()}
    chosen: dict[date, list[Account]] = {}
    if csm is None:
        everyone = list(session.scalars(select(Account).order_by(Account.external_id)))
        chosen = dict.fromkeys(days, everyone)
    else:
        # The CSM's current book, read through the one book query the CLI, the API and the
        # web read it through, kept to the accounts the dashboard scored (clients that day).
        owned = list(
            session.scalars(select(Account).where(Account.owner.has(User.email == csm.lower())))
        )
        book = BookQuery(csm=csm, status="current", sort="name")
        for day in days:
            order = {i: n for n, i in enumerate(matching_ids(session, settings, day, book))}
            chosen[day] = _in_order(owned, order, scopes[day])
    usages = _usage_days(warehouse, days) if with_usage else {day: {} for day in days}
    reads = _reads(session, days, {a.id: a for accounts in chosen.values() for a in accounts})
    peers = [] if csm is None else _peer_rows(session)
    out = {}
    for day in days:
        board, accounts, usage = boards[day], chosen[day], usages[day]
        facts = _day_facts(settings, day, accounts, board.rows, usage, reads)
        others = [
            Peer(external_id, tier, usage.get(external_id, {}), flagged)
            for external_id, tier, flagged in peers
            if external_id not in scopes[day]
        ]
        accounts_by_id = {a.external_id: a for a in accounts}
        out[day] = Book(facts, others, board.rows, accounts_by_id, list(board.warnings))
    return out


def _in_order(owned: Sequence[Account], order: Mapping[int, int], scope: set[str]) -> list[Account]:
    """The owned accounts the book query listed (`order`: id -> place) and the dashboard
    scored (`scope`), in the book's order."""
    return sorted(
        (a for a in owned if a.id in order and a.external_id in scope), key=lambda a: order[a.id]
    )


def account_book(
    session: Session, warehouse: Warehouse, settings: Settings, as_of: date, external_id: str
) -> Book:
    """One account's facts from its latest stored health (pages answer without scoring a day
    never computed); compare it with the rest through `signal_comparisons`."""
    account = session.scalar(select(Account).where(Account.external_id == external_id))
    if account is None:
        raise NotFound(f"no account with external_id {external_id!r}")
    rows, warnings = stored_rows(session, settings, as_of, [account.id])
    usage = _usage(warehouse, as_of, [external_id])
    facts = _facts(session, settings, as_of, [account], rows, usage)
    return Book(facts, [], rows, {external_id: account}, warnings)


def comparison_facts(session: Session, usage: Mapping[str, Mapping[str, float]]) -> list[Peer]:
    """Every account with only what signals compare accounts on (tier, usage, whether it is
    an exemplar): reading whole facts of 100,000 accounts to compare one would take seconds."""
    return [
        Peer(external_id, tier, usage.get(external_id, {}), flagged)
        for external_id, tier, flagged in _peer_rows(session)
    ]


def _peer_rows(session: Session) -> list[tuple[str, str, bool]]:
    """(external id, tier, whether an exemplar) of every account: `comparison_facts` without
    the usage, which depends on the day."""
    flagged = {
        external_id
        for external_id, attributes in session.execute(
            select(Account.external_id, Account.attributes).where(
                Account.attributes["exemplar"].as_string().is_not(None)
            )
        )
        if _truthy((attributes or {}).get("exemplar"))
    }
    # The tier as stored (its enum's value), without building an enum per row.
    tiers = select(Account.external_id, type_coerce(Account.tier, String))
    return [
        (external_id, tier, external_id in flagged) for external_id, tier in session.execute(tiers)
    ]


def signal_comparisons(
    session: Session,
    warehouse: Warehouse,
    as_of: date,
    like: Sequence[str] = (),
    library: Library | None = None,
) -> Comparisons:
    """What every account's signals compare it with, from the whole book as of a day."""
    library = library or active_library(session)
    return comparisons(comparison_facts(session, _usage(warehouse, as_of)), library.rules, like)


def _facts(
    session: Session,
    settings: Settings,
    as_of: date,
    accounts: Sequence[Account],
    rows: Sequence[HealthRow],
    usage: Mapping[str, Mapping[str, float]],
) -> list[AccountFacts]:
    """Each account's facts, from its health row and everything else known of it that day."""
    reads = _reads(session, [as_of], {a.id: a for a in accounts})
    return _day_facts(settings, as_of, accounts, rows, usage, reads)


@dataclass(frozen=True)
class _Reads:
    """What the facts of some accounts are made of on some days, read once for all the days:
    the owners and contacts (the same every day), and the contracts, survey answers and
    tickets of the span the days cover (each day keeps its own from them)."""

    owners: dict[int, str]
    sponsors: dict[int, tuple[str | None, bool]]
    contracts: list[Contract]
    surveys: list[tuple[SurveyKind, derived.SurveyRow]]
    tickets: list[tuple[int, TicketKind, str | None, datetime, datetime | None]]


def _reads(session: Session, days: Sequence[date], accounts: Mapping[int, Account]) -> _Reads:
    # Whole tables for a large scope: one parameter per account would not scale.
    ids = list(accounts) if len(accounts) <= 500 else None
    first, last = min(days), max(days)
    owners = dict(session.execute(select(User.id, User.email)).tuples().all())
    # Active on some day of the span: starting by its last day, ending after its first.
    query = select(Contract).where(Contract.start_date <= last, Contract.end_date > first)
    contracts = list(session.scalars(query if ids is None else query.where(_of(Contract, ids))))
    return _Reads(
        owners,
        _sponsors(session, ids),
        contracts,
        _survey_rows(session, first, last, ids),
        _ticket_rows(session, first, last, ids),
    )


def _day_facts(
    settings: Settings,
    as_of: date,
    accounts: Sequence[Account],
    rows: Sequence[HealthRow],
    usage: Mapping[str, Mapping[str, float]],
    reads: _Reads,
) -> list[AccountFacts]:
    health = {row.external_id: row for row in rows}
    owners, sponsors = reads.owners, reads.sponsors
    contracts: dict[int, list[Contract]] = defaultdict(list)
    for contract in reads.contracts:
        # Contract.active_on, in Python.
        if contract.start_date <= as_of < contract.end_date:
            contracts[contract.account_id].append(contract)
    nps, csat = _surveys(reads.surveys, as_of)
    problems, requests = _tickets(reads.tickets, as_of)
    out = []
    for account in accounts:
        row = health.get(account.external_id)
        active = contracts.get(account.id, [])
        try:
            facts = contract_facts(active, as_of, settings)
            renewal, arr = facts.renewal_date, (float(facts.arr) if facts.arr else None)
        except TenureError:
            renewal, arr = max((c.end_date for c in active), default=None), None
        units = {c.units for c in active}
        quantity = (
            sum(float(c.quantity) for c in active if c.quantity is not None)
            if len(units) == 1 and any(c.quantity is not None for c in active)
            else None
        )
        sponsor, contacts_known = sponsors.get(account.id, (None, False))
        out.append(
            AccountFacts(
                external_id=account.external_id,
                name=account.name,
                csm_email=owners.get(account.owner_id) if account.owner_id else None,
                tier=account.tier.value,
                segment=account.segment,
                lifecycle_stage=account.lifecycle_stage,
                health=row.health if row else None,
                band=row.band if row else None,
                trend=row.trend if row else None,
                components=dict(row.components) if row else {},
                renewal_months=row.renewal_months if row else None,
                renewal_band=row.renewal_band if row else None,
                renewal_date=renewal,
                arr=row.arr if row and row.arr is not None else arr,
                years=row.years if row else None,
                sponsor=sponsor,
                contacts_known=contacts_known,
                nps=nps.get(account.external_id),
                csat=csat.get(account.external_id),
                usage=usage.get(account.external_id, {}),
                contract_quantity=quantity,
                contract_units=next(iter(units)) if len(units) == 1 else None,
                open_problems=problems.get(account.id, 0),
                feature_requests=requests.get(account.id, 0),
                exemplar=_truthy((account.attributes or {}).get("exemplar")),
            )
        )
    return out


def _of(
    model: type[Contract] | type[Contact] | type[Ticket] | type[SurveyResponse],
    ids: Sequence[int],
) -> ColumnElement[bool]:
    return model.account_id.in_(list(ids))


def _truthy(value: object) -> bool:
    """An attribute imported from CSV is text: "true", "yes" and "1" mean yes."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "y")
    return value is True or value == 1


def _sponsors(session: Session, ids: Sequence[int] | None) -> dict[int, tuple[str | None, bool]]:
    """Account id -> (seniority of its most senior sponsor, whether any contact is known), of
    these accounts (None: all)."""
    out: dict[int, tuple[str | None, bool]] = {}
    rank = {s: i for i, s in enumerate(SENIORITY_ORDER)}
    query = select(Contact.account_id, Contact.seniority, Contact.is_sponsor)
    for account_id, seniority, is_sponsor in session.execute(
        query if ids is None else query.where(_of(Contact, ids))
    ):
        held, _ = out.get(account_id, (None, True))
        if is_sponsor:
            level = seniority.value if seniority else "unknown"
            if held is None or rank.get(level, 99) < rank.get(held, 99):
                held = level
        out[account_id] = (held, True)
    return out


def _survey_rows(
    session: Session, first: date, last: date, ids: Sequence[int] | None
) -> list[tuple[SurveyKind, derived.SurveyRow]]:
    """NPS and CSAT answers inside the window of some day from `first` to `last`."""
    query = (
        select(
            SurveyResponse.kind,
            Account.external_id,
            func.coalesce(SurveyResponse.contact_email, SurveyResponse.external_id),
            SurveyResponse.score,
            SurveyResponse.responded_at,
        )
        .join(Account, SurveyResponse.account_id == Account.id)
        .where(
            SurveyResponse.kind.in_([SurveyKind.nps, SurveyKind.csat]),
            SurveyResponse.score.is_not(None),
            SurveyResponse.responded_at >= derived.window_start(first, SURVEY_WINDOW_DAYS),
            SurveyResponse.responded_at < derived.end_of(last),
        )
    )
    rows = session.execute(query if ids is None else query.where(_of(SurveyResponse, ids)))
    return [(k, derived.SurveyRow(a, r, float(s), t)) for k, a, r, s, t in rows]


def _surveys(
    rows: Sequence[tuple[SurveyKind, derived.SurveyRow]], as_of: date
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean NPS and CSAT answers per account as of the day (`survey_latest` keeps the
    answers of the day's window)."""
    results = []
    for kind in (SurveyKind.nps, SurveyKind.csat):
        answers = (row for k, row in rows if k is kind)
        results.append(derived.survey_latest(answers, as_of, SURVEY_WINDOW_DAYS))
    return results[0], results[1]


def _ticket_rows(
    session: Session, first: date, last: date, ids: Sequence[int] | None
) -> list[tuple[int, TicketKind, str | None, datetime, datetime | None]]:
    """Tickets open at the end of some day from `first` to `last`."""
    query = (
        select(Ticket.account_id, Ticket.kind, Ticket.subject, Ticket.opened_at, Ticket.closed_at)
        .where(Ticket.opened_at < derived.end_of(last))
        .where(or_(Ticket.closed_at.is_(None), Ticket.closed_at >= derived.end_of(first)))
    )
    return [
        (a, k, subject, opened, closed)
        for a, k, subject, opened, closed in session.execute(
            query if ids is None else query.where(_of(Ticket, ids))
        )
    ]


def _tickets(
    rows: Sequence[tuple[int, TicketKind, str | None, datetime, datetime | None]], as_of: date
) -> tuple[dict[int, int], dict[int, int]]:
    """Per account id: problem tickets open at the end of the day, and open feature
    requests."""
    end = derived.end_of(as_of)
    problems: dict[int, int] = defaultdict(int)
    requests: dict[int, int] = defaultdict(int)
    for account_id, kind, subject, opened_at, closed_at in rows:
        if not (opened_at < end and (closed_at is None or closed_at >= end)):
            continue
        if subject and FEATURE_REQUEST.search(subject):
            requests[account_id] += 1
        elif kind is TicketKind.problem:
            problems[account_id] += 1
    return problems, requests


def _usage(
    warehouse: Warehouse, as_of: date, accounts: Sequence[str] | None = None
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    latest = warehouse.metrics.latest(
        as_of, USAGE_WINDOW_DAYS, accounts=list(accounts) if accounts is not None else None
    )
    # Column by column: a dict per row costs seconds at 100,000 accounts.
    columns = (latest.column(c).to_pylist() for c in ("account_external_id", "metric", "value"))
    for account, metric, value in zip(*columns, strict=True):
        if metric not in derived.DERIVED and value is not None:
            out[account][metric] = float(value)
    return out


def _usage_days(
    warehouse: Warehouse, days: Sequence[date]
) -> dict[date, dict[str, dict[str, float]]]:
    """`_usage` of every account as of each day, in one warehouse query."""
    if len(days) == 1:
        return {days[0]: _usage(warehouse, days[0])}
    out: dict[date, dict[str, dict[str, float]]] = {}
    for day, rows in warehouse.metrics.latest_days(list(days), USAGE_WINDOW_DAYS).items():
        usage: dict[str, dict[str, float]] = defaultdict(dict)
        for account, metric, value in rows:
            if metric not in derived.DERIVED and value is not None:
                usage[account][metric] = value
        out[day] = usage
    return out


@dataclass(frozen=True)
class SignalRow:
    account_external_id: str
    name: str
    csm_email: str | None
    kind: str
    subject: str | None
    evidence: str


def account_signals(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date,
    csm: str | None = None,
    like: Sequence[str] = (),
    library: Library | None = None,
) -> list[SignalRow]:
    """Every signal of every account (or of one CSM's accounts) as of a day; the quarter is
    the 13 weeks from that day."""
    return account_signals_days(session, warehouse, settings, [as_of], csm, like, library)[as_of]


def account_signals_days(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    days: Sequence[date],
    csm: str | None = None,
    like: Sequence[str] = (),
    library: Library | None = None,
) -> dict[date, list[SignalRow]]:
    """`account_signals` as of each of these days, from the books of all the days loaded
    together (`load_books`)."""
    library = library or active_library(session)
    out = {}
    for day, book in load_books(session, warehouse, settings, days, csm).items():
        everyone: list[Comparable] = [*book.facts, *book.others]
        known = {f.external_id for f in everyone}
        for wanted in like:
            if wanted not in known:
                raise NotFound(f"--like: no account with external_id {wanted!r}")
        compared = comparisons(everyone, library.rules, like)
        found = compute_signals(book.facts, day, day, library.rules, compared=compared)
        out[day] = _signal_rows(book.facts, found)
    return out


def advocate_signals(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date,
    library: Library | None = None,
) -> list[SignalRow]:
    """The `advocate_candidate` signals of every account as of a day: those of
    `account_signals`, without reading the usage. Neither an advocate nor the risks that
    rule one out read it (only expansion and lookalikes do, comparing accounts)."""
    library = library or active_library(session)
    book = load_books(session, warehouse, settings, [as_of], with_usage=False)[as_of]
    found = compute_signals(book.facts, as_of, as_of, library.rules, compared=Comparisons())
    rows = _signal_rows(book.facts, found)
    return [row for row in rows if row.kind == "advocate_candidate"]


def signals_of_account(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date,
    external_id: str,
    compared: Comparisons,
    library: Library | None = None,
) -> list[SignalRow]:
    """One account's signals from its latest stored health, compared with the book through
    `compared` (`signal_comparisons`, which a page may keep a while: it reads every account)."""
    library = library or active_library(session)
    book = account_book(session, warehouse, settings, as_of, external_id)
    found = compute_signals(book.facts, as_of, as_of, library.rules, compared=compared)
    return _signal_rows(book.facts, found)


def _signal_rows(
    facts: Sequence[AccountFacts], found: Mapping[str, Sequence[Signal]]
) -> list[SignalRow]:
    return [_signal_row(f, signal) for f in facts for signal in found.get(f.external_id, [])]


def _signal_row(facts: AccountFacts, signal: Signal) -> SignalRow:
    return SignalRow(
        account_external_id=facts.external_id,
        name=facts.name,
        csm_email=facts.csm_email,
        kind=signal.kind,
        subject=signal.subject,
        evidence=signal.evidence,
    )
