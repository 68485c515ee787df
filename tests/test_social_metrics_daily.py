"""End to end: ``social_metrics_daily`` through Airflow (``airflow dags test``) against the
sandbox over HTTP, into a fresh DuckDB file and a fresh PostgreSQL database."""

import pytest
import sqlalchemy as sa

from harness.dag_runner import PipelineEnvironment, run_dag_test
from socialmetrics.review import read_review
from socialmetrics.warehouse.engine import warehouse_engine
from warehouse_fingerprints import table_fingerprints

pytestmark = pytest.mark.e2e


def run_day(environment, day, log_path):
    finished = run_dag_test("social_metrics_daily", day, environment, log_path)
    assert finished.returncode == 0, log_path.read_text()[-5000:]


def test_daily_run_reproduces_the_review_and_a_rerun_changes_nothing(
    warehouse_url, sandbox, sandbox_clock, scenario, scenario_registry, tmp_path
):
    environment = PipelineEnvironment(
        warehouse_url=warehouse_url,
        x_base_url=sandbox.base_url,
        x_token=sandbox.token,
        meta_base_url=sandbox.graph_url(),
        registry_dir=scenario_registry,
        landing_dir=tmp_path / "landing",
    )
    sandbox_clock.run_of(scenario.review_date)
    run_day(environment, scenario.review_date, tmp_path / "first.log")
    engine = warehouse_engine(warehouse_url)
    try:
        review = read_review(engine, scenario.organisations[0].name, scenario.review_date)
        assert review.accounts["officer"] == 12
        assert review.dormant["officer"] == 6
        assert review.accounts["district"] == 7
        assert round(review.in_area_share["district"], 2) == 0.72
        assert round(review.in_area_share["officer"], 2) == 0.48
        before = table_fingerprints(engine)
        assert before["core.post"][0] > 0
        assert_token_stored_nowhere(engine, sandbox.token, tmp_path / "first.log")
        run_day(environment, scenario.review_date, tmp_path / "second.log")
        assert table_fingerprints(engine) == before
    finally:
        engine.dispose()


def assert_token_stored_nowhere(engine, token, log_path):
    assert token not in log_path.read_text()
    stored = table_fingerprints(engine, schemas=("raw", "ops", "staging", "quarantine"))
    assert stored
    with engine.connect() as conn:
        for table in stored:
            for row in conn.execute(sa.text(f"select * from {table}")):
                assert token not in repr(tuple(row)), table
