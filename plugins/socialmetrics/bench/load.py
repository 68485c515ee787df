"""``load_vs_copy`` and ``to_sql_vs_load``: our PostgreSQL load against a plain ``COPY`` and
against ``pandas.DataFrame.to_sql``, on the same account-day rows, in the same run.

*Our load* is ``load_run`` itself, given one validated batch whose account_snapshot Parquet
holds the rows (the other entities, the landing and the quarantine empty; a 60-account
registry): in one transaction it replaces the run's rows of ``staging.account_snapshot``
(``append_dataframe``: Arrow -> CSV -> ``COPY``), runs the upserts (``insert ... on conflict
do update`` into ``core.platform_user`` and ``core.account_snapshot``) and writes ``ops``.
Where its time goes is measured in a separate round through the same pieces
(``_replace`` into staging, then the ``account_snapshot`` statement of ``_UPSERTS``).

*Plain COPY*: the same DataFrame rendered to CSV with pyarrow (the fastest renderer at hand)
and sent with one ``COPY ... FROM STDIN`` into an empty table with the staging columns and
no index, in one transaction. Rendering and ``COPY`` are timed apart; the ratio uses both,
as our load starts from the same rows in memory (it reads them from Parquet: counted).

*to_sql*: ``frame.to_sql(..., if_exists="append", index=False)`` with pandas' defaults
(``method=None``, ``chunksize=None``) into an empty table with the same columns.

Each round starts from empty tables after a ``CHECKPOINT`` (when permitted); one excluded
warm-up of each method on a few rows comes first. The first load inserts every row (the
daily case); the rerun of the same run, where every row conflicts, is in the detail.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.bench import Result, result
from socialmetrics.bench.postgres import scratch_database, server_settings
from socialmetrics.load import _UPSERTS, _replace, load_run
from socialmetrics.registry import load_registry
from socialmetrics.sandbox.scenario import national_scenario
from socialmetrics.settings import Settings
from socialmetrics.validation.validate import REJECTED_COLUMNS
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.migrations import apply_migrations
from socialmetrics.window import RunWindow

RUN_ID = "bench__load"
WARMUP_RUN_ID = "bench__warmup"
DAYS = 365
FIRST_DAY = date(2025, 11, 1)
COLUMNS = [
    "run_id",
    "account_key",
    "snapshot_date",
    "platform_user_id",
    "created_at",
    "profile_location",
    "followers_count",
    "following_count",
    "post_count",
    "listed_count",
]
COPY_TABLE = "bench_copy.account_snapshot"
TO_SQL_SCHEMA, TO_SQL_TABLE = "bench_to_sql", "account_snapshot"
PLACES = np.array(["Norwich", "Great Yarmouth", "King's Lynn", "Thetford, Norfolk", "UK"])


def account_day_rows(rows: int, run_id: str = RUN_ID, days: int = DAYS, seed: int = 0):
    """``rows`` staging.account_snapshot rows: ceil(rows / days) accounts x ``days`` days
    (the last account has fewer), typed as ``load_run`` reads them back from Parquet."""
    rng = np.random.default_rng(seed)
    number = np.arange(rows)
    account, day = number // days, number % days
    followers = rng.integers(100, 200_000, size=rows)
    location = PLACES[rng.integers(0, len(PLACES), size=rows)].astype(object)
    location[rng.random(rows) < 0.1] = None
    frame = pd.DataFrame(
        {
            "account_key": [f"x:bench{a:07d}" for a in account],
            "snapshot_date": [FIRST_DAY + timedelta(days=int(d)) for d in day],
            "platform_user_id": [str(9_000_000_000 + a) for a in account],
            "created_at": (
                np.datetime64("2012-01-01T00:00:00", "us")
                + (account * 86_400_000_000 // 7).astype("timedelta64[us]")
            ),
            "profile_location": location,
            "followers_count": pd.array(followers, dtype="Int64"),
            "following_count": pd.array(rng.integers(0, 5_000, size=rows), dtype="Int64"),
            "post_count": pd.array(rng.integers(0, 60_000, size=rows), dtype="Int64"),
            "listed_count": pd.array(rng.integers(0, 900, size=rows), dtype="Int64"),
        }
    )
    # load_run reads the validated rows back from Parquet: give the load those very dtypes.
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    frame = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    frame.insert(0, "run_id", run_id)
    return frame


# -- the three ways in --------------------------------------------------------------------


class OurLoad:
    """``load_run`` of one validated batch holding ``frame``'s rows as account snapshots."""

    def __init__(self, frame: pd.DataFrame, folder: Path, registry_accounts: int = 60):
        self.rows = len(frame)
        run_id = frame["run_id"].iloc[0]
        first, last = frame["snapshot_date"].min(), frame["snapshot_date"].max()
        self.window = RunWindow.of(
            run_id,
            datetime.combine(first, datetime.min.time()),
            datetime.combine(last + timedelta(days=1), datetime.min.time()),
        )
        scenario = national_scenario(accounts=registry_accounts, days=30)
        scenario.write_registry(folder / "registry")
        self.registry = load_registry(folder / "registry", today=scenario.end_date)
        self.settings = Settings(registry_dir=folder / "registry")
        files = folder / run_id
        files.mkdir()
        (files / "x-00.jsonl").write_text("")
        frame.drop(columns=["run_id"]).to_parquet(files / "x-00.account_snapshot.parquet")
        pd.DataFrame(columns=REJECTED_COLUMNS).to_parquet(files / "x-00.rejected.parquet")
        self.batch = {
            "batch": "x-00",
            "platform": "x",
            "landing_file": str(files / "x-00.jsonl"),
            "accounts": int(frame["account_key"].nunique()),
            "calls": {},
            "answers": 0,
            "files": {"account_snapshot": str(files / "x-00.account_snapshot.parquet")},
            "rejected": str(files / "x-00.rejected.parquet"),
            "counts": {
                "account_snapshot": {
                    "extracted": len(frame),
                    "loaded": len(frame),
                    "quarantined": 0,
                    "duplicate_answers": 0,
                }
            },
            "results": [],
            "issues": [],
        }

    def __call__(self, engine: Engine) -> dict[str, float]:
        started = time.perf_counter()
        counts = load_run(engine, self.window, self.registry, self.settings, [self.batch])
        seconds = time.perf_counter() - started
        if counts["account_snapshot"]["loaded"] != self.rows:
            raise RuntimeError(f"load_run reported {counts}")
        return {"seconds": seconds}


