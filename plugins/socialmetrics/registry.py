"""The organisation's registry files: accounts, consolidations, gazetteer, organisations.

``load_registry(folder)`` reads and checks them. Two kinds of problem, told apart because
they call for different responses:

- a problem with a whole file (missing, not UTF-8, not CSV, a missing column, no usable
  account left) raises RegistryError at once, every such problem of the folder listed;
- a problem in one row (a bad date, an unknown platform, a malformed username, a duplicate)
  leaves that row out of the run and is kept in ``Registry.problems`` with its file, line
  and column, so one bad line never stops the other accounts (README 'Registry files').
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from socialmetrics.errors import SocialMetricsError
from socialmetrics.text import place_key

ACCOUNT_COLUMNS = (
    "organisation",
    "platform",
    "account_ref",
    "display_name",
    "kind",
    "area",
    "owner_email",
    "opened_on",
    "closed_on",
    "successor_ref",
)
# Optional: how the pipeline reads the account, `api` (the platform's API) or `export` (the
# analytics exports dropped in the export folder, docs/csv_exports.md).
SOURCES = ("api", "export")
DEFAULT_SOURCE = "api"
CONSOLIDATION_COLUMNS = ("organisation", "event_date", "description")
GAZETTEER_COLUMNS = ("area", "place")
ORGANISATION_COLUMNS = ("organisation", "comms_email")
# Optional: the IANA time zone the organisation's exports write local times in.
DEFAULT_TIMEZONE = "Europe/London"
REQUIRED_ACCOUNT_CELLS = ("organisation", "platform", "account_ref", "kind", "area", "opened_on")


@dataclass(frozen=True)
class RegistryProblem:
    """One problem of one registry file: where it is and what to do about it."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class RegistryError(SocialMetricsError):
    """A registry file cannot be used at all; ``problems`` lists each with file and line."""

    def __init__(self, folder: Path, problems: list[str]):
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"The registry in {folder} has {len(problems)} problem(s); fix them and rerun "
            f"(formats: README 'Registry files'):\n{listed}"
        )


@dataclass
class Registry:
    """The checked registry as DataFrames, one row per usable registry line.

    ``problems`` are the rows left out of this run (each names its file, line and column).
    """

    folder: Path
    accounts: pd.DataFrame
    consolidations: pd.DataFrame
    gazetteer: pd.DataFrame
    organisations: pd.DataFrame
    problems: list[RegistryProblem] = field(default_factory=list)

    def accounts_on(self, platform: str) -> pd.DataFrame:
        """The accounts of one platform."""
        return self.accounts[self.accounts["platform"] == platform]


def account_key(platform: str, account_ref: str) -> str:
    """The warehouse key of an account: ``platform:ref`` (X usernames are case-insensitive)."""
    ref = account_ref.lower() if platform == "x" else account_ref
    return f"{platform}:{ref}"


