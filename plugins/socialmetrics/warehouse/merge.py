"""Idempotent writes of a run's rows into core tables, by key, through each engine's fast path.

Two ways to write a key's rows again:

- ``upsert``: one row per key; a key already in core has its other columns updated (only
  where a value changed, so a rerun rewrites nothing), a new key is inserted;
- ``replace``: the key names a group (an account's follower sample of one day); every core
  row of each incoming group is deleted, then the incoming rows are inserted.

On PostgreSQL, when no incoming key can already be in core (checked with one index probe per
account, see ``MergeTarget.range_column``), the rows go straight into the core table with a
binary ``COPY``: a day's first load, a backfill. Otherwise they are copied into the table's
``staging`` twin (an UNLOGGED table, empty outside a load's transaction) and merged from
there with SQL. DuckDB merges from the Arrow table in place with the same SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from socialmetrics.warehouse.bulk import append_arrow, registered_arrow


@dataclass(frozen=True)
class MergeTarget:
    """A core table and how a run's rows are written into it.

    ``columns`` are written; ``key`` is the upsert's conflict target or the replaced group
    (``account_key`` first); ``update`` the columns an upsert overwrites (default: every
    non-key column); ``range_column`` a key column of a type whose order is the same in
    Python and in the database (dates): the check for rows that may conflict looks only
    between its smallest and largest incoming value. ``newer``, for an upsert: count
    columns that say which of two rows is the later (compared in turn, null lowest); a row
    already in core is then overwritten only by an incoming row that is greater.
    """

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    mode: str = "upsert"
    update: tuple[str, ...] | None = None
    range_column: str | None = None
    newer: tuple[str, ...] = ()

    def __post_init__(self):
        if self.mode not in ("upsert", "replace"):
            raise ValueError(f"{self.table}: mode is upsert or replace, not {self.mode!r}")
        if self.key[0] != "account_key":
            raise ValueError(f"{self.table}: the key starts with account_key")

    @property
    def staging_table(self) -> str:
        return "staging." + self.table.split(".", 1)[1]

    @property
    def updated(self) -> tuple[str, ...]:
        if self.update is not None:
            return self.update
        return tuple(c for c in self.columns if c not in self.key)


def merge_rows(conn: Connection, target: MergeTarget, data: pa.Table) -> int:
    """Write ``data`` (at least ``target.columns``) into ``target.table`` in ``conn``'s
    transaction, so that writing the same rows again changes nothing. Returns the rows given.
    """
    if data.num_rows == 0:
        return 0
    data = data.select(list(target.columns))
    if conn.dialect.name == "duckdb":
        with registered_arrow(conn, data) as view:
            _merge_from(conn, target, view)
    elif not _may_conflict(conn, target, data):
        append_arrow(conn, target.table, data)
    else:
        # The twin is empty here: each use ends by emptying it, in the same transaction
        # (truncate is transactional in PostgreSQL), and a crash resets UNLOGGED tables.
        append_arrow(conn, target.staging_table, data)
        _merge_from(conn, target, target.staging_table)
        conn.exec_driver_sql(f"truncate {target.staging_table}")
    return data.num_rows


def _may_conflict(conn: Connection, target: MergeTarget, data: pa.Table) -> bool:
    accounts = pc.unique(data["account_key"]).to_pylist()
    condition, params = "account_key = any(:accounts)", {"accounts": accounts}
    if target.range_column:
        bounds = pc.min_max(data[target.range_column]).as_py()
        condition += f" and {target.range_column} between :low and :high"
        params.update(low=bounds["min"], high=bounds["max"])
    statement = f"select exists (select 1 from {target.table} where {condition})"
    return bool(conn.execute(sa.text(statement), params).scalar_one())


def _merge_from(conn: Connection, target: MergeTarget, source: str) -> None:
    columns = ", ".join(target.columns)
    insert = f"insert into {target.table} ({columns}) select {columns} from {source}"
    if target.mode == "replace":
        matches = " and ".join(f"s.{k} = {target.table}.{k}" for k in target.key)
        conn.exec_driver_sql(
            f"delete from {target.table} where exists (select 1 from {source} as s where {matches})"
        )
        conn.exec_driver_sql(insert)
        return
    updated = target.updated
    assignments = ", ".join(f"{c} = excluded.{c}" for c in updated)
    current = ", ".join(f"{target.table}.{c}" for c in updated)
    incoming = ", ".join(f"excluded.{c}" for c in updated)
    condition = f"({current}) is distinct from ({incoming})"
    if target.newer:
        condition += f" and {_greater(target.newer, 'excluded', target.table)}"
    conn.exec_driver_sql(
        f"{insert} on conflict ({', '.join(target.key)}) do update set {assignments} "
        f"where {condition}"
    )


def _greater(columns: tuple[str, ...], left: str, right: str) -> str:
    """SQL: the counts ``columns`` of ``left`` are greater than those of ``right``, compared
    in turn with null lowest (the order of ``platforms.csv_export.layouts.frames``)."""
    first, rest = columns[0], columns[1:]
    mine, theirs = f"coalesce({left}.{first}, -1)", f"coalesce({right}.{first}, -1)"
    if not rest:
        return f"{mine} > {theirs}"
    return f"({mine} > {theirs} or ({mine} = {theirs} and {_greater(rest, left, right)}))"
