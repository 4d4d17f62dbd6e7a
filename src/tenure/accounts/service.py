"""Looking at accounts: the book, an account's whole story, and its timeline. Never commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from tenure.accounts.schemas import (
    AccountRead,
    AccountStory,
    ContactRead,
    ContractRead,
    MetricRead,
    SurveyRead,
    TicketRead,
    TimelineCreate,
    TimelineRead,
)
from tenure.config import Settings

# Re-exported: the planner still reads contract facts from here.
from tenure.kit.contracts import contract_facts as contract_facts
from tenure.kit.dates import utc_now
from tenure.kit.errors import NotFound
from tenure.kit.suggest import did_you_mean
from tenure.models import (
    Account,
    ActivityKind,
    SurveyResponse,
    Task,
    Ticket,
    TimelineEntry,
    Todo,
    User,
)
from tenure.users.service import unknown_user
from tenure.warehouse import Warehouse

# "Latest metrics" on an account page: each metric's latest value in the last year.
METRICS_WINDOW_DAYS = 365
TIMELINE_LIMIT = 100


# Ids per IN list: well under the bound parameters every database accepts.
_IDS_PER_QUERY = 500


def account_names(session: Session, external_ids: Iterable[str]) -> dict[str, str]:
    """External id -> name of the accounts among `external_ids` (unknown ids, such as new
    clients still to come, are left out)."""
    unique = sorted(set(external_ids))
    names: dict[str, str] = {}
    for chunk in range(0, len(unique), _IDS_PER_QUERY):
        rows = session.execute(
            select(Account.external_id, Account.name).where(
                Account.external_id.in_(unique[chunk : chunk + _IDS_PER_QUERY])
            )
        )
        names.update((external_id, name) for external_id, name in rows)
    return names


def get_account(session: Session, external_id: str) -> Account:
    account = session.scalar(select(Account).where(Account.external_id == external_id))
    if account is None:
        raise NotFound(
            f"no account with external_id {external_id!r}{account_hint(session, external_id)}"
        )
    return account


def account_hint(session: Session, wanted: str) -> str:
    """ " (did you mean 'acme'?)": the external ids closest to `wanted`, or whose account's
    name it is close to (a name typed where an id belongs)."""
    known: dict[str, str] = {}
    for external_id, name in session.execute(select(Account.external_id, Account.name)):
        known[external_id] = external_id
        known.setdefault(name, external_id)
    return did_you_mean(wanted, known)


def account_read(account: Account, as_of: date, settings: Settings) -> AccountRead:
    facts = contract_facts(account.contracts, as_of, settings)
    return AccountRead(
        external_id=account.external_id,
        name=account.name,
        tier=account.tier,
        segment=account.segment,
        industry=account.industry,
        csm_email=account.owner.email if account.owner else None,
        customer_since=account.customer_since,
        lifecycle_stage=account.lifecycle_stage,
        arr=facts.arr,
        currency=facts.currency,
        renewal_date=facts.renewal_date,
        renewal_months=facts.renewal_months,
        attributes=account.attributes,
    )


@dataclass(frozen=True)
class AccountFilter:
    csm_email: str | None = None
    tier: str | None = None
    segment: str | None = None
    search: str | None = None


def list_accounts(
    session: Session,
    settings: Settings,
    as_of: date,
    where: AccountFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AccountRead]:
    """The book as records, in name order: which accounts and in what order come from the book
    read model (the same filters as the book page), the records from the accounts."""
    # Imported here: the read model brings the scorecards and NumPy, which `accounts show`
    # (this module's other door) never needs and would pay for on every call.
    from tenure.book.query import BookQuery, matching_ids

    where = where or AccountFilter()
    if (
        where.csm_email
        and session.scalar(select(User).where(User.email == where.csm_email.lower())) is None
    ):
        raise unknown_user(session, where.csm_email)
    view = BookQuery(
        csm=where.csm_email,
        tier=where.tier,
        segment=where.segment,
        search=where.search,
        status="all",
        sort="name",
    )
    ids = matching_ids(session, settings, as_of, view, limit, offset)
    found: dict[int, Account] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        query = (
            select(Account)
            .where(Account.id.in_(chunk))
            .options(selectinload(Account.contracts), selectinload(Account.owner))
        )
        found.update((a.id, a) for a in session.scalars(query))
    return [account_read(found[i], as_of, settings) for i in ids]


def account_story(
    session: Session,
    warehouse: Warehouse | None,
    settings: Settings,
    external_id: str,
    as_of: date,
) -> AccountStory:
    """Everything about one account as of a day. Without a warehouse the latest metrics are
    left out: reading them scans the metrics series, which a page that charts them later
    need not wait for."""
    account = get_account(session, external_id)
    return AccountStory(
        account=[account_read(account, as_of, settings)],
        contracts=[
            ContractRead(
                external_id=c.external_id,
                account_external_id=account.external_id,
                start_date=c.start_date,
                end_date=c.end_date,
                arr=c.arr,
                currency=c.currency,
                quantity=c.quantity,
                units=c.units,
                status=c.status,
                active=c.is_active_on(as_of),
            )
            for c in account.contracts
        ],
        contacts=[
            ContactRead(
                external_id=c.external_id,
                account_external_id=account.external_id,
                name=c.name,
                email=c.email,
                title=c.title,
                seniority=c.seniority,
                is_sponsor=c.is_sponsor,
                user_id=c.user_id,
            )
            for c in sorted(account.contacts, key=lambda c: (not c.is_sponsor, c.name))
        ],
        metrics=_latest_metrics(warehouse, account.external_id, as_of) if warehouse else [],
        tickets=_open_tickets(session, account, as_of),
        surveys=_latest_surveys(session, account, as_of),
        timeline=_timeline(session, account, as_of),
    )


def _latest_metrics(warehouse: Warehouse, external_id: str, as_of: date) -> list[MetricRead]:
    rows = warehouse.metrics.latest_rows(as_of, METRICS_WINDOW_DAYS, [external_id])
    return [MetricRead(**row) for row in rows]


def _open_tickets(session: Session, account: Account, as_of: date) -> list[TicketRead]:
    """Tickets opened by the end of `as_of` and not closed by then."""
    end = _end_of(as_of)
    query = (
        select(Ticket)
        .where(Ticket.account_id == account.id, Ticket.opened_at < end)
        .where(or_(Ticket.closed_at.is_(None), Ticket.closed_at >= end))
        .order_by(Ticket.opened_at.desc())
    )
    return [
        TicketRead(
            external_id=t.external_id,
            account_external_id=account.external_id,
            opened_at=t.opened_at,
            closed_at=None,
            kind=t.kind,
            priority=t.priority,
            satisfied=t.satisfied,
            subject=t.subject,
        )
        for t in session.scalars(query)
    ]


def _latest_surveys(session: Session, account: Account, as_of: date) -> list[SurveyRead]:
    """The latest answered survey of each kind by `as_of`."""
    query = (
        select(SurveyResponse)
        .where(SurveyResponse.account_id == account.id)
        .where(SurveyResponse.score.is_not(None), SurveyResponse.responded_at < _end_of(as_of))
        .order_by(SurveyResponse.responded_at.desc())
    )
    latest: dict[str, SurveyRead] = {}
    for s in session.scalars(query):
        latest.setdefault(
            s.kind.value,
            SurveyRead(
                external_id=s.external_id,
                account_external_id=account.external_id,
                contact_email=s.contact_email,
                kind=s.kind,
                sent_at=s.sent_at,
                score=s.score,
                responded_at=s.responded_at,
                comment=s.comment,
            ),
        )
    return sorted(latest.values(), key=lambda r: r.kind.value)


def _timeline(session: Session, account: Account, as_of: date) -> list[TimelineRead]:
    """The account's story up to `as_of`, latest first: its timeline entries, and the tickets
    opened and closed, survey answers and tasks done (planned or added by hand)."""
    end = _end_of(as_of)
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.account_id == account.id, TimelineEntry.at < end)
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(TIMELINE_LIMIT)
    )
    items = [timeline_read(account, e) for e in session.scalars(query)]
    items += _activity(session, account, as_of, end)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:TIMELINE_LIMIT]


def _activity(session: Session, account: Account, as_of: date, end: datetime) -> list[TimelineRead]:
    def item(kind: ActivityKind, at: datetime, text: str, author: str | None) -> TimelineRead:
        return TimelineRead(
            account_external_id=account.external_id,
            kind=kind,
            author=author,
            at=at,
            text=text,
            sentiment=None,
        )

    found: list[TimelineRead] = []
    for ticket in session.scalars(
        select(Ticket)
        .where(Ticket.account_id == account.id, Ticket.opened_at < end)
        .order_by(Ticket.opened_at.desc())
        .limit(TIMELINE_LIMIT)
    ):
        what = f"{ticket.subject or ticket.external_id} ({ticket.kind.value}"
        what += f", {ticket.priority})" if ticket.priority else ")"
        found.append(item(ActivityKind.ticket_opened, ticket.opened_at, what, None))
        if ticket.closed_at is not None and ticket.closed_at < end:
            found.append(item(ActivityKind.ticket_closed, ticket.closed_at, what, None))
    for answer in session.scalars(
        select(SurveyResponse)
        .where(
            SurveyResponse.account_id == account.id,
            SurveyResponse.responded_at.is_not(None),
            SurveyResponse.responded_at < end,
        )
        .order_by(SurveyResponse.responded_at.desc())
        .limit(TIMELINE_LIMIT)
    ):
        if answer.responded_at is None:  # left out by the query; narrows the type
            continue
        text = f"{answer.kind.value.upper()} survey: {answer.score}"
        if answer.comment:
            text += f": {answer.comment}"
        found.append(item(ActivityKind.survey, answer.responded_at, text, answer.contact_email))
    for title, owner, done_on in session.execute(
        select(Task.description, User.email, Task.done_on)
        .join(User, Task.owner_id == User.id)
        .where(Task.account_id == account.id, Task.done_on.is_not(None), Task.done_on <= as_of)
        .union_all(
            select(Todo.title, User.email, Todo.done_on)
            .join(User, Todo.owner_id == User.id)
            .where(Todo.account_id == account.id, Todo.done_on.is_not(None), Todo.done_on <= as_of)
        )
    ).tuples():
        if done_on is None:  # left out by the query; narrows the type
            continue
        # A task is done on a day, at no recorded time: shown at the day's start, so what is
        # logged that day with its time (a note just added) comes before it, latest first.
        at = datetime.combine(done_on, time(), tzinfo=UTC)
        found.append(item(ActivityKind.task_done, at, title, owner))
    return found


def timeline_read(account: Account, entry: TimelineEntry) -> TimelineRead:
    return TimelineRead(
        account_external_id=account.external_id,
        kind=entry.kind,
        author=entry.author,
        at=entry.at,
        text=entry.text,
        sentiment=entry.sentiment,
        message_id=entry.message_id,
    )


def add_timeline_entry(
    session: Session, account: Account, data: TimelineCreate, author: str | None
) -> TimelineEntry:
    entry = TimelineEntry(
        account_id=account.id,
        kind=data.kind,
        author=author,
        at=data.at or utc_now(),
        text=data.text,
        sentiment=data.sentiment,
    )
    session.add(entry)
    session.flush()
    return entry


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
