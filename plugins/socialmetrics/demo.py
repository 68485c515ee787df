"""``make demo``: the whole pipeline through Airflow against the sandbox, then the review.

Starts the platform sandbox with the default scenario, runs ``social_metrics_daily`` with
``airflow dags test`` for the scenario's review date into the DuckDB warehouse named by
``AIRFLOW_CONN_WAREHOUSE`` (default ``var/demo/warehouse.duckdb``), and prints the review
table of SPEC §1 as read back from the marts.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from socialmetrics.dag_runner import PipelineEnvironment, run_dag_test
from socialmetrics.paths import DEMO_REGISTRY_DIR, PROJECT_DIR
from socialmetrics.review import read_review
from socialmetrics.sandbox.scenario import default_scenario
from socialmetrics.sandbox.server import SandboxServer
from socialmetrics.warehouse.engine import url_from_connection, warehouse_engine

DEMO_DIR = PROJECT_DIR / "var" / "demo"
DEFAULT_WAREHOUSE = f"duckdb:///{DEMO_DIR / 'warehouse.duckdb'}"
DEMO_TOKEN = "demo-sandbox-token"


def demo_warehouse_url() -> str:
    """AIRFLOW_CONN_WAREHOUSE as a SQLAlchemy URL when set, else the demo DuckDB file."""
    configured = os.environ.get("AIRFLOW_CONN_WAREHOUSE")
    if not configured:
        return DEFAULT_WAREHOUSE
    from airflow.sdk import Connection

    return url_from_connection(Connection.from_uri(configured, conn_id="warehouse"))


def main() -> int:
    scenario = default_scenario()
    warehouse = os.environ.get("AIRFLOW_CONN_WAREHOUSE") or DEFAULT_WAREHOUSE
    log_path = DEMO_DIR / "dags-test.log"
    with SandboxServer(scenario, token=DEMO_TOKEN) as sandbox:
        print(f"sandbox: X API v2 on {sandbox.base_url} (seed {scenario.seed})", flush=True)
        print(
            f"running social_metrics_daily for {scenario.review_date} through Airflow "
            f"(log: {log_path.relative_to(PROJECT_DIR)}) ...",
            flush=True,
        )
        started = time.monotonic()
        environment = PipelineEnvironment(
            warehouse_url=warehouse,
            x_base_url=sandbox.base_url,
            x_token=DEMO_TOKEN,
            registry_dir=Path(
                os.environ.get("AIRFLOW_VAR_SOCIALMETRICS_REGISTRY_DIR", DEMO_REGISTRY_DIR)
            ),
            landing_dir=DEMO_DIR / "landing",
        )
        finished = run_dag_test("social_metrics_daily", scenario.review_date, environment, log_path)
        elapsed = time.monotonic() - started
    if finished.returncode != 0:
        print(log_path.read_text(encoding="utf-8", errors="replace")[-6000:], file=sys.stderr)
        print(
            f"the DAG run failed (exit {finished.returncode}); full log: {log_path}",
            file=sys.stderr,
        )
        return 1
    print(f"DAG run finished in {elapsed:.0f} s; warehouse: {warehouse}\n", flush=True)
    engine = warehouse_engine(demo_warehouse_url())
    try:
        review = read_review(engine, scenario.organisations[0].name, scenario.review_date)
    finally:
        engine.dispose()
    print(review.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
