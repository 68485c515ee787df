"""Publishing a build: every mart of the new release or none, a failing model or test keeps the
published marts, and a view a user made over a mart survives the daily build."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from socialmetrics.transform.build import StatOptions, build_marts
from socialmetrics.transform.dbt_run import ModelBuildError, build_models
from socialmetrics.transform.publish import (
    PublishError,
    next_release_schema,
    publish_release,
)
from socialmetrics.warehouse.stat_marts import build_stat_marts
from tests.warehouse.core_rows import (
    AS_OF,
    add_loaded_days,
    add_post,
    add_small_organisation,
    fetch,
)

FAST = StatOptions(n_resamples=99)
NEXT_DAY = AS_OF + timedelta(days=1)
AS_OF_OF_EACH_MART = (
    "select (select max(day) from marts.account_activity) as activity, "
    "(select max(day) from marts.engagement_daily) as engagement, "
    "(select max(as_of) from marts.dormant_accounts) as dormant, "
    "(select max(period_end) from marts.accounts_vs_engagement) as national"
)


def _as_of_of_each_mart(engine) -> set:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(AS_OF_OF_EACH_MART)).one())


def _load_next_day(engine) -> None:
    with engine.begin() as conn:
        add_loaded_days(conn, NEXT_DAY)
        add_post(conn, "x:busy", NEXT_DAY, likes=4)


def test_the_builds_alternate_between_the_two_release_schemas(warehouse):
    add_small_organisation(warehouse)
    assert next_release_schema(warehouse) == "marts_blue"
    build_marts(warehouse, FAST)
    assert next_release_schema(warehouse) == "marts_green"
    build_marts(warehouse, FAST)
    assert next_release_schema(warehouse) == "marts_blue"
    releases = fetch(warehouse, "select release_schema from ops.marts_release order by 1")
    assert [row["release_schema"] for row in releases] == ["marts_blue", "marts_green"]


def test_marts_are_views_of_the_published_release_with_the_contract_columns(warehouse):
    add_small_organisation(warehouse)
    build_marts(warehouse, FAST)
    with warehouse.connect() as conn:
        kinds = conn.execute(
            sa.text(
                "select table_name, table_type from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            )
        ).all()
    assert {kind for _, kind in kinds} == {"VIEW"}
    assert len(kinds) == 8


def test_a_failing_model_keeps_every_published_mart(warehouse):
    add_small_organisation(warehouse)
    build_marts(warehouse, FAST)
    published = _as_of_of_each_mart(warehouse)
    _load_next_day(warehouse)
    with warehouse.begin() as conn:
        # Engagement can never be negative: int_post_daily's contract refuses the row.
        add_post(conn, "x:quiet", NEXT_DAY, likes=-5)
    with pytest.raises(ModelBuildError, match=r"int_post_daily.*transform/models"):
        build_marts(warehouse, FAST)
    assert _as_of_of_each_mart(warehouse) == published == {AS_OF}
    assert next_release_schema(warehouse) == "marts_green"  # the failed one is rebuilt next


def test_a_release_missing_a_mart_is_not_published(warehouse):
    add_small_organisation(warehouse)
    build_marts(warehouse, FAST)
    _load_next_day(warehouse)
    build_models(warehouse, "marts_green")  # the statistical marts were never written
    with pytest.raises(PublishError, match="lacks consolidation_impact"):
        publish_release(warehouse, "marts_green")
    assert _as_of_of_each_mart(warehouse) == {AS_OF}


def test_a_view_a_user_made_over_a_mart_keeps_working_after_the_build(warehouse):
    add_small_organisation(warehouse)
    build_marts(warehouse, FAST)
    with warehouse.begin() as conn:
        conn.exec_driver_sql("create schema if not exists reporting")
        conn.exec_driver_sql(
            "create view reporting.quiet_accounts as "
            "select account_key, as_of from marts.dormant_accounts"
        )
    _load_next_day(warehouse)
    build_marts(warehouse, FAST)
    rows = fetch(warehouse, "select account_key, as_of from reporting.quiet_accounts")
    assert rows == [{"account_key": "x:quiet", "as_of": NEXT_DAY}]


@pytest.mark.postgres
def test_a_change_a_users_view_cannot_follow_fails_naming_it_and_changes_nothing(postgres_url):
    from socialmetrics.warehouse.engine import warehouse_engine
    from socialmetrics.warehouse.migrations import apply_migrations

    engine = warehouse_engine(postgres_url)
    apply_migrations(engine)
    add_small_organisation(engine)
    build_marts(engine, FAST)
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema reporting")
        conn.exec_driver_sql(
            "create view reporting.names as select account_key, display_name "
            "from marts.dormant_accounts"
        )
    _load_next_day(engine)
    build_models(engine, "marts_green")
    build_stat_marts(engine, "marts_green", n_resamples=99)
    with engine.begin() as conn:  # as if the model now gave display_name another type
        conn.exec_driver_sql(
            "alter table marts_green.dormant_accounts alter column display_name type varchar(200)"
        )
    with pytest.raises(PublishError, match=r"marts\.dormant_accounts.*reporting\.names"):
        publish_release(engine, "marts_green")
    assert _as_of_of_each_mart(engine) == {AS_OF}
    with engine.begin() as conn:
        conn.exec_driver_sql("drop view reporting.names")
    publish_release(engine, "marts_green")  # with no view in the way, the type changes
    assert _as_of_of_each_mart(engine) == {NEXT_DAY}
    engine.dispose()


@pytest.mark.postgres
def test_a_reader_in_another_connection_never_sees_two_releases_at_once(postgres_url):
    from socialmetrics.warehouse.engine import warehouse_engine
    from socialmetrics.warehouse.migrations import apply_migrations

    engine = warehouse_engine(postgres_url)
    apply_migrations(engine)
    add_small_organisation(engine)
    build_marts(engine, FAST)
    _load_next_day(engine)
    seen: list[set] = []
    done = threading.Event()

    def read_while_building():
        reader = sa.create_engine(
            sa.make_url(postgres_url).set(drivername="postgresql+psycopg"),
            poolclass=sa.pool.NullPool,
        )
        with reader.connect() as conn:
            while not done.is_set():
                seen.append(set(conn.execute(sa.text(AS_OF_OF_EACH_MART)).one()))
                conn.rollback()
        reader.dispose()

    reading = threading.Thread(target=read_while_building)
    reading.start()
    try:
        build_marts(engine, FAST)
    finally:
        done.set()
        reading.join()
    assert seen[0] == {AS_OF}
    assert all(len(release) == 1 for release in seen), [s for s in seen if len(s) > 1]
    assert _as_of_of_each_mart(engine) == {NEXT_DAY}
    engine.dispose()
