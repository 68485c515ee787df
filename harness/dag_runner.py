"""Run a DAG through Airflow's own CLI (``airflow dags test``) for one logical date.

Used by the demo and the end-to-end tests so both exercise Airflow exactly as a data
engineer would from a terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from socialmetrics.paths import PROJECT_DIR

# The platform connections a run may have; only those a PipelineEnvironment names are set.
API_CONNECTION_VARIABLES = ("AIRFLOW_CONN_X_API", "AIRFLOW_CONN_META_GRAPH_API")


@dataclass(frozen=True)
class PipelineEnvironment:
    """Where a run reads and writes: the warehouse URL, the local folders and the platform
    APIs (none for an organisation that only drops exports)."""

    warehouse_url: str
    registry_dir: Path
    landing_dir: Path
    x_base_url: str | None = None
    x_token: str | None = None
    outbox_dir: Path | None = None
    meta_base_url: str | None = None
    meta_token: str | None = None
    extra: dict[str, str] | None = None

    def variables(self) -> dict[str, str]:
        """Environment variables that define the connections and Variables for Airflow."""
        env = {
            "AIRFLOW_CONN_WAREHOUSE": self.warehouse_url,
            "AIRFLOW_VAR_SOCIALMETRICS_REGISTRY_DIR": str(self.registry_dir),
            "AIRFLOW_VAR_SOCIALMETRICS_LANDING_DIR": str(self.landing_dir),
            "AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR": str(
                self.outbox_dir or self.landing_dir.parent / "outbox"
            ),
        }
        if self.x_base_url:
            env["AIRFLOW_CONN_X_API"] = json.dumps(
                {"conn_type": "http", "host": self.x_base_url, "password": self.x_token}
            )
        if self.meta_base_url:
            env["AIRFLOW_CONN_META_GRAPH_API"] = json.dumps(
                {
                    "conn_type": "http",
                    "host": self.meta_base_url,
                    "password": self.meta_token or self.x_token,
                }
            )
        env.update(self.extra or {})
        return env


def airflow_env(pipeline: PipelineEnvironment) -> dict[str, str]:
    """The process environment for the airflow CLI: project folders plus the pipeline's."""
    env = {k: v for k, v in os.environ.items() if k not in API_CONNECTION_VARIABLES}
    env.setdefault("AIRFLOW_HOME", str(PROJECT_DIR / ".airflow"))
    env.update(
        {
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_DIR / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "GX_ANALYTICS_ENABLED": "false",
            "NO_PROXY": "*",
            "PYTHONPATH": str(PROJECT_DIR / "plugins"),
        }
    )
    env.update(pipeline.variables())
    return env


def run_dag_test(
    dag_id: str, day: date, pipeline: PipelineEnvironment, log_path: Path
) -> subprocess.CompletedProcess:
    """Run ``airflow dags test DAG_ID DAY+1``: the run whose daily data interval is ``day``.

    A manual run at DATE covers the day before DATE, as a scheduled run would. Output goes
    to ``log_path``. Returns the completed process (check ``returncode``); does not raise.
    """
    logical_date = day + timedelta(days=1)
    airflow = Path(sys.executable).with_name("airflow")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        return subprocess.run(
            [str(airflow), "dags", "test", dag_id, logical_date.isoformat()],
            env=airflow_env(pipeline),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_DIR,
            check=False,
        )
