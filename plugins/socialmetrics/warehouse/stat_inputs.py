"""What the statistical marts are computed from, and the small pieces they share.

:func:`read_inputs` reads the as-of day, the intermediate models intermediate.int_organisation_daily
and intermediate.int_consolidation_window, the consolidation events and each account's open span in
one go; :func:`metric_series` turns organisation-day totals into the series a metric is
tested on; :func:`seeded_rng` seeds each statistic by its row's key, so a rerun on the same
data gives identical numbers."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.stats.consolidation import DailySeries

DAILY_NUMBERS = (
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
    daily: pd.DataFrame  # intermediate.int_organisation_daily
    windows: pd.DataFrame  # intermediate.int_consolidation_window
    events: pd.DataFrame  # core.consolidation (organisation, event_date)
    open_spans: pd.DataFrame  # organisation, account_key, first_open_day, last_open_day


def read_inputs(engine: Engine) -> StatInputs:
    """Read the as-of day, the two intermediate models, the events and the accounts' open spans."""
    with engine.connect() as conn:
        as_of = conn.exec_driver_sql("select max(day) from core.loaded_day").scalar_one()
        daily = _frame(
            conn,
            "select organisation, day, "
            + ", ".join(DAILY_NUMBERS)
            + " from intermediate.int_organisation_daily order by organisation, day",
        )
        windows = _frame(
            conn,
            "select organisation, event_date, day, day_offset, previous_event_date, "
            "next_event_date, "
            + ", ".join(DAILY_NUMBERS)
            + " from intermediate.int_consolidation_window order by organisation, event_date, day",
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
            "max(day) as last_open_day from intermediate.int_account_activity "
            "where status <> 'closed' "
            "group by organisation, account_key order by organisation, account_key",
        )
    for frame in (daily, windows):
        for column in DAILY_NUMBERS:
            frame[column] = pd.to_numeric(frame[column]).astype(float)
    return StatInputs(as_of, daily, windows, events, open_spans)


def _frame(conn: Connection, sql: str) -> pd.DataFrame:
    result = conn.execute(sa.text(sql))
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)


def seeded_rng(seed: int, *key: object) -> np.random.Generator:
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


def pooled_days(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Day-by-day sums of several organisations' totals (the frames share their days).

    A day on which an organisation has no follower count has none pooled either (NaN).
    """
    columns = list(DAILY_NUMBERS)
    pooled = sum(frame[columns].to_numpy(dtype=float) for frame in frames)
    return pd.DataFrame(pooled, columns=columns)


def finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def typed_frame(frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> pd.DataFrame:
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
