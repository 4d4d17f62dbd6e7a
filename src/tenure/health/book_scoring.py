"""Scoring a day's book of accounts into snapshot rows (pure: arrays in, an Arrow table out).

The values matrix has one column per scorecard measure, in `Scorecard.measures` order;
NaN means the metric has no value inside the measure's window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa

from tenure.health.scorecards import Scorecard
from tenure.health.scoring import (
    BAND_NAMES,
    Floats,
    bands,
    compile_plan,
    names,
    percentile_scores,
    round_half_up,
    score,
)
from tenure.health.snapshot_rows import COMPONENT_TYPE, MEASURE_TYPE, SNAPSHOT_SCHEMA


def scoring_values(scorecard: Scorecard, values: Floats, segments: Sequence[str | None]) -> Floats:
    """The matrix `score` takes: percentile measures replaced by each account's rank within
    its segment (among the accounts scored together)."""
    measures = [m for _, m in scorecard.measures]
    columns = [j for j, m in enumerate(measures) if m.method == "percentile"]
    if not columns:
        return values
    codes = np.unique(np.asarray([s or "" for s in segments], dtype=object), return_inverse=True)[1]
    ranked = values.copy()
    for j in columns:
        ranked[:, j] = percentile_scores(values[:, j], codes, invert=measures[j].invert)
    return ranked


def score_book(
    day: date,
    scorecard: Scorecard,
    version: int,
    accounts: Sequence[str],
    segments: Sequence[str | None],
    values: Floats,
) -> pa.Table:
    """Snapshot rows for `accounts` scored by `scorecard` on `day`."""
    n = len(accounts)
    components = scorecard.components
    measures = scorecard.measures
    k, m = len(components), len(measures)
    plan = compile_plan(scorecard.measure_specs(), [c.weight for c in components])
    result = score(scoring_values(scorecard, values, segments), plan, keep_measures=True)
    assert result.measures is not None
    health = round_half_up(result.exact)

    # Each component's share once parts without data are left out; sums to 1 when scored.
    present = ~np.isnan(result.components)
    weighted = present * plan.component_weights
    total = weighted.sum(axis=1, keepdims=True)
    effective = np.divide(weighted, total, out=np.zeros_like(weighted), where=total > 0)
    component_points = np.nan_to_num(result.components) * effective

    measure_present = ~np.isnan(result.measures)
    measure_points = np.zeros((n, m))
    for c in range(k):
        columns = slice(plan.component_starts[c], plan.component_starts[c + 1])
        share = measure_present[:, columns] * plan.measure_weights[columns]
        inside = share.sum(axis=1, keepdims=True)
        share = np.divide(share, inside, out=np.zeros_like(share), where=inside > 0)
        measure_points[:, columns] = (
            np.nan_to_num(result.measures[:, columns]) * share * effective[:, c : c + 1]
        )

    component_structs = pa.StructArray.from_arrays(
        [
            pa.array(np.tile([c.key for c in components], n), pa.string()),
            pa.array(np.tile([c.title for c in components], n), pa.string()),
            pa.array(np.tile(plan.component_weights, n)),
            pa.array(effective.ravel()),
            pa.array(result.components.ravel(), from_pandas=True),
            pa.array(component_points.ravel()),
        ],
        fields=list(COMPONENT_TYPE),
    )
    measure_structs = pa.StructArray.from_arrays(
        [
            pa.array(np.tile([c.key for c, _ in measures], n), pa.string()),
            pa.array(np.tile([x.metric for _, x in measures], n), pa.string()),
            pa.array(np.tile([x.title for _, x in measures], n), pa.string()),
            pa.array(np.tile([x.method for _, x in measures], n), pa.string()),
            pa.array(np.tile([x.window_days for _, x in measures], n), pa.int32()),
            pa.array(np.asarray(values, dtype=np.float64).ravel(), from_pandas=True),
            pa.array(result.measures.ravel(), from_pandas=True),
            pa.array(np.tile(plan.measure_weights, n)),
            pa.array(measure_points.ravel()),
        ],
        fields=list(MEASURE_TYPE),
    )
    return pa.table(
        {
            "account_external_id": pa.array(list(accounts), pa.string()),
            "date": pa.array([day] * n, pa.date32()),
            "scorecard": pa.array([scorecard.name] * n, pa.string()),
            "scorecard_version": pa.array([version] * n, pa.int32()),
            "health": pa.array(health, pa.int32(), from_pandas=True),
            "health_exact": pa.array(result.exact, from_pandas=True),
            "band": pa.array(
                names(bands(health, scorecard.bands.red, scorecard.bands.amber), BAND_NAMES),
                pa.string(),
            ),
            "components": pa.ListArray.from_arrays(
                pa.array(np.arange(0, n * k + 1, k), pa.int32()), component_structs
            ),
            "measures": pa.ListArray.from_arrays(
                pa.array(np.arange(0, n * m + 1, m), pa.int32()), measure_structs
            ),
        },
        schema=SNAPSHOT_SCHEMA,
    )


def unscored(day: date, accounts: Sequence[str]) -> pa.Table:
    """Snapshot rows for accounts no scorecard applies to: no score, nothing to explain."""
    n = len(accounts)
    return pa.table(
        {
            "account_external_id": pa.array(list(accounts), pa.string()),
            "date": pa.array([day] * n, pa.date32()),
            **{
                name: pa.nulls(n, SNAPSHOT_SCHEMA.field(name).type)
                for name in SNAPSHOT_SCHEMA.names[2:7]
            },
            "components": pa.array([[] for _ in range(n)], pa.list_(COMPONENT_TYPE)),
            "measures": pa.array([[] for _ in range(n)], pa.list_(MEASURE_TYPE)),
        },
        schema=SNAPSHOT_SCHEMA,
    )
