"""The alert emails (SPEC §8) as ``email.message.EmailMessage`` objects.

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
from urllib.parse import quote

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
_PLATFORM_NAMES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram"}
_MAX_TRACEBACK_CHARS = 8000


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

    @property
    def last_post_day(self) -> date | None:
        """The day of the last post, from last_post_on or else last_post_at."""
        if self.last_post_on is not None:
            return self.last_post_on
        return None if self.last_post_at is None else self.last_post_at.date()

    @property
    def label(self) -> str:
        """How people name the account: ``@handle`` on X, else its display name and platform."""
        if self.platform == "x":
            return f"@{self.account_ref}"
        platform = _PLATFORM_NAMES.get(self.platform, self.platform)
        return f"{self.display_name or self.account_ref} on {platform}"

    @property
    def platform_name(self) -> str:
        return _PLATFORM_NAMES.get(self.platform, self.platform)

    @property
    def profile_url(self) -> str | None:
        """Public address of the account where the platform has one for its reference."""
        if self.platform == "x":
            return f"https://x.com/{quote(self.account_ref, safe='')}"
        if self.platform == "facebook":
            return f"https://www.facebook.com/{quote(self.account_ref, safe='')}"
        return None

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
        if self.platform == "x":
            return f"@{self.account_ref}"
        platform = _PLATFORM_NAMES.get(self.platform, self.platform)
        return f"{self.display_name or self.account_ref} on {platform}"

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


# The three things an owner can do about a dormant account (SPEC §8), in this order.
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
        _TEXT.get_template("dormancy").render(facts),
        _HTML.get_template("dormancy").render(facts, subject=subject),
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
        _TEXT.get_template("digest").render(facts),
        _HTML.get_template("digest").render(facts, subject=subject),
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
        _TEXT.get_template("failure").render(facts),
        _HTML.get_template("failure").render(facts, subject=subject),
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
        _TEXT.get_template("registry").render(facts),
        _HTML.get_template("registry").render(facts, subject=subject),
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


_TEMPLATES_TEXT = {
    "dormancy": """\
{{ account.label }} of {{ account.organisation }} has gone quiet: {{ account.quiet_for }}.

Account:        {{ account.label }}, {{ account.display_name or account.account_ref }} \
({{ account.platform_name }}){% if account.profile_url %} {{ account.profile_url }}{% endif %}
Organisation:   {{ account.organisation }}
Kind:           {{ account.kind }}
Last post:      {% if account.last_post_day %}{{ account.last_post_day.isoformat() }} \
({{ account.days_since_last_post }} days since the last post){% else %}never{% endif %}
Dormant since:  {{ account.dormant_since.isoformat() }} ({{ account.days_dormant }} days)
Followers:      {{ account.followers_text }}
Owner:          {{ account.owner_email or "none in the registry" }}

Suggested now: {{ account.suggested_action }}.

What to do, one of:
{% for name, text in actions %}{{ loop.index }}. {{ name }}: {{ text }}
{% endfor %}
You get this email once for this dormant spell. The weekly digest lists every dormant account \
of {{ account.organisation }}.
Data as of {{ account.as_of.isoformat() }}.
""",
    "digest": """\
{{ accounts | length }} account{{ "" if accounts | length == 1 else "s" }} of \
{{ organisation }} {{ "is" if accounts | length == 1 else "are" }} dormant \
(week {{ iso_week }}, data as of {{ as_of.isoformat() if as_of else "unknown" }}).
{% for account in accounts %}
- {{ account.label }} ({{ account.display_name or account.account_ref }}, {{ account.kind }})
  {{ account.quiet_for }}; dormant {{ account.days_dormant }} days since \
{{ account.dormant_since.isoformat() }}; {{ account.followers_text }} followers
  owner: {{ account.owner_email or "none in the registry" }}
  suggested: {{ account.suggested_action }}
{% endfor %}{% if accounts %}
For each: post, hand it over to an active colleague, or close it and redirect its followers.
{% endif %}{% if unreachable %}
{{ unreachable | length }} account{{ "" if unreachable | length == 1 else "s" }} could not be \
seen, so {{ "its" if unreachable | length == 1 else "their" }} silence is not known (never \
counted as dormant):
{% for account in unreachable %}
- {{ account.label }} ({{ account.display_name or account.account_ref }}, {{ account.kind }}): \
{{ account.reason }}{% if account.detail %} ({{ account.detail }}){% endif %}
  what to do: {{ account.advice }}
{% endfor %}{% endif %}""",
    "registry": """\
The registry in {{ folder }} has rows the pipeline cannot use. Each is left out of every run \
until it is fixed; the other accounts run as usual.
{% for problem in problems %}
- {{ problem }}{% endfor %}

Fix the file (formats: README 'Registry files'); the next run picks the rows up. You get \
this email once per problem.
""",
    "failure": """\
{{ headline }}

DAG:        {{ dag_id }}
Task:       {{ task_id or "none named" }}
Run:        {{ run_id or "unknown" }}
Try:        {{ try_number if try_number is not none else "unknown" }}
Error:      {{ error }}
Log:        {{ log_url or "no log URL in the callback context" }}
{% if trace %}
{{ trace }}{% endif %}
""",
}

_TEMPLATES_HTML = {
    "dormancy": """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif">
