"""End to end: ``social_metrics_daily`` through Airflow (``airflow dags test``) against the
sandbox over HTTP, into a fresh DuckDB file and a fresh PostgreSQL database."""

import hashlib

import pytest
import sqlalchemy as sa

from socialmetrics.dag_runner import PipelineEnvironment, run_dag_test
from socialmetrics.review import read_review
from socialmetrics.warehouse.engine import warehouse_engine

pytestmark = pytest.mark.e2e


def table_fingerprints(engine, schemas=("core", "marts")) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of the sorted rows of every table in ``schemas``."""
    fingerprints = {}
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('core', 'marts') order by 1, 2"
            )
        ).all()
        for schema, table in tables:
            if schema not in schemas:
                continue
            rows = sorted(
                repr(tuple(row)) for row in conn.execute(sa.text(f"select * from {schema}.{table}"))
            )
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            fingerprints[f"{schema}.{table}"] = (len(rows), digest)
    return fingerprints


def run_day(environment, day, log_path):
    finished = run_dag_test("social_metrics_daily", day, environment, log_path)
    assert finished.returncode == 0, log_path.read_text()[-5000:]


def test_daily_run_reproduces_the_review_and_a_rerun_changes_nothing(
    warehouse_url, sandbox, scenario, tmp_path
):
    environment = PipelineEnvironment(
        warehouse_url=warehouse_url,
        x_base_url=sandbox.base_url,
        x_token=sandbox.token,
        registry_dir=scenario_registry(scenario, tmp_path),
        landing_dir=tmp_path / "landing",
    )
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
        run_day(environment, scenario.review_date, tmp_path / "second.log")
        assert table_fingerprints(engine) == before
    finally:
        engine.dispose()


def scenario_registry(scenario, tmp_path):
    folder = tmp_path / "registry"
    scenario.write_registry(folder)
    return folder
