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


def _known_accounts(engine: Engine, day) -> tuple[set[str], dict[str, object]]:
    with engine.connect() as conn:
        known = set(conn.scalars(sa.text("select account_key from core.platform_user")))
        sampled = dict(
            conn.execute(
                sa.text(
                    "select account_key, max(sample_date) from core.follower_sample "
                    "where sample_date <= :day group by account_key"
                ),
                {"day": day},
            ).all()
        )
    return known, sampled


def plan_batches(
    registry: Registry, engine: Engine, window: RunWindow, settings: Settings, platform: str = "x"
) -> list[dict]:
    """Return ``settings.extract_batches`` batch specs for ``platform`` (some may be empty).

    Each account in a batch says since when to read posts: its whole reachable history
    (from ``opened_on``) the first time it is seen, else the data interval plus the look-back
    window; and whether a follower-location sample is due (none for closed accounts, one
    every ``follower_sample_every_days`` days otherwise).
    """
    known, sampled = _known_accounts(engine, window.day)
    accounts = registry.accounts_on(platform).sort_values("account_key")
    batches = [
        {"batch": f"{platform}-{index:02d}", "platform": platform, "accounts": []}
        for index in range(settings.extract_batches)
    ]
    incremental_since = window.start - timedelta(days=settings.lookback_days)
    for position, account in enumerate(accounts.itertuples(index=False)):
        first_seen = account.account_key not in known
        since = (
            datetime.combine(account.opened_on, datetime.min.time())
            if first_seen
            else incremental_since
        )
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
                "since": since.isoformat(),
                "history": first_seen,
                "sample_followers": bool(sample_due),
            }
        )
    return batches
