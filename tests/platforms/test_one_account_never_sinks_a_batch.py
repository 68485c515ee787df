"""One account the platform will not show, or throttles, never sinks its batch; only what
stops every account (a refused token, a spent X budget) stops it, and what was received is
kept. Real HTTP against the sandbox."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sandbox import FaultConfig, SandboxServer
from socialmetrics.landing import failed_attempts, read_landing
from socialmetrics.platforms.meta.errors import MetaAuthError
from socialmetrics.platforms.meta.extract import MetaCredentials, extract_meta_batch
from socialmetrics.platforms.x.errors import XConnectionError
from socialmetrics.platforms.x.extract import XCredentials, extract_x_batch
from socialmetrics.window import RunWindow

DAY = date(2026, 3, 31)
WINDOW = RunWindow.of("scheduled__2026-03-31", datetime(2026, 3, 31), datetime(2026, 4, 1))
TOKEN = "isolation-token"
SINCE = "2026-03-24T00:00:00"


@pytest.fixture
def sandbox(scenario):
    faults = FaultConfig(graph_regain_minutes=30)
    with SandboxServer(scenario, token=TOKEN, faults=faults, rate_limit=10**9) as server:
        server.clock.run_of(DAY)
        yield server


def x_account(scenario, username: str, **extra) -> dict:
    account = scenario.account(username)
    return {
        "account_key": f"x:{account.account_ref.lower()}",
        "account_ref": account.account_ref,
        "platform": "x",
        "since": SINCE,
        "history": False,
        "sample_followers": True,
        **extra,
    }


def extract_x(sandbox, tmp_path, accounts: list[dict]) -> tuple[dict, list[dict]]:
    batch = {"batch": "x-00", "connector": "x", "accounts": accounts}
    landing = tmp_path / "x-00.jsonl"
    summary = extract_x_batch(
        batch, WINDOW, XCredentials(sandbox.base_url, TOKEN), landing, follower_sample_size=50
    )
    return summary, list(read_landing(landing))


def test_a_protected_account_leaves_the_others_of_its_batch_read(sandbox, scenario, tmp_path):
    accounts = [x_account(scenario, name) for name in ("WaveneyParking", "WaveneyCouncil")]
    summary, records = extract_x(sandbox, tmp_path, accounts)
    timelines = {
        r["context"]["account_key"]: r["status"] for r in records if r["context"]["kind"] == "posts"
    }
    assert timelines == {"x:waveneyparking": 200, "x:waveneycouncil": 200}
    council = [r for r in records if r["context"].get("account_key") == "x:waveneycouncil"]
    assert {r["context"]["kind"] for r in council} == {"posts", "followers"}
    assert summary["failures"] == {}


def test_known_accounts_are_looked_up_by_their_id(sandbox, scenario, tmp_path):
    account = scenario.account("NorfolkPolice")
    summary, records = extract_x(
        sandbox, tmp_path, [x_account(scenario, "NorfolkPolice", user_id=account.user_id)]
    )
    assert "/2/users" in summary["calls"] and "/2/users/by" not in summary["calls"]
    assert records[0]["params"]["ids"] == account.user_id


def test_an_account_whose_answers_stay_broken_is_listed_and_the_rest_is_read(
    sandbox, scenario, tmp_path
):
    parking = scenario.account("WaveneyCouncil")
    sandbox.inject("500", f"/2/users/{parking.user_id}/tweets", count=20)
    accounts = [x_account(scenario, name) for name in ("WaveneyCouncil", "NorfolkPolice")]
    summary, records = extract_x(sandbox, tmp_path, accounts)
    assert list(summary["failures"]) == ["x:waveneycouncil"]
    assert "failed after" in summary["failures"]["x:waveneycouncil"]
    norfolk = [r for r in records if r["context"].get("account_key") == "x:norfolkpolice"]
    assert {r["status"] for r in norfolk} == {200}


@pytest.mark.parametrize("fault", ["usage_cap", "credits"])
def test_a_spent_x_budget_stops_the_batch_and_keeps_what_it_received(
    sandbox, scenario, tmp_path, fault
):
    # The budget runs out after the lookup, on the second account's timeline.
    sandbox.inject(fault, f"/2/users/{scenario.account('NorwichPolice').user_id}/tweets")
    accounts = [x_account(scenario, name) for name in ("NorfolkPolice", "NorwichPolice")]
    with pytest.raises(XConnectionError, match="'x_api'"):
        extract_x(sandbox, tmp_path, accounts)
    (kept,) = failed_attempts(tmp_path / "x-00.jsonl")
    statuses = [r["status"] for r in read_landing(kept)]
    assert statuses[0] == 200 and statuses[-1] in (402, 429)
    assert not (tmp_path / "x-00.jsonl").exists()


# -- Graph -------------------------------------------------------------------------------------


def meta_account(account, *, sample: bool = False) -> dict:
    return {
        "account_key": f"{account.platform}:{account.user_id}",
        "account_ref": account.user_id,
        "platform": account.platform,
        "since": SINCE,
        "history": False,
        "sample_followers": sample,
    }


def extract_meta(sandbox, tmp_path, accounts, max_wait: float = 600.0) -> dict:
    batch = {"batch": "meta-00", "connector": "meta", "accounts": accounts}
    return extract_meta_batch(
        batch,
        WINDOW,
        MetaCredentials(sandbox.graph_url(), TOKEN),
        tmp_path / "meta-00.jsonl",
        today=lambda: DAY,
        client_options={"max_rate_limit_wait": max_wait, "sleep": lambda seconds: None},
    )


def test_a_page_throttled_longer_than_the_run_may_wait_is_deferred_alone(
    sandbox, scenario, tmp_path
):
    page, ig = scenario.accounts_on("facebook")[0], scenario.accounts_on("instagram")[0]
    sandbox.inject("graph_page_throttle", f"/v24.0/{page.user_id}")
    summary = extract_meta(sandbox, tmp_path, [meta_account(page), meta_account(ig)])
    assert list(summary["deferred"]) == [f"facebook:{page.user_id}"]
    assert "read again next run" in summary["deferred"][f"facebook:{page.user_id}"]
    ig_answers = [
        r
        for r in read_landing(tmp_path / "meta-00.jsonl")
        if r["context"].get("account_key") == f"instagram:{ig.user_id}"
    ]
    assert ig_answers and {r["status"] for r in ig_answers} == {200}


def test_an_app_wide_throttle_defers_every_account_left_in_the_batch(sandbox, scenario, tmp_path):
    page, ig = scenario.accounts_on("facebook")[0], scenario.accounts_on("instagram")[0]
    sandbox.inject("graph_rate_limit:4", count=50)
    summary = extract_meta(sandbox, tmp_path, [meta_account(page), meta_account(ig)])
    assert set(summary["deferred"]) == {f"facebook:{page.user_id}", f"instagram:{ig.user_id}"}


def test_an_insights_edge_the_app_may_not_read_is_noted_and_the_page_is_read(
    sandbox, scenario, tmp_path
):
    page = scenario.accounts_on("facebook")[0]
    sandbox.inject("graph_permission", f"/v24.0/{page.user_id}/insights")
    summary = extract_meta(sandbox, tmp_path, [meta_account(page)])
    assert summary["unavailable_metrics"] == {f"facebook:{page.user_id}": ["page insights"]}
    assert summary["failures"] == {} and summary["deferred"] == {}


def test_instagram_demographics_refused_with_2108006_are_noted(sandbox, scenario, tmp_path):
    ig = scenario.accounts_on("instagram")[0]
    sandbox.inject("graph_invalid_parameter")
    summary = extract_meta(sandbox, tmp_path, [meta_account(ig, sample=True)])
    assert summary["unavailable_metrics"] == {f"instagram:{ig.user_id}": ["follower_demographics"]}


def test_a_refused_graph_token_still_stops_the_batch(sandbox, scenario, tmp_path):
    page = scenario.accounts_on("facebook")[0]
    sandbox.inject("190")
    with pytest.raises(MetaAuthError, match="'meta_graph_api'"):
        extract_meta(sandbox, tmp_path, [meta_account(page)])
