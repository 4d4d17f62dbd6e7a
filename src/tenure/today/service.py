"""What the Today page shows for one CSM (or the whole team), and the ad-hoc tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from tenure.accounts.service import account_hint
from tenure.audit.service import record_change
from tenure.config import Settings
from tenure.health.service import HealthRow, snapshot_store, stored_rows
from tenure.health.snapshots import snapshots
from tenure.kit.errors import NotFound, TenureError
from tenure.models import Account, Contract, Role, Task, Todo, User
from tenure.plans import service as plans
from tenure.plans.service import SignalRow
from tenure.today.core import (
    FALL_POINTS,
    RENEWAL_WINDOW_DAYS,
    WEEK_DAYS,
    renewal_in_words,
    week_of,
)
from tenure.users.auth import require_may_plan_for
from tenure.users.service import unknown_user
from tenure.warehouse import Warehouse


@dataclass(frozen=True)
class DayTask:
    """A task on the Today page: from a saved plan (`plan`) or added by hand (`todo`)."""

    kind: str
    id: int
    title: str
    account_external_id: str | None
    account_name: str
    owner_email: str
    due: date
    done_on: date | None
    as_of: date

    @property
    def overdue(self) -> bool:
        return self.done_on is None and self.due < self.as_of

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"


@dataclass(frozen=True)
class Renewal:
    external_id: str
    name: str
    owner_email: str | None
    renewal: date
    in_words: str
    renewal_band: str | None
    band: str | None
    health: int | None


@dataclass(frozen=True)
class Fall:
    external_id: str
    name: str
    owner_email: str | None
    before: float
    before_day: date
    now: float
    band: str | None

    @property
    def points(self) -> float:
        return self.before - self.now


@dataclass
class Today:
    as_of: date
    csm: User | None  # None: the whole team
    tasks: list[DayTask] = field(default_factory=list)
    renewals: list[Renewal] = field(default_factory=list)
    fell: list[Fall] = field(default_factory=list)
    signals: list[SignalRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def week(self) -> tuple[date, date]:
        return week_of(self.as_of)

    @property
    def overdue(self) -> list[DayTask]:
        return [t for t in self.tasks if t.overdue]

    @property
    def this_week(self) -> list[DayTask]:
        return [t for t in self.tasks if not t.overdue]


def csm_of(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise unknown_user(session, email)
    return user


def _accounts(session: Session, csm: User | None) -> list[Account]:
    query = select(Account).options(selectinload(Account.owner)).order_by(Account.name)
    if csm is None:
        query = query.where(Account.owner_id.is_not(None))
    else:
        query = query.where(Account.owner_id == csm.id)
    return list(session.scalars(query))


def today(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date,
    csm: User | None,
    with_signals: bool = True,
) -> Today:
    view = Today(as_of, csm)
    accounts = _accounts(session, csm)
    view.tasks = day_tasks(session, as_of, csm)
    # The renewals and the falls both show the stored health: read once for both.
    rows = stored_rows(session, settings, as_of, [a.id for a in accounts])[0] if accounts else []
    view.renewals = _renewals(session, as_of, accounts, rows)
    view.fell = _fell(warehouse, as_of, accounts, rows)
    if with_signals:
        try:
            view.signals = new_signals(session, warehouse, settings, as_of, csm)
        except TenureError as error:
            view.warnings.append(f"signals left out: {error.message}")
    return view


def day_tasks(session: Session, as_of: date, csm: User | None) -> list[DayTask]:
    """Open tasks due by the end of this week or overdue, and those done today (so a task
    marked done stays in sight, ticked), plan tasks and ad-hoc ones, earliest due first."""
    _, sunday = week_of(as_of)
    planned = (
        select(Task)
        .options(selectinload(Task.owner), selectinload(Task.account))
        .where(
            ((Task.status == "open") & (Task.start <= sunday)) | (Task.done_on == as_of),
        )
    )
    todos = (
        select(Todo)
        .options(selectinload(Todo.owner), selectinload(Todo.account))
        .where((Todo.done_on.is_(None) & (Todo.due <= sunday)) | (Todo.done_on == as_of))
    )
    if csm is not None:
        planned = planned.where(Task.owner_id == csm.id)
        todos = todos.where(Todo.owner_id == csm.id)
    found = [plan_task(t, as_of) for t in session.scalars(planned)]
    found += [todo_task(t, as_of) for t in session.scalars(todos)]
    return sorted(found, key=lambda t: (t.due, t.account_name, t.title))


def plan_task(task: Task, as_of: date) -> DayTask:
    return DayTask(
        kind="plan",
        id=task.id,
        title=task.description or task.activity,
        account_external_id=task.account.external_id if task.account else None,
        account_name=task.account.name if task.account else task.client,
        owner_email=task.owner.email,
        due=task.deadline,
        done_on=task.done_on,
        as_of=as_of,
    )


def todo_task(todo: Todo, as_of: date) -> DayTask:
    return DayTask(
        kind="todo",
        id=todo.id,
        title=todo.title,
        account_external_id=todo.account.external_id,
        account_name=todo.account.name,
        owner_email=todo.owner.email,
        due=todo.due,
        done_on=todo.done_on,
        as_of=as_of,
    )


def _renewals(
    session: Session, as_of: date, accounts: Sequence[Account], rows: Sequence[HealthRow]
) -> list[Renewal]:
    """Accounts whose latest active contract ends within the next 90 days, soonest first,
    with the renewal band and health band the book shows (`rows`: their stored health)."""
    if not accounts:
        return []
    by_id = {a.id: a for a in accounts}
    ends = dict(
        session.execute(
            select(Contract.account_id, func.max(Contract.end_date))
            .where(
                Contract.account_id.in_(list(by_id)),
                Contract.start_date <= as_of,
                Contract.end_date > as_of,
            )
            .group_by(Contract.account_id)
        )
        .tuples()
        .all()
    )
    horizon = as_of + timedelta(days=RENEWAL_WINDOW_DAYS)
    soon = [i for i, end in ends.items() if end <= horizon]
    if not soon:
        return []
    health = {r.external_id: r for r in rows}
    out = []
    for account_id in soon:
        account, end = by_id[account_id], ends[account_id]
        row = health.get(account.external_id)
        out.append(
            Renewal(
                external_id=account.external_id,
                name=account.name,
                owner_email=account.owner.email if account.owner else None,
                renewal=end,
                in_words=renewal_in_words(as_of, end),
                renewal_band=row.renewal_band if row else None,
                band=row.band if row else None,
                health=row.health if row else None,
            )
        )
    return sorted(out, key=lambda r: (r.renewal, r.name))


def _fell(
    warehouse: Warehouse, as_of: date, accounts: Sequence[Account], rows: Sequence[HealthRow]
) -> list[Fall]:
    """Accounts whose latest score (`rows`: their stored health) is at least a point below
    their latest snapshot on or before a week ago; biggest fall first."""
    if not accounts:
        return []
    now = {r.external_id: r for r in rows if r.health_exact is not None}
    if not now:
        return []
    week_ago = as_of - timedelta(days=WEEK_DAYS)
    earlier = snapshots(snapshot_store(warehouse).latest(week_ago, sorted(now), detail=False))
    owners = {a.external_id: a.owner.email if a.owner else None for a in accounts}
    out = []
    for before in earlier:
        row = now.get(before.account_external_id)
        if row is None or row.health_exact is None or before.health_exact is None:
            continue
        if before.health_exact - row.health_exact >= FALL_POINTS:
            out.append(
                Fall(
                    external_id=row.external_id,
                    name=row.name,
                    owner_email=owners.get(row.external_id),
                    before=before.health_exact,
                    before_day=before.date,
                    now=row.health_exact,
                    band=row.band,
                )
            )
    return sorted(out, key=lambda f: (-f.points, f.name))


def new_signals(
    session: Session, warehouse: Warehouse, settings: Settings, as_of: date, csm: User | None
) -> list[SignalRow]:
    """Signals of today that the same accounts did not have a week ago."""
    email = csm.email if csm else None
    week_ago = as_of - timedelta(days=WEEK_DAYS)
    # Both days' books loaded together: what does not change with the day is read once.
    found = plans.account_signals_days(session, warehouse, settings, [as_of, week_ago], email)
    now, before = found[as_of], found[week_ago]
    # A signal is its account, its kind and its subject (the weak component, the contact...).
    seen = {(s.account_external_id, s.kind, s.subject) for s in before}
    return [s for s in now if (s.account_external_id, s.kind, s.subject) not in seen]


# -- ad-hoc tasks ------------------------------------------------------------------------------


def _todo_record(todo: Todo) -> dict[str, object]:
    return {
        "id": todo.id,
        "title": todo.title,
        "account_external_id": todo.account.external_id,
        "owner_email": todo.owner.email,
        "due": todo.due.isoformat(),
        "done_on": todo.done_on.isoformat() if todo.done_on else None,
    }


def add_todo_recorded(
    session: Session, by: User, title: str, external_id: str, due: date, via: str
) -> Todo:
    """An ad-hoc task for an account, owned by the account's CSM, with its audit entry
    (`todo.add`). Who may add it: whoever may plan for that CSM."""
    title = " ".join(title.split())
    if not title:
        raise TenureError("title: write what is to be done")
    if len(title) > 200:
        raise TenureError(f"title: {len(title)} characters: at most 200")
    account = session.scalar(
        select(Account)
        .options(selectinload(Account.owner))
        .where(Account.external_id == external_id.strip())
    )
    if account is None:
        hint = account_hint(session, external_id)
        raise NotFound(f"account: no account with external_id {external_id!r}{hint}")
    owner = account.owner
    if owner is None:
        if by.role is not Role.csm:
            raise TenureError(f"account: {account.external_id} has no CSM to own the task")
        owner = by
    require_may_plan_for(by, owner.email)
    todo = Todo(owner=owner, account=account, title=title, due=due, created_by_id=by.id)
    session.add(todo)
    session.flush()
    record_change(session, by, "todo.add", f"todo:{todo.id}", None, _todo_record(todo), via=via)
    return todo


def find_todo(session: Session, todo_id: int) -> Todo:
    todo = session.get(Todo, todo_id)
    if todo is None:
        raise NotFound(f"no ad-hoc task with id {todo_id}")
    return todo


def change_todo_recorded(
    session: Session, by: User, todo: Todo, done_on: date | None, via: str
) -> Todo:
    """Mark an ad-hoc task done on `done_on` (open again when None), audited as `todo.done`
    or `todo.reopen`."""
    require_may_plan_for(by, todo.owner.email)
    before = _todo_record(todo)
    todo.done_on = done_on
    session.flush()
    action = "todo.reopen" if done_on is None else "todo.done"
    record_change(session, by, action, f"todo:{todo.id}", before, _todo_record(todo), via=via)
    return todo
