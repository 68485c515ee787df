"""Reliability (docs/design.md#10-reliability): platform faults survived with identical results,
a bad token fails fast and changes nothing, a killed load leaves nothing half written, reruns
are idempotent and every extracted row is loaded or quarantined. Each test runs on DuckDB and
PostgreSQL."""

import json
import os
import signal
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from harness.dag_run import DagRunFailed, run_window
from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from socialmetrics import pipeline
from socialmetrics.paths import PROJECT_DIR
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.migrations import apply_migrations
from socialmetrics.window import RunWindow
from warehouse_fingerprints import table_fingerprints

ALL_SCHEMAS = ("raw", "staging", "quarantine", "core", "marts", "ops")
TRANSIENT_FAULTS = ("429", "500", "503", "slow", "truncated", "partial", "graph_rate_limit")


def window_for(day: date, label: str = "test") -> RunWindow:
    start = datetime.combine(day, datetime.min.time())
    return RunWindow.of(f"{label}__{day}", start, start + timedelta(days=1))


def drop_everything(engine) -> None:
    with engine.begin() as conn:
        for schema in ALL_SCHEMAS:
            conn.exec_driver_sql(f"drop schema if exists {schema} cascade")


def assert_every_row_accounted_for(engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select run_id, entity, "
                "sum(case when stage = 'extracted' then row_count else 0 end), "
                "sum(case when stage = 'loaded' then row_count else 0 end), "
                "sum(case when stage = 'quarantined' then row_count else 0 end) "
                "from ops.stage_count where entity <> 'api_answer' group by run_id, entity"
            )
        ).all()
    assert rows
    for run_id, entity, extracted, loaded, quarantined in rows:
        assert extracted == loaded + quarantined, (run_id, entity)


def test_twenty_percent_faults_give_the_same_warehouse_as_no_faults(
    warehouse_url, scenario, few_accounts_registry, sandbox, pipeline_env
):
    engine = warehouse_engine(warehouse_url)
    day = scenario.review_date
    pipeline_env(warehouse_url, sandbox.base_url, sandbox.token, few_accounts_registry)
    run_window(window_for(day, "clean"))
    clean = table_fingerprints(engine)
    drop_everything(engine)

    faults = FaultConfig(rate=0.2, kinds=TRANSIENT_FAULTS, seed=7, slow_seconds=1.5)
    with SandboxServer(scenario, token="faulty-token", faults=faults, rate_limit=10**9) as faulty:
        pipeline_env(
            warehouse_url,
            faulty.base_url,
            "faulty-token",
            few_accounts_registry,
            http_timeout_seconds=1.0,
        )
        run_window(window_for(day, "faulty"))
        failed = {key: n for key, n in faulty.status_counts.items() if key[1] != 200}
    assert sum(failed.values()) > 10, "the faulty sandbox should have failed many answers"
    assert any(endpoint.startswith("/2/") for endpoint, _ in failed), failed
    assert any(not endpoint.startswith("/2/") for endpoint, _ in failed), failed
    assert table_fingerprints(engine) == clean
    assert_every_row_accounted_for(engine)
    engine.dispose()


def test_the_same_day_three_times_gives_identical_tables(
    warehouse_url, scenario, few_accounts_registry, sandbox, pipeline_env
):
    engine = warehouse_engine(warehouse_url)
    pipeline_env(warehouse_url, sandbox.base_url, sandbox.token, few_accounts_registry)
    fingerprints = []
    for attempt in range(3):
        run_window(window_for(scenario.review_date, f"run{attempt}"))
        fingerprints.append(table_fingerprints(engine))
    assert fingerprints[0] == fingerprints[1] == fingerprints[2]
    assert_every_row_accounted_for(engine)
    engine.dispose()


