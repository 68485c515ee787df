"""XClient against the real sandbox HTTP server: no mocks
(docs/decisions/0003-sandbox-instead-of-mocks.md).

Waits go through an injected ``sleep`` that records instead of sleeping, except where the
server's own rate-limit window has to pass.
"""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from socialmetrics.platforms.answers import ResponseRecord, answer_time
from socialmetrics.platforms.session import build_session
from socialmetrics.platforms.x.client import XClient
from socialmetrics.platforms.x.errors import XApiError, XAuthError, XConnectionError, XResourceError

TOKEN = "sandbox-token-7f3a9c1e5b"  # distinctive, so a leak is found by plain search
USERS_BY = "/2/users/by"
TWEETS = "/2/users/:id/tweets"
FOLLOWERS = "/2/users/:id/followers"


@pytest.fixture(scope="module")
def sandbox(scenario):
    # slow answers are held back 1 s: past the 0.5 s client timeout, short for teardown.
    with SandboxServer(
        scenario, port=0, token=TOKEN, faults=FaultConfig(slow_seconds=1.0)
    ) as server:
        yield server


@pytest.fixture
def client(sandbox, rec):
    with XClient(
        sandbox.base_url, TOKEN, on_response=rec.land, sleep=rec.sleep, timeout=5.0, seed=7
    ) as c:
        yield c


def served(sandbox, endpoint):
    return sandbox.requests_served.get(endpoint, 0)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


# -- paging --------------------------------------------------------------------------------


def test_followers_limit_2500_takes_three_pages_of_1000_1000_500(client, rec, sandbox):
    norfolk_id = "762258524878294973"  # NorfolkPolice, 40,215 followers in the scenario
    before = served(sandbox, FOLLOWERS)

    followers = client.followers(norfolk_id, limit=2500)

    assert len(followers) == 2500
    assert len({f["id"] for f in followers}) == 2500
    assert [r.params["max_results"] for r in rec.records] == ["1000", "1000", "500"]
    assert "pagination_token" not in rec.records[0].params
    assert rec.records[1].params["pagination_token"] != rec.records[2].params["pagination_token"]
    assert client.calls == {FOLLOWERS: 3}
    assert served(sandbox, FOLLOWERS) - before == 3


def test_timeline_across_pages_returns_every_post_once(client, scenario):
    account = scenario.account("NorfolkPolice")
    start, end = at("2026-08-01"), at("2026-10-01")
    expected = [str(p.id) for p in scenario.iter_posts(account, start=start, end=end)]
    assert len(expected) > 200  # the window needs at least three pages

    posts = client.user_posts(account.user_id, start, end)

    ids = [p["id"] for p in posts]
    assert ids == expected
    assert len(set(ids)) == len(ids)
    assert client.calls == {TWEETS: math.ceil(len(expected) / 100)}
    assert all(start <= datetime.fromisoformat(p["created_at"]) < end for p in posts)
    assert {"like_count", "retweet_count"} <= set(posts[0]["public_metrics"])


def test_timeline_stops_at_max_posts(client, rec, scenario):
    account = scenario.account("NorfolkPolice")

    posts = client.user_posts(account.user_id, at("2026-01-01"), at("2026-10-01"), max_posts=150)

    assert len(posts) == 150
    assert [r.params["max_results"] for r in rec.records] == ["100", "50"]


def test_timeline_sends_rfc3339_utc_times(client, rec, scenario):
    account = scenario.account("NorwichPolice")
    start = datetime(2026, 9, 1, 2, 30, tzinfo=timezone(timedelta(hours=2)))

    client.user_posts(account.user_id, start, start + timedelta(days=1))

    params = rec.records[0].params
    assert params["start_time"] == "2026-09-01T00:30:00Z"
    assert params["end_time"] == "2026-09-02T00:30:00Z"
    assert params["tweet.fields"] == "created_at,public_metrics,referenced_tweets,author_id"


