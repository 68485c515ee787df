"""The alert emails (docs/design.md#9-alerts) as ``email.message.EmailMessage`` objects.

Every message has a plain-text part and an HTML alternative rendered from the same facts.
The HTML is rendered by Jinja2 with autoescaping, so display names, handles and exception
texts are data, never markup. Headers are single-line: a registry value with a line break
cannot add a header. No message sets ``From``: the delivery does (SmtpDelivery from its
connection, OutboxDelivery from its default).
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import jinja2

__all__ = [
    "ACTIONS",
    "DormantAccount",
    "Recipients",
    "UnreachableAccount",
    "deterministic_message_id",
    "digest_message",
    "dormancy_message",
    "failure_message",
    "registry_problem_message",
]

_MESSAGE_ID_DOMAIN = "socialmetrics.alerts"
_MAX_TRACEBACK_CHARS = 8000


def account_label(platform: str, ref: str, display_name: str | None) -> str:
    """How people name an account: what its platform's connector calls it."""
    from socialmetrics.platforms import connector_of_platform, platform_name

    connector = connector_of_platform(platform)
    label = connector.account_label(platform, ref) if connector else None
    return label or f"{display_name or ref} on {platform_name(platform)}"


@dataclass(frozen=True)
class DormantAccount:
    """One row of marts.dormant_accounts plus the registry facts the email needs."""

    account_key: str
    organisation: str
    platform: str
    account_ref: str
    display_name: str | None
    kind: str
    owner_email: str | None
    followers: int | None
    last_post_at: datetime | None
    days_since_last_post: int | None
    dormant_since: date
    days_dormant: int
    as_of: date
    suggested_action: str
    opened_on: date | None = None
    successor_ref: str | None = None
    # The day of the last post; an export may give the day without the time of day.
    last_post_on: date | None = None
    # What the spell is known by (marts.dormancy_spells): the alert's key.
    spell_anchor_on: date | None = None

    @property
    def last_post_day(self) -> date | None:
        """The day of the last post, from last_post_on or else last_post_at."""
        if self.last_post_on is not None:
            return self.last_post_on
        return None if self.last_post_at is None else self.last_post_at.date()

    @property
    def label(self) -> str:
        """How people name the account (its platform's connector says how)."""
        return account_label(self.platform, self.account_ref, self.display_name)

    @property
    def platform_name(self) -> str:
        from socialmetrics.platforms import platform_name

        return platform_name(self.platform)

    @property
    def profile_url(self) -> str | None:
        """Public address of the account where the platform has one for its reference."""
        from socialmetrics.platforms import connector_of_platform

        connector = connector_of_platform(self.platform)
        return connector.profile_url(self.platform, self.account_ref) if connector else None

    @property
    def quiet_for(self) -> str:
        """``45 days without a post``, or how long since it opened when it never posted."""
        if self.days_since_last_post is not None:
            return f"{_days(self.days_since_last_post)} without a post"
        if self.opened_on is not None:
            return f"no post in the {_days((self.as_of - self.opened_on).days)} since it opened"
        return "no post since it opened"

    @property
    def followers_text(self) -> str:
        return "unknown" if self.followers is None else f"{self.followers:,}"

    @property
    def redirect_target(self) -> str:
        if self.successor_ref:
            return self.successor_ref
        return "the organisation's district or force account"


# What to do about an account the pipeline cannot see, by the reason it cannot.
UNREACHABLE_ADVICE = {
    "protected": "check the account: its posts are protected, so nobody outside sees them; "
    "make it public again, or close it in the registry",
    "suspended": "check the account: the platform has suspended it; its owner can appeal, "
    "or record closed_on in the registry",
    "not_found": "fix the registry: the platform knows no such account; correct account_ref "
    "in accounts.csv (a renamed or deleted handle?)",
    "invalid": "fix the registry: account_ref is not a valid account reference",
    "missing from answer": "nothing yet: the platform left it out of its answer; if it lasts, "
    "check the account",
    "not read": "re-authorise or check the connection (x_api, meta_graph_api) and the task "
    "logs; the next successful run reads the days missed",
}


