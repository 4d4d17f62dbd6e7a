"""Success goals: progress from a metric or recorded by the CSM, milestones (the first is the
first-value milestone), through the CLI (the API and the account page: tests/web)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.goals.progress import days_to_first_value, on_track, share_done
from tests.conftest import Book, Cli


@given(st.floats(-1e6, 1e6), st.one_of(st.none(), st.floats(-1e6, 1e6)), st.floats(-1e6, 1e6))
def test_progress_is_a_share_between_zero_and_one(value, baseline, target):
    share = share_done(value, baseline, target)
    assert share is not None
    assert 0.0 <= share <= 1.0
    start = baseline if baseline is not None else 0.0
    if target != start and abs(target - start) > 1e-9:
        reference = min(max((value - start) / (target - start), 0.0), 1.0)
        assert share == pytest.approx(reference)


def test_progress_down_towards_a_lower_target_and_on_track():
    assert share_done(20, 30, 14) == pytest.approx(10 / 16)
    assert share_done(None, 30, 14) is None
    assert share_done(10, 30, 14) == 1.0
    start, due = date(2026, 1, 1), date(2026, 12, 31)
    assert on_track(0.6, start, due, date(2026, 6, 1)) == "on track"
    assert on_track(0.2, start, due, date(2026, 6, 1)) == "behind"
    assert on_track(0.2, start, due, date(2027, 1, 2)) == "overdue"
    assert on_track(None, start, due, date(2026, 6, 1)) == "no data"
    assert on_track(1.0, start, due, date(2027, 6, 1)) == "achieved"
    assert days_to_first_value(date(2026, 1, 1), date(2026, 2, 15)) == 45
    assert days_to_first_value(None, date(2026, 2, 15)) is None


def test_goals_from_the_cli(initialised: Cli, book: Book):
    cli = initialised
    book.load(cli)
    made = cli(
        "goals",
        "add",
        "acme",
        "--title",
        "Save 2 hours a week per sales rep",
        "--measure",
        "Hours saved per rep per week",
        "--target",
        "2",
        "--unit",
        "hours",
        "--due",
        "2027-06-30",
        "--milestone",
        "First report automated@2026-12-15",
        "--milestone",
        "Every team on reports",
        "--format",
        "json",
    ).json()
    goal = made[0]["id"]
    by_metric = cli(
        "goals",
        "add",
        "acme",
        "--title",
        "More logins",
        "--metric",
        "logins_28d",
        "--baseline",
        "50",
        "--target",
        "150",
        "--due",
        "2027-03-31",
        "--format",
        "json",
    ).json()[0]
    # Read from the metrics series: 95 on 2026-11-20, 45% of the way from 50 to 150.
    listed = cli("goals", "list", "acme", "--as-of", "2026-11-25", "--format", "json").json()
    metric_goal = next(g for g in listed if g["id"] == by_metric["id"])
    assert metric_goal["current"] == 95
    assert metric_goal["source"] == "metric"
    assert metric_goal["progress"] == pytest.approx(0.45)

    cli("goals", "progress", str(goal), "1.5", "--on", "2026-11-20", "--note", "rep survey")
    cli("goals", "milestone", str(goal), "1", "--reached", "2026-11-10")
    listed = cli("goals", "list", "acme", "--as-of", "2026-11-25", "--format", "json").json()
    first = next(g for g in listed if g["id"] == goal)
    assert (first["current"], first["source"]) == (1.5, "csm")
    assert first["progress"] == pytest.approx(0.75)
    assert first["milestones"] == "1/2"
    # Before the reading there was none.
    earlier = cli("goals", "list", "acme", "--as-of", "2026-11-19", "--format", "json").json()
    assert next(g for g in earlier if g["id"] == goal)["current"] is None

    first_value = cli("goals", "first-value", "--format", "json").json()
    assert first_value == [
        {
            "account_external_id": "acme",
            "name": "Acme Corp",
            "customer_since": "2023-02-01",
            "milestone": "First report automated",
            "reached_on": "2026-11-10",
            "days_to_first_value": (date(2026, 11, 10) - date(2023, 2, 1)).days,
        }
    ]

    # A metric goal takes no hand-made readings; bad input is named.
    refused = cli("goals", "progress", str(by_metric["id"]), "3", ok=False)
    assert refused.code == 1
    assert "reads its progress from metric 'logins_28d'" in refused.stderr
    bad = cli(
        "goals",
        "add",
        "acme",
        "--title",
        "X",
        "--target",
        "1",
        "--due",
        "2027-01-01",
        "--metric",
        "Not A Metric",
        ok=False,
    )
    assert "metric: 'Not A Metric': a metric name is snake_case" in bad.stderr
    assert "no milestone 5" in cli("goals", "milestone", str(goal), "5", ok=False).stderr
    assert "no goal with id 999" in cli("goals", "progress", "999", "1", ok=False).stderr
    cli("goals", "status", str(goal), "achieved")
    done = cli("goals", "list", "acme", "--format", "json").json()
    assert next(g for g in done if g["id"] == goal)["track"] == "achieved"
