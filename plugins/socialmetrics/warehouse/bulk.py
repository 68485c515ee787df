"""Bulk loads through each engine's fast path: COPY for PostgreSQL, Arrow scans for DuckDB."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy.engine import Connection


def append_dataframe(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Append every row of ``frame`` to ``table`` (columns by name) inside ``conn``'s transaction.

    PostgreSQL gets one ``COPY ... FROM STDIN`` in CSV; DuckDB scans the Arrow table in place.
    Returns the number of rows written.
    """
    if frame.empty:
        return 0
    columns = list(frame.columns)
    column_list = ", ".join(columns)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "duckdb":
        view = "_socialmetrics_bulk"
        dbapi.register(view, arrow)
        try:
            conn.exec_driver_sql(
                f"insert into {table} ({column_list}) select {column_list} from {view}"
            )
        finally:
            dbapi.unregister(view)
        return len(frame)
    buffer = io.BytesIO()
    # Quoting every valid value keeps '' (empty string) apart from an unquoted NULL.
    pacsv.write_csv(
        _timestamps_as_microseconds(arrow),
        buffer,
        write_options=pacsv.WriteOptions(include_header=False, quoting_style="all_valid"),
    )
    with dbapi.cursor() as cursor:
        with cursor.copy(f"copy {table} ({column_list}) from stdin with (format csv)") as copy:
            copy.write(buffer.getbuffer())
    return len(frame)


def _timestamps_as_microseconds(table: pa.Table) -> pa.Table:
    fields = []
    for field in table.schema:
        if pa.types.is_timestamp(field.type):
            fields.append(pa.field(field.name, pa.timestamp("us")))
        else:
            fields.append(field)
    return table.cast(pa.schema(fields))