@dataclass(frozen=True)
class UnreachableAccount:
    """An account the pipeline could not see on the as-of day, and why."""

    account_key: str
    organisation: str
    platform: str
    account_ref: str
    display_name: str | None
    kind: str
    owner_email: str | None
    reason: str
    detail: str | None
    as_of: date

    @property
    def label(self) -> str:
        return account_label(self.platform, self.account_ref, self.display_name)

    @property
    def advice(self) -> str:
        return UNREACHABLE_ADVICE.get(self.reason, UNREACHABLE_ADVICE["not read"])


@dataclass(frozen=True)
class Recipients:
    """Who gets a message: ``to`` first, ``cc`` in copy; addresses unique, case-insensitively."""

    to: tuple[str, ...]
    cc: tuple[str, ...] = ()

    @classmethod
    def of(cls, to: Iterable[str | None], cc: Iterable[str | None] = ()) -> Recipients:
        """Drop empty addresses and repeats (the first spelling wins; ``to`` before ``cc``).

        When ``to`` ends up empty, the copies become the main recipients.
        """
        seen: set[str] = set()
        kept: list[list[str]] = [[], []]
        for group, addresses in enumerate((to, cc)):
            for address in addresses:
                address = (address or "").strip()
                if address and address.casefold() not in seen:
                    seen.add(address.casefold())
                    kept[group].append(address)
        if not kept[0]:
            return cls(tuple(kept[1]))
        return cls(tuple(kept[0]), tuple(kept[1]))

    @property
    def all(self) -> tuple[str, ...]:
        return self.to + self.cc

    def __bool__(self) -> bool:
        return bool(self.to)


# The three things an owner can do about a dormant account, in this order.
ACTIONS = (
    ("Post", "publish something useful; the first post ends the dormancy."),
    (
        "Hand over",
        "give the account to an active colleague and put their address in the registry "
        "(owner_email in accounts.csv).",
    ),
    (
        "Close and redirect followers",
        "post a last message pointing followers to {target}, then close the account and "
        "record closed_on (and successor_ref) in the registry.",
    ),
)


