"""The shifted-beta-geometric fit against Fader & Hardie (2007), and on simulated cohorts."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.kit.errors import TenureError
from tenure.retention.sbg import fit, limit_note

# Table 1 of "How to project customer retention": survivors of 1,000 customers at the start
# of years 0..8. The paper fits years 1-7 (the first eight counts) and projects the rest.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468]


def test_regular_cohort_matches_the_published_parameters() -> None:
    model = fit([REGULAR[:8]])
    assert model.alpha == pytest.approx(0.704, abs=5e-4)
    assert model.beta == pytest.approx(1.182, abs=5e-4)
    assert model.log_likelihood == pytest.approx(-1680.3, abs=0.05)
    assert not model.at_limit
    # Year 8 was held out: the projection is within 2% of what happened (220 vs 223).
    assert model.projected_survivors(1000, 8)[8] == pytest.approx(REGULAR[8], rel=0.02)


def test_high_end_cohort_matches_the_published_parameters() -> None:
    model = fit([HIGH_END[:8]])
    assert model.alpha == pytest.approx(0.668, abs=5e-4)
    assert model.beta == pytest.approx(3.806, abs=5e-4)
    assert model.projected_survivors(1000, 8)[8] == pytest.approx(HIGH_END[8], rel=0.02)


def test_model_formulas_agree_with_each_other() -> None:
    model = fit([REGULAR[:8]])
    assert model.survival(0) == pytest.approx(1.0)
    # P(T = 1) = alpha / (alpha + beta); S(t) = S(t - 1) - P(T = t); r(t) = S(t) / S(t - 1).
    assert model.churn_probability(1) == pytest.approx(model.alpha / (model.alpha + model.beta))
    for t in range(1, 12):
        assert model.survival(t) == pytest.approx(
            model.survival(t - 1) - model.churn_probability(t)
        )
        assert model.retention_rate(t) == pytest.approx(model.survival(t) / model.survival(t - 1))
    rates = [model.retention_rate(t) for t in range(1, 12)]
    assert rates == sorted(rates)  # retention rises as the churn-prone leave


def test_all_nine_counts_fit_close_to_the_seven_year_figures() -> None:
    model = fit([REGULAR])
    assert model.alpha == pytest.approx(0.699, abs=2e-3)
    assert model.beta == pytest.approx(1.172, abs=2e-3)


def test_recovers_the_parameters_of_simulated_cohorts() -> None:
    rng = np.random.default_rng(7)
    alpha, beta = 1.5, 4.0
    cohorts = []
    for size, periods in ((20_000, 8), (20_000, 5), (20_000, 3)):
        theta = rng.beta(alpha, beta, size)
        lifetimes = rng.geometric(theta)  # periods until churn, 1 = churned after period 1
        cohorts.append([int((lifetimes > t).sum()) for t in range(periods + 1)])
    model = fit(cohorts)
    assert model.cohorts == 3
    assert model.periods == 8
    assert model.alpha == pytest.approx(alpha, rel=0.15)
    assert model.beta == pytest.approx(beta, rel=0.15)


@pytest.mark.parametrize(
    ("survivors", "message"),
    [
        ([1000], "at least one later count"),
        ([0, 0], "must be above 0"),
        ([100, 80, 90], r"survivors\[2\]: 90: more survivors than the period before"),
        ([100, -1], "cannot be negative"),
        ([100, 100, 100], "nobody churned"),
        ([100, 0], "everyone churned in the first period"),
    ],
)
def test_bad_survivors_are_refused(survivors: list[int], message: str) -> None:
    with pytest.raises(TenureError, match=message):
        fit([survivors])


def test_a_fit_at_the_limit_is_explained_with_what_the_data_says() -> None:
    # Half the cohort leaves in the first period and nobody after: two kinds of customer.
    model = fit([[100, 50, 50, 50, 50]])
    assert model.at_limit
    note = limit_note(model)
    assert note is not None
    assert "two kinds of customer" in note
    assert "50.0% of a cohort leaves in its first period" in note  # 50 of the 100
    assert "100.0% of those still there renew" in note  # the 50 left all stayed
    # An inside optimum needs no note: the published regular cohort (spread between customers).
    assert limit_note(fit([[1000, 869, 743, 653, 593, 551, 517, 491]])) is None


def test_steady_churn_is_fitted_at_the_edge_on_every_machine() -> None:
    """The same share leaving every period (or a share that rises): the likelihood keeps
    rising along alpha/beta fixed, so the fit is the ridge's end, the no-spread model, and
    not wherever the optimiser gave up on the flat ridge."""
    for cohorts in ([[100, 99, 98, 97]], [[1] * 12 + [0] * 23, [7] + [6] * 10, [1] * 6]):
        model = fit(cohorts)
        assert model.at_limit
        lost = sum(c[0] - c[-1] for c in cohorts)
        at_risk = sum(sum(c[:-1]) for c in cohorts)
        assert model.mean_theta() == pytest.approx(lost / at_risk)
        note = limit_note(model)
        assert note is not None
        assert "every customer looks alike" in note
        assert f"{lost / at_risk:.1%} of a cohort leaves in its first period" in note
