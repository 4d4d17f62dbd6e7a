"""Loading the book: each account's facts as of a day (health, contracts, contacts,
surveys, tickets, usage metrics) and the signals they raise. Never commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, String, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from tenure.book.query import BookQuery, matching_ids
from tenure.config import Settings
from tenure.health import derived
from tenure.health.service import Dashboard, HealthRow, dashboard, stored_rows
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
    if csm is not None:
        user_of(session, csm)
    board: Dashboard = dashboard(session, warehouse, settings, as_of, csm=csm)
    scope = {row.external_id for row in board.rows}
    if csm is None:
        accounts = list(session.scalars(select(Account).order_by(Account.external_id)))
    else:
        # The CSM's current book, read through the one book query the CLI, the API and the
        # web read it through, kept to the accounts the dashboard scored (clients that day).
        book = BookQuery(csm=csm, status="current", sort="name")
        order = {i: n for n, i in enumerate(matching_ids(session, settings, as_of, book))}
        owned = session.scalars(select(Account).where(Account.owner.has(User.email == csm.lower())))
        accounts = sorted(
            (a for a in owned if a.id in order and a.external_id in scope),
            key=lambda a: order[a.id],
        )
    usage = _usage(warehouse, as_of)
    facts = _facts(session, settings, as_of, accounts, board.rows, usage)
    others = (
        []
        if csm is None
        else [p for p in comparison_facts(session, usage) if p.external_id not in scope]
    )
    accounts_by_id = {a.external_id: a for a in accounts}
    return Book(facts, others, board.rows, accounts_by_id, list(board.warnings))


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
        Peer(external_id, tier, usage.get(external_id, {}), external_id in flagged)
        for external_id, tier in session.execute(tiers)
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
    health = {row.external_id: row for row in rows}
    # Whole tables for a large scope: one parameter per account would not scale.
    ids = [a.id for a in accounts] if len(accounts) <= 500 else None
    owners = dict(session.execute(select(User.id, User.email)).tuples().all())
    contracts: dict[int, list[Contract]] = defaultdict(list)
    query = select(Contract).where(Contract.active_on(as_of))
    for contract in session.scalars(query if ids is None else query.where(_of(Contract, ids))):
        contracts[contract.account_id].append(contract)
    sponsors = _sponsors(session, ids)
    nps, csat = _surveys(session, as_of, ids)
    problems, requests = _tickets(session, as_of, ids)
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


def _surveys(
    session: Session, as_of: date, ids: Sequence[int] | None
) -> tuple[dict[str, float], dict[str, float]]:
    results = []
    for kind in (SurveyKind.nps, SurveyKind.csat):
        query = (
            select(
                Account.external_id,
                func.coalesce(SurveyResponse.contact_email, SurveyResponse.external_id),
                SurveyResponse.score,
                SurveyResponse.responded_at,
            )
            .join(Account, SurveyResponse.account_id == Account.id)
            .where(
                SurveyResponse.kind == kind,
                SurveyResponse.score.is_not(None),
                SurveyResponse.responded_at >= derived.window_start(as_of, SURVEY_WINDOW_DAYS),
                SurveyResponse.responded_at < derived.end_of(as_of),
            )
        )
        rows = session.execute(query if ids is None else query.where(_of(SurveyResponse, ids)))
        results.append(
            derived.survey_latest(
                (derived.SurveyRow(a, r, float(s), t) for a, r, s, t in rows),
                as_of,
                SURVEY_WINDOW_DAYS,
            )
        )
    return results[0], results[1]


def _tickets(
    session: Session, as_of: date, ids: Sequence[int] | None
) -> tuple[dict[int, int], dict[int, int]]:
    """Per account id (of these accounts; None: all): problem tickets open at the end of the
    day, and open feature requests."""
    end = derived.end_of(as_of)
    problems: dict[int, int] = defaultdict(int)
    requests: dict[int, int] = defaultdict(int)
    query = (
        select(Ticket.account_id, Ticket.kind, Ticket.subject)
        .where(Ticket.opened_at < end)
        .where(or_(Ticket.closed_at.is_(None), Ticket.closed_at >= end))
    )
    for account_id, kind, subject in session.execute(
        query if ids is None else query.where(_of(Ticket, ids))
    ):
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
    library = library or active_library(session)
    book = load_book(session, warehouse, settings, as_of, csm)
    everyone: list[Comparable] = [*book.facts, *book.others]
    known = {f.external_id for f in everyone}
    for wanted in like:
        if wanted not in known:
            raise NotFound(f"--like: no account with external_id {wanted!r}")
    compared = comparisons(everyone, library.rules, like)
    found = compute_signals(book.facts, as_of, as_of, library.rules, compared=compared)
    return _signal_rows(book.facts, found)


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