def test_timeline_takes_naive_times_as_utc(client, rec, scenario):
    account = scenario.account("NorwichPolice")

    client.user_posts(account.user_id, datetime(2026, 9, 1), datetime(2026, 9, 2, 6))

    assert rec.records[0].params["start_time"] == "2026-09-01T00:00:00Z"
    assert rec.records[0].params["end_time"] == "2026-09-02T06:00:00Z"


def test_empty_timeline_page_without_data_key_returns_empty_list(client, rec, scenario):
    never_posted = scenario.account("PCChloeEvans")

    posts = client.user_posts(never_posted.user_id, at("2026-09-01"), at("2026-10-01"))

    assert posts == []
    assert "data" not in json.loads(rec.records[0].body)
    assert client.calls == {TWEETS: 1}


def test_timeline_of_unknown_user_raises_naming_endpoint(client):
    with pytest.raises(XApiError) as caught:
        client.user_posts("999", at("2026-09-01"), at("2026-10-01"))

    message = str(caught.value)
    assert "/2/users/999/tweets" in message
    assert "Could not find user" in message
    assert caught.value.errors[0]["type"].endswith("resource-not-found")
    assert not isinstance(caught.value, XAuthError)


# -- user lookup and partial errors ----------------------------------------------------------


def test_lookup_batches_100_usernames_per_call(client, rec, scenario):
    known = [a.username for a in scenario.accounts[:20]]
    unknown = [f"Missing{i:03d}" for i in range(130)]

    result = client.lookup_users(known + unknown)

    assert client.calls == {USERS_BY: 2}
    assert [len(r.params["usernames"].split(",")) for r in rec.records] == [100, 50]
    assert sorted(u["username"] for u in result.users) == sorted(known)
    assert len(result.errors) == 130
    assert {"followers_count", "tweet_count"} <= set(result.users[0]["public_metrics"])


def test_unknown_username_is_returned_as_error_not_raised(client):
    result = client.lookup_users(["NorfolkPolice", "NoSuchAccount1"])

    assert [u["username"] for u in result.users] == ["NorfolkPolice"]
    assert [e["value"] for e in result.errors] == ["NoSuchAccount1"]


def test_partial_errors_answer_keeps_data_and_returns_errors(client, sandbox):
    sandbox.inject("partial", USERS_BY)
    names = ["NorwichPolice", "BroadlandPolice", "BrecklandPolice"]

    result = client.lookup_users(names)

    returned = {u["username"] for u in result.users}
    assert len(returned) == 2
    assert len(result.errors) == 1
    missing = result.errors[0]
    assert missing["value"] in names and missing["value"] not in returned
    assert missing["type"].endswith("resource-not-found")
    assert client.calls == {USERS_BY: 1}  # a partial answer is data, not a failure


# -- retries -------------------------------------------------------------------------------


def test_429_waits_until_reset_then_succeeds(sandbox, rec):
    seen: list[tuple[float, dict]] = []
    session = build_session(timeout=5.0)
    session.hooks["response"].append(lambda r, **_: seen.append((time.time(), dict(r.headers))))
    client = XClient(sandbox.base_url, TOKEN, sleep=rec.sleep, session=session)
    sandbox.inject("429", USERS_BY)

    result = client.lookup_users(["NorfolkPolice"])

    assert [u["username"] for u in result.users] == ["NorfolkPolice"]
    arrived, headers = seen[0]
    reset = int(headers["x-rate-limit-reset"])
    assert len(rec.sleeps) == 1
    assert rec.sleeps[0] == pytest.approx(reset + 1 - arrived, abs=0.25)
    assert 1.0 < rec.sleeps[0] <= 3.1
    assert client.calls == {USERS_BY: 2}
    session.close()


def test_rate_limit_reset_further_than_max_wait_raises(sandbox, rec):
    client = XClient(sandbox.base_url, TOKEN, sleep=rec.sleep, max_rate_limit_wait=0.5)
    sandbox.inject("429", USERS_BY)

    with pytest.raises(XApiError, match="max_rate_limit_wait"):
        client.lookup_users(["NorfolkPolice"])

    assert rec.sleeps == []


