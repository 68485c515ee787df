"""Bulk loads through each engine's fast path: binary COPY (PostgreSQL), Arrow scans (DuckDB)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from pgpq import ArrowToPostgresBinaryEncoder
from sqlalchemy.engine import Connection

# PostgreSQL's binary COPY format carries each value at its column's exact width, so the
# Arrow columns are cast to the target's types first (an int64 cannot go into an integer).
_ARROW_TYPE = {
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "text": pa.string(),
    "date": pa.date32(),
    "timestamp without time zone": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "boolean": pa.bool_(),
    "double precision": pa.float64(),
    "real": pa.float32(),
}
_COPY_CHUNK_ROWS = 65_536
ARROW_VIEW = "_socialmetrics_bulk"


def append_dataframe(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Append every row of ``frame`` to ``table`` (columns by name); see ``append_arrow``."""
    if frame.empty:
        return 0
    return append_arrow(conn, table, pa.Table.from_pandas(frame, preserve_index=False))


def append_arrow(conn: Connection, table: str, data: pa.Table) -> int:
    """Append every row of ``data`` to ``table`` (columns by name) inside ``conn``'s transaction.

    PostgreSQL gets one ``COPY ... FROM STDIN (FORMAT binary)``, encoded from Arrow in chunks;
    DuckDB scans the Arrow table in place. Returns the number of rows written. Raises
    ``ValueError`` naming the column when a column is missing from ``table`` or its type
    cannot be sent.
    """
    if data.num_rows == 0:
        return 0
    column_list = ", ".join(data.column_names)
    if conn.dialect.name == "duckdb":
        with registered_arrow(conn, data) as view:
            conn.exec_driver_sql(
                f"insert into {table} ({column_list}) select {column_list} from {view}"
            )
        return data.num_rows
    data = _cast_to_columns(data, table, column_types(conn, table))
    encoder = ArrowToPostgresBinaryEncoder(data.schema)
    with conn.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f"copy {table} ({column_list}) from stdin with (format binary)") as copy:
            copy.write(encoder.write_header())
            for chunk in data.to_batches(max_chunksize=_COPY_CHUNK_ROWS):
                copy.write(encoder.write_batch(chunk))
            copy.write(encoder.finish())
    return data.num_rows


@contextmanager
def registered_arrow(conn: Connection, data: pa.Table, name: str = ARROW_VIEW) -> Iterator[str]:
    """``with registered_arrow(conn, data) as view``: ``data`` readable as ``view`` (DuckDB)."""
    dbapi = conn.connection.dbapi_connection
    dbapi.register(name, data)
    try:
        yield name
    except BaseException:
        # An aborted DuckDB transaction refuses even unregister; keep the first error.
        with suppress(duckdb.Error):
            dbapi.unregister(name)
        raise
    dbapi.unregister(name)


def column_types(conn: Connection, table: str) -> dict[str, str]:
    """``{column: type}`` of a PostgreSQL table (``format_type`` names), temp tables included."""
    rows = conn.execute(
        sa.text(
            "select attname, format_type(atttypid, atttypmod) from pg_catalog.pg_attribute "
            "where attrelid = cast(:table as regclass) and attnum > 0 and not attisdropped"
        ),
        {"table": table},
    )
    return dict(rows.all())


def _cast_to_columns(data: pa.Table, table: str, types: dict[str, str]) -> pa.Table:
    fields = []
    for field in data.schema:
        if field.name not in types:
            raise ValueError(f"{table} has no column {field.name!r}")
        target = _ARROW_TYPE.get(types[field.name])
        if target is None:
            raise ValueError(
                f"{table}.{field.name} is {types[field.name]}, which the bulk load cannot send"
            )
        fields.append(pa.field(field.name, target))
    schema = pa.schema(fields)
    return data if data.schema.equals(schema) else data.cast(schema)
