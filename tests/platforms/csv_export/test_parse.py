"""Our own documented CSV layout (docs/csv_exports.md), landed by extract_csv_batch, parsed
into staging frames and validated: the samples of docs/csv_exports, each file-level problem
as an issue naming file, line and column, and bad row values quarantined with a reason (none
dropped silently). The platforms' own layouts: test_layouts.py."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from socialmetrics.landing import read_landing
from socialmetrics.platforms.csv_export.extract import extract_csv_batch
from socialmetrics.platforms.csv_export.parse import parse_csv_landing
from socialmetrics.platforms.meta.parse import FOLLOWER_BREAKDOWN_COLUMNS
from socialmetrics.registry import account_key
from socialmetrics.rows import POST_COLUMNS, SNAPSHOT_COLUMNS
from socialmetrics.text import place_key
from socialmetrics.validation.validate import validate_frame
from socialmetrics.window import RunWindow

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "csv_exports"
WINDOW = RunWindow.of("scheduled__2026-03-31", datetime(2026, 3, 31), datetime(2026, 4, 1))
ACCOUNTS = [
    {
        "account_key": account_key(p, r),
        "account_ref": r,
        "platform": p,
        "source": "export",
        "timezone": "Europe/London",
    }
    for p, r in [("x", "NorfolkPolice"), ("facebook", "494526278141726")]
]
BATCH = {"batch": "csv_export-00", "connector": "csv_export", "accounts": ACCOUNTS}


def _parse(folder: Path, tmp_path: Path, window: RunWindow = WINDOW):
    landing = tmp_path / "landing" / "csv_export-00.jsonl"
    extract_csv_batch(BATCH, window, folder, landing)
    return parse_csv_landing(read_landing(landing), window, ACCOUNTS)


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("samples")
    return _parse(SAMPLES, tmp)


def test_sample_followers_give_a_snapshot_per_day_up_to_the_runs_day(samples):
    frame = samples.frames["account_snapshot"]
    assert list(frame.columns) == SNAPSHOT_COLUMNS
    assert len(frame) == 5  # every date of the file, up to the run's day
    row = frame.iloc[-1]
    assert row["account_key"] == "x:norfolkpolice"
    assert row["snapshot_date"] == date(2026, 3, 31)
    # An export never names the platform's user id: a username is not one.
    assert row["platform_user_id"] is None
    assert row["followers_count"] == 164262
    assert json.loads(row["_record"]) == {
        "file": "x_NorfolkPolice_followers.csv",
        "line": 6,
        "date": "2026-03-31",
        "followers_count": "164262",
    }
    assert samples.issues == [] and samples.answers == 3


def test_sample_posts_typed_utc_and_engagement(samples):
    frame = samples.frames["post"]
    assert list(frame.columns) == POST_COLUMNS
    assert frame["post_id"].tolist() == [
        "1906321845110947840",
        "1906402214563012608",
        "1906689001234567168",
        "1907011225588813824",
        "1907104459201126400",
    ]
    # +01:00 converted to UTC; no offset read as UTC
    assert frame["published_at"].iloc[1] == pd.Timestamp("2026-03-29T12:34:12")
    assert frame["published_at"].iloc[3] == pd.Timestamp("2026-03-31T07:30:00")
    assert str(frame["published_at"].dtype) == "datetime64[us]"
    assert frame["engagement"].tolist() == [62, 186, 12, 94, 37]
    assert frame["impressions"].iloc[2] is pd.NA
    assert frame["bookmarks"].isna().all()
    assert frame["published_on"].iloc[4] == date(2026, 3, 31)


def test_sample_cities_with_remainder(samples):
    frame = samples.frames["follower_breakdown"]
    assert list(frame.columns) == FOLLOWER_BREAKDOWN_COLUMNS
    assert (frame["account_key"] == "facebook:494526278141726").all()
    assert (frame["source"] == "csv_export").all()
    assert (frame["snapshot_date"] == date(2026, 3, 31)).all()
    assert frame["place"].tolist()[-1] is None
    assert frame["place_key"].tolist()[2] == place_key("King's Lynn, England")
    assert int(frame["followers"].sum()) == 48210 + 9120 + 7834 + 4012 + 3650 + 21480


def test_samples_pass_validation(samples):
    assert samples.unreadable == []
    for entity, frame in samples.frames.items():
        outcome = validate_frame(entity, frame, WINDOW.end, "export")
        assert len(outcome.rejected) == 0, (entity, outcome.rejected)
        assert len(outcome.accepted) == len(frame)


def test_rows_after_the_runs_day_are_left_to_their_run(tmp_path):
    window = RunWindow.of("manual", datetime(2026, 3, 29), datetime(2026, 3, 30))
    parsed = _parse(SAMPLES, tmp_path, window)
    assert parsed.frames["account_snapshot"]["snapshot_date"].tolist() == [
        date(2026, 3, 27),
        date(2026, 3, 28),
        date(2026, 3, 29),
    ]
    assert len(parsed.frames["post"]) == 2  # published before 2026-03-30
    assert parsed.frames["follower_breakdown"].empty  # the breakdown is of 2026-03-31


@pytest.mark.parametrize(
    ("name", "content", "issue", "where"),
    [
        ("norfolk_posts.csv", "post_id\n", "bad file name", "norfolk_posts.csv"),
        ("x_NorfolkPolice_likes.csv", "a\n", "bad file name", "x_NorfolkPolice_likes.csv"),
        ("x_NorfolkPolice_posts.txt", "a\n", "bad file name", "x_NorfolkPolice_posts.txt"),
        (
            "tiktok_NorfolkPolice_posts.csv",
            "post_id\n",
            "unknown platform",
            "tiktok_NorfolkPolice_posts.csv",
        ),
        (
            "x_SomeoneElse_followers.csv",
            "date,followers_count\n2026-03-31,5\n",
            "account not in registry",
            "x_SomeoneElse_followers.csv",
        ),
        (
            "x_NorfolkPolice_posts.csv",
            "post_id,published_at,likes,replies,reposts\n1,2026-03-31T00:00:00Z,1,1,1\n",
            "missing column",
            "x_NorfolkPolice_posts.csv line 1, column quotes",
        ),
        (
            "x_NorfolkPolice_followers.csv",
            "",
            "missing header",
            "x_NorfolkPolice_followers.csv line 1",
        ),
    ],
)
def test_file_level_problem_is_an_issue(tmp_path, name, content, issue, where):
    _write(tmp_path / "in", name, content)
    parsed = _parse(tmp_path / "in", tmp_path)
    assert len(parsed.issues) == 1
    found = parsed.issues[0]
    assert found["platform"] == "csv" and found["endpoint"] == name
    assert found["issue"] == issue
    assert found["detail"].startswith(where + ":"), found["detail"]
    assert all(frame.empty for frame in parsed.frames.values())


def test_latin1_file_is_an_issue_with_line_and_column(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = "date,city,followers\n2026-03-31,Norwich,5\n2026-03-31,Wymondham Caf\xe9,2\n"
    (folder / "facebook_494526278141726_cities.csv").write_bytes(text.encode("latin-1"))
    parsed = _parse(folder, tmp_path)
    [issue] = parsed.issues
    assert issue["issue"] == "not UTF-8"
    assert issue["account_ref"] == "494526278141726"
    assert issue["detail"].startswith(
        "facebook_494526278141726_cities.csv line 3, column 25: byte 0xe9 is not UTF-8"
    )


def test_bom_extra_columns_and_header_case_are_accepted(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x_norfolkpolice_followers.csv").write_bytes(
        "\ufeffDate , Followers_Count,Net change\r\n2026-03-31,100,+3\r\n".encode()
    )
    parsed = _parse(folder, tmp_path)
    assert parsed.issues == []
    assert parsed.frames["account_snapshot"]["followers_count"].tolist() == [100]


def _rejections(parsed, entity: str) -> dict[int, str]:
    """Quarantine reasons by line: cells the parser could not read, then validation."""
    frame = parsed.frames[entity]
    outcome = validate_frame(entity, frame, WINDOW.end, "export")
    assert len(outcome.accepted) + len(outcome.rejected) == len(frame)
    rejected = [r for r in parsed.unreadable if r["entity"] == entity]
    rejected += outcome.rejected.to_dict("records")
    return {json.loads(r["record"])["line"]: r["reason"] for r in rejected}


def test_bad_post_values_are_quarantined_with_a_reason(tmp_path):
    _write(
        tmp_path / "in",
        "x_NorfolkPolice_posts.csv",
        "post_id,published_at,likes,replies,reposts,quotes\n"
        "1,2026-03-31T08:00:00Z,5,1,0,0\n"  # line 2: good
        "2,2026-03-31T09:00:00Z,-4,1,0,0\n"  # line 3: negative likes
        "3,31/03/2026 10:00,5,1,0,0\n"  # line 4: bad date
        "4,2026-03-31T11:00:00Z,5,1.5,0,0\n"  # line 5: not an integer
        "5,2026-03-31T12:00:00Z,1.2K,1,0,0\n"  # line 6: not an integer
        "abc,2026-03-31T13:00:00Z,5,1,0,0\n"  # line 7: bad post id
        "6,2026-03-31T14:00:00Z,5,1\n",  # line 8: short row
    )
    parsed = _parse(tmp_path / "in", tmp_path)
    assert len(parsed.frames["post"]) + len(parsed.unreadable) == 7
    reasons = _rejections(parsed, "post")
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "likes: a count cannot be negative" in reasons[3]
    assert "published_at" in reasons[4]
    assert "replies" in reasons[5]
    assert "likes" in reasons[6]
    assert "post_id" in reasons[7]
    assert "reposts" in reasons[8]


def test_bad_follower_and_city_values_are_quarantined_with_a_reason(tmp_path):
    folder = tmp_path / "in"
    _write(
        folder,
        "x_NorfolkPolice_followers.csv",
        "date,followers_count\n2026-03-31,-1\n",
    )
    _write(
        folder,
        "facebook_494526278141726_cities.csv",
        "date,city,followers\n2026-03-31,Norwich,12\n2026-03-31,Diss,n/a\n2026-03-31,,-3\n",
    )
    parsed = _parse(folder, tmp_path)
    snapshots = _rejections(parsed, "account_snapshot")
    assert "followers_count: a count cannot be negative" in snapshots[2]
    cities = _rejections(parsed, "follower_breakdown")
    assert sorted(cities) == [3, 4]
    assert "followers" in cities[3] and "negative" in cities[4]


def test_unreadable_follower_date_is_quarantined_not_dropped(tmp_path):
    _write(
        tmp_path / "in",
        "x_NorfolkPolice_followers.csv",
        "date,followers_count\n2026-03-31,10\n31/03/2026,11\n",
    )
    parsed = _parse(tmp_path / "in", tmp_path)
    assert parsed.frames["account_snapshot"]["followers_count"].tolist() == [10]
    assert _rejections(parsed, "account_snapshot") == {
        3: "date '31/03/2026' is not a date written like '2026-03-31'"
    }


def test_followers_over_a_long_window_give_one_snapshot_per_day(tmp_path):
    window = RunWindow.of("backfill", datetime(2026, 3, 27), datetime(2026, 4, 1))
    frame = _parse(SAMPLES, tmp_path, window).frames["account_snapshot"]
    assert len(frame) == 5
    outcome = validate_frame("account_snapshot", frame, window.end, "export")
    assert len(outcome.accepted) == 5
