"""Load one run into the warehouse: raw, quarantine, core and ops, atomically.

Everything a run writes goes in one transaction, so a load killed half-way leaves the
warehouse as it was. A rerun replaces the run's raw, quarantine and ops rows and writes the
same core rows again, which changes nothing: running a day again leaves core and marts as
they were. The run's typed rows are the validated Parquet files of its batches (the staging
rows of docs/design.md#2-the-system); they go into core through ``warehouse.merge``
(docs/decisions/0001-one-load-transaction.md, docs/decisions/0002-staging-twins.md).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.landing import failed_attempts, read_landing
from socialmetrics.platforms.csv_export.layouts.frames import FOLLOWER_CHANGE_COLUMNS, LATEST_ORDER
from socialmetrics.platforms.meta.parse import FOLLOWER_BREAKDOWN_COLUMNS, INSIGHT_COLUMNS
from socialmetrics.registry import ACCOUNT_COLUMNS, Registry
from socialmetrics.rows import ACCOUNT_READ_COLUMNS, FOLLOWER_COLUMNS, POST_COLUMNS
from socialmetrics.settings import Settings
from socialmetrics.warehouse.bulk import append_dataframe
from socialmetrics.warehouse.merge import MergeTarget, merge_rows
from socialmetrics.window import RunWindow

log = logging.getLogger(__name__)


def _stored(staged_columns: list[str]) -> tuple[str, ...]:
    """The columns of a staging entity that core keeps: all but the record as received."""
    return tuple(c for c in staged_columns if c != "_record")


# How each entity's validated rows go into core (see warehouse/merge.py). Account snapshots
# keep the per-day counts; the account's own attributes go to platform_user.
CORE_TARGETS = {
    "account_snapshot": MergeTarget(
        "core.account_snapshot",
        (
            "account_key",
            "snapshot_date",
            "followers_count",
            "following_count",
            "post_count",
            "listed_count",
        ),
        key=("account_key", "snapshot_date"),
        range_column="snapshot_date",
    ),
    "post": MergeTarget(
        "core.post",
        _stored(POST_COLUMNS),
        key=("account_key", "post_id"),
    ),
    "insight_daily": MergeTarget(
        "core.insight_daily",
        _stored(INSIGHT_COLUMNS),
        key=("account_key", "metric", "period", "day"),
        range_column="day",
    ),
    # One read per account and run day: a rerun of the day says again what it could read.
    "account_read": MergeTarget(
        "core.account_read",
        _stored(ACCOUNT_READ_COLUMNS),
        key=("account_key", "run_day"),
        range_column="run_day",
    ),
    # Samples and breakdowns are replaced whole for their day: a rerun may have seen a
    # different page of followers or a different set of top cities.
    "follower_sample": MergeTarget(
        "core.follower_sample",
        _stored(FOLLOWER_COLUMNS),
        key=("account_key", "sample_date"),
        mode="replace",
        range_column="sample_date",
    ),
    "follower_breakdown": MergeTarget(
        "core.follower_breakdown",
        _stored(FOLLOWER_BREAKDOWN_COLUMNS),
        key=("account_key", "snapshot_date"),
        mode="replace",
        range_column="snapshot_date",
    ),
    # Only exports give follows and unfollows per day; the highest counts of a day win.
    "follower_change": MergeTarget(
        "core.follower_change",
        _stored(FOLLOWER_CHANGE_COLUMNS),
        key=("account_key", "day"),
        range_column="day",
        newer=LATEST_ORDER["follower_change"][1],
    ),
}
# Rows of the CSV exports: a post already in core keeps its counts against an export with
# lower ones (an older copy dropped late), by the rule of platforms.csv_export.layouts.frames.
EXPORT_TARGETS = {
    **CORE_TARGETS,
    "post": dataclasses.replace(CORE_TARGETS["post"], newer=LATEST_ORDER["post"][1]),
}
PLATFORM_USER = MergeTarget(
    "core.platform_user",
    (
        "account_key",
        "platform_user_id",
        "username",
        "created_at",
        "profile_location",
        "history_loaded_on",
    ),
    key=("account_key",),
    # The day an account's history was first loaded stays the first day.
    update=("platform_user_id", "username", "created_at", "profile_location"),
)
RAW_COLUMNS = [
    "run_id",
    "batch",
    "seq",
    "platform",
    "endpoint",
    "request_params",
    "fetched_at",
    "http_status",
    "body",
]
RAW_CHUNK_ANSWERS = 5_000


def _replace(conn: Connection, table: str, frame: pd.DataFrame, where: str = "", **params) -> int:
    conn.execute(sa.text(f"delete from {table}" + (f" where {where}" if where else "")), params)
    return append_dataframe(conn, table, frame)


def load_registry_tables(conn: Connection, registry: Registry, settings: Settings) -> None:
    """Replace the registry tables of core with the registry as read this run, and the
    settings the models read."""
    accounts = registry.accounts[["account_key", *ACCOUNT_COLUMNS, "source"]]
    _replace(conn, "core.organisation", registry.organisations)
    _replace(conn, "core.account", accounts)
    _replace(conn, "core.consolidation", registry.consolidations)
    _replace(conn, "core.area_place", registry.gazetteer[["area", "place", "place_key"]])
    thresholds = pd.DataFrame(
        sorted(settings.dormancy_days.items()), columns=["kind", "dormant_after_days"]
    )
    _replace(conn, "core.dormancy_threshold", thresholds)
    kinds = pd.DataFrame({"post_kind": list(settings.active_post_kinds)})
    _replace(conn, "core.active_post_kind", kinds)
    model_settings = pd.DataFrame(
        [{"name": "stale_after_days", "value": str(settings.stale_after_days)}]
    )
    _replace(conn, "core.pipeline_setting", model_settings)


def record_registry_problems(conn: Connection, run_id: str, registry: Registry) -> None:
    """Replace the run's rows of ops.registry_problem with the rows left out this run."""
    problems = pd.DataFrame(
        [
            {
                "run_id": run_id,
                "file": p.file,
                "line": p.line,
                "column_name": p.column,
                "message": p.message,
            }
            for p in registry.problems
        ],
        columns=["run_id", "file", "line", "column_name", "message"],
    )
    _replace(conn, "ops.registry_problem", problems, "run_id = :run_id", run_id=run_id)