<p><strong>{{ account.label }}</strong> of {{ account.organisation }} has gone quiet:
<strong>{{ account.quiet_for }}</strong>.</p>
<table cellpadding="4">
<tr><th align="left">Account</th><td>{% if account.profile_url %}
<a href="{{ account.profile_url }}">{{ account.label }}</a>
{%- else %}{{ account.label }}{% endif %}, {{ account.display_name or account.account_ref }}
({{ account.platform_name }})</td></tr>
<tr><th align="left">Organisation</th><td>{{ account.organisation }}</td></tr>
<tr><th align="left">Kind</th><td>{{ account.kind }}</td></tr>
<tr><th align="left">Last post</th><td>{% if account.last_post_day %}\
{{ account.last_post_day.isoformat() }} ({{ account.days_since_last_post }} days since the \
last post){% else %}never{% endif %}</td></tr>
<tr><th align="left">Dormant since</th><td>{{ account.dormant_since.isoformat() }} \
({{ account.days_dormant }} days)</td></tr>
<tr><th align="left">Followers</th><td>{{ account.followers_text }}</td></tr>
<tr><th align="left">Owner</th><td>{{ account.owner_email or "none in the registry" }}</td></tr>
</table>
<p>Suggested now: <strong>{{ account.suggested_action }}</strong>.</p>
<p>What to do, one of:</p>
<ol>
{% for name, text in actions %}<li><strong>{{ name }}</strong>: {{ text }}</li>
{% endfor %}</ol>
<p style="color: #555">You get this email once for this dormant spell. The weekly digest lists
every dormant account of {{ account.organisation }}. Data as of {{ account.as_of.isoformat() }}.</p>
</body></html>
""",
    "digest": """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif">
<p>{{ accounts | length }} account{{ "" if accounts | length == 1 else "s" }} of
{{ organisation }} {{ "is" if accounts | length == 1 else "are" }} dormant (week {{ iso_week }},
data as of {{ as_of.isoformat() if as_of else "unknown" }}).</p>
<table cellpadding="4" border="1" style="border-collapse: collapse">
<tr><th>Account</th><th>Kind</th><th>Quiet</th><th>Dormant since</th><th>Followers</th>\
<th>Owner</th><th>Suggested</th></tr>
{% for account in accounts %}<tr><td>{{ account.label }}<br>\
{{ account.display_name or account.account_ref }}</td><td>{{ account.kind }}</td>\
<td>{{ account.quiet_for }}</td><td>{{ account.dormant_since.isoformat() }} \
({{ account.days_dormant }} days)</td><td align="right">{{ account.followers_text }}</td>\
<td>{{ account.owner_email or "none in the registry" }}</td>
<td>{{ account.suggested_action }}</td></tr>
{% endfor %}</table>
{% if accounts %}<p>For each: post, hand it over to an active colleague, or close it and
redirect its followers.</p>{% endif %}
{% if unreachable %}<p>{{ unreachable | length }} account{{ "" if unreachable | length == 1
else "s" }} could not be seen, so their silence is not known (never counted as dormant):</p>
<table cellpadding="4" border="1" style="border-collapse: collapse">
<tr><th>Account</th><th>Kind</th><th>Why</th><th>What to do</th></tr>
{% for account in unreachable %}<tr><td>{{ account.label }}<br>\
{{ account.display_name or account.account_ref }}</td><td>{{ account.kind }}</td>\
<td>{{ account.reason }}{% if account.detail %}: {{ account.detail }}{% endif %}</td>\
<td>{{ account.advice }}</td></tr>
{% endfor %}</table>{% endif %}
</body></html>
""",
    "registry": """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif">
<p>The registry in <code>{{ folder }}</code> has rows the pipeline cannot use. Each is left out
of every run until it is fixed; the other accounts run as usual.</p>
<ul>
{% for problem in problems %}<li>{{ problem }}</li>
{% endfor %}</ul>
<p>Fix the file (formats: README 'Registry files'); the next run picks the rows up. You get
this email once per problem.</p>
</body></html>
""",
    "failure": """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif">
<p>{{ headline }}</p>
<table cellpadding="4">
<tr><th align="left">DAG</th><td>{{ dag_id }}</td></tr>
<tr><th align="left">Task</th><td>{{ task_id or "none named" }}</td></tr>
<tr><th align="left">Run</th><td>{{ run_id or "unknown" }}</td></tr>
<tr><th align="left">Try</th><td>{{ try_number if try_number is not none else "unknown" }}</td></tr>
<tr><th align="left">Error</th><td><code>{{ error }}</code></td></tr>
<tr><th align="left">Log</th><td>{% if log_url %}<a href="{{ log_url }}">{{ log_url }}</a>\
{% else %}no log URL in the callback context{% endif %}</td></tr>
</table>
{% if trace %}<pre>{{ trace }}</pre>{% endif %}
</body></html>
""",
}

_TEXT = jinja2.Environment(
    loader=jinja2.DictLoader(_TEMPLATES_TEXT),
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_HTML = jinja2.Environment(
    loader=jinja2.DictLoader(_TEMPLATES_HTML),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
