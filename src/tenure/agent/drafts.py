"""Message templates for the agent's drafts: the fallback whenever no language model is
set, or its text is refused. A template states facts the account's own data shows; it never
names a price or promises a feature (the hard boundaries check that anyway). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from tenure.agent.triggers import Trigger


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


def template(trigger: Trigger, account: str) -> Draft:
    """Subject and body; the outbox's note template adds the greeting and the CSM's name."""
    evidence = "\n".join(f"- {line}" for line in trigger.evidence)
    if trigger.kind == "detractor":
        return Draft(
            f"Your feedback on {account}'s use of our service",
            "Thank you for answering our survey. Your answer tells us we are not "
            "doing well enough for you, and I would like to understand why.\n\nCould we "
            "take 20 minutes this week or next? Tell me what went wrong and what would "
            "make the biggest difference for your team.",
        )
    if trigger.kind == "paid_like_free":
        return Draft(
            f"What {account} is getting out of the product",
            "Your team uses the product as much as many of our paying clients. "
            f"Here is what your own usage shows:\n{evidence}\n\nThe statistics your usage "
            "produces are already collected for you. I would be glad to walk you through "
            "them and what they could tell your team.",
        )
    return Draft(
        f"{account}: a quick check-in",
        f"I would like to check in on how things are going.\n\n{evidence}",
    )
