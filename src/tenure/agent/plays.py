"""From triggers to the actions the agent proposes: a task made from a playbook activity, a
draft, a hand-off or a survey, each with its idempotency key (account, play, window). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenure.agent.drafts import Draft, template
from tenure.agent.triggers import Trigger

# The mandate's action each kind of action is decided by.
DECIDED_BY = {
    "task": "create_task",
    "draft": "draft_message",
    "survey": "schedule_survey",
    "handoff_support": "handoff_support",
    "handoff_sales": "handoff_sales",
    "handoff_product": "handoff_product",
}
HANDOFFS = {
    "support_problems": ("handoff_support", "support"),
    "feature_requests": ("handoff_product", "product"),
}
DRAFTED = ("detractor", "paid_like_free")


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class Proposal:
    kind: str
    play: str
    key: str
    trigger: Trigger
    rule: str
    activity: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return DECIDED_BY[self.kind]


def propose(
    account: str,
    name: str,
    trigger: Trigger,
    plays: Mapping[str, str],
    recipient: Recipient | None,
    sponsors: Sequence[str] = (),
) -> list[Proposal]:
    """What the agent does about one trigger. A missing survey is a task for the CSM and,
    when the account has sponsors with an email, a survey campaign for them (`sponsors`)."""

    def make(kind: str, rule: str, activity: str | None = None, **payload: Any) -> Proposal:
        play = f"{trigger.kind}.{kind}"
        return Proposal(
            kind,
            play,
            f"{account}:{play}:{trigger.window}",
            trigger,
            rule,
            activity,
            payload,
        )

    out: list[Proposal] = []
    activity = plays.get(trigger.kind)
    if trigger.kind in HANDOFFS:
        kind, team = HANDOFFS[trigger.kind]
        out.append(
            make(
                kind,
                f"hard boundary: {trigger.kind} goes to {team}",
                team=team,
                summary=f"{name}: {'; '.join(trigger.evidence)}",
            )
        )
        return out
    if activity:
        out.append(make("task", f"plays.{trigger.kind} = {activity}", activity))
    if trigger.kind in DRAFTED and recipient is not None:
        draft: Draft = template(trigger, name)
        out.append(
            make(
                "draft",
                f"{trigger.kind}: draft to the client",
                to=recipient.email,
                to_name=recipient.name,
                subject=draft.subject,
                body=draft.body,
            )
        )
    if trigger.kind == "survey_missing" and sponsors:
        out.append(
            make(
                "survey",
                "survey_missing: an NPS survey to the account's sponsors",
                to=sorted(sponsors),
            )
        )
    if trigger.kind == "paid_like_free":
        out.append(
            make(
                "handoff_sales",
                "qualified expansion goes to sales, with its evidence",
                team="sales",
                summary=f"{name}: {'; '.join(trigger.evidence)}",
            )
        )
    return out
