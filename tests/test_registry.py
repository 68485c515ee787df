"""Registry files: the demo registry loads; a file that cannot be used stops the run naming
file, line and column; a bad row is left out, named, and the other accounts run."""

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
OTHER = "Org,x,OrgDistrict,Org District,district,Shire,,2021-01-01,,\n"


def write_registry(folder: Path, accounts: str, gazetteer: str = "area,place\nShire,Shireton\n"):
    folder.mkdir(exist_ok=True)
    (folder / "accounts.csv").write_text(accounts, encoding="utf-8")
    (folder / "gazetteer.csv").write_text(gazetteer, encoding="utf-8")
    (folder / "consolidations.csv").write_text("organisation,event_date,description\n")
    return folder


def problems_of(folder: Path) -> list[str]:
    """The file-level problems that stop the run."""
    with pytest.raises(RegistryError) as raised:
        load_registry(folder, today=date(2026, 11, 25))
    assert str(folder) in str(raised.value)
    return raised.value.problems


def rows_left_out(folder: Path) -> list[str]:
    """The row problems of a registry that loads (its other accounts run)."""
    registry = load_registry(folder, today=date(2026, 11, 25))
    assert "x:orgdistrict" in set(registry.accounts["account_key"])
    return [str(problem) for problem in registry.problems]


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


def test_bad_date_leaves_its_row_out_naming_file_line_and_column(tmp_path):
    bad = GOOD.replace("2020-01-01", "01/02/2020")
    assert rows_left_out(write_registry(tmp_path / "r", HEADER + bad + OTHER)) == [
        "accounts.csv line 2, column opened_on: '01/02/2020' is not a date; write it as YYYY-MM-DD"
    ]


def test_duplicate_account_names_both_lines_and_keeps_the_first(tmp_path):
    twice = HEADER + GOOD + GOOD.replace("OrgPolice", "orgpolice") + OTHER
    assert rows_left_out(write_registry(tmp_path / "r", twice)) == [
        "accounts.csv line 3, column account_ref: duplicate account x/orgpolice: already on "
        "line 2; this line is left out"
    ]


def test_unknown_platform_is_named(tmp_path):
    bad = GOOD.replace(",x,", ",myspace,")
    (problem,) = rows_left_out(write_registry(tmp_path / "r", HEADER + bad + OTHER))
    assert problem.startswith("accounts.csv line 2, column platform: unknown platform 'myspace'")


def test_future_date_is_refused(tmp_path):
    bad = GOOD.replace("2020-01-01", "2030-01-01")
    assert rows_left_out(write_registry(tmp_path / "r", HEADER + bad + OTHER)) == [
        "accounts.csv line 2, column opened_on: 2030-01-01 is in the future"
    ]


def test_file_not_in_utf8_names_the_line(tmp_path):
    folder = write_registry(tmp_path / "r", HEADER + GOOD)
    (folder / "accounts.csv").write_bytes((HEADER + GOOD + "Org,x,Caf\xe9,").encode("latin-1"))
    assert problems_of(folder) == [
        "accounts.csv line 3: is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)"
    ]


def test_area_without_places_is_refused(tmp_path):
    elsewhere = OTHER.replace(",Shire,", ",Elsewhere,")
    folder = write_registry(
        tmp_path / "r", HEADER + GOOD + elsewhere, "area,place\nElsewhere,Town\n"
    )
    registry = load_registry(folder, today=date(2026, 11, 25))
    assert [str(problem) for problem in registry.problems] == [
        "accounts.csv line 2, column area: area 'Shire' has no places in gazetteer.csv; add "
        "at least one 'area,place' row for it"
    ]


def test_x_username_with_at_sign_is_refused(tmp_path):
    bad = GOOD.replace("OrgPolice,Org", "@OrgPolice,Org")
    assert rows_left_out(write_registry(tmp_path / "r", HEADER + bad + OTHER)) == [
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
    assert len(rows_left_out(write_registry(tmp_path / "r", HEADER + rows + OTHER))) == 2


def test_registry_whose_every_row_is_bad_stops_the_run_listing_each(tmp_path):
    bad = GOOD.replace("2020-01-01", "2020-13-01")
    assert problems_of(write_registry(tmp_path / "r", HEADER + bad)) == [
        "accounts.csv: no usable account (every row has a problem, listed below); add one "
        "row per account",
        "accounts.csv line 2, column opened_on: '2020-13-01' is not a date; write it as YYYY-MM-DD",
    ]


def test_problem_in_one_file_does_not_hide_the_problems_of_another(tmp_path):
    folder = write_registry(tmp_path / "r", HEADER + GOOD, "area,town\nShire,Shireton\n")
    (folder / "consolidations.csv").write_text("organisation,description\n")
    assert problems_of(folder) == [
        "consolidations.csv line 1, column event_date: missing column 'event_date' in the "
        "header row",
        "gazetteer.csv line 1, column place: missing column 'place' in the header row",
    ]


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
    (problem,) = rows_left_out(
        write_registry(tmp_path / "r", header + bad + OTHER.replace("\n", ",\n"))
    )
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
    (problem,) = [str(p) for p in load_registry(folder, today=date(2026, 11, 25)).problems]
    assert problem.startswith(
        "organisations.csv line 2, column timezone: unknown time zone 'London'; use an IANA name"
    )
