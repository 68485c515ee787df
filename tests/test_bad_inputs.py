"""A corpus of bad inputs (docs/design.md#10-reliability): each ends in a clear error naming
file, line and column, or in a quarantined row with its reason, or in a recorded issue; never a
crash or a silent drop."""

import json
from datetime import date, datetime

import pytest

from socialmetrics.platforms.x.parse import parse_x_landing
from socialmetrics.registry import RegistryError, load_registry
from socialmetrics.validation.validate import validate_frame
from socialmetrics.window import RunWindow

HEADER = (
    "organisation,platform,account_ref,display_name,kind,area,owner_email,opened_on,"
    "closed_on,successor_ref\n"
)
ROW = "Org,x,OrgPolice,Org Police,force,Shire,comms@org.example,2020-01-01,,\n"
OTHER_ROW = "Other Org,x,OtherPolice,Other Police,force,Elsewhere,,2021-01-01,,\n"
GAZETTEER = "area,place\nShire,Shireton\nElsewhere,Town\n"
CONSOLIDATIONS = "organisation,event_date,description\n"

# name -> (files to write {name: text or bytes}, expected start of the one problem)
REGISTRY_CORPUS = {
    "accounts missing a column": (
        {"accounts.csv": HEADER.replace("kind,", "") + ROW},
        "accounts.csv line 1, column kind: missing column",
    ),
    "gazetteer missing a column": (
        {"gazetteer.csv": "area,town\nShire,Shireton\n"},
        "gazetteer.csv line 1, column place: missing column",
    ),
    "consolidations missing a column": (
        {"consolidations.csv": "organisation,description\n"},
        "consolidations.csv line 1, column event_date: missing column",
    ),
    "bad opened_on": (
        {"accounts.csv": HEADER + ROW.replace("2020-01-01", "1st Jan 2020")},
        "accounts.csv line 2, column opened_on: '1st Jan 2020' is not a date",
    ),
    "impossible date": (
        {"accounts.csv": HEADER + ROW.replace("2020-01-01", "2021-02-30")},
        "accounts.csv line 2, column opened_on: '2021-02-30' is not a date",
    ),
    "bad closed_on": (
        {"accounts.csv": HEADER + ROW.replace("2020-01-01,,", "2020-01-01,2021/01/01,")},
        "accounts.csv line 2, column closed_on: '2021/01/01' is not a date",
    ),
    "closed before opened": (
        {"accounts.csv": HEADER + ROW.replace("2020-01-01,,", "2020-01-01,2019-01-01,")},
        "accounts.csv line 2, column closed_on: 2019-01-01 is before opened_on",
    ),
    "future date": (
        {"accounts.csv": HEADER + ROW.replace("2020-01-01", "2099-01-01")},
        "accounts.csv line 2, column opened_on: 2099-01-01 is in the future",
    ),
    "duplicate account": (
        {"accounts.csv": HEADER + ROW + ROW},
        "accounts.csv line 3, column account_ref: duplicate account x/OrgPolice",
    ),
    "duplicate account in another case": (
        {"accounts.csv": HEADER + ROW + ROW.replace("OrgPolice,", "ORGPOLICE,")},
        "accounts.csv line 3, column account_ref: duplicate account x/ORGPOLICE",
    ),
    "unknown platform": (
        {"accounts.csv": HEADER + ROW.replace(",x,", ",tiktok,")},
        "accounts.csv line 2, column platform: unknown platform 'tiktok'",
    ),
    "empty platform": (
        {"accounts.csv": HEADER + ROW.replace(",x,", ",,")},
        "accounts.csv line 2, column platform: is empty",
    ),
    "empty kind": (
        {"accounts.csv": HEADER + ROW.replace(",force,", ",,")},
        "accounts.csv line 2, column kind: is empty",
    ),
    "latin-1 encoding": (
        {"accounts.csv": (HEADER + ROW.replace("Org Police", "Org Polic\xe9")).encode("latin-1")},
        "accounts.csv line 2: is not UTF-8 text",
    ),
    "utf-16 encoding": (
        {"accounts.csv": (HEADER + ROW).encode("utf-16")},
        "accounts.csv line 1: is not UTF-8 text",
    ),
    "empty file": ({"accounts.csv": ""}, "accounts.csv line 1: the file is empty"),
    "more cells than the header": (
        {"accounts.csv": HEADER + ROW.rstrip("\n") + ",surplus,cells\n"},
        "accounts.csv line 2: has more cells than the header row",
    ),
    "username with @": (
        {"accounts.csv": HEADER + ROW.replace("OrgPolice,", "@OrgPolice,")},
        "accounts.csv line 2, column account_ref: write the X username without @",
    ),
    "username with a hyphen": (
        {"accounts.csv": HEADER + ROW.replace("OrgPolice,", "Org-Police,")},
        "accounts.csv line 2, column account_ref: 'Org-Police' is not an X username",
    ),
    "username with a space": (
        {"accounts.csv": HEADER + ROW.replace("OrgPolice,", "Org Police,")},
        "accounts.csv line 2, column account_ref: 'Org Police' is not an X username",
    ),
    "username of 16 characters": (
        {"accounts.csv": HEADER + ROW.replace("OrgPolice,", "OrgPoliceService,")},
        "accounts.csv line 2, column account_ref: 'OrgPoliceService' is not an X username",
    ),
    "facebook page given by name": (
        {"accounts.csv": HEADER + ROW.replace(",x,OrgPolice,", ",facebook,OrgPolicePage,")},
        "accounts.csv line 2, column account_ref: 'OrgPolicePage' is not a Facebook page id",
    ),
    "instagram account given by handle": (
        {"accounts.csv": HEADER + ROW.replace(",x,OrgPolice,", ",instagram,orgpolice,")},
        "accounts.csv line 2, column account_ref: 'orgpolice' is not an Instagram user id",
    ),
    "area missing from gazetteer": (
        {"gazetteer.csv": "area,place\nElsewhere,Town\n"},
        "accounts.csv line 2, column area: area 'Shire' has no places",
    ),
    "consolidation of an unknown organisation": (
        {"consolidations.csv": CONSOLIDATIONS + "Nobody,2024-01-01,merge\n"},
        "consolidations.csv line 2, column organisation: 'Nobody' has no account",
    ),
    "consolidation with a bad date": (
        {"consolidations.csv": CONSOLIDATIONS + "Org,01-01-2024,merge\n"},
        "consolidations.csv line 2, column event_date: '01-01-2024' is not a date",
    ),
    "gazetteer place without letters": (
        {"gazetteer.csv": GAZETTEER + "Shire,12345\n"},
        "gazetteer.csv line 4, column place: '12345' has no letters",
    ),
    "accounts file missing": ({"accounts.csv": None}, "accounts.csv: file not found"),
}