def deterministic_message_id(alert_key: str) -> str:
    """A Message-ID that depends only on the alert, so a resent copy (the one-duplicate
    window of a crash, see alerts.dormancy) carries the same id and mail clients fold it."""
    digest = hashlib.sha256(alert_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{_MESSAGE_ID_DOMAIN}>"


def dormancy_message(
    account: DormantAccount, recipients: Recipients, *, message_id: str | None = None
) -> EmailMessage:
    """The alert for one account that became dormant.

    Names the account, its organisation, days since the last post, followers, the dormancy
    spell and the three suggested actions (post, hand over, close and redirect followers),
    plus the mart's suggested action for its case.
    """
    subject = f"Dormant account: {account.label} ({account.organisation}) — {account.quiet_for}"
    facts = {"account": account, "actions": _actions(account)}
    return _message(
        subject,
        recipients,
        _TEXT.get_template("dormancy.txt.j2").render(facts),
        _HTML.get_template("dormancy.html.j2").render(facts, subject=subject),
        message_id=message_id,
    )


def digest_message(
    organisation: str,
    iso_week: str,
    accounts: Sequence[DormantAccount],
    recipients: Recipients,
    *,
    message_id: str | None = None,
    unreachable: Sequence[UnreachableAccount] = (),
) -> EmailMessage:
    """The weekly digest of an organisation: every account dormant now, longest first, and,
    apart, the accounts the pipeline cannot see, each with why and what to do."""
    ordered = sorted(accounts, key=lambda row: (-row.days_dormant, row.account_key))
    blind = sorted(unreachable, key=lambda row: row.account_key)
    count = len(ordered)
    noun = "account" if count == 1 else "accounts"
    subject = f"Weekly digest {iso_week}: {count} dormant {noun} at {organisation}"
    if blind:
        subject += f", {len(blind)} unreachable"
    facts = {
        "organisation": organisation,
        "iso_week": iso_week,
        "accounts": ordered,
        "unreachable": blind,
        "as_of": max((row.as_of for row in [*ordered, *blind]), default=None),
        "actions": _actions(None),
    }
    return _message(
        subject,
        recipients,
        _TEXT.get_template("digest.txt.j2").render(facts),
        _HTML.get_template("digest.html.j2").render(facts, subject=subject),
        message_id=message_id,
    )


def failure_message(
    *,
    dag_id: str,
    task_id: str | None,
    run_id: str | None,
    try_number: int | None,
    exception: BaseException | str | None,
    log_url: str | None,
    recipients: Recipients,
    dag_run_reason: str | None = None,
) -> EmailMessage:
    """The notice to the data engineers that a task failed, or, with ``dag_run_reason``, that
    a whole DAG run failed (``task_id`` is then the failed task the context names, if any)."""
    run = run_id or "unknown"
    if dag_run_reason is not None:
        subject = f"Airflow DAG run failed: {dag_id} (run {run}): {dag_run_reason}"
        headline = f"A DAG run failed: {dag_run_reason}."
    else:
        where = f"{dag_id}.{task_id}" if task_id else dag_id
        subject = f"Airflow failure: {where} (run {run})"
        headline = "A pipeline task failed."
    error = _exception_text(exception if exception is not None else dag_run_reason)
    facts = {
        "headline": headline,
        "dag_id": dag_id,
        "task_id": task_id,
        "run_id": run_id,
        "try_number": try_number,
        "error": error,
        "trace": _traceback_text(exception),
        "log_url": log_url,
    }
    return _message(
        subject,
        recipients,
        _TEXT.get_template("failure.txt.j2").render(facts),
        _HTML.get_template("failure.html.j2").render(facts, subject=subject),
        message_id=None,
    )


def registry_problem_message(
    problems: Sequence[str], folder: str, recipients: Recipients
) -> EmailMessage:
    """The notice that registry rows were left out of the runs, each with its file, line and
    column; sent once per problem (alerts.registry_notice)."""
    count = len(problems)
    noun = "row" if count == 1 else "rows"
    subject = f"Registry: {count} {noun} left out of the runs until fixed ({folder})"
    facts = {"problems": list(problems), "folder": folder}
    return _message(
        subject,
        recipients,
        _TEXT.get_template("registry.txt.j2").render(facts),
        _HTML.get_template("registry.html.j2").render(facts, subject=subject),
        message_id=None,
    )


def _message(
    subject: str, recipients: Recipients, text: str, html: str, *, message_id: str | None
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = _one_line(subject)
    if recipients.to:
        message["To"] = ", ".join(_one_line(address) for address in recipients.to)
    if recipients.cc:
        message["Cc"] = ", ".join(_one_line(address) for address in recipients.cc)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=_MESSAGE_ID_DOMAIN)
    # RFC 3834: tells mail servers and out-of-office robots not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _actions(account: DormantAccount | None) -> list[tuple[str, str]]:
    target = account.redirect_target if account else "an account that stays open"
    return [(name, text.format(target=target)) for name, text in ACTIONS]


def _exception_text(exception: BaseException | str | None) -> str:
    if exception is None:
        return "(no exception was passed to the callback)"
    if isinstance(exception, BaseException):
        return f"{type(exception).__name__}: {exception}"
    return str(exception)


def _traceback_text(exception: BaseException | str | None) -> str | None:
    if not isinstance(exception, BaseException) or exception.__traceback__ is None:
        return None
    text = "".join(traceback.format_exception(exception))
    # The end of a traceback is where the error is; keep that part of a very long one.
    return text[-_MAX_TRACEBACK_CHARS:]


# One template per message and part in templates/ (NAME.txt.j2, NAME.html.j2): the text
# part is not escaped, the HTML part is, and a missing fact is an error, not a blank.
_TEMPLATES = Path(__file__).parent / "templates"
_TEXT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_HTML = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
