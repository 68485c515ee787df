"""extract_csv_batch lands every file of the export folder (and its sub-folders) as received,
one record per file; which account and layout a file has is the parser's business."""

from __future__ import annotations

import base64
import hashlib
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from socialmetrics.errors import ConfigurationError
from socialmetrics.landing import read_landing
from socialmetrics.platforms.csv_export.extract import extract_csv_batch
from socialmetrics.registry import account_key
from socialmetrics.window import RunWindow

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "csv_exports"
WINDOW = RunWindow.of("scheduled__2026-03-31", datetime(2026, 3, 31), datetime(2026, 4, 1))
ACCOUNTS = [
    {"account_key": account_key(p, r), "account_ref": r, "platform": p}
    for p, r in [("x", "NorfolkPolice"), ("facebook", "494526278141726")]
]
BATCH = {"batch": "csv_export-00", "connector": "csv_export", "accounts": ACCOUNTS}


def test_lands_each_file_with_its_path_and_digest(tmp_path):
    folder = tmp_path / "exports"
    shutil.copytree(SAMPLES, folder)
    (folder / "x_Stranger_posts.csv").write_text("post_id\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x_NorfolkPolice_posts.csv").write_text("post_id\n")
    (folder / "NorfolkPolice").mkdir()
    (folder / "NorfolkPolice" / "account_overview_analytics.csv").write_text("Date\n")
    landing = tmp_path / "csv_export-00.jsonl"

    summary = extract_csv_batch(BATCH, WINDOW, folder, landing)

    assert summary == {
        "batch": "csv_export-00",
        "connector": "csv_export",
        "landing_file": str(landing),
        "accounts": 2,
        "calls": {"files": 5},
        "export_accounts": ACCOUNTS,
    }
    records = {r["params"]["path"]: r for r in read_landing(landing)}
    assert sorted(records) == [
        "NorfolkPolice/account_overview_analytics.csv",
        "facebook_494526278141726_cities.csv",
        "x_NorfolkPolice_followers.csv",
        "x_NorfolkPolice_posts.csv",
        "x_Stranger_posts.csv",
    ]
    assert records["NorfolkPolice/account_overview_analytics.csv"]["endpoint"] == (
        "account_overview_analytics.csv"
    )
    posts = records["x_NorfolkPolice_posts.csv"]
    raw = (SAMPLES / "x_NorfolkPolice_posts.csv").read_bytes()
    assert posts["platform"] == "csv" and posts["status"] == 200
    assert posts["body"] == raw.decode("utf-8")
    assert posts["params"] == {
        "path": "x_NorfolkPolice_posts.csv",
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    assert posts["context"] == {"kind": "csv_export"}


def test_bom_dropped_and_latin1_landed_as_base64_with_position(tmp_path):
    (tmp_path / "x_NorfolkPolice_followers.csv").write_bytes(
        b"\xef\xbb\xbfdate,followers_count\n2026-03-31,10\n"
    )
    latin1 = "date,city,followers\n2026-03-31,Norwich,5\n2026-03-31,Wymondham Caf\xe9,2\n"
    (tmp_path / "facebook_494526278141726_cities.csv").write_bytes(latin1.encode("latin-1"))
    landing = tmp_path / "out" / "csv_export-00.jsonl"
    extract_csv_batch(BATCH, WINDOW, tmp_path, landing)
    records = {r["endpoint"]: r for r in read_landing(landing)}
    assert records["x_NorfolkPolice_followers.csv"]["body"].startswith("date,")
    bad = records["facebook_494526278141726_cities.csv"]
    assert base64.b64decode(bad["body"]) == latin1.encode("latin-1")
    assert bad["context"]["body_encoding"] == "base64"
    assert bad["context"]["decode_error"]["line"] == 3
    assert bad["context"]["decode_error"]["column"] == len("2026-03-31,Wymondham Caf") + 1


def test_unset_folder_lands_nothing_and_missing_folder_is_a_configuration_error(tmp_path):
    landing = tmp_path / "csv_export-00.jsonl"
    assert extract_csv_batch(BATCH, WINDOW, None, landing)["calls"] == {"files": 0}
    assert list(read_landing(landing)) == []
    with pytest.raises(ConfigurationError, match="socialmetrics_export_dir"):
        extract_csv_batch(BATCH, WINDOW, tmp_path / "nowhere", tmp_path / "again.jsonl")
