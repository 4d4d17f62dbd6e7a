"""Incidents (pure): who was affected, in which order to call them, the internal brief.

An incident's audience is an event query over a window ("redirects between 14:05 and
14:40"): every client with matching events in it, with its own count. Clients are ranked by
ARR (largest first), then tier (paid, trial, free), then their count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

TIER_ORDER = {"paid": 0, "trial": 1, "free": 2}


@dataclass(frozen=True)
class Affected:
    account_external_id: str
    name: str
    tier: str
    arr: float
    currency: str
    csm_email: str | None
    count: int
    users: int
    first_at: datetime
    last_at: datetime
    open_tickets: int = 0
    sponsor: str | None = None  # "Name <email>" of the executive sponsor, when known
    contacts: int = 0


@dataclass(frozen=True)
class Incident:
    start: datetime
    end: datetime
    what: str  # what the counts count, e.g. "redirects"
    summary: str  # what happened, e.g. "redirects were slow"
    event: str | None = None
    where: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The batch of its notices: one incident, one frozen audience."""
        match = ",".join(f"{k}={v}" for k, v in sorted(self.where.items()))
        return (
            f"incident:{self.start:%Y-%m-%dT%H:%M}/{self.end:%Y-%m-%dT%H:%M}:"
            f"{self.event or 'all'}:{match}"
        )[:200]


def ranked(affected: list[Affected]) -> list[Affected]:
    return sorted(
        affected,
        key=lambda a: (-a.arr, TIER_ORDER.get(a.tier, 9), -a.count, a.account_external_id),
    )


def _money(value: float, currency: str) -> str:
    return f"{value:,.0f} {currency}".strip()


def brief_markdown(incident: Incident, affected: list[Affected], currency: str) -> str:
    """The internal brief: affected clients, ARR at risk, who should call whom, tickets."""
    total = sum(a.count for a in affected)
    arr = sum(a.arr for a in affected)
    lines = [
        f"# Incident {incident.start:%Y-%m-%d %H:%M} to {incident.end:%Y-%m-%d %H:%M} UTC",
        "",
        f"{incident.summary[:1].upper()}{incident.summary[1:]}.",
        "",
        f"- Affected clients: {len(affected)} ({sum(1 for a in affected if a.arr > 0)} paying)",
        f"- {incident.what.capitalize()} in the window: {total:,}",
        f"- ARR at risk: {_money(arr, currency)}",
        f"- Open tickets of affected clients: {sum(a.open_tickets for a in affected)}",
        "",
        "## Affected clients, by ARR",
        "",
        f"| # | client | tier | ARR | {incident.what} | users | open tickets | CSM |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rank, a in enumerate(affected, 1):
        lines.append(
            f"| {rank} | {_cell(a.name)} ({_cell(a.account_external_id)}) | {a.tier} | "
            f"{_money(a.arr, a.currency)} | {a.count:,} | {a.users:,} | {a.open_tickets} | "
            f"{_cell(a.csm_email or 'no CSM')} |"
        )
    calls = [a for a in affected if a.arr > 0]
    lines += ["", "## Who should call whom", ""]
    if not calls:
        lines.append("No paying client was affected: the notices are enough.")
    for a in calls:
        whom = a.sponsor or "the client's main contact"
        lines.append(
            f"- {_cell(a.csm_email or 'a CSM (none assigned)')} calls {_cell(whom)} at "
            f"{_cell(a.name)}: {a.count:,} {incident.what}"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    # Data must never break the table (or the brief's Markdown) it sits in.
    return text.replace("|", "\\|").replace("\n", " ")
