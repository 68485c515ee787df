"""Graph API answers landed by extract_meta_batch (real HTTP against the sandbox, through
LandingWriter) parsed into staging frames: snapshots, posts, follower breakdowns, issues."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from sandbox import SandboxServer, default_scenario
from socialmetrics.landing import LandingWriter, read_landing
from socialmetrics.platforms.meta.client import MetaGraphClient
from socialmetrics.platforms.meta.extract import MetaCredentials, extract_meta_batch
from socialmetrics.platforms.meta.parse import FOLLOWER_BREAKDOWN_COLUMNS, parse_meta_landing
from socialmetrics.rows import POST_COLUMNS, SNAPSHOT_COLUMNS
from socialmetrics.text import place_key
from socialmetrics.window import RunWindow

TOKEN = "meta-parse-token"
DAY = date(2026, 3, 31)
FETCHED = date(2026, 4, 1)  # the scheduled run for DAY asks Graph just after DAY ends
WINDOW = RunWindow.of("scheduled__2026-03-31", datetime(2026, 3, 31), datetime(2026, 4, 1))
DEMO_REGISTRY = Path(__file__).resolve().parents[3] / "registry" / "demo"
MISSING = "facebook:1234567890"


@pytest.fixture(scope="module")
def scenario():
    return default_scenario()


@pytest.fixture(scope="module")
def sandbox(scenario):
    with SandboxServer(scenario, token=TOKEN) as server:
        server.clock.run_of(DAY)
        yield server


@pytest.fixture(scope="module")
def page(scenario):
    return scenario.accounts_on("facebook")[0]


@pytest.fixture(scope="module")
def ig(scenario):
    return scenario.accounts_on("instagram")[0]


def account(a, since: str, sample: bool = True) -> dict:
    return {
        "account_key": f"{a.platform}:{a.user_id}",
        "account_ref": a.user_id,
        "platform": a.platform,
        "since": since,
        "history": True,
        "sample_followers": sample,
    }


@pytest.fixture(scope="module")
def extracted(sandbox, page, ig, tmp_path_factory):
    """One batch, first run: the page and the account from their opening, plus a page id
    the API does not know."""
    landing = tmp_path_factory.mktemp("landing") / "meta-00.jsonl"
    missing = {**account(page, "2026-03-01T00:00:00"), "account_key": MISSING}
    missing["account_ref"] = MISSING.split(":")[1]
    batch = {
        "batch": "meta-00",
        "connector": "meta",
        "accounts": [
            account(page, page.opened_on.isoformat() + "T00:00:00"),
            account(ig, ig.opened_on.isoformat() + "T00:00:00"),
            missing,
        ],
    }
    credentials = MetaCredentials(sandbox.graph_url(), TOKEN)
    summary = extract_meta_batch(batch, WINDOW, credentials, landing, today=lambda: DAY)
    return summary, list(read_landing(landing))


@pytest.fixture(scope="module")
def parsed(extracted):
    return parse_meta_landing(extracted[1], WINDOW)


def land(path: Path, sandbox, context: dict, call) -> list[dict]:
    """Land what ``call(client)`` asks for, in ``context``, and read it back."""
    with LandingWriter(path) as landing:
        landing.context = context
        with MetaGraphClient(sandbox.graph_url(), TOKEN, on_response=landing) as client:
            call(client)
    return list(read_landing(path))


def norfolk_places() -> list[str]:
    with (DEMO_REGISTRY / "gazetteer.csv").open(encoding="utf-8", newline="") as handle:
        return [place_key(r["place"]) for r in csv.DictReader(handle) if r["area"] == "Norfolk"]


# -- extraction --------------------------------------------------------------------------------


def test_extraction_lands_every_answer_with_its_kind_and_account(extracted, page, ig):
    summary, records = extracted
    kinds = {(r["context"]["kind"], r["context"]["account_key"]) for r in records}
    fb, insta = f"facebook:{page.user_id}", f"instagram:{ig.user_id}"
    assert {(k, fb) for k in ("page", "posts", "insights", "follower_cities")} <= kinds
    assert {(k, insta) for k in ("ig_user", "media", "follower_cities")} <= kinds
    assert summary["missing_accounts"] == [MISSING] and summary["unavailable_metrics"] == {}


def test_landed_records_hold_no_token(extracted):
    assert all(TOKEN not in json.dumps(record) for record in extracted[1])


# -- account snapshots ---------------------------------------------------------------------


def test_snapshots_carry_followers_and_the_graph_ids(parsed, page, ig, sandbox, scenario):
    frame = parsed.frames["account_snapshot"]
    assert list(frame.columns) == SNAPSHOT_COLUMNS
    rows = frame.set_index("account_key")
    followers = scenario.followers_at(page, sandbox.clock.now())
    assert rows.loc[f"facebook:{page.user_id}", "followers_count"] == followers
    assert rows.loc[f"instagram:{ig.user_id}", "platform_user_id"] == ig.user_id


def test_snapshots_are_dated_by_the_day_graph_answered(parsed):
    assert set(parsed.frames["account_snapshot"]["snapshot_date"]) == {FETCHED}


def test_a_field_one_answer_lacks_leaves_only_that_cell_empty(parsed, page, ig):
    rows = parsed.frames["account_snapshot"].set_index("account_key")
    assert pd.isna(rows.loc[f"facebook:{page.user_id}", "following_count"])
    assert rows.loc[f"instagram:{ig.user_id}", "following_count"] > 0
    assert rows.loc[f"instagram:{ig.user_id}", "post_count"] > 0


# -- posts ----------------------------------------------------------------------------------


def counts_then(post, sandbox) -> tuple[int, int, int]:
    """(likes, replies, reposts) of a post as Graph showed them at the sandbox's moment."""
    metrics = post.public_metrics(sandbox.clock.now())
    return metrics["like_count"], metrics["reply_count"], metrics["retweet_count"]


