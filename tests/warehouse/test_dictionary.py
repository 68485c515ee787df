"""The BI contract (the marts): the committed data dictionary is the generator's output, and a
built warehouse carries every description of sql/models/marts/*.yml as table and column
comments, on PostgreSQL and on DuckDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from core_rows import add_small_organisation

from socialmetrics.paths import MODELS_DIR
from socialmetrics.warehouse.dictionary import (
    DICTIONARY_PATH,
    comment_mismatches,
    database_comments,
    main,
    mart_descriptions,
    render_dictionary,
)
from socialmetrics.warehouse.models import run_models


def _build_every_mart(engine) -> None:
    """Build the marts as a pipeline run does: the SQL models, then the statistical marts."""
    run_models(engine)
    try:
        from socialmetrics.warehouse.stat_marts import build_stat_marts
    except ModuleNotFoundError:  # a tree without the statistical marts
        return
    build_stat_marts(engine, n_resamples=50)


def test_committed_dictionary_is_the_generator_output():
    expected = render_dictionary(mart_descriptions())
    assert DICTIONARY_PATH.read_text(encoding="utf-8") == expected, (
        "docs/data_dictionary.md is out of date: run "
        "`python -m socialmetrics.warehouse.dictionary` (make dictionary) and commit it"
    )


def test_dictionary_lists_every_mart_and_column():
    descriptions = mart_descriptions()
    names = sorted(path.stem for path in (MODELS_DIR / "marts").glob("*.yml"))
    assert [description.name for description in descriptions] == names
    text = render_dictionary(descriptions)
    for description in descriptions:
        assert f"## marts.{description.name}\n" in text
        assert f"**Grain:** {' '.join(description.grain.split())}" in text
        for column in description.columns:
            assert f"| `{column.name}` | " in text


def test_dictionary_cells_escape_pipes_and_fold_lines(tmp_path):
    folder = tmp_path / "marts"
    folder.mkdir()
    (folder / "odd.yml").write_text(
        "name: odd\n"
        "grain: one row per a | b\n"
        "description: Odd.\n"
        "columns:\n"
        "  - name: n\n"
        "    description: |\n"
        "      first line\n"
        "      a | b\n"
        "    checks: [not_null, {accepted_values: [1, 2]}]\n"
        "checks:\n"
        "  - expression_is_true: 'n > 0'\n",
        encoding="utf-8",
    )
    text = render_dictionary(mart_descriptions(tmp_path))
    assert "| `n` | first line a \\| b | `not_null`, `accepted_values`: `1`, `2` |" in text
    assert "- `expression_is_true`: `n > 0`" in text


def test_check_mode_reports_an_out_of_date_file(tmp_path, capsys):
    stale = tmp_path / "data_dictionary.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--output", str(stale)]) == 0
    assert main(["--check", "--output", str(stale)]) == 0


def test_every_mart_table_and_column_carries_its_description(warehouse):
    add_small_organisation(warehouse)
    _build_every_mart(warehouse)
    assert comment_mismatches(warehouse) == []
    comments = database_comments(warehouse)
    descriptions = {description.name: description for description in mart_descriptions()}
    assert sorted(comments) == sorted(descriptions)
    for name, table in comments.items():
        description = descriptions[name]
        assert table.comment and table.comment == description.table_comment
        assert table.columns == {column.name: column.description for column in description.columns}
        assert all(table.columns.values())


def test_mismatches_name_the_table_and_column(warehouse):
    add_small_organisation(warehouse)
    run_models(warehouse)
    with warehouse.begin() as conn:
        conn.exec_driver_sql("comment on column marts.dormant_accounts.as_of is 'stale'")
        conn.exec_driver_sql("create table marts.undocumented (n integer)")
    problems = comment_mismatches(warehouse)
    assert "marts.dormant_accounts.as_of: comment is 'stale'" in problems
    assert "marts.undocumented: in the warehouse but has no description file" in problems


def test_comments_of_another_engine_are_refused():
    with pytest.raises(ValueError, match="no comments reader"):
        database_comments(sa.create_engine("sqlite://"))
