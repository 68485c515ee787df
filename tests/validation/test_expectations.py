"""ExpectColumnValuesToBeWithinBounds, run by GX on pandas batches with staging dtypes."""

import itertools
from datetime import datetime, timedelta

import great_expectations as gx
import pandas as pd
import pytest

from socialmetrics.validation.expectations import ExpectColumnValuesToBeWithinBounds

BOUND = datetime(2026, 4, 1)
_names = itertools.count()


@pytest.fixture(scope="module")
def source():
    context = gx.get_context(mode="ephemeral")
    return context.data_sources.add_pandas("expectations-test")


def run(source, frame: pd.DataFrame, expectation, result_format: str = "SUMMARY"):
    """Validate ``frame`` with one expectation on a GX pandas batch; the result's dict."""
    asset = source.add_dataframe_asset(f"frame-{next(_names)}")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    outcome = batch.validate(expectation, result_format={"result_format": result_format})
    assert not outcome.exception_info.get("raised_exception"), outcome.exception_info
    return outcome


def counts(*values) -> pd.DataFrame:
    return pd.DataFrame({"likes": pd.array(values, dtype="Int64")})


def moments(*values) -> pd.DataFrame:
    return pd.DataFrame({"published_at": pd.Series(values, dtype="datetime64[us]")})


def test_a_negative_count_is_unexpected(source):
    outcome = run(
        source, counts(4, -1), ExpectColumnValuesToBeWithinBounds(column="likes", min_value=0)
    )
    assert not outcome.success
    assert outcome.result["unexpected_count"] == 1


def test_zero_is_within_a_minimum_of_zero(source):
    outcome = run(
        source, counts(0), ExpectColumnValuesToBeWithinBounds(column="likes", min_value=0)
    )
    assert outcome.success


def test_a_null_is_not_counted_as_unexpected(source):
    outcome = run(
        source, counts(3, None), ExpectColumnValuesToBeWithinBounds(column="likes", min_value=0)
    )
    assert outcome.success
    assert outcome.result["unexpected_count"] == 0
    assert outcome.result["missing_count"] == 1


def test_strict_max_excludes_the_bound_for_datetimes(source):
    frame = moments(BOUND, BOUND - timedelta(microseconds=1))
    expectation = ExpectColumnValuesToBeWithinBounds(
        column="published_at", max_value=BOUND, strict_max=True
    )
    outcome = run(source, frame, expectation, "COMPLETE")
    assert outcome.result["unexpected_index_list"] == [0]


def test_without_strict_max_the_datetime_bound_is_within(source):
    frame = moments(BOUND)
    outcome = run(
        source, frame, ExpectColumnValuesToBeWithinBounds(column="published_at", max_value=BOUND)
    )
    assert outcome.success


def test_complete_result_lists_the_index_of_every_unexpected_row(source):
    frame = counts(3, -1, 0, None, -7, 12)
    expectation = ExpectColumnValuesToBeWithinBounds(column="likes", min_value=0, max_value=10)
    outcome = run(source, frame, expectation, "COMPLETE")
    assert outcome.result["unexpected_index_list"] == [1, 4, 5]
    assert outcome.result["unexpected_list"] == [-1, -7, 12]


def test_a_bound_must_be_a_number_or_a_datetime():
    with pytest.raises(ValueError, match="a number or a datetime"):
        ExpectColumnValuesToBeWithinBounds(column="likes", min_value=True)


def test_at_least_one_bound_is_required():
    with pytest.raises(ValueError, match="cannot both be None"):
        ExpectColumnValuesToBeWithinBounds(column="likes")
