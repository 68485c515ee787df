"""Before/after statistics of a consolidation event (SPEC 7.4), computed with scipy.

A metric over a window of days is a :class:`DailySeries`: a numerator and a denominator per
day, and the window's value is sum(numerator) / sum(denominator). With a denominator of 1 per
day that is the mean per day (engagement per day, posts per day, active accounts); with posts
or followers as denominator it is a rate over the whole window (engagement per post = the
window's engagement / the window's posts), so a quiet day weighs nothing instead of adding a
0/0. Every statistic below resamples or permutes whole days, numerator and denominator
together:

- :func:`compare_windows`: relative change (after / before - 1) with a BCa bootstrap interval
  (scipy.stats.bootstrap, the days of each window resampled independently) and a two-sided
  permutation test of the difference (scipy.stats.permutation_test, days permuted between the
  windows).
- :func:`difference_in_differences`: the treated organisation's ratio after/before divided by
  the control group's ratio over the same calendar days, minus 1, so a change common to both
  (season, platform reach) cancels; bootstrap interval and permutation test that resample or
  permute calendar days, treated and control together.
- :func:`segmented_regression`: interrupted time series, ordinary least squares of the daily
  values on day, after, and day since the first after day, with Newey-West (Bartlett kernel)
  standard errors because daily values are autocorrelated.

Days are treated as exchangeable within a window; autocorrelation (weekly rhythm, bursts)
makes the bootstrap interval and the permutation p-value somewhat optimistic, which the
segmented regression's HAC errors are there to offset.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

DEFAULT_RESAMPLES = 9999
CONFIDENCE_LEVEL = 0.95
# Fewer days than this in a window and no interval or test is attempted.
MIN_WINDOW_DAYS = 2
# Fewer days with a value than this on either side and no segmented regression is fitted.
MIN_ITS_DAYS = 28

TEST_METHOD = (
    "two-sided permutation test of after - before (days permuted between the windows, "
    "scipy.stats.permutation_test)"
)


@dataclass(frozen=True)
class DailySeries:
    """A metric over the consecutive days of one window: numerator and denominator per day.

    ``value`` = sum(numerator) / sum(denominator), NaN when the denominator sums to 0. Build
    one with :meth:`per_day` (denominator 1 a day: the value is the mean per day) or
    :meth:`rate` (a day with a missing or zero denominator counts 0 on both sides).
    """

    numerator: np.ndarray
    denominator: np.ndarray

    def __post_init__(self):
        numerator = np.asarray(self.numerator, dtype=float)
        denominator = np.asarray(self.denominator, dtype=float)
        if numerator.ndim != 1 or numerator.shape != denominator.shape:
            raise ValueError("numerator and denominator must be 1-D arrays of the same length")
        if not (np.all(np.isfinite(numerator)) and np.all(np.isfinite(denominator))):
            raise ValueError("a daily series holds finite numbers only")
        if np.any(denominator < 0):
            raise ValueError("a denominator cannot be negative")
        object.__setattr__(self, "numerator", numerator)
        object.__setattr__(self, "denominator", denominator)

    @classmethod
    def per_day(cls, values) -> DailySeries:
        """A per-day metric (a count per day): the window's value is its mean per day."""
        values = np.asarray(values, dtype=float)
        return cls(values, np.ones_like(values))

    @classmethod
    def rate(cls, numerator, denominator, *, scale: float = 1.0) -> DailySeries:
        """A rate ``scale * numerator / denominator`` over the window (ratio of sums).

        Days whose denominator is missing (NaN) or 0 count 0 on both sides.
        """
        numerator = np.asarray(numerator, dtype=float)
        denominator = np.asarray(denominator, dtype=float)
        usable = np.isfinite(denominator) & (denominator > 0) & np.isfinite(numerator)
        return cls(np.where(usable, scale * numerator, 0.0), np.where(usable, denominator, 0.0))

    @property
    def days(self) -> int:
        return int(self.numerator.size)

    @property
    def value(self) -> float:
        total = self.denominator.sum()
        return float(self.numerator.sum() / total) if total > 0 else math.nan

    def daily_values(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions, values) of the days whose denominator is positive."""
        positions = np.flatnonzero(self.denominator > 0)
        return positions, self.numerator[positions] / self.denominator[positions]


@dataclass(frozen=True)
class WindowComparison:
    """Before and after values of one metric; NaN where a value is undefined."""

    days_before: int
    days_after: int
    before_value: float
    after_value: float
    absolute_change: float
    relative_change: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class DidResult:
    """Difference in differences as a relative effect: (T_after/T_before)/(C_after/C_before) - 1."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    treated_relative_change: float
    control_relative_change: float


@dataclass(frozen=True)
class ItsResult:
    """Segmented regression y = b0 + b1 t + b2 after + b3 after (t - t_first_after) + e.

    ``level_change`` is b2 (the jump on the first after day over the before trend, in the
    metric's unit), ``slope_change`` b3 (per day); errors are Newey-West with ``lags``.
    """

    days_before: int
    days_after: int
    level_change: float
    level_se: float
    level_ci_low: float
    level_ci_high: float
    level_p_value: float
    slope_change: float
    slope_se: float
    slope_p_value: float
    lags: int


