"""Loading a run: one transaction, ops counts that add up, reruns that change nothing, and
odd text stored as data. Runs on DuckDB and PostgreSQL."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from socialmetrics.landing import LandingWriter
from socialmetrics.load import load_run
from socialmetrics.platforms.answers import ResponseRecord
from socialmetrics.registry import load_registry
from socialmetrics.settings import Settings
from socialmetrics.validation.batch import validate_batch
from socialmetrics.window import RunWindow

WINDOW = RunWindow.of("scheduled__2026-03-31", datetime(2026, 3, 31), datetime(2026, 4, 1))
FETCHED = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)  # when the scheduled run asked X


def answer(endpoint, body, status=200):
    return ResponseRecord("x", endpoint, {"max_results": "100"}, FETCHED, status, body)


def landed_batch(folder, posts, location="Shireton"):
    """A landing file with a lookup (one user found, one not) and one timeline page."""
    path = folder / "x-00.jsonl"
    with LandingWriter(path) as landing:
        landing.context = {
            "kind": "lookup",
            "accounts": {"shirepolice": "x:shirepolice", "pcrobert": "x:pcrobert"},
        }
        users = {
            "data": [
                {
                    "id": "11",
                    "username": "ShirePolice",
                    "name": "Shire Police 🚓",
                    "location": location,
                    "public_metrics": {
                        "followers_count": 5000,
                        "following_count": 10,
                        "tweet_count": 900,
                        "listed_count": 3,
                    },
                }
            ],
            "errors": [
                {
                    "value": "PCRobert",
                    "title": "Not Found Error",
                    "detail": "Could not find user with usernames: [PCRobert].",
                }
            ],
        }
        landing(answer("/2/users/by", json.dumps(users)))
        landing(answer("/2/users/:id/tweets", '{"data": [{"id": "1", "creat', status=200))
        landing.context = {"kind": "posts", "account_key": "x:shirepolice"}
        landing(answer("/2/users/:id/tweets", json.dumps({"data": posts, "meta": {}})))
    return {
        "batch": "x-00",
        "connector": "x",
        "landing_file": str(path),
        "accounts": 2,
        "calls": {"/2/users/by": 1, "/2/users/:id/tweets": 2},
    }


def post(post_id, likes=1, created_at="2026-03-31T10:00:00Z"):
    return {
        "id": post_id,
        "created_at": created_at,
        "text": 'It\'s "fine" 🙂; select 1',
        "public_metrics": {
            "like_count": likes,
            "reply_count": 0,
            "retweet_count": 0,
            "quote_count": 0,
        },
    }


def load_once(warehouse, small_registry, tmp_path, posts, location="Shireton"):
    summary = validate_batch(landed_batch(tmp_path, posts, location), WINDOW)
    registry = load_registry(small_registry)
    return load_run(warehouse, WINDOW, registry, Settings(), [summary])


def scalar(engine, sql):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_extracted_rows_equal_loaded_plus_quarantined(warehouse, small_registry, tmp_path):
    load_once(warehouse, small_registry, tmp_path, [post("1"), post("2", likes=-1)])
    with warehouse.connect() as conn:
        counts = dict(
            ((entity, stage), n)
            for entity, stage, n in conn.execute(
                sa.text("select entity, stage, row_count from ops.stage_count")
            )
        )
    assert counts[("post", "extracted")] == 2
    assert counts[("post", "loaded")] == 1
    assert counts[("post", "quarantined")] == 1
    for entity in ("post", "account_snapshot", "follower_sample"):
        assert counts[(entity, "extracted")] == (
            counts[(entity, "loaded")] + counts[(entity, "quarantined")]
        )
    assert scalar(warehouse, "select count(*) from quarantine.rejected_row") == 1


def test_every_answer_is_kept_in_raw_including_cut_off_ones(warehouse, small_registry, tmp_path):
    load_once(warehouse, small_registry, tmp_path, [post("1")])
    assert scalar(warehouse, "select count(*) from raw.api_response") == 3
    assert (
        scalar(warehouse, "select body from raw.api_response where seq = 1")
        == '{"data": [{"id": "1", "creat'
    )


def test_partial_errors_are_recorded_not_fatal(warehouse, small_registry, tmp_path):
    load_once(warehouse, small_registry, tmp_path, [post("1")])
    assert scalar(warehouse, "select account_ref from ops.extract_issue") == "PCRobert"
    assert scalar(warehouse, "select count(*) from core.account_snapshot") == 1


def test_accounts_without_a_profile_location_are_loaded(warehouse, small_registry, tmp_path):
    # Every snapshot of the batch lacks the location: the Parquet column has no type at all.
    load_once(warehouse, small_registry, tmp_path, [post("1")], location=None)
    assert scalar(warehouse, "select count(*) from core.account_snapshot") == 1
    with warehouse.connect() as conn:
        users = conn.execute(
            sa.text(
                "select account_key, profile_location, history_loaded_on from core.platform_user"
            )
        ).all()
    assert [tuple(u) for u in users] == [("x:shirepolice", None, FETCHED.date())]


def test_loading_the_same_run_twice_changes_nothing_in_core(warehouse, small_registry, tmp_path):
    load_once(warehouse, small_registry, tmp_path, [post("1", likes=4)])
    first = {t: scalar(warehouse, f"select count(*) from core.{t}") for t in ("post", "account")}
    load_once(warehouse, small_registry, tmp_path, [post("1", likes=4)])
    assert {t: scalar(warehouse, f"select count(*) from core.{t}") for t in first} == first
    assert scalar(warehouse, "select count(*) from raw.api_response") == 3


def test_later_answer_updates_a_posts_metrics(warehouse, small_registry, tmp_path):
    load_once(warehouse, small_registry, tmp_path, [post("1", likes=4)])
    load_once(warehouse, small_registry, tmp_path, [post("1", likes=9)])
    assert scalar(warehouse, "select likes from core.post") == 9


def test_quotes_sql_and_emoji_are_stored_as_data(warehouse, small_registry, tmp_path):
    load_once(warehouse, small_registry, tmp_path, [post("1")])
    names = {
        row[0]
        for row in warehouse.connect().execute(sa.text("select display_name from core.account"))
    }
    assert names == {'Shire Police 🚓 "official"', "PC Robert'); drop table core.post; --"}
    assert scalar(warehouse, "select count(*) from core.post") == 1


def test_a_failed_load_leaves_the_warehouse_as_it_was(warehouse, small_registry, tmp_path):
    load_once(warehouse, small_registry, tmp_path, [post("1")])
    broken = validate_batch(landed_batch(tmp_path, [post("7")]), WINDOW)
    broken["rejected"] = str(tmp_path / "missing.parquet")
    with pytest.raises(FileNotFoundError):
        load_run(warehouse, WINDOW, load_registry(small_registry), Settings(), [broken])
    assert scalar(warehouse, "select count(*) from core.post") == 1