def load_pieces(engine: Engine, frame: pd.DataFrame, run_id: str = RUN_ID) -> dict[str, float]:
    """Where the time goes: the staging replace and the account_snapshot upsert of load.py,
    in one transaction, timed apart."""
    started = time.perf_counter()
    with engine.begin() as conn:
        begun = time.perf_counter()
        _replace(conn, "staging.account_snapshot", frame, "run_id = :run_id", run_id=run_id)
        staged = time.perf_counter()
        conn.execute(sa.text(_UPSERTS["account_snapshot"]), {"run_id": run_id})
        upserted = time.perf_counter()
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "staging_seconds": staged - begun,
        "upsert_seconds": upserted - staged,
        "commit_seconds": done - upserted,
    }


def plain_copy(engine: Engine, table: str, frame: pd.DataFrame) -> dict[str, float]:
    """Render ``frame`` to CSV with pyarrow and ``COPY`` it into ``table``, one transaction."""
    started = time.perf_counter()
    buffer = io.BytesIO()
    pacsv.write_csv(
        pa.Table.from_pandas(frame, preserve_index=False),
        buffer,
        write_options=pacsv.WriteOptions(include_header=False),
    )
    rendered = time.perf_counter()
    columns = ", ".join(frame.columns)
    with engine.begin() as conn:
        with conn.connection.dbapi_connection.cursor() as cursor:
            with cursor.copy(f"copy {table} ({columns}) from stdin with (format csv)") as copy:
                copy.write(buffer.getbuffer())
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "render_seconds": rendered - started,
        "copy_seconds": done - rendered,
        "csv_bytes": buffer.getbuffer().nbytes,
    }


def pandas_to_sql(engine: Engine, frame: pd.DataFrame) -> dict[str, float]:
    """``DataFrame.to_sql`` with pandas' defaults (method=None, chunksize=None)."""
    started = time.perf_counter()
    frame.to_sql(TO_SQL_TABLE, engine, schema=TO_SQL_SCHEMA, if_exists="append", index=False)
    return {"seconds": time.perf_counter() - started}


# -- the measurement ----------------------------------------------------------------------


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "truncate staging.account_snapshot, core.account_snapshot, core.platform_user, "
            f"core.loaded_day, {COPY_TABLE}, {TO_SQL_SCHEMA}.{TO_SQL_TABLE}"
        )
    _checkpoint(engine)


def _checkpoint(engine: Engine) -> bool:
    """Flush dirty pages so one method's writes are not paid by the next (superuser only)."""
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("checkpoint")
        return True
    except sa.exc.DBAPIError:
        return False


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()


def _median(rounds: list[dict[str, float]]) -> dict[str, float]:
    middle = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    return {
        key: int(value) if isinstance(rounds[0][key], int) else round(value, 4)
        for key, value in middle.items()
    }


