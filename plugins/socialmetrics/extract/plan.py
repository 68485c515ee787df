"""Split a run's accounts into a fixed number of batches and decide what each account needs.

The number of batches is a setting, not a function of the number of accounts, so a run has
the same number of task instances at 60 or 6,000 accounts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.registry import Registry
from socialmetrics.settings import Settings
from socialmetrics.window import RunWindow

_KNOWN_ACCOUNTS = sa.text(
    """
    select
        users.account_key,
        users.platform_user_id,
        coalesce(reads.last_read_on, snapshots.last_snapshot_on) as last_read_on,
        this_day.covered_from as read_from_on_this_day
    from core.platform_user as users
    left join (
        select account_key, max(covered_to) as last_read_on
        from core.account_read
        where outcome = 'read' and covered_to < :day
        group by account_key
    ) as reads on reads.account_key = users.account_key
    left join (
        select account_key, max(snapshot_date) as last_snapshot_on
        from core.account_snapshot
        where snapshot_date < :day
        group by account_key
    ) as snapshots on snapshots.account_key = users.account_key
    left join core.account_read as this_day
        on this_day.account_key = users.account_key and this_day.run_day = :day
    """
)
_LATEST_SAMPLES = sa.text(
    """
    select account_key, max(day) from (
        select account_key, sample_date as day from core.follower_sample
        union all
        select account_key, snapshot_date as day from core.follower_breakdown
    ) as samples group by account_key
    """
)


def _known_accounts(engine: Engine, day) -> tuple[dict[str, tuple], dict[str, object]]:
    """Known accounts (key -> (platform user id, last day a run read their posts before
    ``day``, first day an earlier run for ``day`` itself read from)), and each account's
    latest follower sample or breakdown day."""
    with engine.connect() as conn:
        # Only API answers write core.platform_user (exports never do), so an account read
        # from exports until now is still first seen by the API and gets its history.
        known = {row[0]: tuple(row[1:]) for row in conn.execute(_KNOWN_ACCOUNTS, {"day": day})}
        sampled = dict(conn.execute(_LATEST_SAMPLES).all())
    return known, sampled


# Batches go to one connector each: X, or the Meta Graph API for Facebook and Instagram.
CONNECTOR_PLATFORMS = {"x": ("x",), "meta": ("facebook", "instagram")}


def plan_batches(
    registry: Registry, engine: Engine, window: RunWindow, settings: Settings
) -> list[dict]:
    """Return ``settings.extract_batches`` batch specs per API connector (some may be empty),
    and one batch for the CSV exports folder.

    Only accounts with source ``api`` go into the API batches. Each account in a batch says
    since when to read posts: its whole reachable history (from ``opened_on``) the first time
    the API sees it, else the data interval plus the look-back window, reaching back to the
    day after the last run that read it when runs were missed; and whether a
    follower-location sample is due (none for closed accounts, one every
    ``follower_sample_every_days`` days otherwise). The exports batch names every account
    with its source and its organisation's time zone.
    """
    known, sampled = _known_accounts(engine, window.day)
    batches = []
    by_api = registry.accounts[registry.accounts["source"] == "api"]
    for connector, platforms in CONNECTOR_PLATFORMS.items():
        accounts = by_api[by_api["platform"].isin(platforms)]
        batches += _connector_batches(
            connector, accounts.sort_values("account_key"), known, sampled, window, settings
        )
    # Exports dropped in a folder are read by one batch, whoever they are about.
    organisations = registry.organisations
    timezones = dict(zip(organisations["organisation"], organisations["timezone"], strict=True))
    everyone = registry.accounts.sort_values("account_key")
    exports = [
        {
            "account_key": a.account_key,
            "account_ref": a.account_ref,
            "platform": a.platform,
            "source": a.source,
            "timezone": timezones[a.organisation],
        }
        for a in everyone.itertuples(index=False)
    ]
    batches.append({"batch": "csv-00", "platform": "csv", "accounts": exports})
    return batches


def _connector_batches(connector, accounts, known, sampled, window, settings) -> list[dict]:
    batches = [
        {"batch": f"{connector}-{index:02d}", "platform": connector, "accounts": []}
        for index in range(settings.extract_batches)
    ]
    lookback = timedelta(days=settings.lookback_days)
    # A sample is dated by the day the platform answers, which for a scheduled run is the
    # day after the one it reports on; a backfill run later finds a newer sample and takes
    # none (it would be dated today anyway, not the day backfilled).
    sample_day = window.day + timedelta(days=1)
    for position, account in enumerate(accounts.itertuples(index=False)):
        first_seen = account.account_key not in known
        user_id, last_read, rerun_from = known.get(account.account_key, (None, None, None))
        if first_seen:
            since = datetime.combine(account.opened_on, datetime.min.time())
        else:
            since = window.start
            if last_read is not None:
                since = min(since, datetime.combine(last_read, datetime.min.time()) + timedelta(1))
            since -= lookback
        if rerun_from is not None:
            # A rerun of a day reads what the day's first run read: the same answers, the
            # same rows, nothing changed (the first run may have loaded the whole history).
            since = min(since, datetime.combine(rerun_from, datetime.min.time()))
            first_seen = first_seen or rerun_from <= account.opened_on
        is_open = pd.isna(account.closed_on) or account.closed_on > window.day
        last_sample = sampled.get(account.account_key)
        sample_due = is_open and (
            last_sample is None
            or (sample_day - last_sample).days >= settings.follower_sample_every_days
        )
        planned = {
            "account_key": account.account_key,
            "account_ref": account.account_ref,
            "platform": account.platform,
            "since": since.isoformat(),
            "history": first_seen,
            "sample_followers": bool(sample_due),
        }
        if user_id and account.platform == "x":
            planned["user_id"] = user_id
        batches[position % len(batches)]["accounts"].append(planned)
    return batches
