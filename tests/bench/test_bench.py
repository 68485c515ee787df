"""The benchmark's measurements return the right keys and figures, at tiny sizes.

Behaviour only: no timing is asserted (targets are reported by ``make bench``, not tested).
"""

import json

import pytest

from bench import SCALES, TARGETS, Scale, result
from bench import __main__ as bench_main
from bench.validation import WINDOW, pandas_validate, staging_rows
from socialmetrics.validation.validate import validate_frame

RESULT_KEYS = {"value", "target", "met", "detail"}
TINY = Scale("tiny", 6, 3, 2.0, 2000, dag_parse_repeats=1, repeats=1, task_accounts=(60, 120))


def assert_result(entry):
    assert set(entry) == RESULT_KEYS
    assert isinstance(entry["met"], bool)
    assert isinstance(entry["target"], str) and entry["target"]
    assert isinstance(entry["detail"], dict)
    json.dumps(entry, default=str)


def test_targets_are_judged_by_their_direction():
    assert result("load_vs_copy", 1.5, {})["met"] is True
    assert result("load_vs_copy", 1.51, {})["met"] is False
    assert result("to_sql_vs_load", 10.0, {})["met"] is True
    assert result("to_sql_vs_load", 9.9, {})["met"] is False
    assert result("tasks_per_run", {"60": 13, "600": 13}, {})["met"] is True
    assert result("tasks_per_run", {"60": 13, "600": 14}, {})["met"] is False
    assert result("dag_parse_seconds", None, {})["met"] is False
    assert set(TARGETS) == {
        "load_vs_copy",
        "to_sql_vs_load",
        "gx_vs_pandas",
        "dag_parse_seconds",
        "national_e2e_seconds",
        "tasks_per_run",
    }
    assert SCALES["national"].accounts == 6000 and SCALES["national"].days == 365
    assert SCALES["national"].rows == 1_000_000


@pytest.mark.parametrize("entity", ["post", "account_snapshot"])
def test_the_pandas_checks_reach_the_verdicts_of_gx(entity):
    frame = staging_rows(entity, 3000, bad_share=0.01)
    ours = validate_frame(entity, frame, WINDOW.end)
    theirs = pandas_validate(entity, frame, WINDOW.end)
    assert len(ours.rejected) > 0
    assert len(theirs.accepted) == len(ours.accepted)
    assert sorted(theirs.rejected["record"]) == sorted(ours.rejected["record"])
    by_name = {r["expectation"]: r["unexpected_count"] for r in ours.results}
    assert {r["expectation"]: r["unexpected_count"] for r in theirs.results} == by_name


def test_validation_measure_gives_gx_over_pandas():
    from bench.validation import measure_validation

    results = measure_validation(2000)
    assert set(results) == {"gx_vs_pandas"}
    entry = results["gx_vs_pandas"]
    assert_result(entry)
    assert entry["value"] > 0
    for entity in ("post", "account_snapshot"):
        figures = entry["detail"]["entities"][entity]
        assert figures["rows"] == 2000
        assert figures["verdicts_agree"] is True
        assert figures["ratio"] == pytest.approx(
            figures["gx_seconds"] / figures["pandas_seconds"], rel=0.01
        )
        assert figures["warmup"]["excluded"] is True


@pytest.mark.postgres
def test_load_measure_writes_every_row_every_way(postgres_server_url):
    from bench.load import measure_load

    results = measure_load(postgres_server_url, 2000, warmup_rows=100)
    assert set(results) == {"load_vs_copy", "to_sql_vs_load"}
    for entry in results.values():
        assert_result(entry)
        assert entry["value"] > 0
    detail = results["load_vs_copy"]["detail"]
    assert detail["rows"] == 2000 and detail["days"] == 365
    assert set(detail["rows_written_each"].values()) == {2000}
    load, copy = detail["load"], detail["copy"]
    assert results["load_vs_copy"]["value"] == pytest.approx(
        load["seconds"] / copy["seconds"], rel=0.01
    )
    bare = detail["copy_without_key"]
    assert bare["csv"]["render_seconds"] > 0 and bare["csv"]["copy_seconds"] > 0
    assert bare["load_vs_binary"] == pytest.approx(
        load["seconds"] / bare["binary"]["seconds"], rel=0.01
    )
    assert detail["rerun"]["seconds"] > 0 and detail["warmup"]["excluded"] is True
    to_sql = results["to_sql_vs_load"]["detail"]["to_sql"]
    assert to_sql["method"] is None and to_sql["chunksize"] is None


