"""``load_vs_copy`` and ``to_sql_vs_load``: our PostgreSQL load against a plain ``COPY`` and
against ``pandas.DataFrame.to_sql``, on the same account-day rows, in the same run.

*Our load* is ``load_run`` itself, given one validated batch whose account_snapshot Parquet
holds the rows (the other entities, the landing and the quarantine empty; a 60-account
registry): in one transaction it writes the registry tables, the accounts' latest
attributes into ``core.platform_user`` and the account-days into ``core.account_snapshot``
(``merge_rows``: straight in with a binary ``COPY`` when none of the keys can be there yet,
else through ``staging`` with an upsert), then ``ops``. The first load is the daily case;
the rerun of the same run, where every row is already there, is in the detail.

*Plain COPY*: the same rows, as the load receives them (the validated columns), sent with
one binary ``COPY ... FROM STDIN`` (encoded by pgpq) into an empty table with those columns
and the key ``core.account_snapshot`` has, in one transaction: what it costs at least to put
these rows into a table that can tell whether a row is there already, which an idempotent
load needs. Two bare baselines into a table without any index are in the detail: binary
COPY (the physical limit) and CSV rendered by pyarrow (what a typical loader sends). The
key's index costs most of the difference between the two COPYs into an empty table.

*to_sql*: ``frame.to_sql(..., if_exists="append", index=False)`` with pandas' defaults
(``method=None``, ``chunksize=None``) into an empty table with the same columns.

Each round starts from empty tables after a ``CHECKPOINT`` (when permitted); one excluded
warm-up of each method on a few rows comes first.
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

from bench import Result, result
from bench.postgres import scratch_database, server_settings
from sandbox.scenario import national_scenario
from socialmetrics.load import CORE_TARGETS, load_run
from socialmetrics.registry import load_registry
from socialmetrics.rows import SNAPSHOT_COLUMNS
from socialmetrics.settings import Settings
from socialmetrics.validation.validate import REJECTED_COLUMNS
from socialmetrics.warehouse.bulk import append_arrow
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.migrations import apply_migrations
from socialmetrics.window import RunWindow

RUN_ID = "bench__load"
WARMUP_RUN_ID = "bench__warmup"
DAYS = 365
FIRST_DAY = date(2025, 11, 1)
# The validated account_snapshot columns, as load_run reads them from Parquet.
COLUMNS = [c for c in SNAPSHOT_COLUMNS if c != "_record"]
COPY_TABLES = {
    "csv": "bench_copy.account_snapshot_csv",
    "binary": "bench_copy.account_snapshot_binary",
    "keyed": "bench_copy.account_snapshot_keyed",
}
COLUMN_TYPES = {
    "account_key": "text",
    "snapshot_date": "date",
    "platform_user_id": "text",
    "username": "text",
    "created_at": "timestamp",
    "profile_location": "text",
    "followers_count": "bigint",
    "following_count": "bigint",
    "post_count": "bigint",
    "listed_count": "bigint",
}
TO_SQL_SCHEMA, TO_SQL_TABLE = "bench_to_sql", "account_snapshot"
PLACES = np.array(["Norwich", "Great Yarmouth", "King's Lynn", "Thetford, Norfolk", "UK"])


def account_day_rows(rows: int, days: int = DAYS, seed: int = 0) -> pd.DataFrame:
    """``rows`` validated account_snapshot rows: ceil(rows / days) accounts x ``days`` days
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
            "username": [f"bench{a:07d}" for a in account],
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
    return pd.read_parquet(io.BytesIO(buffer.getvalue()))


# -- the three ways in --------------------------------------------------------------------