def test_facebook_engagement_is_reactions_plus_comments_plus_shares(
    parsed, scenario, page, sandbox
):
    posts = parsed.frames["post"]
    assert list(posts.columns) == POST_COLUMNS
    mine = posts[posts["account_key"] == f"facebook:{page.user_id}"].set_index("post_id")
    start, end = datetime(2026, 3, 1), datetime(2026, 4, 1)
    for post in scenario.iter_posts(page, start=start.astimezone(), end=end.astimezone()):
        row = mine.loc[f"{page.user_id}_{post.id}"]
        likes, replies, shares = counts_then(post, sandbox)
        expected = (likes, replies, shares, 0, likes + replies + shares)
        assert tuple(row[["likes", "replies", "reposts", "quotes", "engagement"]]) == expected


def test_a_recent_post_has_the_counts_of_the_moment_it_was_read(parsed, scenario, page):
    newest = scenario.posts_on(page, DAY)[-1]
    row = parsed.frames["post"].set_index("post_id").loc[f"{page.user_id}_{newest.id}"]
    assert 0 < row["engagement"] < newest.engagement


def test_facebook_posts_nobody_shared_count_zero_reposts(parsed, extracted, page):
    unshared = [
        item["id"]
        for r in extracted[1]
        if r["context"]["kind"] == "posts" and r["status"] == 200
        for item in json.loads(r["body"])["data"]
        if "shares" not in item
    ]
    posts = parsed.frames["post"].set_index("post_id")
    assert unshared and (posts.loc[unshared, "reposts"] == 0).all()


def test_instagram_engagement_is_likes_plus_comments(parsed, scenario, ig, sandbox):
    posts = parsed.frames["post"]
    mine = posts[posts["account_key"] == f"instagram:{ig.user_id}"]
    expected = list(scenario.iter_posts(ig, end=datetime(2026, 4, 1).astimezone()))
    assert len(mine) == len(expected)
    assert int(mine["engagement"].sum()) == sum(sum(counts_then(p, sandbox)) for p in expected)
    assert (mine["reposts"] == 0).all() and (mine["quotes"] == 0).all()


def test_post_times_are_utc_and_give_the_publish_day(parsed, scenario, page):
    posts = parsed.frames["post"]
    post = scenario.posts_on(page, date(2026, 3, 30))[0]
    row = posts.set_index("post_id").loc[f"{page.user_id}_{post.id}"]
    assert row["published_at"] == pd.Timestamp(post.created_at.replace(tzinfo=None))
    assert row["published_on"] == date(2026, 3, 30)


# -- follower breakdowns -------------------------------------------------------------------


def test_breakdown_lists_45_cities_and_the_unknown_remainder(parsed, page, ig):
    frame = parsed.frames["follower_breakdown"]
    assert list(frame.columns) == FOLLOWER_BREAKDOWN_COLUMNS
    for account_, listed in ((page, 50_450), (ig, 10_900)):
        rows = frame[frame["account_key"] == f"{account_.platform}:{account_.user_id}"]
        remainder = rows[rows["place"].isna()]
        assert len(rows) == 46 and len(remainder) == 1
        assert remainder["place_key"].iloc[0] == ""
        snapshot = parsed.frames["account_snapshot"].set_index("account_key")
        total = snapshot.loc[f"{account_.platform}:{account_.user_id}", "followers_count"]
        assert int(remainder["followers"].iloc[0]) == total - listed
        assert int(rows["followers"].sum()) == total
    assert set(frame["source"]) == {"api_breakdown"} and set(frame["snapshot_date"]) == {FETCHED}


