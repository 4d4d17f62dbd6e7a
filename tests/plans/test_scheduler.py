"""The scheduler: hand-made cases, and Hypothesis-generated ones checked against a plain
reference (every rule re-checked on every plan; on small cases, the best value found by trying
every assignment)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.kit.errors import TenureError
from tenure.plans.scheduler import (
    Candidate,
    explain_shortfall,
    greedy_edf,
    greedy_value,
    pools,
    schedule,
    violations,
)

FAST = {"deterministic_time": 2.0, "time_limit": 20.0}


# -- the reference ---------------------------------------------------------------------------


def broken(
    candidates: Sequence[Candidate],
    capacity: Mapping[str, Sequence[float]] | Sequence[float],
    weeks: Mapping[str, int],
) -> list[str]:
    """Every rule a plan breaks, written from the rules, not from the model."""
    named = pools(capacity)
    n = len(next(iter(named.values())))
    by_key = {c.key: c for c in candidates}
    out = []
    for key, week in weeks.items():
        c = by_key[key]
        if c.fixed_week is not None:
            if week != c.fixed_week:
                out.append(f"{key} moved")
        elif not (max(c.release_week, 0) <= week <= min(c.deadline_week, n - 1)):
            out.append(f"{key} outside its weeks")
        for r in c.requires:
            if r not in weeks or weeks[r] > week:
                out.append(f"{key} before or without {r}")
    for c in candidates:
        if (c.required or c.fixed_week is not None) and c.key not in weeks:
            out.append(f"{c.key} required")
        if c.bundle is not None and c.fixed_week is None:
            # steps already done stand on their own; the rest go all or none
            mates = [o.key for o in candidates if o.bundle == c.bundle and o.fixed_week is None]
            if (c.key in weeks) != all(m in weeks for m in mates):
                out.append(f"{c.key} half a bundle")
    for pool, hours in named.items():
        for w in range(n):
            used = sum(
                by_key[k].hours for k, x in weeks.items() if x == w and by_key[k].pool == pool
            )
            if used > hours[w] + 1e-9:
                out.append(f"week {w} of {pool!r} over")
    return out


def best_by_trying_everything(
    candidates: Sequence[Candidate], capacity: Sequence[float], count: int | None
) -> tuple[float, int] | None:
    """(best value, activities counted) over every assignment, None when nothing is valid."""
    n = len(capacity)
    options = [[None, *range(n)] for _ in candidates]
    valid: list[tuple[int, float]] = []
    for choice in itertools.product(*options):
        weeks = {c.key: w for c, w in zip(candidates, choice, strict=True) if w is not None}
        if broken(candidates, capacity, weeks):
            continue
        counted = sum(1 for c in candidates if c.key in weeks and c.counted)
        value = sum(c.value_in(w) for c, w in zip(candidates, choice, strict=True) if w is not None)
        valid.append((counted, value))
    if not valid:
        return None
    if count is None:
        return max(v for _, v in valid), -1
    # As close to the count as possible, never above it when anything at or below it works.
    below = [k for k, _ in valid if k <= count]
    target = max(below) if below else min(k for k, _ in valid)
    return max(v for k, v in valid if k == target), target


# -- generated cases ---------------------------------------------------------------------------


@st.composite
def books(
    draw: st.DrawFn, max_size: int = 8, weeks: int = 13
) -> tuple[list[Candidate], list[float], int | None]:
    size = draw(st.integers(1, max_size))
    candidates: list[Candidate] = []
    bundle_of: dict[int, str] = {}
    for i in range(size):
        requires: tuple[str, ...] = ()
        if i and draw(st.booleans()):
            requires = (f"a{draw(st.integers(0, i - 1))}",)
        bundle = None
        if i and requires == (f"a{i - 1}",) and draw(st.integers(0, 3)) == 0:
            bundle = bundle_of.setdefault(i - 1, f"b{i - 1}")
            bundle_of[i] = bundle
        release = draw(st.integers(0, weeks - 1))
        fixed = draw(st.integers(0, weeks - 1)) if draw(st.integers(0, 9)) == 0 else None
        candidates.append(
            Candidate(
                key=f"a{i}",
                hours=draw(st.sampled_from([0.5, 1, 2, 3, 4, 6, 8, 12])),
                value=draw(st.integers(0, 100)),
                deadline_week=draw(st.integers(release, weeks + 1)),
                release_week=release,
                requires=requires,
                bundle=bundle,
                required=draw(st.integers(0, 9)) == 0,
                fixed_week=fixed if not requires and bundle is None else None,
                counted=draw(st.integers(0, 4)) > 0,
                decay=draw(st.sampled_from([1.0, 1.0, 0.85])),
            )
        )
    # Bundle heads must carry the bundle too.
    candidates = [
        Candidate(**{**c.__dict__, "bundle": bundle_of.get(i, c.bundle)})
        for i, c in enumerate(candidates)
    ]
    capacity = draw(st.lists(st.sampled_from([0, 2, 4, 8, 12, 20]), min_size=weeks, max_size=weeks))
    count = draw(st.none() | st.integers(0, size))
    return candidates, [float(h) for h in capacity], count


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_every_plan_keeps_every_rule(case):
    candidates, capacity, count = case
    result = schedule(candidates, capacity, count=count, **FAST)
    greedy = greedy_edf(candidates, capacity, count=count)
    assert broken(candidates, capacity, greedy.weeks) == [] or any(
        c.required or c.fixed_week is not None for c in candidates
    )
    if result.found:
        assert broken(candidates, capacity, result.weeks) == []
        assert violations(candidates, capacity, result.weeks) == []
        assert result.objective <= result.bound + 1e-6
        if not any(c.required or c.fixed_week is not None for c in candidates):
            # The solver starts from the greedy plans: never worse than them.
            assert result.objective >= greedy.objective - 0.01 * len(candidates) or count
        if count is not None:
            counted = [c for c in candidates if c.key in result.weeks and c.counted]
            must = [c for c in counted if c.required or c.fixed_week is not None]
            assert len(counted) <= max(count, len(must)) or not result.count_met
    else:
        assert result.status == "infeasible"
        assert any(c.required or c.fixed_week is not None for c in candidates)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(max_size=5, weeks=3))
def test_small_plans_are_the_best_possible(case):
    candidates, capacity, count = case
    result = schedule(candidates, capacity, count=count, **FAST)
    reference = best_by_trying_everything(candidates, capacity, count)
    if reference is None:
        assert result.status == "infeasible"
        return
    best, counted = reference
    assert result.status == "optimal"
    value = sum(c.value_in(result.weeks[c.key]) for c in candidates if c.key in result.weeks)
    assert value == pytest.approx(best, abs=0.01 * len(candidates))
    if count is not None:
        assert sum(1 for c in candidates if c.key in result.weeks and c.counted) == counted


@settings(max_examples=40, deadline=None)
@given(books(max_size=8))
def test_greedy_plans_keep_the_rules_too(case):
    candidates, capacity, count = case
    candidates = [c for c in candidates if not c.required and c.fixed_week is None]
    keys = {c.key for c in candidates}
    candidates = [c for c in candidates if set(c.requires) <= keys]
    for plan in (greedy_edf(candidates, capacity, count=count), greedy_value(candidates, capacity)):
        assert broken(candidates, capacity, plan.weeks) == []


# -- hand-made cases ---------------------------------------------------------------------------


def test_capacity_picks_the_most_valuable_fit():
    candidates = [
        Candidate("big", hours=10, value=50),
        Candidate("small1", hours=5, value=30),
        Candidate("small2", hours=5, value=30),
    ]
    result = schedule(candidates, [10.0], **FAST)
    assert set(result.weeks) == {"small1", "small2"}
    assert result.status == "optimal"
    assert result.objective == 60
    assert result.gap == 0


def test_dependencies_go_in_an_earlier_or_the_same_week():
    candidates = [
        Candidate("prep", hours=4, value=1, release_week=2),
        Candidate("meeting", hours=4, value=100, requires=("prep",), deadline_week=2),
    ]
    result = schedule(candidates, [20.0] * 4, **FAST)
    assert result.weeks == {"meeting": 2, "prep": 2}


def test_a_dependent_without_room_for_its_prerequisite_is_left_out():
    candidates = [
        Candidate("prep", hours=8, value=1),
        Candidate("meeting", hours=4, value=100, requires=("prep",)),
        Candidate("other", hours=4, value=10),
    ]
    result = schedule(candidates, [10.0], **FAST)
    assert result.weeks == {"other": 0}


def test_deadlines_and_release_weeks_bound_the_week():
    candidates = [
        Candidate("early", hours=8, value=10, deadline_week=0),
        Candidate("late", hours=8, value=10, release_week=3),
    ]
    result = schedule(candidates, [8.0] * 13, **FAST)
    assert result.weeks == {"early": 0, "late": 3} or result.weeks["late"] >= 3
    assert result.weeks["early"] == 0


def test_steps_of_a_bundle_go_all_or_none():
    candidates = [
        Candidate("long.1", hours=10, value=5, bundle="long"),
        Candidate(
            "long.2", hours=10, value=5, bundle="long", requires=("long.1",), deadline_week=0
        ),
        Candidate("short", hours=10, value=6),
    ]
    result = schedule(candidates, [10.0, 10.0], **FAST)
    assert result.weeks == {"short": 0} or set(result.weeks) == {"short"}


def test_an_exact_count_when_enough_fit_and_as_many_as_fit_otherwise():
    candidates = [Candidate(f"a{i}", hours=4, value=i + 1) for i in range(6)]
    exact = schedule(candidates, [8.0], count=2, **FAST)
    assert sorted(exact.weeks) == ["a4", "a5"]
    assert exact.count_met
    short = schedule(candidates, [8.0], count=4, **FAST)
    assert len(short.weeks) == 2
    assert not short.count_met
    assert short.notes == ["only 2 of the 4 activities asked for fit the hours"]


def test_fixed_and_required_candidates_are_always_in():
    candidates = [
        Candidate("done", hours=6, value=0, fixed_week=1),
        Candidate("must", hours=4, value=0, required=True, deadline_week=1),
        Candidate("nice", hours=6, value=100),
    ]
    result = schedule(candidates, [6.0, 10.0], **FAST)
    assert result.weeks["done"] == 1
    assert "must" in result.weeks
    assert violations(candidates, [6.0, 10.0], result.weeks) == []


def test_required_work_that_cannot_fit_is_infeasible_and_explained():
    candidates = [
        Candidate(f"m{i}", hours=8, value=1, required=True, deadline_week=1) for i in range(3)
    ]
    result = schedule(candidates, [8.0] * 4, **FAST)
    assert result.status == "infeasible"
    assert explain_shortfall(candidates, [8.0] * 4) == [
        "3 required activities need 24 h by week 2, but weeks 1-2 hold 16 h"
    ]


def test_pools_keep_their_own_hours():
    candidates = [
        Candidate("a", hours=8, value=10, pool="mine"),
        Candidate("b", hours=8, value=10, pool="theirs"),
    ]
    result = schedule(candidates, {"mine": [8.0], "theirs": [8.0]}, **FAST)
    assert result.weeks == {"a": 0, "b": 0}


def test_urgent_work_goes_to_the_first_week_with_room():
    candidates = [
        Candidate("urgent", hours=6, value=10, decay=0.5),
        Candidate("filler", hours=6, value=10),
    ]
    result = schedule(candidates, [6.0, 6.0], **FAST)
    assert result.weeks == {"urgent": 0, "filler": 1}


def test_same_inputs_same_plan():
    candidates = [
        Candidate(f"a{i}", hours=(i % 5) + 1, value=(i * 37) % 50, deadline_week=i % 13)
        for i in range(60)
    ]
    first = schedule(candidates, [12.0] * 13)
    assert all(schedule(candidates, [12.0] * 13).weeks == first.weeks for _ in range(2))


def test_bad_input_names_the_candidate():
    with pytest.raises(TenureError) as caught:
        schedule(
            [Candidate("a", hours=0, value=1), Candidate("b", hours=1, value=1, requires=("zz",))],
            [8.0],
        )
    assert caught.value.problems == [
        "a: hours: 0: must be positive",
        "b: requires 'zz', which is not a candidate",
    ]
    with pytest.raises(TenureError, match="in a circle: a -> b -> a"):
        schedule(
            [
                Candidate("a", hours=1, value=1, requires=("b",)),
                Candidate("b", hours=1, value=1, requires=("a",)),
            ],
            [8.0],
        )