class OurLoad:
    """``load_run`` of one validated batch holding ``frame``'s rows as account snapshots."""

    def __init__(self, frame: pd.DataFrame, run_id: str, folder: Path, registry_accounts: int = 60):
        self.rows = len(frame)
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
        frame.to_parquet(files / "x-00.account_snapshot.parquet")
        pd.DataFrame(columns=REJECTED_COLUMNS).to_parquet(files / "x-00.rejected.parquet")
        self.batch = {
            "batch": "x-00",
            "connector": "x",
            "source": "api",
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


def plain_copy(engine: Engine, table: str, frame: pd.DataFrame, binary: bool) -> dict[str, float]:
    """``COPY`` every row of ``frame`` into ``table`` in one transaction: CSV rendered by
    pyarrow, or the binary format encoded by pgpq (``warehouse.bulk.append_arrow``)."""
    started = time.perf_counter()
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    if binary:
        with engine.begin() as conn:
            append_arrow(conn, table, arrow)
        return {"seconds": time.perf_counter() - started}
    buffer = io.BytesIO()
    pacsv.write_csv(arrow, buffer, write_options=pacsv.WriteOptions(include_header=False))
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
            "truncate core.account_snapshot, core.platform_user, core.loaded_day, "
            f"{', '.join(COPY_TABLES.values())}, {TO_SQL_SCHEMA}.{TO_SQL_TABLE}"
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


def _create_tables(engine: Engine) -> None:
    columns = ", ".join(f"{name} {COLUMN_TYPES[name]}" for name in COLUMNS)
    key = ", ".join(CORE_TARGETS["account_snapshot"].key)
    with engine.begin() as conn:
        for schema in ("bench_copy", TO_SQL_SCHEMA):
            conn.exec_driver_sql(f"create schema {schema}")
        conn.exec_driver_sql(f"create table {COPY_TABLES['csv']} ({columns})")
        conn.exec_driver_sql(f"create table {COPY_TABLES['binary']} ({columns})")
        conn.exec_driver_sql(
            f"create table {COPY_TABLES['keyed']} ({columns}, primary key ({key}))"
        )
        conn.exec_driver_sql(f"create table {TO_SQL_SCHEMA}.{TO_SQL_TABLE} ({columns})")


def measure_load(
    server_url: str, rows: int, repeats: int = 1, warmup_rows: int = 1000, seed: int = 0
) -> dict[str, Result]:
    """Run the loads ``repeats`` times on ``rows`` rows in a scratch database of
    ``server_url``; returns ``load_vs_copy`` and ``to_sql_vs_load`` (medians of the rounds)."""
    frame = account_day_rows(rows, seed=seed)
    warm = account_day_rows(min(warmup_rows, rows), seed=seed + 1)
    with (
        tempfile.TemporaryDirectory(prefix="sm-bench-load-") as folder,
        scratch_database(server_url) as url,
    ):
        ours = OurLoad(frame, RUN_ID, Path(folder))
        warm_ours = OurLoad(warm, WARMUP_RUN_ID, Path(folder))
        engine = warehouse_engine(url)
        try:
            apply_migrations(engine)
            _create_tables(engine)
            settings = server_settings(engine)
            warmup = {
                "rows": len(warm),
                **{
                    f"copy_{way}_seconds": round(
                        plain_copy(engine, table, warm, binary=way != "csv")["seconds"], 4
                    )
                    for way, table in COPY_TABLES.items()
                },
                "load_seconds": round(warm_ours(engine)["seconds"], 4),
                "to_sql_seconds": round(pandas_to_sql(engine, warm)["seconds"], 4),
                "excluded": True,
            }
            rounds: dict[str, list] = {k: [] for k in (*COPY_TABLES, "load", "rerun", "to_sql")}
            checkpoints = []
            for _ in range(repeats):
                _reset(engine)
                for way, table in COPY_TABLES.items():
                    rounds[way].append(plain_copy(engine, table, frame, binary=way != "csv"))
                    checkpoints.append(_checkpoint(engine))
                rounds["load"].append(ours(engine))
                checkpoints.append(_checkpoint(engine))
                rounds["rerun"].append(ours(engine))
                checkpoints.append(_checkpoint(engine))
                rounds["to_sql"].append(pandas_to_sql(engine, frame))
            counts = {
                **{f"copy_{k}": _count(engine, table) for k, table in COPY_TABLES.items()},
                "core": _count(engine, "core.account_snapshot"),
                "to_sql": _count(engine, f"{TO_SQL_SCHEMA}.{TO_SQL_TABLE}"),
            }
        finally:
            engine.dispose()
    if set(counts.values()) != {len(frame)}:
        raise RuntimeError(f"the loads did not all write {len(frame)} rows: {counts}")
    median = {way: _median(timings) for way, timings in rounds.items()}
    load, copy = median["load"], median["keyed"]
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
                "copy": {
                    **copy,
                    "how": "binary COPY into an empty table with the rows' columns and the "
                    "key of core.account_snapshot",
                },
                "copy_without_key": {
                    "binary": median["binary"],
                    "csv": median["csv"],
                    "how": "the same rows into an empty table without any index: the bare "
                    "physical limit, and the CSV rendered by pyarrow a typical loader sends",
                    "load_vs_binary": round(load["seconds"] / median["binary"]["seconds"], 3),
                    "load_vs_csv": round(load["seconds"] / median["csv"]["seconds"], 3),
                },
                "rerun": {**median["rerun"], "how": "the same run again: every key in core"},
                "rerun_vs_copy": round(median["rerun"]["seconds"] / copy["seconds"], 3),
                "load_rows_per_second": round(len(frame) / load["seconds"]),
                "copy_rows_per_second": round(len(frame) / copy["seconds"]),
                "rows_written_each": counts,
                "server": settings,
                **common,
            },
        ),
        "to_sql_vs_load": result(
            "to_sql_vs_load",
            round(median["to_sql"]["seconds"] / load["seconds"], 3),
            {
                **shape,
                "to_sql": {**median["to_sql"], "method": None, "chunksize": None},
                "load": load,
                "to_sql_rows_per_second": round(len(frame) / median["to_sql"]["seconds"]),
                "to_sql_target": f"{TO_SQL_SCHEMA}.{TO_SQL_TABLE}: the validated columns",
                **common,
            },
        ),
    }
