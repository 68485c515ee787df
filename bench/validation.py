"""``gx_vs_pandas``: our GX validation (``validate_frame``) against the same checks in pandas.

The rows are X API answers as the sandbox serves them, parsed by the real staging parser
(``parse_x_landing``), so the frames have exactly the dtypes a run validates. A small share
of rows is made bad (negative or missing counts, missing or future timestamps, a post id
answered twice with different values) so that both sides reject rows and their verdicts can
be compared. The pandas side reads the very expectations of ``suite_for`` and evaluates each
with plain pandas, then splits accepted and rejected rows as ``validate_frame`` does.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from bench import Result, result
from socialmetrics.platforms.x.parse import parse_x_landing
from socialmetrics.validation.suites import suite_for
from socialmetrics.validation.validate import REJECTED_COLUMNS, Validated, validate_frame
from socialmetrics.window import RunWindow

WINDOW = RunWindow.of("bench__validation", datetime(2026, 3, 31), datetime(2026, 4, 1))
ENTITIES = ("post", "account_snapshot")
HEADLINE_ENTITY = "post"
PAGE = 100  # rows per landed answer, as X pages them


# -- rows ---------------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _post_records(rows: int, bad_share: float, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    bad = set(rng.choice(rows, size=int(rows * bad_share), replace=False).tolist())
    accounts = max(1, rows // 730)  # about two posts a day for a year per account
    start = WINDOW.start - timedelta(days=365)
    seconds = rng.integers(0, 365 * 86400, size=rows)
    metrics = rng.integers(0, 500, size=(rows, 6))
    records, page = [], []
    for number in range(rows):
        account = number % accounts
        post = {
            "id": str(1_800_000_000_000_000_000 + number),
            "text": f"Bench post {number} from account {account}: road closed on the A11 today.",
            "created_at": _rfc3339(start + timedelta(seconds=int(seconds[number]))),
            "edit_history_tweet_ids": [str(1_800_000_000_000_000_000 + number)],
            "public_metrics": {
                "retweet_count": int(metrics[number, 0]),
                "reply_count": int(metrics[number, 1]),
                "like_count": int(metrics[number, 2]),
                "quote_count": int(metrics[number, 3]),
                "bookmark_count": int(metrics[number, 4]),
                "impression_count": int(metrics[number, 5]) * 40,
            },
        }
        if number in bad:
            fault = number % 5
            if fault == 0:
                post["public_metrics"]["like_count"] = -3
            elif fault == 1:
                post["public_metrics"]["reply_count"] = "7"
            elif fault == 2:
                del post["created_at"]
            elif fault == 3:
                post["created_at"] = _rfc3339(WINDOW.end + timedelta(days=2))
            else:  # the previous post's id again, with other values
                post["id"] = str(1_800_000_000_000_000_000 + number - accounts)
        page.append(post)
        if len(page) == PAGE or number == rows - 1:
            records.append(
                {
                    "status": 200,
                    "endpoint": "/2/users/:id/tweets",
                    "context": {"kind": "posts", "account_key": f"x:bench{account:06d}"},
                    "body": json.dumps({"data": page, "meta": {"result_count": len(page)}}),
                }
            )
            page = []
    return records


def _snapshot_records(rows: int, bad_share: float, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    bad = set(rng.choice(rows, size=int(rows * bad_share), replace=False).tolist())
    metrics = rng.integers(0, 50_000, size=(rows, 5))
    records, page, wanted = [], [], {}
    for number in range(rows):
        username = f"bench{number:07d}"
        user = {
            "id": str(9_000_000_000 + number),
            "name": f"Bench Police {number}",
            "username": username,
            "created_at": "2015-06-01T09:00:00.000Z",
            "location": "Norwich, Norfolk" if number % 3 else "",
            "description": "Official account. Do not report crime here; call 101 or 999.",
            "verified": False,
            "public_metrics": {
                "followers_count": int(metrics[number, 0]),
                "following_count": int(metrics[number, 1]),
                "tweet_count": int(metrics[number, 2]),
                "listed_count": int(metrics[number, 3]),
                "like_count": int(metrics[number, 4]),
            },
        }
        if number in bad:
            fault = number % 3
            if fault == 0:
                user["public_metrics"]["followers_count"] = -1
            elif fault == 1:
                del user["public_metrics"]["followers_count"]
            else:
                del user["id"]
        page.append(user)
        wanted[username] = f"x:{username}"
        if len(page) == PAGE or number == rows - 1:
            records.append(
                {
                    "status": 200,
                    "endpoint": "/2/users/by",
                    "context": {"kind": "lookup", "accounts": wanted},
                    "body": json.dumps({"data": page}),
                }
            )
            page, wanted = [], {}
    return records


def staging_rows(entity: str, rows: int, bad_share: float = 0.0005, seed: int = 0) -> pd.DataFrame:
    """``rows`` staging rows of ``entity`` (``post`` or ``account_snapshot``, one snapshot per
    account), parsed from X answers by ``parse_x_landing``; ``bad_share`` of them are bad."""
    make = {"post": _post_records, "account_snapshot": _snapshot_records}[entity]
    return parse_x_landing(make(rows, bad_share, seed), WINDOW).frames[entity]


# -- the same checks in plain pandas ------------------------------------------------------


def _unexpected(frame: pd.DataFrame, config) -> np.ndarray:
    """Boolean mask of the rows failing one expectation, with GX's rules for nulls."""
    kind, kwargs = config.type, config.kwargs
    if kind == "expect_column_values_to_not_be_null":
        return frame[kwargs["column"]].isna().to_numpy()
    if kind.startswith("expect_column_values_to_be_") and (
        "min_value" in kwargs or "max_value" in kwargs
    ):  # expect_column_values_to_be_within_bounds (or GX's between, its row-by-row twin)
        values = frame[kwargs["column"]]
        present = values.notna().to_numpy()
        ok = np.ones(len(frame), dtype=bool)
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if isinstance(low, datetime) or isinstance(high, datetime):
            low = pd.Timestamp(low) if low is not None else None
            high = pd.Timestamp(high) if high is not None else None
        if low is not None:
            above = values > low if kwargs.get("strict_min") else values >= low
            ok &= above.fillna(True).to_numpy(dtype=bool)
        if high is not None:
            below = values < high if kwargs.get("strict_max") else values <= high
            ok &= below.fillna(True).to_numpy(dtype=bool)
        return present & ~ok
    if kind == "expect_column_values_to_be_in_set":
        values = frame[kwargs["column"]]
        return (values.notna() & ~values.isin(list(kwargs["value_set"]))).to_numpy()
    if kind == "expect_column_values_to_be_unique":
        values = frame[kwargs["column"]]
        present = values.notna().to_numpy()
        return present & values.duplicated(keep=False).to_numpy()
    if kind == "expect_compound_columns_to_be_unique":
        columns = list(kwargs["column_list"])
        if kwargs.get("ignore_row_if", "all_values_are_missing") != "all_values_are_missing":
            raise NotImplementedError(f"ignore_row_if={kwargs['ignore_row_if']}")
        considered = ~frame[columns].isna().all(axis=1).to_numpy()
        mask = np.zeros(len(frame), dtype=bool)
        mask[considered] = frame.loc[considered, columns].duplicated(keep=False).to_numpy()
        return mask
    raise NotImplementedError(f"no pandas version of {kind}")