def _window_ratio(numerator: np.ndarray, denominator: np.ndarray, index) -> np.ndarray:
    """sum(numerator)/sum(denominator) over the days ``index`` (last axis), NaN for 0/0."""
    index = np.asarray(index).astype(np.intp)
    top = numerator[index].sum(axis=-1)
    bottom = denominator[index].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)


def _indices(before_days: int, after_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the before and after days in the concatenated arrays, as floats for scipy."""
    before = np.arange(before_days, dtype=float)
    return before, np.arange(before_days, before_days + after_days, dtype=float)


def _permutation_p_value(
    statistic: Callable, before_days: int, after_days: int, n_resamples: int, rng
) -> float:
    result = stats.permutation_test(
        _indices(before_days, after_days),
        statistic,
        permutation_type="independent",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=rng,
    )
    return float(result.pvalue)


def _bootstrap_interval(
    statistic: Callable,
    observed: float,
    before_days: int,
    after_days: int,
    n_resamples: int,
    confidence_level: float,
    rng,
) -> tuple[float, float]:
    """BCa interval resampling the days of each window independently.

    NaN when a resample leaves a window without denominator; the observed value twice when
    every resample gives the same value (a constant metric).
    """
    with warnings.catch_warnings():
        # A constant metric makes BCa degenerate; handled below.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.bootstrap(
            _indices(before_days, after_days),
            statistic,
            n_resamples=n_resamples,
            vectorized=True,
            paired=False,
            confidence_level=confidence_level,
            method="BCa",
            rng=rng,
        )
    distribution = np.asarray(result.bootstrap_distribution)
    if not np.all(np.isfinite(distribution)):
        return math.nan, math.nan
    if np.ptp(distribution) <= 1e-12 * max(1.0, abs(observed)):
        return observed, observed
    low, high = result.confidence_interval
    return float(low), float(high)


def compare_windows(
    before: DailySeries,
    after: DailySeries,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng=None,
) -> WindowComparison:
    """Compare one metric before and after an event.

    ``relative_change`` = after_value / before_value - 1 (NaN when before_value is 0 or
    undefined); ``ci_low``/``ci_high`` its BCa bootstrap interval; ``p_value`` a two-sided
    permutation test of after_value - before_value. Interval and test are NaN when a window
    has fewer than 2 days. ``rng`` is a seed or numpy Generator: the same seed gives the same
    interval and p-value.
    """
    rng = np.random.default_rng(rng)
    before_value, after_value = before.value, after.value
    absolute = after_value - before_value
    relative = after_value / before_value - 1 if before_value > 0 else math.nan
    ci_low = ci_high = p_value = math.nan
    if min(before.days, after.days) >= MIN_WINDOW_DAYS and math.isfinite(absolute):
        numerator = np.concatenate([before.numerator, after.numerator])
        denominator = np.concatenate([before.denominator, after.denominator])

        def difference(b, a, axis=-1):
            return _window_ratio(numerator, denominator, a) - _window_ratio(
                numerator, denominator, b
            )

        p_value = _permutation_p_value(difference, before.days, after.days, n_resamples, rng)
        if math.isfinite(relative):

            def relative_change(b, a, axis=-1):
                with np.errstate(divide="ignore", invalid="ignore"):
                    return (
                        _window_ratio(numerator, denominator, a)
                        / _window_ratio(numerator, denominator, b)
                        - 1
                    )

            ci_low, ci_high = _bootstrap_interval(
                relative_change,
                relative,
                before.days,
                after.days,
                n_resamples,
                confidence_level,
                rng,
            )
    return WindowComparison(
        days_before=before.days,
        days_after=after.days,
        before_value=before_value,
        after_value=after_value,
        absolute_change=absolute,
        relative_change=relative,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
    )


def difference_in_differences(
    treated_before: DailySeries,
    treated_after: DailySeries,
    control_before: DailySeries,
    control_after: DailySeries,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng=None,
) -> DidResult:
    """Relative difference in differences of treated against control over the same days.

    The control series must cover the same calendar days as the treated one, in the same
    order (day i of treated_before is day i of control_before). estimate =
    (T_after / T_before) / (C_after / C_before) - 1: the treated relative change net of the
    change the controls saw. The interval is a BCa bootstrap and the p-value a two-sided
    permutation test, both moving calendar days (treated and control of one day together), so
    shocks common to a day stay paired. NaN when a value is 0 or undefined or a window has
    fewer than 2 days.
    """
    if treated_before.days != control_before.days or treated_after.days != control_after.days:
        raise ValueError("treated and control must cover the same days")
    rng = np.random.default_rng(rng)
    positive = treated_before.value > 0 and control_before.value > 0 and control_after.value > 0
    if positive:
        treated_ratio = treated_after.value / treated_before.value
        control_ratio = control_after.value / control_before.value
    else:
        treated_ratio = control_ratio = math.nan
    estimate = treated_ratio / control_ratio - 1
    ci_low = ci_high = p_value = math.nan
    if min(treated_before.days, treated_after.days) >= MIN_WINDOW_DAYS and math.isfinite(estimate):
        t_num = np.concatenate([treated_before.numerator, treated_after.numerator])
        t_den = np.concatenate([treated_before.denominator, treated_after.denominator])
        c_num = np.concatenate([control_before.numerator, control_after.numerator])
        c_den = np.concatenate([control_before.denominator, control_after.denominator])

        def ratio_of_ratios(b, a, axis=-1):
            # A resample can leave a window with a zero value: NaN, handled by the callers.
            with np.errstate(divide="ignore", invalid="ignore"):
                treated = _window_ratio(t_num, t_den, a) / _window_ratio(t_num, t_den, b)
                control = _window_ratio(c_num, c_den, a) / _window_ratio(c_num, c_den, b)
                return treated / control - 1

        p_value = _permutation_p_value(
            ratio_of_ratios, treated_before.days, treated_after.days, n_resamples, rng
        )
        ci_low, ci_high = _bootstrap_interval(
            ratio_of_ratios,
            estimate,
            treated_before.days,
            treated_after.days,
            n_resamples,
            confidence_level,
            rng,
        )
    return DidResult(
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        treated_relative_change=treated_ratio - 1,
        control_relative_change=control_ratio - 1,
    )


def newey_west_lags(days: int) -> int:
    """Bandwidth of the Newey-West (1994) rule of thumb, floor(4 (n/100)^(2/9))."""
    return int(math.floor(4 * (days / 100) ** (2 / 9)))


def segmented_regression(
    before_days,
    before_values,
    after_days,
    after_values,
    *,
    min_days: int = MIN_ITS_DAYS,
    confidence_level: float = CONFIDENCE_LEVEL,
) -> ItsResult | None:
    """Interrupted time series by segmented OLS with Newey-West standard errors.

    ``*_days`` are day numbers (for example offsets from the event date) and ``*_values`` the
    metric on those days; days may be missing (a rate on a day without posts). Fits
    y = b0 + b1 t + b2 after + b3 after (t - t0), t0 the first after day, by
    numpy.linalg.lstsq; the covariance is the HAC sandwich with Bartlett weights
    1 - |t_i - t_j| / (L + 1) on calendar distance (L from :func:`newey_west_lags`) and a
    n / (n - 4) small-sample factor; p-values and intervals use Student's t with n - 4 degrees
    of freedom. Returns None when either side has fewer than ``min_days`` days.
    """
    before_days = np.asarray(before_days, dtype=float)
    after_days = np.asarray(after_days, dtype=float)
    before_values = np.asarray(before_values, dtype=float)
    after_values = np.asarray(after_values, dtype=float)
    if before_days.size < min_days or after_days.size < min_days:
        return None
    if before_days.max() >= after_days.min():
        raise ValueError("every before day must come before every after day")
    t = np.concatenate([before_days, after_days])
    y = np.concatenate([before_values, after_values])
    after = np.concatenate([np.zeros(before_days.size), np.ones(after_days.size)])
    first_after = after_days.min()
    design = np.column_stack([np.ones_like(t), t, after, after * (t - first_after)])
    n, k = design.shape
    coefficients, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < k:
        return None
    residuals = y - design @ coefficients
    if np.max(np.abs(residuals)) <= 1e-9 * max(1.0, float(np.max(np.abs(y)))):
        # An exact fit (noiseless data): the coefficients are exact, no error to speak of.
        residuals = np.zeros_like(residuals)
    coefficients = coefficients + 0.0  # no negative zeros
    lags = newey_west_lags(n)
    weights = np.clip(1 - np.abs(t[:, None] - t[None, :]) / (lags + 1), 0, None)
    scores = design * residuals[:, None]
    bread = np.linalg.inv(design.T @ design)
    covariance = bread @ (scores.T @ weights @ scores) @ bread * n / (n - k)
    errors = np.sqrt(np.clip(np.diag(covariance), 0, None))
    df = n - k
    quantile = stats.t.ppf(0.5 + confidence_level / 2, df)

    def p_value(index: int) -> float:
        if errors[index] == 0:
            return math.nan
        return float(2 * stats.t.sf(abs(coefficients[index] / errors[index]), df))

    return ItsResult(
        days_before=int(before_days.size),
        days_after=int(after_days.size),
        level_change=float(coefficients[2]),
        level_se=float(errors[2]),
        level_ci_low=float(coefficients[2] - quantile * errors[2]),
        level_ci_high=float(coefficients[2] + quantile * errors[2]),
        level_p_value=p_value(2),
        slope_change=float(coefficients[3]),
        slope_se=float(errors[3]),
        slope_p_value=p_value(3),
        lags=lags,
    )
