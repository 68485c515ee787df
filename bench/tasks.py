"""``tasks_per_run``: task instances one daily run creates at 60, 600 and 6,000 accounts.

For each size, a national scenario's registry is written and planned by ``plan_batches`` (on
an empty, migrated DuckDB warehouse: every account is new, the heaviest plan). The task
instances of the run are then counted from the DAG as Airflow loads it (``DagBag``): one per
unmapped task, ``len(batches)`` per mapped task (``extract``, ``parse_and_validate``).
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from bench import Result, result
from sandbox.scenario import national_scenario
from socialmetrics.paths import PROJECT_DIR
from socialmetrics.plan import plan_batches
from socialmetrics.registry import load_registry
from socialmetrics.settings import Settings
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.migrations import apply_migrations
from socialmetrics.window import RunWindow

DAG_ID = "social_metrics_daily"


def dag_tasks(dags_folder: Path | None = None) -> list[tuple[str, bool]]:
    """(task_id, is_mapped) of every task of the daily DAG, as Airflow loads it."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder or PROJECT_DIR / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"the DAG folder has import errors: {bag.import_errors}")
    return [(task.task_id, bool(task.is_mapped)) for task in bag.dags[DAG_ID].tasks]


def task_instances(tasks: list[tuple[str, bool]], batches: int) -> int:
    """Task instances of one run: 1 per unmapped task, ``batches`` per mapped task."""
    return sum(batches if mapped else 1 for _, mapped in tasks)


def plan_for(accounts: int, workdir: Path, settings: Settings | None = None) -> list[dict]:
    """The batches ``plan_batches`` makes for the daily run on the last day of a national
    scenario of ``accounts`` accounts, on an empty warehouse."""
    scenario = national_scenario(accounts=accounts, days=30)
    folder = workdir / f"registry-{accounts}"
    scenario.write_registry(folder)
    registry = load_registry(folder, today=scenario.end_date)
    settings = settings or Settings(registry_dir=folder)
    engine = warehouse_engine(f"duckdb:///{workdir / f'plan-{accounts}.duckdb'}")
    try:
        apply_migrations(engine)
        start = datetime.combine(scenario.end_date, datetime.min.time())
        window = RunWindow.of(f"bench__tasks_{accounts}", start, start + timedelta(days=1))
        return plan_batches(registry, engine, window, settings)
    finally:
        engine.dispose()


def measure_tasks(sizes=(60, 600, 6000), workdir: Path | None = None) -> dict[str, Result]:
    """``tasks_per_run``: {accounts: task instances} for each size."""
    tasks = dag_tasks()
    settings_batches = Settings().extract_batches
    counts, plans = {}, {}
    with tempfile.TemporaryDirectory(prefix="sm-bench-tasks-", dir=workdir) as folder:
        for size in sizes:
            batches = plan_for(size, Path(folder))
            counts[str(size)] = task_instances(tasks, len(batches))
            plans[str(size)] = {
                "accounts_planned": len({a["account_key"] for b in batches for a in b["accounts"]}),
                "batches": len(batches),
                "accounts_per_batch": {b["batch"]: len(b["accounts"]) for b in batches},
            }
    return {
        "tasks_per_run": result(
            "tasks_per_run",
            counts,
            {
                "tasks": [{"task_id": t, "mapped": m} for t, m in tasks],
                "extract_batches": settings_batches,
                "plans": plans,
                "how": "1 per unmapped task + len(plan_batches(...)) per mapped task",
            },
        )
    }