class _File:
    """One registry file being read: its rows, its file problems and its row problems."""

    def __init__(self, path: Path):
        self.path = path
        self.file_problems: list[str] = []
        self.row_problems: list[RegistryProblem] = []

    def file_problem(self, line: int | None, column: str | None, message: str) -> None:
        self.file_problems.append(str(RegistryProblem(self.path.name, line, column, message)))

    def problem(self, line: int, column: str | None, message: str) -> None:
        self.row_problems.append(RegistryProblem(self.path.name, line, column, message))

    def rows(self, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
        """The file's non-empty rows as (line, cells); [] with a file problem if unreadable."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            self.file_problems.append(f"{self.path.name}: file not found in {self.path.parent}")
            return []
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.file_problem(line, None, "is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)")
            return []
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [name.strip() for name in reader.fieldnames or []]
        if not header:
            self.file_problem(1, None, "the file is empty; a header row is required")
            return []
        reader.fieldnames = header
        missing = [column for column in required if column not in header]
        for column in missing:
            self.file_problem(1, column, f"missing column {column!r} in the header row")
        if missing:
            return []
        rows = []
        try:
            for record in reader:
                if None in record:
                    self.problem(reader.line_num, None, "has more cells than the header row")
                    continue
                values = {key: (value or "").strip() for key, value in record.items()}
                if any(values.values()):
                    rows.append((reader.line_num, values))
        except csv.Error as exc:
            self.file_problem(reader.line_num, None, f"is not valid CSV ({exc})")
        return rows

    def date(self, line: int, column: str, value: str, *, required: bool) -> date | None:
        if not value:
            if required:
                self.problem(line, column, "is empty; a date (YYYY-MM-DD) is required")
            return None
        try:
            if len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.problem(line, column, f"{value!r} is not a date; write it as YYYY-MM-DD")
            return None

    def required(self, line: int, values: dict[str, str], columns: tuple[str, ...]) -> bool:
        ok = True
        for column in columns:
            if not values[column]:
                self.problem(line, column, "is empty; a value is required")
                ok = False
        return ok


def _platforms() -> tuple[str, ...]:
    from socialmetrics.platforms import registry_platforms

    return registry_platforms()


def _account_ref_problem(platform: str, ref: str) -> str | None:
    """Why ``ref`` cannot be an account of ``platform``, or None when it can (the platform's
    connector knows what it accepts)."""
    from socialmetrics.platforms import connector_of_platform

    connector = connector_of_platform(platform)
    return connector.account_ref_problem(platform, ref) if connector else None


def _account_row(
    file: _File, line: int, values: dict[str, str], today: date
) -> dict[str, object] | None:
    """The account of one accounts.csv row, or None (with its problems recorded)."""
    complete = file.required(line, values, REQUIRED_ACCOUNT_CELLS)
    platform = values["platform"].lower()
    platforms = _platforms()
    if values["platform"] and platform not in platforms:
        file.problem(
            line,
            "platform",
            f"unknown platform {values['platform']!r}; use one of {', '.join(platforms)}",
        )
        complete = False
    ref = values["account_ref"]
    if ref and platform in platforms:
        problem = _account_ref_problem(platform, ref)
        if problem:
            file.problem(line, "account_ref", problem)
            complete = False
    opened = file.date(line, "opened_on", values["opened_on"], required=True)
    closed = file.date(line, "closed_on", values["closed_on"], required=False)
    for column, value in (("opened_on", opened), ("closed_on", closed)):
        if value and value > today:
            file.problem(line, column, f"{value} is in the future")
            complete = False
    if opened and closed and closed < opened:
        file.problem(line, "closed_on", f"{closed} is before opened_on {opened}")
        complete = False
    source = (values.get("source") or DEFAULT_SOURCE).lower()
    if source not in SOURCES:
        file.problem(
            line,
            "source",
            f"unknown source {values['source']!r}; use api (read through the platform's "
            "API) or export (read from the analytics exports), or leave it empty for api",
        )
        complete = False
    if not (complete and opened):
        return None
    return {
        "account_key": account_key(platform, ref),
        "organisation": values["organisation"],
        "platform": platform,
        "account_ref": ref,
        "display_name": values["display_name"] or ref,
        "kind": values["kind"].lower(),
        "area": values["area"],
        "owner_email": values["owner_email"] or None,
        "opened_on": opened,
        "closed_on": closed,
        "successor_ref": values["successor_ref"] or None,
        "source": source,
        "line": line,
    }


def _read_accounts(folder: Path, today: date) -> tuple[_File, list[dict]]:
    file = _File(folder / "accounts.csv")
    accounts, seen = [], {}
    for line, values in file.rows(ACCOUNT_COLUMNS):
        account = _account_row(file, line, values, today)
        if account is None:
            continue
        key = account["account_key"]
        if key in seen:
            file.problem(
                line,
                "account_ref",
                f"duplicate account {account['platform']}/{account['account_ref']}: already "
                f"on line {seen[key]}; this line is left out",
            )
            continue
        seen[key] = line
        accounts.append(account)
    return file, accounts


def _read_consolidations(folder: Path, organisations: set[str]) -> tuple[_File, list[dict]]:
    file = _File(folder / "consolidations.csv")
    consolidations: list[dict] = []
    if not file.path.exists():
        return file, consolidations
    for line, values in file.rows(CONSOLIDATION_COLUMNS):
        if not file.required(line, values, CONSOLIDATION_COLUMNS):
            continue
        event = file.date(line, "event_date", values["event_date"], required=True)
        if values["organisation"] not in organisations:
            file.problem(
                line,
                "organisation",
                f"{values['organisation']!r} has no account in accounts.csv",
            )
        elif event:
            consolidations.append(
                {
                    "organisation": values["organisation"],
                    "event_date": event,
                    "description": values["description"],
                }
            )
    return file, consolidations


def _read_gazetteer(folder: Path) -> tuple[_File, pd.DataFrame]:
    file = _File(folder / "gazetteer.csv")
    places = []
    for line, values in file.rows(GAZETTEER_COLUMNS):
        if not file.required(line, values, GAZETTEER_COLUMNS):
            continue
        key = place_key(values["place"])
        if not key:
            file.problem(line, "place", f"{values['place']!r} has no letters")
            continue
        places.append({"area": values["area"], "place": values["place"], "place_key": key})
    gazetteer = pd.DataFrame(places, columns=["area", "place", "place_key"])
    return file, gazetteer.drop_duplicates(["area", "place_key"]).reset_index(drop=True)


def _read_organisations(folder: Path, organisations: set[str]) -> tuple[_File, list[dict]]:
    file = _File(folder / "organisations.csv")
    listed: list[dict] = []
    if file.path.exists():
        for line, values in file.rows(ORGANISATION_COLUMNS):
            if not file.required(line, values, ("organisation",)):
                continue
            timezone = values.get("timezone") or DEFAULT_TIMEZONE
            if not _is_time_zone(timezone):
                file.problem(
                    line,
                    "timezone",
                    f"unknown time zone {timezone!r}; use an IANA name such as "
                    f"{DEFAULT_TIMEZONE} or America/New_York, or leave it empty for "
                    f"{DEFAULT_TIMEZONE}",
                )
                continue
            listed.append(
                {
                    "organisation": values["organisation"],
                    "comms_email": values["comms_email"] or None,
                    "timezone": timezone,
                }
            )
    named = {row["organisation"] for row in listed}
    listed += [
        {"organisation": name, "comms_email": None, "timezone": DEFAULT_TIMEZONE}
        for name in sorted(organisations - named)
    ]
    return file, listed


def _is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone (``Europe/London``) of the tz database."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _accounts_with_places(
    accounts_file: _File, accounts: list[dict], gazetteer: pd.DataFrame
) -> list[dict]:
    """The accounts whose area has places; the others become row problems."""
    areas = set(gazetteer["area"])
    kept = []
    for row in accounts:
        if row["area"] in areas:
            kept.append(row)
            continue
        accounts_file.problem(
            row["line"],
            "area",
            f"area {row['area']!r} has no places in gazetteer.csv; add at least one "
            "'area,place' row for it",
        )
    return kept


def load_registry(folder: str | Path, *, today: date | None = None) -> Registry:
    """Read and check the registry files in ``folder``.

    Returns a Registry of the usable rows, with the rows left out in ``problems`` (bad or
    future dates, empty required cells, unknown platforms, sources or time zones, malformed
    account references, duplicate (platform, account_ref), areas without places,
    consolidations of unknown organisations). Raises RegistryError listing every file-level
    problem (missing folder, file or column, not UTF-8, not CSV, no usable account). The
    optional columns ``source`` (accounts.csv: ``api``, the default, or ``export``) and
    ``timezone`` (organisations.csv: an IANA name, default ``Europe/London``) are always
    present in the result. ``today`` bounds dates (default: the real date).
    """
    folder = Path(folder)
    today = today or date.today()
    if not folder.is_dir():
        raise RegistryError(folder, [f"the folder {folder} does not exist"])
    accounts_file, accounts = _read_accounts(folder, today)
    gazetteer_file, gazetteer = _read_gazetteer(folder)
    if not gazetteer_file.file_problems:
        accounts = _accounts_with_places(accounts_file, accounts, gazetteer)
    known = {row["organisation"] for row in accounts}
    consolidations_file, consolidations = _read_consolidations(folder, known)
    organisations_file, organisations = _read_organisations(folder, known)
    files = (accounts_file, consolidations_file, gazetteer_file, organisations_file)
    failures = [problem for file in files for problem in file.file_problems]
    if not accounts and not accounts_file.file_problems:
        failures.append(
            "accounts.csv: no usable account"
            + (" (every row has a problem, listed below)" if accounts_file.row_problems else "")
            + "; add one row per account"
        )
        failures += [str(problem) for problem in accounts_file.row_problems]
    if failures:
        raise RegistryError(folder, failures)
    return Registry(
        folder=folder,
        accounts=pd.DataFrame(accounts).drop(columns=["line"]),
        consolidations=pd.DataFrame(consolidations, columns=list(CONSOLIDATION_COLUMNS)),
        gazetteer=gazetteer,
        organisations=pd.DataFrame(organisations, columns=[*ORGANISATION_COLUMNS, "timezone"]),
        problems=[problem for file in files for problem in file.row_problems],
    )