def test_bad_token_fails_fast_naming_the_connection_and_loads_nothing_but_its_answers(
    warehouse_url, scenario, few_accounts_registry, sandbox, pipeline_env
):
    engine = warehouse_engine(warehouse_url)
    # Four batches per connector (the default), so that six extracts start and each fails.
    pipeline_env(
        warehouse_url, sandbox.base_url, sandbox.token, few_accounts_registry, extract_batches=4
    )
    run_window(window_for(scenario.review_date))
    untouched = tuple(schema for schema in ALL_SCHEMAS if schema != "raw")
    before = table_fingerprints(engine, untouched)
    pipeline_env(
        warehouse_url, sandbox.base_url, "expired-token", few_accounts_registry, extract_batches=4
    )
    calls_before = sum(sandbox.requests_served.values())
    window = window_for(scenario.review_date + timedelta(days=1))
    with pytest.raises(DagRunFailed) as failure:
        run_window(window)
    # The data engineers' failure notice names the connection and what X answered.
    assert "Airflow connection 'x_api'" in str(failure.value)
    assert "HTTP 401" in str(failure.value)
    assert [t for t, state in failure.value.run.unsuccessful if state == "failed"] == [
        f"extract[{index}]" for index in range(6)
    ]
    # One refused first call per non-empty batch (they run side by side: four X batches and
    # the two Meta accounts' batches), and no retry of any of them.
    assert sum(sandbox.requests_served.values()) == calls_before + 6
    assert table_fingerprints(engine, untouched) == before
    # Nothing received is lost: the refusals are in raw, under the failed run.
    with engine.connect() as conn:
        kept = conn.execute(
            sa.text("select http_status from raw.api_response where run_id = :run"),
            {"run": failure.value.run.run_id},
        ).all()
    assert sorted(status for (status,) in kept) == [400, 400, 401, 401, 401, 401]
    engine.dispose()


def test_a_load_killed_midway_leaves_the_warehouse_as_it_was_and_a_retry_completes(
    warehouse_url, scenario, few_accounts_registry, sandbox, pipeline_env, tmp_path
):
    engine = warehouse_engine(warehouse_url)
    pipeline_env(warehouse_url, sandbox.base_url, sandbox.token, few_accounts_registry)
    run_window(window_for(scenario.review_date))
    before = table_fingerprints(engine, ALL_SCHEMAS)

    window = window_for(scenario.review_date + timedelta(days=1))
    validated = [
        pipeline.parse_and_validate(pipeline.extract(batch, window), window)
        for batch in pipeline.plan(window)
    ]
    # The child process kills itself with SIGKILL right after the load has written the
    # posts into core: raw, registry and core rows are then written but not committed.
    (tmp_path / "validated.json").write_text(json.dumps(validated))
    script = (
        "import json, os, signal\n"
        "import socialmetrics.load as load\n"
        "from socialmetrics import pipeline\n"
        "from socialmetrics.window import RunWindow\n"
        "merge = load.merge_rows\n"
        "def merge_then_die(conn, target, rows):\n"
        "    written = merge(conn, target, rows)\n"
        "    if target.table == 'core.post' and written:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return written\n"
        "load.merge_rows = merge_then_die\n"
        f"window = RunWindow.from_dict({window.to_dict()!r})\n"
        f"pipeline.load(json.load(open({str(tmp_path / 'validated.json')!r})), window)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR / "plugins")}
    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-3000:]

    assert table_fingerprints(engine, ALL_SCHEMAS) == before
    pipeline.load(validated, window)
    release = pipeline.choose_release()
    pipeline.build_models(release)
    pipeline.build_stat_marts(release)
    pipeline.publish_marts(release)
    with engine.connect() as conn:
        days = conn.execute(sa.text("select count(*) from core.loaded_day")).scalar_one()
    assert days == 2
    assert_every_row_accounted_for(engine)
    engine.dispose()


def test_a_failing_model_fails_its_own_task_and_the_marts_stay_unpublished(
    warehouse_url, scenario, few_accounts_registry, sandbox, pipeline_env
):
    engine = warehouse_engine(warehouse_url)
    apply_migrations(engine)
    with engine.begin() as conn:
        # A post whose engagement is negative breaks int_post_daily's check constraint.
        conn.execute(
            sa.text(
                "insert into core.post (account_key, post_id, published_at, published_on, "
                "likes, replies, reposts, quotes, engagement) values ('x:ghost', '1', "
                ":at, :on, -5, 0, 0, 0, -5)"
            ),
            {"at": datetime(2024, 1, 2, 12), "on": date(2024, 1, 2)},
        )
    pipeline_env(warehouse_url, sandbox.base_url, sandbox.token, few_accounts_registry)
    with pytest.raises(DagRunFailed) as failed:
        run_window(window_for(scenario.review_date))
    states = dict(failed.value.run.tasks)
    assert states["build_marts.dbt_models.int_post_daily.run"] == "failed"
    assert states["build_marts.dbt_models.follower_locality.run"] == "success"
    assert states["build_marts.publish_marts"] == "upstream_failed"
    assert "int_post_daily" in "\n".join(failed.value.notices)
    engine.dispose()
    engine = warehouse_engine(warehouse_url)  # dbt-duckdb let go of the file in this process
    with engine.connect() as conn:
        published = conn.execute(sa.text("select count(*) from ops.marts_release")).scalar()
    assert published == 0
