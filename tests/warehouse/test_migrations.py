"""Migrations create the schemas of SPEC §6 once, on both warehouses."""

import sqlalchemy as sa

from socialmetrics.warehouse.migrations import apply_migrations


def test_migrations_create_every_schema(warehouse):
    with warehouse.connect() as conn:
        names = set(conn.scalars(sa.text("select schema_name from information_schema.schemata")))
    assert {"raw", "staging", "quarantine", "core", "marts", "ops"} <= names


def test_migrations_apply_once(warehouse):
    assert apply_migrations(warehouse) == []
