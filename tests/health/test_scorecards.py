"""Scorecards as TOML: the documented shape loads as it is; mistakes name file, line and key."""

from __future__ import annotations

import pytest

from tenure.health.scorecards import (
    Scorecard,
    default_source,
    parse_scorecard,
    pick,
    unknown_metrics,
)
from tenure.kit.errors import TenureError
from tenure.kit.toml_lines import key_lines
from tests.scorecards import ISSUE_SCORECARD


def refused(text: str, file: str = "card.toml") -> list[str]:
    with pytest.raises(TenureError) as caught:
        parse_scorecard(text, file)
    assert caught.value.message == f"{file}: scorecard refused"
    return caught.value.problems


def test_the_issue_example_loads_as_it_is():
    loaded = parse_scorecard(ISSUE_SCORECARD, "enterprise.toml")
    card = loaded.scorecard
    assert loaded.notes == []
    assert card.name == "enterprise"
    assert [(c.key, c.weight) for c in card.components] == [
        ("product", 0.5),
        ("satisfaction", 0.25),
        ("support", 0.125),
        ("sponsorship", 0.125),
    ]
    assert (card.bands.red, card.bands.amber) == (50, 74)
    assert (card.renewal_bands.red, card.renewal_bands.amber) == (3, 6)
    assert (card.trend.window_days, card.trend.threshold) == (30, 5)
    measure = card.components[0].measures[0]
    assert (measure.metric, measure.method, measure.window_days) == (
        "product_score",
        "identity",
        30,
    )
    assert Scorecard.from_dict(card.to_dict()) == card


def test_the_shipped_enterprise_scorecard():
    card = parse_scorecard(default_source(), "enterprise.toml").scorecard
    weights = {c.key: c.weight for c in card.components}
    assert weights == {"product": 0.5, "satisfaction": 0.25, "support": 0.125, "sponsorship": 0.125}
    metrics = {c.key: [m.metric for m in c.measures] for c in card.components}
    assert metrics["product"] == [
        "logins_per_user_28d",
        "active_users_28d",
        "features_used_28d",
        "dau_mau",
    ]
    assert metrics["satisfaction"] == ["nps_latest", "csat_latest"]
    assert metrics["support"] == ["tickets_closed_48h_share_90d", "help_to_problem_ratio_90d"]
    assert metrics["sponsorship"] == ["sponsor_seniority"]
    assert card.applies_to.specificity == 0


def test_every_method_and_its_options():
    text = """
name = "smb"
description = "Small clients"
priority = 2
[applies_to]
tier = ["paid", "trial"]
segment = "smb"
[renewal_bands]
red = 2
amber = 5
[[components]]
key = "usage"
label = "Usage"
weight = 1
  [[components.measures]]
  metric = "days_since_login"
  method = "linear"
  floor = 0
  target = 30
  invert = true
  window_days = 7
  weight = 3
  [[components.measures]]
  metric = "nps_latest"
  method = "steps"
  steps = [[0, 0], [7, 50], [9, 100]]
  weight = 1
  [[components.measures]]
  metric = "active_users_28d"
  method = "percentile"
  invert = false
"""
    loaded = parse_scorecard(text, "smb.toml")
    card = loaded.scorecard
    assert card.applies_to.tier == ("paid", "trial")
    assert card.applies_to.segment == ("smb",)
    linear, steps, percentile = card.components[0].measures
    assert (linear.floor, linear.target, linear.invert, linear.window_days) == (0, 30, True, 7)
    assert steps.steps == ((0, 0), (7, 50), (9, 100))
    assert percentile.method == "percentile"
    assert [m.weight for m in card.components[0].measures] == [0.6, 0.2, 0.2]
    assert loaded.notes == [
        "components[usage]: measure weights add up to 5, not 1: normalised to "
        "days_since_login 0.6, nps_latest 0.2, active_users_28d 0.2"
    ]


def test_weights_that_do_not_add_up_are_normalised_and_said_so():
    text = ISSUE_SCORECARD.replace("weight = 0.5", "weight = 0.4")
    loaded = parse_scorecard(text, "e.toml")
    assert loaded.notes == [
        "component weights add up to 0.9, not 1: normalised to product 0.4444, "
        "satisfaction 0.2778, support 0.1389, sponsorship 0.1389"
    ]
    assert sum(c.weight for c in loaded.scorecard.components) == pytest.approx(1)


def test_mistakes_name_the_file_the_line_and_the_key():
    text = ISSUE_SCORECARD.replace('method = "identity"', 'method = "linaer"', 1).replace(
        "weight = 0.25", "weight = -0.25"
    )
    problems = refused(text)
    assert problems == [
        "card.toml:13: components[product].measures[product_score].method: 'linaer' is not a "
        "method; use one of identity, linear, steps, percentile",
        "card.toml:16: components[satisfaction].weight: -0.25 is below 0",
    ]


