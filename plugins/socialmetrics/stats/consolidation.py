"""Before/after statistics of a consolidation event (docs/design.md#8-consolidation-impact)
that hold on daily data.

A metric over a window of days is a :class:`DailySeries`: a numerator and a denominator per
day, and the window's value is sum(numerator) / sum(denominator). With a denominator of 1 per
day that is the mean per day (engagement per day, posts per day, active accounts); with posts
or followers as denominator it is a rate over the whole window (engagement per post = the
window's engagement / the window's posts), so a quiet day weighs nothing instead of adding a
0/0.

Engagement carries over from day to day and follows the week, so no statistic here treats
days as independent (socialmetrics.stats.log_contrast, socialmetrics.stats.blocks):

- :func:`compare_windows`: relative change (after / before - 1) with a two-sided permutation
  test that moves whole-week blocks between the windows (at least three weeks, longer when
  arch's data-driven block length says the days carry over longer) and the 95% interval
  that inverts that test (the changes it does not reject).
- :func:`difference_in_differences`: the treated organisation's ratio after/before divided by
  the control group's ratio over the same calendar days, minus 1, so a change common to both
  (season, platform reach) cancels; the same interval and test, moving the calendar days of
  treated and control together. :func:`parallel_trends_placebo` runs it on a placebo event in
  the middle of the before window, where no effect should show.
- :func:`segmented_regression`: interrupted time series, ordinary least squares
  (statsmodels) of the daily values on day, after, day since the first after day and the
  weekday, with Newey-West (HAC) standard errors; its p-values and intervals come from a
  studentized circular block bootstrap of the residuals, because the HAC t statistic is far
  from Student's t over a few months of autocorrelated days.

tests/stats/test_calibration.py measures the false-positive rates, coverages and power of
every one of them on simulated days with carry-over, a weekly rhythm and overdispersion.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm

from socialmetrics.stats.blocks import block_days, long_run_variance, resampled_days
from socialmetrics.stats.log_contrast import MIN_INFERENCE_DAYS, ContrastResult, Term, log_contrast

DEFAULT_RESAMPLES = 1999
CONFIDENCE_LEVEL = 0.95
# Fewer days than this in a window and no interval or test is attempted.
MIN_WINDOW_DAYS = MIN_INFERENCE_DAYS
# Fewer days with a value than this on either side and no segmented regression is fitted.
MIN_ITS_DAYS = 28

TEST_METHOD = (
    "two-sided permutation test of log(after/before) moving whole-week blocks between the "
    "windows (scipy.stats.permutation_test)"
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
    """Before and after values of one metric; NaN where a value is undefined.

    ``block_days`` is the bootstrap block length and ``permutation_block_days`` the length of
    the permuted blocks (0 when no interval or test was computed).
    """

    days_before: int
    days_after: int
    before_value: float
    after_value: float
    absolute_change: float
    relative_change: float
    ci_low: float
    ci_high: float
    p_value: float
    block_days: int = 0
    permutation_block_days: int = 0
    log_standard_error: float = math.nan


@dataclass(frozen=True)
class DidResult:
    """Difference in differences as a relative effect: (T_after/T_before)/(C_after/C_before) - 1."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    treated_relative_change: float
    control_relative_change: float
    block_days: int = 0
    permutation_block_days: int = 0
    log_standard_error: float = math.nan


