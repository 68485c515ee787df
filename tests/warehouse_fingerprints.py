"""Fingerprints of warehouse tables, to tell whether a run changed anything."""

import hashlib

import sqlalchemy as sa


def table_fingerprints(engine, schemas=("core", "marts")) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of the sorted rows of every table and view in ``schemas``
    (the marts are views of the published release)."""
    fingerprints = {}
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "select table_schema, table_name from information_schema.tables "
                "where table_type in ('BASE TABLE', 'VIEW') order by 1, 2"
            )
        ).all()
        for schema, table in tables:
            if schema not in schemas:
                continue
            result = conn.execute(sa.text(f'select * from {schema}."{table}"'))
            rows = sorted(repr(tuple(row)) for row in result)
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            fingerprints[f"{schema}.{table}"] = (len(rows), digest)
    return fingerprints
