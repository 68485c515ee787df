"""The expectation suites, one per staging entity, with the reason a failing row is told.

Each expectation is paired with a plain-language reason: it is what a quarantined row
carries, so someone reading ``quarantine.rejected_row`` knows what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import great_expectations.expectations as gxe

from socialmetrics.rows import POST_KINDS, READ, UNREACHABLE
from socialmetrics.validation.expectations import ExpectColumnValuesToBeWithinBounds


@dataclass(frozen=True)
class Check:
    """One expectation and the reason given to the rows that fail it."""

    expectation: gxe.Expectation
    reason: str

    @property
    def name(self) -> str:
        config = self.expectation.configuration
        kwargs = config.kwargs
        target = kwargs.get("column") or "+".join(kwargs.get("column_list") or [])
        return f"{config.type}({target})"


def _not_null(column: str, what: str) -> Check:
    return Check(
        gxe.ExpectColumnValuesToNotBeNull(column=column),
        f"{column}: {what} is missing or not of the expected type",
    )


def _non_negative(column: str) -> Check:
    return Check(
        ExpectColumnValuesToBeWithinBounds(column=column, min_value=0),
        f"{column}: a count cannot be negative",
    )


def suite_for(entity: str, window_end: datetime, source: str = "api") -> list[Check]:
    """The checks of one staging entity; ``window_end`` bounds dates (nothing from the future).

    ``source`` ``export``: rows read from the platforms' analytics exports, which do not
    tell everything an API answer does. There a post may have only its publish day (X's
    content export: ``published_at`` null, ``published_on`` required) and no quote count
    (X's exports), and a follower count comes without the platform's user id. Cells the
    parser could not read never get here (they are quarantined by the parser).
    """
    try:
        checks_of = _CHECKS_OF_ENTITY[entity]
    except KeyError:
        raise KeyError(f"no suite for entity {entity!r}") from None
    return checks_of(window_end, source == "export")


def _account_snapshot_checks(window_end: datetime, exports: bool) -> list[Check]:
    return [
        _not_null("account_key", "the account"),
        *([] if exports else [_not_null("platform_user_id", "the platform's user id")]),
        _not_null("followers_count", "followers_count (an integer)"),
        *(
            _non_negative(c)
            for c in ("followers_count", "following_count", "post_count", "listed_count")
        ),
        _not_null("snapshot_date", "the date (YYYY-MM-DD)"),
        Check(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["account_key", "snapshot_date"]),
            "account_key: the same account was answered twice for one day with different values",
        ),
    ]


def _post_checks(window_end: datetime, exports: bool) -> list[Check]:
    counts = ("likes", "replies", "reposts", "quotes")
    required = counts[:3] if exports else counts
    return [
        _not_null("post_id", "the post id (a string of digits)"),
        _not_null("published_on", "the publish date")
        if exports
        else _not_null("published_at", "created_at (an RFC 3339 timestamp)"),
        *(_not_null(c, f"{c} (an integer)") for c in required),
        *(_non_negative(c) for c in (*counts, "bookmarks", "impressions")),
        Check(
            ExpectColumnValuesToBeWithinBounds(
                column="published_at", max_value=window_end, strict_max=True
            ),
            f"published_at: a post dated after the run's window ({window_end:%Y-%m-%d %H:%M}) "
            "is from the future",
        ),
        Check(
            gxe.ExpectColumnValuesToBeInSet(column="post_kind", value_set=list(POST_KINDS)),
            f"post_kind: a post is one of {', '.join(POST_KINDS)}",
        ),
        Check(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["account_key", "post_id"]),
            "post_id: the same post id came twice with different values",
        ),
    ]


def _follower_sample_checks(window_end: datetime, exports: bool) -> list[Check]:
    return [
        _not_null("account_key", "the account"),
        Check(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["account_key", "position"]),
            "position: two sampled followers share a position",
        ),
    ]


def _follower_breakdown_checks(window_end: datetime, exports: bool) -> list[Check]:
    return [
        _not_null("account_key", "the account"),
        _not_null("snapshot_date", "the date (YYYY-MM-DD)"),
        _not_null("followers", "followers (an integer)"),
        _non_negative("followers"),
        Check(
            gxe.ExpectColumnValuesToBeInSet(
                column="source", value_set=["api_breakdown", "csv_export"]
            ),
            "source: unknown source of a follower breakdown",
        ),
    ]


def _follower_change_checks(window_end: datetime, exports: bool) -> list[Check]:
    return [
        _not_null("account_key", "the account"),
        _not_null("day", "the day"),
        _non_negative("new_follows"),
        _non_negative("unfollows"),
        Check(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["account_key", "day"]),
            "day: the same account came twice for one day with different values",
        ),
    ]


def _insight_daily_checks(window_end: datetime, exports: bool) -> list[Check]:
    return [
        _not_null("account_key", "the account"),
        _not_null("metric", "the metric name"),
        _not_null("day", "the day (end_time of the value)"),
        _not_null("value", "value (an integer)"),
        Check(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["account_key", "metric", "period", "day"]
            ),
            "day: the same metric came twice for one day with different values",
        ),
    ]


def _account_read_checks(window_end: datetime, exports: bool) -> list[Check]:
    return [
        _not_null("account_key", "the account"),
        _not_null("covered_from", "the first day read"),
        Check(
            gxe.ExpectColumnValuesToBeInSet(column="outcome", value_set=[READ, UNREACHABLE]),
            f"outcome: an account read is {READ} or {UNREACHABLE}",
        ),
        Check(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["account_key", "run_day"]),
            "account_key: one read per account and run",
        ),
    ]


_CHECKS_OF_ENTITY = {
    "account_snapshot": _account_snapshot_checks,
    "post": _post_checks,
    "follower_sample": _follower_sample_checks,
    "follower_breakdown": _follower_breakdown_checks,
    "follower_change": _follower_change_checks,
    "insight_daily": _insight_daily_checks,
    "account_read": _account_read_checks,
}
