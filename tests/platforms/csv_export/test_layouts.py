"""The platforms' own exports, as downloaded (issue 10): each recognised by its header, its
rows given to the registry account the export names (else its folder or file name), dates
and times as the platform meant them, unreadable cells quarantined with the first line of
their record, and overlapping copies reduced to the latest. Fixtures: tests/fixtures/exports
(our own files in the real layouts)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from socialmetrics.landing import read_landing
from socialmetrics.platforms.csv_export.extract import extract_csv_batch
from socialmetrics.platforms.csv_export.parse import parse_csv_landing
from socialmetrics.registry import account_key
from socialmetrics.validation.validate import validate_frame
from socialmetrics.window import RunWindow

SHIRE = Path(__file__).resolve().parents[2] / "fixtures" / "exports" / "shire"
X_CONTENT = "account_analytics_content_2026-09-15_2026-10-14.csv"
X_OVERVIEW = "ShirePolice/account_overview_analytics_2026-09-15_2026-10-14.csv"
LEGACY = "tweet_activity_metrics_PCRobert_20260801_20260831_en.csv"
FACEBOOK = "Sep-15-2026_Oct-14-2026_1209455021778134.csv"
INSTAGRAM = "Sep-15-2026_Oct-14-2026_1209455021778135.csv"
WINDOW = RunWindow.of("scheduled__2026-10-14", datetime(2026, 10, 14), datetime(2026, 10, 15))
REFS = [
    ("x", "ShirePolice"),
    ("x", "PCRobert"),
    ("x", "ShirePolice_Ops"),
    ("facebook", "100000000000001"),
    ("instagram", "17841400000000001"),
]


def accounts(timezone="Europe/London", api=()):
    return [
        {
            "account_key": account_key(platform, ref),
            "platform": platform,
            "account_ref": ref,
            "source": "api" if ref in api else "export",
            "timezone": timezone,
        }
        for platform, ref in REFS
    ]


def parse(folder: Path, tmp_path: Path, registry=None):
    registry = accounts() if registry is None else registry
    landing = tmp_path / "landing" / "csv_export-00.jsonl"
    extract_csv_batch({"batch": "csv_export-00", "accounts": registry}, WINDOW, folder, landing)
    return parse_csv_landing(read_landing(landing), WINDOW, registry)


def folder_with(tmp_path: Path, *files: str, names: dict[str, str] | None = None) -> Path:
    """A fresh export folder holding fixture ``files`` (renamed as ``names`` says)."""
    folder = tmp_path / "exports"
    for file in files:
        target = folder / (names or {}).get(file, file)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SHIRE / file, target)
    return folder


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def posts_of(parsed, key: str) -> pd.DataFrame:
    frame = parsed.frames["post"]
    return frame[frame["account_key"] == key].set_index("post_id")


def reasons(parsed) -> dict[tuple[str, int], str]:
    return {
        (json.loads(r["record"])["file"], json.loads(r["record"])["line"]): r["reason"]
        for r in parsed.unreadable
    }


def test_x_content_export_is_recognised_by_its_header_whatever_its_name(tmp_path):
    parsed = parse(folder_with(tmp_path, X_CONTENT, names={X_CONTENT: "my posts.csv"}), tmp_path)
    assert parsed.issues == []
    posts = posts_of(parsed, "x:shirepolice")
    assert sorted(posts.index) == [
        "1966000000000000002",
        "1968000000000000003",
        "1970000000000000004",
        "1973000000000000005",
        "1976000000000000007",
    ]


def test_x_content_dates_a_post_by_its_day_without_a_made_up_time(tmp_path):
    parsed = parse(folder_with(tmp_path, X_CONTENT), tmp_path)
    post = posts_of(parsed, "x:shirepolice").loc["1970000000000000004"]
    assert pd.isna(post["published_at"])
    assert post["published_on"] == date(2026, 9, 28)
    assert pd.isna(post["quotes"])  # X's exports do not count quotes
    assert (post["likes"], post["replies"], post["reposts"], post["engagement"]) == (
        171,
        22,
        44,
        171 + 22 + 44,
    )
    assert (post["bookmarks"], post["impressions"]) == (11, 9900)


def test_x_content_rows_pass_the_export_suite(tmp_path):
    parsed = parse(folder_with(tmp_path, X_CONTENT), tmp_path)
    outcome = validate_frame("post", parsed.frames["post"], WINDOW.end, "export")
    assert outcome.rejected.empty and len(outcome.accepted) == 5


def test_an_unreadable_cell_quarantines_its_row_with_the_first_line_of_its_record(tmp_path):
    parsed = parse(folder_with(tmp_path, X_CONTENT), tmp_path)
    # The record of post ...006 spans lines 3 to 5 (its caption has a blank line).
    assert reasons(parsed) == {(X_CONTENT, 3): "Likes '1.2K' is not a whole number"}
    (rejected,) = parsed.unreadable
    assert rejected["entity"] == "post"
    assert json.loads(rejected["record"])["Post id"] == "1975000000000000006"


def test_x_overview_gives_follows_and_unfollows_per_day_to_its_folders_account(tmp_path):
    parsed = parse(folder_with(tmp_path, X_OVERVIEW), tmp_path)
    assert parsed.issues == []
    changes = parsed.frames["follower_change"].set_index("day")
    assert len(changes) == 30
    assert set(changes["account_key"]) == {"x:shirepolice"}
    assert tuple(changes.loc[date(2026, 10, 13), ["new_follows", "unfollows"]]) == (17, 3)
    outcome = validate_frame("follower_change", parsed.frames["follower_change"], WINDOW.end)
    assert outcome.rejected.empty


def test_x_overview_named_after_its_account_is_given_to_it(tmp_path):
    name = "account_overview_analytics_ShirePolice_2026-10.csv"
    parsed = parse(folder_with(tmp_path, X_OVERVIEW, names={X_OVERVIEW: name}), tmp_path)
    assert parsed.issues == []
    assert set(parsed.frames["follower_change"]["account_key"]) == {"x:shirepolice"}


def test_the_longest_account_named_in_a_file_name_wins_over_one_inside_it(tmp_path):
    name = "ShirePolice_Ops_account_overview_analytics.csv"
    parsed = parse(folder_with(tmp_path, X_OVERVIEW, names={X_OVERVIEW: name}), tmp_path)
    assert set(parsed.frames["follower_change"]["account_key"]) == {"x:shirepolice_ops"}


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("account_overview_analytics.csv", "neither the export, its folder nor its file name"),
        ("ShirePolice_vs_PCRobert_overview.csv", "names several accounts (PCRobert, ShirePolice)"),
    ],
)
def test_an_export_without_its_account_is_reported_by_name_not_guessed(tmp_path, name, why):
    parsed = parse(folder_with(tmp_path, X_OVERVIEW, names={X_OVERVIEW: name}), tmp_path)
    (issue,) = parsed.issues
    assert (issue["endpoint"], issue["issue"], issue["account_ref"]) == (
        name,
        "account unknown",
        None,
    )
    assert issue["detail"].startswith(f"{name} line 2: X Analytics account overview export")
    assert why in issue["detail"] and "(30 rows)" in issue["detail"]
    assert parsed.frames["follower_change"].empty


def test_an_account_the_registry_lacks_is_reported_with_the_file_even_in_a_known_folder(
    tmp_path,
):
    folder = tmp_path / "exports"
    text = (SHIRE / X_CONTENT).read_text(encoding="utf-8")
    text = text.replace("x.com/ShirePolice", "x.com/Other")
    write(folder, f"ShirePolice/{X_CONTENT}", text)
    parsed = parse(folder, tmp_path)
    (issue,) = parsed.issues
    assert (issue["issue"], issue["account_ref"]) == ("account not in registry", "Other")
    assert issue["detail"] == (
        f"ShirePolice/{X_CONTENT}: X Analytics content export; its Post Link names the x "
        "account 'Other' (6 rows), which is not in the registry (accounts.csv); add it with "
        "source export, or remove the file"
    )
    assert parsed.frames["post"].empty and parsed.unreadable == []


def test_exports_of_an_account_read_through_the_api_are_reported_not_read(tmp_path):
    parsed = parse(folder_with(tmp_path, X_CONTENT), tmp_path, accounts(api=("ShirePolice",)))
    (issue,) = parsed.issues
    assert (issue["issue"], issue["account_ref"]) == ("account read through the API", "ShirePolice")
    assert (
        "has source api in accounts.csv, so its exports are not read (6 rows)" in (issue["detail"])
    )
    assert parsed.frames["post"].empty


def test_legacy_tweet_activity_reads_the_utc_time_and_the_twitter_permalink(tmp_path):
    parsed = parse(folder_with(tmp_path, LEGACY), tmp_path)
    assert parsed.issues == [] and parsed.unreadable == []
    post = posts_of(parsed, "x:pcrobert").loc["1958000000000000002"]
    assert post["published_at"] == pd.Timestamp("2026-08-20 18:45")
    assert (post["likes"], post["replies"], post["reposts"], post["bookmarks"]) == (38, 3, 4, 2)
    assert post["impressions"] == 1240 and pd.isna(post["quotes"])


def test_facebook_export_reads_local_times_separated_counts_and_page_post_ids(tmp_path):
    parsed = parse(folder_with(tmp_path, FACEBOOK), tmp_path)
    assert parsed.issues == [] and parsed.unreadable == []
    posts = posts_of(parsed, "facebook:100000000000001")
    missing = posts.loc["100000000000001_1200000000000005"]
    # 08:00 in London in October (summer time) is 07:00 UTC; "1,204" reactions are 1204.
    assert missing["published_at"] == pd.Timestamp("2026-10-09 07:00")
    assert (missing["likes"], missing["replies"], missing["reposts"], missing["quotes"]) == (
        1204,
        56,
        31,
        0,
    )
    assert missing["impressions"] == 15_000 and pd.isna(missing["bookmarks"])
    assert posts.loc["100000000000001_1200000000000004", "published_on"] == date(2026, 9, 27)


def test_local_times_are_read_in_the_organisations_time_zone(tmp_path):
    parsed = parse(folder_with(tmp_path, FACEBOOK), tmp_path, accounts("America/New_York"))
    posts = posts_of(parsed, "facebook:100000000000001")
    assert posts.loc["100000000000001_1200000000000005", "published_at"] == pd.Timestamp(
        "2026-10-09 12:00"
    )


def test_the_repeated_hour_when_clocks_go_back_is_read_as_summer_time(tmp_path):
    header = (SHIRE / FACEBOOK).read_text(encoding="utf-8").splitlines()[0]
    row = (
        '1200000000000009,100000000000001,"Shire Police","Clocks go back tonight",,0,'
        '"10/25/2026 01:30",N/A,https://www.facebook.com/x,0,0,Photos,,,,,Lifetime,'
        "10,8,3,2,1,0,1,1,0"
    )
    write(tmp_path / "exports", "fb.csv", f"{header}\n{row}\n")
    window = RunWindow.of("late", datetime(2026, 10, 25), datetime(2026, 10, 26))
    landing = tmp_path / "l.jsonl"
    batch = {"batch": "csv_export-00", "accounts": accounts()}
    extract_csv_batch(batch, window, tmp_path / "exports", landing)
    parsed = parse_csv_landing(read_landing(landing), window, accounts())
    assert parsed.frames["post"]["published_at"].tolist() == [pd.Timestamp("2026-10-25 00:30")]


def test_meta_na_in_a_required_count_quarantines_the_row_and_empty_optional_is_unknown(
    tmp_path,
):
    header = (SHIRE / FACEBOOK).read_text(encoding="utf-8").splitlines()[0]
    row = (
        '{id},100000000000001,"Shire Police","A post",,0,"10/01/2026 09:00",N/A,'
        "https://www.facebook.com/x,0,0,Photos,,,,,Lifetime,{views},,5,{reactions},1,0,1,1,0"
    )
    rows = [
        row.format(id="1200000000000010", views="", reactions="4"),
        row.format(id="1200000000000011", views='"2,000"', reactions="N/A"),
    ]
    write(tmp_path / "exports", "fb.csv", "\n".join([header, *rows]) + "\n")
    parsed = parse(tmp_path / "exports", tmp_path)
    (post,) = parsed.frames["post"].to_dict("records")
    assert post["post_id"] == "100000000000001_1200000000000010" and pd.isna(post["impressions"])
    assert reasons(parsed) == {("fb.csv", 3): "Reactions is 'N/A', and a value is required"}


def test_instagram_export_gives_each_row_to_the_account_it_names(tmp_path):
    text = (SHIRE / INSTAGRAM).read_text(encoding="utf-8")
    other = (
        '17900000000000099,17841499999999999,someone,"Someone","Hi",0,"10/02/2026 10:00",'
        'https://www.instagram.com/p/x/,"IG image",,Lifetime,1,1,1,0,0,0,0\n'
    )
    write(tmp_path / "exports", "ig.csv", text + other)
    parsed = parse(tmp_path / "exports", tmp_path)
    posts = posts_of(parsed, "instagram:17841400000000001")
    assert len(posts) == 3
    dogs = posts.loc["17900000000000003"]
    assert dogs["published_at"] == pd.Timestamp("2026-10-13 18:30")
    counts = (dogs["likes"], dogs["replies"], dogs["reposts"], dogs["bookmarks"])
    assert counts == (2310, 45, 12, 30)
    assert dogs["impressions"] == 41_200
    (issue,) = parsed.issues
    assert (issue["issue"], issue["account_ref"]) == (
        "account not in registry",
        "17841499999999999",
    )


def test_a_post_in_three_overlapping_files_is_kept_once_with_its_highest_counts(tmp_path):
    folder = folder_with(tmp_path, X_CONTENT, "account_analytics_content_2026-09-01_2026-09-30.csv")
    redrop = SHIRE.parent / "shire_redrop" / "account_analytics_content_2026-09-08_2026-10-07.csv"
    shutil.copy(redrop, folder)
    parsed = parse(folder, tmp_path)
    posts = posts_of(parsed, "x:shirepolice")
    assert posts.index.is_unique and len(posts) == 6
    assert posts.loc["1970000000000000004", "likes"] == 171
    assert parsed.superseded["post"] == 3 + 3 + 2  # ...004 in all three, ...003, ...002, ...005


def test_the_same_file_dropped_twice_gives_each_row_once(tmp_path):
    folder = folder_with(tmp_path, FACEBOOK)
    shutil.copy(folder / FACEBOOK, folder / "copy of the same export.csv")
    parsed = parse(folder, tmp_path)
    assert len(parsed.frames["post"]) == 3 and parsed.superseded["post"] == 3
    outcome = validate_frame("post", parsed.frames["post"], WINDOW.end, "export")
    assert outcome.rejected.empty


def test_whatever_order_the_files_come_in_the_rows_kept_are_the_same(tmp_path):
    first = parse(folder_with(tmp_path / "a", X_CONTENT, FACEBOOK, INSTAGRAM), tmp_path / "a")
    folder = tmp_path / "b" / "exports"
    for name in (INSTAGRAM, FACEBOOK, X_CONTENT):  # other names, other landing order
        write(folder, f"zz/{name}", (SHIRE / name).read_text(encoding="utf-8"))
    second = parse(folder, tmp_path / "b")
    columns = [c for c in first.frames["post"].columns if c != "_record"]
    left = first.frames["post"][columns].sort_values(["account_key", "post_id"])
    right = second.frames["post"][columns].sort_values(["account_key", "post_id"])
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True))


def test_a_header_that_is_no_known_export_is_reported_with_what_is_recognised(tmp_path):
    write(tmp_path / "exports", "analytics.csv", "Tweet,Impressions\n1,2\n")
    (issue,) = parse(tmp_path / "exports", tmp_path).issues
    assert issue["issue"] == "bad file name"
    assert issue["detail"].startswith("analytics.csv: the name is not <platform>_")
    assert "X Analytics content export" in issue["detail"]
