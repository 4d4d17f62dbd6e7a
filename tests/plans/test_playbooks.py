"""Playbook libraries: the default one, the format, and mistakes named by file, line and key."""

from __future__ import annotations

from datetime import date

import pytest

from tenure.kit.errors import TenureError
from tenure.plans.playbooks import (
    CATEGORIES,
    default_library,
    default_source,
    parse_library,
    parse_rule,
)
from tenure.plans.signals import AccountFacts, Signal

ACTIVITY = """
[activities.call]
prefix = "CALL"
category = "retention"
description = "A call"
purpose = "Why"
results = "What"
measurement = "How"
hours = 2
"""


def test_the_default_library_covers_every_situation_the_issue_names():
    library = default_library()
    triggers = {spec for p in library.playbooks for spec in p.when}
    for wanted in (
        "renewal_in_quarter",
        "renewal_at_risk",
        "red_health",
        "weak_component:product",
        "data_gap:satisfaction",
        "weak_sponsor",
        "expansion_candidate",
        "advocate_candidate",
        "support_problems",
        "feature_requests",
        "lookalike",
    ):
        assert wanted in triggers, wanted
    assert len(library.onboarding) == 1
    used = {a.category for a in library.activities.values()}
    assert used == set(CATEGORIES)
    for activity in library.activities.values():
        assert activity.description
        assert activity.purpose
        assert activity.results
        assert activity.measurement
        assert activity.hours > 0
    # Hand-offs stay in their lane.
    assert "support team" in library.activities["support_review"].description
    assert "account executive" in library.activities["sales_hand_off"].description
    assert "product" in library.activities["feature_requests_to_product"].description
    assert "case study" in library.activities["case_study_request"].description.lower()
    assert "survey" in library.activities["satisfaction_survey"].description.lower()


def test_deadline_rules():
    qs, qe, renewal, start = date(2027, 1, 4), date(2027, 4, 4), date(2027, 3, 1), date(2027, 2, 1)
    cases = {
        "45 days before renewal": date(2027, 1, 15),
        "before renewal": date(2027, 2, 28),
        "end of quarter": qe,
        "2 weeks before end of quarter": date(2027, 3, 21),
        "14 days after start": date(2027, 2, 15),
        "1 week after quarter start": date(2027, 1, 11),
    }
    for text, expected in cases.items():
        assert parse_rule(text).resolve(qs, qe, renewal, start) == expected, text
    assert parse_rule("30 days before renewal").resolve(qs, qe, None, start) is None
    with pytest.raises(ValueError, match="not a date rule"):
        parse_rule("soon")


def test_a_playbook_naming_an_unknown_activity_is_refused_with_its_line():
    text = ACTIVITY + '\n[[playbooks]]\nkey = "p"\nwhen = ["red_health"]\nactivities = ["cal"]\n'
    with pytest.raises(TenureError) as caught:
        parse_library(text, "mine.toml")
    assert caught.value.message == "mine.toml: playbooks refused"
    assert caught.value.problems == [
        "mine.toml:14: playbooks[0].activities: 'cal': no such activity in [activities] "
        "(known activities: call)"
    ]


def test_every_mistake_is_named_by_file_line_and_key():
    text = """\
[priorities]
retention = "high"

[activities.call]
prefix = "call"
category = "sales"
description = "A call"
purpose = "Why"
results = "What"
measurement = "How"
hours = -1
deadline = "soon"
depends_on = ["meeting"]
colour = "red"

[[playbooks]]
key = "p"
when = ["angry_client"]
activities = ["call"]
"""
    with pytest.raises(TenureError) as caught:
        parse_library(text, "bad.toml")
    assert caught.value.problems == [
        "bad.toml:2: priorities.retention: 'high' is not a number",
        "bad.toml:14: activities.call.colour: unknown key; expected one of prefix, category, "
        "description, purpose, results, measurement, hours, deadline, earliest, depends_on, "
        "notes, addresses",
        "bad.toml:5: activities.call.prefix: 'call': 2-8 capital letters or digits",
        "bad.toml:6: activities.call.category: 'sales': one of retention, expansion, advocacy, "
        "adoption, onboarding, data",
        "bad.toml:12: activities.call.deadline: 'soon' is not a date rule; write e.g. '45 days "
        "before renewal', 'end of quarter', '2 weeks after start' or 'before renewal'",
        "bad.toml:11: activities.call.hours: -1 must be above 0",
        "bad.toml:13: activities.call.depends_on: 'meeting': no such activity (known "
        "activities: call)",
        "bad.toml:18: playbooks[0].when: 'angry_client': no such signal (signals: "
        "renewal_in_quarter, renewal_at_risk, weak_component, data_gap, weak_sponsor, "
        "expansion_candidate, advocate_candidate, lookalike, red_health, falling_health, "
        "support_problems, feature_requests)",
    ]


def test_bad_toml_names_the_line():
    with pytest.raises(TenureError) as caught:
        parse_library('[activities.call]\nprefix = "CALL\n', "broken.toml")
    assert caught.value.problems[0].startswith("broken.toml:2:")
    assert caught.value.problems[0].endswith("(bad TOML)")


def test_circular_dependencies_are_refused():
    text = ACTIVITY.replace("hours = 2", 'hours = 2\ndepends_on = ["meet"]') + (
        ACTIVITY.replace("call", "meet")
        .replace("CALL", "MEET")
        .replace("hours = 2", 'hours = 2\ndepends_on = ["call"]')
    )
    with pytest.raises(TenureError) as caught:
        parse_library(text, "loop.toml")
    assert any("circular dependency: call -> meet -> call" in p for p in caught.value.problems)


def test_a_playbook_needs_a_trigger():
    with pytest.raises(TenureError) as caught:
        parse_library(ACTIVITY + '[[playbooks]]\nkey = "p"\nactivities = ["call"]\n', "t.toml")
    assert caught.value.problems == [
        "t.toml:10: playbooks[0]: needs a trigger: `when` (signals) or `where` (account fields)"
    ]


def test_triggers_over_signals_and_account_fields():
    text = (
        ACTIVITY
        + """
[[playbooks]]
key = "big_red"
when = ["red_health", "weak_component:product"]
unless = ["renewal_in_quarter"]
where = { tier = ["paid"], min_arr = 100000 }
activities = ["call"]
"""
    )
    playbook = parse_library(text, "t.toml").playbooks[0]
    red = [Signal("red_health", "health 30"), Signal("weak_component", "x", subject="support")]
    big = AccountFacts("a", tier="paid", arr=200_000)
    assert playbook.answers(big, red) == ["red_health"]
    assert playbook.answers(AccountFacts("b", tier="paid", arr=50_000), red) is None
    assert playbook.answers(AccountFacts("c", tier="free", arr=500_000), red) is None
    assert playbook.answers(big, [Signal("weak_component", "x", subject="product")]) == [
        "weak_component"
    ]
    assert playbook.answers(big, [*red, Signal("renewal_in_quarter", "soon")]) is None
    assert playbook.answers(big, [Signal("falling_health", "down")]) is None


def test_signal_thresholds_come_from_the_library():
    text = "[signals]\nweak_component_below = 60\nadvocate_years_from = 2\n" + ACTIVITY
    library = parse_library(text, "t.toml")
    assert library.rules.weak_component_below == 60
    assert library.rules.advocate_years_from == 2
    with pytest.raises(TenureError, match="unknown key"):
        parse_library("[signals]\nweak_below = 60\n", "t.toml")


def test_the_default_source_is_the_shipped_file():
    assert "[[playbooks]]" in default_source()
    assert default_library().file.startswith("default_playbooks.toml")
