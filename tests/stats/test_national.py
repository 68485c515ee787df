"""socialmetrics.stats.national: the correlation across organisations and the period summary."""

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from socialmetrics.stats.national import organisation_period_summary, spearman_correlation

REPETITIONS = 200
ORGANISATIONS = 15


def _accounts(rng):
    """Active accounts of 15 organisations, from 1 to 40 (ties possible, as in real data)."""
    return rng.integers(1, 41, ORGANISATIONS).astype(float)


def test_a_planted_monotone_correlation_is_found():
    rng = np.random.default_rng(31)
    accounts = _accounts(rng)
    # Engagement grows with the number of accounts, with noise of about a third of it.
    engagement = 50 * accounts * rng.lognormal(0, 0.35, ORGANISATIONS)
    result = spearman_correlation(accounts, engagement, rng=0)
    assert result.rho == pytest.approx(stats.spearmanr(accounts, engagement).statistic)
    assert result.rho > 0.6
    assert result.p_value < 0.05
    assert (result.n, result.exact) == (ORGANISATIONS, False)


def test_planted_correlation_is_found_in_most_repetitions():
    found = 0
    for repetition in range(REPETITIONS):
        rng = np.random.default_rng([6, repetition])
        accounts = _accounts(rng)
        engagement = 50 * accounts * rng.lognormal(0, 0.35, ORGANISATIONS)
        found += (
            spearman_correlation(accounts, engagement, n_resamples=199, rng=repetition).p_value
            < 0.05
        )
    assert found / REPETITIONS > 0.95


def test_independent_data_is_significant_in_about_5_percent_of_repetitions():
    rejections = 0
    for repetition in range(REPETITIONS):
        rng = np.random.default_rng([7, repetition])
        accounts = _accounts(rng)
        engagement = rng.lognormal(7, 1, ORGANISATIONS)
        result = spearman_correlation(accounts, engagement, n_resamples=999, rng=repetition)
        rejections += result.p_value < 0.05
    low, high = stats.binom.interval(0.999, REPETITIONS, 0.05)
    assert low <= rejections <= high, rejections


def test_few_organisations_get_an_exact_p_value():
    # 5 organisations in perfect order: 2 of the 120 pairings are as extreme (rho = +-1).
    result = spearman_correlation([1, 2, 3, 4, 5], [10, 30, 35, 80, 81], rng=0)
    assert (result.rho, result.n, result.exact) == (pytest.approx(1.0), 5, True)
    assert result.p_value == pytest.approx(2 / 120)
    assert "exact" in result.method


def test_ties_are_ranked_as_scipy_does_and_the_seed_fixes_the_p_value():
    x = [1, 1, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8]
    y = [5, 3, 4, 9, 8, 8, 7, 12, 11, 15, 9, 14]
    result = spearman_correlation(x, y, rng=4)
    assert result.rho == pytest.approx(stats.spearmanr(x, y).statistic)
    assert spearman_correlation(x, y, rng=4) == result
    assert result.p_value == pytest.approx(stats.spearmanr(x, y).pvalue, abs=0.01)


def test_no_correlation_with_fewer_than_three_organisations_or_a_constant_side():
    for x, y in (([1, 2], [3, 4]), ([2, 2, 2, 2], [1, 5, 3, 4]), ([1, 2, np.nan], [1, 2, 3])):
        result = spearman_correlation(x, y, rng=0)
        assert math.isnan(result.rho) and math.isnan(result.p_value)


def test_period_summary_means_active_accounts_and_sums_engagement_per_organisation():
    start = date(2024, 6, 1)
    days = [start + timedelta(days=n) for n in range(3)]
    daily = pd.DataFrame(
        {
            "organisation": ["B"] * 3 + ["A"] * 3 + ["C"],
            "day": days + days + [start - timedelta(days=1)],
            "active_accounts": [2, 2, 5, 0, 0, 0, 9],
            "engagement": [10, 20, 30, 4, 0, 0, 100],
        }
    )
    summary = organisation_period_summary(daily, start, days[-1])
    assert summary.to_dict("records") == [
        {
            "organisation": "A",
            "days": 3,
            "active_accounts": 0.0,
            "total_engagement": 4,
            "engagement_per_day": pytest.approx(4 / 3),
            "engagement_per_account": pytest.approx(math.nan, nan_ok=True),
        },
        {
            "organisation": "B",
            "days": 3,
            "active_accounts": 3.0,
            "total_engagement": 60,
            "engagement_per_day": 20.0,
            "engagement_per_account": 20.0,
        },
    ]


def test_pooled_events_that_agree_better_than_chance_have_no_heterogeneity():
    from socialmetrics.stats.pooled import pool_events

    # Three events closer to each other than their intervals imply: Q < its degrees of
    # freedom, so I^2 and tau^2 are 0, not negative.
    pooled = pool_events([0.10, 0.11, 0.09], [-0.1, -0.09, -0.11], [0.35, 0.36, 0.34])
    assert pooled.events == 3 and pooled.q < 2
    assert (pooled.i2, pooled.tau2) == (0.0, 0.0)
    assert pooled.ci_low < 0.10 < pooled.ci_high


def test_a_control_with_nothing_after_the_event_is_left_out_of_the_placebos():
    from socialmetrics.stats.synthetic_control import synthetic_control

    rng = np.random.default_rng(3)
    days = rng.poisson(100, (4, 180)).astype(float)
    days[3, 90:] = 0  # this control stopped posting at the event
    result = synthetic_control(
        days[0, :90],
        days[0, 90:],
        {str(j): days[j, :90] for j in (1, 2, 3)},
        {str(j): days[j, 90:] for j in (1, 2, 3)},
        n_resamples=299,
        confidence_level=0.95,
        rng=rng,
    )
    assert result.placebo_effects == 2
    assert 1 / 3 <= result.placebo_p_value <= 1
