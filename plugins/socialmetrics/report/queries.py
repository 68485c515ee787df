"""What the report reads from the warehouse: the marts, core.consolidation and the review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.review import Review, read_review

HISTORY_DAYS = 730
DEFAULT_WINDOW_DAYS = 90

# The columns the report reads from the statistical marts; a mart without them is shown as
# not available (with the missing columns named) rather than failing the report.
IMPACT_COLUMNS = frozenset(
    {
        "organisation", "event_date", "metric", "before_start", "before_end", "after_start",
        "after_end", "before_value", "after_value", "relative_change", "ci_low", "ci_high",
        "p_value",
    }
)  # fmt: skip
NATIONAL_COLUMNS = frozenset({"row_type", "organisation", "active_accounts", "engagement_per_day"})
ENGAGEMENT = """
select kind, day, engagement, posts, active_accounts
from marts.engagement_daily
where organisation = :organisation and day between :since and :day
order by day, kind
"""
DORMANT = """
select kind, day,
       sum(case when status = 'dormant' then 1 else 0 end) as dormant,
       sum(case when status <> 'closed' then 1 else 0 end) as open
from marts.account_activity
where organisation = :organisation and day between :since and :day
group by kind, day
order by day, kind
"""
THRESHOLDS = """
select distinct dormant_after_days
from marts.account_activity
where organisation = :organisation and day = :day and status <> 'closed'
order by dormant_after_days
"""

# Samples are dated by the day the platform answered: the run for a day asks just after it.
LOCALITY = """
with latest as (
    select account_key, max(snapshot_date) as snapshot_date
    from marts.follower_locality
    where organisation = :organisation and snapshot_date <= :sampled_by
    group by account_key
),
names as (
    select account_key, max(display_name) as display_name, max(account_ref) as account_ref
    from marts.account_activity
    where organisation = :organisation and day = :day
    group by account_key
),
one_source as (
    -- An account with a breakdown and a sample on the same day is shown once: the breakdown.
    select l.*,
           row_number() over (
               partition by l.account_key
               order by case when l.source = 'location_sample' then 1 else 0 end, l.source
           ) as source_rank
    from marts.follower_locality as l
    inner join latest
        on latest.account_key = l.account_key and latest.snapshot_date = l.snapshot_date
)
select l.account_key, names.display_name, names.account_ref, l.kind, l.area,
       l.snapshot_date, l.sample_size, l.in_area, l.outside, l.unknown,
       l.followers_known_location, l.share_in_area, l.ci_low, l.ci_high
from one_source as l
left join names
    on names.account_key = l.account_key
where l.source_rank = 1
order by l.kind, l.account_key
"""
EVENTS = """
select event_date, description
from core.consolidation
where organisation = :organisation
order by event_date
"""
FIRST_DAY = """
select min(day) from marts.account_activity where organisation = :organisation
"""


@dataclass
class ReportData:
    """Everything the report shows, read from the warehouse."""

    organisation: str
    day: date
    since: date
    engagement: pd.DataFrame
    dormant: pd.DataFrame
    dormant_after_days: list[int]
    locality: pd.DataFrame
    events: pd.DataFrame
    review: Review
    impact: pd.DataFrame | None = None  # this organisation's rows; None: mart not usable
    all_impact: pd.DataFrame | None = None  # every organisation's rows
    national: pd.DataFrame | None = None  # None: marts.accounts_vs_engagement not usable
    impact_unusable: str = "marts.consolidation_impact has not been built"
    national_unusable: str = "marts.accounts_vs_engagement has not been built"


def read_report_data(
    engine: Engine, organisation: str, day: date, *, history_days: int = HISTORY_DAYS
) -> ReportData:
    """Query the marts (and core.consolidation) for the report."""
    params: dict[str, Any] = {"organisation": organisation, "day": day}
    inspector = sa.inspect(engine)
    has_impact = inspector.has_table("consolidation_impact", schema="marts")
    has_national = inspector.has_table("accounts_vs_engagement", schema="marts")
    with engine.connect() as conn:
        events = read_frame(conn, EVENTS, params)
        all_impact, impact_unusable = stat_mart(
            conn, "consolidation_impact", has_impact, IMPACT_COLUMNS
        )
        impact = (
            None
            if all_impact is None
            else all_impact[all_impact["organisation"] == organisation].reset_index(drop=True)
        )
        national, national_unusable = stat_mart(
            conn, "accounts_vs_engagement", has_national, NATIONAL_COLUMNS
        )
        since = day - timedelta(days=history_days - 1)
        for event in events.itertuples(index=False):
            since = min(since, event.event_date - timedelta(days=DEFAULT_WINDOW_DAYS + 14))
        if impact is not None and not impact.empty and "before_start" in impact:
            starts = impact["before_start"].dropna()
            if not starts.empty:
                since = min(since, min(starts) - timedelta(days=14))
        first = conn.execute(sa.text(FIRST_DAY), params).scalar()
        if first is not None:
            since = max(since, first)
        params["since"] = since
        engagement = read_frame(conn, ENGAGEMENT, params)
        dormant = read_frame(conn, DORMANT, params)
        thresholds = [int(v) for (v,) in conn.execute(sa.text(THRESHOLDS), params)]
        params["sampled_by"] = params["day"] + timedelta(days=1)
        locality = read_frame(conn, LOCALITY, params)
    return ReportData(
        organisation=organisation,
        day=day,
        since=since,
        engagement=engagement,
        dormant=dormant,
        dormant_after_days=thresholds,
        locality=locality,
        events=events,
        review=read_review(engine, organisation, day),
        impact=impact,
        all_impact=all_impact,
        national=national,
        impact_unusable=impact_unusable,
        national_unusable=national_unusable,
    )


def stat_mart(
    conn: Connection, name: str, exists: bool, columns: frozenset[str]
) -> tuple[pd.DataFrame | None, str]:
    """Every row of marts.<name>, or None and why the report cannot use it."""
    if not exists:
        return None, f"marts.{name} has not been built"
    frame = read_frame(conn, f"select * from marts.{name}", {})
    missing = sorted(columns - set(frame.columns))
    if missing:
        return None, f"marts.{name} lacks the column(s) {', '.join(missing)}"
    return frame, ""


def read_frame(conn: Connection, sql: str, params: dict) -> pd.DataFrame:
    result = conn.execute(sa.text(sql), params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)
