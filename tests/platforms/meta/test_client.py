"""MetaGraphClient against the sandbox over real HTTP: paging, insights windows, retired
metrics, rate limits, expired tokens, retries, and the raw landing of every attempt."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from socialmetrics.errors import ConfigurationError
from socialmetrics.platforms.meta.client import PAGE, PAGE_INSIGHTS, PAGE_POSTS, MetaGraphClient
from socialmetrics.platforms.meta.errors import MetaApiError, MetaAuthError
from socialmetrics.platforms.meta.extract import credentials_from_connection

TOKEN = "graph-token-5e1d7c9a3f"  # distinctive, so a leak is found by plain search


@pytest.fixture(scope="module")
def sandbox(scenario):
    # slow answers are held back 1 s: past the 0.5 s client timeout, short for teardown.
    faults = FaultConfig(slow_seconds=1.0)
    with SandboxServer(scenario, token=TOKEN, faults=faults) as server:
        yield server


def make_client(server, rec, **options):
    options = {"timeout": 0.5, "seed": 1, "sleep": rec.sleep, **options}
    return MetaGraphClient(server.graph_url(), TOKEN, on_response=rec.land, **options)


@pytest.fixture
def client(sandbox, rec):
    with make_client(sandbox, rec) as graph:
        yield graph


@pytest.fixture(scope="module")
def page(scenario):
    return scenario.accounts_on("facebook")[0]


@pytest.fixture(scope="module")
def ig(scenario):
    return scenario.accounts_on("instagram")[0]


MARCH = (date(2026, 3, 1), date(2026, 3, 8))


# -- nodes, paging, the token --------------------------------------------------------------


def test_page_returns_followers_and_id(client, page):
    assert client.page(page.user_id) == {
        "name": "Norfolk Constabulary",
        "followers_count": 61_870,
        "fan_count": int(61_870 * 0.88),
        "id": page.user_id,
    }


def test_posts_follow_paging_next_until_it_is_absent(client, scenario, page):
    start, end = datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    posts = client.page_posts(page.user_id, start, end)
    expected = [f"{page.user_id}_{p.id}" for p in scenario.iter_posts(page, start=start, end=end)]
    assert [p["id"] for p in posts] == expected
    assert client.calls == {PAGE_POSTS: -(-len(expected) // 100)}


def test_token_travels_only_in_the_authorization_header(sandbox, rec, page):
    sent = []
    with make_client(sandbox, rec) as graph:
        graph._session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request))
        graph.page_posts(page.user_id, datetime(2026, 1, 1), datetime(2026, 4, 1))
    assert len(sent) > 1  # the paging links the sandbox gave carried the token
    assert all(TOKEN not in request.url for request in sent)
    assert all(request.headers["Authorization"] == f"Bearer {TOKEN}" for request in sent)


def test_landed_params_never_hold_the_token(client, rec, page):
    client.page_posts(page.user_id, datetime(2026, 1, 1), datetime(2026, 4, 1))
    assert len(rec.records) > 1
    assert all("access_token" not in r.params for r in rec.records)
    assert all(TOKEN not in str(r.params) for r in rec.records)
    assert rec.records[1].params["after"]  # the cursor of the followed link is kept


def test_tokens_in_paging_links_are_removed_from_landed_bodies(client, rec, page):
    client.page_posts(page.user_id, datetime(2026, 1, 1), datetime(2026, 4, 1))
    first = rec.records[0].body
    assert "access_token=REDACTED" in first
    assert all(TOKEN not in r.body for r in rec.records)


def test_instagram_media_match_the_scenario(client, scenario, ig):
    start, end = datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    media = client.ig_media(ig.user_id, start, end)
    expected = list(scenario.iter_posts(ig, start=start, end=end))
    assert [m["id"] for m in media] == [str(p.id) for p in expected]
    assert sum(m["like_count"] + m["comments_count"] for m in media) == sum(
        p.engagement for p in expected
    )


def test_instagram_follower_cities_are_the_top_45(client, scenario, ig):
    cities = client.ig_follower_cities(ig.user_id)
    assert cities == dict(scenario.city_breakdown(ig).cities)
    assert len(cities) == 45 and cities["Norwich, England"] > 0


# -- insights ---------------------------------------------------------------------------------


def test_insights_are_asked_for_in_windows_of_at_most_90_days(client, rec, page):
    values, unavailable = client.page_insights(
        page.user_id, ["page_follows"], date(2025, 6, 1), date(2025, 12, 18)
    )
    windows = [(r.params["since"], r.params["until"]) for r in rec.records]
    assert windows == [
        ("2025-06-01", "2025-08-30"),
        ("2025-08-30", "2025-11-28"),
        ("2025-11-28", "2025-12-18"),
    ]
    assert len(values["page_follows"]) == (date(2025, 12, 18) - date(2025, 6, 1)).days
    assert unavailable == []


def test_a_retired_metric_is_skipped_and_the_others_are_kept(client, page):
    values, unavailable = client.page_insights(
        page.user_id, ["page_follows", "page_fans", "page_media_view"], *MARCH
    )
    assert unavailable == ["page_fans"]
    assert list(values) == ["page_follows", "page_media_view"]
    assert [len(v) for v in values.values()] == [7, 7]


def test_a_retired_metric_is_asked_for_once_per_run_not_per_window(client, page):
    client.page_insights(
        page.user_id, ["page_follows", "page_impressions"], date(2025, 6, 1), date(2025, 12, 1)
    )
    # first window: the pair, then each alone; later windows: page_follows only
    assert client.calls == {PAGE_INSIGHTS: 3 + 2}


def test_a_retired_metric_asked_for_alone_is_unavailable_not_an_error(client, page):
    result = client.page_insights(page.user_id, ["page_fans_city"], *MARCH)
    assert result == ({}, ["page_fans_city"])


def test_insights_error_other_than_a_metric_is_raised(client, page):
    with pytest.raises(MetaApiError) as caught:
        client.page_insights(page.user_id, ["page_follows"], *MARCH, period="month")
    assert caught.value.code == 100 and "period" in str(caught.value)


# -- rate limits and auth ------------------------------------------------------------------


@pytest.mark.parametrize("code", [4, 17, 32, 613, 341])
def test_rate_limit_errors_back_off_and_resume(sandbox, client, rec, page, code):
    sandbox.inject(f"graph_rate_limit:{code}", count=2)
    assert client.page(page.user_id)["id"] == page.user_id
    assert [r.status for r in rec.records] == [403 if code == 4 else 400] * 2 + [200]
    assert len(rec.sleeps) == 2 and 2.0 <= rec.sleeps[0] < rec.sleeps[1]


def test_rate_limit_waits_the_estimated_time_to_regain_access(scenario, rec, page):
    faults = FaultConfig(graph_regain_minutes=2)
    with SandboxServer(scenario, token=TOKEN, faults=faults) as server:
        server.inject("graph_rate_limit")
        with make_client(server, rec) as graph:
            graph.page(page.user_id)
    assert rec.sleeps == [120.0]


def test_a_regain_time_past_the_longest_wait_fails_clearly(scenario, rec, page):
    faults = FaultConfig(graph_regain_minutes=30)
    with SandboxServer(scenario, token=TOKEN, faults=faults) as server:
        server.inject("graph_rate_limit")
        with make_client(server, rec, max_rate_limit_wait=600) as graph:
            with pytest.raises(MetaApiError, match="estimated_time_to_regain_access"):
                graph.page(page.user_id)
    assert rec.sleeps == []


def test_usage_at_100_percent_pauses_before_the_next_call(scenario, rec, page):
    def sleep(seconds):  # record the asked wait; wait out the 1 s window for real
        rec.sleeps.append(seconds)
        time.sleep(max(0.0, server.rate_limiter.peek(PAGE)[2] - time.time()) + 0.05)

    limits = {PAGE: 2}
    with SandboxServer(scenario, token=TOKEN, rate_limit=limits, rate_window_seconds=1) as server:
        with make_client(server, rec, sleep=sleep) as graph:
            for _ in range(3):
                graph.page(page.user_id)
    assert rec.sleeps == [60.0]  # estimated_time_to_regain_access: 1 minute
    assert [r.status for r in rec.records] == [200, 200, 200]


def test_expired_token_fails_fast_naming_the_connection(sandbox, client, rec, page):
    sandbox.inject("190")
    with pytest.raises(MetaAuthError) as caught:
        client.page(page.user_id)
    message = str(caught.value)
    assert "'meta_graph_api'" in message and "AIRFLOW_CONN_META_GRAPH_API" in message
    assert "expired" in message and "password" in message
    assert (caught.value.code, caught.value.subcode) == (190, 463)
    assert client.calls == {PAGE: 1} and rec.sleeps == []


def test_a_wrong_token_is_an_auth_error_without_the_token_in_it(sandbox, rec, page):
    wrong = "wrong-token-0b9e"
    graph = MetaGraphClient(sandbox.graph_url(), wrong, on_response=rec.land, sleep=rec.sleep)
    with pytest.raises(MetaAuthError) as caught:
        graph.page(page.user_id)
    assert caught.value.code == 190 and wrong not in str(caught.value)


def test_an_empty_token_is_refused_before_any_call(sandbox):
    with pytest.raises(MetaAuthError, match="meta_graph_api"):
        MetaGraphClient(sandbox.graph_url(), "")


# -- retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "503", "truncated", "slow"])
def test_transient_faults_are_retried(sandbox, client, rec, page, fault):
    sandbox.inject(fault, count=2)
    assert client.page(page.user_id)["followers_count"] == 61_870
    assert client.calls == {PAGE: 3} and len(rec.sleeps) == 2


def test_every_attempt_is_landed_as_received(sandbox, client, rec, page):
    sandbox.inject("503")
    sandbox.inject("truncated")
    client.page(page.user_id)
    assert [r.status for r in rec.records] == [503, 200, 200]
    assert '"code":2' in rec.records[0].body
    assert rec.records[1].body.startswith("{") and not rec.records[1].body.endswith("}")
    assert {r.endpoint for r in rec.records} == {PAGE} and rec.records[0].platform == "facebook"


def test_retries_run_out_with_a_meta_api_error(sandbox, rec, page):
    sandbox.inject("500", count=3)
    with make_client(sandbox, rec, max_retries=2) as graph:
        with pytest.raises(MetaApiError, match="after 3 attempts"):
            graph.page(page.user_id)


def test_an_unknown_page_is_asked_again_before_it_is_believed_not_found(sandbox, rec):
    with make_client(sandbox, rec, max_retries=2) as graph:
        with pytest.raises(MetaApiError) as caught:
            graph.page("1234567890")
    assert caught.value.not_found and caught.value.fbtrace_id
    assert len(rec.records) == 3 and len(rec.sleeps) == 2


def test_a_live_page_answered_not_found_under_load_is_read_on_a_retry(sandbox, rec):
    page = sandbox.scenario.accounts_on("facebook")[0]
    sandbox.inject("graph_not_found", count=2)
    with make_client(sandbox, rec) as graph:
        assert graph.page(page.user_id)["id"] == page.user_id
    assert [r.status for r in rec.records] == [400, 400, 200]


# -- configuration -----------------------------------------------------------------------------


def test_a_base_url_without_the_api_version_is_refused(sandbox):
    with pytest.raises(ValueError, match="v24.0"):
        MetaGraphClient(sandbox.base_url, TOKEN)


def test_credentials_from_a_uri_connection_keep_port_and_version():
    conn = SimpleNamespace(
        conn_id="meta_graph_api",
        conn_type="http",
        host="127.0.0.1",
        schema="v24.0",
        port=8765,
        password="secret",
    )
    credentials = credentials_from_connection(conn)
    assert credentials.base_url == "http://127.0.0.1:8765/v24.0"
    assert credentials.access_token == "secret"


def test_credentials_without_the_version_name_the_connection():
    conn = SimpleNamespace(
        conn_id="meta_graph_api",
        conn_type="http",
        host="https://graph.facebook.com",
        schema="",
        port=None,
        password="secret",
    )
    with pytest.raises(ConfigurationError, match="meta_graph_api.*v24.0"):
        credentials_from_connection(conn)


def test_the_insights_window_after_a_backfill_reaches_today(client, page):
    # Long ranges need no special call: a year is five windows.
    client.page_insights(
        page.user_id, ["page_follows"], date(2025, 10, 1), date(2025, 10, 1) + timedelta(days=365)
    )
    assert client.calls == {PAGE_INSIGHTS: 5}
