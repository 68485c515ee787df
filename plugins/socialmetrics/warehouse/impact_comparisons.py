"""The fairness checks of a consolidation_impact row: the parallel-trends placebo of the
difference in differences and the synthetic control (socialmetrics.stats).

socialmetrics.warehouse.stat_marts calls :func:`comparison_columns` for each event and
metric with the windows it already selected; the columns returned are described in
transform/models/marts/_marts.yml.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from socialmetrics.stats.consolidation import DailySeries, parallel_trends_placebo
from socialmetrics.stats.synthetic_control import MIN_CONTROLS, synthetic_control

# The synthetic control weighs organisations' daily values; a rate's daily value means
# little on a day with few posts, so only the per-day metrics get one.
PER_DAY_COLUMNS = {
    "total_engagement_per_day": "engagement",
    "posts_per_day": "posts",
    "active_accounts": "active_accounts",
}

COLUMNS = (
    "did_placebo_estimate",
    "did_placebo_ci_low",
    "did_placebo_ci_high",
    "did_placebo_p_value",
    "sc_estimate",
    "sc_ci_low",
    "sc_ci_high",
    "sc_p_value",
    "sc_placebo_p_value",
    "sc_controls",
    "sc_weights",
)


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def placebo_columns(
    treated_before: DailySeries, control_before: DailySeries | None, n_resamples: int, rng
) -> dict:
    """The difference in differences of a placebo event halfway through the before window."""
    if control_before is None:
        return dict.fromkeys(COLUMNS[:4])
    placebo = parallel_trends_placebo(
        treated_before, control_before, n_resamples=n_resamples, rng=rng
    )
    return {
        "did_placebo_estimate": _finite(placebo.estimate),
        "did_placebo_ci_low": _finite(placebo.ci_low),
        "did_placebo_ci_high": _finite(placebo.ci_high),
        "did_placebo_p_value": _finite(placebo.p_value),
    }


def synthetic_columns(
    metric: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    controls: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    n_resamples: int,
    rng,
) -> dict:
    """Synthetic-control columns of one row (None where it cannot be computed)."""
    empty = dict.fromkeys(COLUMNS[4:])
    column = PER_DAY_COLUMNS.get(metric)
    if column is None or len(controls) < MIN_CONTROLS or before.empty or after.empty:
        return {**empty, "sc_controls": len(controls) if column else None}
    result = synthetic_control(
        before[column].to_numpy(dtype=float),
        after[column].to_numpy(dtype=float),
        {name: frames[0][column].to_numpy(dtype=float) for name, frames in controls.items()},
        {name: frames[1][column].to_numpy(dtype=float) for name, frames in controls.items()},
        n_resamples=n_resamples,
        confidence_level=0.95,
        rng=rng,
    )
    if result is None:
        return {**empty, "sc_controls": len(controls)}
    weights = {name: round(w, 3) for name, w in sorted(result.weights.items()) if w >= 0.0005}
    return {
        "sc_estimate": _finite(result.estimate),
        "sc_ci_low": _finite(result.ci_low),
        "sc_ci_high": _finite(result.ci_high),
        "sc_p_value": _finite(result.p_value),
        "sc_placebo_p_value": _finite(result.placebo_p_value),
        "sc_controls": result.placebo_effects,
        "sc_weights": json.dumps(weights, ensure_ascii=False),
    }


def as_frames(daily_by_org: dict[str, pd.DataFrame], names, before_days, after_days) -> dict:
    """Each control organisation's rows over the two windows."""
    return {
        name: (daily_by_org[name].loc[before_days], daily_by_org[name].loc[after_days])
        for name in names
    }


def finite_array(values) -> np.ndarray:
    return np.asarray(values, dtype=float)
