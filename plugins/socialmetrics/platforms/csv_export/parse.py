"""Parse landed CSV analytics exports into staging frames (docs/csv_exports.md).

Organisations without API access drop the exports X Analytics and Meta Business Suite give
them in the export folder (docs/csv_exports.md); ``extract_csv_batch`` lands each file as
received. Here each file is recognised by its header (the ``layouts`` package beside this
module, one module per layout; our own documented layout by its file name), each row is given to
its registry account (named by the row itself, else by the file's folder or name) and read
into the entities of the API connectors, plus ``follower_change`` (X's overview export):

- posts published before the end of the run's window (an export carries the latest
  counts, as the look-back re-read does), one row per post: the latest of its copies
  (:mod:`~socialmetrics.platforms.csv_export.layouts.frames`);
- follower changes, and our own ``followers`` and ``cities`` files, of the days up to the
  run's day (files are cumulative: a row added for a past day is read by the next run).

Rows dated later belong to later runs and are left out. A row with a cell
that cannot be read (or a required one left empty) is not typed at all: it goes to
``Parsed.unreadable``, quarantined with its file, the first line of its record (captions
span lines) and the reason. Only accounts with source ``export`` are read.

File-level problems are issues (platform ``csv``, endpoint = the file name): not UTF-8, no
header, a header that is no known export with a name that is not our own layout, a missing
column, an account the registry does not have (named, never guessed), an account read
through the API. Such rows contribute nothing; each issue says how many rows it concerns.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import PurePosixPath

from socialmetrics.platforms.csv_export.layouts import PLATFORM_LAYOUTS, recognise
from socialmetrics.platforms.csv_export.layouts.accounts import ExportAccount, ExportAccounts
from socialmetrics.platforms.csv_export.layouts.cells import Row, header_key
from socialmetrics.platforms.csv_export.layouts.frames import (
    FOLLOWER_CHANGE_COLUMNS,
    staging_frames,
)
from socialmetrics.platforms.csv_export.layouts.layout import Layout
from socialmetrics.platforms.csv_export.layouts.own import (
    FILE_KINDS,
    OPTIONAL_COLUMNS,
    PLATFORMS,
    REQUIRED_COLUMNS,
    SOURCE_CSV_EXPORT,
    ExportName,
    own_layout,
    parse_export_name,
)
from socialmetrics.rows import UNREADABLE_EXPECTATION, Parsed
from socialmetrics.window import RunWindow

__all__ = [
    "CSV_PLATFORM",
    "FILE_KINDS",
    "FOLLOWER_CHANGE_COLUMNS",
    "OPTIONAL_COLUMNS",
    "PLATFORMS",
    "REQUIRED_COLUMNS",
    "SOURCE_CSV_EXPORT",
    "ExportName",
    "parse_csv_landing",
    "parse_export_name",
]

CSV_PLATFORM = "csv"
_RECOGNISED = ", ".join(layout.name for layout in PLATFORM_LAYOUTS)


def _issue(file: str, ref: str | None, issue: str, detail: str) -> dict:
    return {
        "platform": CSV_PLATFORM,
        "endpoint": PurePosixPath(file).name,
        "account_ref": ref,
        "issue": issue,
        "detail": detail,
    }


def _where(file: str, line: int | None = None, column: str | None = None) -> str:
    return (
        file
        + (f" line {line}" if line is not None else "")
        + (f", column {column}" if column else "")
    )


def _records(file: str, text: str, issues: list[dict]) -> list[tuple[int, list[str]]] | None:
    """Every record of a file as (first line, cells), the header first; None (with an issue)
    when the text is not CSV. Blank lines are left out."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    records, last_line = [], 0
    try:
        for cells in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                records.append((first_line, cells))
    except csv.Error as error:
        issues.append(
            _issue(file, None, "unreadable CSV", f"{_where(file, reader.line_num)}: {error}")
        )
        return None
    return records


class _Collected:
    """What the files of a landing gave: rows per entity, unreadable rows, issues."""

    def __init__(self, window: RunWindow):
        self.window = window
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.unreadable: list[dict] = []
        self.issues: list[dict] = []

    def in_reach(self, entity: str, values: dict) -> bool:
        """Whether a row belongs to this run (an unreadable date is: it is quarantined)."""
        window = self.window
        if entity == "post":
            if values["published_at"] is not None:
                return values["published_at"] < window.end
            return values["published_on"] is None or values["published_on"] <= window.day
        day = values["day" if entity == "follower_change" else "snapshot_date"]
        return day is None or day <= window.day

    def add(self, layout: Layout, row: Row, account: ExportAccount) -> None:
        values = layout.read(row, account.timezone)
        if not self.in_reach(layout.entity, values):
            return
        kept = {c: row.text(c) for c in layout.header if header_key(c) in row.cells}
        record = json.dumps({"file": row.file, "line": row.line, **kept}, ensure_ascii=False)
        if row.problems:
            self.unreadable.append(
                {
                    "entity": layout.entity,
                    "record": record,
                    "expectation": UNREADABLE_EXPECTATION,
                    "reason": "; ".join(row.problems),
                }
            )
            return
        self.rows[layout.entity].append(
            {"account_key": account.account_key, **values, "_record": record}
        )