def _landed_files(batch: dict) -> list[tuple[str, Path]]:
    """(raw batch label, landing file) of a batch: its failed extract attempts, then the
    attempt that succeeded. Every answer received is kept in raw, failed attempts too."""
    landing = Path(batch["landing_file"])
    failed = [(path.stem, path) for path in failed_attempts(landing)]
    return [*failed, (batch["batch"], landing)]


def _raw_chunks(window: RunWindow, label: str, landing: Path) -> Iterator[pd.DataFrame]:
    """A landing file's answers as raw.api_response rows, a few thousand at a time: the
    landing of a national run does not fit in memory as one frame."""
    rows = []
    for record in read_landing(landing):
        rows.append(
            {
                "run_id": window.run_id,
                "batch": label,
                "seq": record["seq"],
                "platform": record["platform"],
                "endpoint": record["endpoint"],
                "request_params": json.dumps(record["params"], sort_keys=True),
                "fetched_at": record["fetched_at"],
                "http_status": record["status"],
                "body": record["body"],
            }
        )
        if len(rows) == RAW_CHUNK_ANSWERS:
            yield _raw_frame(rows)
            rows = []
    if rows:
        yield _raw_frame(rows)


def _raw_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=RAW_COLUMNS)
    fetched = pd.to_datetime(frame["fetched_at"], utc=True, format="ISO8601")
    frame["fetched_at"] = fetched.dt.tz_convert(None).astype("datetime64[us]")
    return frame


def keep_raw_answers(engine: Engine, window: RunWindow, landings: list[Path]) -> int:
    """Write the answers of failed extract attempts (``landings``) into raw.api_response for
    the run, replacing those of an earlier try of the same attempts. Returns the answers."""
    kept = 0
    with engine.begin() as conn:
        for landing in landings:
            conn.execute(
                sa.text("delete from raw.api_response where run_id = :run_id and batch = :batch"),
                {"run_id": window.run_id, "batch": landing.stem},
            )
            for chunk in _raw_chunks(window, landing.stem, landing):
                kept += append_dataframe(conn, "raw.api_response", chunk)
    return kept