def pandas_validate(entity: str, frame: pd.DataFrame, window_end: datetime) -> Validated:
    """``validate_frame`` with every expectation evaluated in plain pandas instead of GX:
    same deduplication, same checks (read from ``suite_for``), same accepted/rejected split."""
    before = len(frame)
    frame = frame.drop_duplicates().reset_index(drop=True)
    duplicates = before - len(frame)
    checks = suite_for(entity, window_end)
    failed = np.zeros(len(frame), dtype=bool)
    names = pd.Series("", index=frame.index, dtype=object)
    reasons = pd.Series("", index=frame.index, dtype=object)
    results = []
    body = frame.drop(columns=["_record"])
    for check in checks:
        mask = _unexpected(body, check.expectation.configuration)
        if mask.any():
            first = mask & ~failed
            again = mask & failed
            names[first] = check.name
            reasons[first] = check.reason
            names[again] = names[again] + "; " + check.name
            reasons[again] = reasons[again] + "; " + check.reason
            failed |= mask
        results.append(
            {
                "entity": entity,
                "expectation": check.name,
                "success": not mask.any(),
                "element_count": len(frame),
                "unexpected_count": int(mask.sum()),
            }
        )
    rejected = pd.DataFrame(
        {
            "entity": entity,
            "record": frame.loc[failed, "_record"].to_numpy(),
            "expectation": names[failed].to_numpy(),
            "reason": reasons[failed].to_numpy(),
        },
        columns=REJECTED_COLUMNS,
    )
    accepted = frame.loc[~failed].drop(columns=["_record"]).reset_index(drop=True)
    return Validated(entity, accepted, rejected, results, duplicates)