@dataclass(frozen=True)
class ItsResult:
    """Segmented regression y = b0 + b1 t + b2 after + b3 after (t - t_first_after) + weekday + e.

    ``level_change`` is b2 (the jump on the first after day over the before trend, in the
    metric's unit), ``slope_change`` b3 (per day); standard errors are Newey-West with
    ``lags`` lags, p-values and intervals from the studentized block bootstrap with blocks of
    ``block_days``.
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
    block_days: int = 0


def _relative_interval(result: ContrastResult) -> tuple[float, float]:
    return result.relative_ci if math.isfinite(result.ci_low) else (math.nan, math.nan)


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
    undefined); ``p_value`` the two-sided whole-week block permutation test of log(after /
    before); ``ci_low``/``ci_high`` the changes that test does not reject at 5%.
    Interval and test are NaN when a window has fewer than MIN_WINDOW_DAYS days or a value is
    0. ``rng`` is a seed or numpy Generator: the same seed gives the same interval and p-value.
    """
    rng = np.random.default_rng(rng)
    before_value, after_value = before.value, after.value
    absolute = after_value - before_value
    relative = after_value / before_value - 1 if before_value > 0 else math.nan
    result = log_contrast(
        [Term(before, after)], n_resamples=n_resamples, confidence_level=confidence_level, rng=rng
    )
    ci_low, ci_high = _relative_interval(result)
    return WindowComparison(
        days_before=before.days,
        days_after=after.days,
        before_value=before_value,
        after_value=after_value,
        absolute_change=absolute,
        relative_change=relative,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=result.p_value,
        block_days=result.block_days,
        permutation_block_days=result.permutation_block_days,
        log_standard_error=result.standard_error,
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
    change the controls saw. Interval and p-value as in :func:`compare_windows`, moving
    calendar days (treated and control of one day together), so shocks common to a day stay
    paired. NaN when a value is 0 or undefined or a window is too short.
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
    ci_low = ci_high = p_value = error = math.nan
    block = permutation_block = 0
    if math.isfinite(estimate) and treated_ratio > 0:
        result = log_contrast(
            [Term(treated_before, treated_after), Term(control_before, control_after, -1.0)],
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            rng=rng,
        )
        ci_low, ci_high = _relative_interval(result)
        p_value, error = result.p_value, result.standard_error
        block, permutation_block = result.block_days, result.permutation_block_days
    return DidResult(
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        treated_relative_change=treated_ratio - 1,
        control_relative_change=control_ratio - 1,
        block_days=block,
        permutation_block_days=permutation_block,
        log_standard_error=error,
    )


def _halves(series: DailySeries) -> tuple[DailySeries, DailySeries]:
    middle = series.days // 2
    return (
        DailySeries(series.numerator[:middle], series.denominator[:middle]),
        DailySeries(series.numerator[middle:], series.denominator[middle:]),
    )


def parallel_trends_placebo(
    treated_before: DailySeries,
    control_before: DailySeries,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng=None,
) -> DidResult:
    """The difference in differences of a placebo event in the middle of the before window.

    The first half of the before window plays "before" and the second half "after". Nothing
    happened there, so an estimate far from 0 (a small p-value) says that treated and
    controls were already drifting apart before the event: the difference in differences
    then measures that drift as well as the consolidation.
    """
    treated_first, treated_second = _halves(treated_before)
    control_first, control_second = _halves(control_before)
    return difference_in_differences(
        treated_first,
        treated_second,
        control_first,
        control_second,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        rng=rng,
    )


def newey_west_lags(days: int) -> int:
    """Bartlett bandwidth of the segmented regression's HAC errors: all lags (n - 1).

    Kiefer and Vogelsang's fixed-b choice (b = 1): with the bootstrap supplying the critical
    values it over-rejects far less than a rule-of-thumb bandwidth on a few months of days.
    """
    return max(0, days - 1)


def _its_design(days: np.ndarray, first_after: float) -> np.ndarray:
    after = (days >= first_after).astype(float)
    columns = [np.ones_like(days), days, after, after * (days - first_after)]
    weekday = np.mod(days.astype(np.int64), 7)
    columns += [(weekday == d).astype(float) for d in range(1, 7) if np.any(weekday == d)]
    return np.column_stack(columns)


def _bootstrap_t(design, residuals, coefficients_of_interest, block, resamples, rng):
    """|t| of each coefficient over residual block-bootstrap resamples (fixed design)."""
    n, k = design.shape
    projector = np.linalg.pinv(design)  # (X'X)^-1 X'
    index = resampled_days(n, block, resamples, rng)
    drawn = residuals[index]  # resamples x n
    shifts = drawn @ projector.T  # coefficient deviations, resamples x k
    refit_residuals = drawn - shifts @ design.T
    t_values = []
    for c in coefficients_of_interest:
        scores = refit_residuals * projector[c][None, :]
        variance = n / (n - k) * n * long_run_variance(scores)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_values.append(np.abs(shifts[:, c]) / np.sqrt(variance))
    return t_values


def segmented_regression(
    before_days,
    before_values,
    after_days,
    after_values,
    *,
    min_days: int = MIN_ITS_DAYS,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = DEFAULT_RESAMPLES,
    rng=None,
) -> ItsResult | None:
    """Interrupted time series by segmented OLS (statsmodels) with Newey-West errors.

    ``*_days`` are day numbers (offsets from the event date) and ``*_values`` the metric on
    those days; days may be missing (a rate on a day without posts), and the remaining days
    are taken in order. Fits y = b0 + b1 t + b2 after + b3 after (t - t0) + weekday dummies,
    t0 the first after day; standard errors are statsmodels' HAC (Bartlett, all lags, small
    sample correction). p-values and intervals compare |b / se| with the same ratio over
    residual resamples of the circular block bootstrap (studentized bootstrap). Returns None
    when either side has fewer than ``min_days`` days.
    """
    before_days = np.asarray(before_days, dtype=float)
    after_days = np.asarray(after_days, dtype=float)
    if before_days.size < min_days or after_days.size < min_days:
        return None
    if before_days.max() >= after_days.min():
        raise ValueError("every before day must come before every after day")
    rng = np.random.default_rng(rng)
    days = np.concatenate([before_days, after_days])
    values = np.concatenate([np.asarray(before_values, float), np.asarray(after_values, float)])
    design = _its_design(days, after_days.min())
    n, k = design.shape
    if np.linalg.matrix_rank(design) < k:
        return None
    lags = newey_west_lags(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.OLS(values, design).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}
        )
    coefficients = np.asarray(fit.params) + 0.0  # no negative zeros
    residuals = np.asarray(fit.resid)
    errors = np.asarray(fit.bse)
    if np.max(np.abs(residuals)) <= 1e-9 * max(1.0, float(np.max(np.abs(values)))):
        # An exact fit (noiseless data): the coefficients are exact, no error to speak of.
        errors = np.zeros_like(errors)
    block = block_days([residuals], n)
    level_t, slope_t = _bootstrap_t(design, residuals, (2, 3), block, n_resamples, rng)

    def p_value(index: int, replicates: np.ndarray) -> float:
        if errors[index] == 0:
            return math.nan
        observed = abs(coefficients[index] / errors[index])
        return float((1 + np.sum(replicates >= observed)) / (replicates.size + 1))

    if errors[2] == 0:
        quantile = 0.0
    else:
        quantile = float(np.quantile(np.nan_to_num(level_t, nan=np.inf), confidence_level))
    return ItsResult(
        days_before=int(before_days.size),
        days_after=int(after_days.size),
        level_change=float(coefficients[2]),
        level_se=float(errors[2]),
        level_ci_low=float(coefficients[2] - quantile * errors[2]),
        level_ci_high=float(coefficients[2] + quantile * errors[2]),
        level_p_value=p_value(2, level_t),
        slope_change=float(coefficients[3]),
        slope_se=float(errors[3]),
        slope_p_value=p_value(3, slope_t),
        lags=lags,
        block_days=block,
    )