def _latest_platform_users(snapshots: pa.Table) -> pa.Table:
    """One row per account from its latest snapshot: a run over several days has several."""
    keys = pa.table(
        {
            "account_key": snapshots["account_key"],
            "snapshot_date": snapshots["snapshot_date"],
            "row": pa.array(range(snapshots.num_rows), pa.int64()),
        }
    )
    latest = keys.group_by("account_key").aggregate([("snapshot_date", "max")])
    latest = latest.rename_columns(["account_key", "snapshot_date"])
    # Joined on the keys alone: a column that is null throughout has no type to join on.
    rows = keys.join(latest, ["account_key", "snapshot_date"], join_type="inner")["row"]
    users = snapshots.take(rows.take(pc.sort_indices(rows)))
    return users.rename_columns(
        ["history_loaded_on" if c == "snapshot_date" else c for c in users.column_names]
    )


def load_run(
    engine: Engine,
    window: RunWindow,
    registry: Registry,
    settings: Settings,
    batches: list[dict],
    dag_id: str = "social_metrics_daily",
) -> dict[str, dict[str, int]]:
    """Load a run's validated batches (``validate_batch`` summaries) in one transaction.

    Writes the run's raw answers and quarantined rows (replacing the run's earlier ones), the
    registry tables, each batch's validated rows into core (``merge_rows``: loading the same
    rows again changes nothing) and the run's ``ops`` rows. Returns the row counts per entity
    and stage that were written to ``ops.stage_count``.
    """
    run = {"run_id": window.run_id}
    counts: dict[str, dict[str, int]] = {}
    for batch in batches:
        for entity, stages in batch["counts"].items():
            total = counts.setdefault(entity, dict.fromkeys(stages, 0))
            for stage, value in stages.items():
                total[stage] += value
    with engine.begin() as conn:
        conn.execute(sa.text("delete from raw.api_response where run_id = :run_id"), run)
        landed = 0
        for batch in batches:
            for label, landing in _landed_files(batch):
                for chunk in _raw_chunks(window, label, landing):
                    landed += append_dataframe(conn, "raw.api_response", chunk)
        load_registry_tables(conn, registry, settings)
        record_registry_problems(conn, window.run_id, registry)
        for batch in batches:
            exports = batch["source"] == "export"
            for entity, path in batch["files"].items():
                rows = pq.read_table(path)
                if rows.num_rows == 0:
                    continue
                # Exports never name the platform's user id: platform_user (and with it
                # "seen by the API") is the API's alone.
                if entity == "account_snapshot" and not exports:
                    merge_rows(conn, PLATFORM_USER, _latest_platform_users(rows))
                merge_rows(conn, (EXPORT_TARGETS if exports else CORE_TARGETS)[entity], rows)
        conn.execute(sa.text("delete from quarantine.rejected_row where run_id = :run_id"), run)
        for batch in batches:
            rejected = pd.read_parquet(batch["rejected"])
            rejected.insert(0, "run_id", window.run_id)
            append_dataframe(conn, "quarantine.rejected_row", rejected)
        conn.execute(
            sa.text("insert into core.loaded_day (day) values (:day) on conflict do nothing"),
            {"day": window.day},
        )
        _record_ops(conn, window, batches, counts, landed, dag_id)
    for entity, stages in counts.items():
        log.info("%s: %s", entity, ", ".join(f"{k} {v}" for k, v in stages.items()))
    return counts


def _record_ops(conn, window, batches, counts, landed, dag_id) -> None:
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
    stage_rows.append({"entity": "api_answer", "stage": "landed", "row_count": landed})
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

    issues = pd.DataFrame(
        [i for batch in batches for i in batch["issues"]],
        columns=["platform", "endpoint", "account_ref", "account_key", "issue", "detail"],
    )
    if not issues.empty:
        issues.insert(0, "run_id", window.run_id)
    _replace(conn, "ops.extract_issue", issues, "run_id = :run_id", **run)

    calls = [
        {"platform": batch["connector"], "endpoint": endpoint, "calls": value}
        for batch in batches
        for endpoint, value in batch["calls"].items()
    ]
    calls_frame = pd.DataFrame(calls, columns=["platform", "endpoint", "calls"])
    if not calls_frame.empty:
        calls_frame = calls_frame.groupby(["platform", "endpoint"], as_index=False)["calls"].sum()
        calls_frame.insert(0, "run_id", window.run_id)
    _replace(conn, "ops.api_call_count", calls_frame, "run_id = :run_id", **run)
