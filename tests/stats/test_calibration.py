"""Calibration: every test and interval of the consolidation mart on days that look real.

Null days carry over from day to day (a log-scale AR(1), phi 0.3 and 0.7), follow a weekly
rhythm and are overdispersed counts (tests/stats/simulated_days.py); the organisations of a
run share a season-like factor, which the difference in differences and the synthetic
control are there to remove. At a nominal 5%, every test's false-positive rate must be at
most 7% and every 95% interval must cover the truth in at least 93% of runs; a planted +30%
step must be found in most runs.

Why RUNS = 400 is enough: a rate of 5% measured over 400 runs has a Monte Carlo standard
error of sqrt(0.05 x 0.95 / 400) = 1.1 points, so a calibrated method stays below 7% (1.8
standard errors above 5%) in about 96% of seeds, while a method that really rejects 10% of
the time (the single-day permutation test rejected 34% in issue 11) would show 7% or less
with probability below 2%. Inside each run the resamples are few (FAST) to keep the module
to about two minutes; the seed is fixed, so the figures below are the same on every run.
"""

import math

import numpy as np
import pytest
from simulated_days import engagement

from socialmetrics.stats.consolidation import (
    DailySeries,
    compare_windows,
    difference_in_differences,
    parallel_trends_placebo,
    segmented_regression,
)
from socialmetrics.stats.synthetic_control import synthetic_control

pytestmark = pytest.mark.slow
# The tests of one simulation share one pytest-xdist worker, so that each module-scoped
# simulation runs once; the three simulations can run on different workers.
STEP_GROUP = pytest.mark.xdist_group("calibration-step")

RUNS = 400
DAYS = 90
FAST = 299  # at least the 252 splits of 5 + 5 blocks: those permutations are exact
CONTROLS = 5
STEP = 1.30
MAX_FALSE_POSITIVES = 0.07
MIN_COVERAGE = 0.93


def _run(days: np.ndarray, run: int) -> dict[str, float]:
    """Every statistic of one run; organisation 0 is the treated one."""
    treated, controls = days[0], days[1:]
    before, after = DailySeries.per_day(treated[:DAYS]), DailySeries.per_day(treated[DAYS:])
    pooled = controls.sum(axis=0)
    control_before = DailySeries.per_day(pooled[:DAYS])
    control_after = DailySeries.per_day(pooled[DAYS:])
    window = compare_windows(before, after, n_resamples=FAST, rng=run)
    did = difference_in_differences(
        before, after, control_before, control_after, n_resamples=FAST, rng=run
    )
    placebo = parallel_trends_placebo(before, control_before, n_resamples=FAST, rng=run)
    synthetic = synthetic_control(
        treated[:DAYS],
        treated[DAYS:],
        {str(j): c[:DAYS] for j, c in enumerate(controls)},
        {str(j): c[DAYS:] for j, c in enumerate(controls)},
        n_resamples=FAST,
        confidence_level=0.95,
        rng=np.random.default_rng(run),
    )
    its = segmented_regression(
        np.arange(-DAYS, 0), treated[:DAYS], np.arange(0, DAYS), treated[DAYS:],
        n_resamples=FAST, rng=run,
    )  # fmt: skip
    return {
        "window_p": window.p_value,
        "window_ci": (window.ci_low, window.ci_high),
        "did_p": did.p_value,
        "did_ci": (did.ci_low, did.ci_high),
        "placebo_p": placebo.p_value,
        "synthetic_p": synthetic.p_value,
        "synthetic_ci": (synthetic.ci_low, synthetic.ci_high),
        "its_p": its.level_p_value,
    }


def _simulate(phi: float, step: float, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    planted = np.ones((1 + CONTROLS, 2 * DAYS))
    planted[0, DAYS:] = step
    days = engagement(
        rng,
        RUNS,
        2 * DAYS,
        phi,
        base=np.r_[200.0, np.linspace(150, 400, CONTROLS)],
        step=planted,
        organisations=1 + CONTROLS,
        common_phi=phi,
    )
    return [_run(days[run], run) for run in range(RUNS)]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(phi, id=f"phi={phi}", marks=pytest.mark.xdist_group(f"calibration-{phi}"))
        for phi in (0.3, 0.7)
    ],
)
def null_runs(request):
    return request.param, _simulate(request.param, 1.0, seed=11)


@pytest.fixture(scope="module")
def step_runs():
    return _simulate(0.7, STEP, seed=12)


def _rate(runs, key, predicate) -> float:
    return float(np.mean([predicate(run[key]) for run in runs]))


def _rejects(p_value: float) -> bool:
    return math.isfinite(p_value) and p_value < 0.05


def _covers(truth: float):
    return lambda interval: math.isfinite(interval[0]) and interval[0] <= truth <= interval[1]


@pytest.mark.parametrize("test", ["window_p", "did_p", "placebo_p", "synthetic_p", "its_p"])
def test_false_positive_rate_is_at_most_7_percent(null_runs, test):
    phi, runs = null_runs
    rate = _rate(runs, test, _rejects)
    assert rate <= MAX_FALSE_POSITIVES, f"{test} at phi={phi}: {rate:.1%} of {RUNS} null runs"


@pytest.mark.parametrize("interval", ["window_ci", "did_ci", "synthetic_ci"])
def test_95_percent_interval_covers_no_change_in_93_percent_of_null_runs(null_runs, interval):
    phi, runs = null_runs
    coverage = _rate(runs, interval, _covers(0.0))
    assert coverage >= MIN_COVERAGE, f"{interval} at phi={phi}: {coverage:.1%} of {RUNS} runs"


@STEP_GROUP
@pytest.mark.parametrize("interval", ["window_ci", "did_ci", "synthetic_ci"])
def test_95_percent_interval_covers_a_planted_30_percent_step(step_runs, interval):
    coverage = _rate(step_runs, interval, _covers(STEP - 1))
    assert coverage >= MIN_COVERAGE, f"{interval} at phi=0.7: {coverage:.1%} of {RUNS} runs"


# The segmented regression's level change is a jump against two extrapolated trends, far
# noisier than a difference of window means: it finds a 30% step in a minority of runs at
# this carry-over, which the message reports; the other tests must find it in most runs.
@STEP_GROUP
@pytest.mark.parametrize(
    "test, least", [("window_p", 0.5), ("did_p", 0.5), ("synthetic_p", 0.5), ("its_p", 0.15)]
)
def test_a_planted_30_percent_step_is_found(step_runs, test, least):
    power = _rate(step_runs, test, _rejects)
    assert power >= least, f"{test} found the +30% step in {power:.1%} of {RUNS} runs (phi=0.7)"
    print(f"power of {test} at phi=0.7: {power:.1%}")


def test_pooled_interval_covers_the_average_effect_of_a_few_different_events():
    """Eight events whose true effects differ (log sd 0.10 around +12%), each estimated with
    its own 95% interval: the pooled interval covers the average effect in 93% of runs."""
    from socialmetrics.stats.pooled import pool_events

    rng = np.random.default_rng(13)
    average = math.log(1.12)
    covered = 0
    runs = 1000
    for _ in range(runs):
        errors = rng.uniform(0.05, 0.15, 8)
        estimates = rng.normal(average + rng.normal(0, 0.10, 8), errors)
        pooled = pool_events(
            np.expm1(estimates),
            np.expm1(estimates - 1.96 * errors),
            np.expm1(estimates + 1.96 * errors),
        )
        covered += pooled.ci_low <= math.expm1(average) <= pooled.ci_high
    assert covered / runs >= MIN_COVERAGE, f"pooled interval covered in {covered / runs:.1%}"