def _agree(ours: Validated, theirs: Validated) -> bool:
    def verdicts(v: Validated):
        # GX may list a row's failed expectations in another order than the suite.
        names = [tuple(sorted(text.split("; "))) for text in v.rejected["expectation"]]
        return sorted(zip(v.rejected["record"], names, strict=True))

    def counts(v: Validated):
        return sorted(
            (r["expectation"], r["unexpected_count"], bool(r["success"])) for r in v.results
        )

    return (
        len(ours.accepted) == len(theirs.accepted)
        and ours.duplicates == theirs.duplicates
        and counts(ours) == counts(theirs)
        and verdicts(ours) == verdicts(theirs)
    )


# -- the measurement ----------------------------------------------------------------------


def _timed(function, *args) -> tuple[float, Validated]:
    started = time.perf_counter()
    outcome = function(*args)
    return time.perf_counter() - started, outcome


def measure_entity(
    entity: str, rows: int, repeats: int = 1, warmup_rows: int = 1000, seed: int = 0
) -> dict:
    """Time ``validate_frame`` and ``pandas_validate`` on the same ``rows`` rows of
    ``entity``, alternately, ``repeats`` times (medians), after one excluded warm-up of
    each on ``warmup_rows`` rows."""
    frame = staging_rows(entity, rows, seed=seed)
    warm = staging_rows(entity, min(warmup_rows, rows), seed=seed + 1)
    warm_gx, _ = _timed(validate_frame, entity, warm, WINDOW.end)
    warm_pandas, _ = _timed(pandas_validate, entity, warm, WINDOW.end)
    gx_runs, pandas_runs = [], []
    for _ in range(repeats):
        seconds, ours = _timed(validate_frame, entity, frame, WINDOW.end)
        gx_runs.append(seconds)
        seconds, theirs = _timed(pandas_validate, entity, frame, WINDOW.end)
        pandas_runs.append(seconds)
    gx_seconds, pandas_seconds = statistics.median(gx_runs), statistics.median(pandas_runs)
    # How much of either side is the shared deduplication and split, not the checks.
    body = frame.drop_duplicates().drop(columns=["_record"]).reset_index(drop=True)
    started = time.perf_counter()
    for check in suite_for(entity, WINDOW.end):
        _unexpected(body, check.expectation.configuration)
    checks_only = time.perf_counter() - started
    return {
        "rows": len(frame),
        "expectations": len(ours.results),
        "gx_seconds": round(gx_seconds, 4),
        "pandas_seconds": round(pandas_seconds, 4),
        "ratio": round(gx_seconds / pandas_seconds, 3),
        "gx_seconds_each": [round(s, 4) for s in gx_runs],
        "pandas_seconds_each": [round(s, 4) for s in pandas_runs],
        "pandas_checks_only_seconds": round(checks_only, 4),
        # Both sides share the deduplication and the split; without them (an estimate:
        # GX's total less pandas' non-check time) the checks alone compare as:
        "checks_only_ratio_estimate": round(
            max(gx_seconds - (pandas_seconds - checks_only), 0.0) / checks_only, 1
        )
        if checks_only > 0
        else None,
        "gx_rows_per_second": round(len(frame) / gx_seconds),
        "pandas_rows_per_second": round(len(frame) / pandas_seconds),
        "rejected": len(ours.rejected),
        "verdicts_agree": _agree(ours, theirs),
        "warmup": {
            "rows": len(warm),
            "gx_seconds": round(warm_gx, 4),
            "pandas_seconds": round(warm_pandas, 4),
            "excluded": True,
        },
    }


def measure_validation(rows: int, repeats: int = 1, seed: int = 0) -> dict[str, Result]:
    """``gx_vs_pandas``: GX time over pandas time on ``rows`` post rows (the largest entity
    and the longest suite); the account_snapshot suite on as many rows is in the detail."""
    entities = {
        entity: measure_entity(entity, rows, repeats=repeats, seed=seed) for entity in ENTITIES
    }
    headline = entities[HEADLINE_ENTITY]
    return {
        "gx_vs_pandas": result(
            "gx_vs_pandas",
            headline["ratio"],
            {
                "entity": HEADLINE_ENTITY,
                "rows": headline["rows"],
                "repeats": repeats,
                "result_format": "COMPLETE (validate_frame needs the failing row indexes)",
                "entities": entities,
            },
        )
    }
