"""The X API v2 sandbox over real HTTP: answer shapes, paging, limits, faults, determinism."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sandbox import FaultConfig, SandboxServer, default_scenario
from sandbox.scenario import post_id_datetime

TOKEN = "sandbox-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"


@pytest.fixture(scope="module")
def scenario():
    return default_scenario(42)


@pytest.fixture(scope="module")
def sandbox(scenario):
    with SandboxServer(scenario) as server:
        yield server


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.headers.update(AUTH)
        yield session


def get(http, server, path, **params):
    return http.get(server.base_url + path, params=params, timeout=10)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def all_pages(http, server, path, **params):
    """Follow meta.next_token to the end; returns (items, pages)."""
    items, pages, token = [], [], None
    while True:
        query = dict(params)
        if token:
            query["pagination_token"] = token
        response = get(http, server, path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        items += body.get("data", [])
        token = body["meta"].get("next_token")
        if not token:
            return items, pages


# -- users/by -----------------------------------------------------------------------------


def test_users_by_returns_data_and_errors_in_x_shape(sandbox, http, scenario):
    response = get(
        http,
        sandbox,
        "/2/users/by",
        usernames="NorfolkPolice,nobody_here,pcjanesmith",
        **{"user.fields": "public_metrics,created_at,location"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert [u["username"] for u in body["data"]] == ["NorfolkPolice", "PCJaneSmith"]
    force = body["data"][0]
    assert set(force) == {"id", "name", "username", "created_at", "location", "public_metrics"}
    assert force["id"] == scenario.account("NorfolkPolice").user_id
    assert force["created_at"].endswith(".000Z")
    metrics = force["public_metrics"]
    assert set(metrics) == {
        "followers_count",
        "following_count",
        "tweet_count",
        "listed_count",
        "like_count",
    }
    assert metrics["followers_count"] == 40215
    assert metrics["tweet_count"] == scenario.post_count("NorfolkPolice")
    assert body["errors"] == [
        {
            "value": "nobody_here",
            "detail": "Could not find user with usernames: [nobody_here].",
            "title": "Not Found Error",
            "resource_type": "user",
            "parameter": "usernames",
            "resource_id": "nobody_here",
            "type": NOT_FOUND_TYPE,
        }
    ]


def test_users_by_returns_only_requested_fields(sandbox, http):
    body = get(http, sandbox, "/2/users/by", usernames="NorwichPolice").json()
    assert set(body["data"][0]) == {"id", "name", "username"}
    assert "errors" not in body
    body = get(
        http, sandbox, "/2/users/by", usernames="NorwichPolice", **{"user.fields": "location"}
    ).json()
    assert set(body["data"][0]) == {"id", "name", "username", "location"}


def test_users_by_without_any_match_has_no_data_key(sandbox, http):
    body = get(http, sandbox, "/2/users/by", usernames="ghost1,ghost2").json()
    assert "data" not in body
    assert [e["value"] for e in body["errors"]] == ["ghost1", "ghost2"]


def test_users_by_more_than_100_usernames_is_invalid_request(sandbox, http):
    names = ",".join(f"user{i}" for i in range(101))
    response = get(http, sandbox, "/2/users/by", usernames=names)
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Invalid Request"
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert "usernames" in body["errors"][0]["parameters"]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/2/users/by", {"usernames": "bad name!"}, "usernames"),
        ("/2/users/by", {"usernames": "NorfolkPolice", "user.fields": "shoe_size"}, "user.fields"),
        ("/2/users/by", {"usernames": "NorfolkPolice", "colour": "red"}, "colour"),
        ("/2/users/{id}/tweets", {"max_results": "4"}, "max_results"),
        ("/2/users/{id}/tweets", {"max_results": "101"}, "max_results"),
        ("/2/users/{id}/tweets", {"start_time": "yesterday"}, "start_time"),
        ("/2/users/{id}/tweets", {"pagination_token": "notatoken"}, "pagination_token"),
        ("/2/users/{id}/followers", {"max_results": "1001"}, "max_results"),
        ("/2/users/{id}/followers", {"max_results": "0"}, "max_results"),
        ("/2/users/NorfolkPolice/tweets", {}, "id"),
    ],
)
def test_bad_parameters_are_invalid_requests(sandbox, http, scenario, path, params, parameter):
    path = path.format(id=scenario.account("NorwichPolice").user_id)
    response = get(http, sandbox, path, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "One or more parameters to your request was invalid."
    assert parameter in body["errors"][0]["parameters"]


# -- auth, routes, headers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_bad_or_missing_token_is_401(sandbox, headers):
    response = requests.get(
        sandbox.base_url + "/2/users/by", params={"usernames": "x"}, headers=headers, timeout=10
    )
    assert response.status_code == 401
    assert response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert "x-rate-limit-limit" in response.headers


def test_unknown_path_is_404(sandbox, http):
    response = get(http, sandbox, "/2/tweets/search/everything")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == 34


def test_every_answer_carries_rate_limit_headers(sandbox, http, scenario):
    user_id = scenario.account("NorwichPolice").user_id
    for path in ("/2/users/by?usernames=NorwichPolice", f"/2/users/{user_id}/followers"):
        response = http.get(sandbox.base_url + path, timeout=10)
        assert int(response.headers["x-rate-limit-limit"]) == 900
        assert 0 <= int(response.headers["x-rate-limit-remaining"]) < 900
        assert int(response.headers["x-rate-limit-reset"]) > time.time()


# -- timeline --------------------------------------------------------------------------------


def test_timeline_pages_cover_the_window_without_gaps_or_duplicates(sandbox, http, scenario):
    account = scenario.account("NorwichPolice")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    posts, pages = all_pages(
        http,
        sandbox,
        f"/2/users/{account.user_id}/tweets",
        start_time=rfc3339(start),
        end_time=rfc3339(end),
        max_results=37,
        **{"tweet.fields": "created_at,public_metrics"},
    )
    expected = [str(p.id) for p in scenario.iter_posts(account, start=start, end=end)]
    ids = [p["id"] for p in posts]
    assert ids == expected  # reverse chronological, nothing missing, nothing twice
    assert len(pages) == -(-len(expected) // 37) > 3
    for page in pages:
        data = page["data"]
        assert page["meta"]["result_count"] == len(data)
        assert page["meta"]["newest_id"] == data[0]["id"]
        assert page["meta"]["oldest_id"] == data[-1]["id"]
    assert all("next_token" in p["meta"] for p in pages[:-1])
    assert "next_token" not in pages[-1]["meta"]
    created = [datetime.fromisoformat(p["created_at"]) for p in posts]
    assert created == sorted(created, reverse=True)
    assert all(start <= c < end for c in created)
    for post, moment in zip(posts, created, strict=True):
        assert set(post) == {"id", "text", "created_at", "edit_history_tweet_ids", "public_metrics"}
        assert post["edit_history_tweet_ids"] == [post["id"]]
        # Snowflake ids carry the creation time.
        assert abs(post_id_datetime(int(post["id"])) - moment) < timedelta(seconds=1)
        metrics = post["public_metrics"]
        assert {"retweet_count", "reply_count", "like_count", "quote_count"} <= set(metrics)
        assert "bookmark_count" in metrics


def test_timeline_start_is_inclusive_and_end_exclusive(sandbox, http, scenario):
    account = scenario.account("BroadlandPolice")
    post = next(scenario.iter_posts(account, end=datetime(2026, 2, 1, tzinfo=UTC)))
    path = f"/2/users/{account.user_id}/tweets"
    moment = rfc3339(post.created_at)
    later = rfc3339(post.created_at + timedelta(days=3))
    earlier = rfc3339(post.created_at - timedelta(days=3))
    included = get(http, sandbox, path, start_time=moment, end_time=later, max_results=100).json()
    assert str(post.id) in [p["id"] for p in included["data"]]
    excluded = get(http, sandbox, path, start_time=earlier, end_time=moment, max_results=100)
    assert str(post.id) not in [p["id"] for p in excluded.json().get("data", [])]


def test_empty_timeline_page_has_meta_only(sandbox, http, scenario):
    never_posted = scenario.account("PCChloeEvans")
    body = get(http, sandbox, f"/2/users/{never_posted.user_id}/tweets").json()
    assert body == {"meta": {"result_count": 0}}
    closed = scenario.account("PCJaneSmith")
    body = get(
        http,
        sandbox,
        f"/2/users/{closed.user_id}/tweets",
        start_time="2026-05-01T00:00:00Z",
        end_time="2026-10-01T00:00:00Z",
    ).json()
    assert body == {"meta": {"result_count": 0}}


def test_only_the_3200_most_recent_posts_are_reachable(sandbox, http, scenario):
    force = scenario.account("NorfolkPolice")
    assert scenario.post_count(force) > 3200
    posts, _ = all_pages(
        http,
        sandbox,
        f"/2/users/{force.user_id}/tweets",
        max_results=100,
        **{"tweet.fields": "created_at,public_metrics"},
    )
    assert len(posts) == 3200
    assert len({p["id"] for p in posts}) == 3200
    assert int(posts[-1]["id"]) == scenario.reachable_floor_id(force)
    newest = next(scenario.iter_posts(force))
    assert posts[0]["id"] == str(newest.id)
    # impression_count is optional in X answers: most posts have it, some do not.
    with_impressions = sum("impression_count" in p["public_metrics"] for p in posts)
    assert 0.8 * len(posts) < with_impressions < len(posts)
    # A window older than the reachable posts is empty even though posts exist there.
    oldest = datetime.fromisoformat(posts[-1]["created_at"])
    body = get(
        http,
        sandbox,
        f"/2/users/{force.user_id}/tweets",
        start_time="2024-01-01T00:00:00Z",
        end_time=rfc3339(oldest),
    ).json()
    assert body == {"meta": {"result_count": 0}}
    assert scenario.post_count(force, until=oldest.date() - timedelta(days=1)) > 0


def test_timeline_default_page_size_is_10(sandbox, http, scenario):
    account = scenario.account("KLWNPolice")
    body = get(http, sandbox, f"/2/users/{account.user_id}/tweets").json()
    assert body["meta"]["result_count"] == 10
    assert set(body["data"][0]) == {"id", "text", "edit_history_tweet_ids"}


def test_timeline_of_unknown_user_is_200_with_errors(sandbox, http):
    response = get(http, sandbox, "/2/users/123456789/tweets")
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body and "meta" not in body
    error = body["errors"][0]
    assert error["parameter"] == "id"
    assert error["resource_id"] == "123456789"
    assert error["detail"] == "Could not find user with id: [123456789]."
    assert error["type"] == NOT_FOUND_TYPE


def test_pagination_token_is_bound_to_its_user(sandbox, http, scenario):
    first = scenario.account("NorwichPolice").user_id
    other = scenario.account("BrecklandPolice").user_id
    token = get(http, sandbox, f"/2/users/{first}/tweets").json()["meta"]["next_token"]
    response = get(http, sandbox, f"/2/users/{other}/tweets", pagination_token=token)
    assert response.status_code == 400


# -- followers -------------------------------------------------------------------------------


def test_followers_pages_and_locations(sandbox, http, scenario):
    account = scenario.account("PCSOAmyClarke")
    assert account.followers_count == 312
    path = f"/2/users/{account.user_id}/followers"
    followers, pages = all_pages(http, sandbox, path, **{"user.fields": "location"})
    assert [p["meta"]["result_count"] for p in pages] == [100, 100, 100, 12]
    assert "next_token" not in pages[-1]["meta"]
    assert len({f["id"] for f in followers}) == 312
    assert all(
        {"id", "name", "username"} <= set(f) <= {"id", "name", "username", "location"}
        for f in followers
    )
    assert any("location" not in f for f in followers)  # X omits an absent location
    expected = [f.id for f in scenario.followers(account, 0, 1000)]
    assert [f["id"] for f in followers] == expected  # newest first, stable
    without_fields = get(http, sandbox, path, max_results=50).json()
    assert all(set(f) == {"id", "name", "username"} for f in without_fields["data"])


def test_followers_of_unknown_user_is_200_with_errors(sandbox, http):
    body = get(http, sandbox, "/2/users/42/followers").json()
    assert "data" not in body
    assert body["errors"][0]["resource_id"] == "42"


# -- rate limits -----------------------------------------------------------------------------


def test_rate_limit_counts_down_then_answers_429(scenario):
    with SandboxServer(scenario, rate_limit=3, rate_window_seconds=900) as server:
        url = server.base_url + "/2/users/by"
        remaining = []
        for _ in range(3):
            response = requests.get(url, params={"usernames": "KLWNPolice"}, headers=AUTH)
            assert response.status_code == 200
            remaining.append(int(response.headers["x-rate-limit-remaining"]))
        assert remaining == [2, 1, 0]
        limited = requests.get(url, params={"usernames": "KLWNPolice"}, headers=AUTH)
        assert limited.status_code == 429
        assert limited.json() == {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        assert "Retry-After" not in limited.headers
        assert limited.headers["x-rate-limit-remaining"] == "0"
        assert limited.headers["x-rate-limit-limit"] == "3"
        reset = int(limited.headers["x-rate-limit-reset"])
        assert time.time() + 800 < reset <= time.time() + 901
        # Limits are per endpoint.
        user_id = scenario.account("KLWNPolice").user_id
        other = requests.get(f"{server.base_url}/2/users/{user_id}/tweets", headers=AUTH)
        assert other.status_code == 200
        assert other.headers["x-rate-limit-remaining"] == "2"
        assert server.status_counts[("/2/users/by", 429)] == 1


# -- faults ----------------------------------------------------------------------------------


@pytest.fixture
def faulty(scenario):
    with SandboxServer(scenario, faults=FaultConfig(slow_seconds=0.6)) as server:
        yield server


def test_injected_429_resets_within_two_seconds(faulty):
    faulty.inject("429", "/2/users/by")
    response = requests.get(
        faulty.base_url + "/2/users/by", params={"usernames": "NorwichPolice"}, headers=AUTH
    )
    assert response.status_code == 429
    assert response.json()["status"] == 429
    assert response.headers["x-rate-limit-remaining"] == "0"
    assert time.time() < int(response.headers["x-rate-limit-reset"]) <= time.time() + 2
    again = requests.get(
        faulty.base_url + "/2/users/by", params={"usernames": "NorwichPolice"}, headers=AUTH
    )
    assert again.status_code == 200


@pytest.mark.parametrize("kind", ["500", "503"])
def test_injected_server_errors_have_json_bodies(faulty, kind):
    faulty.inject(kind)
    response = requests.get(
        faulty.base_url + "/2/users/by", params={"usernames": "NorwichPolice"}, headers=AUTH
    )
    assert response.status_code == int(kind)
    assert response.json()["status"] == int(kind)
    assert "x-rate-limit-remaining" in response.headers


def test_injected_401_and_403(faulty):
    faulty.inject("401", count=1)
    faulty.inject("403", count=1)
    url = faulty.base_url + "/2/users/by"
    expired = requests.get(url, params={"usernames": "NorwichPolice"}, headers=AUTH)
    assert expired.status_code == 401
    assert expired.json()["title"] == "Unauthorized"
    forbidden = requests.get(url, params={"usernames": "NorwichPolice"}, headers=AUTH)
    assert forbidden.status_code == 403
    assert forbidden.json() == {
        "client_id": "123",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
        "keys and tokens from a Twitter developer App that is attached to a Project. You can "
        "create a project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    }


def test_injected_slow_answer_passes_client_timeout(faulty, scenario):
    user_id = scenario.account("NorwichPolice").user_id
    faulty.inject("slow", "/2/users/")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{faulty.base_url}/2/users/{user_id}/tweets", headers=AUTH, timeout=0.2)
    started = time.monotonic()
    response = requests.get(f"{faulty.base_url}/2/users/{user_id}/tweets", headers=AUTH)
    assert response.status_code == 200
    assert time.monotonic() - started < 0.5


def test_injected_truncated_body_is_cut_json(faulty, scenario):
    user_id = scenario.account("NorwichPolice").user_id
    url = f"{faulty.base_url}/2/users/{user_id}/tweets"
    full = requests.get(url, headers=AUTH).content
    faulty.inject("truncated", "/2/users/")
    response = requests.get(url, headers=AUTH)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) < len(full)
    assert full.startswith(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_injected_partial_answer_is_transient(faulty):
    url = faulty.base_url + "/2/users/by"
    params = {"usernames": "NorwichPolice,BroadlandPolice,BrecklandPolice"}
    faulty.inject("partial", "/2/users/by")
    partial = requests.get(url, params=params, headers=AUTH).json()
    assert len(partial["data"]) == 2
    assert len(partial["errors"]) == 1
    missing = partial["errors"][0]["value"]
    assert missing not in {u["username"] for u in partial["data"]}
    full = requests.get(url, params=params, headers=AUTH).json()
    assert len(full["data"]) == 3 and "errors" not in full


def test_injected_faults_match_prefix_and_count(faulty, scenario):
    user_id = scenario.account("NorwichPolice").user_id
    faulty.inject("500", "/2/users/by", count=2)
    timeline = requests.get(f"{faulty.base_url}/2/users/{user_id}/tweets", headers=AUTH)
    assert timeline.status_code == 200
    url = faulty.base_url + "/2/users/by"
    statuses = [
        requests.get(url, params={"usernames": "NorwichPolice"}, headers=AUTH).status_code
        for _ in range(3)
    ]
    assert statuses == [500, 500, 200]
    assert faulty.faults.pending() == []
    with pytest.raises(ValueError):
        faulty.inject("partial", f"/2/users/{user_id}/tweets")
    with pytest.raises(ValueError):
        faulty.inject("teapot")


def test_random_faults_are_seeded(scenario):
    config = FaultConfig(rate=0.5, kinds=("429", "500", "503", "truncated", "partial"), seed=7)

    def statuses():
        with SandboxServer(scenario, faults=config) as server:
            url = server.base_url + "/2/users/by"
            out = []
            for _ in range(30):
                response = requests.get(url, params={"usernames": "NorwichPolice"}, headers=AUTH)
                try:
                    complete = "errors" not in response.json()
                except ValueError:
                    complete = False
                out.append((response.status_code, complete))
            return out

    first = statuses()
    assert first == statuses()
    assert 5 < sum(1 for status, complete in first if status != 200 or not complete) < 25
    with SandboxServer(scenario, faults=FaultConfig(rate=1.0, kinds=("503",))) as server:
        response = requests.get(server.base_url + "/2/users/by?usernames=a", headers=AUTH)
        assert response.status_code == 503


# -- determinism and concurrency ---------------------------------------------------------------


def _sample_answers(server, scenario):
    user_id = scenario.account("SNorfolkPolice").user_id
    with requests.Session() as session:
        session.headers.update(AUTH)
        lookup = session.get(
            server.base_url + "/2/users/by",
            params={"usernames": "SNorfolkPolice,PCRubyTaylor", "user.fields": "public_metrics"},
        ).content
        first = session.get(
            f"{server.base_url}/2/users/{user_id}/tweets",
            params={"max_results": 100, "tweet.fields": "created_at,public_metrics"},
        )
        token = first.json()["meta"]["next_token"]
        second = session.get(
            f"{server.base_url}/2/users/{user_id}/tweets",
            params={
                "max_results": 100,
                "tweet.fields": "created_at,public_metrics",
                "pagination_token": token,
            },
        ).content
        followers = session.get(
            f"{server.base_url}/2/users/{user_id}/followers",
            params={"max_results": 1000, "user.fields": "location"},
        ).content
    return lookup, first.content, second, followers


def test_same_seed_gives_the_same_answers():
    one, two, other = default_scenario(42), default_scenario(42), default_scenario(43)
    with SandboxServer(one) as a, SandboxServer(two) as b, SandboxServer(other) as c:
        answers_a = _sample_answers(a, one)
        assert answers_a == _sample_answers(b, two)
        answers_c = _sample_answers(c, other)
    assert answers_a[2] != answers_c[2]
    assert answers_a[3] != answers_c[3]


def test_concurrent_requests_are_served_in_parallel(faulty, scenario):
    faulty.inject("slow", "/2/users/by")
    ids = [a.user_id for a in scenario.accounts]

    def fetch(number):
        if number == 0:
            url = faulty.base_url + "/2/users/by?usernames=NorfolkPolice"
        else:
            url = f"{faulty.base_url}/2/users/{ids[number % len(ids)]}/tweets?max_results=100"
        started = time.monotonic()
        response = requests.get(url, headers=AUTH, timeout=10)
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(fetch, range(32)))
    assert all(status == 200 for status, _ in results)
    assert results[0][1] >= 0.6  # the slow one
    assert max(elapsed for _, elapsed in results[1:]) < 0.6  # nobody waited for it
    assert faulty.requests_served["/2/users/:id/tweets"] == 31
