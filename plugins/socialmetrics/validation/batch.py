"""Parse and validate one landed batch: its connector's parser turns the landing into rows,
the suites check them, the accepted and rejected rows are written.

Writes Parquet files beside the landing file (no warehouse access, so batches validate in
parallel even on an embedded DuckDB warehouse) and returns a JSON-able summary for the load.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from socialmetrics.landing import read_landing
from socialmetrics.payloads import ExtractSummary, ValidationSummary
from socialmetrics.platforms import connector_named
from socialmetrics.rows import ENTITIES, UNREADABLE_EXPECTATION
from socialmetrics.validation.validate import REJECTED_COLUMNS, validate_frame
from socialmetrics.window import RunWindow


def validate_batch(extracted: ExtractSummary, window: RunWindow) -> ValidationSummary:
    """Validate the landing file named in ``extracted`` (the extract summary).

    Returns the extract summary extended with ``files`` (entity -> Parquet of accepted rows),
    ``rejected`` (Parquet of quarantined rows), ``counts`` (per entity: extracted, loaded,
    quarantined, duplicate_answers), ``results`` (one per expectation) and ``issues``. Rows
    the parser could not read count as extracted and quarantined, under the expectation
    ``export_cells_readable``; rows superseded by a later copy count as duplicate answers.
    """
    landing = Path(extracted["landing_file"])
    connector = connector_named(extracted["connector"])
    parsed = connector.parse(read_landing(landing), window, extracted)
    source = connector.source
    unreadable = pd.DataFrame(parsed.unreadable, columns=REJECTED_COLUMNS)
    files, counts, results, rejected = {}, {}, [], [unreadable]
    for entity in ENTITIES:
        if entity not in parsed.frames:
            continue
        outcome = validate_frame(entity, parsed.frames[entity], window.end, source)
        path = landing.with_name(f"{landing.stem}.{entity}.parquet")
        outcome.accepted.to_parquet(path, index=False)
        files[entity] = str(path)
        rejected.append(outcome.rejected)
        results += outcome.results
        unread = int((unreadable["entity"] == entity).sum())
        if source == "export":
            results.append(_unreadable_result(entity, len(parsed.frames[entity]), unread))
        counts[entity] = {
            "extracted": len(outcome.accepted) + len(outcome.rejected) + unread,
            "loaded": len(outcome.accepted),
            "quarantined": len(outcome.rejected) + unread,
            "duplicate_answers": outcome.duplicates + parsed.superseded.get(entity, 0),
        }

    rejected_path = landing.with_name(f"{landing.stem}.rejected.parquet")
    pd.concat(rejected, ignore_index=True).to_parquet(rejected_path, index=False)
    return {
        **{key: value for key, value in extracted.items() if key != "export_accounts"},
        "source": source,
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
                    "platform": extracted["connector"],
                    "endpoint": "(extract)",
                    "account_ref": key.split(":", 1)[-1],
                    "account_key": key,
                    "issue": issue,
                    "detail": detail,
                }
            )
    return issues


def _unreadable_result(entity: str, typed: int, unreadable: int) -> dict:
    """The parser's check that every cell of an export could be read, as a result row."""
    return {
        "entity": entity,
        "expectation": UNREADABLE_EXPECTATION,
        "success": unreadable == 0,
        "element_count": typed + unreadable,
        "unexpected_count": unreadable,
    }
