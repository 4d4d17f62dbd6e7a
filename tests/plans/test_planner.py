"""The planner core on the "Checked by" book, and its rules: steps, urgency, re-planning with
done tasks, required work that does not fit."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.kit.errors import TenureError
from tenure.plans.planner import NewClient, PlannedActivity, PlanRequest, plan_quarter
from tenure.plans.playbooks import default_library, parse_library
from tenure.plans.signals import AccountFacts, compute_signals
from tests.plans.enterprise import (
    BOOK,
    BY_ID,
    DATA_GAPS,
    HAPPY,
    QUARTER_START,
    RED,
    RENEWING,
    check_plan,
)

NEW = [NewClient(f"NEW-{i}", f"new client {i}", QUARTER_START) for i in range(1, 6)]


def plan_book(count: int | None = 25, **options: object):
    library = default_library()
    facts = [client.facts() for client in BOOK]
    found = compute_signals(facts, QUARTER_START, QUARTER_START, library.rules)
    options.setdefault("new_clients", NEW)
    request = PlanRequest(quarter_start=QUARTER_START, count=count, **options)  # type: ignore[arg-type]
    return plan_quarter(facts, found, library, request)


def test_the_book_is_what_the_issue_describes():
    assert len(BOOK) == 15
    assert RED == {"alpha", "bravo", "lima"}
    assert RENEWING == {"alpha", "charlie", "kilo", "november"}
    assert DATA_GAPS == {"delta"}
    assert HAPPY == {"echo", "foxtrot", "mike"}


def test_count_25_gives_what_a_good_csm_would_do():
    plan = plan_book(25)
    check_plan(plan.parts())
    assert len(plan.activities) == 25
    assert plan.solver.status == "optimal"
    # Retention first: nothing but retention and data work is dropped for expansion/advocacy.
    kept = {a.category for a in plan.activities}
    assert "retention" in kept
    left = [x for x in plan.left_out if x.category == "retention"]
    assert left == [] or all(x.why in ("lower priority", "capacity", "dependency") for x in left)
    # Left out as worth less: either more of the same for an account the plan already serves
    # (coverage before depth), or worth less than every activity kept on its own value alone.
    plain = [a.value for a in plan.activities if "; covers" not in a.why and "mix" not in a.why]
    for x in plan.left_out:
        if x.why == "lower priority":
            assert "already has" in x.reason or x.value <= min(plain) + 1e-9, x


def test_without_a_count_it_fills_the_hours_and_asks_only_happy_clients():
    plan = plan_book(None)
    check_plan(plan.parts())
    categories = [a.category for a in plan.activities]
    assert len(plan.activities) > 25
    assert "advocacy" in categories
    assert "expansion" in categories
    assert {a.client for a in plan.activities if a.category == "advocacy"} <= HAPPY
    assert plan.solver.objective >= plan.solver.greedy_objective - 1e-6


def test_left_out_says_why():
    plan = plan_book(10)
    assert len(plan.activities) == 10
    reasons = {x.why for x in plan.left_out}
    assert "lower priority" in reasons
    for x in plan.left_out:
        assert x.reason
        if x.why == "dependency":
            assert "needs" in x.reason


def test_same_inputs_same_plan():
    first = plan_book(25).parts()
    second = plan_book(25).parts()
    assert first == second


def test_an_urgent_activity_goes_first_and_never_past_the_renewal():
    plan = plan_book(25)
    alpha = [a for a in plan.activities if a.client == "alpha"]
    # Alpha renews 40 days in: "60 days before renewal" has passed already.
    review = next(a for a in alpha if a.reference == "RNW-alpha")
    assert review.urgent
    assert review.start == QUARTER_START
    assert review.notes.startswith("URGENT")
    assert all(a.start + timedelta(days=6) < BY_ID["alpha"].renewal for a in alpha)


def test_more_onboarding_than_hours_is_refused_clearly():
    with pytest.raises(TenureError) as caught:
        plan_book(25, existing_share=0.9)
    message = str(caught.value)
    assert "more required work than hours" in message
    assert "--new-clients" in message


def test_a_client_starting_late_in_the_quarter_is_onboarded_now_and_next_quarter():
    """A client whose contract starts in the quarter's last days: the onboarding it may start
    now is planned, what may start only after the quarter (and what follows it) is left for
    next quarter's plan with a note, and the plan is made, not refused."""
    quarter_end = QUARTER_START + timedelta(weeks=13) - timedelta(days=1)
    last_week = QUARTER_START + timedelta(weeks=12)
    late = NewClient("LATE", "a client starting in the last week", last_week)
    library = default_library()
    plan = plan_book(25, new_clients=[late])
    planned = [a for a in plan.onboarding if a.client == "LATE"]
    assert planned  # the kick-off and what may start before the quarter ends
    assert all(last_week <= a.start <= quarter_end for a in planned)
    later = [n for n in plan.notes if n.startswith("next quarter: ") and "LATE" in n]
    assert later
    held = {a.activity for a in planned}
    wanted = {key for p in library.onboarding for key in p.activities}
    for key in wanted - held:  # every onboarding activity is planned or named for later
        assert any(f"({key} for LATE)" in n for n in later)


