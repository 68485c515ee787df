"""The sandbox scenarios: the published review's facts (docs/design.md#1-the-problem), checked
through the HTTP API; registry; scale."""

from __future__ import annotations

import csv
import re
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import requests

from sandbox import SandboxServer, default_scenario, national_scenario
from sandbox.scenario import planted_consolidation_effects, post_id_datetime

REPO = Path(__file__).resolve().parents[2]
DEMO_REGISTRY = REPO / "registry" / "demo"
AUTH = {"Authorization": "Bearer sandbox-token"}
NORFOLK = "Norfolk Constabulary"
REVIEW = date(2026, 3, 31)


# The matching rule of docs/design.md#7-follower-locality, written out independently of the code.
def normalise(text: str | None) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"['’]", "", text)
    return re.sub(r"[\W_]+", " ", text).strip()  # other non-letter/non-digit runs -> one space


def classify(location: str | None, places: list[str]) -> str:
    key = normalise(location)
    if not any(ch.isalpha() for ch in key):
        return "unknown"
    padded = f" {key} "
    return "in_area" if any(f" {normalise(p)} " in padded for p in places) else "outside"


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


def norfolk_x(scenario, kind=None):
    return [a for a in scenario.accounts_of(NORFOLK, kind) if a.platform == "x"]


@pytest.fixture(scope="module")
def user_ids(sandbox, http, scenario):
    """Username -> user id, resolved through /2/users/by as a client would."""
    names = ",".join(a.username for a in norfolk_x(scenario))
    body = http.get(sandbox.base_url + "/2/users/by", params={"usernames": names}).json()
    return {u["username"]: u["id"] for u in body["data"]}


def test_norfolk_has_one_force_seven_districts_twelve_officers_on_x(scenario):
    kinds = [a.kind for a in norfolk_x(scenario)]
    assert kinds.count("force") == 1
    assert kinds.count("district") == 7
    assert kinds.count("officer") == 12
    assert len(kinds) == 20 and scenario.accounts[:20] == tuple(norfolk_x(scenario))
    for account in scenario.accounts:
        if account.platform == "x":
            assert re.fullmatch(r"[A-Za-z0-9_]{1,15}", account.username)
        assert account.user_id.isdigit()
    for account in scenario.accounts_of(NORFOLK):
        assert account.owner_email.endswith("@norfolk-police.example")
    assert len({a.user_id for a in scenario.accounts}) == len(scenario.accounts)
    assert len({a.username.lower() for a in scenario.accounts_on("x")}) == len(
        scenario.accounts_on("x")
    )
    force = scenario.account("NorfolkPolice")
    assert 35_000 <= force.followers_count <= 45_000
    for account in norfolk_x(scenario, "district"):
        assert 3_000 <= account.followers_count <= 15_000
    for account in norfolk_x(scenario, "officer"):
        assert 300 <= account.followers_count <= 2_500


def test_six_of_twelve_officers_are_dormant_at_the_review(sandbox, http, scenario, user_ids):
    """Last post as the timeline shows it, with the review day's data in."""
    end_time = "2026-04-01T00:00:00Z"
    gaps = {}
    for account in scenario.accounts_of(NORFOLK, "officer"):
        body = http.get(
            f"{sandbox.base_url}/2/users/{user_ids[account.username]}/tweets",
            params={"end_time": end_time, "max_results": 5, "tweet.fields": "created_at"},
        ).json()
        if "data" in body:
            last = datetime.fromisoformat(body["data"][0]["created_at"]).date()
            gaps[account.username] = (REVIEW - last).days
            assert last == account.last_post_date
        else:
            gaps[account.username] = None
            assert account.last_post_date is None
            assert (REVIEW - account.opened_on).days > 30
    dormant = {name for name, gap in gaps.items() if gap is None or gap > 30}
    assert len(gaps) == 12
    assert len(dormant) == 6
    assert sorted(g for g in gaps.values() if g is not None) == [
        1,
        2,
        5,
        10,
        20,
        30,
        31,
        45,
        90,
        150,
        300,
    ]
    assert gaps["PCSOAmyClarke"] == 30 and "PCSOAmyClarke" not in dormant  # edge: still active
    assert gaps["SgtTomBaker"] == 31 and "SgtTomBaker" in dormant  # edge: dormant
    for account in scenario.accounts_of(NORFOLK):
        if account.kind != "officer":
            assert (REVIEW - scenario.last_post_on_or_before(account, REVIEW)).days <= 2
    assert len([a for a in scenario.accounts_of(NORFOLK) if a.kind == "officer"]) == 12


