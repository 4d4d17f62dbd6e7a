"""The health scoring core: numpy arrays in, numpy arrays out, no I/O.

Inputs are a matrix of measure values (accounts x measures, NaN = no data inside the window)
and a `ScoringPlan` compiled from a scorecard. Each measure maps its value to 0-100; a
component is the weighted mean of the measures that have data; the score is the weighted mean
of the components that have data, so a missing measure or component has its weight shared out
among the others in proportion. Nothing here loops over accounts: the work runs in blocks of
rows small enough to stay in the CPU cache, and the weighted means are matrix products.

`percentile` measures rank an account among others, so they are turned into 0-100 scores by
`percentile_scores` before the matrix is scored, and enter the plan as `identity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int8]

# Float arithmetic can leave a score that is exactly 74.5 on paper at 74.49999999999999, or a
# rise of exactly 5 points at 4.999999999999; scores live on 0-100, so nudging by far less
# than any meaningful difference makes rounding and thresholds agree with exact arithmetic.
TOLERANCE = 1e-9
# Rows per block: a block of values, scores and temporaries stays inside the CPU cache.
BLOCK_ROWS = 4_096

BAND_NAMES = ("red", "amber", "green")
TREND_NAMES = ("down", "level", "up")
NO_CODE = -1


@dataclass(frozen=True)
class MeasureSpec:
    """How one measure maps its value to 0-100 (a compiled scorecard measure).

    identity: the value, clipped to 0-100. linear: `floor` scores 0 and `target` 100 (with
    `invert`, `floor` scores 100 and `target` 0), straight line between, clipped. steps:
    `steps` is ((bound, points), ...) with rising bounds; a value takes the points of the last
    bound it reaches, and 0 below the first.
    """

    component: int
    weight: float
    method: str
    floor: float = 0.0
    target: float = 100.0
    invert: bool = False
    steps: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class ScoringPlan:
    """A scorecard as arrays.

    identity and linear measures: x = clip(value - offset, 0, span), and the score is
    x * scale, or 100 - x * scale when inverted; the scale and the inversion are folded into
    the weight matrices, so a block of values costs three passes before the products.
    steps measures: the number of bounds a value reaches indexes a table of points.
    Measures come grouped by component: columns `component_starts[c]` to
    `component_starts[c + 1]`.
    """

    offsets: Floats
    spans: Floats
    scales: Floats
    inverted: npt.NDArray[np.bool_]
    step_columns: Ints
    step_bounds: Floats  # steps measures x widest table, padded with +inf
    step_points: Floats  # flat: each steps measure's points after reaching 0, 1, ... bounds
    step_bases: Ints  # where each steps measure's points start in step_points
    measure_weights: Floats
    component_starts: Ints
    component_weights: Floats
    weights: Floats  # measures x components: each measure's weight in its component's column
    score_weights: Floats  # weights x scale, negated for inverted measures
    presence_weights: Floats  # measures x 2 components: [100 x weight if inverted | weight]

    @property
    def n_measures(self) -> int:
        return int(self.offsets.shape[0])

    @property
    def n_components(self) -> int:
        return int(self.component_weights.shape[0])


def compile_plan(
    measures: Sequence[MeasureSpec], component_weights: Sequence[float]
) -> ScoringPlan:
    """Arrays for `score`. Weights need not add up to 1: means are taken over what has data.
    `percentile` measures must already be scores, so they compile as identity. Measures must
    come grouped by component, in component order."""
    m, k = len(measures), len(component_weights)
    owners = [spec.component for spec in measures]
    if owners != sorted(owners) or any(not 0 <= c < k for c in owners):
        raise ValueError("measures must come grouped by component, in component order")
    offsets = np.zeros(m)
    spans = np.full(m, 100.0)
    scales = np.ones(m)
    inverted = np.zeros(m, dtype=bool)
    weights = np.zeros((m, k))
    step_columns: list[int] = []
    tables: list[tuple[tuple[float, float], ...]] = []
    for j, spec in enumerate(measures):
        weights[j, spec.component] = spec.weight
        if spec.method == "linear":
            offsets[j] = spec.floor
            spans[j] = spec.target - spec.floor
            scales[j] = 100.0 / spans[j]
            inverted[j] = spec.invert
        elif spec.method == "steps":
            step_columns.append(j)
            tables.append(spec.steps)
        elif spec.method not in ("identity", "percentile"):
            raise ValueError(f"unknown method {spec.method!r}")
    width = max((len(t) for t in tables), default=0)
    # Padding bounds are +inf: no value reaches them.
    bounds = np.full((len(tables), width), np.inf)
    points = np.zeros((len(tables), width + 1))
    for i, table in enumerate(tables):
        bounds[i, : len(table)] = [b for b, _ in table]
        reached = [p for _, p in table]
        points[i, 1 : len(table) + 1] = reached
        points[i, len(table) + 1 :] = reached[-1]
    signed = np.where(inverted, -scales, scales)
    return ScoringPlan(
        offsets=offsets,
        spans=spans,
        scales=scales,
        inverted=inverted,
        step_columns=np.asarray(step_columns, dtype=np.intp),
        step_bounds=bounds,
        step_points=points.ravel(),
        step_bases=(np.arange(len(tables)) * (width + 1)).astype(np.intp),
        measure_weights=np.asarray([spec.weight for spec in measures], dtype=np.float64),
        component_starts=np.searchsorted(owners, np.arange(k + 1)).astype(np.int64),
        component_weights=np.asarray(component_weights, dtype=np.float64),
        weights=weights,
        score_weights=weights * signed[:, None],
        presence_weights=np.hstack([weights * (100.0 * inverted)[:, None], weights]),
    )


@dataclass(frozen=True)
class Scores:
    """Exact results; NaN wherever there is no data. `measures` is None unless asked for."""

    components: Floats  # accounts x components
    exact: Floats  # accounts
    measures: Floats | None  # accounts x measures


def score(values: Floats, plan: ScoringPlan, keep_measures: bool = False) -> Scores:
    """Score every row of `values` (accounts x measures, NaN = no data)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    n, m = values.shape
    k = plan.n_components
    if m != plan.n_measures:
        raise ValueError(f"values have {m} columns, the plan {plan.n_measures}")
    numerators = np.empty((n, k))
    # Per component: the points inverted measures start from, then the weight with data.
    presence = np.empty((n, 2 * k))
    measures = np.empty_like(values) if keep_measures else None
    work = _Buffers(min(n, BLOCK_ROWS), m, plan)
    with _one_blas_thread():
        for start in range(0, n, BLOCK_ROWS):
            end = min(start + BLOCK_ROWS, n)
            block = values[start:end]
            clipped, present = work.measure_inputs(block, plan)
            # Missing values are 0 here (see _Buffers), so the sums need no masking.
            np.matmul(clipped, plan.score_weights, out=numerators[start:end])
            np.matmul(present, plan.presence_weights, out=presence[start:end])
            if measures is not None:
                scored = clipped * plan.scales
                scored[:, plan.inverted] = 100.0 - scored[:, plan.inverted]
                scored[present == 0] = np.nan
                measures[start:end] = scored
        numerators += presence[:, :k]
        denominators = presence[:, k:]
        with np.errstate(invalid="ignore", divide="ignore"):
            components = numerators / denominators
        has = denominators > 0
        components[~has] = np.nan
        contributions = np.where(has, components, 0.0) @ plan.component_weights
        weight = has @ plan.component_weights
    with np.errstate(invalid="ignore", divide="ignore"):
        exact = contributions / weight
    exact[weight <= 0] = np.nan
    return Scores(components=components, exact=exact, measures=measures)


