"""The shifted-beta-geometric retention model (Fader & Hardie, "How to project customer
retention", Journal of Interactive Marketing 21(1), 2007). Pure.

Each customer renews at the end of every period with its own probability 1 - theta, theta
drawn from Beta(alpha, beta) across customers. Then

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)   (churn at the end of period t)
    S(t)     = B(alpha, beta + t) / B(alpha, beta)            (still a customer after t)
    r(t)     = (beta + t - 1) / (alpha + beta + t - 1)        (retention rate, rising with t)

Fitted by maximum likelihood from the survivors at the start of each period: the customers
lost in period t contribute log P(T = t), those still alive at the end log S(n). Several
cohorts observed for different lengths add up their log-likelihoods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln

from tenure.kit.errors import TenureError

# log(alpha), log(beta) stay inside [-LIMIT, LIMIT]: wide enough for any real cohort, and a
# fit that reaches the edge says the data cannot pin the parameters down.
LIMIT = 12.0


@dataclass(frozen=True)
class SbgFit:
    alpha: float
    beta: float
    log_likelihood: float
    cohorts: int
    periods: int  # the longest observed cohort's number of periods
    at_limit: bool  # the optimiser stopped at a bound: treat the parameters with care

    def survival(self, t: int) -> float:
        """Share of a cohort still there after t periods (S(0) = 1)."""
        return float(np.exp(betaln(self.alpha, self.beta + t) - betaln(self.alpha, self.beta)))

    def churn_probability(self, t: int) -> float:
        """P(T = t): share of the original cohort lost in period t (t >= 1)."""
        return float(
            np.exp(betaln(self.alpha + 1, self.beta + t - 1) - betaln(self.alpha, self.beta))
        )

    def retention_rate(self, t: int) -> float:
        """Share of those alive at the start of period t who renew at its end (t >= 1)."""
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)

    def mean_theta(self) -> float:
        """The average churn probability per period across the cohort at the start."""
        return self.alpha / (self.alpha + self.beta)

    def projected_survivors(self, size: float, periods: int) -> list[float]:
        """Expected survivors at the start of periods 0..periods for a cohort of `size`."""
        return [size * self.survival(t) for t in range(periods + 1)]


def limit_note(model: SbgFit) -> str | None:
    """What a fit stopped at the search's edge still says, in plain words; None when the
    optimiser found an inside optimum. Alpha and beta then mean nothing on their own, but the
    curve they draw is still the best fit to the data, so the note quotes the curve."""
    if not model.at_limit:
        return None
    edge = LIMIT - 1e-3
    logs = (float(np.log(model.alpha)), float(np.log(model.beta)))
    if any(v > edge for v in logs):
        # A large alpha + beta is a narrow Beta: no measurable spread between customers.
        why = (
            "every customer looks alike, the same share leaving each period, so retention "
            "does not rise with time"
        )
    elif all(v < -edge for v in logs):
        why = (
            "the history looks like two kinds of customer, those who leave in their first "
            "period and those who never leave"
        )
    else:
        why = "the history is too short or too even to tell how customers differ"
    first = model.churn_probability(1)
    later = model.retention_rate(2)
    return (
        f"α and β stopped at the edge of the search, so they are not figures to quote: {why}. "
        f"What the fit does say: {first:.1%} of a cohort leaves in its first period, and "
        f"{later:.1%} of those still there renew at the end of the second. More cohorts or "
        "more periods of history will pin the model down."
    )


def check_survivors(survivors: Sequence[float], where: str = "survivors") -> list[float]:
    """The counts as floats, or a TenureError naming the first bad one."""
    values = [float(v) for v in survivors]
    if len(values) < 2:
        raise TenureError(
            f"{where}: need the cohort size and at least one later count, got {len(values)}"
        )
    if values[0] <= 0:
        raise TenureError(f"{where}: the first count (the cohort size) must be above 0")
    for index, (earlier, later) in enumerate(zip(values, values[1:], strict=False), start=1):
        if later < 0:
            raise TenureError(f"{where}[{index}]: {later:g}: a count cannot be negative")
        if later > earlier:
            raise TenureError(
                f"{where}[{index}]: {later:g}: more survivors than the period before "
                f"({earlier:g}); survivors can only fall"
            )
    return values


def _negative_log_likelihood(params: np.ndarray, cohorts: list[np.ndarray]) -> float:
    alpha, beta = np.exp(params)
    base = betaln(alpha, beta)
    total = 0.0
    for survivors in cohorts:
        n = len(survivors) - 1
        t = np.arange(1, n + 1)
        lost = survivors[:-1] - survivors[1:]
        log_p = betaln(alpha + 1, beta + t - 1) - base
        log_s = betaln(alpha, beta + n) - base
        total += float(np.dot(lost, log_p) + survivors[-1] * log_s)
    return -total


def fit(cohorts: Sequence[Sequence[float]]) -> SbgFit:
    """Maximum-likelihood alpha and beta from one or more cohorts' survivor counts."""
    checked = [
        np.asarray(check_survivors(c, f"cohort {i + 1}" if len(cohorts) > 1 else "survivors"))
        for i, c in enumerate(cohorts)
    ]
    if not checked:
        raise TenureError("no cohort to fit: need at least one cohort observed for a period")
    lost = sum(float(c[0] - c[-1]) for c in checked)
    kept = sum(float(c[-1]) for c in checked)
    if lost == 0:
        raise TenureError("nobody churned in the observed periods: the model cannot be fitted")
    if kept == 0 and all(len(c) == 2 for c in checked):
        raise TenureError("everyone churned in the first period: the model cannot be fitted")
    result = minimize(
        _negative_log_likelihood,
        x0=np.zeros(2),
        args=(checked,),
        method="L-BFGS-B",
        bounds=[(-LIMIT, LIMIT)] * 2,
    )
    log_alpha, log_beta = (float(v) for v in result.x)
    best = float(result.fun)
    edge = _no_spread_edge(checked)
    if edge is not None:
        # When customers do not differ (the same share leaves every period), the likelihood
        # keeps rising along alpha/beta fixed up to the edge of the search, and where the
        # optimiser gives up on that nearly flat ridge depends on floating-point details of
        # the machine. The ridge's end is the no-spread (geometric) model itself: compare
        # with it explicitly, so every machine gives the same fit.
        at_edge = _negative_log_likelihood(np.asarray(edge), checked)
        if at_edge <= best + 1e-9 * max(1.0, abs(best)):
            (log_alpha, log_beta), best = edge, at_edge
    return SbgFit(
        alpha=float(np.exp(log_alpha)),
        beta=float(np.exp(log_beta)),
        log_likelihood=-best,
        cohorts=len(checked),
        periods=max(len(c) - 1 for c in checked),
        at_limit=any(abs(v) > LIMIT - 1e-3 for v in (log_alpha, log_beta)),
    )


def _no_spread_edge(cohorts: list[np.ndarray]) -> tuple[float, float] | None:
    """log(alpha), log(beta) on the edge of the search with alpha / (alpha + beta) the share
    lost per customer-period at risk: the sBG's limit with no spread between customers.
    None when that share is 0 or 1 (nobody, or everybody, left)."""
    lost = sum(float(c[0] - c[-1]) for c in cohorts)
    at_risk = sum(float(np.sum(c[:-1])) for c in cohorts)
    if at_risk <= 0 or not 0 < lost < at_risk:
        return None
    share = lost / at_risk
    odds = float(np.log(share / (1 - share)))
    # The larger of the two sits on the edge; the other keeps their ratio.
    return (LIMIT, LIMIT - odds) if odds > 0 else (LIMIT + odds, LIMIT)
