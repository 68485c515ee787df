"""The national finding pooled over consolidation events: a random-effects meta-analysis.

Each event contributes its relative change on the log scale, log(1 + change), with the
variance its own 95% interval implies ((log(1 + high) - log(1 + low)) / (2 x 1.96))^2.
statsmodels.stats.meta_analysis.combine_effects pools them: between-event variance tau^2 by
Paule-Mandel (iterated), and the interval of the pooled mean with the Hartung-Knapp-Sidik-
Jonkman adjustment and Student's t with k - 1 degrees of freedom, which keeps its coverage
with few events where the plain random-effects interval does not. Heterogeneity: Cochran's Q
with its p-value, I^2 (the share of the spread between events that is not chance) and
tau^2.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

MIN_EVENTS = 2
_Z = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class PooledEffect:
    """The pooled relative change (NaN when fewer than MIN_EVENTS events are usable)."""

    events: int
    relative_change: float
    ci_low: float
    ci_high: float
    p_value: float
    tau2: float
    i2: float
    q: float
    q_p_value: float
    smallest: float  # the smallest and largest event estimates pooled
    largest: float


def log_effect_and_variance(change: float, low: float, high: float) -> tuple[float, float]:
    """(log(1 + change), variance implied by the 95% interval); NaN when unusable."""
    values = (change, low, high)
    if not all(v is not None and math.isfinite(v) and v > -1 for v in values) or high <= low:
        return math.nan, math.nan
    error = (math.log1p(high) - math.log1p(low)) / (2 * _Z)
    return math.log1p(change), error * error


def pool_events(changes, lows, highs, *, confidence_level: float = 0.95) -> PooledEffect:
    """Random-effects pooling of relative changes given with their 95% intervals."""
    pairs = [
        log_effect_and_variance(c, lo, hi) for c, lo, hi in zip(changes, lows, highs, strict=True)
    ]
    pairs = [(e, v) for e, v in pairs if math.isfinite(e)]
    if len(pairs) < MIN_EVENTS:
        nan = math.nan
        return PooledEffect(len(pairs), nan, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    effects = np.array([e for e, _ in pairs])
    variances = np.array([v for _, v in pairs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = combine_effects(
            effects, variances, method_re="iterated", use_t=True, alpha=1 - confidence_level
        )
        low, high = result.conf_int(alpha=1 - confidence_level, use_t=True)[3]
        homogeneity = result.test_homogeneity()
    mean = float(result.mean_effect_re)
    error = float(result.sd_eff_w_re_hksj)
    df = len(pairs) - 1
    p_value = float(2 * stats.t.sf(abs(mean / error), df)) if error > 0 else math.nan
    return PooledEffect(
        events=len(pairs),
        relative_change=math.expm1(mean),
        ci_low=math.expm1(float(low)),
        ci_high=math.expm1(float(high)),
        p_value=p_value,
        tau2=float(result.tau2),
        # statsmodels gives (Q - df) / Q, negative when Q < df; I^2 is defined as at least 0.
        i2=max(0.0, float(result.i2)),
        q=float(result.q),
        q_p_value=float(homogeneity.pvalue),
        smallest=math.expm1(float(effects.min())),
        largest=math.expm1(float(effects.max())),
    )
