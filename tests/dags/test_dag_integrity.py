"""Every DAG imports cleanly, and importing it does no work (thin DAG files)."""

import json
import os
import subprocess
import sys

from socialmetrics.paths import PROJECT_DIR

DAGS = sorted((PROJECT_DIR / "dags").glob("*.py"))


def test_every_dag_file_imports_without_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_DIR / "dags"))
    assert bag.import_errors == {}
    assert "social_metrics_daily" in bag.dag_ids


def test_importing_dag_files_loads_no_heavy_library():
    probe = (
        "import json, runpy, sys\n"
        f"for path in {[str(p) for p in DAGS]!r}:\n"
        "    runpy.run_path(path)\n"
        "heavy = ['great_expectations', 'pandas', 'duckdb', 'psycopg', 'requests', 'scipy']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR / "plugins")},
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


DBT_MODELS = (
    "int_post_daily",
    "int_account_activity",
    "int_organisation_daily",
    "int_consolidation_window",
    "account_activity",
    "dormant_accounts",
    "dormancy_spells",
    "engagement_daily",
    "follower_locality",
)


STEPS = ("run", "test")


def test_daily_dag_has_a_fixed_number_of_tasks_and_docs():
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(PROJECT_DIR / "dags")).dags["social_metrics_daily"]
    assert set(dag.task_ids) == {
        "prepare_warehouse",
        "plan",
        "extract",
        "keep_failed_answers",
        "parse_and_validate",
        "load",
        "build_marts.choose_release",
        "build_marts.dbt_models.dbt_producer_watcher",
        "build_marts.dbt_models.dbt_producer_watcher_done",
        *(f"build_marts.dbt_models.{model}.{step}" for model in DBT_MODELS for step in STEPS),
        "build_marts.build_stat_marts",
        "build_marts.publish_marts",
        "send_alerts",
    }
    assert "Social metrics daily" in dag.doc_md
    assert dag.max_active_runs == 1


def test_every_task_has_an_execution_timeout_and_extract_outlasts_a_rate_limit_wait():
    from datetime import timedelta

    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(PROJECT_DIR / "dags")).dags["social_metrics_daily"]
    timeouts = {task.task_id: task.execution_timeout for task in dag.tasks}
    assert all(timeouts.values()), timeouts
    # socialmetrics_max_rate_limit_wait_seconds defaults to 15 minutes per wait.
    assert timeouts["extract"] >= timedelta(hours=2)
