"""marts.consolidation_impact: for each consolidation event and metric, the before and after
windows compared with block methods, a difference-in-differences against organisations that
did not consolidate, placebo and synthetic-control checks, and a segmented regression.

One row per event and metric; the columns are described in
transform/models/marts/_marts.yml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from socialmetrics.stats.consolidation import (
    DEFAULT_RESAMPLES,
    MIN_ITS_DAYS,
    TEST_METHOD,
    compare_windows,
    difference_in_differences,
    segmented_regression,
)
from socialmetrics.warehouse import impact_comparisons
from socialmetrics.warehouse.impact_method import impact_method
from socialmetrics.warehouse.stat_inputs import (
    StatInputs,
    finite,
    metric_series,
    pooled_days,
    seeded_rng,
    typed_frame,
)

METRICS = (
    "total_engagement_per_day",
    "posts_per_day",
    "engagement_per_post",
    "active_accounts",
    "engagement_per_1000_followers",
)

# Column order and portable types (the same text on DuckDB and PostgreSQL).
CONSOLIDATION_IMPACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("organisation", "text"),
    ("event_date", "date"),
    ("metric", "text"),
    ("window_days", "integer"),
    ("settling_days", "integer"),
    ("before_start", "date"),
    ("before_end", "date"),
    ("after_start", "date"),
    ("after_end", "date"),
    ("days_before", "integer"),
    ("days_after", "integer"),
    ("before_value", "double precision"),
    ("after_value", "double precision"),
    ("absolute_change", "double precision"),
    ("relative_change", "double precision"),
    ("ci_low", "double precision"),
    ("ci_high", "double precision"),
    ("p_value", "double precision"),
    ("test_method", "text"),
    ("block_days", "integer"),
    ("permutation_block_days", "integer"),
    ("control_organisations", "integer"),
    ("did_estimate", "double precision"),
    ("did_ci_low", "double precision"),
    ("did_ci_high", "double precision"),
    ("did_p_value", "double precision"),
    ("did_placebo_estimate", "double precision"),
    ("did_placebo_ci_low", "double precision"),
    ("did_placebo_ci_high", "double precision"),
    ("did_placebo_p_value", "double precision"),
    ("sc_estimate", "double precision"),
    ("sc_ci_low", "double precision"),
    ("sc_ci_high", "double precision"),
    ("sc_p_value", "double precision"),
    ("sc_placebo_p_value", "double precision"),
    ("sc_controls", "integer"),
    ("sc_weights", "text"),
    ("its_level_change", "double precision"),
    ("its_level_ci_low", "double precision"),
    ("its_level_ci_high", "double precision"),
    ("its_slope_change", "double precision"),
    ("its_p_value", "double precision"),
    ("its_slope_p_value", "double precision"),
    ("accounts_before", "integer"),
    ("accounts_after", "integer"),
    ("as_of", "date"),
    ("method", "text"),
)


def _truncation(side: str, days: int, window_days: int, limit: str) -> str:
    if not days:
        return f"; no {side} days ({limit})"
    return f"; {side} window has {days} of {window_days} days ({limit})"


@dataclass(frozen=True)
class EventWindows:
    """One consolidation event's before and after windows and what they are compared with."""

    organisation: str
    event_date: date
    before: pd.DataFrame  # the organisation's days in the before window
    after: pd.DataFrame
    bounds: dict[str, date | None]  # before_start, before_end, after_start, after_end
    controls: list[str]  # organisations that did not consolidate over both windows
    control_before: pd.DataFrame | None  # the controls' days pooled, None without controls
    control_after: pd.DataFrame | None
    control_frames: dict[str, tuple[pd.DataFrame, pd.DataFrame]]  # for the synthetic control
    accounts_before: int | None
    accounts_after: int | None
    window_note: str


def consolidation_impact_frame(
    inputs: StatInputs,
    *,
    window_days: int = 90,
    settling_days: int = 0,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    min_its_days: int = MIN_ITS_DAYS,
) -> pd.DataFrame:
    """One row per consolidation event and metric (see consolidation_impact.yml)."""
    names = [name for name, _ in CONSOLIDATION_IMPACT_COLUMNS]
    rows = [
        _metric_row(windows, metric, seed, n_resamples, min_its_days)
        | {"window_days": window_days, "settling_days": settling_days, "as_of": inputs.as_of}
        for windows in _event_windows(inputs, window_days, settling_days)
        for metric in METRICS
    ]
    return typed_frame(pd.DataFrame(rows, columns=names), CONSOLIDATION_IMPACT_COLUMNS)


