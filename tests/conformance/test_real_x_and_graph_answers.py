"""Conformance: every recorded real answer of the X API and the Graph API (``../shared/
real-samples``, written by other people, see its README) goes through the real clients, over
a local replay server, and through the staging parsers; what comes out is checked.

The folder is read where it lies (never copied into the repository). Without it these tests
skip, and under CI=true they fail.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.replay import Recorded, ReplayServer
from socialmetrics.landing import LandingWriter, read_landing
from socialmetrics.paths import PROJECT_DIR
from socialmetrics.platforms.meta.client import MetaGraphClient
from socialmetrics.platforms.meta.errors import MetaApiError, MetaAuthError, MetaThrottled
from socialmetrics.platforms.meta.extract import _refuses_an_optional_edge
from socialmetrics.platforms.meta.parse import parse_meta_landing
from socialmetrics.platforms.x.client import XClient
from socialmetrics.platforms.x.errors import XConnectionError, XResourceError
from socialmetrics.platforms.x.parse import parse_x_landing
from socialmetrics.text import place_key
from socialmetrics.validation.validate import validate_frame
from socialmetrics.window import RunWindow

SAMPLES = PROJECT_DIR.parent / "shared" / "real-samples"
TOKEN = "replay-token"
WINDOW = RunWindow.of("conformance", datetime(2026, 3, 31), datetime(2026, 4, 1))
EMPTY_PAGE = Recorded(200, {"meta": {"result_count": 0}})


@pytest.fixture(scope="module")
def samples() -> Path:
    if not SAMPLES.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the recorded real answers are required under CI: no {SAMPLES}")
        pytest.skip(f"no recorded real answers at {SAMPLES}")
    return SAMPLES


def sample(samples: Path, name: str) -> dict:
    return json.loads((samples / name).read_text(encoding="utf-8"))


def recorded(entry: dict) -> Recorded:
    """A replayable answer from a sample: a cassette (body as text, headers) or a body."""
    body = entry.get("body")
    headers = entry.get("headers") or entry.get("header") or {}
    return Recorded(int(entry.get("status", 200)), body if body is not None else {}, headers)


@pytest.fixture
def replay():
    with ReplayServer() as server:
        yield server


def x_client(replay, landing, **options) -> XClient:
    options.setdefault("sleep", lambda seconds: None)
    return XClient(replay.base_url, TOKEN, on_response=landing, **options)


def graph_client(replay, landing, **options) -> MetaGraphClient:
    options.setdefault("sleep", lambda seconds: None)
    return MetaGraphClient(replay.base_url + "/v24.0", TOKEN, on_response=landing, **options)


def landed(tmp_path, run) -> list[dict]:
    """Run ``run(landing)`` against a landing file; return the records it landed."""
    path = tmp_path / "x-00.jsonl"
    try:
        with LandingWriter(path) as landing:
            run(landing)
    finally:
        files = [path] if path.exists() else sorted(tmp_path.glob("x-00.failed-*.jsonl"))
    return [record for file in files for record in read_landing(file)]


def lookup_context(landing, *names: str) -> None:
    landing.context = {
        "kind": "lookup",
        "by": "usernames",
        "accounts": {name.lower(): f"x:{name.lower()}" for name in names},
        "refs": {f"x:{name.lower()}": name for name in names},
        "since": {f"x:{name.lower()}": "2026-03-24T00:00:00" for name in names},
    }


# -- X: user lookups ---------------------------------------------------------------------


def test_a_recorded_user_lookup_gives_one_snapshot_per_user_dated_by_x(samples, replay, tmp_path):
    cassette = sample(samples, "x/test_client_get_users.0.json")
    replay.queue(recorded(cassette))

    def run(landing):
        lookup_context(landing, "Twitter", "TwitterDev")
        x_client(replay, landing).lookup_users(["Twitter", "TwitterDev"])

    parsed = parse_x_landing(landed(tmp_path, run), WINDOW)
    snapshots = parsed.frames["account_snapshot"]
    assert sorted(snapshots["account_key"]) == ["x:twitter", "x:twitterdev"]
    stamped = datetime.strptime(cassette["headers"]["date"], "%a, %d %b %Y %H:%M:%S %Z")
    assert set(snapshots["snapshot_date"]) == {stamped.date()}
    assert parsed.issues == []
    # Asked without public_metrics (as tweepy did): quarantined, never loaded as zero.
    outcome = validate_frame("account_snapshot", snapshots, WINDOW.end)
    assert outcome.accepted.empty
    assert set(outcome.rejected["reason"].str.split(";").str[0]) == {
        "followers_count: followers_count (an integer) is missing or not of the expected type"
    }


def test_a_single_user_answer_where_a_list_is_due_is_refused_and_kept(samples, replay, tmp_path):
    # GET /2/users/by/username/:u answers one object; the pipeline's lookups answer lists.
    replay.queue(recorded(sample(samples, "x/test_client_get_user.0.json")))

    def run(landing):
        lookup_context(landing, "Twitter")
        x_client(replay, landing).lookup_users(["Twitter"])

    with pytest.raises(Exception, match="`data` is not a list"):
        landed(tmp_path, run)
    records = [r for f in tmp_path.glob("x-00.failed-*.jsonl") for r in read_landing(f)]
    parsed = parse_x_landing(records, WINDOW)
    assert len(records) == 1 and parsed.frames["account_snapshot"].empty
    assert [issue["issue"] for issue in parsed.issues][:1] == ["schema drift"]


@pytest.mark.parametrize(
    ("case", "reason", "detail"),
    [
        ("not_found_partial", "not_found", "Could not find user"),
        ("suspended_partial", "suspended", "User has been suspended"),
    ],
)
def test_a_partial_lookup_loads_who_came_and_says_why_the_other_did_not(
    samples, replay, tmp_path, case, reason, detail
):
    entry = sample(samples, "x/x_error_bodies.json")[case]
    missing = entry["body"]["errors"][0]["value"]
    # Asked again, the account is still missing: that is what the run reports.
    replay.queue(recorded(entry), recorded(entry), recorded(entry))

    def run(landing):
        lookup_context(landing, "TwitterDev", missing)
        answer = x_client(replay, landing).lookup_users(["TwitterDev", missing])
        assert [u["username"] for u in answer.users] == ["TwitterDev"]

    parsed = parse_x_landing(landed(tmp_path, run), WINDOW)
    assert list(parsed.frames["account_snapshot"]["account_key"]) == ["x:twitterdev"]
    (issue,) = parsed.issues
    assert issue["account_key"] == f"x:{missing.lower()}" and detail in issue["detail"]
    reads = parsed.frames["account_read"].set_index("account_key")
    assert reads.loc[f"x:{missing.lower()}", "outcome"] == "unreachable"
    assert reads.loc[f"x:{missing.lower()}", "reason"] == reason
    assert reads.loc["x:twitterdev", "outcome"] == "read"


def test_recorded_users_with_metrics_and_locations_become_typed_snapshots(samples):
    body = sample(samples, "x/pytwitter_user_users_resp.json")
    users = body["data"]
    record = {
        "status": 200,
        "endpoint": "/2/users/by",
        "fetched_at": "2026-04-01T00:05:00+00:00",
        "context": {
            "kind": "lookup",
            "accounts": {u["username"].lower(): "x:" + u["username"].lower() for u in users},
        },
        "body": json.dumps(body),
    }
    frame = parse_x_landing([record], WINDOW).frames["account_snapshot"]
    assert len(frame) == len(users)
    outcome = validate_frame("account_snapshot", frame, WINDOW.end)
    assert outcome.rejected.empty, outcome.rejected


# -- X: timelines ----------------------------------------------------------------------------


def timeline(samples, replay, tmp_path, answers: list[Recorded]) -> tuple:
    replay.queue(*answers)

    def run(landing):
        lookup_context(landing, "TwitterDev")
        landing.context = {
            "kind": "posts",
            "account_key": "x:twitterdev",
            "since": "2026-03-24T00:00:00",
        }
        x_client(replay, landing).user_posts("2244994945", datetime(2020, 1, 1), WINDOW.end)

    records = landed(tmp_path, run)
    return records, parse_x_landing(records, WINDOW)


def test_a_recorded_timeline_is_paged_by_its_next_token(samples, replay, tmp_path):
    cassette = sample(samples, "x/test_client_get_users_tweets.0.json")
    records, parsed = timeline(samples, replay, tmp_path, [recorded(cassette), EMPTY_PAGE])
    token = json.loads(cassette["body"])["meta"]["next_token"]
    assert replay.requests[1][1]["pagination_token"] == [token]
    # Asked without created_at and public_metrics (as tweepy did): rows the checks refuse.
    outcome = validate_frame("post", parsed.frames["post"], WINDOW.end)
    assert len(outcome.rejected) == 2 and outcome.accepted.empty
    assert "created_at" in outcome.rejected["reason"].iloc[0]


def test_a_2021_timeline_without_impressions_or_bookmarks_loads_with_them_unknown(
    samples, replay, tmp_path
):
    body = sample(samples, "x/pytwitter_timeline_timeline_tweets.json")
    _, parsed = timeline(samples, replay, tmp_path, [Recorded(200, body), EMPTY_PAGE])
    posts = parsed.frames["post"]
    assert len(posts) == len(body["data"])
    assert posts["impressions"].isna().all() and posts["bookmarks"].isna().all()
    assert set(posts["post_kind"]) <= {"original", "reply", "quote"}
    first = body["data"][0]["public_metrics"]
    assert posts["engagement"].iloc[0] == (
        first["like_count"] + first["reply_count"] + first["retweet_count"] + first["quote_count"]
    )
    outcome = validate_frame("post", posts, WINDOW.end)
    assert outcome.rejected.empty, outcome.rejected


def test_recorded_retweets_are_reposts_that_earn_the_account_nothing(samples, replay, tmp_path):
    body = sample(samples, "x/pytwitter_tweet_tweet_retweet_tweets_resp.json")
    _, parsed = timeline(samples, replay, tmp_path, [Recorded(200, body), EMPTY_PAGE])
    posts = parsed.frames["post"]
    original_counts = sum(
        sum(p["public_metrics"][k] for k in ("like_count", "reply_count", "retweet_count"))
        for p in body["data"]
    )
    assert original_counts > 0, "the recorded retweets carry the originals' counts"
    assert set(posts["post_kind"]) == {"repost"}
    assert int(posts["engagement"].sum()) == 0


def test_a_protected_timeline_is_one_unreachable_account_not_a_failed_run(
    samples, replay, tmp_path
):
    entry = sample(samples, "x/x_error_bodies.json")["protected_timeline"]
    replay.queue(recorded(entry))
    client_errors = []

    def run(landing):
        lookup_context(landing, "TwitterDev")
        landing.context = {"kind": "posts", "account_key": "x:twitterdev", "since": "2026-03-24"}
        try:
            x_client(replay, landing).user_posts("1500850517966311430", WINDOW.start, WINDOW.end)
        except XResourceError as exc:
            client_errors.append(exc)

    parsed = parse_x_landing(landed(tmp_path, run), WINDOW)
    assert client_errors and client_errors[0].reason == "protected"
    read = parsed.frames["account_read"].set_index("account_key").loc["x:twitterdev"]
    assert (read["outcome"], read["reason"]) == ("unreachable", "protected")
    assert "not authorized" in read["detail"]


# -- X: followers and locations -----------------------------------------------------------


def test_recorded_follower_pages_give_one_location_per_follower(samples, replay, tmp_path):
    cassette = sample(samples, "x/test_client_get_users_followers.0.json")
    page = json.loads(cassette["body"])
    replay.queue(recorded(cassette), EMPTY_PAGE)

    def run(landing):
        landing.context = {"kind": "followers", "account_key": "x:twitterdev"}
        x_client(replay, landing).followers("2244994945", limit=1000)

    parsed = parse_x_landing(landed(tmp_path, run), WINDOW)
    sample_rows = parsed.frames["follower_sample"]
    assert len(sample_rows) == len(page["data"])
    assert list(sample_rows["position"]) == list(range(len(page["data"])))
    assert sample_rows["sample_date"].nunique() == 1


def test_free_text_locations_as_people_write_them_are_classified(samples):
    users = sample(samples, "x/pytwitter_user_search_users_resp.json")["data"]
    keys = {u.get("location"): place_key(u.get("location")) for u in users}
    assert keys.get("127.0.0.1", "") == ""
    assert keys.get(None, "") == ""
    assert all(isinstance(key, str) for key in keys.values())
    assert any(key and not key.isascii() for key in keys.values()), "non-Latin places keep"


def test_a_followers_page_with_includes_still_gives_the_locations(samples):
    body = sample(samples, "x/pytwitter_user_followers_resp.json")
    record = {
        "status": 200,
        "endpoint": "/2/users/:id/followers",
        "fetched_at": "2026-04-01T00:05:00+00:00",
        "context": {"kind": "followers", "account_key": "x:someone"},
        "body": json.dumps(body),
    }
    frame = parse_x_landing([record], WINDOW).frames["follower_sample"]
    assert len(frame) == len(body["data"])


# -- X: limits and budgets ------------------------------------------------------------------


def test_a_recorded_rate_limit_is_waited_out_and_the_call_goes_on(samples, replay, tmp_path):
    entry = sample(samples, "x/x_error_bodies.json")["too_many_requests"]
    reset = str(int(datetime.now(UTC).timestamp()) + 2)
    replay.queue(
        Recorded(429, entry["body"], {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}),
        Recorded(200, {"data": [], "meta": {"result_count": 0}}),
    )
    waits = []

    def run(landing):
        client = x_client(replay, landing, sleep=waits.append)
        client.followers("2244994945", limit=10)

    landed(tmp_path, run)
    assert len(waits) == 1 and 0 < waits[0] <= 4


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("usage_capped", "usage cap reached"),
        ("credits_depleted", "no credits left"),
    ],
)
def test_a_spent_x_budget_stops_the_run_at_once_naming_the_connection(
    samples, replay, tmp_path, case, says
):
    entry = sample(samples, "x/x_error_bodies.json")[case]
    replay.queue(recorded(entry))
    waits = []

    def run(landing):
        x_client(replay, landing, sleep=waits.append).followers("2244994945", limit=10)

    with pytest.raises(XConnectionError) as raised:
        landed(tmp_path, run)
    assert says in str(raised.value) and "'x_api'" in str(raised.value)
    assert waits == [] and len(replay.requests) == 1
    if case == "usage_capped":
        assert "period Monthly, scope Product" in str(raised.value)


# -- Graph API ---------------------------------------------------------------------------------


def test_a_recorded_instagram_user_gives_its_counts(samples, replay, tmp_path):
    entry = sample(samples, "meta/meta_bodies.json")["ig_user"]
    replay.queue(recorded(entry))
    ig_id = entry["body"]["id"]

    def run(landing):
        landing.context = {
            "kind": "ig_user",
            "account_key": f"instagram:{ig_id}",
            "since": "2026-03-24T00:00:00",
        }
        graph_client(replay, landing).ig_user(ig_id)

    frame = parse_meta_landing(landed(tmp_path, run), WINDOW).frames["account_snapshot"]
    row = frame.iloc[0]
    body = entry["body"]
    assert (row["followers_count"], row["following_count"], row["post_count"]) == (
        body["followers_count"],
        body["follows_count"],
        body["media_count"],
    )


def test_recorded_facebook_posts_count_reactions_comments_and_shares(samples, replay, tmp_path):
    entry = sample(samples, "meta/meta_bodies.json")["fb_posts_jtbc"]
    body = dict(entry["body"])
    body["paging"] = {k: v for k, v in body["paging"].items() if k != "next"}
    replay.queue(Recorded(200, body))
    page_id = body["data"][0]["id"].split("_")[0]

    def run(landing):
        landing.context = {"kind": "posts", "account_key": f"facebook:{page_id}"}
        graph_client(replay, landing).page_posts(page_id, datetime(2017, 1, 1), WINDOW.end)

    posts = parse_meta_landing(landed(tmp_path, run), WINDOW).frames["post"]
    post = body["data"][0]
    assert tuple(posts.iloc[0][["likes", "replies", "reposts"]]) == (
        post["reactions"]["summary"]["total_count"],
        post["comments"]["summary"]["total_count"],
        post["shares"]["count"],
    )
    assert validate_frame("post", posts, WINDOW.end).rejected.empty


def test_a_recorded_media_page_without_next_ends_the_paging(samples, replay, tmp_path):
    entry = sample(samples, "meta/ig_media.json")
    replay.queue(recorded(entry))

    def run(landing):
        landing.context = {"kind": "media", "account_key": "instagram:41408147298757123"}
        media = graph_client(replay, landing).ig_media("41408147298757123")
        assert len(media) == len(entry["body"]["data"])

    posts = parse_meta_landing(landed(tmp_path, run), WINDOW).frames["post"]
    assert len(replay.requests) == 1
    assert validate_frame("post", posts, WINDOW.end).rejected.empty


def test_a_recorded_city_breakdown_keeps_the_followers_it_does_not_name(samples, replay, tmp_path):
    cities = sample(samples, "meta/ig_follower_demographics_city.json")
    user = sample(samples, "meta/meta_bodies.json")["ig_user"]
    ig_id = user["body"]["id"]
    replay.queue(recorded(user), recorded(cities))
    key = f"instagram:{ig_id}"

    def run(landing):
        client = graph_client(replay, landing)
        landing.context = {"kind": "ig_user", "account_key": key, "since": "2026-03-24"}
        client.ig_user(ig_id)
        landing.context = {"kind": "follower_cities", "account_key": key}
        assert len(client.ig_follower_cities(ig_id)) == 45

    frame = parse_meta_landing(landed(tmp_path, run), WINDOW).frames["follower_breakdown"]
    assert len(frame) == 46 and frame["place"].isna().sum() == 1
    assert int(frame["followers"].sum()) == user["body"]["followers_count"]


def test_a_graph_not_found_is_asked_again_then_believed(samples, replay, tmp_path):
    entry = sample(samples, "meta/meta_bodies.json")["error_100_33"]
    replay.queue(*[recorded(entry)] * 3)

    def run(landing):
        landing.context = {"kind": "page", "account_key": "facebook:1", "since": "2026-03-24"}
        graph_client(replay, landing, max_retries=2).page("1")

    with pytest.raises(MetaApiError) as raised:
        landed(tmp_path, run)
    assert raised.value.not_found
    records = [r for f in tmp_path.glob("x-00.failed-*.jsonl") for r in read_landing(f)]
    parsed = parse_meta_landing(records, WINDOW)
    assert len(replay.requests) == 3
    read = parsed.frames["account_read"].set_index("account_key").loc["facebook:1"]
    assert (read["outcome"], read["reason"]) == ("unreachable", "not_found")


@pytest.mark.parametrize("case", ["error_10", "error_100_2108006"])
def test_a_refused_optional_graph_edge_is_noted_for_that_account_only(samples, replay, case):
    entry = sample(samples, "meta/meta_bodies.json")[case]
    replay.queue(recorded(entry))
    with graph_client(replay, None) as client, pytest.raises(MetaApiError) as raised:
        client.ig_follower_cities("17841400000000001")
    assert _refuses_an_optional_edge(raised.value)
    assert len(replay.requests) == 1


def test_a_transient_graph_rate_limit_on_http_403_is_retried(samples, replay):
    entry = sample(samples, "meta/meta_bodies.json")["error_4_prod"]
    user = sample(samples, "meta/meta_bodies.json")["ig_user"]
    replay.queue(recorded(entry), recorded(user))
    with graph_client(replay, None) as client:
        assert client.ig_user(user["body"]["id"])["id"] == user["body"]["id"]
    assert len(replay.requests) == 2


def test_a_recorded_expired_token_fails_at_once_naming_the_connection(samples, replay):
    entry = sample(samples, "meta/meta_bodies.json")["error_190_463"]
    replay.queue(recorded(entry))
    with graph_client(replay, None) as client, pytest.raises(MetaAuthError) as raised:
        client.page("240263402699918")
    assert "'meta_graph_api'" in str(raised.value) and "has expired" in str(raised.value)
    assert len(replay.requests) == 1


def test_a_page_throttle_longer_than_the_run_may_wait_defers_the_account(samples, replay):
    entry = sample(samples, "meta/meta_bodies.json")["error_80001_docs"]
    usage = sample(samples, "meta/meta_bodies.json")["buc_header_docs"]["header"]
    replay.queue(Recorded(400, entry["body"], usage))
    with graph_client(replay, None, max_rate_limit_wait=600) as client:
        with pytest.raises(MetaThrottled) as raised:
            client.page("240263402699918")
    # The header says 19 minutes: more than the 10 this run may wait.
    assert raised.value.scope == "account" and raised.value.wait_seconds == 19 * 60
