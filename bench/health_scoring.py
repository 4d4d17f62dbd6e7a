"""Health scoring speed: Tenure's numpy core against a straightforward vectorised pandas
version (column operations, no Python loop over accounts), side by side in one run.

    .venv/bin/python bench/health_scoring.py [--accounts 1000000] [--repeat 3]

Scores N accounts x 20 measures (identity, linear and steps; 10% of values missing) into
component scores, the exact score, the rounded score and the band, checks that both give the
same numbers, and prints the best wall and CPU time of each and their ratio. `percentile`
measures (rank within segment) are timed apart, against pandas' groupby rank.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tenure.health.scoring import (
    BAND_NAMES,
    MeasureSpec,
    bands,
    compile_plan,
    names,
    percentile_scores,
    round_half_up,
    score,
)

COMPONENT_WEIGHTS = [0.5, 0.25, 0.125, 0.125]
MEASURES = 20


def make_measures() -> list[MeasureSpec]:
    specs = []
    for j in range(MEASURES):
        component = j * len(COMPONENT_WEIGHTS) // MEASURES
        weight = 1.0 + (j % 3)
        if j % 3 == 0:
            specs.append(MeasureSpec(component, weight, "identity"))
        elif j % 3 == 1:
            specs.append(
                MeasureSpec(component, weight, "linear", floor=10, target=90, invert=j % 2 == 0)
            )
        else:
            steps = ((0.0, 0.0), (30.0, 40.0), (60.0, 80.0), (90.0, 100.0))
            specs.append(MeasureSpec(component, weight, "steps", steps=steps))
    return specs


def make_values(accounts: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.uniform(-10, 120, (accounts, MEASURES))
    values[rng.random(values.shape) < 0.1] = np.nan
    return values


def tenure_scoring(values: np.ndarray, specs: list[MeasureSpec]) -> dict[str, Any]:
    plan = compile_plan(specs, COMPONENT_WEIGHTS)
    result = score(values, plan)
    rounded = round_half_up(result.exact)
    return {
        "components": result.components,
        "exact": result.exact,
        "health": rounded,
        "band": bands(rounded, 50, 74),
    }


def pandas_scoring(frame: pd.DataFrame, specs: list[MeasureSpec]) -> dict[str, Any]:
    """What a data scientist would write with pandas: one column operation per measure,
    weighted means that skip missing values, pd.cut for steps and bands."""
    scores = pd.DataFrame(index=frame.index)
    for j, spec in enumerate(specs):
        column = frame[f"m{j}"]
        if spec.method == "identity":
            scores[f"m{j}"] = column.clip(0, 100)
        elif spec.method == "linear":
            linear = ((column - spec.floor) / (spec.target - spec.floor) * 100).clip(0, 100)
            scores[f"m{j}"] = 100 - linear if spec.invert else linear
        else:
            edges = [-np.inf, *(b for b, _ in spec.steps), np.inf]
            points = [0.0, *(p for _, p in spec.steps)]
            step = pd.cut(column, edges, labels=False, right=False)
            scores[f"m{j}"] = step.map(dict(enumerate(points)))
    components = pd.DataFrame(index=frame.index)
    for c in range(len(COMPONENT_WEIGHTS)):
        columns = [f"m{j}" for j, s in enumerate(specs) if s.component == c]
        weights = pd.Series({f"m{j}": s.weight for j, s in enumerate(specs) if s.component == c})
        part = scores[columns]
        numerator = part.mul(weights).sum(axis=1)
        denominator = part.notna().mul(weights).sum(axis=1)
        components[c] = numerator / denominator.where(denominator > 0)
    weights = pd.Series(COMPONENT_WEIGHTS, index=components.columns)
    numerator = components.mul(weights).sum(axis=1)
    denominator = components.notna().mul(weights).sum(axis=1)
    exact = numerator / denominator.where(denominator > 0)
    health = np.floor(exact + 0.5 + 1e-9)
    band = pd.cut(health, [-np.inf, 50, 74, np.inf], labels=list(BAND_NAMES))
    return {"components": components, "exact": exact, "health": health, "band": band}


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall time and best CPU time (this process, all threads) over `repeat` runs."""
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.accounts
    specs = make_measures()
    values = make_values(n)
    frame = pd.DataFrame(values, columns=[f"m{j}" for j in range(MEASURES)])
    print(f"{n:,} accounts x {MEASURES} measures (identity, linear, steps; 10% missing)")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    t_wall, t_cpu, ours = best_of(args.repeat, lambda: tenure_scoring(values, specs))
    p_wall, p_cpu, theirs = best_of(args.repeat, lambda: pandas_scoring(frame, specs))

    exact = theirs["exact"].to_numpy()
    same_nan = np.array_equal(np.isnan(ours["exact"]), np.isnan(exact))
    gap = float(np.nanmax(np.abs(ours["exact"] - exact)))
    same_bands = names(ours["band"], BAND_NAMES) == [
        None if isinstance(b, float) else b for b in theirs["band"].astype(object).tolist()
    ]
    assert same_nan, "the two versions disagree on which accounts have a score"
    assert gap < 1e-9, f"the two versions disagree by {gap}"
    assert same_bands, "the two versions disagree on bands"

    print(f"{'':28}{'wall s':>10}{'cpu s':>10}")
    print(f"{'tenure (numpy core)':28}{t_wall:>10.3f}{t_cpu:>10.3f}")
    print(f"{'pandas, vectorised':28}{p_wall:>10.3f}{p_cpu:>10.3f}")
    print(
        f"ratio (pandas / tenure, wall): {p_wall / t_wall:.1f}x; same numbers (max gap {gap:.1e})"
    )

    rng = np.random.default_rng(1)
    column = values[:, 0]
    segments = rng.integers(0, 10, n)
    r_wall, r_cpu, ranks = best_of(args.repeat, lambda: percentile_scores(column, segments))
    by_segment = pd.DataFrame({"value": column, "segment": segments}).groupby("segment")["value"]

    def pandas_ranks() -> pd.Series:
        rank = by_segment.rank(method="average")
        count = by_segment.transform("count")
        return (rank - 1) / (count - 1) * 100

    q_wall, q_cpu, theirs_ranks = best_of(args.repeat, pandas_ranks)
    rank_gap = float(np.nanmax(np.abs(ranks - theirs_ranks.to_numpy())))
    assert rank_gap < 1e-9, f"percentile ranks disagree by {rank_gap}"
    print("percentile (rank within 10 segments), one measure, apart:")
    print(f"{'tenure percentile_scores':28}{r_wall:>10.3f}{r_cpu:>10.3f}")
    print(f"{'pandas groupby rank':28}{q_wall:>10.3f}{q_cpu:>10.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