def test_remaining_zero_waits_for_reset_before_next_call(scenario):
    sleeps: list[float] = []

    def really_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    # One request per 1 s window: the second call must wait for the window to pass.
    with SandboxServer(
        scenario, token=TOKEN, rate_limit={USERS_BY: 1}, rate_window_seconds=1
    ) as server:
        client = XClient(server.base_url, TOKEN, sleep=really_sleep)
        client.lookup_users(["NorfolkPolice"])
        client.lookup_users(["NorwichPolice"])
        statuses = server.status_counts

    assert len(sleeps) == 1
    assert 1.0 < sleeps[0] <= 3.1
    assert statuses == {(USERS_BY, 200): 2}  # waited instead of running into a 429


def test_500_then_success(client, rec, sandbox, caplog):
    caplog.set_level(logging.INFO, logger="socialmetrics.platforms.x.client")
    sandbox.inject("500", USERS_BY)

    result = client.lookup_users(["NorfolkPolice"])

    assert len(result.users) == 1
    assert rec.statuses == [500, 200]
    assert len(rec.sleeps) == 1 and 0.5 <= rec.sleeps[0] <= 0.625  # backoff 0.5 s + jitter
    retry_logs = [r for r in caplog.records if r.levelno == logging.INFO and "retry" in r.message]
    assert len(retry_logs) == 1 and "HTTP 500" in retry_logs[0].message


def test_read_timeout_then_success(sandbox, rec):
    client = XClient(sandbox.base_url, TOKEN, on_response=rec.land, sleep=rec.sleep, timeout=0.5)
    before = served(sandbox, FOLLOWERS)
    sandbox.inject("slow", "/2/users/")

    followers = client.followers("762258524878294973", limit=10)

    assert len(followers) == 10
    assert client.calls == {FOLLOWERS: 2}
    assert served(sandbox, FOLLOWERS) - before == 2
    assert rec.statuses == [200]  # the timed-out attempt got no answer to land
    assert len(rec.sleeps) == 1


def test_truncated_json_then_success(client, rec, sandbox, scenario):
    sandbox.inject("truncated", "/2/users/")
    account = scenario.account("NorwichPolice")

    posts = client.user_posts(account.user_id, at("2026-09-01"), at("2026-09-15"))

    assert posts
    assert rec.statuses == [200, 200]
    with pytest.raises(ValueError):
        json.loads(rec.records[0].body)  # landed exactly as received, cut off
    assert json.loads(rec.records[1].body)["data"] == posts
    assert client.calls == {TWEETS: 2}


def test_retries_exhausted_raises_naming_endpoint_and_cause(sandbox, rec):
    client = XClient(sandbox.base_url, TOKEN, sleep=rec.sleep, max_retries=2, seed=1)
    sandbox.inject("503", "/2/users/", count=3)

    with pytest.raises(XApiError) as caught:
        client.followers("762258524878294973", limit=10)

    message = str(caught.value)
    assert "/2/users/762258524878294973/followers" in message
    assert "3 attempts" in message and "HTTP 503" in message
    assert client.calls == {FOLLOWERS: 3}
    assert len(rec.sleeps) == 2 and rec.sleeps[1] > rec.sleeps[0]


def test_on_response_receives_every_attempt_dated_by_the_platform(client, rec, sandbox):
    sandbox.inject("503", "/2/users/", count=2)
    before = sandbox.clock.now()

    client.followers("762258524878294973", limit=5)

    assert rec.statuses == [503, 503, 200]
    assert len(rec.records) == client.calls[FOLLOWERS] == 3
    for record in rec.records:
        assert record.platform == "x"
        assert record.endpoint == FOLLOWERS
        assert record.params == {"user.fields": "location", "max_results": "5"}
        assert record.fetched_at.tzinfo is not None and record.fetched_at == before
    assert json.loads(rec.records[0].body)["status"] == 503


# -- credentials ---------------------------------------------------------------------------


