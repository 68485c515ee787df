"""marts.consolidation_effect_pooled: every consolidation event's change, pooled.

Built by socialmetrics.warehouse.stat_marts from the rows of marts.consolidation_impact it
has just computed (socialmetrics.stats.pooled does the meta-analysis); described in
transform/models/marts/_marts.yml.
"""

from __future__ import annotations

import math

import pandas as pd

from socialmetrics.stats.pooled import MIN_EVENTS, pool_events

POOLED_METRIC = "total_engagement_per_day"

# basis: (estimate column, interval columns, words for the method)
BASES = {
    "before_after": (
        "relative_change",
        "ci_low",
        "ci_high",
        "the change each organisation saw, after/before - 1",
    ),
    "difference_in_differences": (
        "did_estimate",
        "did_ci_low",
        "did_ci_high",
        "each organisation's change net of the organisations without a consolidation",
    ),
}

COLUMNS: tuple[tuple[str, str], ...] = (
    ("basis", "text"),
    ("metric", "text"),
    ("events", "integer"),
    ("events_in_warehouse", "integer"),
    ("pooled_relative_change", "double precision"),
    ("ci_low", "double precision"),
    ("ci_high", "double precision"),
    ("p_value", "double precision"),
    ("tau2", "double precision"),
    ("i2", "double precision"),
    ("q", "double precision"),
    ("q_p_value", "double precision"),
    ("smallest_event_change", "double precision"),
    ("largest_event_change", "double precision"),
    ("as_of", "date"),
    ("method", "text"),
)


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def pooled_frame(impact: pd.DataFrame, as_of) -> pd.DataFrame:
    """One row per basis over the events of ``impact`` (its total_engagement_per_day rows)."""
    rows = impact[impact["metric"] == POOLED_METRIC]
    names = [name for name, _ in COLUMNS]
    if as_of is None:
        return pd.DataFrame([], columns=names)
    records = []
    for basis, (estimate, low, high, words) in BASES.items():
        pooled = pool_events(
            [_value(v) for v in rows[estimate]],
            [_value(v) for v in rows[low]],
            [_value(v) for v in rows[high]],
        )
        records.append(
            {
                "basis": basis,
                "metric": POOLED_METRIC,
                "events": pooled.events,
                "events_in_warehouse": len(rows),
                "pooled_relative_change": _finite(pooled.relative_change),
                "ci_low": _finite(pooled.ci_low),
                "ci_high": _finite(pooled.ci_high),
                "p_value": _finite(pooled.p_value),
                "tau2": _finite(pooled.tau2),
                "i2": _finite(pooled.i2),
                "q": _finite(pooled.q),
                "q_p_value": _finite(pooled.q_p_value),
                "smallest_event_change": _finite(pooled.smallest),
                "largest_event_change": _finite(pooled.largest),
                "as_of": as_of,
                "method": _method(words, pooled.events, len(rows)),
            }
        )
    return pd.DataFrame(records, columns=names)


def _value(value) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _method(words: str, events: int, in_warehouse: int) -> str:
    left_out = in_warehouse - events
    text = (
        f"random-effects meta-analysis of {words}, over the consolidation events of "
        "marts.consolidation_impact (metric total_engagement_per_day), on the log scale "
        "log(1 + change) with each event's variance from its 95% interval; tau^2 by "
        "Paule-Mandel, interval with the Hartung-Knapp-Sidik-Jonkman adjustment and "
        "Student's t (k - 1 degrees of freedom), statsmodels combine_effects"
    )
    if left_out:
        text += f"; {left_out} event(s) left out: no estimate or no interval yet"
    if events < MIN_EVENTS:
        text += f"; not computed: fewer than {MIN_EVENTS} events with an interval"
    return text
