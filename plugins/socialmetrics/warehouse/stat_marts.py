"""The statistical marts: marts.consolidation_impact, marts.consolidation_effect_pooled and
marts.accounts_vs_engagement.

Their inputs are SQL models (core.int_organisation_daily, core.int_consolidation_window), so
run ``socialmetrics.warehouse.models.run_models`` first; the statistics themselves
(socialmetrics.stats, scipy) cannot be SQL. :func:`build_stat_marts` reads the models,
computes, and replaces each mart in one transaction (drop, create with portable column types,
bulk insert, comments and checks from ``sql/models/marts/<name>.yml``), like the SQL models:
a mart whose checks fail keeps its previous contents. Every random draw comes from a
generator seeded by ``seed`` and the row's key, so a rerun on the same data gives an
identical table.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.paths import MODELS_DIR
from socialmetrics.stats.consolidation import (
    DEFAULT_RESAMPLES,
    MIN_ITS_DAYS,
    TEST_METHOD,
    DailySeries,
    compare_windows,
    difference_in_differences,
    segmented_regression,
)
from socialmetrics.stats.national import organisation_period_summary, spearman_correlation
from socialmetrics.warehouse import impact_comparisons, pooled_mart
from socialmetrics.warehouse.bulk import append_dataframe
from socialmetrics.warehouse.impact_method import impact_method
from socialmetrics.warehouse.model_checks import CheckResult, ModelCheckError, load_description
from socialmetrics.warehouse.models import replace_table

__all__ = [
    "ALL_ORGANISATIONS",
    "METRICS",
    "accounts_vs_engagement_frame",
    "build_stat_marts",
    "consolidation_impact_frame",
]

log = logging.getLogger(__name__)

SCHEMA = "marts"
CONSOLIDATION_IMPACT = "consolidation_impact"
CONSOLIDATION_EFFECT_POOLED = "consolidation_effect_pooled"
ACCOUNTS_VS_ENGAGEMENT = "accounts_vs_engagement"
ALL_ORGANISATIONS = "(all organisations)"

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

ACCOUNTS_VS_ENGAGEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("row_type", "text"),
    ("organisation", "text"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("days", "integer"),
    ("active_accounts", "double precision"),
    ("total_engagement", "bigint"),
    ("engagement_per_day", "double precision"),
    ("engagement_per_account", "double precision"),
    ("spearman_rho", "double precision"),
    ("spearman_p_value", "double precision"),
    ("organisations", "integer"),
    ("method", "text"),
)

_DAILY_NUMBERS = (
    "accounts_open",
    "active_accounts",
    "posts",
    "engagement",
    "accounts_open_with_followers",
    "followers",
    "engagement_with_followers",
)


@dataclass(frozen=True)
class StatInputs:
    """What the marts are computed from, read from the warehouse in one go."""

    as_of: date | None
    daily: pd.DataFrame  # core.int_organisation_daily
    windows: pd.DataFrame  # core.int_consolidation_window
    events: pd.DataFrame  # core.consolidation (organisation, event_date)
    open_spans: pd.DataFrame  # organisation, account_key, first_open_day, last_open_day


def build_stat_marts(
    engine: Engine,
    *,
    window_days: int = 90,
    settling_days: int = 0,
    period_days: int = 90,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    min_its_days: int = MIN_ITS_DAYS,
    run_id: str | None = None,
) -> dict[str, int]:
    """Rebuild the three statistical marts; return the rows of each.

    ``window_days``: length of the before and after windows of each consolidation event;
    ``settling_days``: days from the event date left out before the after window starts;
    ``period_days``: the period of accounts_vs_engagement, the days up to the as-of day (the
    latest core.loaded_day); ``seed``: seeds every bootstrap and permutation;
    ``n_resamples``: bootstrap resamples and permutations per statistic; ``min_its_days``:
    days with a value needed on each side for the segmented regression. Check results go to
    ops.model_check_result under ``run_id``. Raises ModelCheckError listing the failing checks
    (a failing mart keeps its previous contents; the other one is still built).
    """
    for name, value, least in (
        ("window_days", window_days, 1),
        ("settling_days", settling_days, 0),
        ("period_days", period_days, 1),
        ("seed", seed, 0),
        ("n_resamples", n_resamples, 1),
        ("min_its_days", min_its_days, 3),
    ):
        if not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    inputs = read_inputs(engine)
    impact = consolidation_impact_frame(
        inputs,
        window_days=window_days,
        settling_days=settling_days,
        seed=seed,
        n_resamples=n_resamples,
        min_its_days=min_its_days,
    )
    tables = {
        CONSOLIDATION_IMPACT: (impact, CONSOLIDATION_IMPACT_COLUMNS),
        CONSOLIDATION_EFFECT_POOLED: (
            _typed(pooled_mart.pooled_frame(impact, inputs.as_of), pooled_mart.COLUMNS),
            pooled_mart.COLUMNS,
        ),
        ACCOUNTS_VS_ENGAGEMENT: (
            accounts_vs_engagement_frame(
                inputs, period_days=period_days, seed=seed, n_resamples=n_resamples
            ),
            ACCOUNTS_VS_ENGAGEMENT_COLUMNS,
        ),
    }
    row_counts: dict[str, int] = {}
    failures: list[CheckResult] = []
    for name, (frame, columns) in tables.items():
        description = load_description(MODELS_DIR / SCHEMA / f"{name}.yml")
        try:
            row_counts[f"{SCHEMA}.{name}"] = replace_table(
                engine,
                SCHEMA,
                name,
                description,
                lambda conn, name=name, frame=frame, columns=columns: _create_and_fill(
                    conn, f"{SCHEMA}.{name}", columns, frame
                ),
                run_id=run_id,
            )
        except ModelCheckError as exc:
            failures.extend(exc.failures)
    if failures:
        raise ModelCheckError(failures, row_counts=row_counts)
    return row_counts


def read_inputs(engine: Engine) -> StatInputs:
    """Read the as-of day, the two intermediate models, the events and the accounts' open spans."""
    with engine.connect() as conn:
        as_of = conn.exec_driver_sql("select max(day) from core.loaded_day").scalar_one()
        daily = _frame(
            conn,
            "select organisation, day, "
            + ", ".join(_DAILY_NUMBERS)
            + " from core.int_organisation_daily order by organisation, day",
        )
        windows = _frame(
            conn,
            "select organisation, event_date, day, day_offset, previous_event_date, "
            "next_event_date, "
            + ", ".join(_DAILY_NUMBERS)
            + " from core.int_consolidation_window order by organisation, event_date, day",
        )
        events = _frame(
            conn,
            "select organisation, event_date from core.consolidation "
            "order by organisation, event_date",
        )
        # An account is open from its first day until the day before it closes, without gaps.
        open_spans = _frame(
            conn,
            "select organisation, account_key, min(day) as first_open_day, "
            "max(day) as last_open_day from marts.account_activity where status <> 'closed' "
            "group by organisation, account_key order by organisation, account_key",
        )
    for frame in (daily, windows):
        for column in _DAILY_NUMBERS:
            frame[column] = pd.to_numeric(frame[column]).astype(float)
    return StatInputs(as_of, daily, windows, events, open_spans)


