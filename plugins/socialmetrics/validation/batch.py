"""Validate one landed batch: parse it, run the suites, write accepted and rejected rows.

Writes Parquet files beside the landing file (no warehouse access, so batches validate in
parallel even on an embedded DuckDB warehouse) and returns a JSON-able summary for the load.
"""

from __future__ import annotations

from pathlib import Path

from socialmetrics.landing import read_landing
from socialmetrics.staging import ENTITIES
from socialmetrics.staging.csv_export import parse_csv_landing
from socialmetrics.staging.meta import parse_meta_landing
from socialmetrics.staging.x import parse_x_landing
from socialmetrics.validation.validate import validate_frame
from socialmetrics.window import RunWindow

PARSERS = {"x": parse_x_landing, "meta": parse_meta_landing, "csv": parse_csv_landing}


def validate_batch(extracted: dict, window: RunWindow) -> dict:
    """Validate the landing file named in ``extracted`` (the extract summary).

    Returns the extract summary extended with ``files`` (entity -> Parquet of accepted rows),
    ``rejected`` (Parquet of quarantined rows), ``counts`` (per entity: extracted, loaded,
    quarantined, duplicate_answers), ``results`` (one per expectation) and ``issues``.
    """
    landing = Path(extracted["landing_file"])
    parse = PARSERS[extracted["platform"]]
    if extracted["platform"] == "csv":
        parsed = parse(read_landing(landing), window)
    else:
        parsed = parse(read_landing(landing), window, extracted)
    files, counts, results, rejected = {}, {}, [], []
    for entity in ENTITIES:
        if entity not in parsed.frames:
            continue
        outcome = validate_frame(entity, parsed.frames[entity], window.end)
        path = landing.with_name(f"{landing.stem}.{entity}.parquet")
        outcome.accepted.to_parquet(path, index=False)
        files[entity] = str(path)
        rejected.append(outcome.rejected)
        results += outcome.results
        counts[entity] = {
            "extracted": len(outcome.accepted) + len(outcome.rejected),
            "loaded": len(outcome.accepted),
            "quarantined": len(outcome.rejected),
            "duplicate_answers": outcome.duplicates,
        }
    import pandas as pd

    rejected_path = landing.with_name(f"{landing.stem}.rejected.parquet")
    pd.concat(rejected, ignore_index=True).to_parquet(rejected_path, index=False)
    return {
        **extracted,
        "answers": parsed.answers,
        "files": files,
        "rejected": str(rejected_path),
        "counts": counts,
        "results": results,
        "issues": parsed.issues + _extract_issues(extracted),
    }


def _extract_issues(extracted: dict) -> list[dict]:
    """The accounts the extract put off to the next run or gave up on, as ops issues."""
    issues = []
    for issue, accounts in (
        ("deferred", extracted.get("deferred") or {}),
        ("not read", extracted.get("failures") or {}),
    ):
        for key, detail in accounts.items():
            issues.append(
                {
                    "platform": extracted["platform"],
                    "endpoint": "(extract)",
                    "account_ref": key.split(":", 1)[-1],
                    "account_key": key,
                    "issue": issue,
                    "detail": detail,
                }
            )
    return issues
