"""Publish a release: point every view of ``marts`` at the release schema just built, at once.

Each build writes the marts into one of two release schemas (``marts_blue``, ``marts_green``):
the one ``marts`` does not show. Publishing replaces each ``marts.<name>`` view in one
transaction, so a reader sees every mart of the old release or every mart of the new one,
never a mix; a build whose models or tests fail is never published, and the marts stay as
they were. A view a user created over ``marts.<name>`` keeps working: the view it reads is
replaced, not dropped. When a mart loses or changes a column such a view needs, publishing
fails naming the view, and nothing changes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.errors import SocialMetricsError
from socialmetrics.transform.marts import Mart, declared_marts

log = logging.getLogger(__name__)

PUBLIC_SCHEMA = "marts"
RELEASE_SCHEMAS = ("marts_blue", "marts_green")


class PublishError(SocialMetricsError):
    """The release could not be published; the marts are unchanged."""


def published_schema(conn: Connection) -> str | None:
    """The release schema ``marts`` shows now; None before the first publish."""
    return conn.execute(
        sa.text("select release_schema from ops.marts_release order by published_at desc limit 1")
    ).scalar()


def next_release_schema(engine: Engine) -> str:
    """The release schema the next build writes: the one ``marts`` does not show."""
    with engine.connect() as conn:
        current = published_schema(conn)
    return RELEASE_SCHEMAS[1] if current == RELEASE_SCHEMAS[0] else RELEASE_SCHEMAS[0]


def publish_release(engine: Engine, release: str, *, run_id: str | None = None) -> dict[str, int]:
    """Point every declared mart's view in ``marts`` at ``release``; return rows per mart.

    Raises PublishError, leaving ``marts`` as it was, when a declared mart is missing from
    the release or a user's view cannot survive the change.
    """
    if release not in RELEASE_SCHEMAS:
        raise ValueError(f"release must be one of {RELEASE_SCHEMAS}, got {release!r}")
    marts = declared_marts()
    with engine.connect() as conn:
        _publish_all(conn, release, marts, run_id)
        counts = {
            f"{PUBLIC_SCHEMA}.{m.name}": conn.exec_driver_sql(
                f"select count(*) from {PUBLIC_SCHEMA}.{m.name}"
            ).scalar_one()
            for m in marts
        }
    log.info("published %s as %s: %d marts", release, PUBLIC_SCHEMA, len(marts))
    return counts


def _publish_all(
    conn: Connection, release: str, marts: tuple[Mart, ...], run_id: str | None
) -> None:
    """One transaction: every view replaced and the release recorded, or nothing."""
    current = None
    try:
        with conn.begin():
            missing = [m.name for m in marts if not _relation_kind(conn, release, m.name)]
            if missing:
                raise PublishError(
                    f"The release {release} lacks {', '.join(missing)}: the build did not "
                    "finish, so nothing was published. Rerun the build_marts tasks."
                )
            for current in marts:
                _publish_one(conn, release, current)
            _record_release(conn, release, len(marts), run_id)
    except sa.exc.DBAPIError as exc:
        if current is None:
            raise
        raise _cannot_replace(conn, current.name, exc) from None


def _record_release(conn: Connection, release: str, marts: int, run_id: str | None) -> None:
    conn.execute(
        sa.text(
            "insert into ops.marts_release (release_schema, published_at, run_id, marts) "
            "values (:release, :at, :run_id, :marts)"
        ),
        {
            "release": release,
            "at": datetime.now(UTC).replace(tzinfo=None),
            "run_id": run_id,
            "marts": marts,
        },
    )


def _publish_one(conn: Connection, release: str, declared: Mart) -> None:
    view = f"{PUBLIC_SCHEMA}.{declared.name}"
    if _relation_kind(conn, PUBLIC_SCHEMA, declared.name) == "table":
        # A warehouse from before releases: its marts were tables. Replacing one with a view
        # would drop what depends on it, so a dependent view stops the publish instead.
        _refuse_if_depended_on(conn, declared.name, "is a table from an earlier version")
        conn.exec_driver_sql(f"drop table {view}")
    columns = ", ".join(column.name for column in declared.columns)
    select = f"select {columns} from {release}.{declared.name}"
    if conn.dialect.name != "postgresql":
        # DuckDB binds a view's query when it is read: replacing it never breaks another.
        conn.exec_driver_sql(f"create or replace view {view} as {select}")
    else:
        _replace_postgres_view(conn, view, declared.name, select)
    _comment(conn, view, declared)


def _replace_postgres_view(conn: Connection, view: str, name: str, select: str) -> None:
    """``create or replace view`` keeps the views that read it, but PostgreSQL refuses it when
    a column changes type or goes away; the view is then dropped and created again, unless
    another view reads it, which stops the publish naming that view."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"create or replace view {view} as {select}")
        return
    except sa.exc.DBAPIError as exc:
        if dependent_views(conn, name):
            raise _cannot_replace(conn, name, exc) from None
    conn.exec_driver_sql(f"drop view {view}")
    conn.exec_driver_sql(f"create view {view} as {select}")