# Problems with a whole file stop the run; any other problem leaves its row out.
FILE_PROBLEMS = {
    "accounts missing a column",
    "gazetteer missing a column",
    "consolidations missing a column",
    "latin-1 encoding",
    "utf-16 encoding",
    "empty file",
    "accounts file missing",
}


def write_registry_files(folder, files):
    contents = {
        "accounts.csv": HEADER + ROW + OTHER_ROW,
        "gazetteer.csv": GAZETTEER,
        "consolidations.csv": CONSOLIDATIONS,
    }
    for name, content in {**contents, **files}.items():
        if content is not None:
            data = content if isinstance(content, bytes) else content.encode()
            (folder / name).write_bytes(data)


@pytest.mark.parametrize("case", sorted(FILE_PROBLEMS))
def test_unusable_registry_file_stops_the_run_naming_file_line_and_column(case, tmp_path):
    files, expected = REGISTRY_CORPUS[case]
    write_registry_files(tmp_path, files)
    with pytest.raises(RegistryError) as raised:
        load_registry(tmp_path, today=date(2026, 11, 25))
    assert len(raised.value.problems) == 1, raised.value.problems
    assert raised.value.problems[0].startswith(expected), raised.value.problems


@pytest.mark.parametrize("case", sorted(set(REGISTRY_CORPUS) - FILE_PROBLEMS))
def test_bad_registry_row_is_left_out_naming_file_line_and_column(case, tmp_path):
    files, expected = REGISTRY_CORPUS[case]
    if "accounts.csv" in files:
        files = {**files, "accounts.csv": files["accounts.csv"] + OTHER_ROW}
    write_registry_files(tmp_path, files)
    registry = load_registry(tmp_path, today=date(2026, 11, 25))
    (problem,) = registry.problems
    assert str(problem).startswith(expected), problem
    assert "x:otherpolice" in set(registry.accounts["account_key"])