def test_401_raises_auth_error_naming_the_connection(sandbox, rec):
    client = XClient(
        sandbox.base_url,
        "expired-token",
        connection_id="x_api",
        on_response=rec.land,
        sleep=rec.sleep,
    )

    with pytest.raises(XAuthError) as caught:
        client.lookup_users(["NorfolkPolice"])

    message = str(caught.value)
    assert "Airflow connection 'x_api'" in message
    assert "HTTP 401" in message
    assert "AIRFLOW_CONN_X_API" in message and "password" in message
    assert caught.value.connection_id == "x_api"
    assert client.calls == {USERS_BY: 1}  # never retried
    assert rec.statuses == [401] and rec.sleeps == []


def test_403_client_not_enrolled_raises_auth_error_with_reason(client, rec, sandbox):
    sandbox.inject("403", USERS_BY)

    with pytest.raises(XAuthError) as caught:
        client.lookup_users(["NorfolkPolice"])

    message = str(caught.value)
    assert "HTTP 403" in message and "client-not-enrolled" in message
    assert "Airflow connection 'x_api'" in message and "AIRFLOW_CONN_X_API" in message
    assert client.calls == {USERS_BY: 1}
    assert rec.sleeps == []


def test_token_never_appears_in_records_logs_or_errors(sandbox, caplog):
    caplog.set_level(logging.DEBUG)  # root: includes urllib3's connection logs
    records: list[ResponseRecord] = []
    good = XClient(
        sandbox.base_url, TOKEN, on_response=records.append, sleep=lambda s: None, max_retries=1
    )
    sandbox.inject("500", USERS_BY)
    good.lookup_users(["NorfolkPolice"])  # succeeds after a retry
    sandbox.inject("503", "/2/users/", count=2)
    with pytest.raises(XApiError) as failed:
        good.followers("762258524878294973", limit=5)
    bad_token = "wrong-token-0d5e8b2a"
    bad = XClient(sandbox.base_url, bad_token, on_response=records.append, sleep=lambda s: None)
    with pytest.raises(XAuthError) as refused:
        bad.lookup_users(["NorfolkPolice"])

    assert any(r.name.startswith("urllib3") for r in caplog.records)  # the check has teeth
    assert len(records) == 5
    for secret in (TOKEN, bad_token):
        assert secret not in caplog.text
        assert all(secret not in repr(record) for record in records)
        assert secret not in str(failed.value) and secret not in str(refused.value)


# -- real-platform answers (issue 9) -------------------------------------------------------


def test_a_malformed_username_is_an_error_of_its_own_and_the_others_are_looked_up(client, rec):
    answer = client.lookup_users(["NorfolkPolice", "Norfolk-Police"])
    assert [u["username"] for u in answer.users] == ["NorfolkPolice"]
    (error,) = answer.errors
    assert error["value"] == "Norfolk-Police" and error["type"].endswith("invalid-request")
    assert rec.statuses == [400, 200]


def test_users_are_looked_up_by_id(client, scenario):
    account = scenario.account("NorwichPolice")
    answer = client.lookup_users_by_id([account.user_id])
    assert [u["username"] for u in answer.users] == ["NorwichPolice"]


def test_a_timeline_answered_with_errors_only_is_an_error_about_that_account(client, sandbox):
    parking = sandbox.scenario.account("WaveneyParking")
    with pytest.raises(XResourceError) as raised:
        client.user_posts(parking.user_id, at("2026-03-01"), at("2026-03-31"))
    assert raised.value.reason == "protected" and raised.value.status == 200


@pytest.mark.parametrize(("fault", "words"), [("usage_cap", "usage cap"), ("credits", "credits")])
def test_a_spent_budget_is_not_waited_for(client, rec, sandbox, fault, words):
    sandbox.inject(fault, "/2/users/by")
    with pytest.raises(XConnectionError, match=words):
        client.lookup_users(["NorfolkPolice"])
    assert rec.sleeps == [] and len(rec.records) == 1


def test_an_answer_without_a_date_header_is_dated_by_the_workers_clock():
    moment = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    assert answer_time({}, lambda: moment) == moment
    assert answer_time({"Date": "not a date"}, lambda: moment) == moment
    stamped = answer_time({"Date": "Fri, 07 Oct 2022 22:43:18 UTC"}, lambda: moment)
    assert stamped == datetime(2022, 10, 7, 22, 43, 18, tzinfo=UTC)