def test_an_activity_longer_than_a_week_is_split_into_steps():
    library = parse_library(
        """
[activities.big_review]
prefix = "BIG"
category = "retention"
description = "A long on-site review"
purpose = "p"
results = "r"
measurement = "m"
hours = 30
[[playbooks]]
key = "red"
when = ["red_health"]
activities = ["big_review"]
""",
        "big.toml",
    )
    facts = [AccountFacts("acme", health=30, band="red", components={"product": 30})]
    found = compute_signals(facts, QUARTER_START, QUARTER_START, library.rules)
    plan = plan_quarter(facts, found, library, PlanRequest(QUARTER_START, hours_per_week=40))
    refs = [a.reference for a in plan.activities]
    assert refs == ["BIG-acme.1", "BIG-acme.2"]
    assert [a.duration_hours for a in plan.activities] == [15.0, 15.0]
    assert plan.activities[1].dependencies == ("BIG-acme.1",)
    assert "step 1 of 2" in plan.activities[0].description


def test_replanning_mid_quarter_keeps_what_is_done():
    first = plan_book(25)
    as_of = QUARTER_START + timedelta(days=21)
    # What the first three weeks held is done, each in the week it was planned.
    done = [
        replace(a, done=True) for a in [*first.activities, *first.onboarding] if a.start < as_of
    ]
    assert done
    again = plan_book(25, as_of=as_of, done=done)
    references = [a.reference for a in [*again.activities, *again.onboarding]]
    for task in done:
        assert references.count(task.reference) == 1
    # Nothing new goes into the weeks already behind.
    kept = {d.reference for d in done}
    new = [a for a in [*again.activities, *again.onboarding] if a.reference not in kept]
    assert new
    assert all(a.start >= as_of for a in new)
    assert len(again.activities) == 25
    assert len(again.onboarding) == 25


def test_a_done_task_counts_its_hours_in_its_week():
    done = PlannedActivity(
        reference="XTRA-alpha",
        client="alpha",
        category="retention",
        signals=(),
        description="done before",
        purpose="",
        results="",
        measurement="",
        duration_hours=30.0,  # more than the week's 20 h: worked overtime
        deadline=date(2027, 1, 10),
        start=QUARTER_START,
        dependencies=(),
        notes="",
        week=0,
        done=True,
    )
    plan = plan_book(None, done=[done], as_of=QUARTER_START + timedelta(days=7))
    week1 = plan.weeks[0]
    assert week1.hours == 30.0
    assert week1.capacity == 30.0
    assert "XTRA-alpha" in [a.reference for a in plan.activities]


def test_an_as_of_after_the_quarter_is_refused():
    with pytest.raises(TenureError, match="after the quarter's last day"):
        plan_book(25, as_of=QUARTER_START + timedelta(days=100))


# -- Hypothesis-generated books ----------------------------------------------------------------


