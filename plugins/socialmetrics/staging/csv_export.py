"""Parse landed CSV analytics exports into staging frames (SPEC §5.2 "CSV exports").

Organisations without API access drop the platforms' exports in the export folder
(docs/csv_exports.md). ``extract_csv_batch`` lands each file as received; this module reads
them into the same entities as the API connectors:

- ``<platform>_<account_ref>_posts.csv`` -> ``post`` (every post published before the end
  of the run's window: an export carries the latest metrics, as the look-back re-read does);
- ``<platform>_<account_ref>_followers.csv`` -> ``account_snapshot`` (one row per date
  inside the window, ``platform_user_id`` = the account_ref);
- ``<platform>_<account_ref>_cities.csv`` -> ``follower_breakdown`` (the rows of the dates
  inside the window, ``source`` = ``csv_export``; an empty city is the unknown remainder).

Rows dated outside the window belong to other runs and are left out; a row whose date
cannot be read is kept (with a null date) so that validation quarantines it. Every value
is typed here with the staging rules of :mod:`socialmetrics.staging.x`: a value of the wrong
type becomes null and validation rejects the row with its reason; ``_record`` keeps the
source row (file, line and the cells) as JSON.

File-level problems are issues (platform ``csv``, endpoint = the file name): a bad file
name, an unknown platform, an account not in the registry, a missing header or column,
bytes that are not UTF-8. Such a file contributes no rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from socialmetrics.staging.meta import FOLLOWER_BREAKDOWN_COLUMNS
from socialmetrics.staging.x import (
    FOLLOWER_COLUMNS,
    RECEIVED_POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    Parsed,
    with_derived_post_columns,
)
from socialmetrics.text import place_key
from socialmetrics.window import RunWindow

__all__ = [
    "FILE_KINDS",
    "OPTIONAL_COLUMNS",
    "PLATFORMS",
    "REQUIRED_COLUMNS",
    "SOURCE_CSV_EXPORT",
    "ExportName",
    "parse_csv_landing",
    "parse_export_name",
]

PLATFORMS = ("x", "facebook", "instagram")
FILE_KINDS = ("posts", "followers", "cities")
REQUIRED_COLUMNS = {
    "posts": ("post_id", "published_at", "likes", "replies", "reposts", "quotes"),
    "followers": ("date", "followers_count"),
    "cities": ("date", "city", "followers"),
}
OPTIONAL_COLUMNS = {"posts": ("impressions",), "followers": (), "cities": ()}
SOURCE_CSV_EXPORT = "csv_export"
CSV_PLATFORM = "csv"

_POST_ID = {
    "x": re.compile(r"^\d+$"),
    "facebook": re.compile(r"^\d+_\d+$"),
    "instagram": re.compile(r"^\d+$"),
}
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class ExportName:
    """What a file name says: platform, account_ref and kind (or the problem with it)."""

    platform: str | None
    account_ref: str | None
    kind: str | None
    problem: str | None = None
    issue: str | None = None


def parse_export_name(name: str) -> ExportName:
    """Split ``<platform>_<account_ref>_<kind>.csv``; the account_ref may contain ``_``.

    Platform and kind are matched case-insensitively; the account_ref is kept as written.
    """
    stem, dot, ext = name.rpartition(".")
    platform, _, rest = stem.partition("_")
    ref, _, kind = rest.rpartition("_")
    if not dot or ext.lower() != "csv" or not platform or not ref or not kind:
        return ExportName(
            None,
            None,
            None,
            f"the name is not <platform>_<account_ref>_<kind>.csv (kind one of "
            f"{', '.join(FILE_KINDS)})",
            "bad file name",
        )
    kind = kind.lower()
    if kind not in FILE_KINDS:
        return ExportName(
            platform.lower(),
            ref,
            None,
            f"unknown kind {kind!r} in the name: expected one of {', '.join(FILE_KINDS)}",
            "bad file name",
        )
    if platform.lower() not in PLATFORMS:
        return ExportName(
            None,
            ref,
            kind,
            f"unknown platform {platform!r} in the name: expected one of {', '.join(PLATFORMS)}",
            "unknown platform",
        )
    return ExportName(platform.lower(), ref, kind)


def _issue(file: str, ref: str | None, issue: str, detail: str) -> dict:
    return {
        "platform": CSV_PLATFORM,
        "endpoint": file,
        "account_ref": ref,
        "issue": issue,
        "detail": detail,
    }


def _where(file: str, line: int | None, column: str | None) -> str:
    return (
        file
        + (f" line {line}" if line is not None else "")
        + (f", column {column}" if column else "")
    )


def _integer(value: Any) -> int | None:
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None


def _moment(value: Any) -> pd.Timestamp | None:
    """ISO 8601, UTC when no offset is given; returned naive UTC (None when unreadable)."""
    if not isinstance(value, str) or not value.strip():
        return None
    moment = pd.to_datetime(value.strip(), utc=True, errors="coerce", format="ISO8601")
    return None if pd.isna(moment) else moment.tz_convert(None)


def _rows(
    file: str, text: str, kind: str, ref: str | None, issues: list[dict]
) -> list[tuple[int, dict[str, Any]]] | None:
    """The rows of one file as (line, {column: cell}); None (with an issue) when unusable."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            issues.append(
                _issue(file, ref, "missing header", f"{_where(file, 1, None)}: the file is empty")
            )
            return None
        names = [name.strip().lower() for name in header]
        missing = [column for column in REQUIRED_COLUMNS[kind] if column not in names]
        if missing:
            issues.append(
                _issue(
                    file,
                    ref,
                    "missing column",
                    f"{_where(file, 1, ', '.join(missing))}: the header lacks "
                    f"{', '.join(missing)} (a {kind} file needs "
                    f"{', '.join(REQUIRED_COLUMNS[kind])})",
                )
            )
            return None
        wanted = REQUIRED_COLUMNS[kind] + tuple(c for c in OPTIONAL_COLUMNS[kind] if c in names)
        index = {column: names.index(column) for column in wanted}
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            rows.append(
                (
                    reader.line_num,
                    {c: cells[i] if i < len(cells) else None for c, i in index.items()},
                )
            )
        return rows
    except csv.Error as error:
        issues.append(
            _issue(
                file,
                ref,
                "unreadable CSV",
                f"{_where(file, reader.line_num, None)}: {error}",
            )
        )
        return None