WINDOW = RunWindow.of("run", datetime(2026, 3, 31), datetime(2026, 4, 1))
GOOD_POST = {
    "id": "1900000000000000001",
    "created_at": "2026-03-31T08:00:00.000Z",
    "text": "ok",
    "public_metrics": {"like_count": 1, "reply_count": 0, "retweet_count": 0, "quote_count": 0},
}
GOOD_USER = {
    "id": "42",
    "username": "OrgPolice",
    "name": "Org Police",
    "public_metrics": {"followers_count": 10, "following_count": 1, "tweet_count": 5},
}


def changed(record, path, value):
    record = json.loads(json.dumps(record))
    *parents, leaf = path
    target = record
    for key in parents:
        target = target[key]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return record


OTHER_POST = changed(GOOD_POST, ["id"], "1900000000000000002")

# name -> (kind of answer, the bad record, column the reason must name)
ANSWER_CORPUS = {
    "post without id": ("posts", changed(OTHER_POST, ["id"], ...), "post_id"),
    "post id of the wrong type": ("posts", changed(OTHER_POST, ["id"], 19), "post_id"),
    "post id not digits": ("posts", changed(OTHER_POST, ["id"], "abc"), "post_id"),
    "negative likes": (
        "posts",
        changed(OTHER_POST, ["public_metrics", "like_count"], -3),
        "likes",
    ),
    "likes as text": (
        "posts",
        changed(OTHER_POST, ["public_metrics", "like_count"], "12"),
        "likes",
    ),
    "likes as a fraction": (
        "posts",
        changed(OTHER_POST, ["public_metrics", "like_count"], 1.5),
        "likes",
    ),
    "likes as a boolean": (
        "posts",
        changed(OTHER_POST, ["public_metrics", "like_count"], True),
        "likes",
    ),
    "replies missing": (
        "posts",
        changed(OTHER_POST, ["public_metrics", "reply_count"], ...),
        "replies",
    ),
    "public_metrics missing": ("posts", changed(OTHER_POST, ["public_metrics"], ...), "likes"),
    "created_at missing": ("posts", changed(OTHER_POST, ["created_at"], ...), "created_at"),
    "created_at malformed": (
        "posts",
        changed(OTHER_POST, ["created_at"], "yesterday"),
        "created_at",
    ),
    "post from the future": (
        "posts",
        changed(OTHER_POST, ["created_at"], "2030-01-01T00:00:00Z"),
        "from the future",
    ),
    "negative impressions": (
        "posts",
        changed(OTHER_POST, ["public_metrics", "impression_count"], -1),
        "impressions",
    ),
    "post that is not an object": ("posts", "not a post", "post_id"),
    "user with negative followers": (
        "lookup",
        changed(GOOD_USER, ["public_metrics", "followers_count"], -10),
        "followers_count",
    ),
    "user without followers_count": (
        "lookup",
        changed(GOOD_USER, ["public_metrics", "followers_count"], ...),
        "followers_count",
    ),
    "user without id": ("lookup", changed(GOOD_USER, ["id"], ...), "platform_user_id"),
    "user id of the wrong type": ("lookup", changed(GOOD_USER, ["id"], 42), "platform_user_id"),
}


def staged(kind, records):
    context = (
        {"kind": "lookup", "accounts": {"orgpolice": "x:orgpolice"}}
        if kind == "lookup"
        else {"kind": "posts", "account_key": "x:orgpolice"}
    )
    answer = {
        "status": 200,
        "endpoint": "/2/users/by" if kind == "lookup" else "/2/users/:id/tweets",
        "context": context,
        "body": json.dumps({"data": records}),
    }
    return parse_x_landing([answer], WINDOW)


