"""The organisation's registry files (SPEC §5.1): accounts, consolidations, gazetteer.

``load_registry(folder)`` reads and checks them; every problem is reported with the file, line
and column, and all problems of a folder are reported together in one RegistryError.
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

PLATFORMS = ("x", "facebook", "instagram")
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


class RegistryError(SocialMetricsError):
    """One or more registry files are malformed; ``problems`` lists each with file and line."""

    def __init__(self, folder: Path, problems: list[str]):
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"The registry in {folder} has {len(problems)} problem(s); fix them and rerun "
            f"(formats: README 'Registry files'):\n{listed}"
        )


@dataclass
class Registry:
    """The checked registry as DataFrames, one row per registry line."""

    folder: Path
    accounts: pd.DataFrame
    consolidations: pd.DataFrame
    gazetteer: pd.DataFrame
    organisations: pd.DataFrame

    def accounts_on(self, platform: str) -> pd.DataFrame:
        """The accounts of one platform."""
        return self.accounts[self.accounts["platform"] == platform]


def account_key(platform: str, account_ref: str) -> str:
    """The warehouse key of an account: ``platform:ref`` (X usernames are case-insensitive)."""
    ref = account_ref.lower() if platform == "x" else account_ref
    return f"{platform}:{ref}"


@dataclass
class _File:
    path: Path
    problems: list[str] = field(default_factory=list)

    def problem(self, line: int, column: str | None, message: str) -> None:
        where = f"{self.path.name} line {line}" + (f", column {column}" if column else "")
        self.problems.append(f"{where}: {message}")

    def rows(self, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
        try:
            text = self.path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            self.problems.append(f"{self.path.name}: file not found in {self.path.parent}")
            return []
        except UnicodeDecodeError as exc:
            line = self.path.read_bytes()[: exc.start].count(b"\n") + 1
            self.problem(line, None, "is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)")
            return []
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [name.strip() for name in reader.fieldnames or []]
        if not header:
            self.problem(1, None, "the file is empty; a header row is required")
            return []
        reader.fieldnames = header
        missing = [column for column in required if column not in header]
        for column in missing:
            self.problem(1, column, f"missing column {column!r} in the header row")
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
            self.problem(reader.line_num, None, f"is not valid CSV ({exc})")
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


def load_registry(folder: str | Path, *, today: date | None = None) -> Registry:
    """Read and check the registry files in ``folder``.

    Returns a Registry. Raises RegistryError listing every problem (file, line, column, what
    to do): missing files or columns, empty required cells, bad or future dates, unknown
    platforms, sources or time zones, duplicate (platform, account_ref), unknown
    organisations or areas. The optional columns ``source`` (accounts.csv: ``api``, the
    default, or ``export``) and ``timezone`` (organisations.csv: an IANA name, default
    ``Europe/London``) are always present in the result.
    ``today`` bounds dates (default: the real date).
    """
    folder = Path(folder)
    today = today or date.today()
    problems: list[str] = []
    if not folder.is_dir():
        raise RegistryError(folder, [f"the folder {folder} does not exist"])

    accounts_file = _File(folder / "accounts.csv")
    accounts = []
    seen: dict[str, int] = {}
    for line, values in accounts_file.rows(ACCOUNT_COLUMNS):
        complete = accounts_file.required(
            line, values, ("organisation", "platform", "account_ref", "kind", "area", "opened_on")
        )
        platform = values["platform"].lower()
        if values["platform"] and platform not in PLATFORMS:
            accounts_file.problem(
                line,
                "platform",
                f"unknown platform {values['platform']!r}; use one of {', '.join(PLATFORMS)}",
            )
            complete = False
        ref = values["account_ref"]
        if platform == "x" and ref.startswith("@"):
            accounts_file.problem(line, "account_ref", f"write the X username without @: {ref[1:]}")
            complete = False
        opened = accounts_file.date(line, "opened_on", values["opened_on"], required=True)
        closed = accounts_file.date(line, "closed_on", values["closed_on"], required=False)
        for column, value in (("opened_on", opened), ("closed_on", closed)):
            if value and value > today:
                accounts_file.problem(line, column, f"{value} is in the future")
                complete = False
        if opened and closed and closed < opened:
            accounts_file.problem(line, "closed_on", f"{closed} is before opened_on {opened}")
            complete = False
        source = (values.get("source") or DEFAULT_SOURCE).lower()
        if source not in SOURCES:
            accounts_file.problem(
                line,
                "source",
                f"unknown source {values['source']!r}; use api (read through the platform's "
                "API) or export (read from the analytics exports), or leave it empty for api",
            )
            complete = False
        if complete and opened:
            key = account_key(platform, ref)
            if key in seen:
                accounts_file.problem(
                    line,
                    "account_ref",
                    f"duplicate account {platform}/{ref}: already on line {seen[key]}",
                )
                continue
            seen[key] = line
            accounts.append(
                {
                    "account_key": key,
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
            )
    problems += accounts_file.problems
    if not accounts and not accounts_file.problems:
        problems.append("accounts.csv: no accounts; add one row per account")
    organisations_known = {row["organisation"] for row in accounts}

    consolidations_file = _File(folder / "consolidations.csv")
    consolidations = []
    if consolidations_file.path.exists():
        for line, values in consolidations_file.rows(CONSOLIDATION_COLUMNS):
            if not consolidations_file.required(line, values, CONSOLIDATION_COLUMNS):
                continue
            event = consolidations_file.date(
                line, "event_date", values["event_date"], required=True
            )
            if values["organisation"] not in organisations_known:
                consolidations_file.problem(
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
    problems += consolidations_file.problems

    gazetteer_file = _File(folder / "gazetteer.csv")
    places = []
    for line, values in gazetteer_file.rows(GAZETTEER_COLUMNS):
        if not gazetteer_file.required(line, values, GAZETTEER_COLUMNS):
            continue
        key = place_key(values["place"])
        if not key:
            gazetteer_file.problem(line, "place", f"{values['place']!r} has no letters")
            continue
        places.append({"area": values["area"], "place": values["place"], "place_key": key})
    problems += gazetteer_file.problems
    gazetteer = pd.DataFrame(places, columns=["area", "place", "place_key"])
    gazetteer = gazetteer.drop_duplicates(["area", "place_key"])
    if not gazetteer_file.problems:
        areas = set(gazetteer["area"])
        for row in accounts:
            if row["area"] not in areas:
                problems.append(
                    f"accounts.csv line {row['line']}, column area: area {row['area']!r} has no "
                    "places in gazetteer.csv; add at least one 'area,place' row for it"
                )

    organisations_file = _File(folder / "organisations.csv")
    organisations = []
    if organisations_file.path.exists():
        for line, values in organisations_file.rows(ORGANISATION_COLUMNS):
            if organisations_file.required(line, values, ("organisation",)):
                timezone = values.get("timezone") or DEFAULT_TIMEZONE
                if not _is_time_zone(timezone):
                    organisations_file.problem(
                        line,
                        "timezone",
                        f"unknown time zone {timezone!r}; use an IANA name such as "
                        f"{DEFAULT_TIMEZONE} or America/New_York, or leave it empty for "
                        f"{DEFAULT_TIMEZONE}",
                    )
                    continue
                organisations.append(
                    {
                        "organisation": values["organisation"],
                        "comms_email": values["comms_email"] or None,
                        "timezone": timezone,
                    }
                )
        problems += organisations_file.problems
    listed = {row["organisation"] for row in organisations}
    organisations += [
        {"organisation": name, "comms_email": None, "timezone": DEFAULT_TIMEZONE}
        for name in sorted(organisations_known - listed)
    ]

    if problems:
        raise RegistryError(folder, problems)
    account_frame = pd.DataFrame(accounts).drop(columns=["line"])
    return Registry(
        folder=folder,
        accounts=account_frame,
        consolidations=pd.DataFrame(consolidations, columns=list(CONSOLIDATION_COLUMNS)),
        gazetteer=gazetteer.reset_index(drop=True),
        organisations=pd.DataFrame(organisations, columns=[*ORGANISATION_COLUMNS, "timezone"]),
    )


def _is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone (``Europe/London``) of the tz database."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