def test_bad_toml_names_the_line():
    text = ISSUE_SCORECARD.replace("threshold = 5", "threshold = = 5")
    assert refused(text) == ["card.toml:7: threshold: Invalid value (bad TOML)"]


def test_a_key_defined_twice_names_its_line():
    text = ISSUE_SCORECARD.replace("amber = 74", "amber = 74\nred = 40")
    assert refused(text) == ["card.toml:5: red: Cannot overwrite a value (bad TOML)"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            (
                'metric = "support_score"\n  method = "identity"',
                'metric = "support_score"\n  method = "linear"\n  floor = 10\n  target = 5',
            ),
            "card.toml:27: components[support].measures[support_score].target: 5 must be above "
            "floor (10); for lower-is-better set invert = true",
        ),
        (
            (
                'metric = "support_score"\n  method = "identity"',
                'metric = "support_score"\n  method = "linear"',
            ),
            "card.toml:23: components[support].measures[support_score].floor: missing\n"
            "card.toml:23: components[support].measures[support_score].target: missing",
        ),
        (
            (
                'metric = "support_score"\n  method = "identity"',
                'metric = "support_score"\n  method = "steps"\n  steps = [[5, 10], [1, 50]]',
            ),
            "card.toml:26: components[support].measures[support_score].steps: [1, 50]: values "
            "must rise from one step to the next",
        ),
        (
            (
                'metric = "support_score"\n  method = "identity"',
                'metric = "support_score"\n  method = "identity"\n  tagret = 3',
            ),
            "card.toml:26: components[support].measures[support_score].tagret: unknown key; "
            "expected one of metric, method, label, weight, window_days, floor, target, invert, "
            "steps",
        ),
        (
            (
                'metric = "support_score"\n  method = "identity"',
                'metric = "support_score"\n  method = "identity"\n  floor = 3',
            ),
            "card.toml:26: components[support].measures[support_score].floor: not used by "
            "method 'identity'",
        ),
        (
            ('metric = "support_score"', 'metric = "Support Score"'),
            "card.toml:24: components[support].measures[Support Score].metric: a metric name is "
            "snake_case: lower-case letters, digits and _ (e.g. logins_28d)",
        ),
        (
            ("amber = 74", "amber = 40"),
            "card.toml:4: bands.amber: 40 must be above red (50)",
        ),
        (
            ('key = "support"', 'key = "product"'),
            "card.toml:21: components[product].key: 'product' appears twice",
        ),
        (
            ("window_days = 30", "window_days = 0"),
            "card.toml:6: trend.window_days: 0 is below 1",
        ),
        (
            ('name = "enterprise"', 'name = "Enterprise Plan"'),
            "card.toml:1: name: 'Enterprise Plan': use lower-case letters, digits, - and _",
        ),
    ],
)
def test_each_kind_of_mistake(change, problem):
    old, new = change
    assert old in ISSUE_SCORECARD
    assert refused(ISSUE_SCORECARD.replace(old, new, 1)) == problem.split("\n")


def test_a_scorecard_needs_components_and_measures():
    assert refused('name = "x"') == [
        "card.toml: components: needs at least one [[components]] table"
    ]
    assert refused('name = "x"\n[[components]]\nkey = "a"\nweight = 1\n') == [
        "card.toml:2: components[a].measures: needs at least one [[components.measures]]"
    ]


def test_unknown_metrics_are_named():
    card = parse_scorecard(ISSUE_SCORECARD).scorecard
    assert unknown_metrics(card, {"product_score", "support_score"}) == [
        "satisfaction_score",
        "sponsorship_score",
    ]


def test_the_most_specific_rule_picks_the_scorecard():
    def card(name: str, rule: str, priority: int = 0) -> Scorecard:
        text = ISSUE_SCORECARD.replace(
            'name = "enterprise"', f'name = "{name}"\npriority = {priority}\n{rule}'
        )
        return parse_scorecard(text).scorecard

    fallback = card("default", "")
    smb = card("smb", '[applies_to]\nsegment = ["smb"]')
    smb_trial = card("smb-trial", '[applies_to]\nsegment = ["smb"]\ntier = ["trial"]')
    onboarding = card("onboarding", '[applies_to]\nlifecycle_stage = ["onboarding"]', priority=5)
    cards = [smb_trial, fallback, smb, onboarding]
    assert pick(cards, "paid", "enterprise", None) is fallback
    assert pick(cards, "paid", "smb", None) is smb
    assert pick(cards, "trial", "smb", "onboarding") is smb_trial
    assert pick(cards, "paid", "mid", "onboarding") is onboarding
    assert pick([smb], "paid", "enterprise", None) is None


def test_key_lines_follow_arrays_of_tables():
    lines = key_lines(ISSUE_SCORECARD)
    assert lines[("components", 0, "measures", 0, "method")] == 13
    assert lines[("components", 3, "weight")] == 28
    assert lines[("trend", "threshold")] == 7