def _source(file: str, line: int, row: dict[str, Any]) -> str:
    return json.dumps({"file": file, "line": line, **row}, ensure_ascii=False)


def parse_csv_landing(records: Iterable[dict], window: RunWindow) -> Parsed:
    """Turn landed CSV exports (records of kind ``csv_export``) into staging frames.

    Returns frames ``account_snapshot``, ``post``, ``follower_sample`` (always empty) and
    ``follower_breakdown``, plus an issue for every file that could not be used (naming
    the file, and the line and column where there is one).
    """
    first, last = window.start.date(), window.day
    snapshots, posts, breakdowns = [], [], []
    issues: list[dict] = []
    answers = 0
    for record in records:
        context = record.get("context") or {}
        if context.get("kind") != "csv_export" or record.get("status") != 200:
            continue
        answers += 1
        file = str(record.get("endpoint"))
        name = parse_export_name(file)
        if name.problem:
            issues.append(
                _issue(
                    file,
                    name.account_ref,
                    name.issue,
                    f"{_where(file, None, None)}: " + name.problem,
                )
            )
            continue
        if context.get("decode_error"):
            error = context["decode_error"]
            issues.append(
                _issue(
                    file,
                    name.account_ref,
                    "not UTF-8",
                    f"{_where(file, error.get('line'), str(error.get('column')))}: "
                    f"{error.get('message')}; save the export as UTF-8",
                )
            )
            continue
        key = context.get("account_key")
        if not key:
            issues.append(
                _issue(
                    file,
                    name.account_ref,
                    "account not in registry",
                    f"{_where(file, None, None)}: no {name.platform} account "
                    f"{name.account_ref!r} in the registry (accounts.csv); add it or rename "
                    "the file",
                )
            )
            continue
        rows = _rows(file, str(record.get("body") or ""), name.kind, name.account_ref, issues)
        if rows is None:
            continue
        for line, row in rows:
            if name.kind == "followers":
                day = _day(row["date"])
                if day is not None and not first <= day <= last:
                    continue
                snapshots.append(
                    {
                        "account_key": key,
                        "snapshot_date": day,
                        "platform_user_id": name.account_ref,
                        "created_at": None,
                        "profile_location": None,
                        "followers_count": _integer(row["followers_count"]),
                        "following_count": None,
                        "post_count": None,
                        "listed_count": None,
                        "_record": _source(file, line, row),
                    }
                )
            elif name.kind == "cities":
                day = _day(row["date"])
                if day is not None and not first <= day <= last:
                    continue
                city = (row["city"] or "").strip() or None
                breakdowns.append(
                    {
                        "account_key": key,
                        "snapshot_date": day,
                        "place": city,
                        "place_key": place_key(city),
                        "followers": _integer(row["followers"]),
                        "source": SOURCE_CSV_EXPORT,
                        "_record": _source(file, line, row),
                    }
                )
            else:
                published = _moment(row["published_at"])
                if published is not None and published >= pd.Timestamp(window.end):
                    continue
                post_id = (row["post_id"] or "").strip()
                posts.append(
                    {
                        "account_key": key,
                        "post_id": post_id if _POST_ID[name.platform].match(post_id) else None,
                        "published_at": published,
                        "likes": _integer(row["likes"]),
                        "replies": _integer(row["replies"]),
                        "reposts": _integer(row["reposts"]),
                        "quotes": _integer(row["quotes"]),
                        "bookmarks": None,
                        # Optional: empty (or, as for the API, not a count) is null.
                        "impressions": _integer(row.get("impressions")),
                        "_record": _source(file, line, row),
                    }
                )

    snapshot_frame = pd.DataFrame(snapshots, columns=SNAPSHOT_COLUMNS, dtype=object)
    for column in ("followers_count", "following_count", "post_count", "listed_count"):
        snapshot_frame[column] = pd.array(snapshot_frame[column].tolist(), dtype="Int64")
    snapshot_frame["created_at"] = pd.Series(
        pd.NaT, index=snapshot_frame.index, dtype="datetime64[us]"
    )

    post_frame = pd.DataFrame(
        posts,
        columns=RECEIVED_POST_COLUMNS,
        dtype=object,
    )
    for column in ("likes", "replies", "reposts", "quotes", "bookmarks", "impressions"):
        post_frame[column] = pd.array(post_frame[column].tolist(), dtype="Int64")
    post_frame["published_at"] = pd.to_datetime(post_frame["published_at"]).astype("datetime64[us]")
    post_frame = with_derived_post_columns(post_frame)

    follower_frame = pd.DataFrame([], columns=FOLLOWER_COLUMNS)
    follower_frame["position"] = follower_frame["position"].astype("int32")

    breakdown_frame = pd.DataFrame(breakdowns, columns=FOLLOWER_BREAKDOWN_COLUMNS, dtype=object)
    breakdown_frame["followers"] = pd.array(breakdown_frame["followers"].tolist(), dtype="Int64")

    return Parsed(
        frames={
            "account_snapshot": snapshot_frame,
            "post": post_frame,
            "follower_sample": follower_frame,
            "follower_breakdown": breakdown_frame,
        },
        issues=issues,
        answers=answers,
    )
