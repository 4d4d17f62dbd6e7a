"""The pure cores: the mandate's checks, the hard boundaries, triggers and plays."""

from __future__ import annotations

from datetime import date

import pytest

from tenure.agent.boundaries import (
    BOUNDARIES,
    BoundaryError,
    check_action,
    check_recipient,
    check_text,
)
from tenure.agent.mandate import TriggerRules, default_mandate, default_source, parse_mandate
from tenure.agent.plays import Recipient, propose
from tenure.agent.triggers import (
    Answer,
    Goal,
    Seen,
    Sponsor,
    detect,
    renewal_window,
    state_of,
)
from tenure.kit.errors import TenureError
from tenure.plans.signals import AccountFacts, Signal

DAY = date(2026, 7, 15)
RULES = TriggerRules()


def test_the_shipped_mandate_is_shadow_mode() -> None:
    mandate = default_mandate()
    assert mandate.shadow
    assert mandate.version == 0
    assert mandate.decision("send_message") == "approve"
    assert mandate.decision("create_task") == "auto"
    assert mandate.plays["renewal_window"] == "renewal_review"


def test_a_mandate_cannot_lift_a_hard_boundary() -> None:
    lines = "\n".join(f'{name} = "auto"' for name in BOUNDARIES)
    text = f'mode = "act"\n[actions]\ncreate_task = "auto"\n{lines}\n'
    with pytest.raises(TenureError) as refused:
        parse_mandate(text, "m.toml")
    problems = refused.value.problems
    assert len(problems) == len(BOUNDARIES)
    for line, name in enumerate(BOUNDARIES, start=4):
        assert any(
            p.startswith(f"m.toml:{line}: actions.{name}: a hard boundary no mandate can lift")
            for p in problems
        ), (name, problems)


def test_every_mistake_of_a_mandate_at_once() -> None:
    text = (
        'mode = "yolo"\n'
        "[actions]\n"
        'create_task = "sometimes"\n'
        'email_everyone = "auto"\n'
        "[limits]\n"
        "messages_per_day = -1\n"
        "[triggers]\n"
        "renewal_windows = []\n"
        "[approvals]\n"
        'on_expiry = "explode"\n'
    )
    with pytest.raises(TenureError) as refused:
        parse_mandate(text, "m.toml")
    assert refused.value.problems == [
        "m.toml:1: mode: 'yolo': one of shadow, act",
        "m.toml:3: actions.create_task: 'sometimes': one of auto, approve, forbid",
        "m.toml:4: actions.email_everyone: unknown action; expected one of create_task, "
        "draft_message, send_message, schedule_survey, handoff_support, handoff_product, "
        "handoff_sales",
        "m.toml:6: limits.messages_per_day: -1 is not a whole number 0 or above",
        "m.toml:10: approvals.on_expiry: 'explode': cancel or keep",
        "m.toml:8: triggers.renewal_windows: []: a list of days above 0",
    ]
    with pytest.raises(TenureError, match=r"m.toml:1: .*\(bad TOML\)"):
        parse_mandate("mode = \n", "m.toml")


def test_boundaries_hold_where_the_action_happens() -> None:
    for name in BOUNDARIES:
        with pytest.raises(BoundaryError) as crossed:
            check_action(name)
        assert crossed.value.boundary == name
    with pytest.raises(TenureError, match="no action 'delete_account'"):
        check_action("delete_account")
    check_action("handoff_sales")
    for text, boundary in (
        ("We can offer it for $4,000 a year.", "quote_price"),
        ("A 20% discount if you renew now.", "quote_price"),
        ("The price is lower than you think.", "quote_price"),
        ("We will build that export for you.", "promise_feature"),
        ("Single sign-on is coming soon.", "promise_feature"),
    ):
        with pytest.raises(BoundaryError) as crossed:
            check_text(text)
        assert crossed.value.boundary == boundary, text
    check_text("Could we take 20 minutes this week to talk about your team's adoption?")
    with pytest.raises(BoundaryError) as crossed:
        check_recipient("Ana@X.com", {"ana@x.com"})
    assert crossed.value.boundary == "send_to_opted_out"
    check_recipient("ben@x.com", {"ana@x.com"})


def test_renewal_windows() -> None:
    renewal = date(2026, 10, 13)  # 90 days after DAY
    assert renewal_window(renewal, DAY, (120, 90, 60, 30)) == 90
    assert renewal_window(renewal, date(2026, 7, 14), (120, 90, 60, 30)) == 120
    assert renewal_window(renewal, date(2026, 9, 13), (120, 90, 60, 30)) == 30
    assert renewal_window(renewal, renewal, (120, 90, 60, 30)) is None
    assert renewal_window(renewal, date(2026, 1, 1), (120, 90, 60, 30)) is None
    assert renewal_window(None, DAY, (120,)) is None


def facts(**values: object) -> AccountFacts:
    base: dict[str, object] = {"external_id": "acme", "name": "Acme", "csm_email": "a@x.com"}
    return AccountFacts(**{**base, **values})  # type: ignore[arg-type]


def kinds(found: list) -> list[str]:
    return [t.kind for t in found]


