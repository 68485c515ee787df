"""The dormancy edge cases of int_account_activity, as dbt unit tests (transform/models/
intermediate/_intermediate.yml), pass on both warehouses; the daily build leaves them out,
as dbt advises for production runs."""

from __future__ import annotations

from socialmetrics.transform.dbt_run import build_models, engine_url, release_vars, run_dbt

UNIT_TESTS = {
    "dormant_from_the_day_after_the_threshold",
    "never_posted_dormant_once_open_past_the_threshold",
    "closed_accounts_are_never_dormant",
}


def test_the_dormancy_unit_tests_pass(warehouse):
    built = build_models(warehouse, "marts_blue")
    assert not [node for node in built if node.unique_id.startswith("unit_test.")]
    results = run_dbt(
        engine_url(warehouse),
        ["test", "--select", "test_type:unit"],
        dbt_vars=release_vars("marts_blue"),
    )
    assert {node.unique_id.rsplit(".", 1)[1] for node in results} == UNIT_TESTS
    assert {node.status for node in results} == {"pass"}
