"""The dbt project as BI relies on it: every mart has an enforced contract with a type and a
description for each column, the statistical marts are declared with the columns Python
writes, and the lineage reaches them."""

from __future__ import annotations

import json

import pytest

from socialmetrics.paths import TRANSFORM_DIR
from socialmetrics.transform.marts import declared_marts
from socialmetrics.warehouse import pooled_mart
from socialmetrics.warehouse.consolidation_impact_mart import CONSOLIDATION_IMPACT_COLUMNS
from socialmetrics.warehouse.stat_marts import ACCOUNTS_VS_ENGAGEMENT_COLUMNS

# One pytest-xdist worker runs every test here, so the module's parse of the project is made once.
pytestmark = pytest.mark.xdist_group("dbt-project")

PYTHON_COLUMNS = {
    "consolidation_impact": CONSOLIDATION_IMPACT_COLUMNS,
    "consolidation_effect_pooled": pooled_mart.COLUMNS,
    "accounts_vs_engagement": ACCOUNTS_VS_ENGAGEMENT_COLUMNS,
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    from socialmetrics.transform.dbt_run import run_dbt

    target = tmp_path_factory.mktemp("dbt-target")
    run_dbt("duckdb:///:memory:", ["parse"], target=target)
    return json.loads((target / "manifest.json").read_text())


def _models(manifest, folder):
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(folder)
    }


def test_every_model_has_an_enforced_contract_with_typed_described_columns(manifest):
    models = _models(manifest, "models/")
    assert len(models) == 9
    for name, node in models.items():
        assert node["config"]["contract"]["enforced"], name
        assert node["columns"], name
        for column in node["columns"].values():
            assert column["data_type"], (name, column["name"])
            assert column["description"], (name, column["name"])


def test_marts_write_their_descriptions_as_comments(manifest):
    for name, node in _models(manifest, "models/marts/").items():
        assert node["config"]["persist_docs"] == {"relation": True, "columns": True}, name


def test_the_statistical_marts_are_sources_with_the_columns_python_writes(manifest):
    sources = {
        node["name"]: node
        for node in manifest["sources"].values()
        if node["source_name"] == "stat_marts"
    }
    assert set(sources) == set(PYTHON_COLUMNS)
    for name, columns in PYTHON_COLUMNS.items():
        declared = [(c["name"], c["data_type"]) for c in sources[name]["columns"].values()]
        assert declared == list(columns), name


def test_the_publish_declares_every_model_and_statistical_mart(manifest):
    published = {mart.name: mart.built_by for mart in declared_marts()}
    marts = set(_models(manifest, "models/marts/"))
    assert published == {**dict.fromkeys(marts, "dbt"), **dict.fromkeys(PYTHON_COLUMNS, "python")}


def test_no_intermediate_model_reads_a_mart(manifest):
    marts = {node["unique_id"] for node in _models(manifest, "models/marts/").values()}
    for name, node in _models(manifest, "models/intermediate/").items():
        assert not set(node["depends_on"]["nodes"]) & marts, name


def test_models_read_core_through_sources_that_declare_freshness(manifest):
    core = [node for node in manifest["sources"].values() if node["source_name"] == "core"]
    assert core
    fresh = [n["name"] for n in core if n["freshness"] and n["freshness"]["error_after"]["count"]]
    assert fresh == ["account_read"]
    assert (TRANSFORM_DIR / "models" / "sources.yml").exists()
