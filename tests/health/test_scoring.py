"""The vectorised scoring core against a small plain-Python reference in exact arithmetic:
weights, missing data shared out, rounding half up, bands, trend, renewal bands, ranks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.health.scoring import (
    BAND_NAMES,
    TREND_NAMES,
    MeasureSpec,
    bands,
    compile_plan,
    names,
    percentile_scores,
    renewal_bands,
    round_half_up,
    score,
    trends,
)

# -- the reference: one account at a time, in fractions -----------------------------------


@dataclass(frozen=True)
class RefComponent:
    weight: float
    measures: list[MeasureSpec]


def ref_measure(value: float | None, spec: MeasureSpec) -> Fraction | None:
    if value is None:
        return None
    v = Fraction(value)
    if spec.method in ("identity", "percentile"):
        return min(max(v, Fraction(0)), Fraction(100))
    if spec.method == "linear":
        floor, target = Fraction(spec.floor), Fraction(spec.target)
        s = min(max((v - floor) / (target - floor) * 100, Fraction(0)), Fraction(100))
        return 100 - s if spec.invert else s
    points = Fraction(0)
    for bound, p in spec.steps:
        if v >= Fraction(bound):
            points = Fraction(p)
    return points


def ref_component(values: list[float | None], specs: list[MeasureSpec]) -> Fraction | None:
    scored = [(ref_measure(v, s), Fraction(s.weight)) for v, s in zip(values, specs, strict=True)]
    present = [(s, w) for s, w in scored if s is not None]
    weight = sum((w for _, w in present), Fraction(0))
    if not present or weight == 0:
        return None
    return sum((s * w for s, w in present), Fraction(0)) / weight


def ref_score(
    values: list[float | None], components: list[RefComponent]
) -> tuple[Fraction | None, list[Fraction | None]]:
    scores: list[Fraction | None] = []
    start = 0
    for component in components:
        end = start + len(component.measures)
        scores.append(ref_component(values[start:end], component.measures))
        start = end
    present = [
        (s, Fraction(c.weight)) for s, c in zip(scores, components, strict=True) if s is not None
    ]
    weight = sum((w for _, w in present), Fraction(0))
    if weight == 0:
        return None, scores
    return sum((s * w for s, w in present), Fraction(0)) / weight, scores


def ref_round(exact: Fraction) -> int:
    return math.floor(exact + Fraction(1, 2))


def ref_band(rounded: int | None, red: float, amber: float) -> str | None:
    if rounded is None:
        return None
    return "red" if rounded <= red else "amber" if rounded <= amber else "green"


def ref_trend(now: Fraction | None, before: Fraction | None, threshold: Fraction) -> str | None:
    if now is None or before is None:
        return None
    delta = now - before
    if delta >= threshold and delta > 0:
        return "up"
    return "down" if delta <= -threshold and delta < 0 else "level"


def ref_percentile(
    values: list[float | None], groups: list[int], invert: bool
) -> list[float | None]:
    out: list[float | None] = []
    for v, g in zip(values, groups, strict=True):
        if v is None:
            out.append(None)
            continue
        peers = [x for x, h in zip(values, groups, strict=True) if h == g and x is not None]
        if len(peers) == 1:
            rank = 50.0
        else:
            below = sum(1 for x in peers if x < v)
            equal = sum(1 for x in peers if x == v)
            rank = 100 * (below + (equal - 1) / 2) / (len(peers) - 1)
        out.append(100 - rank if invert else rank)
    return out


# -- generated scorecards and books ----------------------------------------------------------

values_st = st.one_of(
    st.none(),
    st.integers(-20, 120).map(float),  # whole numbers hit exact halves and thresholds
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


@st.composite
def measure_specs(draw: st.DrawFn, component: int) -> MeasureSpec:
    method = draw(st.sampled_from(["identity", "linear", "steps"]))
    weight = draw(st.sampled_from([0.5, 1.0, 2.0, 0.3, 1 / 3]))
    if method == "linear":
        floor = draw(st.integers(-50, 50).map(float) | st.floats(-1e3, 1e3))
        span = draw(st.sampled_from([1.0, 10.0, 30.0, 100.0]) | st.floats(0.01, 1e3))
        return MeasureSpec(
            component, weight, "linear", floor, floor + span, invert=draw(st.booleans())
        )
    if method == "steps":
        bounds = sorted(draw(st.sets(st.integers(-10, 110), min_size=1, max_size=5)))
        points = draw(
            st.lists(
                st.sampled_from([0.0, 25.0, 50.0, 33.3, 66.7, 100.0]),
                min_size=len(bounds),
                max_size=len(bounds),
            )
        )
        return MeasureSpec(
            component, weight, "steps", steps=tuple(zip(map(float, bounds), points, strict=True))
        )
    return MeasureSpec(component, weight, "identity")


@st.composite
def cards(draw: st.DrawFn) -> list[RefComponent]:
    k = draw(st.integers(1, 4))
    components = []
    for c in range(k):
        weight = draw(st.sampled_from([0.5, 0.25, 0.125, 0.1, 0.0, 1.0, 2.0]))
        specs = draw(st.lists(measure_specs(c), min_size=1, max_size=4))
        components.append(RefComponent(weight, specs))
    if all(c.weight == 0 for c in components):
        components[0] = RefComponent(1.0, components[0].measures)
    return components


@st.composite
def books(draw: st.DrawFn) -> tuple[list[RefComponent], list[list[float | None]]]:
    components = draw(cards())
    m = sum(len(c.measures) for c in components)
    rows = draw(st.lists(st.lists(values_st, min_size=m, max_size=m), min_size=1, max_size=12))
    return components, rows


def _matrix(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def _near_half(exact: Fraction) -> bool:
    """Within float noise of a .5 boundary without being on it: either rounding is fair."""
    distance = abs(exact - (math.floor(exact) + Fraction(1, 2)))
    return 0 < distance < Fraction(1, 10**7)


@settings(max_examples=300, deadline=None)
@given(books())
def test_scores_match_the_reference(book):
    components, rows = book
    plan = compile_plan([s for c in components for s in c.measures], [c.weight for c in components])
    result = score(_matrix(rows), plan, keep_measures=True)
    rounded = round_half_up(result.exact)
    codes = names(bands(rounded, 50, 74), BAND_NAMES)
    for i, row in enumerate(rows):
        exact, parts = ref_score(row, components)
        for c, part in enumerate(parts):
            if part is None:
                assert np.isnan(result.components[i, c])
            else:
                assert result.components[i, c] == pytest.approx(float(part), abs=1e-9)
        if exact is None:
            assert np.isnan(result.exact[i])
            assert np.isnan(rounded[i])
            assert codes[i] is None
            continue
        assert result.exact[i] == pytest.approx(float(exact), abs=1e-9)
        assert 0 <= rounded[i] <= 100
        if not _near_half(exact):
            assert rounded[i] == ref_round(exact)
            assert codes[i] == ref_band(ref_round(exact), 50, 74)
        specs = [s for c in components for s in c.measures]
        for j, (value, spec) in enumerate(zip(row, specs, strict=True)):
            expected = ref_measure(value, spec)
            if expected is None:
                assert np.isnan(result.measures[i, j])
            else:
                assert result.measures[i, j] == pytest.approx(float(expected), abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 100).map(float), st.floats(0, 100)),
            st.one_of(st.none(), st.integers(0, 100).map(float), st.floats(0, 100)),
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([0.0, 1.0, 5.0, 2.5, 10.0]),
)
def test_trend_matches_the_reference(pairs, threshold):
    now = np.array([np.nan if a is None else a for a, _ in pairs])
    before = np.array([np.nan if b is None else b for _, b in pairs])
    got = names(trends(now, before, threshold), TREND_NAMES)
    for (a, b), name in zip(pairs, got, strict=True):
        a_f = None if a is None else Fraction(a)
        b_f = None if b is None else Fraction(b)
        expected = ref_trend(a_f, b_f, Fraction(threshold))
        if a_f is not None and b_f is not None:
            gap = abs(abs(a_f - b_f) - Fraction(threshold))
            if 0 < gap < Fraction(1, 10**7):
                continue  # within float noise of the threshold without being on it
        assert name == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 5).map(float), st.floats(-1e3, 1e3)),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
)
def test_percentile_ranks_match_the_reference(rows, invert):
    values = [v for v, _ in rows]
    groups = [g for _, g in rows]
    got = percentile_scores(
        np.array([np.nan if v is None else v for v in values]), np.array(groups), invert
    )
    for expected, actual in zip(ref_percentile(values, groups, invert), got, strict=True):
        if expected is None:
            assert np.isnan(actual)
        else:
            assert actual == pytest.approx(expected, abs=1e-9)


# -- the rules, by example -------------------------------------------------------------------

ENTERPRISE = [0.5, 0.25, 0.125, 0.125]


def _identity_plan(weights: list[float]):
    return compile_plan([MeasureSpec(c, 1.0, "identity") for c in range(len(weights))], weights)


def test_a_missing_component_shares_its_weight_out_in_proportion():
    plan = _identity_plan(ENTERPRISE)
    values = np.array([[80.0, np.nan, 60.0, 40.0]])
    result = score(values, plan)
    # Scored on the other 75%, rescaled: (0.5*80 + 0.125*60 + 0.125*40) / 0.75
    assert result.exact[0] == pytest.approx((40 + 7.5 + 5) / 0.75)
    assert np.isnan(result.components[0, 1])


def test_no_component_with_data_means_no_score():
    result = score(np.full((1, 4), np.nan), _identity_plan(ENTERPRISE))
    assert np.isnan(result.exact[0])
    assert names(bands(round_half_up(result.exact), 50, 74), BAND_NAMES) == [None]


@pytest.mark.parametrize(
    ("exact", "shown", "band"),
    [
        (50.4, 50, "red"),
        (50.5, 51, "amber"),
        (74.49, 74, "amber"),
        (74.5, 75, "green"),
        (0.0, 0, "red"),
        (100.0, 100, "green"),
    ],
)
def test_rounding_half_up_and_bands_on_the_rounded_score(exact, shown, band):
    rounded = round_half_up(np.array([exact]))
    assert rounded[0] == shown
    assert names(bands(rounded, 50, 74), BAND_NAMES) == [band]


def test_a_score_of_exactly_a_half_rounds_up_through_weights():
    # 0.5 * 75 + 0.5 * 74 = 74.5 -> 75 green; computed, not typed in.
    result = score(np.array([[75.0, 74.0]]), _identity_plan([0.5, 0.5]))
    assert round_half_up(result.exact)[0] == 75


def test_renewal_bands():
    months = np.array([0, 3, 4, 6, 7, 12, 30, np.nan])
    assert names(renewal_bands(months, 3, 6), BAND_NAMES) == [
        "red",
        "red",
        "amber",
        "amber",
        "green",
        "green",
        "green",
        None,
    ]


def test_trend_threshold_is_inclusive_both_ways():
    now = np.array([55.0, 45.0, 54.9, 50.0, np.nan])
    before = np.array([50.0, 50.0, 50.0, np.nan, 50.0])
    assert names(trends(now, before, 5), TREND_NAMES) == ["up", "down", "level", None, None]


def test_linear_invert_and_steps():
    plan = compile_plan(
        [
            MeasureSpec(0, 1.0, "linear", floor=0, target=30, invert=True),
            MeasureSpec(1, 1.0, "steps", steps=((0, 0), (7, 50), (9, 100))),
        ],
        [0.5, 0.5],
    )
    result = score(np.array([[0.0, 6.9], [15.0, 7.0], [45.0, 9.5], [-1.0, -3.0]]), plan, True)
    assert result.measures is not None
    assert result.measures[:, 0].tolist() == [100.0, 50.0, 0.0, 100.0]
    assert result.measures[:, 1].tolist() == [0.0, 50.0, 100.0, 0.0]


def test_measures_must_come_grouped_by_component():
    with pytest.raises(ValueError, match="grouped by component"):
        compile_plan([MeasureSpec(1, 1.0, "identity"), MeasureSpec(0, 1.0, "identity")], [1, 1])


def test_large_books_score_in_blocks_like_small_ones():
    rng = np.random.default_rng(7)
    values = rng.uniform(-10, 110, (50_000, 6))
    values[rng.random(values.shape) < 0.2] = np.nan
    plan = compile_plan(
        [MeasureSpec(j // 2, 1.0 + j, "identity") for j in range(6)], [0.5, 0.3, 0.2]
    )
    whole = score(values, plan).exact
    parts = np.concatenate([score(values[i : i + 999], plan).exact for i in range(0, 50_000, 999)])
    np.testing.assert_allclose(whole, parts, rtol=0, atol=1e-12)


def test_one_accounts_renewal_band_agrees_with_the_vectorised_one():
    from tenure.health.scorecards import Bands
    from tenure.health.service import renewal_band

    months = list(range(0, 30))
    vectorised = names(renewal_bands(np.array(months, dtype=float), 3, 6), BAND_NAMES)
    assert [renewal_band(m, Bands(3, 6)) for m in months] == vectorised
    assert renewal_band(None, Bands(3, 6)) is None