def test_follower_locality_is_72_and_48_percent(sandbox, http, scenario, user_ids):
    with (DEMO_REGISTRY / "gazetteer.csv").open(encoding="utf-8", newline="") as handle:
        places = [row["place"] for row in csv.DictReader(handle) if row["area"] == "Norfolk"]
    pooled = {}
    unknown = total = 0
    for kind in ("district", "officer"):
        counts = {"in_area": 0, "outside": 0, "unknown": 0}
        for account in scenario.accounts_of(NORFOLK, kind):
            body = http.get(
                f"{sandbox.base_url}/2/users/{user_ids[account.username]}/followers",
                params={"max_results": 1000, "user.fields": "location"},
            ).json()
            assert len(body["data"]) == min(1000, account.followers_count)
            per_account = {"in_area": 0, "outside": 0, "unknown": 0}
            for follower in body["data"]:
                per_account[classify(follower.get("location"), places)] += 1
            share = per_account["in_area"] / (per_account["in_area"] + per_account["outside"])
            assert round(share * 100) == (72 if kind == "district" else 48), account.username
            for key, value in per_account.items():
                counts[key] += value
        pooled[kind] = counts["in_area"] / (counts["in_area"] + counts["outside"])
        unknown += counts["unknown"]
        total += sum(counts.values())
    assert round(pooled["district"] * 100) == 72
    assert round(pooled["officer"] * 100) == 48
    assert 0.07 < unknown / total < 0.13


def test_follower_locations_use_varied_spellings(scenario):
    seen = {f.location for a in norfolk_x(scenario) for f in scenario.followers(a, 0, 1000)}
    for variant in ("NORWICH, UK", "norwich.", "King's Lynn", "Gt Yarmouth", "Cromer 🌊"):
        assert variant in seen
    for variant in ("Lowestoft", "Ipswich, Suffolk", "UK", "", None, "🌍", "123", " - "):
        assert variant in seen
    for account in scenario.accounts_on("x")[::3]:
        places = list(scenario.gazetteer[account.area])
        for follower in scenario.followers(account, 0, 300):
            assert classify(follower.location, places) == follower.location_class


def test_consolidation_closes_officers_and_busies_districts(sandbox, http, scenario, user_ids):
    event = date(2026, 5, 1)
    districts = {a.username for a in scenario.accounts_of(NORFOLK, "district")}
    for account in scenario.accounts_of(NORFOLK, "officer"):
        assert account.closed_on == event
        assert account.successor_ref in districts
        body = http.get(
            f"{sandbox.base_url}/2/users/{user_ids[account.username]}/tweets",
            params={"start_time": "2026-05-01T00:00:00Z"},
        ).json()
        assert body == {"meta": {"result_count": 0}}
    day = (event - scenario.start_date).days
    counts = sum(
        scenario.daily_post_counts(a).astype(int) for a in scenario.accounts_of(NORFOLK, "district")
    )
    assert counts[day : day + 90].sum() > 1.3 * counts[day - 90 : day].sum()
    before = scenario.daily_engagement(NORFOLK, event - timedelta(days=90), event - timedelta(1))
    after = scenario.daily_engagement(NORFOLK, event, event + timedelta(days=89))
    change = sum(after.values()) / sum(before.values())
    assert 1.15 < change < 1.35


def test_post_ids_are_unique_and_carry_their_time(scenario):
    ids = set()
    for account in scenario.accounts:
        for post in scenario.iter_posts(
            account, start=datetime(2026, 3, 1, tzinfo=UTC), end=datetime(2026, 4, 1, tzinfo=UTC)
        ):
            assert post.id not in ids
            ids.add(post.id)
            assert abs(post_id_datetime(post.id) - post.created_at) < timedelta(seconds=1)
            assert post.engagement >= 0
    assert len(ids) > 400