def test_load_rows_are_account_days_typed_as_the_load_reads_them():
    from bench.load import COLUMNS, account_day_rows

    frame = account_day_rows(800, days=365)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 800
    assert frame["account_key"].nunique() == 3
    assert not frame.duplicated(["account_key", "snapshot_date"]).any()
    assert str(frame["followers_count"].dtype) == "Int64"


def test_dag_parse_measure_parses_the_daily_dag():
    from bench.dag_parse import measure_dag_parse

    entry = measure_dag_parse(repeats=1)["dag_parse_seconds"]
    assert_result(entry)
    assert entry["value"] > 0
    assert entry["detail"]["dags"] == ["social_metrics_daily"]
    assert entry["detail"]["import_errors"] == {}


def test_tasks_per_run_counts_mapped_tasks_once_per_batch(tmp_path):
    from bench.tasks import measure_tasks, task_instances

    assert task_instances([("a", False), ("b", True), ("c", True)], 4) == 9
    entry = measure_tasks(sizes=(60, 120), workdir=tmp_path)["tasks_per_run"]
    assert_result(entry)
    detail = entry["detail"]
    tasks = [(t["task_id"], t["mapped"]) for t in detail["tasks"]]
    assert {t for t, mapped in tasks if mapped} == {"extract", "parse_and_validate"}
    plans = detail["plans"]
    assert plans["60"]["accounts_planned"] == 60 and plans["120"]["accounts_planned"] == 120
    assert entry["value"] == {
        size: task_instances(tasks, plans[size]["batches"]) for size in ("60", "120")
    }
    assert entry["met"] is True


def test_e2e_runs_sandbox_to_marts_and_reports_each_stage(tmp_path):
    from bench.e2e import STEPS, measure_e2e

    entry = measure_e2e(
        accounts=6, days=3, workdir=tmp_path, duckdb_settings={"memory_limit": "1GB"}
    )["national_e2e_seconds"]
    assert_result(entry)
    detail = entry["detail"]
    assert entry["value"] > 0
    assert detail["accounts"] == 6 and detail["days"] == 3
    assert set(detail["step_seconds"]) == {*STEPS, "build_marts"}
    assert len(detail["extract_batch_seconds"]) == len(detail["validate_batch_seconds"]) >= 1
    assert set(detail["rows_per_second"]) >= {
        "extract",
        "parse_and_validate",
        "load",
        "build_marts",
    }
    for entity in ("account_snapshot", "post", "follower_sample"):
        counts = detail["stage_count"][entity]
        assert counts["extracted"] == counts["loaded"] + counts["quarantined"]
    assert detail["stage_count"]["account_snapshot"]["loaded"] == 6
    assert detail["posts"] == detail["stage_count"]["post"]["extracted"]
    assert detail["mart_rows"]["marts.account_activity"] > 0
    assert detail["sandbox_requests"]
    assert detail["duckdb_settings"] == {"memory_limit": "1GB"}
    assert set(detail["peak_rss_gib_after_step"]) == set(STEPS)
    assert list(tmp_path.iterdir()) == []  # the scratch folder is removed


def test_bench_json_has_scale_machine_and_results(tmp_path, monkeypatch):
    def fake(name, scale, workdir, duckdb_settings):
        if name == "load":
            raise RuntimeError("no PostgreSQL here")
        detail = {"posts": 42} if name == "e2e" else {}
        return {key: result(key, 1.0, detail) for key in bench_main.KEYS[name]}

    monkeypatch.setattr(bench_main, "_measure", fake)
    output = tmp_path / "bench.json"
    report = bench_main.run(TINY, output, progress=lambda text: None)
    written = json.loads(output.read_text())
    assert written == json.loads(json.dumps(report, default=str))
    assert {"scale", "machine", "results"} <= set(written)
    assert written["scale"]["accounts"] == 6 and written["scale"]["days"] == 3
    assert written["scale"]["posts"] == 42
    assert {"cores", "memory"} <= set(written["machine"])
    assert set(written["results"]) == set(TARGETS)
    for entry in written["results"].values():
        assert set(entry) == RESULT_KEYS
    failed = written["results"]["load_vs_copy"]
    assert failed["value"] is None and failed["met"] is False
    assert "no PostgreSQL here" in failed["detail"]["error"]
    printed = bench_main.table(report)
    for key in TARGETS:
        assert key in printed
