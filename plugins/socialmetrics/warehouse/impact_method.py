"""The method column of marts.consolidation_impact: what was done for a row, in words."""

from __future__ import annotations

from socialmetrics.stats.consolidation import MIN_WINDOW_DAYS, TEST_METHOD

RATES = {"engagement_per_post", "engagement_per_1000_followers"}


def _inference(comparison) -> str:
    if not comparison.permutation_block_days:
        return (
            f"no interval or test: a window has fewer than {MIN_WINDOW_DAYS} days or a value is 0"
        )
    return (
        f"p_value: {TEST_METHOD}, blocks of {comparison.permutation_block_days} days "
        f"(bootstrap block length chosen from the data by arch's Politis-White estimate: "
        f"{comparison.block_days} days, at least 14, rounded up to whole weeks, at least "
        "three); 95% interval of the relative change = the changes that test does not "
        "reject (test inversion), null when the windows hold too few blocks to reject"
    )


def _did(controls: int, did, fairness: dict) -> str:
    if not controls:
        return (
            "no difference in differences: no organisation without a consolidation has data "
            "on every window day"
        )
    text = (
        f"difference in differences: (after/before) / (after/before of {controls} pooled "
        "organisation(s) without a consolidation from before_start to after_end) - 1, the same "
        "block permutation test and inverted interval moving calendar days of this "
        "organisation and the controls together; parallel-trends check: the same difference "
        "in differences for a placebo event halfway through the before window (did_placebo_*)"
    )
    if fairness.get("sc_estimate") is not None:
        text += (
            f"; synthetic control: non-negative weights summing to 1 over the "
            f"{fairness['sc_controls']} controls (sc_weights) fitted by least squares to "
            "this organisation's before window (each series divided by its before mean), "
            "the same test and interval against the weighted mix, and a placebo-in-space "
            "p-value (sc_placebo_p_value: the share of organisations, every control refitted "
            "as if treated, with an effect at least as large)"
        )
    elif fairness.get("sc_controls") is None:
        text += "; no synthetic control: only for per-day metrics"
    else:
        text += "; no synthetic control: it needs two controls or more"
    return text


def _its(its, min_its_days: int) -> str:
    if not its:
        return f"no segmented regression: fewer than {min_its_days} days with a value on a side"
    return (
        "segmented regression: statsmodels OLS of the daily values on day, after, day since "
        "the first after day and weekday, Newey-West (HAC) errors with "
        f"{its.lags} lag(s); p-values and interval from a studentized circular block "
        f"bootstrap of the residuals (arch, blocks of {its.block_days} days)"
    )


def impact_method(
    metric: str,
    window_note: str,
    n_resamples: int,
    controls: int,
    comparison,
    did,
    fairness: dict,
    its,
    min_its_days: int,
) -> str:
    """How one row of marts.consolidation_impact was computed."""
    value = (
        "ratio of the window's sums (days weighted by their denominator)"
        if metric in RATES
        else "mean per day"
    )
    return (
        f"{value}; {window_note}; relative change = after/before - 1; {_inference(comparison)}; "
        f"{n_resamples} permutations at most (all of them when fewer); "
        f"{_did(controls, did, fairness)}; {_its(its, min_its_days)}"
    )
