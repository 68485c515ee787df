"""``dag_parse_seconds``: how long Airflow takes to parse the DAG folder.

Each repeat runs in a fresh Python process, as the DAG processor parses a file in a fresh
child process: Airflow itself is imported first (the processor has it loaded), then
``DagBag(dag_folder=dags/)`` is timed, which imports every DAG file with what it imports
(``socialmetrics.pipeline``, ``airflow.sdk``) and builds the DAGs. The value is the median
of the repeats; every repeat and Airflow's own per-file duration are in the detail.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import Result, result
from socialmetrics.paths import PROJECT_DIR

_PROBE = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds,
    "files": {s.file: s.duration.total_seconds() for s in bag.dagbag_stats},
    "dags": sorted(bag.dag_ids),
    "tasks": sum(len(d.tasks) for d in bag.dags.values()),
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
}))
"""


def parse_once(dags_folder: Path) -> dict:
    """Parse ``dags_folder`` in a fresh interpreter; returns what the probe measured."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_DIR / "plugins"), os.environ.get("PYTHONPATH")])
        ),
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(dags_folder)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_dag_parse(repeats: int = 5, dags_folder: Path | None = None) -> dict[str, Result]:
    """``dag_parse_seconds``: median over ``repeats`` fresh processes."""
    dags_folder = dags_folder or PROJECT_DIR / "dags"
    runs = [parse_once(dags_folder) for _ in range(repeats)]
    seconds = [run["seconds"] for run in runs]
    return {
        "dag_parse_seconds": result(
            "dag_parse_seconds",
            round(statistics.median(seconds), 4),
            {
                "dags_folder": str(dags_folder),
                "repeats": repeats,
                "seconds_each": [round(s, 4) for s in seconds],
                "max_seconds": round(max(seconds), 4),
                "airflow_file_durations": runs[-1]["files"],
                "dags": runs[-1]["dags"],
                "tasks": runs[-1]["tasks"],
                "import_errors": runs[-1]["import_errors"],
                "how": "fresh process each; airflow imported first, DagBag(dag_folder) timed",
            },
        )
    }
