"""The model runner: dependency order, comments, checks and repeatable results."""

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from core_rows import (
    AS_OF,
    add_account,
    add_follower_sample,
    add_loaded_days,
    add_places,
    add_post,
    add_snapshot,
    days_before,
    fetch,
)

from socialmetrics.paths import MODELS_DIR
from socialmetrics.warehouse.model_checks import load_description
from socialmetrics.warehouse.models import (
    ModelCheckError,
    ModelDefinitionError,
    load_models,
    model_order,
    run_models,
)

MARTS = ["account_activity", "dormant_accounts", "engagement_daily", "follower_locality"]


def _write_model(models_dir: Path, qualified: str, sql: str, columns, checks=None) -> None:
    """Write ``schema/name.sql`` and its description; ``columns`` maps name -> column checks."""
    schema, name = qualified.split(".")
    folder = models_dir / schema
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
    description = {
        "name": name,
        "grain": "one row per test value",
        "description": f"Test model {qualified}, 100% made up.",
        "columns": [
            {"name": column, "description": f"The {column} column.", "checks": column_checks}
            for column, column_checks in columns.items()
        ],
    }
    if checks:
        description["checks"] = checks
    (folder / f"{name}.yml").write_text(yaml.safe_dump(description), encoding="utf-8")


def _chain(models_dir: Path) -> None:
    # Alphabetical order would build marts.a_report first, before what it reads.
    _write_model(models_dir, "core.int_numbers", "select 1 as n union all select 2 as n", {"n": []})
    _write_model(
        models_dir,
        "marts.z_base",
        "with\n\nnumbers as (\n\n    select * from core.int_numbers\n\n)\n\nselect * from numbers",
        {"n": ["not_null"]},
    )
    _write_model(
        models_dir,
        "marts.a_report",
        "-- reads marts.z_base; 'marts.not_a_model' in a string is no dependency\n"
        "select n * 10 as n, 'marts.not_a_model' as label from marts.z_base;\n",
        {"n": [], "label": []},
    )


def test_models_run_in_dependency_order(warehouse, tmp_path):
    _chain(tmp_path)
    models = load_models(tmp_path)
    assert [model.qualified_name for model in model_order(models)] == [
        "core.int_numbers",
        "marts.z_base",
        "marts.a_report",
    ]
    assert models["marts.a_report"].depends_on == {"marts.z_base"}
    assert run_models(warehouse, tmp_path) == {
        "core.int_numbers": 2,
        "marts.z_base": 2,
        "marts.a_report": 2,
    }
    assert sorted(row["n"] for row in fetch(warehouse, "select n from marts.a_report")) == [10, 20]


def test_project_models_read_their_upstream_models():
    models = load_models(MODELS_DIR)
    assert set(models) == {
        "core.int_post_daily",
        "core.int_organisation_daily",
        "core.int_consolidation_window",
    } | {f"marts.{name}" for name in MARTS}
    assert models["marts.dormant_accounts"].depends_on == {"marts.account_activity"}
    assert models["marts.engagement_daily"].depends_on == {
        "marts.account_activity",
        "core.int_post_daily",
    }


def test_dependency_cycle_is_rejected(tmp_path):
    _write_model(tmp_path, "marts.chicken", "select n from marts.egg", {"n": []})
    _write_model(tmp_path, "marts.egg", "select n from marts.chicken", {"n": []})
    with pytest.raises(ModelDefinitionError, match="cycle"):
        model_order(load_models(tmp_path))


def test_model_outside_marts_must_be_named_int(tmp_path):
    _write_model(tmp_path, "core.account", "select 1 as n", {"n": []})
    with pytest.raises(ModelDefinitionError, match="int_"):
        load_models(tmp_path)


def test_model_without_description_file_is_rejected(tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "bare.sql").write_text("select 1 as n")
    with pytest.raises(ModelDefinitionError, match="bare.yml is missing"):
        load_models(tmp_path)


def test_comments_come_from_the_description_files(warehouse):
    run_models(warehouse)
    for name in MARTS:
        description = load_description(MODELS_DIR / "marts" / f"{name}.yml")
        with warehouse.connect() as conn:
            if warehouse.dialect.name == "duckdb":
                table_comment = conn.execute(
                    sa.text(
                        "select comment from duckdb_tables() "
                        "where schema_name = 'marts' and table_name = :t"
                    ),
                    {"t": name},
                ).scalar_one()
                column_comments = dict(
                    conn.execute(
                        sa.text(
                            "select column_name, comment from duckdb_columns() "
                            "where schema_name = 'marts' and table_name = :t"
                        ),
                        {"t": name},
                    ).all()
                )
            else:
                table_comment = conn.execute(
                    sa.text("select obj_description(cast(:t as regclass), 'pg_class')"),
                    {"t": f"marts.{name}"},
                ).scalar_one()
                column_comments = dict(
                    conn.execute(
                        sa.text(
                            "select attname, col_description(attrelid, attnum) from pg_attribute "
                            "where attrelid = cast(:t as regclass) and attnum > 0 "
                            "and not attisdropped"
                        ),
                        {"t": f"marts.{name}"},
                    ).all()
                )
        assert table_comment == description.table_comment
        assert column_comments == {c.name: c.description for c in description.columns}


