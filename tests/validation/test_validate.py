"""Validation with GX: good rows pass, each bad row is quarantined with what it failed."""

import json
from datetime import datetime

import pandas as pd

from socialmetrics.platforms.x.parse import parse_x_landing
from socialmetrics.validation.validate import validate_frame
from socialmetrics.window import RunWindow

WINDOW = RunWindow.of("run-1", datetime(2026, 3, 31), datetime(2026, 4, 1))


def post(post_id="1001", created_at="2026-03-31T09:00:00.000Z", **metrics):
    public = {"like_count": 3, "reply_count": 1, "retweet_count": 2, "quote_count": 0}
    public.update(metrics)
    return {"id": post_id, "created_at": created_at, "text": "hi", "public_metrics": public}


def posts_frame(*posts) -> pd.DataFrame:
    record = {
        "status": 200,
        "endpoint": "/2/users/:id/tweets",
        "context": {"kind": "posts", "account_key": "x:norwichpolice"},
        "body": json.dumps({"data": list(posts), "meta": {}}),
    }
    return parse_x_landing([record], WINDOW).frames["post"]


def test_good_posts_are_accepted_with_engagement():
    outcome = validate_frame("post", posts_frame(post()), WINDOW.end)
    assert outcome.rejected.empty
    assert outcome.accepted["engagement"].tolist() == [6]


def test_negative_count_is_quarantined_with_its_reason():
    outcome = validate_frame("post", posts_frame(post(like_count=-5)), WINDOW.end)
    assert outcome.accepted.empty
    (reason,) = outcome.rejected["reason"]
    assert reason == "likes: a count cannot be negative"


def test_future_post_is_quarantined():
    outcome = validate_frame(
        "post", posts_frame(post(created_at="2026-05-01T00:00:00Z")), WINDOW.end
    )
    assert outcome.rejected["expectation"].tolist() == [
        "expect_column_values_to_be_within_bounds(published_at)"
    ]


def test_wrong_type_is_quarantined_as_missing_value():
    outcome = validate_frame("post", posts_frame(post(reply_count="many")), WINDOW.end)
    assert "replies: replies (an integer) is missing" in outcome.rejected["reason"].iloc[0]


def test_exact_duplicate_answers_collapse_and_conflicting_ones_are_quarantined():
    frame = posts_frame(post(), post(), post("2002"), post("2002", like_count=9))
    outcome = validate_frame("post", frame, WINDOW.end)
    assert outcome.duplicates == 1
    assert outcome.accepted["post_id"].tolist() == ["1001"]
    assert len(outcome.rejected) == 2


def test_quarantined_row_keeps_the_record_as_received():
    outcome = validate_frame("post", posts_frame(post(post_id="abc")), WINDOW.end)
    assert '"id": "abc"' in outcome.rejected["record"].iloc[0]


def test_every_expectation_reports_counts():
    outcome = validate_frame("post", posts_frame(post(), post("3", like_count=-1)), WINDOW.end)
    failed = {r["expectation"]: r["unexpected_count"] for r in outcome.results if not r["success"]}
    assert failed == {"expect_column_values_to_be_within_bounds(likes)": 1}
    assert all(r["element_count"] == 2 for r in outcome.results)


def test_post_without_bookmark_and_impression_counts_is_accepted():
    # Both are non-negative checks without a not-null check: a missing count is not negative.
    outcome = validate_frame("post", posts_frame(post()), WINDOW.end)
    assert outcome.accepted["bookmarks"].isna().all()
    assert outcome.rejected.empty
