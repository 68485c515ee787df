"""``make demo``: the whole pipeline through Airflow against the sandbox, then the review.

Starts the platform sandbox with the default scenario, runs ``social_metrics_daily`` with
``airflow dags test`` for the scenario's review date and then for its last day (after the
consolidation) into the DuckDB warehouse named by ``AIRFLOW_CONN_WAREHOUSE`` (default
``var/demo/warehouse.duckdb``), and prints, as read back from the marts: the review table
(docs/design.md#1-the-problem), the consolidation's effect with its interval and p-value, the
national correlation, what went to the outbox, and where the HTML report is.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from harness.dag_runner import PipelineEnvironment, run_dag_test
from sandbox.scenario import default_scenario
from sandbox.server import SandboxServer
from socialmetrics.paths import DEMO_REGISTRY_DIR, PROJECT_DIR
from socialmetrics.report import write_report
from socialmetrics.review import read_findings, read_review
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


def run_day(environment: PipelineEnvironment, day) -> bool:
    """Run the DAG for ``day`` through Airflow; print progress, or the log's end on failure."""
    log_path = DEMO_DIR / f"dags-test-{day}.log"
    print(
        f"running social_metrics_daily for {day} through Airflow "
        f"(log: {log_path.relative_to(PROJECT_DIR)}) ...",
        flush=True,
    )
    started = time.monotonic()
    finished = run_dag_test("social_metrics_daily", day, environment, log_path)
    if finished.returncode != 0:
        print(log_path.read_text(encoding="utf-8", errors="replace")[-6000:], file=sys.stderr)
        print(
            f"the DAG run failed (exit {finished.returncode}); full log: {log_path}",
            file=sys.stderr,
        )
        return False
    print(f"  finished in {time.monotonic() - started:.0f} s", flush=True)
    return True


def main() -> int:
    scenario = default_scenario()
    warehouse = os.environ.get("AIRFLOW_CONN_WAREHOUSE") or DEFAULT_WAREHOUSE
    # The real rate limits (900 timeline calls per 15 minutes) would make the catch-up run
    # wait a window out; waiting is tested in the connector tests, the demo need not show it.
    with SandboxServer(scenario, token=DEMO_TOKEN, rate_limit=10**6) as sandbox:
        print(
            f"sandbox: X API v2 on {sandbox.base_url}, Graph API on {sandbox.graph_url()} "
            f"(seed {scenario.seed})",
            flush=True,
        )
        environment = PipelineEnvironment(
            warehouse_url=warehouse,
            x_base_url=sandbox.base_url,
            x_token=DEMO_TOKEN,
            registry_dir=Path(
                os.environ.get("AIRFLOW_VAR_SOCIALMETRICS_REGISTRY_DIR", DEMO_REGISTRY_DIR)
            ),
            landing_dir=DEMO_DIR / "landing",
            outbox_dir=DEMO_DIR / "outbox",
            meta_base_url=sandbox.graph_url(),
        )
        for day in (scenario.review_date, scenario.end_date):
            # The platforms answer as they would to the scheduled run for that day.
            sandbox.clock.run_of(day)
            if not run_day(environment, day):
                return 1
    print(f"warehouse: {warehouse}\n", flush=True)
    engine = warehouse_engine(demo_warehouse_url())
    organisation = scenario.organisations[0].name
    try:
        review = read_review(engine, organisation, scenario.review_date)
        findings = read_findings(engine, organisation)
        report = write_report(engine, organisation, scenario.review_date, DEMO_DIR / "report.html")
    finally:
        engine.dispose()
    print(review.render())
    print()
    print("\n".join(findings))
    outbox = sorted((DEMO_DIR / "outbox").glob("*.eml"))
    alerts = [p for p in outbox if p.name.startswith("dormancy")]
    digests = [p for p in outbox if p.name.startswith("digest")]
    print(
        f"\noutbox {(DEMO_DIR / 'outbox').relative_to(PROJECT_DIR)}: {len(alerts)} dormancy "
        f"alerts, {len(digests)} weekly digests"
    )
    print(f"\nreport (offline HTML with charts): {report.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
