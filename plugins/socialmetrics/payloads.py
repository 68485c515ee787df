"""What passes between the tasks of a run, as XCom values: the one place their shapes are
defined. Plain dicts (XCom stores JSON), described as TypedDicts.

plan -> ``Batch`` (one per mapped extract) -> extract -> ``ExtractSummary`` -> parse and
validate -> ``ValidationSummary`` -> load -> ``LoadCounts``.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class PlannedAccount(TypedDict):
    """One account of a batch and what to read of it."""

    account_key: str
    account_ref: str
    platform: str  # the registry's platform of the account: x, facebook, instagram...
    since: NotRequired[str]  # ISO datetime: the first moment whose posts to read (API batches)
    history: NotRequired[bool]  # first time the API sees it: its whole reachable history
    sample_followers: NotRequired[bool]  # a follower sample or breakdown is due
    user_id: NotRequired[str]  # the platform's id of a known account (looked up by it)
    source: NotRequired[str]  # exports batch: the account's source, api or export
    timezone: NotRequired[str]  # exports batch: the organisation's IANA time zone


class Batch(TypedDict):
    """One mapped extract: a connector and its share of the accounts."""

    batch: str  # unique in the run, e.g. x-00, meta-01, csv_export-00
    connector: str  # the name of the connector that reads it (platforms.CONNECTORS)
    accounts: list[PlannedAccount]


class ExtractSummary(TypedDict):
    """What an extract landed, and what it could not do for some accounts."""

    batch: str
    connector: str
    landing_file: str  # the batch's landing (JSON lines of every answer as received)
    accounts: int
    calls: dict[str, int]  # API calls (or files read) per endpoint template
    failures: NotRequired[dict[str, str]]  # account_key -> why its answers stayed unusable
    deferred: NotRequired[dict[str, str]]  # account_key -> why it is left to the next run
    unavailable_metrics: NotRequired[dict[str, list[str]]]
    missing_accounts: NotRequired[list[str]]
    export_accounts: NotRequired[list[PlannedAccount]]  # exports: the registry's accounts


class EntityCounts(TypedDict):
    extracted: int
    loaded: int
    quarantined: int
    duplicate_answers: int


class ValidationSummary(ExtractSummary):
    """An extract summary plus what parse-and-validate made of its landing."""

    answers: int
    files: dict[str, str]  # entity -> Parquet of the rows that passed
    rejected: str  # Parquet of the quarantined rows
    counts: dict[str, EntityCounts]
    results: list[dict]  # one per expectation: entity, expectation, success, counts
    issues: list[dict]  # ops.extract_issue rows


LoadCounts = dict[str, dict[str, int]]  # entity -> stage -> rows, as in ops.stage_count
