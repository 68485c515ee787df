"""The national check (docs/design.md#8-consolidation-impact): do organisations with more
accounts get more engagement?

:func:`organisation_period_summary` reduces organisation x day figures to one row per
organisation over a period; :func:`spearman_correlation` correlates two of its columns across
organisations, with a permutation p-value (exact when the organisations are few enough to
enumerate every pairing, Monte Carlo otherwise), which holds at any number of organisations
where scipy.stats.spearmanr's t approximation needs about ten or more.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_RESAMPLES = 9999
# Fewer organisations than this and no correlation is reported.
MIN_ORGANISATIONS = 3


@dataclass(frozen=True)
class Correlation:
    """Spearman's rho across ``n`` pairs and its two-sided p-value (NaN when undefined)."""

    rho: float
    p_value: float
    n: int
    exact: bool

    @property
    def method(self) -> str:
        if math.isnan(self.p_value):
            return "Spearman rank correlation; not computed"
        kind = "exact (every pairing)" if self.exact else "Monte Carlo"
        return f"Spearman rank correlation; two-sided permutation p-value, {kind}"


def _ranks(values: np.ndarray) -> np.ndarray:
    return stats.rankdata(values, axis=-1)


def _pearson_last_axis(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=-1, keepdims=True)
    y = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x * y).sum(axis=-1) / np.sqrt((x * x).sum(axis=-1) * (y * y).sum(axis=-1))


def spearman_correlation(x, y, *, n_resamples: int = DEFAULT_RESAMPLES, rng=None) -> Correlation:
    """Spearman's rho of ``x`` and ``y`` (pairs with a NaN dropped) with a permutation p-value.

    rho is scipy.stats.spearmanr's (Pearson correlation of average ranks, ties included). The
    p-value is scipy.stats.permutation_test over pairings of x with y: exact when n! <=
    ``n_resamples`` (n <= 7 at the default), else from ``n_resamples`` random pairings drawn
    from ``rng`` (a seed or numpy Generator). NaN when fewer than 3 pairs remain or either side
    is constant.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x and y must be 1-D arrays of the same length")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < MIN_ORGANISATIONS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Correlation(math.nan, math.nan, n, False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rho = float(stats.spearmanr(x, y).statistic)
    y_ranks = _ranks(y)

    def statistic(sample, axis=-1):
        return _pearson_last_axis(_ranks(sample), y_ranks)

    result = stats.permutation_test(
        (x,),
        statistic,
        permutation_type="pairings",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(rng),
    )
    return Correlation(rho, float(result.pvalue), n, math.factorial(n) <= n_resamples)


def organisation_period_summary(
    daily: pd.DataFrame, period_start: date, period_end: date
) -> pd.DataFrame:
    """One row per organisation over the days period_start..period_end (both included).

    ``daily`` has one row per organisation and day with columns organisation, day,
    active_accounts and engagement (intermediate.int_organisation_daily). Returns organisation, days
    (days with data in the period), active_accounts (mean per day), total_engagement,
    engagement_per_day (total / days) and engagement_per_account (total / mean active
    accounts, NaN when that is 0), sorted by organisation; organisations without a day in the
    period are left out.
    """
    days = pd.to_datetime(daily["day"]).dt.date
    period = daily.loc[(days >= period_start) & (days <= period_end)]
    grouped = period.groupby("organisation", sort=True)
    summary = pd.DataFrame(
        {
            "days": grouped["day"].count(),
            "active_accounts": grouped["active_accounts"].mean().astype(float),
            "total_engagement": grouped["engagement"].sum().astype("int64"),
        }
    )
    summary["engagement_per_day"] = summary["total_engagement"] / summary["days"]
    accounts = summary["active_accounts"].where(summary["active_accounts"] > 0)
    summary["engagement_per_account"] = summary["total_engagement"] / accounts
    return summary.reset_index()
