"""Alerts on a CSM's own book: accounts that turned red, and renewals that entered their
window, since the CSM last marked the book as seen. Never commits.

The mark keeps each own account's health band and renewal band as they were when seen; the
comparison is pure (`changes`) so it is easy to test.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.book.query import scorecards_by_id
from tenure.health.service import Bands, renewal_band
from tenure.kit.dates import utc_now, whole_months_between
from tenure.models import Account, AccountHealth, BookMark, Contract, User

RANK = {"green": 0, "amber": 1, "red": 2}
State = dict[str, list[str | None]]  # external id -> [health band, renewal band]
Shown = dict[str, tuple[str, int | None]]  # external id -> (name, renewal months)


@dataclass(frozen=True)
class Alert:
    external_id: str
    name: str
    kind: str  # turned_red | renewal_window
    was: str | None
    now: str | None
    months: int | None


def changes(before: State, now: State) -> list[tuple[str, str, str | None, str | None]]:
    """(external id, kind, was, now) for each account that turned red, or whose renewal band
    moved closer (into amber: 4-6 months, or red: 0-3 months by default). Accounts new to the
    book count from no band."""
    found: list[tuple[str, str, str | None, str | None]] = []
    for external_id, (band, renewal) in sorted(now.items()):
        old_band, old_renewal = before.get(external_id, [None, None])
        if band == "red" and old_band != "red":
            found.append((external_id, "turned_red", old_band, band))
        if renewal in ("amber", "red") and RANK[renewal] > RANK.get(old_renewal or "", -1):
            found.append((external_id, "renewal_window", old_renewal, renewal))
    return found


# Bands move when health is computed (daily) or contracts are imported, not between two clicks:
# a user's current state is kept a minute, so paging through the book does not redo it.
STATE_SECONDS = 60.0
_states: OrderedDict[tuple[str, int, date], tuple[float, State, Shown]] = OrderedDict()
_STATES_KEPT = 1000


def current_state(session: Session, user: User, as_of: date) -> tuple[State, Shown]:
    """Each own account's bands now, and (name, renewal months) to show with an alert."""
    key = (str(session.get_bind().engine.url), user.id, as_of)
    cached = _states.get(key)
    if cached is not None and time.monotonic() - cached[0] < STATE_SECONDS:
        return cached[1], cached[2]
    state, shown = _read_state(session, user, as_of)
    _states[key] = (time.monotonic(), state, shown)
    _states.move_to_end(key)
    while len(_states) > _STATES_KEPT:
        _states.popitem(last=False)
    return state, shown


def _read_state(session: Session, user: User, as_of: date) -> tuple[State, Shown]:
    cards = scorecards_by_id(session)
    # The renewal date per account as a correlated look-up: SQLite walks the user's accounts
    # by their owner index and each one's contracts by the covering index.
    renewal = (
        select(func.max(Contract.end_date))
        .where(Contract.account_id == Account.id, Contract.active_on(as_of))
        .scalar_subquery()
    )
    accounts = session.execute(
        select(
            Account.external_id,
            Account.name,
            AccountHealth.band,
            AccountHealth.scorecard_id,
            renewal,
        )
        .outerjoin(AccountHealth, AccountHealth.account_id == Account.id)
        .where(Account.owner_id == user.id)
    ).all()
    state: State = {}
    shown: Shown = {}
    for external_id, name, band, scorecard_id, last in accounts:
        card = cards.get(scorecard_id) if scorecard_id else None
        months = whole_months_between(as_of, last) if last else None
        state[external_id] = [
            band,
            renewal_band(months, card.renewal_bands if card else Bands(3, 6)),
        ]
        shown[external_id] = (name, months)
    return state, shown


@dataclass(frozen=True)
class Alerts:
    items: list[Alert]
    since: datetime | None


# The comparison of a user's book with their mark, by user: valid while the mark (its
# `seen_at`) and the current state (the very object `current_state` keeps) are the same, so a
# page does not decode the stored mark and compare every account on each view.
_compared: OrderedDict[tuple[str, int], tuple[datetime, State, Alerts]] = OrderedDict()


def alerts_for(session: Session, user: User, as_of: date) -> Alerts:
    """What changed in the user's own book since they last marked it as seen. The first
    look sets the mark, so alerts start from there."""
    state, shown = current_state(session, user, as_of)
    seen_at = session.scalar(select(BookMark.seen_at).where(BookMark.user_id == user.id))
    if seen_at is None:
        session.add(BookMark(user_id=user.id, seen_at=utc_now(), state=state))
        session.flush()
        return Alerts([], None)
    key = (str(session.get_bind().engine.url), user.id)
    cached = _compared.get(key)
    if cached is not None and cached[0] == seen_at and cached[1] is state:
        return cached[2]
    mark = session.get(BookMark, user.id)
    if mark is None:  # removed since its seen_at was read: nothing to compare with
        return Alerts([], None)
    items = sorted(
        (
            Alert(external_id, shown[external_id][0], kind, was, now, shown[external_id][1])
            for external_id, kind, was, now in changes(mark.state, state)
        ),
        # Red accounts first, then renewals, soonest first.
        key=lambda a: (a.kind != "turned_red", a.months if a.months is not None else 99, a.name),
    )
    found = Alerts(items, mark.seen_at)
    _compared[key] = (seen_at, state, found)
    _compared.move_to_end(key)
    while len(_compared) > _STATES_KEPT:
        _compared.popitem(last=False)
    return found


def mark_seen(session: Session, user: User, as_of: date) -> tuple[State | None, State]:
    """Acknowledge the book as it is now; returns the mark before and after."""
    state, _ = _read_state(session, user, as_of)
    mark = session.get(BookMark, user.id)
    before = dict(mark.state) if mark else None
    if mark is None:
        session.add(BookMark(user_id=user.id, seen_at=utc_now(), state=state))
    else:
        mark.state = state
        mark.seen_at = utc_now()
    session.flush()
    return before, state
