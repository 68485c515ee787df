"""Run an entity's suite on a staging frame and split it into accepted and rejected rows."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import pandas as pd

from socialmetrics.validation.suites import Check, suite_for

log = logging.getLogger(__name__)

REJECTED_COLUMNS = ["entity", "record", "expectation", "reason"]


@dataclass
class Validated:
    """The outcome of validating one frame."""

    entity: str
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    results: list[dict]
    duplicates: int


@cache
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("staging")
    return context, source


def validate_frame(
    entity: str, frame: pd.DataFrame, window_end: datetime, source: str = "api"
) -> Validated:
    """Validate ``frame`` (a staging entity with its ``_record`` column) with GX, with the
    suite of its ``source`` (``api`` or ``export``, see ``suite_for``).

    Exact duplicate records are collapsed first (counted in ``duplicates``); every row failing
    at least one expectation is rejected with the names and reasons of what it failed.
    Returns the accepted rows (without ``_record``), the rejected rows and one result per
    expectation (element and unexpected counts).
    """
    before = len(frame)
    frame = frame.drop_duplicates(subset=[c for c in frame.columns if c != "_record"] + ["_record"])
    frame = frame.reset_index(drop=True)
    duplicates = before - len(frame)
    checks = suite_for(entity, window_end, source)
    failed: dict[int, list[tuple[str, str]]] = {}
    if len(frame):
        results = _run_checks(entity, frame, checks, failed)
    else:
        results = [_result(entity, c.name, True, 0, 0) for c in checks]
    bad = sorted(failed)
    rejected = pd.DataFrame(
        [
            {
                "entity": entity,
                "record": frame.at[index, "_record"],
                "expectation": "; ".join(name for name, _ in failed[index]),
                "reason": "; ".join(reason for _, reason in failed[index]),
            }
            for index in bad
        ],
        columns=REJECTED_COLUMNS,
    )
    accepted = frame.drop(index=bad).drop(columns=["_record"]).reset_index(drop=True)
    if bad:
        log.warning("%s: %d of %d rows quarantined", entity, len(bad), len(frame))
    return Validated(entity, accepted, rejected, results, duplicates)


def _run_checks(
    entity: str, frame: pd.DataFrame, checks: list[Check], failed: dict[int, list]
) -> list[dict]:
    """Run ``checks`` on ``frame`` as one GX suite; note each failing row's index in ``failed``
    and return one result per expectation."""
    import great_expectations as gx

    context, source = _context()
    name = f"{entity}-{id(frame)}"
    asset = source.add_dataframe_asset(name)
    try:
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": frame.drop(columns=["_record"])}
        )
        suite = gx.ExpectationSuite(name=name, expectations=[c.expectation for c in checks])
        outcome = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    finally:
        source.delete_asset(name)
    by_name = {c.name: c for c in checks}
    results = []
    for result in outcome.results:
        check = by_name[_result_name(result)]
        if result.exception_info and result.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {check.name} on {entity} could not run: "
                f"{result.exception_info.get('exception_message')}"
            )
        indexes = result.result.get("unexpected_index_list") or []
        for index in indexes:
            index = index["index"] if isinstance(index, dict) else index
            failed.setdefault(int(index), []).append((check.name, check.reason))
        element_count = int(result.result.get("element_count") or len(frame))
        results.append(
            _result(entity, check.name, bool(result.success), element_count, len(indexes))
        )
    return results


def _result(entity: str, expectation: str, success: bool, elements: int, unexpected: int) -> dict:
    return {
        "entity": entity,
        "expectation": expectation,
        "success": success,
        "element_count": elements,
        "unexpected_count": unexpected,
    }


def _result_name(result) -> str:
    config = result.expectation_config
    target = config.kwargs.get("column") or "+".join(config.kwargs.get("column_list") or [])
    return f"{config.type}({target})"
