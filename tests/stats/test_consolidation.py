"""socialmetrics.stats.consolidation: planted effects are recovered, null effects are not.

Daily engagement is simulated with numpy (negative binomial: over-dispersed counts, as real
engagement is), always from fixed seeds, so every test is deterministic. The repetition tests
use few resamples (199) to stay fast; their tolerances are binomial intervals around the
nominal rate.
"""

import math

import numpy as np
import pytest
from scipy import stats

from socialmetrics.stats.consolidation import (
    DailySeries,
    compare_windows,
    difference_in_differences,
    newey_west_lags,
    segmented_regression,
)

REPETITIONS = 200
FAST = 199  # resamples in the repetition tests


def negative_binomial(rng, mean, size, dispersion=10.0):
    """Counts with the given mean and variance mean + mean^2 / dispersion."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (size,))
    return rng.negative_binomial(dispersion, dispersion / (dispersion + mean))


def binomial_bounds(repetitions: int, rate: float = 0.05) -> tuple[float, float]:
    """99.9% range of the number of rejections when each happens with probability ``rate``."""
    low, high = stats.binom.interval(0.999, repetitions, rate)
    return low, high


def test_planted_25_percent_effect_is_inside_the_interval_and_significant():
    rng = np.random.default_rng(2024)
    before = negative_binomial(rng, 200, 90)
    after = negative_binomial(rng, 250, 90)
    result = compare_windows(DailySeries.per_day(before), DailySeries.per_day(after), rng=7)
    assert result.relative_change == pytest.approx(after.mean() / before.mean() - 1)
    assert result.ci_low < 0.25 < result.ci_high
    assert result.ci_low > 0  # the interval excludes "no change"
    assert result.ci_low < result.relative_change < result.ci_high
    assert result.p_value < 0.05
    assert (result.days_before, result.days_after) == (90, 90)


def test_planted_25_percent_rise_of_engagement_per_post_is_recovered():
    rng = np.random.default_rng(11)
    posts_before = rng.poisson(6, 90)
    posts_after = rng.poisson(3, 90)  # fewer posts after the consolidation...
    before = DailySeries.rate(negative_binomial(rng, 20 * posts_before, 90), posts_before)
    after = DailySeries.rate(negative_binomial(rng, 25 * posts_after, 90), posts_after)
    result = compare_windows(before, after, rng=3)
    # ...each earning 25% more: the rate is engagement over posts of the whole window.
    assert before.value == pytest.approx(before.numerator.sum() / posts_before.sum())
    assert result.ci_low < 0.25 < result.ci_high
    assert result.p_value < 0.05


def test_interval_covers_a_planted_effect_in_about_95_percent_of_repetitions():
    covered = 0
    for repetition in range(REPETITIONS):
        rng = np.random.default_rng([1, repetition])
        before = negative_binomial(rng, 200, 90)
        after = negative_binomial(rng, 250, 90)
        result = compare_windows(
            DailySeries.per_day(before),
            DailySeries.per_day(after),
            n_resamples=FAST,
            rng=repetition,
        )
        covered += result.ci_low <= 0.25 <= result.ci_high
    # Measured 190 of 200; bootstrap intervals over 90 days can run a little short of 95%.
    assert covered / REPETITIONS >= 0.88


def test_null_scenario_is_significant_at_5_percent_in_about_5_percent_of_repetitions():
    rejections = excluded_zero = 0
    for repetition in range(REPETITIONS):
        rng = np.random.default_rng([2, repetition])
        before = negative_binomial(rng, 200, 90)
        after = negative_binomial(rng, 200, 90)
        result = compare_windows(
            DailySeries.per_day(before),
            DailySeries.per_day(after),
            n_resamples=FAST,
            rng=repetition,
        )
        rejections += result.p_value < 0.05
        excluded_zero += not (result.ci_low <= 0 <= result.ci_high)
    low, high = binomial_bounds(REPETITIONS)
    assert low <= rejections <= high, rejections
    assert excluded_zero <= binomial_bounds(REPETITIONS, 0.08)[1], excluded_zero


def test_null_scenario_of_a_rate_is_not_significant_more_often_than_5_percent():
    rejections = 0
    for repetition in range(REPETITIONS):
        rng = np.random.default_rng([3, repetition])
        posts = rng.poisson(4, 180)
        engagement = negative_binomial(rng, 20 * posts, 180)
        result = compare_windows(
            DailySeries.rate(engagement[:90], posts[:90]),
            DailySeries.rate(engagement[90:], posts[90:]),
            n_resamples=FAST,
            rng=repetition,
        )
        rejections += result.p_value < 0.05
    low, high = binomial_bounds(REPETITIONS)
    assert low <= rejections <= high, rejections


def test_window_values_are_means_per_day_and_ratios_of_sums():
    before = DailySeries.per_day([10, 20, 30])
    after = DailySeries.per_day([40, 50])
    result = compare_windows(before, after, n_resamples=FAST, rng=0)
    assert (result.before_value, result.after_value) == (20.0, 45.0)
    assert result.absolute_change == 25.0
    assert result.relative_change == pytest.approx(1.25)
    # A day without posts adds nothing to engagement per post; a missing follower count
    # leaves the day out of a per-follower rate.
    per_post = DailySeries.rate([12, 0, 30], [2, 0, 3])
    assert per_post.value == pytest.approx(42 / 5)
    per_follower = DailySeries.rate([5, 7, 9], [1000, np.nan, 2000], scale=1000)
    assert per_follower.value == pytest.approx(1000 * 14 / 3000)


def test_a_constant_metric_has_a_point_interval():
    result = compare_windows(
        DailySeries.per_day([3] * 90), DailySeries.per_day([2] * 90), n_resamples=999, rng=0
    )
    assert result.relative_change == pytest.approx(-1 / 3)
    assert (result.ci_low, result.ci_high) == (result.relative_change, result.relative_change)
    # 5 blocks a side: the observed split is the most extreme of the 252.
    assert result.p_value == pytest.approx(2 / 252)


def test_undefined_values_and_too_few_days_give_nan_not_errors():
    one_day = compare_windows(DailySeries.per_day([5]), DailySeries.per_day([6, 7]), rng=0)
    assert one_day.relative_change == pytest.approx(0.3)
    assert all(math.isnan(v) for v in (one_day.ci_low, one_day.ci_high, one_day.p_value))
    from_zero = compare_windows(
        DailySeries.per_day([0, 0, 0]), DailySeries.per_day([1, 2, 3]), n_resamples=FAST, rng=0
    )
    assert math.isnan(from_zero.relative_change) and math.isnan(from_zero.ci_low)
    # Three days are no block of carry-over: no test.
    assert from_zero.absolute_change == 2.0 and math.isnan(from_zero.p_value)
    no_posts = compare_windows(
        DailySeries.rate([0, 0], [0, 0]), DailySeries.rate([4, 6], [1, 1]), rng=0
    )
    assert math.isnan(no_posts.before_value) and math.isnan(no_posts.p_value)


def test_same_seed_gives_the_same_interval_and_p_value():
    rng = np.random.default_rng(5)
    # 180 days a side hold more block splits than 999: the permutations are drawn at random.
    before = DailySeries.per_day(negative_binomial(rng, 50, 180))
    after = DailySeries.per_day(negative_binomial(rng, 55, 180))
    first = compare_windows(before, after, n_resamples=999, rng=42)
    assert compare_windows(before, after, n_resamples=999, rng=42) == first
    assert compare_windows(before, after, n_resamples=999, rng=43) != first


def _did_scenario(rng, effect, days=90):
    """Treated and control over the same days: a weekly rhythm and a +10% change common to
    both after the event, and ``effect`` on top for the treated organisation only."""
    weekly = np.tile([1.0, 1.1, 1.2, 1.1, 1.0, 0.7, 0.6], 2 * days // 7 + 1)[: 2 * days]
    common = np.r_[np.ones(days), np.full(days, 1.10)] * weekly
    treated = negative_binomial(
        rng, 200 * common * np.r_[np.ones(days), np.full(days, effect)], 2 * days
    )
    control = negative_binomial(rng, 500 * common, 2 * days)
    return [
        DailySeries.per_day(part)
        for part in (treated[:days], treated[days:], control[:days], control[days:])
    ]


def test_difference_in_differences_recovers_a_planted_effect_net_of_a_common_trend():
    treated_before, treated_after, control_before, control_after = _did_scenario(
        np.random.default_rng(8), 1.25
    )
    result = difference_in_differences(
        treated_before, treated_after, control_before, control_after, rng=1
    )
    # The treated organisation rose about 37.5% (1.25 x 1.10), the controls about 10%.
    assert result.treated_relative_change == pytest.approx(0.375, abs=0.08)
    assert result.control_relative_change == pytest.approx(0.10, abs=0.04)
    assert result.estimate == pytest.approx(
        (treated_after.value / treated_before.value) / (control_after.value / control_before.value)
        - 1
    )
    assert result.ci_low < 0.25 < result.ci_high
    assert result.p_value < 0.05


def test_difference_in_differences_under_a_common_trend_alone_rejects_at_about_5_percent():
    rejections = 0
    for repetition in range(REPETITIONS):
        parts = _did_scenario(np.random.default_rng([4, repetition]), 1.0)
        result = difference_in_differences(*parts, n_resamples=FAST, rng=repetition)
        rejections += result.p_value < 0.05
    low, high = binomial_bounds(REPETITIONS)
    assert low <= rejections <= high, rejections


def test_difference_in_differences_needs_the_same_days_and_positive_baselines():
    five = DailySeries.per_day([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="same days"):
        difference_in_differences(five, five, DailySeries.per_day([1, 2]), five)
    zero = DailySeries.per_day([0, 0, 0, 0, 0])
    result = difference_in_differences(five, five, zero, five, rng=0)
    assert math.isnan(result.estimate) and math.isnan(result.p_value)


def test_segmented_regression_recovers_a_level_change():
    rng = np.random.default_rng(21)
    before_days, after_days = np.arange(-90, 0), np.arange(0, 90)
    # Less over-dispersed than elsewhere: a level change is a jump against an extrapolated
    # trend, so its error is several times that of a difference of means.
    before = negative_binomial(rng, 100 + 0.2 * before_days, 90, dispersion=100)
    after = negative_binomial(rng, 100 + 0.2 * after_days + 25, 90, dispersion=100)
    result = segmented_regression(before_days, before, after_days, after)
    assert result.level_ci_low < 25 < result.level_ci_high
    assert result.level_p_value < 0.05
    assert result.slope_p_value >= 0.05
    assert result.lags == newey_west_lags(180) == 179


def test_segmented_regression_recovers_a_slope_change_and_skips_missing_days():
    rng = np.random.default_rng(22)
    before_days, after_days = np.arange(-60, 0), np.arange(7, 67)  # a week of settling
    before = 50 + 0.1 * before_days + rng.normal(0, 2, 60)
    after = 50 + 0.1 * after_days + 0.5 * (after_days - 7) + rng.normal(0, 2, 60)
    keep = rng.random(60) > 0.2  # days without a value (a rate on a day without posts)
    result = segmented_regression(before_days[keep], before[keep], after_days, after)
    assert result.slope_change == pytest.approx(0.5, abs=0.1)
    assert result.slope_p_value < 0.05
    assert result.level_p_value >= 0.05


def test_segmented_regression_without_a_change_rejects_at_about_5_percent():
    rejections = 0
    before_days, after_days = np.arange(-90, 0), np.arange(0, 90)
    for repetition in range(REPETITIONS):
        rng = np.random.default_rng([5, repetition])
        values = negative_binomial(rng, 100 + 0.2 * np.r_[before_days, after_days], 180)
        result = segmented_regression(
            before_days, values[:90], after_days, values[90:], n_resamples=FAST, rng=repetition
        )
        rejections += result.level_p_value < 0.05
    low, high = binomial_bounds(REPETITIONS)
    assert low <= rejections <= high, rejections


def test_segmented_regression_needs_enough_days_on_each_side():
    days = np.arange(-27, 0)
    assert segmented_regression(days, np.ones(27), np.arange(0, 40), np.ones(40)) is None
    exact = segmented_regression(
        np.arange(-30, 0), np.full(30, 5.0), np.arange(0, 30), np.full(30, 8.0)
    )
    assert exact.level_change == pytest.approx(3.0)
    assert (exact.level_ci_low, exact.level_ci_high) == (
        pytest.approx(3.0),
        pytest.approx(3.0),
    )
    assert math.isnan(exact.level_p_value)