def test_breakdown_gives_the_planted_share_in_area(parsed, page, ig):
    frame = parsed.frames["follower_breakdown"]
    places = norfolk_places()
    named = frame[frame["place"].notna()]
    inside = named[named["place_key"].map(lambda k: any(f" {p} " in f" {k} " for p in places))]
    for account_, expected in ((page, (37_333, 50_450)), (ig, (6_322, 10_900))):
        key = f"{account_.platform}:{account_.user_id}"
        in_area = int(inside.loc[inside["account_key"] == key, "followers"].sum())
        known = int(named.loc[named["account_key"] == key, "followers"].sum())
        assert (in_area, known) == expected


def test_breakdown_without_a_follower_total_is_an_issue(tmp_path, sandbox, ig):
    key = f"instagram:{ig.user_id}"
    records = land(
        tmp_path / "l.jsonl",
        sandbox,
        {"kind": "follower_cities", "account_key": key},
        lambda client: client.ig_follower_cities(ig.user_id),
    )
    parsed = parse_meta_landing(records, WINDOW)
    assert len(parsed.frames["follower_breakdown"]) == 45  # no remainder row
    assert [i["issue"] for i in parsed.issues] == ["follower remainder unknown"]


# -- insights and issues ----------------------------------------------------------------------


def test_insight_rows_are_per_metric_and_day(parsed, scenario, page):
    frame = parsed.frames["insight_daily"]
    rows = frame[(frame["metric"] == "page_media_view") & (frame["day"] == date(2026, 3, 10))]
    offset = (date(2026, 3, 10) - scenario.start_date).days
    assert rows["value"].tolist() == [int(scenario.page_metrics(page)["views"][offset])]
    assert not frame.duplicated(["account_key", "metric", "day"]).any()


def test_a_retired_metric_becomes_an_issue_and_the_others_load(tmp_path, sandbox, page):
    key = f"facebook:{page.user_id}"
    records = land(
        tmp_path / "l.jsonl",
        sandbox,
        {"kind": "insights", "account_key": key},
        lambda client: client.page_insights(
            page.user_id, ["page_follows", "page_impressions"], date(2026, 3, 1), DAY
        ),
    )
    parsed = parse_meta_landing(records, WINDOW)
    assert set(parsed.frames["insight_daily"]["metric"]) == {"page_follows"}
    (issue,) = parsed.issues
    assert (issue["issue"], issue["account_ref"]) == ("metric unavailable", page.user_id)
    assert issue["detail"].startswith("page_impressions: (#100)")


def test_an_unknown_page_is_recorded_as_an_issue(parsed):
    (issue,) = [i for i in parsed.issues if i["account_ref"] == MISSING.split(":")[1]]
    assert issue["issue"] == "not found" and issue["platform"] == "facebook"


def test_failed_attempts_are_kept_in_raw_but_not_parsed(tmp_path, sandbox, page):
    key = f"facebook:{page.user_id}"
    sandbox.inject("500", f"/v24.0/{page.user_id}/posts")
    sandbox.inject("truncated", f"/v24.0/{page.user_id}/posts")
    since, until = datetime(2026, 3, 1), datetime(2026, 4, 1)
    records = land(
        tmp_path / "l.jsonl",
        sandbox,
        {"kind": "posts", "account_key": key},
        lambda client: client.page_posts(page.user_id, since, until),
    )
    parsed = parse_meta_landing(records, WINDOW)
    assert [r["status"] for r in records[:3]] == [500, 200, 200]
    assert parsed.frames["post"]["post_id"].is_unique
    assert len(parsed.frames["post"]) == sum(
        len(json.loads(r["body"])["data"]) for r in records[2:]
    )


def test_a_count_of_the_wrong_type_becomes_null(extracted, page):
    records = [dict(r) for r in extracted[1] if r["context"]["kind"] == "page"]
    body = json.loads(records[0]["body"])
    records[0]["body"] = json.dumps({**body, "followers_count": "61870"})
    frame = parse_meta_landing(records, WINDOW).frames["account_snapshot"]
    assert frame["followers_count"].isna().all()


def test_a_breakdown_is_dated_by_the_day_graph_answered_whatever_the_interval(extracted):
    window = RunWindow.of("manual", datetime(2026, 1, 1), datetime(2026, 2, 1))
    frame = parse_meta_landing(extracted[1], window).frames["follower_breakdown"]
    assert set(frame["snapshot_date"]) == {FETCHED}


def test_a_post_without_reactions_nulls_only_its_own_likes(extracted):
    records = [dict(r) for r in extracted[1] if r["context"]["kind"] == "posts"]
    body = json.loads(records[0]["body"])
    del body["data"][0]["reactions"]
    records[0]["body"] = json.dumps(body)
    frame = parse_meta_landing(records, WINDOW).frames["post"]
    assert frame["likes"].isna().sum() == 1
    assert frame["likes"].notna().sum() == len(frame) - 1
