"""A pytest plugin (``-p harness.pytest_worker_home``, set in pyproject.toml): under
pytest-xdist, each worker gets its own copy of the migrated Airflow metadata database.

``dag.test()`` writes runs and task instances, and two processes writing one SQLite file
lock each other out. The plugin is imported before any conftest, so before anything imports
Airflow and reads its configuration.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def airflow_home_of_this_worker() -> Path | None:
    """Point AIRFLOW_HOME and the metadata database at this worker's copy; None outside
    xdist or before ``make`` has migrated AIRFLOW_HOME."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    home = os.environ.get("AIRFLOW_HOME")
    if not worker or not home or not (Path(home) / "airflow.db").exists():
        return None
    worker_home = Path(home) / "workers" / worker
    worker_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(home) / "airflow.db", worker_home / "airflow.db")
    os.environ["AIRFLOW_HOME"] = str(worker_home)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{worker_home}/airflow.db"
    # Cosmos keeps dbt's partial-parse state in a cache folder; one per worker, so that two
    # workers never write the same files.
    os.environ["AIRFLOW__COSMOS__CACHE_DIR"] = str(worker_home / "cosmos")
    return worker_home


airflow_home_of_this_worker()
