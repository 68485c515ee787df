"""Run the steps of ``social_metrics_daily`` in this process, in DAG order, without a scheduler.

For tests and the benchmark that need many runs quickly; the DAG calls the very same steps
(``socialmetrics.pipeline``) and the end-to-end tests run it through Airflow itself.
Connections and Variables come from the environment (AIRFLOW_CONN_*, AIRFLOW_VAR_*).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from socialmetrics import pipeline
from socialmetrics.window import RunWindow


def run_window(window: RunWindow) -> dict:
    """Run every step for ``window``; returns the marts' row counts.

    Raises what the steps raise (AirflowFailException for errors a user must fix).
    """
    pipeline.prepare_warehouse(window)
    batches = pipeline.plan(window)
    # Extract batches wait on the network, so they run side by side as mapped tasks would.
    try:
        with ThreadPoolExecutor(max_workers=len(batches)) as pool:
            extracted = list(pool.map(lambda batch: pipeline.extract(batch, window), batches))
    finally:
        pipeline.keep_failed_answers(window)
    validated = [pipeline.validate(summary, window) for summary in extracted]
    pipeline.load(validated, window)
    marts = pipeline.build_marts()
    pipeline.send_alerts(window)
    return marts
