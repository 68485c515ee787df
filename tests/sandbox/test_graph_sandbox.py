"""The Meta Graph API sandbox over real HTTP: answer shapes, paging, insights, retired metrics,
faults, usage headers, and the Norfolk Facebook page and Instagram account it serves."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox import FaultConfig, SandboxServer, default_scenario
from sandbox.graph_schema import GRAPH_METRICS
from socialmetrics.platforms.meta import metrics as meta_metrics
from socialmetrics.text import place_key

TOKEN = "graph-sandbox-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NORFOLK = "Norfolk Constabulary"
DEMO_REGISTRY = Path(__file__).resolve().parents[2] / "registry" / "demo"
POST_FIELDS = (
    "id,created_time,message,shares,reactions.summary(true).limit(0),"
    "comments.summary(true).limit(0)"
)
CITY = {"metric": "follower_demographics", "period": "lifetime", "metric_type": "total_value"}


@pytest.fixture(scope="module")
def scenario():
    return default_scenario(42)


@pytest.fixture(scope="module")
def sandbox(scenario):
    with SandboxServer(scenario, token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def faulty(scenario):
    faults = FaultConfig(slow_seconds=0.2, graph_regain_minutes=3)
    with SandboxServer(scenario, token=TOKEN, faults=faults) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_leftover_faults(sandbox, faulty):
    yield
    sandbox.faults.clear()
    faulty.faults.clear()


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.headers.update(AUTH)
        yield session


@pytest.fixture(scope="module")
def page(scenario):
    return scenario.accounts_on("facebook")[0]


@pytest.fixture(scope="module")
def ig(scenario):
    return scenario.accounts_on("instagram")[0]


def get(http, server, path, **params):
    return http.get(server.graph_url() + path, params=params, timeout=10)


def insights(http, server, node, metric, since, until, period="day"):
    return get(
        http,
        server,
        f"/{node}/insights",
        metric=metric,
        period=period,
        since=since.isoformat(),
        until=until.isoformat(),
    )


def norfolk_places():
    with (DEMO_REGISTRY / "gazetteer.csv").open(encoding="utf-8", newline="") as handle:
        return [place_key(r["place"]) for r in csv.DictReader(handle) if r["area"] == "Norfolk"]


def in_area(city: str, places) -> bool:
    return any(f" {p} " in f" {place_key(city)} " for p in places)


# -- the scenario's Graph accounts -------------------------------------------------------------


def test_norfolk_has_a_facebook_page_and_an_instagram_account_of_kind_force(scenario, page, ig):
    graph = [a for a in scenario.accounts_of(NORFOLK) if a.platform != "x"]
    assert [(a.platform, a.kind, a.area) for a in graph] == [
        ("facebook", "force", "Norfolk"),
        ("instagram", "force", "Norfolk"),
    ]
    assert page.account_ref == page.user_id and page.user_id.isdigit() and len(page.user_id) == 15
    assert ig.account_ref == ig.user_id and ig.user_id.startswith("17841")


def test_city_breakdowns_put_the_planted_share_of_listed_followers_in_norfolk(scenario, page, ig):
    places = norfolk_places()
    planted = {"facebook": (37_333, 50_450, 61_870), "instagram": (6_322, 10_900, 14_930)}
    for account in (page, ig):
        cities = scenario.city_breakdown(account).cities
        inside = sum(n for city, n in cities if in_area(city, places))
        listed = sum(n for _, n in cities)
        assert (inside, listed, account.followers_count) == planted[account.platform]


# -- nodes --------------------------------------------------------------------------------------


def test_page_answers_the_requested_fields_and_its_id(sandbox, http, page):
    response = get(http, sandbox, f"/{page.user_id}", fields="name,followers_count,fan_count")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"name", "followers_count", "fan_count", "id"}
    assert body["id"] == page.user_id and body["followers_count"] == 61_870
    assert 0 < body["fan_count"] < body["followers_count"]


def test_unknown_field_is_error_100_naming_it(sandbox, http, page):
    response = get(http, sandbox, f"/{page.user_id}", fields="name,likes_total")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100 and "(likes_total)" in error["message"]


def test_unknown_id_is_error_100_subcode_33_with_a_trace_id(sandbox, http):
    response = get(http, sandbox, "/1234567890", fields="name")
    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["code"], error["error_subcode"], error["type"]) == (
        100,
        33,
        "GraphMethodException",
    )
    assert len(error["fbtrace_id"]) == 11


def test_instagram_account_answers_followers_and_media_count(sandbox, http, scenario, ig):
    body = get(http, sandbox, f"/{ig.user_id}", fields="username,followers_count,media_count")
    assert body.json() == {
        "username": "norfolkpolice",
        "followers_count": 14_930,
        "media_count": scenario.post_count(ig),
        "id": ig.user_id,
    }


# -- the access token --------------------------------------------------------------------------


def test_token_is_accepted_as_parameter_or_bearer_header(sandbox, page):
    url = f"{sandbox.graph_url()}/{page.user_id}"
    by_param = requests.get(url, params={"access_token": TOKEN}, timeout=10)
    by_header = requests.get(url, headers=AUTH, timeout=10)
    assert by_param.status_code == by_header.status_code == 200


def test_missing_token_is_error_104(sandbox, page):
    response = requests.get(f"{sandbox.graph_url()}/{page.user_id}", timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 104


def test_wrong_token_is_error_190(sandbox, page):
    url = f"{sandbox.graph_url()}/{page.user_id}"
    response = requests.get(url, params={"access_token": "nope"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 190


# -- posts and media -----------------------------------------------------------------------------


def test_posts_page_by_cursor_until_next_is_absent(sandbox, http, scenario, page):
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC)
    query = {"fields": "id", "limit": "10", "since": "2026-03-01", "until": "2026-03-15"}
    url = f"{sandbox.graph_url()}/{page.user_id}/posts"
    ids, pages = [], []
    while url:
        body = http.get(url, params=query, timeout=10).json()
        pages.append(body)
        ids += [p["id"] for p in body["data"]]
        url, query = body["paging"].get("next"), None
    expected = [f"{page.user_id}_{p.id}" for p in scenario.iter_posts(page, start=start, end=end)]
    assert ids == expected and len(pages) == -(-len(expected) // 10)
    assert all("after" in p["paging"]["cursors"] for p in pages)
    assert all("next" in p["paging"] for p in pages[:-1])


def test_post_counts_are_reaction_and_comment_summaries_and_shares(sandbox, http, scenario, page):
    day = date(2026, 3, 10)
    post = next(p for p in scenario.posts_on(page, day) if p.retweet_count)
    body = get(
        http,
        sandbox,
        f"/{page.user_id}/posts",
        fields=POST_FIELDS,
        since="2026-03-10",
        until="2026-03-11",
        limit="100",
    ).json()
    item = next(p for p in body["data"] if p["id"] == f"{page.user_id}_{post.id}")
    assert item["reactions"] == {
        "data": [],
        "summary": {"total_count": post.like_count, "viewer_reaction": "NONE"},
    }
    assert item["comments"]["summary"]["total_count"] == post.reply_count
    assert item["shares"] == {"count": post.retweet_count}
    assert item["created_time"] == post.created_at.strftime("%Y-%m-%dT%H:%M:%S+0000")


def test_a_post_nobody_shared_has_no_shares_field(sandbox, http, scenario, page):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    unshared = next(p for p in scenario.iter_posts(page, start=start) if p.retweet_count == 0)
    day = unshared.created_at.date()
    body = get(
        http,
        sandbox,
        f"/{page.user_id}/posts",
        fields="id,shares",
        since=day.isoformat(),
        until=(day + timedelta(days=1)).isoformat(),
        limit="100",
    ).json()
    item = next(p for p in body["data"] if p["id"].endswith(f"_{unshared.id}"))
    assert "shares" not in item


def test_reactions_without_limit_zero_list_up_to_25_reactors(sandbox, http, page):
    body = get(
        http, sandbox, f"/{page.user_id}/posts", fields="reactions.summary(true)", limit="1"
    ).json()
    reactions = body["data"][0]["reactions"]
    assert len(reactions["data"]) == min(25, reactions["summary"]["total_count"])
    assert {"id", "name", "type"} == set(reactions["data"][0])


def test_paging_links_carry_the_access_token_as_graph_does(sandbox, http, page):
    body = get(http, sandbox, f"/{page.user_id}/posts", fields="id", limit="2").json()
    assert parse_qs(urlsplit(body["paging"]["next"]).query)["access_token"] == [TOKEN]


def test_instagram_media_page_through_all_media_of_a_range(sandbox, http, scenario, ig):
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    query = {"fields": "id,timestamp,like_count,comments_count", "limit": "25"}
    query |= {"since": str(int(start.timestamp())), "until": str(int(end.timestamp()))}
    url, seen = f"{sandbox.graph_url()}/{ig.user_id}/media", []
    while url:
        body = http.get(url, params=query, timeout=10).json()
        seen += body["data"]
        url, query = body.get("paging", {}).get("next"), None
    expected = list(scenario.iter_posts(ig, start=start, end=end))
    assert [m["id"] for m in seen] == [str(p.id) for p in expected]
    assert [m["like_count"] + m["comments_count"] for m in seen] == [p.engagement for p in expected]


# -- page insights -----------------------------------------------------------------------------


def test_insights_give_one_value_per_day_ending_at_pacific_midnight(sandbox, http, page):
    body = insights(
        http, sandbox, page.user_id, "page_media_view", date(2026, 3, 7), date(2026, 3, 10)
    ).json()
    (metric,) = body["data"]
    assert metric["name"] == "page_media_view" and metric["period"] == "day"
    assert metric["id"] == f"{page.user_id}/insights/page_media_view/day"
    # US daylight saving time starts on 2026-03-08: midnight moves from 08:00 to 07:00 UTC.
    assert [v["end_time"] for v in metric["values"]] == [
        "2026-03-08T08:00:00+0000",
        "2026-03-09T07:00:00+0000",
        "2026-03-10T07:00:00+0000",
    ]
    assert all(isinstance(v["value"], int) for v in metric["values"])
    assert set(body["paging"]) == {"previous", "next"}


def test_page_follows_on_the_last_day_equals_followers_count(sandbox, http, scenario, page):
    end = scenario.end_date
    body = insights(http, sandbox, page.user_id, "page_follows", end, end + timedelta(days=1))
    assert body.json()["data"][0]["values"][-1]["value"] == page.followers_count


def test_page_post_engagements_count_the_days_posts(sandbox, http, scenario, page):
    day = date(2026, 3, 10)
    body = insights(
        http, sandbox, page.user_id, "page_post_engagements", day, day + timedelta(days=1)
    )
    on_posts = sum(p.engagement for p in scenario.posts_on(page, day))
    assert body.json()["data"][0]["values"][0]["value"] >= on_posts > 0


def test_more_than_90_days_in_one_call_is_error_100(sandbox, http, page):
    response = insights(
        http, sandbox, page.user_id, "page_follows", date(2026, 1, 1), date(2026, 4, 2)
    )
    assert response.status_code == 400
    assert "90 days" in response.json()["error"]["message"]


def test_a_retired_metric_sinks_the_whole_call_with_error_100(sandbox, http, page):
    response = insights(
        http, sandbox, page.user_id, "page_follows,page_fans", date(2026, 3, 1), date(2026, 3, 2)
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["message"] == "(#100) The value must be a valid insights metric"


def test_a_retired_metric_is_refused_every_time_not_at_random(sandbox, http, page):
    statuses = {
        insights(
            http,
            sandbox,
            page.user_id,
            "page_impressions",
            date(2024, 12, 1) + timedelta(d),
            date(2024, 12, 2) + timedelta(d),
        ).status_code
        for d in range(5)
    }
    assert statuses == {400}


def test_insights_older_than_two_years_are_not_served(sandbox, http, scenario, page):
    oldest = scenario.end_date - timedelta(days=729)
    body = insights(
        http,
        sandbox,
        page.user_id,
        "page_follows",
        oldest - timedelta(days=3),
        oldest + timedelta(days=2),
    ).json()
    first = body["data"][0]["values"][0]["end_time"]
    assert len(body["data"][0]["values"]) == 2
    assert first.startswith((oldest + timedelta(days=1)).isoformat())


def test_page_follows_city_lists_the_top_45_cities_only(sandbox, http, page):
    body = insights(
        http, sandbox, page.user_id, "page_follows_city", date(2026, 3, 31), date(2026, 4, 1)
    ).json()
    cities = body["data"][0]["values"][0]["value"]
    assert len(cities) == 45
    assert "Norwich, England, United Kingdom" in cities
    assert sum(cities.values()) == 50_450 < page.followers_count


def test_sandbox_refuses_exactly_the_metrics_the_registry_says_are_retired(scenario):
    now = scenario.end_date
    for entry in meta_metrics.METRICS:
        served = GRAPH_METRICS[entry.name]
        assert served.retired_on == entry.retired_on, entry.name
        assert served.served_on(now) == entry.valid_on(now), entry.name


# -- Instagram follower demographics ------------------------------------------------------------


def test_follower_demographics_by_city_in_total_value_shape(sandbox, http, ig):
    body = get(http, sandbox, f"/{ig.user_id}/insights", breakdown="city", **CITY).json()
    (metric,) = body["data"]
    assert metric["name"] == "follower_demographics" and metric["period"] == "lifetime"
    assert metric["id"] == f"{ig.user_id}/insights/follower_demographics/lifetime"
    (breakdown,) = metric["total_value"]["breakdowns"]
    assert breakdown["dimension_keys"] == ["city"]
    results = breakdown["results"]
    assert len(results) == 45
    assert results[0] == {"dimension_values": ["Norwich, England"], "value": results[0]["value"]}
    assert sum(r["value"] for r in results) == 10_900 < ig.followers_count


def test_follower_demographics_without_metric_type_is_error_100(sandbox, http, ig):
    params = {k: v for k, v in CITY.items() if k != "metric_type"}
    response = get(http, sandbox, f"/{ig.user_id}/insights", breakdown="city", **params)
    assert response.status_code == 400
    assert "metric_type=total_value" in response.json()["error"]["message"]


# -- usage headers, rate limits and faults ----------------------------------------------------


def test_every_graph_answer_carries_usage_headers(sandbox, http, page):
    response = get(http, sandbox, f"/{page.user_id}", fields="name")
    app = json.loads(response.headers["X-App-Usage"])
    (usage,) = json.loads(response.headers["X-Business-Use-Case-Usage"])[page.user_id]
    assert set(app) == {"call_count", "total_cputime", "total_time"}
    assert usage["type"] == "pages" and usage["estimated_time_to_regain_access"] == 0


def test_graph_rate_limit_faults_rotate_codes_4_17_32_613(faulty, http, page):
    faulty.inject("graph_rate_limit", count=4)
    answers = [get(http, faulty, f"/{page.user_id}", fields="name") for _ in range(4)]
    assert [(r.status_code, r.json()["error"]["code"]) for r in answers] == [
        (403, 4),
        (400, 17),
        (400, 32),
        (400, 613),
    ]
    assert all(r.json()["error"]["is_transient"] is True for r in answers)


def test_graph_rate_limit_fault_announces_the_time_to_regain_access(faulty, http, page):
    faulty.inject("graph_rate_limit:613")
    response = get(http, faulty, f"/{page.user_id}", fields="name")
    (usage,) = json.loads(response.headers["X-Business-Use-Case-Usage"])[page.user_id]
    assert json.loads(response.headers["X-App-Usage"])["call_count"] == 100
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] == 3


def test_expired_token_fault_is_401_code_190_subcode_463(faulty, http, page):
    faulty.inject("190")
    response = get(http, faulty, f"/{page.user_id}", fields="name")
    error = response.json()["error"]
    assert response.status_code == 401
    assert (error["code"], error["error_subcode"], error["type"]) == (190, 463, "OAuthException")
    assert "expired" in error["message"]


def test_server_error_faults_answer_graph_error_bodies(faulty, http, page):
    faulty.inject("500")
    faulty.inject("503")
    first = get(http, faulty, f"/{page.user_id}", fields="name")
    second = get(http, faulty, f"/{page.user_id}", fields="name")
    assert (first.status_code, first.json()["error"]["code"]) == (500, 1)
    assert (second.status_code, second.json()["error"]["code"]) == (503, 2)


def test_truncated_fault_cuts_the_json_in_half(faulty, http, page):
    faulty.inject("truncated")
    response = get(http, faulty, f"/{page.user_id}", fields="name,followers_count")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_x_only_faults_leave_graph_requests_alone(faulty, http, page):
    faulty.inject("429")
    graph = get(http, faulty, f"/{page.user_id}", fields="name")
    x = http.get(faulty.base_url + "/2/users/by", params={"usernames": "NorfolkPolice"})
    assert (graph.status_code, x.status_code) == (200, 429)


def test_exhausted_window_answers_error_4_with_the_wait_in_minutes(scenario, page):
    with SandboxServer(scenario, token=TOKEN, rate_limit={"/{page-id}": 1}) as server:
        url = f"{server.graph_url()}/{page.user_id}"
        requests.get(url, headers=AUTH, timeout=10)
        response = requests.get(url, headers=AUTH, timeout=10)
    (usage,) = json.loads(response.headers["X-Business-Use-Case-Usage"])[page.user_id]
    assert (response.status_code, response.json()["error"]["code"]) == (403, 4)
    assert usage["estimated_time_to_regain_access"] == 15  # the 900 s window


def test_x_endpoints_do_not_know_graph_accounts(sandbox, http, page):
    body = http.get(sandbox.base_url + f"/2/users/{page.user_id}/tweets", timeout=10).json()
    assert "data" not in body and body["errors"][0]["resource_id"] == page.user_id