def _own_layout(file: str, keys: list[str], issues: list[dict]) -> tuple[Layout, str] | None:
    """Our own layout, from the file name, with its columns checked; None (with an issue)."""
    name = parse_export_name(PurePosixPath(file).name)
    if name.problem:
        issues.append(
            _issue(
                file,
                name.account_ref,
                name.issue,
                f"{_where(file)}: {name.problem}; or drop the export as the platform gives "
                f"it (recognised by its header: {_RECOGNISED})",
            )
        )
        return None
    missing = [column for column in REQUIRED_COLUMNS[name.kind] if column not in keys]
    if missing:
        issues.append(
            _issue(
                file,
                name.account_ref,
                "missing column",
                f"{_where(file, 1, ', '.join(missing))}: the header lacks {', '.join(missing)} "
                f"(a {name.kind} file needs {', '.join(REQUIRED_COLUMNS[name.kind])})",
            )
        )
        return None
    return own_layout(name), name.account_ref


def _parse_file(record: dict, accounts: ExportAccounts, collected: _Collected) -> None:
    context = record.get("context") or {}
    file = str((record.get("params") or {}).get("path") or record.get("endpoint"))
    issues = collected.issues
    if context.get("decode_error"):
        error = context["decode_error"]
        issues.append(
            _issue(
                file,
                parse_export_name(PurePosixPath(file).name).account_ref,
                "not UTF-8",
                f"{_where(file, error.get('line'), str(error.get('column')))}: "
                f"{error.get('message')}; save the export as UTF-8",
            )
        )
        return
    records = _records(file, str(record.get("body") or ""), issues)
    if records is None:
        return
    if not records:
        issues.append(_issue(file, None, "missing header", f"{_where(file, 1)}: the file is empty"))
        return
    keys = [header_key(name) for name in records[0][1]]
    layout, file_ref = recognise(set(keys)), None
    if layout is None:
        own = _own_layout(file, keys, issues)
        if own is None:
            return
        layout, file_ref = own
    _read_rows(file, layout, file_ref, keys, records[1:], accounts, collected)


def _read_rows(file, layout, file_ref, keys, records, accounts, collected) -> None:
    """Give each row to its account and read it; report the rows no account can take."""
    file_account, why = None, ""
    if file_ref is not None:
        file_account = accounts.find(layout.platform, file_ref)
        if file_account is None:
            why = f"no {layout.platform} account {file_ref!r} in the registry (accounts.csv)"
    elif any(not layout.account_ref(Row(file, 0, _cells(keys, c))) for _, c in records):
        file_account, why = accounts.from_path(layout.platform, file)
    unknown: Counter = Counter()
    unplaced: list[int] = []
    by_api: Counter = Counter()
    for line, cells in records:
        row = Row(file, line, _cells(keys, cells))
        ref = layout.account_ref(row)
        account = accounts.find(layout.platform, ref) if ref else file_account
        if account is None:
            if ref:
                unknown[ref] += 1
            else:
                unplaced.append(line)
        elif account.source != "export":
            by_api[account.account_ref] += 1
        else:
            collected.add(layout, row, account)
    _report_unread(file, layout, file_ref, why, unknown, unplaced, by_api, collected.issues)


def _cells(keys: list[str], cells: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, cell in zip(keys, cells, strict=False):
        found.setdefault(key, cell)
    return found


def _report_unread(file, layout, file_ref, why, unknown, unplaced, by_api, issues) -> None:
    what = layout.name
    for ref, rows in sorted(unknown.items()):
        issues.append(
            _issue(
                file,
                ref,
                "account not in registry",
                f"{_where(file)}: {what}; its {layout.identity} names the {layout.platform} "
                f"account {ref!r} ({rows} rows), which is not in the registry (accounts.csv); "
                "add it with source export, or remove the file",
            )
        )
    if file_ref is not None and why:
        issues.append(
            _issue(
                file,
                file_ref,
                "account not in registry",
                f"{_where(file)}: {why}; add it or rename the file",
            )
        )
    elif unplaced:
        issues.append(
            _issue(
                file,
                None,
                "account unknown",
                f"{_where(file, unplaced[0])}: {what} does not name its account and {why} "
                f"({len(unplaced)} rows); put the file in a folder named after the account "
                "(its account_ref in accounts.csv, e.g. NorfolkPolice), or put the "
                "account_ref in the file name",
            )
        )
    for ref, rows in sorted(by_api.items()):
        issues.append(
            _issue(
                file,
                ref,
                "account read through the API",
                f"{_where(file)}: the {layout.platform} account {ref!r} has source api in "
                f"accounts.csv, so its exports are not read ({rows} rows); set its source to "
                "export to read them, or remove the file",
            )
        )


def parse_csv_landing(
    records: Iterable[dict], window: RunWindow, accounts: Iterable[dict]
) -> Parsed:
    """Turn landed CSV exports (records of kind ``csv_export``) into staging frames.

    ``accounts`` are the registry accounts of the exports batch (``account_key``,
    ``platform``, ``account_ref``, ``source``, ``timezone``). Returns frames
    ``account_snapshot``, ``post``, ``follower_sample`` (always empty),
    ``follower_breakdown`` and ``follower_change``, the unreadable rows as quarantine rows,
    the rows superseded by later copies, and the issues (naming the file, and the line and
    column where there is one).
    """
    registry = ExportAccounts(accounts)
    collected = _Collected(window)
    answers = 0
    for record in records:
        context = record.get("context") or {}
        if context.get("kind") != "csv_export" or record.get("status") != 200:
            continue
        answers += 1
        _parse_file(record, registry, collected)
    frames, superseded = staging_frames(collected.rows)
    return Parsed(
        frames=frames,
        issues=collected.issues,
        answers=answers,
        unreadable=collected.unreadable,
        superseded=superseded,
    )