def _frame(conn: Connection, sql: str) -> pd.DataFrame:
    result = conn.execute(sa.text(sql))
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)


def _rng(seed: int, *key: object) -> np.random.Generator:
    """A generator for one statistic, seeded by ``seed`` and the row's key (not its position)."""
    return np.random.default_rng([seed, zlib.crc32("|".join(map(str, key)).encode())])


def metric_series(days: pd.DataFrame, metric: str) -> DailySeries:
    """The DailySeries of ``metric`` over the rows of ``days`` (organisation-day totals).

    Engagement per 1,000 followers divides the engagement of the accounts whose follower
    count is known by their followers, so both sides cover the same accounts; a day without
    any follower count counts on neither side.
    """
    if metric == "total_engagement_per_day":
        return DailySeries.per_day(days["engagement"])
    if metric == "posts_per_day":
        return DailySeries.per_day(days["posts"])
    if metric == "active_accounts":
        return DailySeries.per_day(days["active_accounts"])
    if metric == "engagement_per_post":
        return DailySeries.rate(days["engagement"], days["posts"])
    if metric == "engagement_per_1000_followers":
        return DailySeries.rate(days["engagement_with_followers"], days["followers"], scale=1000.0)
    raise ValueError(f"unknown metric {metric!r}")


def _pooled(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Day-by-day sums of several organisations' totals (the frames share their days).

    A day on which an organisation has no follower count has none pooled either (NaN).
    """
    columns = list(_DAILY_NUMBERS)
    pooled = sum(frame[columns].to_numpy(dtype=float) for frame in frames)
    return pd.DataFrame(pooled, columns=columns)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _truncation(side: str, days: int, window_days: int, limit: str) -> str:
    if not days:
        return f"; no {side} days ({limit})"
    return f"; {side} window has {days} of {window_days} days ({limit})"


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
    rows: list[dict] = []
    daily_by_org = {
        organisation: frame.set_index("day")
        for organisation, frame in inputs.daily.groupby("organisation", sort=True)
    }
    event_dates = inputs.events.groupby("organisation")["event_date"].apply(list).to_dict()
    windows_by_event = {
        key: frame for key, frame in inputs.windows.groupby(["organisation", "event_date"])
    }
    for event in inputs.events.itertuples(index=False):
        organisation, event_date = event.organisation, event.event_date
        rows_of_event = windows_by_event.get((organisation, event_date))
        if rows_of_event is None:
            rows_of_event = inputs.windows.iloc[0:0]
        offsets = rows_of_event["day_offset"].astype(int)
        before = rows_of_event[(offsets >= -window_days) & (offsets <= -1)]
        after = rows_of_event[(offsets >= settling_days) & (offsets < settling_days + window_days)]
        before_days, after_days = list(before["day"]), list(after["day"])
        bounds = {
            "before_start": before_days[0] if before_days else None,
            "before_end": before_days[-1] if before_days else None,
            "after_start": after_days[0] if after_days else None,
            "after_end": after_days[-1] if after_days else None,
        }
        controls = _controls(organisation, before_days, after_days, daily_by_org, event_dates)
        control_frames = impact_comparisons.as_frames(
            daily_by_org, controls, before_days, after_days
        )
        control_before = control_after = None
        if controls:
            control_before = _pooled([daily_by_org[name].loc[before_days] for name in controls])
            control_after = _pooled([daily_by_org[name].loc[after_days] for name in controls])
        accounts_before = _accounts_open(inputs.open_spans, organisation, before_days)
        accounts_after = _accounts_open(inputs.open_spans, organisation, after_days)
        window_note = _window_note(
            rows_of_event,
            before_days,
            after_days,
            window_days,
            settling_days,
            inputs.as_of,
        )
        for metric in METRICS:
            before_series = metric_series(before, metric)
            after_series = metric_series(after, metric)
            comparison = compare_windows(
                before_series,
                after_series,
                n_resamples=n_resamples,
                rng=_rng(seed, organisation, event_date, metric),
            )
            did = None
            if controls:
                did = difference_in_differences(
                    before_series,
                    after_series,
                    metric_series(control_before, metric),
                    metric_series(control_after, metric),
                    n_resamples=n_resamples,
                    rng=_rng(seed, organisation, event_date, metric, "did"),
                )
            fairness = {
                **impact_comparisons.placebo_columns(
                    before_series,
                    metric_series(control_before, metric) if controls else None,
                    n_resamples,
                    _rng(seed, organisation, event_date, metric, "placebo"),
                ),
                **impact_comparisons.synthetic_columns(
                    metric,
                    before,
                    after,
                    control_frames,
                    n_resamples,
                    _rng(seed, organisation, event_date, metric, "synthetic"),
                ),
            }
            before_positions, before_values = before_series.daily_values()
            after_positions, after_values = after_series.daily_values()
            its = segmented_regression(
                before["day_offset"].to_numpy(dtype=float)[before_positions],
                before_values,
                after["day_offset"].to_numpy(dtype=float)[after_positions],
                after_values,
                min_days=min_its_days,
                n_resamples=n_resamples,
                rng=_rng(seed, organisation, event_date, metric, "its"),
            )
            p_value = _finite(comparison.p_value)
            rows.append(
                {
                    "organisation": organisation,
                    "event_date": event_date,
                    "metric": metric,
                    "window_days": window_days,
                    "settling_days": settling_days,
                    **bounds,
                    "days_before": comparison.days_before,
                    "days_after": comparison.days_after,
                    "before_value": _finite(comparison.before_value),
                    "after_value": _finite(comparison.after_value),
                    "absolute_change": _finite(comparison.absolute_change),
                    "relative_change": _finite(comparison.relative_change),
                    "ci_low": _finite(comparison.ci_low),
                    "ci_high": _finite(comparison.ci_high),
                    "p_value": p_value,
                    "test_method": TEST_METHOD if p_value is not None else None,
                    "block_days": comparison.block_days or None,
                    "permutation_block_days": comparison.permutation_block_days or None,
                    "control_organisations": len(controls),
                    "did_estimate": _finite(did.estimate) if did else None,
                    "did_ci_low": _finite(did.ci_low) if did else None,
                    "did_ci_high": _finite(did.ci_high) if did else None,
                    "did_p_value": _finite(did.p_value) if did else None,
                    **fairness,
                    "its_level_change": _finite(its.level_change) if its else None,
                    "its_level_ci_low": _finite(its.level_ci_low) if its else None,
                    "its_level_ci_high": _finite(its.level_ci_high) if its else None,
                    "its_slope_change": _finite(its.slope_change) if its else None,
                    "its_p_value": _finite(its.level_p_value) if its else None,
                    "its_slope_p_value": _finite(its.slope_p_value) if its else None,
                    "accounts_before": accounts_before,
                    "accounts_after": accounts_after,
                    "as_of": inputs.as_of,
                    "method": impact_method(
                        metric,
                        window_note,
                        n_resamples,
                        len(controls),
                        comparison,
                        did,
                        fairness,
                        its,
                        min_its_days,
                    ),
                }
            )
    return _typed(pd.DataFrame(rows, columns=names), CONSOLIDATION_IMPACT_COLUMNS)


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


def accounts_vs_engagement_frame(
    inputs: StatInputs,
    *,
    period_days: int = 90,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> pd.DataFrame:
    """One row per organisation over the period, then the summary row with the correlation."""
    names = [name for name, _ in ACCOUNTS_VS_ENGAGEMENT_COLUMNS]
    if inputs.as_of is None:
        return _typed(pd.DataFrame([], columns=names), ACCOUNTS_VS_ENGAGEMENT_COLUMNS)
    period_end = inputs.as_of
    period_start = period_end - timedelta(days=period_days - 1)
    summary = organisation_period_summary(inputs.daily, period_start, period_end)
    correlation = spearman_correlation(
        summary["active_accounts"].to_numpy(dtype=float),
        summary["engagement_per_day"].to_numpy(dtype=float),
        n_resamples=n_resamples,
        rng=_rng(seed, "accounts_vs_engagement", period_start, period_end),
    )
    rows = [
        {
            "row_type": "organisation",
            "organisation": row.organisation,
            "period_start": period_start,
            "period_end": period_end,
            "days": int(row.days),
            "active_accounts": float(row.active_accounts),
            "total_engagement": int(row.total_engagement),
            "engagement_per_day": float(row.engagement_per_day),
            "engagement_per_account": _finite(row.engagement_per_account),
            "spearman_rho": None,
            "spearman_p_value": None,
            "organisations": None,
            "method": None,
        }
        for row in summary.itertuples(index=False)
    ]
    rows.append(
        {
            "row_type": "summary",
            "organisation": ALL_ORGANISATIONS,
            "period_start": period_start,
            "period_end": period_end,
            "days": period_days,
            "active_accounts": None,
            "total_engagement": None,
            "engagement_per_day": None,
            "engagement_per_account": None,
            "spearman_rho": _finite(correlation.rho),
            "spearman_p_value": _finite(correlation.p_value),
            "organisations": correlation.n,
            "method": (
                f"{correlation.method} ({n_resamples} resamples), of active_accounts against "
                "engagement_per_day across the organisation rows; null with fewer than 3 "
                "organisations or when either side is the same for all"
            ),
        }
    )
    return _typed(pd.DataFrame(rows, columns=names), ACCOUNTS_VS_ENGAGEMENT_COLUMNS)


def _typed(frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """Give every column a dtype that maps onto its SQL type (nullable where needed)."""
    typed = {}
    for name, sql_type in columns:
        values = frame[name]
        if sql_type in ("integer", "bigint"):
            typed[name] = pd.array(
                [None if value is None or pd.isna(value) else int(value) for value in values],
                dtype="Int64",
            )
        elif sql_type == "double precision":
            typed[name] = pd.to_numeric(values, errors="raise").astype("float64")
        elif sql_type == "date":
            typed[name] = pd.Series(
                [None if value is None or pd.isna(value) else value for value in values],
                dtype=object,
            )
        else:
            typed[name] = pd.Series(
                [None if value is None or pd.isna(value) else str(value) for value in values],
                dtype=object,
            )
    return pd.DataFrame(typed, index=range(len(frame)))


def _create_and_fill(
    conn: Connection,
    qualified: str,
    columns: tuple[tuple[str, str], ...],
    frame: pd.DataFrame,
) -> None:
    definition = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns)
    conn.exec_driver_sql(f"create table {qualified} (\n    {definition}\n)")
    append_dataframe(conn, qualified, frame)