def test_failing_check_raises_model_check_error_naming_the_check(warehouse, tmp_path):
    _write_model(
        tmp_path,
        "marts.shaky",
        "select cast(null as integer) as n, 'maybe' as answer "
        "union all select 1 as n, 'yes' as answer",
        {"n": ["not_null"], "answer": [{"accepted_values": ["yes", "no"]}]},
        checks=[{"unique": ["answer"]}],
    )
    with pytest.raises(ModelCheckError) as raised:
        run_models(warehouse, tmp_path, run_id="run-1")
    message = str(raised.value)
    assert "marts.shaky: not_null(n): 1 failing row(s)" in message
    assert "marts.shaky: accepted_values(answer): 1 failing row(s)" in message
    assert [failure.check for failure in raised.value.failures] == [
        "not_null(n)",
        "accepted_values(answer)",
    ]
    recorded = fetch(
        warehouse,
        "select check_name, success, failing_rows from ops.model_check_result "
        "where run_id = 'run-1' order by check_name",
    )
    assert recorded == [
        {"check_name": "accepted_values(answer)", "success": False, "failing_rows": 1},
        {"check_name": "columns_described", "success": True, "failing_rows": 0},
        {"check_name": "not_null(n)", "success": False, "failing_rows": 1},
        {"check_name": "unique(answer)", "success": True, "failing_rows": 0},
    ]


def test_failed_model_keeps_its_previous_contents_and_skips_its_readers(warehouse, tmp_path):
    _chain(tmp_path)
    run_models(warehouse, tmp_path)
    (tmp_path / "marts" / "z_base.sql").write_text("select cast(null as integer) as n")
    with pytest.raises(ModelCheckError) as raised:
        run_models(warehouse, tmp_path)
    assert raised.value.skipped == ["marts.a_report"]
    assert raised.value.row_counts == {"core.int_numbers": 2}
    assert sorted(row["n"] for row in fetch(warehouse, "select n from marts.z_base")) == [1, 2]


def test_undescribed_column_fails_the_columns_described_check(warehouse, tmp_path):
    _write_model(tmp_path, "marts.sloppy", "select 1 as n, 2 as extra", {"n": [], "gone": []})
    with pytest.raises(ModelCheckError) as raised:
        run_models(warehouse, tmp_path)
    (failure,) = raised.value.failures
    assert failure.check == "columns_described"
    assert failure.detail == (
        "not described in the yml: extra; described but not in the table: gone"
    )


def test_check_results_are_recorded_again_when_a_run_is_retried(warehouse, tmp_path):
    _chain(tmp_path)
    run_models(warehouse, tmp_path, run_id="retried")
    run_models(warehouse, tmp_path, run_id="retried")
    recorded = fetch(
        warehouse,
        "select model, check_name, success from ops.model_check_result "
        "where run_id = 'retried' order by model, check_name",
    )
    assert recorded == [
        {"model": "core.int_numbers", "check_name": "columns_described", "success": True},
        {"model": "marts.a_report", "check_name": "columns_described", "success": True},
        {"model": "marts.z_base", "check_name": "columns_described", "success": True},
        {"model": "marts.z_base", "check_name": "not_null(n)", "success": True},
    ]


def test_rerun_gives_identical_tables(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, days_before(1), AS_OF)
        add_places(conn, "Norfolk", ["Norwich", "Cromer"])
        for n, kind in enumerate(["force", "district", "district", "officer"]):
            key = add_account(conn, f"account{n}", kind=kind, opened_on=days_before(90 + n))
            add_snapshot(conn, key, days_before(60), 1000 * (n + 1))
            add_snapshot(conn, key, days_before(3), 1000 * (n + 1) + 7)
            for day in range(n, 80, 7 + 5 * n):
                add_post(conn, key, days_before(day), likes=day % 11, impressions=100 + day)
            add_follower_sample(conn, key, days_before(3), ["Norwich", "London", "", "Cromer"][n:])
        add_account(conn, "silent", opened_on=days_before(40))
    first = run_models(warehouse)
    contents = {name: _sorted_rows(warehouse, name) for name in first}
    second = run_models(warehouse)
    assert second == first
    assert all(first[f"marts.{name}"] > 0 for name in MARTS)
    assert {name: _sorted_rows(warehouse, name) for name in second} == contents


def _sorted_rows(engine, table):
    with engine.connect() as conn:
        return sorted(
            (tuple(row) for row in conn.exec_driver_sql(f"select * from {table}")), key=repr
        )
