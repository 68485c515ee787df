"""Conformance with the real exports (issue 10): every file of ``../shared/real-samples/csv``
(beside the repository; see its README) is recognised as the export it is and read whole,
no cell left unread. The folder is read where it is, never copied; without it the test is
skipped, and fails under CI=true."""

from __future__ import annotations

import csv
import os
import shutil
from datetime import datetime

import pytest

from socialmetrics.landing import read_landing
from socialmetrics.paths import PROJECT_DIR
from socialmetrics.platforms.csv_export.extract import extract_csv_batch
from socialmetrics.platforms.csv_export.layouts import recognise
from socialmetrics.platforms.csv_export.layouts.cells import Row, header_key
from socialmetrics.platforms.csv_export.parse import parse_csv_landing
from socialmetrics.registry import account_key
from socialmetrics.validation.validate import validate_frame
from socialmetrics.window import RunWindow

REAL_EXPORTS = (PROJECT_DIR / ".." / "shared" / "real-samples" / "csv").resolve()
# The README of the folder names each file's export by its name.
EXPECTED = {
    "x_content_export": "X Analytics content export",
    "x_overview_export": "X Analytics account overview export",
    "x_tweet_activity_export": "X tweet activity export (legacy)",
    "facebook_business_suite": "Meta Business Suite Facebook post export",
    "instagram_business_suite": "Meta Business Suite Instagram post export",
}
WINDOW = RunWindow.of("conformance", datetime(2030, 1, 1), datetime(2030, 1, 2))
# An export that does not name its account is read from a folder named after one.
FOLDER_ACCOUNT = "conformance"


def _real_files():
    if not REAL_EXPORTS.is_dir():
        message = f"the real exports are not at {REAL_EXPORTS} (../shared/real-samples/csv)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI needs them", pytrace=False)
        pytest.skip(message)
    return sorted(path for path in REAL_EXPORTS.iterdir() if path.suffix == ".csv")


def _header_and_rows(path):
    with path.open(encoding="utf-8-sig", newline="") as source:
        records = [cells for cells in csv.reader(source) if any(c.strip() for c in cells)]
    keys = [header_key(name) for name in records[0]]
    return keys, [dict(zip(keys, cells, strict=False)) for cells in records[1:]]


def test_the_real_exports_folder_has_files():
    assert _real_files(), f"no CSV file in {REAL_EXPORTS}"


# Parametrised when the folder is there; when it is not, the test above skips or fails.
@pytest.mark.parametrize(
    "name", sorted(p.name for p in REAL_EXPORTS.glob("*.csv")) if REAL_EXPORTS.is_dir() else []
)
def test_every_real_export_is_recognised_and_read_whole(name, tmp_path):
    path = REAL_EXPORTS / name
    keys, records = _header_and_rows(path)
    layout = recognise(set(keys))
    assert layout is not None, f"{name}: header not recognised: {keys}"
    expected = [v for prefix, v in EXPECTED.items() if name.startswith(prefix)]
    assert [layout.name] == expected or not expected
    # The registry holds the accounts the export names (or the folder's account).
    refs = {layout.account_ref(Row(name, 0, cells)) for cells in records} - {None}
    refs = refs or {FOLDER_ACCOUNT}
    accounts = [
        {
            "account_key": account_key(layout.platform, ref),
            "platform": layout.platform,
            "account_ref": ref,
            "source": "export",
            "timezone": "Europe/London",
        }
        for ref in sorted(refs)
    ]
    exports = tmp_path / "exports" / FOLDER_ACCOUNT
    exports.mkdir(parents=True)
    shutil.copy(path, exports / name)  # into the test's own temporary folder only
    landing = tmp_path / "csv_export-00.jsonl"
    extract_csv_batch(
        {"batch": "csv_export-00", "accounts": accounts}, WINDOW, exports.parent, landing
    )
    parsed = parse_csv_landing(read_landing(landing), WINDOW, accounts)

    assert parsed.issues == [] and parsed.unreadable == []
    frame = parsed.frames[layout.entity]
    assert len(frame) + parsed.superseded[layout.entity] == len(records)
    outcome = validate_frame(layout.entity, frame, WINDOW.end, "export")
    assert outcome.rejected.empty, outcome.rejected.to_dict("records")
    if layout.entity == "post":
        assert frame["published_on"].notna().all()
        assert frame["engagement"].notna().all()
        if layout.platform == "facebook":
            assert frame["post_id"].str.fullmatch(r"\d+_\d+").all()