def measure_load(
    server_url: str, rows: int, repeats: int = 1, warmup_rows: int = 1000, seed: int = 0
) -> dict[str, Result]:
    """Run the three loads ``repeats`` times on ``rows`` rows in a scratch database of
    ``server_url``; returns ``load_vs_copy`` and ``to_sql_vs_load`` (medians of the rounds)."""
    frame = account_day_rows(rows, seed=seed)
    warm = account_day_rows(min(warmup_rows, rows), WARMUP_RUN_ID, seed=seed + 1)
    with (
        tempfile.TemporaryDirectory(prefix="sm-bench-load-") as folder,
        scratch_database(server_url) as url,
    ):
        ours, warm_ours = OurLoad(frame, Path(folder)), OurLoad(warm, Path(folder))
        engine = warehouse_engine(url)
        try:
            apply_migrations(engine)
            with engine.begin() as conn:
                for schema in ("bench_copy", TO_SQL_SCHEMA):
                    conn.exec_driver_sql(f"create schema {schema}")
                conn.exec_driver_sql(f"create table {COPY_TABLE} (like staging.account_snapshot)")
                conn.exec_driver_sql(
                    f"create table {TO_SQL_SCHEMA}.{TO_SQL_TABLE} (like staging.account_snapshot)"
                )
            settings = server_settings(engine)
            warmup = {
                "rows": len(warm),
                "copy_seconds": round(plain_copy(engine, COPY_TABLE, warm)["seconds"], 4),
                "load_seconds": round(warm_ours(engine)["seconds"], 4),
                "to_sql_seconds": round(pandas_to_sql(engine, warm)["seconds"], 4),
                "excluded": True,
            }
            copies, loads, reruns, to_sqls, pieces, checkpoints = [], [], [], [], [], []
            for _ in range(repeats):
                _reset(engine)
                copies.append(plain_copy(engine, COPY_TABLE, frame))
                checkpoints.append(_checkpoint(engine))
                loads.append(ours(engine))
                checkpoints.append(_checkpoint(engine))
                reruns.append(ours(engine))
                checkpoints.append(_checkpoint(engine))
                to_sqls.append(pandas_to_sql(engine, frame))
            counts = {
                "copy": _count(engine, COPY_TABLE),
                "staging": _count(engine, "staging.account_snapshot"),
                "core": _count(engine, "core.account_snapshot"),
                "to_sql": _count(engine, f"{TO_SQL_SCHEMA}.{TO_SQL_TABLE}"),
            }
            for _ in range(repeats):
                _reset(engine)
                pieces.append(load_pieces(engine, frame))
        finally:
            engine.dispose()
    if set(counts.values()) != {len(frame)}:
        raise RuntimeError(f"the loads did not all write {len(frame)} rows: {counts}")
    copy, load, rerun, to_sql, piece = (
        _median(x) for x in (copies, loads, reruns, to_sqls, pieces)
    )
    shape = {
        "rows": len(frame),
        "accounts": int(frame["account_key"].nunique()),
        "days": int(frame["snapshot_date"].nunique()),
        "columns": list(frame.columns),
    }
    common = {"repeats": repeats, "warmup": warmup, "checkpoint_between": all(checkpoints)}
    return {
        "load_vs_copy": result(
            "load_vs_copy",
            round(load["seconds"] / copy["seconds"], 3),
            {
                **shape,
                "load": {**load, "how": "load_run, one batch of account snapshots"},
                "copy": copy,
                "copy_target": f"{COPY_TABLE}: like staging.account_snapshot, no index",
                "load_vs_copy_without_csv_rendering": round(
                    load["seconds"] / copy["copy_seconds"], 3
                ),
                "rerun": rerun,
                "rerun_vs_copy": round(rerun["seconds"] / copy["seconds"], 3),
                "breakdown": {
                    **piece,
                    "how": "separate round: _replace into staging + the account_snapshot "
                    "upsert, timed apart (no platform_user upsert, registry or ops)",
                },
                "load_rows_per_second": round(len(frame) / load["seconds"]),
                "copy_rows_per_second": round(len(frame) / copy["seconds"]),
                "rows_written_each": counts,
                "server": settings,
                **common,
            },
        ),
        "to_sql_vs_load": result(
            "to_sql_vs_load",
            round(to_sql["seconds"] / load["seconds"], 3),
            {
                **shape,
                "to_sql": {**to_sql, "method": None, "chunksize": None},
                "load": load,
                "to_sql_rows_per_second": round(len(frame) / to_sql["seconds"]),
                "to_sql_target": f"{TO_SQL_SCHEMA}.{TO_SQL_TABLE}: like staging.account_snapshot",
                **common,
            },
        ),
    }