def _event_windows(
    inputs: StatInputs, window_days: int, settling_days: int
) -> Iterator[EventWindows]:
    """The windows of each event, in the order of ``inputs.events``."""
    daily_by_org = {
        organisation: frame.set_index("day")
        for organisation, frame in inputs.daily.groupby("organisation", sort=True)
    }
    event_dates = inputs.events.groupby("organisation")["event_date"].apply(list).to_dict()
    windows_by_event = dict(iter(inputs.windows.groupby(["organisation", "event_date"])))
    for event in inputs.events.itertuples(index=False):
        organisation, event_date = event.organisation, event.event_date
        rows_of_event = windows_by_event.get((organisation, event_date))
        if rows_of_event is None:
            rows_of_event = inputs.windows.iloc[0:0]
        offsets = rows_of_event["day_offset"].astype(int)
        before = rows_of_event[(offsets >= -window_days) & (offsets <= -1)]
        after = rows_of_event[(offsets >= settling_days) & (offsets < settling_days + window_days)]
        before_days, after_days = list(before["day"]), list(after["day"])
        controls = _controls(organisation, before_days, after_days, daily_by_org, event_dates)
        yield EventWindows(
            organisation=organisation,
            event_date=event_date,
            before=before,
            after=after,
            bounds={
                "before_start": before_days[0] if before_days else None,
                "before_end": before_days[-1] if before_days else None,
                "after_start": after_days[0] if after_days else None,
                "after_end": after_days[-1] if after_days else None,
            },
            controls=controls,
            control_before=pooled_days([daily_by_org[name].loc[before_days] for name in controls])
            if controls
            else None,
            control_after=pooled_days([daily_by_org[name].loc[after_days] for name in controls])
            if controls
            else None,
            control_frames=impact_comparisons.as_frames(
                daily_by_org, controls, before_days, after_days
            ),
            accounts_before=_accounts_open(inputs.open_spans, organisation, before_days),
            accounts_after=_accounts_open(inputs.open_spans, organisation, after_days),
            window_note=_window_note(
                rows_of_event, before_days, after_days, window_days, settling_days, inputs.as_of
            ),
        )


def _metric_row(
    windows: EventWindows, metric: str, seed: int, n_resamples: int, min_its_days: int
) -> dict:
    """The mart's row of one event and metric, without the run's settings."""
    key = (seed, windows.organisation, windows.event_date, metric)
    before_series = metric_series(windows.before, metric)
    after_series = metric_series(windows.after, metric)
    control_before = control_after = None
    if windows.controls:
        control_before = metric_series(windows.control_before, metric)
        control_after = metric_series(windows.control_after, metric)
    comparison = compare_windows(
        before_series, after_series, n_resamples=n_resamples, rng=seeded_rng(*key)
    )
    did = None
    if windows.controls:
        did = difference_in_differences(
            before_series,
            after_series,
            control_before,
            control_after,
            n_resamples=n_resamples,
            rng=seeded_rng(*key, "did"),
        )
    fairness = _fairness(windows, metric, before_series, control_before, n_resamples, key)
    its = _segmented(windows, before_series, after_series, min_its_days, n_resamples, key)
    p_value = finite(comparison.p_value)
    method = impact_method(
        metric,
        windows.window_note,
        n_resamples,
        len(windows.controls),
        comparison,
        did,
        fairness,
        its,
        min_its_days,
    )
    return {
        "organisation": windows.organisation,
        "event_date": windows.event_date,
        "metric": metric,
        **windows.bounds,
        "days_before": comparison.days_before,
        "days_after": comparison.days_after,
        "before_value": finite(comparison.before_value),
        "after_value": finite(comparison.after_value),
        "absolute_change": finite(comparison.absolute_change),
        "relative_change": finite(comparison.relative_change),
        "ci_low": finite(comparison.ci_low),
        "ci_high": finite(comparison.ci_high),
        "p_value": p_value,
        "test_method": TEST_METHOD if p_value is not None else None,
        "block_days": comparison.block_days or None,
        "permutation_block_days": comparison.permutation_block_days or None,
        "control_organisations": len(windows.controls),
        **_prefixed(
            "did", did, estimate="estimate", ci_low="ci_low", ci_high="ci_high", p_value="p_value"
        ),
        **fairness,
        **_prefixed(
            "its",
            its,
            level_change="level_change",
            level_ci_low="level_ci_low",
            level_ci_high="level_ci_high",
            slope_change="slope_change",
            p_value="level_p_value",
            slope_p_value="slope_p_value",
        ),
        "accounts_before": windows.accounts_before,
        "accounts_after": windows.accounts_after,
        "method": method,
    }