def test_scenario_is_deterministic():
    first, second, other = default_scenario(42), default_scenario(42), default_scenario(7)
    assert first == second
    day = date(2026, 3, 10)
    assert first.posts_on("NorwichPolice", day) == second.posts_on("NorwichPolice", day)
    assert first.followers("KLWNPolice", 0, 50) == second.followers("KLWNPolice", 0, 50)
    counts = first.daily_post_counts("NorwichPolice")
    assert not np.array_equal(counts, other.daily_post_counts("NorwichPolice"))


def test_committed_demo_registry_equals_the_generator(tmp_path, scenario):
    written = scenario.write_registry(tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["accounts.csv", "consolidations.csv", "gazetteer.csv", "organisations.csv"]
    for name in names:
        assert (DEMO_REGISTRY / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_registry_files_have_the_spec_columns(scenario):
    headers = {
        "accounts.csv": "organisation,platform,account_ref,display_name,kind,area,owner_email,"
        "opened_on,closed_on,successor_ref",
        "consolidations.csv": "organisation,event_date,description",
        "gazetteer.csv": "area,place",
        "organisations.csv": "organisation,comms_email",
    }
    for name, header in headers.items():
        lines = (DEMO_REGISTRY / name).read_text(encoding="utf-8").splitlines()
        assert lines[0] == header
    with (DEMO_REGISTRY / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(scenario.accounts)
    assert [r["platform"] for r in rows[:22]] == ["x"] * 20 + ["facebook", "instagram"]
    officer = next(r for r in rows if r["account_ref"] == "PCJaneSmith")
    assert officer["closed_on"] == "2026-05-01" and officer["successor_ref"] == "NorwichPolice"
    force = next(r for r in rows if r["account_ref"] == "NorfolkPolice")
    assert force["closed_on"] == "" and force["successor_ref"] == ""
    with (DEMO_REGISTRY / "consolidations.csv").open(encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle))[0]["event_date"] == "2026-05-01"


def test_extra_organisations_keep_the_default_ones_unchanged():
    base = default_scenario(42)
    extended = default_scenario(42, extra_organisations=4)
    assert extended.accounts[: len(base.accounts)] == base.accounts
    assert len(extended.organisations) == len(base.organisations) + 4
    assert len(extended.gazetteer) == len(base.gazetteer) + 4
    day = date(2026, 2, 2)
    assert extended.posts_on("NorwichPolice", day) == base.posts_on("NorwichPolice", day)


# -- the further organisations of the default scenario (national findings) -------------------


PLANTED = {name for name, effect in planted_consolidation_effects().items() if effect != 1.0}


def regional(scenario):
    """The further organisations of issue 4 (no planted consolidation effect)."""
    return [o for o in scenario.organisations if o.name != NORFOLK and o.name not in PLANTED]


def expected_per_day(scenario, organisation, first, last):
    """Expected engagement per day of an organisation over first..last, from its rates."""
    total = 0.0
    for account in scenario.accounts_of(organisation):
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if account.last_post_date is None or day > account.last_post_date:
                continue
            if day < max(account.opened_on, scenario.start_date):
                continue
            rate, per_post = account.rate_on(day)
            total += rate * per_post
    return total / ((last - first).days + 1)


def test_at_least_twelve_more_organisations_of_3_to_40_accounts(scenario):
    others = regional(scenario)
    sizes = [len(scenario.accounts_of(o.name)) for o in others]
    assert len(others) >= 12
    assert min(sizes) == 3 and max(sizes) == 40 and len(set(sizes)) == len(sizes)
    for org in others:
        assert org.area in scenario.gazetteer and len(scenario.gazetteer[org.area]) >= 5
        assert {a.area for a in scenario.accounts_of(org.name)} == {org.area}


def test_engagement_is_not_correlated_with_the_number_of_accounts(scenario):
    first, last = REVIEW - timedelta(days=89), REVIEW
    sizes, engagement = [], []
    for org in scenario.organisations:
        sizes.append(len(scenario.accounts_of(org.name)))
        engagement.append(sum(scenario.daily_engagement(org.name, first, last).values()))
    ranks = [np.argsort(np.argsort(values)) for values in (sizes, engagement)]
    assert abs(np.corrcoef(*ranks)[0, 1]) < 0.2


def test_about_half_consolidate_in_2025_or_2026_closing_officer_accounts(scenario):
    consolidating = [o for o in regional(scenario) if o.consolidation_date]
    assert 0.4 <= len(consolidating) / len(regional(scenario)) <= 0.6
    for org in consolidating:
        assert org.consolidation_date.year in (2025, 2026)
        officers = scenario.accounts_of(org.name, "officer")
        assert officers and all(a.closed_on == org.consolidation_date for a in officers)
        assert all(a.successor_ref for a in officers)


def test_consolidation_effects_are_planted_as_declared(scenario):
    """Norfolk +25%, the regional organisations none, and four more organisations +40%,
    +15%, -20% and +5% (one loses engagement): the pooled national finding's events."""
    effects = planted_consolidation_effects()
    assert sorted(v for v in effects.values() if v != 1.0) == [0.80, 1.05, 1.15, 1.25, 1.40]
    assert effects[NORFOLK] == 1.25
    for org in scenario.organisations:
        event = org.consolidation_date
        if event is None:
            continue
        before = expected_per_day(scenario, org.name, event - timedelta(90), event - timedelta(1))
        after = expected_per_day(scenario, org.name, event, event + timedelta(89))
        assert after / before == pytest.approx(effects[org.name], abs=0.005), org.name


def test_planted_organisations_have_6_to_11_accounts_and_close_their_officers(scenario):
    for name in PLANTED - {NORFOLK}:
        (org,) = [o for o in scenario.organisations if o.name == name]
        accounts = scenario.accounts_of(name)
        assert 6 <= len(accounts) <= 11
        assert all(a.closed_on == org.consolidation_date for a in accounts if a.kind == "officer")
        assert len(scenario.gazetteer[org.area]) >= 5


def test_national_scenario_is_lazy_and_uncorrelated(tmp_path):
    started = time.monotonic()
    national = national_scenario(accounts=6000, days=365, posts_per_day=2.0, seed=42)
    assert time.monotonic() - started < 3
    assert len(national.accounts) == 6000
    assert national.start_date == date(2025, 11, 1) and national.end_date == date(2026, 10, 31)
    assert len({a.user_id for a in national.accounts}) == 6000
    sizes, engagement = [], []
    for org in national.organisations:
        accounts = national.accounts_of(org.name)
        sizes.append(len(accounts))
        engagement.append(sum(a.posts_per_day * a.engagement_per_post for a in accounts))
    assert len(sizes) > 100
    ranks = [np.argsort(np.argsort(values)) for values in (sizes, engagement)]
    rho = np.corrcoef(*ranks)[0, 1]
    assert abs(rho) < 0.2
    assert any(o.consolidation_date for o in national.organisations)
    assert any(not o.consolidation_date for o in national.organisations)
    # Gazetteer and planted follower classes agree with the matching rule.
    for account in national.accounts[:200:20]:
        places = list(national.gazetteer[account.area])
        for follower in national.followers(account, 0, 200):
            assert classify(follower.location, places) == follower.location_class
    # Average posting close to posts_per_day over active accounts.
    sample = national.accounts[::50]
    rates = [national.daily_post_counts(a)[-30:].mean() for a in sample if a.closed_on is None]
    assert 1.5 < float(np.mean(rates)) < 2.6
    with SandboxServer(national) as server:
        account = [a for a in national.accounts if a.kind == "force"][-1]
        started = time.monotonic()
        body = requests.get(
            f"{server.base_url}/2/users/{account.user_id}/tweets",
            params={"max_results": 100, "tweet.fields": "created_at,public_metrics"},
            headers=AUTH,
        ).json()
        assert time.monotonic() - started < 1
        assert body["meta"]["result_count"] > 0
    national.write_registry(tmp_path)
    with (tmp_path / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 6000