@st.composite
def generated_books(draw: st.DrawFn) -> tuple[list[AccountFacts], PlanRequest]:
    size = draw(st.integers(1, 18))
    book = []
    for i in range(size):
        components = {
            key: draw(st.none() | st.integers(0, 100))
            for key in ("product", "satisfaction", "support", "sponsorship")
        }
        health = draw(st.none() | st.integers(0, 100))
        band = (
            None
            if health is None
            else "red"
            if health <= 50
            else "amber"
            if health <= 74
            else "green"
        )
        renewal_days = draw(st.none() | st.integers(-10, 400))
        renewal = None if renewal_days is None else QUARTER_START + timedelta(days=renewal_days)
        book.append(
            AccountFacts(
                external_id=f"acct{i}",
                health=health,
                band=band,
                trend=draw(st.sampled_from([None, "up", "level", "down"])),
                components=components,
                renewal_date=renewal,
                renewal_months=None if renewal_days is None else max(renewal_days, 0) // 31,
                arr=draw(st.none() | st.integers(1_000, 2_000_000)),
                years=draw(st.none() | st.floats(0, 10)),
                nps=draw(st.none() | st.floats(0, 10)),
                open_problems=draw(st.integers(0, 4)),
                feature_requests=draw(st.integers(0, 2)),
            )
        )
    request = PlanRequest(
        quarter_start=QUARTER_START,
        as_of=QUARTER_START + timedelta(days=draw(st.sampled_from([0, 0, 10, 30]))),
        hours_per_week=draw(st.sampled_from([20.0, 32.0, 40.0, 50.0])),
        existing_share=draw(st.sampled_from([0.5, 0.6, 1.0])),
        count=draw(st.none() | st.integers(0, 30)),
        new_clients=[
            NewClient(f"NEW-{i}", f"n{i}", QUARTER_START) for i in range(draw(st.integers(0, 3)))
        ],
        deterministic_time=1.0,
    )
    return book, request


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_books())
def test_every_plan_of_a_generated_book_keeps_the_rules(case):
    book, request = case
    library = default_library()
    found = compute_signals(book, request.day, QUARTER_START, library.rules)
    try:
        plan = plan_quarter(book, found, library, request)
    except TenureError as error:
        refused = error.message
    else:
        refused = ""
    if refused:
        # Only onboarding is required work; anything else always leaves a plan.
        assert "more required work than hours" in refused
        assert request.new_clients
        return
    by_id = {f.external_id: f for f in book}
    weekly = request.hours_per_week * request.existing_share
    open_from = QUARTER_START + timedelta(days=7 * ((request.day - QUARTER_START).days // 7))
    for week in plan.weeks:
        assert week.hours <= week.capacity + 1e-9
        assert week.capacity == pytest.approx(weekly)
        assert week.onboarding_hours <= week.onboarding_capacity + 1e-9
    for group in (plan.activities, plan.onboarding):
        starts = {a.reference: a.start for a in group}
        for a in group:
            assert a.start >= open_from
            assert a.start + timedelta(days=6) <= a.deadline or a.start == open_from
            assert all(starts[d] <= a.start for d in a.dependencies)
            assert a.duration_hours <= max(weekly, request.hours_per_week - weekly) + 1e-9
    if request.count is not None:
        assert len(plan.activities) <= request.count
    for a in plan.activities:
        facts = by_id[a.client]
        renewal = facts.renewal_date
        if a.category in ("retention", "data") and renewal and QUARTER_START <= renewal:
            if renewal <= QUARTER_START + timedelta(days=90) and renewal > open_from + timedelta(
                days=6
            ):
                assert a.start + timedelta(days=6) < renewal
        if a.category == "expansion":
            assert facts.band == "green"
        if a.category == "advocacy":
            assert facts.band == "green"
            assert (facts.health or 0) >= 80
    # Every new client's whole onboarding (long activities as several steps).
    assert len({a.reference.split(".")[0] for a in plan.onboarding}) == 5 * len(request.new_clients)


@given(st.floats(0.25, 200), st.floats(0.25, 40))
def test_steps_fit_a_week_and_add_up(hours, week):
    from tenure.plans.planner import _split

    parts = _split(hours, week)
    assert sum(parts) == pytest.approx(hours)
    assert all(0 < p <= max(week, hours if len(parts) == 1 else week) + 1e-9 for p in parts)
    assert len(parts) == (1 if hours <= week else math.ceil(hours / week - 1e-9))
