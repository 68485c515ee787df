"""End to end through the real scheduler: Airflow's api-server, scheduler (LocalExecutor) and
dag-processor against PostgreSQL metadata; ``social_metrics_daily`` unpaused and triggered
through the REST API for the scenario's review date, into a PostgreSQL warehouse, against
the sandbox over HTTP. ``tests/test_social_metrics_daily.py`` is the ``airflow dags test``
version of the same day."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from harness.airflow_services import AirflowServices, free_port, service_environment
from harness.dag_runner import PipelineEnvironment
from socialmetrics.review import read_review
from socialmetrics.warehouse.engine import warehouse_engine

pytestmark = pytest.mark.e2e

DAG_ID = "social_metrics_daily"
BATCHES = 2  # socialmetrics_extract_batches (per connector)
# The whole test stays under pytest's timeout (600 s), so the services are always stopped.
BUDGET_SECONDS = 540


@pytest.fixture
def warehouse_postgres_url(postgres_server_url):
    """A second fresh PostgreSQL database (the warehouse), dropped afterwards."""
    name = f"sm_wh_{uuid.uuid4().hex[:12]}"
    server = sa.make_url(postgres_server_url)
    admin = sa.create_engine(
        server.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        admin.dispose()


def utc_midnight(day) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def test_scheduler_runs_the_daily_dag_triggered_through_the_rest_api(
    postgres_url,
    warehouse_postgres_url,
    sandbox,
    sandbox_clock,
    scenario,
    scenario_registry,
    tmp_path,
):
    pipeline = PipelineEnvironment(
        warehouse_url=warehouse_postgres_url,
        x_base_url=sandbox.base_url,
        x_token=sandbox.token,
        meta_base_url=sandbox.graph_url(),
        registry_dir=scenario_registry,
        landing_dir=tmp_path / "landing",
        outbox_dir=tmp_path / "outbox",
        extra={"AIRFLOW_VAR_SOCIALMETRICS_EXTRACT_BATCHES": str(BATCHES)},
    )
    port = free_port()
    env = service_environment(tmp_path / "airflow-home", postgres_url, port, pipeline)
    review_date = scenario.review_date
    sandbox_clock.run_of(review_date)
    deadline = time.monotonic() + BUDGET_SECONDS

    with AirflowServices(env, port, log_dir=tmp_path / "service-logs") as services:
        services.migrate(timeout=180)
        services.start()
        services.wait_until_healthy(timeout=150)
        dag = services.wait_for_dag(DAG_ID, timeout=90)
        assert dag["is_paused"], "a new DAG starts paused ([core] dags_are_paused_at_creation)"

        client = services.client
        assert client.set_paused(DAG_ID, False)["is_paused"] is False

        # As `airflow dags test DAG review_date+1`: the daily data-interval timetable gives a
        # manual run at that logical date the interval [review_date, review_date + 1 day).
        run = client.trigger_dag_run(
            DAG_ID,
            logical_date=utc_midnight(review_date + timedelta(days=1)),
            run_id=f"manual__scheduler_test_{review_date.isoformat()}",
        )
        run_id = run["dag_run_id"]
        assert run["run_type"] == "manual"
        assert datetime.fromisoformat(run["data_interval_start"]) == utc_midnight(review_date)
        assert datetime.fromisoformat(run["data_interval_end"]) == utc_midnight(
            review_date + timedelta(days=1)
        )

        finished = services.wait_for_dag_run(DAG_ID, run_id, timeout=deadline - time.monotonic())
        if finished["state"] != "success":
            pytest.fail(
                f"run {run_id} ended {finished['state']}:\n"
                + services.failure_report(DAG_ID, run_id)
            )

        instances = client.task_instances(DAG_ID, run_id)
        not_succeeded = [
            (ti["task_id"], ti["map_index"], ti["state"])
            for ti in instances
            if ti["state"] != "success"
        ]
        assert not not_succeeded, services.failure_report(DAG_ID, run_id)
        # Every task the DAG declares ran once; extract and validate once per planned batch:
        # `socialmetrics_extract_batches` batches for each API connector, whatever the
        # accounts, and one for the CSV exports folder.
        batches = client.xcom(DAG_ID, run_id, "plan")
        assert len(batches) == 2 * BATCHES + 1, batches
        tasks = client.tasks(DAG_ID)
        assert {t["task_id"] for t in tasks} == {ti["task_id"] for ti in instances}
        expected = sum(len(batches) if t["is_mapped"] else 1 for t in tasks)
        assert len(instances) == expected
        for task in tasks:
            indexes = sorted(
                ti["map_index"] for ti in instances if ti["task_id"] == task["task_id"]
            )
            assert indexes == (list(range(len(batches))) if task["is_mapped"] else [-1]), task

    engine = warehouse_engine(warehouse_postgres_url)
    try:
        review = read_review(engine, scenario.organisations[0].name, review_date)
        assert review.accounts["officer"] == 12
        assert review.dormant["officer"] == 6
        assert review.accounts["district"] == 7
        assert round(review.in_area_share["district"], 2) == 0.72
        assert round(review.in_area_share["officer"], 2) == 0.48
        with engine.connect() as conn:
            runs = conn.execute(
                sa.text(
                    "select run_id, dag_id, data_interval_start, data_interval_end "
                    "from ops.pipeline_run"
                )
            ).all()
        start = utc_midnight(review_date).replace(tzinfo=None)
        assert [tuple(row) for row in runs] == [(run_id, DAG_ID, start, start + timedelta(days=1))]
    finally:
        engine.dispose()