def _fairness(windows, metric, before_series, control_before, n_resamples, key) -> dict:
    """The placebo and synthetic-control columns: would the method have found a change where
    there was none, and what the controls, weighted to match the before window, did after."""
    return {
        **impact_comparisons.placebo_columns(
            before_series, control_before, n_resamples, seeded_rng(*key, "placebo")
        ),
        **impact_comparisons.synthetic_columns(
            metric,
            windows.before,
            windows.after,
            windows.control_frames,
            n_resamples,
            seeded_rng(*key, "synthetic"),
        ),
    }


def _prefixed(prefix: str, result: object | None, **fields: str) -> dict[str, float | None]:
    """``{prefix_column: result.attribute}`` for each ``column=attribute``; all None without
    a result (no controls, too few days)."""
    return {
        f"{prefix}_{column}": finite(getattr(result, attribute)) if result is not None else None
        for column, attribute in fields.items()
    }


def _segmented(windows, before_series, after_series, min_its_days, n_resamples, key):
    """The segmented regression over the days with a value on each side (None if too few)."""
    before_positions, before_values = before_series.daily_values()
    after_positions, after_values = after_series.daily_values()
    return segmented_regression(
        windows.before["day_offset"].to_numpy(dtype=float)[before_positions],
        before_values,
        windows.after["day_offset"].to_numpy(dtype=float)[after_positions],
        after_values,
        min_days=min_its_days,
        n_resamples=n_resamples,
        rng=seeded_rng(*key, "its"),
    )


def _controls(
    organisation: str,
    before_days: list[date],
    after_days: list[date],
    daily_by_org: dict[str, pd.DataFrame],
    event_dates: dict[str, list[date]],
) -> list[str]:
    """Organisations with data on every window day and no consolidation from before_start to
    after_end (settling period included)."""
    if not before_days or not after_days:
        return []
    start, end = before_days[0], after_days[-1]
    needed = before_days + after_days
    controls = []
    for name, frame in daily_by_org.items():
        if name == organisation:
            continue
        if any(start <= day <= end for day in event_dates.get(name, [])):
            continue
        if frame.index.isin(needed).sum() == len(needed):
            controls.append(name)
    return controls


def _accounts_open(spans: pd.DataFrame, organisation: str, days: list[date]) -> int | None:
    """Accounts of the organisation open on at least one of ``days`` (None without days)."""
    if not days:
        return None
    mine = spans[spans["organisation"] == organisation]
    overlapping = (mine["first_open_day"] <= days[-1]) & (mine["last_open_day"] >= days[0])
    return int(overlapping.sum())


def _window_note(
    rows_of_event: pd.DataFrame,
    before_days: list[date],
    after_days: list[date],
    window_days: int,
    settling_days: int,
    as_of: date | None,
) -> str:
    """Say which windows were compared and why one is shorter than window_days."""
    note = (
        f"before = the {window_days} days up to the day before the event, after = "
        f"{window_days} days from "
        + (f"{settling_days} settling day(s) after " if settling_days else "")
        + "the event date"
    )
    previous = rows_of_event["previous_event_date"].dropna()
    following = rows_of_event["next_event_date"].dropna()
    if len(before_days) < window_days:
        limit = (
            f"stops at the previous consolidation on {previous.iloc[0]}"
            if len(previous) and before_days and before_days[0] == previous.iloc[0]
            else "the organisation's data start later"
        )
        note += _truncation("before", len(before_days), window_days, limit)
    if len(after_days) < window_days:
        if len(following) and (
            not after_days or after_days[-1] == following.iloc[0] - timedelta(days=1)
        ):
            limit = f"stops before the next consolidation on {following.iloc[0]}"
        else:
            limit = f"truncated at the as-of day {as_of}"
        note += _truncation("after", len(after_days), window_days, limit)
    return note