def _comment(conn: Connection, view: str, declared: Mart) -> None:
    # COMMENT takes no bound parameters on either engine: the text goes in as a literal.
    comment = (
        f"Grain: {declared.grain}. {declared.description}"
        if declared.grain
        else declared.description
    )
    conn.exec_driver_sql(f"comment on view {view} is {_literal(conn, comment)}")
    for column in declared.columns:
        conn.exec_driver_sql(
            f"comment on column {view}.{column.name} is {_literal(conn, column.description)}"
        )


def _literal(conn: Connection, text: str) -> str:
    quoted = "'" + text.replace("'", "''") + "'"
    # psycopg reads % as the start of a placeholder even in a statement without parameters.
    return (
        quoted.replace("%", "%%") if conn.dialect.paramstyle in ("format", "pyformat") else quoted
    )


def _relation_kind(conn: Connection, schema: str, name: str) -> str | None:
    kind = conn.execute(
        sa.text(
            "select table_type from information_schema.tables "
            "where table_schema = :schema and table_name = :name"
        ),
        {"schema": schema, "name": name},
    ).scalar()
    if kind is None:
        return None
    return "view" if "VIEW" in kind.upper() else "table"


def dependent_views(conn: Connection, name: str) -> list[str]:
    """The views of other schemas that read ``marts.<name>`` (PostgreSQL; DuckDB binds a
    view's query when it is read, so nothing there depends on another relation)."""
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        sa.text(
            "select distinct dependent_ns.nspname || '.' || dependent.relname "
            "from pg_depend d "
            "join pg_rewrite r on r.oid = d.objid "
            "join pg_class dependent on dependent.oid = r.ev_class "
            "join pg_namespace dependent_ns on dependent_ns.oid = dependent.relnamespace "
            "join pg_class source on source.oid = d.refobjid "
            "join pg_namespace source_ns on source_ns.oid = source.relnamespace "
            "where source_ns.nspname = :schema and source.relname = :name "
            "and dependent.oid <> source.oid order by 1"
        ),
        {"schema": PUBLIC_SCHEMA, "name": name},
    ).scalars()
    return list(rows)


def _cannot_replace(conn: Connection, name: str, exc: sa.exc.DBAPIError) -> PublishError:
    """The error of a mart's view the database would not replace, naming the views that
    read it."""
    reason = str(exc.orig).splitlines()[0]
    views = dependent_views(conn, name)
    readers = (
        f"These views read it and need what changed: {', '.join(views)}; change or drop "
        "them, publish, then create them again."
        if views
        else "No other view depends on it."
    )
    return PublishError(
        f"{PUBLIC_SCHEMA}.{name} cannot be replaced by the new release ({reason}). {readers} "
        "Nothing was published; the marts are as they were."
    )


def _refuse_if_depended_on(conn: Connection, name: str, why: str) -> None:
    views = dependent_views(conn, name)
    if views:
        raise PublishError(
            f"{PUBLIC_SCHEMA}.{name} {why} and must become a view, but "
            f"{', '.join(views)} read it. Drop them, publish, then create them again. "
            "Nothing was published; the marts are as they were."
        )