def test_change_triggers_compare_with_the_previous_run() -> None:
    seen = Seen(facts(health=48, band="red", trend="down", usage={"events_change_8w": -40.0}))
    first = detect(seen, DAY, None, None, RULES)
    assert kinds(first) == ["band_drop", "trend_down", "usage_drop"]
    assert first[0].evidence == ("band red when first seen (health 48 (red))",)
    same = state_of(seen, RULES)
    assert detect(seen, DAY, same, date(2026, 7, 14), RULES) == []
    was = {**same, "band": "amber", "health": 60, "trend": "level", "usage": -10.0}
    again = detect(seen, DAY, was, date(2026, 7, 14), RULES)
    assert kinds(again) == ["band_drop", "trend_down", "usage_drop"]
    assert again[0].evidence == ("band from amber to red (health 48 (red), was 60)",)
    assert again[0].window == DAY.isoformat()


def test_detractors_since_the_last_run() -> None:
    answers = (
        Answer("s1", "ana@x.com", "nps", 4, date(2026, 7, 14), "slow support"),
        Answer("s2", "ben@x.com", "nps", 9, date(2026, 7, 14)),
        Answer("s3", "cid@x.com", "csat", 2, date(2026, 7, 10)),
    )
    found = detect(Seen(facts(), (), answers=answers), DAY, {}, date(2026, 7, 13), RULES)
    assert [(t.kind, t.window, t.contact_email) for t in found] == [
        ("detractor", "s1", "ana@x.com")
    ]
    assert found[0].evidence == ('NPS answer 4 from ana@x.com on 2026-07-14: "slow support"',)


def test_sponsor_gone_idle_and_missing() -> None:
    sponsors = (Sponsor("cfo@x.com", "Carla", date(2026, 6, 1)),)
    seen = Seen(facts(contacts_known=True), (), sponsors=sponsors)
    found = detect(seen, DAY, {"sponsors": ["cfo@x.com", "vp@x.com"]}, date(2026, 7, 14), RULES)
    assert [(t.kind, t.subject) for t in found] == [
        ("sponsor_gone", "vp@x.com"),
        ("sponsor_idle", "cfo@x.com"),
    ]
    none = detect(Seen(facts(contacts_known=True)), DAY, None, None, RULES)
    assert [(t.kind, t.window) for t in none] == [("sponsor_gone", "none")]


def test_first_value_from_goals_or_from_usage() -> None:
    goals = (Goal("goal-1", "first campaign live", date(2026, 7, 1), False),)
    assert kinds(detect(Seen(facts(), goals=goals), DAY, None, None, RULES)) == [
        "first_value_missed"
    ]
    met = (Goal("goal-1", "first campaign live", date(2026, 7, 1), True),)
    assert detect(Seen(facts(), goals=met), DAY, None, None, RULES) == []
    young = Seen(facts(usage={"features_used_28d": 1.0}), customer_since=date(2026, 5, 15))
    assert kinds(detect(young, DAY, None, None, RULES)) == ["first_value_missed"]
    using = Seen(facts(usage={"features_used_28d": 5.0}), customer_since=date(2026, 5, 15))
    assert detect(using, DAY, None, None, RULES) == []
    old = Seen(facts(usage={"features_used_28d": 1.0}), customer_since=date(2024, 5, 15))
    assert detect(old, DAY, None, None, RULES) == []


def test_signal_triggers_once_a_quarter() -> None:
    signals = (
        Signal("expansion_candidate", "free tier used like a paid one (events_28d 900 vs 500)"),
        Signal("lookalike", "usage resembles pilot's (similarity 0.95)", subject="pilot"),
        Signal("data_gap", "no satisfaction data: run a survey", subject="satisfaction"),
        Signal("support_problems", "4 problem tickets open"),
        Signal("feature_requests", "2 feature requests open"),
    )
    found = detect(Seen(facts(tier="free"), signals), DAY, {}, date(2026, 7, 14), RULES)
    assert [(t.kind, t.window) for t in found] == [
        ("paid_like_free", "2026Q3"),
        ("lookalike", "pilot:2026Q3"),
        ("survey_missing", "2026Q3"),
        ("support_problems", "2026Q3"),
        ("feature_requests", "2026Q3"),
    ]


def test_plays_hand_off_what_is_not_the_csms() -> None:
    signals = (
        Signal("expansion_candidate", "free tier used like a paid one (events_28d 900 vs 500)"),
        Signal("support_problems", "4 problem tickets open"),
        Signal("feature_requests", "2 feature requests open"),
        Signal("data_gap", "no satisfaction data: run a survey", subject="satisfaction"),
    )
    found = detect(Seen(facts(tier="free"), signals), DAY, {}, date(2026, 7, 14), RULES)
    plays = default_mandate().plays
    ana = Recipient("Ana Lee", "ana@x.com")
    proposed = {
        t.kind: [(p.kind, p.key) for p in propose("acme", "Acme", t, plays, ana)] for t in found
    }
    assert proposed == {
        "paid_like_free": [
            ("task", "acme:paid_like_free.task:2026Q3"),
            ("draft", "acme:paid_like_free.draft:2026Q3"),
            ("handoff_sales", "acme:paid_like_free.handoff_sales:2026Q3"),
        ],
        "support_problems": [("handoff_support", "acme:support_problems.handoff_support:2026Q3")],
        "feature_requests": [("handoff_product", "acme:feature_requests.handoff_product:2026Q3")],
        "survey_missing": [("task", "acme:survey_missing.task:2026Q3")],
    }
    draft = propose("acme", "Acme", found[0], plays, ana)[1]
    check_text(draft.payload["subject"] + "\n" + draft.payload["body"])
    assert draft.payload["to"] == "ana@x.com"
    assert draft.payload["to_name"] == "Ana Lee"


def test_the_shipped_mandate_parses_as_shipped() -> None:
    assert parse_mandate(default_source(), "x").actions == default_mandate().actions