class _Buffers:
    """Work arrays for one block of rows, allocated once per call: fresh multi-megabyte
    temporaries for every block would cost page faults, not arithmetic."""

    def __init__(self, rows: int, m: int, plan: ScoringPlan):
        steps = plan.step_columns.size
        self.clipped = np.empty((rows, m))
        self.present = np.empty((rows, m))
        self.step_values = np.empty((rows, steps))
        self.reached = np.empty((rows, steps), dtype=bool)
        self.index = np.empty((rows, steps), dtype=np.intp)

    def measure_inputs(self, block: Floats, plan: ScoringPlan) -> tuple[Floats, Floats]:
        """For identity and linear measures clip(value - offset, 0, span), for steps
        measures their points; 0 where there is no value (fmax drops NaN). And 1.0 where
        there is a value, 0.0 where not."""
        rows = block.shape[0]
        clipped = self.clipped[:rows]
        np.subtract(block, plan.offsets, out=clipped)
        np.fmax(clipped, 0.0, out=clipped)
        np.fmin(clipped, plan.spans, out=clipped)
        if plan.step_columns.size:
            values = self.step_values[:rows]
            reached = self.reached[:rows]
            index = self.index[:rows]
            np.take(block, plan.step_columns, axis=1, out=values)
            np.copyto(index, plan.step_bases)
            # One pass per step across every steps measure at once; NaN reaches no bound.
            for step in range(plan.step_bounds.shape[1]):
                np.greater_equal(values, plan.step_bounds[:, step], out=reached)
                np.add(index, reached, out=index)
            clipped[:, plan.step_columns] = np.take(plan.step_points, index)
        present = self.present[:rows]
        np.equal(block, block, out=present, casting="unsafe")
        return clipped, present


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread() -> Any:
    # Products this small finish faster on one thread; spread over threads on a busy machine
    # they wait on each other and take several times longer (see bench/health_scoring.py).
    return _blas().limit(limits=1, user_api="blas")


