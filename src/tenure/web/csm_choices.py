"""What the book page's CSM filter offers: everyone who owns an account. The book itself (the
query behind the page) is `tenure.book.query`."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.book.query import SEGMENTS_SECONDS
from tenure.models import Account, User

_csms: dict[str, tuple[float, list[tuple[str, str]]]] = {}


def csm_choices(session: Session) -> list[tuple[str, str]]:
    """(email, name) of everyone who owns at least one account (kept a minute, like the
    segments: owners change with imports)."""
    key = str(session.get_bind().engine.url)
    cached = _csms.get(key)
    if cached is not None and time.monotonic() - cached[0] < SEGMENTS_SECONDS:
        return cached[1]
    owners = select(Account.owner_id).where(Account.owner_id.is_not(None)).distinct()
    found = [
        (email, name)
        for email, name in session.execute(
            select(User.email, User.name).where(User.id.in_(owners)).order_by(User.name)
        )
    ]
    _csms[key] = (time.monotonic(), found)
    return found
