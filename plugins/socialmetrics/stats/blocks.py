"""Blocks of days for inference on daily series that carry over from day to day.

Engagement today predicts engagement tomorrow and follows the week, so days are not
independent draws: resampling or permuting single days makes intervals too narrow and tests
too eager. Everything here keeps runs of consecutive days together:

- :func:`block_days`: the bootstrap block length, chosen from the data (Politis and White's
  automatic length, ``arch.bootstrap.optimal_block_length``) but never below
  :data:`MIN_BLOCK_DAYS` and never above half the shortest window.
- :func:`resampled_days`: circular block bootstrap resamples of a window's day positions
  (``arch.bootstrap.CircularBlockBootstrap``: the moving-block bootstrap wrapped around, so
  the first and last days are drawn as often as the others).
- :func:`permutation_block_days` and :func:`week_blocks`: whole-week blocks for a
  permutation test, aligned on the event so that each block holds every weekday equally.
- :func:`long_run_variance`: the Bartlett (Newey-West) long-run variance with the bandwidth
  equal to the sample length (Kiefer and Vogelsang's fixed-b choice), used to studentize
  bootstrap statistics (Goncalves and Vogelsang 2011).
"""

from __future__ import annotations

import math

import numpy as np
from arch.bootstrap import CircularBlockBootstrap, optimal_block_length

# A week is the shortest carry-over worth respecting; two weeks leave the bootstrap some of
# the slower carry-over too (the calibration tests measure the choice).
MIN_BLOCK_DAYS = 14
# Permutation blocks of fewer weeks than this are correlated enough with their neighbours to
# make the test reject too often when engagement carries over strongly (measured: about 8%
# at a nominal 5% with one-week blocks, at most 5% with three).
MIN_PERMUTATION_WEEKS = 3
DAYS_PER_WEEK = 7


def block_days(series: list[np.ndarray], shortest_window: int) -> int:
    """Bootstrap block length in days for these daily series (one per window and term).

    The largest of Politis and White's stationary-bootstrap lengths over the series, rounded
    up, at least MIN_BLOCK_DAYS, at most half of ``shortest_window`` (so a window holds two
    blocks or more). A constant series says nothing about its carry-over and is skipped.
    """
    chosen = MIN_BLOCK_DAYS
    for values in series:
        values = np.asarray(values, dtype=float)
        if values.size >= 9 and np.ptp(values) > 0:
            estimate = float(optimal_block_length(values)["stationary"].iloc[0])
            if math.isfinite(estimate):
                chosen = max(chosen, math.ceil(estimate))
    return max(1, min(chosen, shortest_window // 2))


def resampled_days(days: int, block: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples`` x ``days`` positions drawn by the circular block bootstrap (arch)."""
    bootstrap = CircularBlockBootstrap(block, np.arange(days), seed=rng)
    return np.stack([data[0][0] for data in bootstrap.bootstrap(resamples)])


def permutation_block_days(block: int, shortest_window: int) -> int:
    """Length in days of a permutation block: whole weeks, at least MIN_PERMUTATION_WEEKS,
    more when the bootstrap block is longer and the windows hold four such blocks."""
    weeks = math.ceil(block / DAYS_PER_WEEK)
    longest = max(MIN_PERMUTATION_WEEKS, shortest_window // (4 * DAYS_PER_WEEK))
    return DAYS_PER_WEEK * min(max(MIN_PERMUTATION_WEEKS, weeks), longest)


def week_blocks(days: int, block: int, *, from_end: bool) -> np.ndarray:
    """Block number of each of ``days`` consecutive days, blocks of ``block`` days.

    ``from_end``: blocks are counted back from the last day (a before window, whose last day
    is the day before the event), so a short remainder block sits at the far end; otherwise
    forward from the first day (an after window).
    """
    positions = np.arange(days)
    if from_end:
        positions = positions[::-1]
    return positions // block


def long_run_variance(values: np.ndarray) -> np.ndarray:
    """Bartlett long-run variance of each row (last axis), bandwidth = the row's length.

    sum over lags |j| < n of (1 - |j| / n) times the lag-j autocovariance of the demeaned
    row, computed as 2 / n^2 times the sum of squared partial sums (Kiefer and Vogelsang
    2002), which is the same number in O(n).
    """
    values = np.asarray(values, dtype=float)
    days = values.shape[-1]
    centred = values - values.mean(axis=-1, keepdims=True)
    partial = np.cumsum(centred, axis=-1)[..., :-1]
    return 2.0 * np.sum(partial * partial, axis=-1) / days**2
