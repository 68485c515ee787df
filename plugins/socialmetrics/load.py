"""Load one run into the warehouse: raw, staging, quarantine, core and ops, atomically.

Everything a run writes goes in one transaction, so a load killed half-way leaves the
warehouse as it was, and a rerun replaces the run's raw/staging/quarantine/ops rows and
upserts core to the same values: running a day again changes nothing in core or marts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.landing import read_landing
from socialmetrics.registry import ACCOUNT_COLUMNS, Registry
from socialmetrics.settings import Settings
from socialmetrics.staging import ENTITIES
from socialmetrics.warehouse.bulk import append_dataframe
from socialmetrics.window import RunWindow

log = logging.getLogger(__name__)

_UPSERTS = {
    "platform_user": """
        insert into core.platform_user
            (account_key, platform_user_id, created_at, profile_location, history_loaded_on)
        select s.account_key, s.platform_user_id, s.created_at, s.profile_location,
               s.snapshot_date
        from staging.account_snapshot as s
        -- A run over several days has several snapshots of an account: the latest speaks.
        inner join (
            select account_key, max(snapshot_date) as snapshot_date
            from staging.account_snapshot where run_id = :run_id group by account_key
        ) as latest
            on latest.account_key = s.account_key and latest.snapshot_date = s.snapshot_date
        where s.run_id = :run_id
        on conflict (account_key) do update set
            platform_user_id = excluded.platform_user_id,
            created_at = excluded.created_at,
            profile_location = excluded.profile_location
    """,
    "account_snapshot": """
        insert into core.account_snapshot
            (account_key, snapshot_date, followers_count, following_count, post_count,
             listed_count)
        select account_key, snapshot_date, followers_count, following_count, post_count,
               listed_count
        from staging.account_snapshot where run_id = :run_id
        on conflict (account_key, snapshot_date) do update set
            followers_count = excluded.followers_count,
            following_count = excluded.following_count,
            post_count = excluded.post_count,
            listed_count = excluded.listed_count
    """,
    "insight_daily": """
        insert into core.insight_daily (account_key, metric, period, day, value)
        select account_key, metric, period, day, value
        from staging.insight_daily where run_id = :run_id
        on conflict (account_key, metric, period, day) do update set value = excluded.value
    """,
    "post": """
        insert into core.post
            (account_key, post_id, published_at, published_on, likes, replies, reposts, quotes,
             bookmarks, impressions, engagement)
        select account_key, post_id, published_at, published_on, likes, replies, reposts, quotes,
               bookmarks, impressions, engagement
        from staging.post where run_id = :run_id
        on conflict (account_key, post_id) do update set
            published_at = excluded.published_at,
            published_on = excluded.published_on,
            likes = excluded.likes,
            replies = excluded.replies,
            reposts = excluded.reposts,
            quotes = excluded.quotes,
            bookmarks = excluded.bookmarks,
            impressions = excluded.impressions,
            engagement = excluded.engagement
    """,
}


_SNAPSHOT_SETS = {
    "follower_sample": "account_key, sample_date, position, location, location_key",
    "follower_breakdown": "account_key, snapshot_date, place, place_key, followers, source",
}


def _replace_day_sets(conn: Connection, table: str, columns: str, run: dict) -> None:
    day = "sample_date" if table == "follower_sample" else "snapshot_date"
    conn.execute(
        sa.text(
            f"delete from core.{table} where exists (select 1 from staging.{table} s "
            f"where s.run_id = :run_id and s.account_key = core.{table}.account_key "
            f"and s.{day} = core.{table}.{day})"
        ),
        run,
    )
    conn.execute(
        sa.text(
            f"insert into core.{table} ({columns}) select {columns} "
            f"from staging.{table} where run_id = :run_id"
        ),
        run,
    )


def _replace(conn: Connection, table: str, frame: pd.DataFrame, where: str = "", **params) -> int:
    conn.execute(sa.text(f"delete from {table}" + (f" where {where}" if where else "")), params)
    return append_dataframe(conn, table, frame)


def load_registry_tables(conn: Connection, registry: Registry, settings: Settings) -> None:
    """Replace the registry tables of core with the registry as read this run."""
    accounts = registry.accounts[["account_key", *ACCOUNT_COLUMNS]]
    _replace(conn, "core.organisation", registry.organisations)
    _replace(conn, "core.account", accounts)
    _replace(conn, "core.consolidation", registry.consolidations)
    _replace(conn, "core.area_place", registry.gazetteer[["area", "place", "place_key"]])
    thresholds = pd.DataFrame(
        sorted(settings.dormancy_days.items()), columns=["kind", "dormant_after_days"]
    )
    _replace(conn, "core.dormancy_threshold", thresholds)


def _raw_frame(window: RunWindow, batches: list[dict]) -> pd.DataFrame:
    rows = []
    for batch in batches:
        for record in read_landing(Path(batch["landing_file"])):
            rows.append(
                {
                    "run_id": window.run_id,
                    "batch": batch["batch"],
                    "seq": record["seq"],
                    "platform": record["platform"],
                    "endpoint": record["endpoint"],
                    "request_params": json.dumps(record["params"], sort_keys=True),
                    "fetched_at": record["fetched_at"],
                    "http_status": record["status"],
                    "body": record["body"],
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "run_id",
            "batch",
            "seq",
            "platform",
            "endpoint",
            "request_params",
            "fetched_at",
            "http_status",
            "body",
        ],
    )
    fetched = pd.to_datetime(frame["fetched_at"], utc=True, format="ISO8601")
    frame["fetched_at"] = fetched.dt.tz_convert(None).astype("datetime64[us]")
    frame["seq"] = frame["seq"].astype("int32")
    frame["http_status"] = frame["http_status"].astype("int32")
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def load_run(
    engine: Engine,
    window: RunWindow,
    registry: Registry,
    settings: Settings,
    batches: list[dict],
    dag_id: str = "social_metrics_daily",
) -> dict[str, dict[str, int]]:
    """Load a run's validated batches (``validate_batch`` summaries) in one transaction.

    Returns the row counts per entity and stage that were written to ``ops.stage_count``.
    """
    run = {"run_id": window.run_id}
    counts: dict[str, dict[str, int]] = {}
    for batch in batches:
        for entity, stages in batch["counts"].items():
            total = counts.setdefault(entity, dict.fromkeys(stages, 0))
            for stage, value in stages.items():
                total[stage] += value
    with engine.begin() as conn:
        raw = _raw_frame(window, batches)
        _replace(conn, "raw.api_response", raw, "run_id = :run_id", **run)
        load_registry_tables(conn, registry, settings)
        for entity in ENTITIES:
            frame = _concat(
                [pd.read_parquet(b["files"][entity]) for b in batches if entity in b["files"]]
            )
            if not frame.empty:
                frame.insert(0, "run_id", window.run_id)
            _replace(conn, f"staging.{entity}", frame, "run_id = :run_id", **run)
        rejected = _concat([pd.read_parquet(batch["rejected"]) for batch in batches])
        if not rejected.empty:
            rejected.insert(0, "run_id", window.run_id)
        _replace(conn, "quarantine.rejected_row", rejected, "run_id = :run_id", **run)

        for statement in _UPSERTS.values():
            conn.execute(sa.text(statement), run)
        # Samples and breakdowns are replaced whole for their day: a rerun may have seen a
        # different page of followers or a different set of top cities.
        for table, columns in _SNAPSHOT_SETS.items():
            _replace_day_sets(conn, table, columns, run)
        conn.execute(
            sa.text("insert into core.loaded_day (day) values (:day) on conflict do nothing"),
            {"day": window.day},
        )
        _record_ops(conn, window, batches, counts, raw, dag_id)
    for entity, stages in counts.items():
        log.info("%s: %s", entity, ", ".join(f"{k} {v}" for k, v in stages.items()))
    return counts


def _record_ops(conn, window, batches, counts, raw, dag_id) -> None:
    run = {"run_id": window.run_id}
    conn.execute(sa.text("delete from ops.pipeline_run where run_id = :run_id"), run)
    conn.execute(
        sa.text(
            "insert into ops.pipeline_run (run_id, dag_id, data_interval_start, "
            "data_interval_end, finished_at) values (:run_id, :dag, :start, :end, "
            "current_timestamp)"
        ),
        {**run, "dag": dag_id, "start": window.start, "end": window.end},
    )
    stage_rows = [
        {"entity": entity, "stage": stage, "row_count": value}
        for entity, stages in counts.items()
        for stage, value in stages.items()
    ]
    stage_rows.append({"entity": "api_answer", "stage": "landed", "row_count": len(raw)})
    stage_frame = pd.DataFrame(stage_rows)
    stage_frame.insert(0, "run_id", window.run_id)
    _replace(conn, "ops.stage_count", stage_frame, "run_id = :run_id", **run)

    results = pd.DataFrame([r for batch in batches for r in batch["results"]])
    if not results.empty:
        results = results.groupby(["entity", "expectation"], as_index=False).agg(
            success=("success", "all"),
            element_count=("element_count", "sum"),
            unexpected_count=("unexpected_count", "sum"),
        )
        results.insert(0, "run_id", window.run_id)
    _replace(conn, "ops.validation_result", results, "run_id = :run_id", **run)

    issues = pd.DataFrame([i for batch in batches for i in batch["issues"]])
    if not issues.empty:
        issues.insert(0, "run_id", window.run_id)
    _replace(conn, "ops.extract_issue", issues, "run_id = :run_id", **run)

    calls = [
        {"platform": batch["platform"], "endpoint": endpoint, "calls": value}
        for batch in batches
        for endpoint, value in batch["calls"].items()
    ]
    calls_frame = pd.DataFrame(calls, columns=["platform", "endpoint", "calls"])
    if not calls_frame.empty:
        calls_frame = calls_frame.groupby(["platform", "endpoint"], as_index=False)["calls"].sum()
        calls_frame.insert(0, "run_id", window.run_id)
    _replace(conn, "ops.api_call_count", calls_frame, "run_id = :run_id", **run)