def round_half_up(exact: Floats) -> Floats:
    """Round to whole points, halves up (74.5 -> 75); NaN stays NaN."""
    return np.floor(exact + (0.5 + TOLERANCE))


def bands(rounded: Floats, red: float, amber: float) -> Codes:
    """0 red (<= red), 1 amber (<= amber), 2 green, -1 no score; on the rounded score."""
    codes = np.full(rounded.shape, NO_CODE, dtype=np.int8)
    known = ~np.isnan(rounded)
    codes[known] = 2
    codes[known & (rounded <= amber)] = 1
    codes[known & (rounded <= red)] = 0
    return codes


def renewal_bands(months: Floats, red: float, amber: float) -> Codes:
    """Renewal months: 0 red (<= red), 1 amber (<= amber), 2 green, -1 when none is active."""
    return bands(months, red, amber)


def trends(now: Floats, before: Floats, threshold: float) -> Codes:
    """2 up (rose by at least `threshold`), 0 down (fell by at least it), 1 level, -1 when
    either exact score is missing."""
    delta = now - before
    codes = np.full(delta.shape, NO_CODE, dtype=np.int8)
    known = ~np.isnan(delta)
    codes[known] = 1
    # With a threshold of 0 any rise is up and any fall down; no change stays level.
    codes[known & (delta >= threshold - TOLERANCE) & (delta > TOLERANCE)] = 2
    codes[known & (delta <= -threshold + TOLERANCE) & (delta < -TOLERANCE)] = 0
    return codes


def names(codes: Codes, vocabulary: Sequence[str]) -> list[str | None]:
    """Codes as names (`BAND_NAMES`, `TREND_NAMES`), None for -1."""
    lookup: list[Any] = [*vocabulary, None]  # index -1 is the last item: None
    return [lookup[c] for c in codes.tolist()]


def percentile_scores(values: Floats, groups: Ints, invert: bool = False) -> Floats:
    """Each value's percentile rank, 0-100, among the values of its group (e.g. segment).

    Mid-rank: 100 * (values below + (values equal - 1) / 2) / (values in group - 1), so the
    lowest scores 0, the highest 100, ties share the middle, and a lone value scores 50.
    NaN (no data) stays NaN and is left out of every group.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    present = np.flatnonzero(~np.isnan(values))
    if present.size == 0:
        return out
    v = values[present]
    g = np.asarray(groups)[present]
    order = np.lexsort((v, g))
    v, g = v[order], g[order]
    size = v.size
    positions = np.arange(size)
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_run = new_group | np.r_[True, v[1:] != v[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    run_start = np.maximum.accumulate(np.where(new_run, positions, 0))
    group_ids = np.cumsum(new_group) - 1
    group_len = np.diff(np.r_[np.flatnonzero(new_group), size])[group_ids]
    run_ids = np.cumsum(new_run) - 1
    run_len = np.diff(np.r_[np.flatnonzero(new_run), size])[run_ids]
    below = run_start - group_start
    with np.errstate(invalid="ignore", divide="ignore"):
        ranks = 100.0 * (below + (run_len - 1) / 2.0) / (group_len - 1)
    ranks[group_len == 1] = 50.0
    if invert:
        ranks = 100.0 - ranks
    out[present[order]] = ranks
    return out
