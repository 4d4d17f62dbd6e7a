"""Hard boundaries: what the agent never does, whatever its mandate says.

A CSM does not resolve support tickets, run a new sale or build features: the agent, doing
the CSM's routine, stays in the same lane. Each boundary is checked where the action happens
(`check_action`, `check_text`, `check_recipient`), not only when a mandate is read, so no
configuration, playbook or language model output can lift it. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from tenure.kit.errors import TenureError

# What the agent may do at all; every other action is refused.
KINDS = ("task", "draft", "survey", "handoff_support", "handoff_sales", "handoff_product")
# The one team each hand-off goes to.
HANDOFF_TEAMS = {
    "handoff_support": "support",
    "handoff_sales": "sales",
    "handoff_product": "product",
}


@dataclass(frozen=True)
class Boundary:
    name: str
    team: str | None  # who it hands the matter to instead
    why: str


BOUNDARIES = {
    b.name: b
    for b in (
        Boundary(
            "close_ticket", "support", "never closes a support ticket: it hands it to support"
        ),
        Boundary(
            "answer_ticket", "support", "never answers a support ticket: it hands it to support"
        ),
        Boundary("open_deal", "sales", "never opens a new-logo deal: it hands expansion to sales"),
        Boundary("quote_price", "sales", "never quotes a price: it hands expansion to sales"),
        Boundary(
            "change_product_config",
            "product",
            "never changes the product's configuration: it hands the request to product",
        ),
        Boundary(
            "promise_feature",
            "product",
            "never promises a feature: it hands the request to product",
        ),
        Boundary("send_to_opted_out", None, "never sends to a contact who opted out"),
    )
}

# A price: an amount of money, a discount, or a price being named.
_PRICE = re.compile(
    r"(?:[$€£¥]\s?\d)|(?:\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars?|euros?)\b)"
    r"|(?:\b\d+\s?%\s?(?:off|discount)\b)|(?:\bdiscount\b)|(?:\bpric(?:e|es|ing)\s+(?:is|of|at|will)\b)",
    re.IGNORECASE,
)
# A promise that the product will change.
_PROMISE = re.compile(
    r"\b(?:we(?:'ll| will| are going to| shall)\s+(?:build|add|ship|deliver|release|implement)"
    r"|coming soon|on (?:our|the) roadmap for|we promise"
    r"|guarantee(?:d)? (?:that )?(?:the )?feature)\b",
    re.IGNORECASE,
)


class BoundaryError(TenureError):
    """An action that would cross a hard boundary; `boundary` names which."""

    def __init__(self, boundary: str, detail: str = ""):
        found = BOUNDARIES[boundary]
        super().__init__(
            f"hard boundary: the agent {found.why}" + (f" ({detail})" if detail else ""), 403
        )
        self.boundary = boundary


def check_action(kind: str) -> None:
    """Refuse any action but the agent's own kinds; a boundary's name says which it is."""
    if kind in BOUNDARIES:
        raise BoundaryError(kind)
    if kind not in KINDS:
        raise TenureError(f"the agent has no action {kind!r} (its actions: {', '.join(KINDS)})")


def text_crossings(text: str) -> list[tuple[str, str]]:
    """The boundaries a message text crosses, each with the words that cross it."""
    found = []
    price = _PRICE.search(text)
    if price:
        found.append(("quote_price", price.group(0)))
    promise = _PROMISE.search(text)
    if promise:
        found.append(("promise_feature", promise.group(0)))
    return found


def check_text(text: str) -> None:
    """Refuse a message text that quotes a price or promises a feature."""
    crossed = text_crossings(text)
    if crossed:
        boundary, words = crossed[0]
        raise BoundaryError(boundary, f"the text says {words!r}")


def check_recipient(email: str | None, opted_out: Collection[str]) -> None:
    """Refuse a message to a contact who opted out (or to nobody)."""
    if email is None:
        raise TenureError("the draft has no recipient")
    if email.lower() in {e.lower() for e in opted_out}:
        raise BoundaryError("send_to_opted_out", email)


def check_handoff(kind: str, team: object, evidence: Collection[str]) -> None:
    """Refuse a hand-off to another team than its own (support problems to support, a
    qualified expansion to sales, feature requests to product), or one without evidence."""
    lane = HANDOFF_TEAMS.get(kind)
    if lane is None:
        raise TenureError(f"{kind!r} is not a hand-off (hand-offs: {', '.join(HANDOFF_TEAMS)})")
    if team is not None and team != lane:
        raise BoundaryError(_BY_TEAM[lane], f"{kind} goes to {lane}, not to {team}")
    if not [e for e in evidence if str(e).strip()]:
        raise TenureError(f"a hand-off to {lane} carries its evidence: this one has none")


# The boundary a hand-off sent to the wrong team would cross.
_BY_TEAM = {"support": "answer_ticket", "sales": "open_deal", "product": "promise_feature"}
