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


def _known_accounts(engine: Engine, day) -> tuple[dict[str, object], dict[str, object]]:
    with engine.connect() as conn:
        # Known accounts with the last day before this one that a run read them. Only API
        # answers write core.platform_user (exports never do), so an account read from
        # exports until now is still first seen by the API and gets its history.
        known = dict(
            conn.execute(
                sa.text(
                    "select u.account_key, max(s.snapshot_date) from core.platform_user u "
                    "left join core.account_snapshot s on s.account_key = u.account_key "
                    "and s.snapshot_date < :day group by u.account_key"
                ),
                {"day": day},
            ).all()
        )
        sampled = dict(
            conn.execute(
                sa.text(
                    "select account_key, max(day) from ("
                    "select account_key, sample_date as day from core.follower_sample "
                    "union all "
                    "select account_key, snapshot_date as day from core.follower_breakdown"
                    ") as samples where day <= :day group by account_key"
                ),
                {"day": day},
            ).all()
        )
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
    for position, account in enumerate(accounts.itertuples(index=False)):
        first_seen = account.account_key not in known
        if first_seen:
            since = datetime.combine(account.opened_on, datetime.min.time())
        else:
            last_read = known[account.account_key]
            since = window.start
            if last_read is not None:
                since = min(since, datetime.combine(last_read, datetime.min.time()) + timedelta(1))
            since -= lookback
        is_open = pd.isna(account.closed_on) or account.closed_on > window.day
        last_sample = sampled.get(account.account_key)
        sample_due = is_open and (
            last_sample is None
            or (window.day - last_sample).days >= settings.follower_sample_every_days
        )
        batches[position % len(batches)]["accounts"].append(
            {
                "account_key": account.account_key,
                "account_ref": account.account_ref,
                "platform": account.platform,
                "since": since.isoformat(),
                "history": first_seen,
                "sample_followers": bool(sample_due),
            }
        )
    return batches
