"""X answers parsed into staging rows: what kind of post each is, a repost's borrowed counts
left out, snapshots and samples dated by the day X answered, renames told."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from socialmetrics.platforms.x.parse import parse_x_landing, post_kind
from socialmetrics.window import RunWindow

WINDOW = RunWindow.of("scheduled__2026-03-31", datetime(2026, 3, 31), datetime(2026, 4, 1))
FETCHED = "2026-04-01T00:05:00+00:00"


def tweet(post_id: str, text: str = "Patrols today", references=None) -> dict:
    post = {
        "id": post_id,
        "text": text,
        "created_at": "2026-03-31T09:00:00.000Z",
        "public_metrics": {
            "like_count": 40,
            "reply_count": 2,
            "retweet_count": 7,
            "quote_count": 1,
            "bookmark_count": 3,
            "impression_count": 900,
        },
    }
    if references:
        post["referenced_tweets"] = [{"type": kind, "id": "1"} for kind in references]
    return post


def answer(kind: str, body: dict, **context) -> dict:
    return {
        "status": 200,
        "endpoint": "/2/users/:id/tweets",
        "fetched_at": FETCHED,
        "context": {"kind": kind, **context},
        "body": json.dumps(body),
    }


@pytest.mark.parametrize(
    ("references", "text", "kind"),
    [
        (None, "Patrols today", "original"),
        (["replied_to"], "@someone thanks", "reply"),
        (["quoted"], "Worth a read", "quote"),
        (["retweeted"], "RT @NPCCnews: appeal", "repost"),
        (["replied_to", "quoted"], "@someone see this", "reply"),
        (None, "RT @NPCCnews: asked without referenced_tweets", "repost"),
    ],
)
def test_every_post_is_told_by_kind(references, text, kind):
    assert post_kind(tweet("1", text, references)) == kind


def test_a_repost_keeps_none_of_the_original_posts_counts():
    records = [
        answer(
            "posts",
            {"data": [tweet("5", "RT @a: b", ["retweeted"]), tweet("6")], "meta": {}},
            account_key="x:shirepolice",
        )
    ]
    posts = parse_x_landing(records, WINDOW).frames["post"].set_index("post_id")
    assert tuple(posts.loc["5", ["post_kind", "likes", "engagement"]]) == ("repost", 0, 0)
    assert pd.isna(posts.loc["5", "impressions"])
    assert tuple(posts.loc["6", ["post_kind", "engagement"]]) == ("original", 50)


def lookup(users: list[dict], *, by: str = "usernames", refs=None) -> dict:
    accounts = {(u["id"] if by == "ids" else u["username"]).lower(): "x:shirepolice" for u in users}
    return {
        "status": 200,
        "endpoint": "/2/users",
        "fetched_at": FETCHED,
        "context": {
            "kind": "lookup",
            "by": by,
            "accounts": accounts,
            "refs": refs or {},
            "since": {"x:shirepolice": "2026-03-24T00:00:00"},
        },
        "body": json.dumps({"data": users}),
    }


USER = {"id": "11", "username": "ShirePolice", "public_metrics": {"followers_count": 5}}


def test_a_snapshot_is_dated_by_the_day_x_answered_not_the_runs_day():
    parsed = parse_x_landing([lookup([USER])], WINDOW)
    assert list(parsed.frames["account_snapshot"]["snapshot_date"]) == [date(2026, 4, 1)]


def test_a_backfill_run_months_later_dates_its_snapshot_that_day():
    late = {**lookup([USER]), "fetched_at": "2026-06-15T10:00:00+00:00"}
    parsed = parse_x_landing([late], WINDOW)
    assert list(parsed.frames["account_snapshot"]["snapshot_date"]) == [date(2026, 6, 15)]


def test_a_follower_sample_is_dated_by_its_first_page():
    pages = [
        answer("followers", {"data": [{"id": "1", "location": "Shireton"}]}, account_key="x:a"),
        {
            **answer("followers", {"data": [{"id": "2"}]}, account_key="x:a"),
            "fetched_at": "2026-04-02T00:00:01+00:00",
        },
    ]
    frame = parse_x_landing(pages, WINDOW).frames["follower_sample"]
    assert list(frame["sample_date"]) == [date(2026, 4, 1)] * 2
    assert list(frame["position"]) == [0, 1]


def test_a_renamed_handle_keeps_the_account_and_says_what_to_change():
    renamed = {**USER, "username": "ShirePoliceUK"}
    parsed = parse_x_landing(
        [lookup([renamed], by="ids", refs={"x:shirepolice": "ShirePolice"})], WINDOW
    )
    snapshot = parsed.frames["account_snapshot"].iloc[0]
    assert (snapshot["account_key"], snapshot["username"]) == ("x:shirepolice", "ShirePoliceUK")
    (issue,) = parsed.issues
    assert issue["issue"] == "renamed" and "ShirePoliceUK" in issue["detail"]
    read = parsed.frames["account_read"].iloc[0]
    assert read["outcome"] == "read"


def test_an_account_the_extract_gave_up_on_is_an_unreachable_read():
    parsed = parse_x_landing(
        [lookup([USER])], WINDOW, {"failures": {"x:shirepolice": "failed after 6 attempts"}}
    )
    read = parsed.frames["account_read"].iloc[0]
    assert (read["outcome"], read["reason"]) == ("unreachable", "not read")
    assert read["covered_from"] == date(2026, 3, 24) and read["covered_to"] == WINDOW.day