@pytest.mark.parametrize("case", sorted(ANSWER_CORPUS))
def test_bad_api_record_is_quarantined_with_its_reason(case):
    kind, record, named = ANSWER_CORPUS[case]
    entity = "account_snapshot" if kind == "lookup" else "post"
    good = GOOD_USER if kind == "lookup" else GOOD_POST
    records = [record] if kind == "lookup" else [good, record]
    parsed = staged(kind, records)
    outcome = validate_frame(entity, parsed.frames[entity], WINDOW.end)
    assert len(outcome.accepted) + len(outcome.rejected) == len(records)
    assert len(outcome.rejected) == 1
    assert named in outcome.rejected["reason"].iloc[0]


def test_duplicated_post_id_with_different_values_is_quarantined():
    twin = changed(GOOD_POST, ["public_metrics", "like_count"], 99)
    outcome = validate_frame("post", staged("posts", [GOOD_POST, twin]).frames["post"], WINDOW.end)
    assert outcome.accepted.empty
    assert set(outcome.rejected["reason"]) == {
        "post_id: the same post id came twice with different values"
    }


def test_answer_whose_data_is_not_a_list_is_recorded_as_schema_drift():
    answer = {
        "status": 200,
        "endpoint": "/2/users/:id/tweets",
        "context": {"kind": "posts", "account_key": "x:orgpolice"},
        "body": json.dumps({"data": {"id": "1"}}),
    }
    parsed = parse_x_landing([answer], WINDOW)
    assert parsed.frames["post"].empty
    (issue,) = parsed.issues
    assert issue["issue"] == "schema drift"
    assert "`data` is a dict" in issue["detail"]


def test_username_the_api_does_not_know_is_recorded_as_an_issue():
    answer = {
        "status": 200,
        "endpoint": "/2/users/by",
        "context": {"kind": "lookup", "accounts": {"orgpolice": "x:orgpolice"}},
        "body": json.dumps(
            {"errors": [{"value": "OrgPolice", "title": "Not Found Error", "detail": "gone"}]}
        ),
    }
    (issue,) = parse_x_landing([answer], WINDOW).issues
    assert (issue["account_ref"], issue["issue"]) == ("OrgPolice", "Not Found Error")


def test_a_day_before_the_platforms_existed_fails_at_once_with_words():
    from airflow.sdk.exceptions import AirflowFailException

    from socialmetrics.pipeline import window_from_context

    context = {
        "run_id": "manual__2005",
        "data_interval_start": datetime(2005, 5, 31),
        "data_interval_end": datetime(2005, 6, 1),
    }
    with pytest.raises(AirflowFailException, match="before 2006-03-21"):
        window_from_context(context)
    context.update(
        data_interval_start=datetime(2006, 3, 21), data_interval_end=datetime(2006, 3, 22)
    )
    assert window_from_context(context).day == date(2006, 3, 21)


RANGE_CONTEXT = {
    "run_id": "manual__range",
    "data_interval_start": datetime(2026, 4, 1),
    "data_interval_end": datetime(2026, 4, 2),
}


def test_a_manual_run_may_name_its_own_range_and_reports_on_its_last_day():
    from socialmetrics.pipeline import window_from_context

    params = {"interval_start": "2026-01-01", "interval_end": "2026-04-01"}
    window = window_from_context({**RANGE_CONTEXT, "params": params})
    assert (window.start, window.end, window.day) == (
        datetime(2026, 1, 1),
        datetime(2026, 4, 1),
        date(2026, 3, 31),
    )


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"interval_start": "2026-01-01"}, "Give both params"),
        ({"interval_start": "1 Jan", "interval_end": "2026-04-01"}, "not ISO dates"),
        ({"interval_start": "2026-04-01", "interval_end": "2026-01-01"}, "must be after"),
    ],
)
def test_a_bad_range_is_refused_naming_the_params(params, says):
    from airflow.sdk.exceptions import AirflowFailException

    from socialmetrics.pipeline import window_from_context

    with pytest.raises(AirflowFailException, match=says):
        window_from_context({**RANGE_CONTEXT, "params": params})
