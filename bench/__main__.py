"""``python -m bench [--scale small|national] [--output bench.json]``

Runs every measurement of the benchmark at the chosen scale, writes ``bench.json`` (rewritten
after each measurement, so a long run keeps what it measured) and prints the table of
targets. Exit status 0 when every measurement ran, whether or not its target was met; 1
when one could not run (its entry then carries the error).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from socialmetrics.paths import PROJECT_DIR

# What the Makefile exports, for a run without make.
os.environ.setdefault("AIRFLOW_HOME", str(PROJECT_DIR / ".airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_DIR / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(PROJECT_DIR / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from bench import SCALES, TARGETS, Result, Scale, machine  # noqa: E402

MEASUREMENTS = ("tasks", "dag_parse", "validation", "load", "e2e")
KEYS = {
    "tasks": ("tasks_per_run",),
    "dag_parse": ("dag_parse_seconds",),
    "validation": ("gx_vs_pandas",),
    "load": ("load_vs_copy", "to_sql_vs_load"),
    "e2e": ("national_e2e_seconds",),
}


def _measure(
    name: str, scale: Scale, workdir: Path | None, duckdb_settings: dict[str, str]
) -> dict[str, Result]:
    if name == "tasks":
        from bench.tasks import measure_tasks

        return measure_tasks(scale.task_accounts, workdir)
    if name == "dag_parse":
        from bench.dag_parse import measure_dag_parse

        return measure_dag_parse(scale.dag_parse_repeats)
    if name == "validation":
        from bench.validation import measure_validation

        return measure_validation(scale.rows, repeats=scale.repeats)
    if name == "load":
        from bench.load import measure_load
        from bench.postgres import postgres_server

        with postgres_server() as url:
            return measure_load(url, scale.rows, repeats=scale.repeats)
    if name == "e2e":
        from bench.e2e import measure_e2e

        return measure_e2e(
            scale.accounts,
            scale.days,
            scale.posts_per_day,
            workdir=workdir,
            duckdb_settings=duckdb_settings,
        )
    raise KeyError(name)


def run(
    scale: Scale,
    output: Path | None = None,
    only: tuple[str, ...] = MEASUREMENTS,
    workdir: Path | None = None,
    progress=print,
    duckdb_settings: dict[str, str] | None = None,
) -> dict:
    """Run the measurements ``only`` at ``scale``; returns (and writes to ``output``) the
    bench.json document."""
    report = {
        "scale": {**scale.to_dict(), "posts": None},
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": None,
        "results": {},
    }
    started = time.perf_counter()
    for name in only:
        progress(f"bench: {name} ...")
        begun = time.perf_counter()
        try:
            measured = _measure(name, scale, workdir, duckdb_settings or {})
        except Exception as exc:  # one failed measurement must not lose the others
            error = f"{type(exc).__name__}: {exc}"
            measured = {
                key: {
                    "value": None,
                    "target": str(TARGETS[key]),
                    "met": False,
                    "detail": {"error": error, "traceback": traceback.format_exc()},
                }
                for key in KEYS[name]
            }
        report["results"].update(measured)
        if "national_e2e_seconds" in measured:
            report["scale"]["posts"] = measured["national_e2e_seconds"]["detail"].get("posts")
        report["seconds"] = round(time.perf_counter() - started, 1)
        progress(f"bench: {name} done in {time.perf_counter() - begun:.1f} s")
        if output is not None:
            output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report


def _figure(value) -> str:
    if value is None:
        return "error"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _rows(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        lines.append(
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )
    return "\n".join(lines)


def table(report: dict) -> str:
    """The targets table (and the end-to-end run's rows per second per stage)."""
    scale = report["scale"]
    lines = [
        f"scale {scale['name']}: {scale['accounts']} accounts x {scale['days']} days "
        f"({scale['posts']} posts) end to end; {scale['rows']:,} rows for load and validation; "
        f"{report['machine']['cores']} cores, {report['machine']['memory_gib']} GiB",
        "",
    ]
    rows = []
    for key, entry in report["results"].items():
        met = "yes" if entry["met"] else "no"
        if entry["value"] is None:
            met = "no (error)"
        elif key == "national_e2e_seconds" and scale["name"] != "national":
            met += " (target is for 6,000 x 365)"
        rows.append([key, entry["target"], _figure(entry["value"]), met])
    lines.append(_rows(["key", "target", "measured", "met"], rows))
    e2e = report["results"].get("national_e2e_seconds", {}).get("detail", {})
    if "rows_per_second" in e2e:
        stages = [
            [stage, _figure(e2e["step_seconds"].get(stage, "")), _figure(rate)]
            for stage, rate in e2e["rows_per_second"].items()
        ]
        lines += ["", "end to end, per stage:", _rows(["stage", "seconds", "rows/s"], stages)]
    for key, entry in report["results"].items():
        if "error" in entry["detail"]:
            lines.append(f"{key}: {entry['detail']['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--output", type=Path, default=Path("bench.json"))
    parser.add_argument(
        "--only",
        default=",".join(MEASUREMENTS),
        help=f"comma-separated measurements among {','.join(MEASUREMENTS)} (default: all)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default /tmp)")
    parser.add_argument(
        "--duckdb",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="a DuckDB setting for the end-to-end warehouse, e.g. memory_limit=4GB (repeatable)",
    )
    args = parser.parse_args(argv)
    only = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = set(only) - set(MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # The pipeline's own progress lines (one per account alerted, per batch...) would drown
    # the table; warnings and errors still show.
    logging.getLogger("socialmetrics").setLevel(logging.WARNING)
    for noisy in ("great_expectations", "socialmetrics.validation.validate"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    settings = dict(item.split("=", 1) for item in args.duckdb if "=" in item)
    if len(settings) != len(args.duckdb):
        parser.error("--duckdb takes SETTING=VALUE, e.g. memory_limit=4GB")
    report = run(
        SCALES[args.scale],
        args.output,
        only,
        args.workdir,
        progress=lambda text: print(text, file=sys.stderr, flush=True),
        duckdb_settings=settings,
    )
    print(table(report))
    print(f"\nwritten to {args.output}")
    return 0 if all(e["value"] is not None for e in report["results"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
