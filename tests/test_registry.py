"""Registry files (SPEC §5.1): the demo registry loads; every malformed file names file, line
and column."""

from datetime import date
from pathlib import Path

import pytest

from socialmetrics.paths import DEMO_REGISTRY_DIR
from socialmetrics.registry import RegistryError, load_registry

HEADER = (
    "organisation,platform,account_ref,display_name,kind,area,owner_email,opened_on,"
    "closed_on,successor_ref\n"
)
GOOD = "Org,x,OrgPolice,Org Police,force,Shire,comms@org.example,2020-01-01,,\n"


def write_registry(folder: Path, accounts: str, gazetteer: str = "area,place\nShire,Shireton\n"):
    folder.mkdir(exist_ok=True)
    (folder / "accounts.csv").write_text(accounts, encoding="utf-8")
    (folder / "gazetteer.csv").write_text(gazetteer, encoding="utf-8")
    (folder / "consolidations.csv").write_text("organisation,event_date,description\n")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(RegistryError) as raised:
        load_registry(folder, today=date(2026, 11, 25))
    assert str(folder) in str(raised.value)
    return raised.value.problems


def test_demo_registry_loads():
    registry = load_registry(DEMO_REGISTRY_DIR)
    assert len(registry.accounts) >= 20
    assert set(registry.accounts["platform"]) <= {"x", "facebook", "instagram"}


def test_minimal_registry_loads_with_keys_and_types(tmp_path):
    registry = load_registry(write_registry(tmp_path / "r", HEADER + GOOD))
    account = registry.accounts.iloc[0]
    assert account["account_key"] == "x:orgpolice"
    assert account["opened_on"] == date(2020, 1, 1)
    assert account["source"] == "api"
    assert registry.organisations.to_dict("records") == [
        {"organisation": "Org", "comms_email": None, "timezone": "Europe/London"}
    ]


def test_missing_column_names_file_line_and_column(tmp_path):
    header = HEADER.replace(",opened_on", "")
    row = "Org,x,OrgPolice,Org Police,force,Shire,comms@org.example,,\n"
    assert problems_of(write_registry(tmp_path / "r", header + row)) == [
        "accounts.csv line 1, column opened_on: missing column 'opened_on' in the header row"
    ]


def test_bad_date_names_file_line_and_column(tmp_path):
    bad = GOOD.replace("2020-01-01", "01/02/2020")
    assert problems_of(write_registry(tmp_path / "r", HEADER + bad)) == [
        "accounts.csv line 2, column opened_on: '01/02/2020' is not a date; write it as YYYY-MM-DD"
    ]


def test_duplicate_account_names_both_lines(tmp_path):
    twice = HEADER + GOOD + GOOD.replace("OrgPolice", "orgpolice")
    assert problems_of(write_registry(tmp_path / "r", twice)) == [
        "accounts.csv line 3, column account_ref: duplicate account x/orgpolice: already on line 2"
    ]


def test_unknown_platform_is_named(tmp_path):
    bad = GOOD.replace(",x,", ",myspace,")
    (problem,) = problems_of(write_registry(tmp_path / "r", HEADER + bad))
    assert problem.startswith("accounts.csv line 2, column platform: unknown platform 'myspace'")


def test_future_date_is_refused(tmp_path):
    bad = GOOD.replace("2020-01-01", "2030-01-01")
    assert problems_of(write_registry(tmp_path / "r", HEADER + bad)) == [
        "accounts.csv line 2, column opened_on: 2030-01-01 is in the future"
    ]


def test_file_not_in_utf8_names_the_line(tmp_path):
    folder = write_registry(tmp_path / "r", HEADER + GOOD)
    (folder / "accounts.csv").write_bytes((HEADER + GOOD + "Org,x,Caf\xe9,").encode("latin-1"))
    assert problems_of(folder) == [
        "accounts.csv line 3: is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)"
    ]


def test_area_without_places_is_refused(tmp_path):
    folder = write_registry(tmp_path / "r", HEADER + GOOD, "area,place\nElsewhere,Town\n")
    assert problems_of(folder) == [
        "accounts.csv line 2, column area: area 'Shire' has no places in gazetteer.csv; add "
        "at least one 'area,place' row for it"
    ]


def test_x_username_with_at_sign_is_refused(tmp_path):
    bad = GOOD.replace("OrgPolice,Org", "@OrgPolice,Org")
    assert problems_of(write_registry(tmp_path / "r", HEADER + bad)) == [
        "accounts.csv line 2, column account_ref: write the X username without @: OrgPolice"
    ]


def test_missing_registry_folder_is_named(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [
        f"the folder {tmp_path / 'nowhere'} does not exist"
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    rows = GOOD.replace("2020-01-01", "2020-13-01") + GOOD.replace(",x,", ",tiktok,").replace(
        "OrgPolice", "Other"
    )
    assert len(problems_of(write_registry(tmp_path / "r", HEADER + rows))) == 2


def test_source_column_reads_api_or_export_in_any_case(tmp_path):
    header = HEADER.replace("successor_ref\n", "successor_ref,source\n")
    rows = GOOD.replace("\n", ",Export\n") + GOOD.replace("OrgPolice", "Other").replace("\n", ",\n")
    registry = load_registry(write_registry(tmp_path / "r", header + rows))
    sources = zip(registry.accounts["account_ref"], registry.accounts["source"], strict=True)
    assert dict(sources) == {
        "OrgPolice": "export",
        "Other": "api",
    }


def test_unknown_source_names_file_line_and_column(tmp_path):
    header = HEADER.replace("successor_ref\n", "successor_ref,source\n")
    bad = GOOD.replace("\n", ",csv\n")
    (problem,) = problems_of(write_registry(tmp_path / "r", header + bad))
    assert problem.startswith("accounts.csv line 2, column source: unknown source 'csv'; use api")


def test_organisation_timezone_is_read_and_defaults_to_london(tmp_path):
    other = GOOD.replace("Org,", "Other,", 1).replace("OrgPolice", "OtherPolice")
    folder = write_registry(tmp_path / "r", HEADER + GOOD + other)
    (folder / "organisations.csv").write_text(
        "organisation,comms_email,timezone\nOrg,,America/New_York\n", encoding="utf-8"
    )
    registry = load_registry(folder)
    organisations = registry.organisations
    timezones = zip(organisations["organisation"], organisations["timezone"], strict=True)
    assert dict(timezones) == {
        "Org": "America/New_York",
        "Other": "Europe/London",
    }


def test_unknown_timezone_names_file_line_and_column(tmp_path):
    folder = write_registry(tmp_path / "r", HEADER + GOOD)
    (folder / "organisations.csv").write_text(
        "organisation,comms_email,timezone\nOrg,,London\n", encoding="utf-8"
    )
    (problem,) = problems_of(folder)
    assert problem.startswith(
        "organisations.csv line 2, column timezone: unknown time zone 'London'; use an IANA name"
    )
