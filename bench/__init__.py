"""The benchmark (README "Benchmark"): ``python -m bench [--scale small|national]``.

Each measurement lives in its own module and returns ``{key: Result}``; ``run`` gathers them
into ``bench.json``::

    {"scale": {...}, "machine": {"cores": ..., "memory": ...},
     "results": {key: {"value": ..., "target": ..., "met": bool, "detail": {...}}}}

Every comparison is measured side by side in the same run on the same rows; warm-ups are
excluded from the figures and reported in the detail. Targets are reported, never enforced.
"""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass
from typing import Any

Result = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """What a key must reach: ``value <op> bound`` (``op`` one of <=, >=, same)."""

    op: str
    bound: float | None = None
    text: str = ""

    def met(self, value: Any) -> bool:
        if self.op == "<=":
            return value is not None and value <= self.bound
        if self.op == ">=":
            return value is not None and value >= self.bound
        if self.op == "same":
            return isinstance(value, dict) and len(set(value.values())) == 1
        raise ValueError(self.op)

    def __str__(self) -> str:
        return self.text or f"{self.op} {self.bound:g}"


TARGETS: dict[str, Target] = {
    "load_vs_copy": Target("<=", 1.5),
    "to_sql_vs_load": Target(">=", 10),
    "gx_vs_pandas": Target("<=", 2.5),
    "dag_parse_seconds": Target("<=", 0.5),
    "national_e2e_seconds": Target("<=", 900, "<= 900 (6,000 accounts x 365 days, 2 cores)"),
    "tasks_per_run": Target("same", text="same at 60, 600 and 6,000 accounts"),
}


@dataclass(frozen=True)
class Scale:
    """How big each measurement runs."""

    name: str
    accounts: int  # end-to-end run: accounts of the national scenario
    days: int  # end-to-end run: days of history
    posts_per_day: float  # end-to-end run: average posts per account per day
    rows: int  # load and validation comparisons: rows
    dag_parse_repeats: int  # fresh processes parsing the DAG folder
    repeats: int  # timed rounds of the load and validation comparisons (medians reported)
    task_accounts: tuple[int, ...] = (60, 600, 6000)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "task_accounts": list(self.task_accounts)}


SCALES: dict[str, Scale] = {
    "small": Scale("small", 60, 30, 2.0, 100_000, dag_parse_repeats=5, repeats=3),
    "national": Scale("national", 6000, 365, 2.0, 1_000_000, dag_parse_repeats=5, repeats=3),
}


def result(key: str, value: Any, detail: dict[str, Any]) -> Result:
    """One entry of ``results``: the value, its target and whether it is met."""
    target = TARGETS[key]
    return {"value": value, "target": str(target), "met": target.met(value), "detail": detail}


def machine() -> dict[str, Any]:
    """Cores usable by this process, total memory, and what the figures ran on."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    info: dict[str, Any] = {
        "cores": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "memory": memory,
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine slows every figure: the load when the bench started.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()
        info["cgroup_cpu_limit"] = None if quota == "max" else round(int(quota) / int(period), 2)
    except (OSError, ValueError):
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info
