"""The sandbox speaks like the real platforms (issue 9): a clock the answers are as of,
protected, suspended and renamed accounts, reposts and replies with referenced_tweets, the
X budget errors and Graph's per-account refusals. Over real HTTP."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests

from sandbox import FaultConfig, SandboxServer, default_scenario
from sandbox.scenario.quirks import RENAMED_ON

TOKEN = "sandbox-token"


@pytest.fixture(scope="module")
def scenario():
    return default_scenario(42)


@pytest.fixture
def sandbox(scenario):
    with SandboxServer(scenario, token=TOKEN, faults=FaultConfig(graph_regain_minutes=30)) as s:
        yield s


def get(sandbox, path, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return requests.get(sandbox.base_url + path, params=params, headers=headers, timeout=10)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(sandbox, username: str, fields="public_metrics,protected") -> dict:
    body = get(sandbox, "/2/users/by", usernames=username, **{"user.fields": fields}).json()
    return body["data"][0]


# -- the clock --------------------------------------------------------------------------------


def test_every_answer_is_dated_by_the_sandbox_clock(sandbox):
    moment = sandbox.clock.run_of(date(2026, 3, 31))
    answer = get(sandbox, "/2/users/by", usernames="NorfolkPolice")
    assert parsedate_to_datetime(answer.headers["Date"]) == moment
    assert moment == datetime(2026, 4, 1, 0, 5, tzinfo=UTC)


def test_follower_counts_change_from_day_to_day_and_end_at_the_scenario_count(sandbox, scenario):
    counts = []
    for day in (date(2025, 3, 31), date(2026, 3, 31), date(2026, 3, 30)):
        sandbox.clock.run_of(day)
        counts.append(user(sandbox, "NorfolkPolice")["public_metrics"]["followers_count"])
    sandbox.clock.set(scenario.now)
    final = user(sandbox, "NorfolkPolice")["public_metrics"]["followers_count"]
    assert counts[0] < counts[1] != counts[2] and final == 40215


def test_a_post_gains_its_engagement_over_the_days_after_it_was_posted(sandbox, scenario):
    account = scenario.account("NorfolkPolice")
    post = scenario.posts_on(account, date(2026, 3, 30))[-1]
    window = {
        "start_time": rfc3339(post.created_at),
        "end_time": rfc3339(post.created_at + timedelta(seconds=1)),
        "tweet.fields": "public_metrics",
    }
    seen = []
    for hours in (2, 24, 24 * 8):
        sandbox.clock.set(post.created_at + timedelta(hours=hours))
        body = get(sandbox, f"/2/users/{account.user_id}/tweets", **window).json()
        seen.append(body["data"][0]["public_metrics"]["like_count"])
    assert seen[0] < seen[1] < seen[2] == post.like_count


def test_no_post_from_after_the_clock_is_served(sandbox, scenario):
    account = scenario.account("NorfolkPolice")
    sandbox.clock.set(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    body = get(
        sandbox,
        f"/2/users/{account.user_id}/tweets",
        start_time="2026-03-31T00:00:00Z",
        end_time="2026-04-01T00:00:00Z",
        **{"tweet.fields": "created_at"},
    ).json()
    times = [datetime.fromisoformat(p["created_at"]) for p in body.get("data", [])]
    assert times and max(times) < sandbox.clock.now()


def test_followers_come_newest_first_in_runs_of_one_kind_not_evenly_mixed(sandbox, scenario):
    account = scenario.account("NorwichPolice")
    followers = scenario.followers(account, 0, 1000)
    classes = [follower.location_class for follower in followers]
    changes = sum(1 for a, b in itertools.pairwise(classes) if a != b)
    # Evenly mixed, about 600 of 999 neighbours would differ; in runs far fewer do.
    assert changes < 250
    known = [f for f in followers if f.location_class != "unknown"]
    share = sum(f.location_class == "in_area" for f in known) / len(known)
    assert round(share, 2) == account.in_area_share


# -- X accounts as they are -------------------------------------------------------------


def test_a_protected_account_is_looked_up_but_its_timeline_and_followers_are_refused(sandbox):
    found = user(sandbox, "WaveneyParking")
    assert found["protected"] is True and found["public_metrics"]["followers_count"] > 0
    for edge in ("tweets", "followers"):
        answer = get(sandbox, f"/2/users/{found['id']}/{edge}")
        assert answer.status_code == 200
        (error,) = answer.json()["errors"]
        assert error["type"].endswith("not-authorized-for-resource")
        assert "data" not in answer.json()


def test_a_renamed_account_answers_to_its_old_handle_only_before_the_rename(sandbox, scenario):
    account = scenario.account("WaveneyEvents")
    sandbox.clock.run_of(RENAMED_ON - timedelta(days=2))
    assert user(sandbox, "BecclesEvents")["id"] == account.user_id
    sandbox.clock.run_of(RENAMED_ON + timedelta(days=2))
    body = get(sandbox, "/2/users/by", usernames="BecclesEvents").json()
    assert "data" not in body and body["errors"][0]["value"] == "BecclesEvents"
    by_id = get(sandbox, "/2/users", ids=account.user_id).json()["data"][0]
    assert by_id["username"] == "WaveneyEvents"


def test_users_are_looked_up_by_id_with_errors_for_unknown_ids(sandbox, scenario):
    known = scenario.account("NorfolkPolice").user_id
    body = get(sandbox, "/2/users", ids=f"{known},12345").json()
    assert [u["id"] for u in body["data"]] == [known]
    assert body["errors"][0]["resource_id"] == "12345"


def test_a_repost_carries_the_original_posts_counts_and_says_what_it_reposts(sandbox, scenario):
    account = scenario.account("WaveneyNews")
    body = get(
        sandbox,
        f"/2/users/{account.user_id}/tweets",
        start_time="2026-10-01T00:00:00Z",
        end_time="2026-10-31T00:00:00Z",
        max_results="20",
        **{"tweet.fields": "public_metrics,referenced_tweets"},
    ).json()
    posts = body["data"]
    assert all(p["text"].startswith("RT @") for p in posts)
    assert {p["referenced_tweets"][0]["type"] for p in posts} == {"retweeted"}
    assert sum(p["public_metrics"]["retweet_count"] for p in posts) > 0


def test_exclude_retweets_and_replies_leaves_the_accounts_own_posts(sandbox, scenario):
    account = scenario.account("WaveneyCouncil")
    window = {
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-10-01T00:00:00Z",
        "max_results": "100",
        "tweet.fields": "referenced_tweets",
    }
    path = f"/2/users/{account.user_id}/tweets"
    every = get(sandbox, path, **window).json()["data"]
    own = get(sandbox, path, exclude="retweets,replies", **window).json()["data"]
    kinds = {ref["type"] for p in every for ref in p.get("referenced_tweets", [])}
    assert {"retweeted", "replied_to"} <= kinds
    assert not any(
        ref["type"] in ("retweeted", "replied_to")
        for p in own
        for ref in p.get("referenced_tweets", [])
    )


# -- budgets and per-account refusals ---------------------------------------------------------


def test_the_x_usage_cap_and_spent_credits_have_their_real_bodies(sandbox):
    sandbox.inject("usage_cap", "/2/users/by")
    capped = get(sandbox, "/2/users/by", usernames="NorfolkPolice")
    assert capped.status_code == 429 and capped.json()["title"] == "UsageCapExceeded"
    assert capped.json()["period"] == "Monthly"
    sandbox.inject("credits", "/2/users/by")
    spent = get(sandbox, "/2/users/by", usernames="NorfolkPolice")
    assert spent.status_code == 402 and spent.json()["title"] == "CreditsDepleted"


@pytest.mark.parametrize(
    ("kind", "edge", "code", "subcode"),
    [
        ("graph_page_throttle", "", 80001, None),
        ("graph_permission", "/insights", 10, None),
        ("graph_not_found", "", 100, 33),
    ],
)
def test_graph_refuses_one_page_in_its_own_words(sandbox, scenario, kind, edge, code, subcode):
    page = scenario.accounts_on("facebook")[0]
    sandbox.inject(kind)
    params = {"metric": "page_follows", "period": "day"} if edge else {"fields": "name"}
    answer = get(sandbox, f"/v24.0/{page.user_id}{edge}", **params)
    error = answer.json()["error"]
    assert (answer.status_code, error["code"], error.get("error_subcode")) == (400, code, subcode)
    if code == 80001:
        usage = answer.headers["X-Business-Use-Case-Usage"]
        assert '"estimated_time_to_regain_access":30' in usage


def test_an_instagram_account_too_small_for_demographics_is_refused_with_2108006(sandbox, scenario):
    ig = scenario.accounts_on("instagram")[0]
    sandbox.inject("graph_invalid_parameter")
    answer = get(
        sandbox,
        f"/v24.0/{ig.user_id}/insights",
        metric="follower_demographics",
        period="lifetime",
        metric_type="total_value",
        breakdown="city",
    )
    assert answer.json()["error"]["error_subcode"] == 2108006
