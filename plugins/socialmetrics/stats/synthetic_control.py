"""Synthetic control: the consolidating organisation against a weighted mix of the others.

Abadie, Diamond and Hainmueller (2010). Each organisation's daily values are divided by its
before-window mean (so a large force and a small one are comparable), and non-negative
weights summing to 1 over the control organisations are fitted to the treated
organisation's before window by constrained least squares (scipy.optimize.minimize, SLSQP).
The synthetic organisation is that weighted mix on every day; the effect is the treated
relative change net of the synthetic one's, (T_after / T_before) / (S_after / S_before) - 1,
with the interval and p-value of socialmetrics.stats.log_contrast (whole-week block
permutation over calendar days, weights held fixed).

Placebo in space: every control in turn plays the treated organisation, fitted on the other
controls; the p-value is the share of organisations (the treated one included) whose effect
is at least as large in absolute value (log scale) as the treated one's. With J controls the
smallest possible p-value is 1 / (J + 1): below 19 controls it can never reach 0.05.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from socialmetrics.stats.log_contrast import Term, log_contrast

MIN_CONTROLS = 2


@dataclass(frozen=True)
class SyntheticControlResult:
    """The synthetic-control effect with its interval, placebo p-value and weights."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float  # the block permutation test of the effect, weights fixed
    placebo_p_value: float  # rank among the placebo-in-space effects
    placebo_effects: int  # number of placebos ranked
    weights: dict[str, float]
    before_fit_rmse: float  # root mean squared gap over the before window (relative units)


def fit_weights(treated: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 minimising ||treated - controls.T @ w||^2.

    ``treated``: before-window days; ``controls``: controls x days, both already divided
    by their before-window means.
    """
    count = controls.shape[0]
    start = np.full(count, 1.0 / count)

    def loss(weights):
        gap = treated - weights @ controls
        return float(gap @ gap)

    def gradient(weights):
        return -2.0 * controls @ (treated - weights @ controls)

    result = optimize.minimize(
        loss,
        start,
        jac=gradient,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * count,
        constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
        options={"maxiter": 500, "ftol": 1e-12},
    )
    weights = np.clip(result.x, 0.0, None)
    return weights / weights.sum()


def _normalised(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = before.mean(axis=-1, keepdims=True)
    return before / scale, after / scale


def _log_effect(treated_before, treated_after, synthetic_before, synthetic_after) -> float:
    """log of the treated change over the synthetic change; NaN when a mean is not positive."""
    means = [x.mean() for x in (treated_before, treated_after, synthetic_before, synthetic_after)]
    if min(means) <= 0:
        return math.nan
    return math.log(means[1] / means[0]) - math.log(means[3] / means[2])


def _placebo_effects(before: np.ndarray, after: np.ndarray) -> list[float]:
    """Each control's effect against a synthetic control of the other controls; a control
    whose effect is undefined (nothing at all after the event) is left out."""
    effects = []
    for j in range(before.shape[0]):
        others = [i for i in range(before.shape[0]) if i != j]
        weights = fit_weights(before[j], before[others])
        effect = _log_effect(before[j], after[j], weights @ before[others], weights @ after[others])
        if math.isfinite(effect):
            effects.append(effect)
    return effects


def synthetic_control(
    treated_before: np.ndarray,
    treated_after: np.ndarray,
    controls_before: dict[str, np.ndarray],
    controls_after: dict[str, np.ndarray],
    *,
    n_resamples: int,
    confidence_level: float,
    rng: np.random.Generator,
) -> SyntheticControlResult | None:
    """The synthetic-control estimate of a per-day metric (values per calendar day).

    Controls with a zero before-window mean cannot be scaled and are left out. Returns None
    with fewer than MIN_CONTROLS usable controls or a treated before mean of 0.
    """
    from socialmetrics.stats.consolidation import DailySeries

    names = [name for name in controls_before if np.mean(controls_before[name]) > 0]
    treated_before = np.asarray(treated_before, float)
    treated_after = np.asarray(treated_after, float)
    if len(names) < MIN_CONTROLS or treated_before.mean() <= 0 or treated_after.size == 0:
        return None
    before, after = _normalised(
        np.stack([np.asarray(controls_before[n], float) for n in names]),
        np.stack([np.asarray(controls_after[n], float) for n in names]),
    )
    treated_b, treated_a = _normalised(treated_before, treated_after)
    weights = fit_weights(treated_b, before)
    synthetic_before, synthetic_after = weights @ before, weights @ after
    if synthetic_after.mean() <= 0 or treated_after.mean() <= 0:
        return None
    effect = _log_effect(treated_b, treated_a, synthetic_before, synthetic_after)
    result = log_contrast(
        [
            Term(DailySeries.per_day(treated_before), DailySeries.per_day(treated_after)),
            Term(DailySeries.per_day(synthetic_before), DailySeries.per_day(synthetic_after), -1.0),
        ],
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        rng=rng,
    )
    placebos = _placebo_effects(before, after)
    as_large = sum(abs(p) >= abs(effect) - 1e-12 for p in placebos)
    low, high = result.relative_ci if math.isfinite(result.ci_low) else (math.nan, math.nan)
    return SyntheticControlResult(
        estimate=math.expm1(effect),
        ci_low=low,
        ci_high=high,
        p_value=result.p_value,
        placebo_p_value=(1 + as_large) / (1 + len(placebos)),
        placebo_effects=len(placebos),
        weights={name: float(w) for name, w in zip(names, weights, strict=True)},
        before_fit_rmse=float(np.sqrt(np.mean((treated_b - synthetic_before) ** 2))),
    )
