"""Plan a run: each connector's batches and what each account needs (the ``plan`` task).

The number of batches is a setting, not a function of the number of accounts, so a run has
the same number of task instances at 60 or 6,000 accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.payloads import Batch, PlannedAccount
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


@dataclass(frozen=True)
class PlanState:
    """What the warehouse knows of the accounts before a run: ``known`` maps each account the
    API has seen to (its platform user id, the last day a run read its posts before the
    run's day, the first day an earlier run for the run's day itself read from), ``sampled``
    each account's latest follower sample or breakdown day."""

    known: dict[str, tuple]
    sampled: dict[str, object]


def read_plan_state(engine: Engine, day) -> PlanState:
    """The PlanState of a run reporting on ``day``."""
    with engine.connect() as conn:
        # Only API answers write core.platform_user (exports never do), so an account read
        # from exports until now is still first seen by the API and gets its history.
        known = {row[0]: tuple(row[1:]) for row in conn.execute(_KNOWN_ACCOUNTS, {"day": day})}
        sampled = dict(conn.execute(_LATEST_SAMPLES).all())
    return PlanState(known, sampled)


def plan_batches(
    registry: Registry, engine: Engine, window: RunWindow, settings: Settings
) -> list[Batch]:
    """The run's batches: each connector's (platforms.CONNECTORS), in their order."""
    from socialmetrics.platforms import CONNECTORS

    state = read_plan_state(engine, window.day)
    batches: list[Batch] = []
    for connector in CONNECTORS:
        batches += connector.plan(registry, state, window, settings)
    return batches


def api_batches(
    connector: str,
    platforms: Iterable[str],
    registry: Registry,
    state: PlanState,
    window: RunWindow,
    settings: Settings,
) -> list[Batch]:
    """``settings.extract_batches`` batches of the registry's ``api`` accounts of
    ``platforms``, for an API connector (some may be empty).

    Each account says since when to read posts: its whole reachable history (from
    ``opened_on``) the first time the API sees it, else the data interval plus the
    look-back window, reaching back to the day after the last day a run could read it when
    runs were missed; and whether a follower sample is due (none for closed accounts, one
    every ``follower_sample_every_days`` days otherwise).
    """
    accounts = registry.accounts
    chosen = accounts[(accounts["source"] == "api") & accounts["platform"].isin(list(platforms))]
    batches: list[Batch] = [
        {"batch": f"{connector}-{index:02d}", "connector": connector, "accounts": []}
        for index in range(settings.extract_batches)
    ]
    for position, account in enumerate(chosen.sort_values("account_key").itertuples()):
        planned = _planned_account(account, state, window, settings)
        batches[position % len(batches)]["accounts"].append(planned)
    return batches


def _planned_account(account, state: PlanState, window: RunWindow, settings: Settings):
    first_seen = account.account_key not in state.known
    user_id, last_read, rerun_from = state.known.get(account.account_key, (None, None, None))
    if first_seen:
        since = datetime.combine(account.opened_on, datetime.min.time())
    else:
        since = window.start
        if last_read is not None:
            since = min(since, datetime.combine(last_read, datetime.min.time()) + timedelta(1))
        since -= timedelta(days=settings.lookback_days)
    if rerun_from is not None:
        # A rerun of a day reads what the day's first run read: the same answers, the same
        # rows, nothing changed (the first run may have loaded the whole history).
        since = min(since, datetime.combine(rerun_from, datetime.min.time()))
        first_seen = first_seen or rerun_from <= account.opened_on
    planned: PlannedAccount = {
        "account_key": account.account_key,
        "account_ref": account.account_ref,
        "platform": account.platform,
        "since": since.isoformat(),
        "history": first_seen,
        "sample_followers": _sample_due(account, state, window, settings),
    }
    if user_id:
        planned["user_id"] = user_id
    return planned


def _sample_due(account, state: PlanState, window: RunWindow, settings: Settings) -> bool:
    # A sample is dated by the day the platform answers, which for a scheduled run is the
    # day after the one it reports on; a backfill run later finds a newer sample and takes
    # none (it would be dated today anyway, not the day backfilled).
    if not (pd.isna(account.closed_on) or account.closed_on > window.day):
        return False
    last_sample = state.sampled.get(account.account_key)
    sample_day = window.day + timedelta(days=1)
    return last_sample is None or (
        (sample_day - last_sample).days >= settings.follower_sample_every_days
    )
