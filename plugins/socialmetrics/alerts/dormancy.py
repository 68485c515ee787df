"""Dormancy alerts and weekly digests, each sent once, with ops.alert_log as record
(docs/decisions/0004-exactly-once-alerts.md).

The exactly-once protocol, per alert (a dormancy spell, or an organisation's ISO week):

0. A dormancy spell is known by its anchor (marts.dormancy_spells.spell_anchor_on: the last
   post before it, or the opening day), not by the day it started, which moves with the
   threshold. A spell counts as alerted when an alert for the account was sent for an as-of
   day on or after the anchor: the account has not posted since that alert, by all the
   warehouse knows now. So neither a changed threshold nor a late-loaded post that falls
   inside the spell (which moves the anchor to an earlier day than the alert) alerts again.

1. Claim: insert a 'sending' row into ops.alert_log in its own transaction. Its primary key
   is the alert, so when the row already exists someone has sent or claimed it: a 'sent' (or
   still recipient-less 'no_recipient') row means skip. A 'sending' row is a claim whose
   attempt never finished (a crash, a lost connection, a refused message): this attempt
   takes it over, with a compare-and-set on ``attempts`` so that of two attempts racing for
   the same leftover claim only one wins. Nothing else ever sends concurrently: the alert
   task is one task instance, tried once at a time, and its DAG has max_active_runs=1.
2. Send through the Delivery.
3. Mark the row 'sent' with sent_at, the Message-ID and where it went, again in its own
   transaction.

A task retry or a rerun of a day therefore sends only what was not marked 'sent'. The one
window left: a crash after the mail server accepted a message but before step 3 committed
leaves the claim in 'sending', and the next attempt sends that message once more. That is at
most one duplicate per crash, the price of never losing an alert; the duplicate carries the
same Message-ID (derived from the alert key), so most mail clients fold the two.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.alerts.delivery import Delivery, MessageRejected
from socialmetrics.alerts.due import dormant_accounts, unreachable_accounts
from socialmetrics.alerts.messages import (
    DormantAccount,
    Recipients,
    UnreachableAccount,
    deterministic_message_id,
    digest_message,
    dormancy_message,
)

__all__ = [
    "AlertDeliveryError",
    "AlertOutcome",
    "iso_week",
    "send_dormancy_alerts",
    "send_weekly_digests",
]

log = logging.getLogger(__name__)

DORMANCY = "dormancy"
DIGEST = "digest"
SENDING, SENT, NO_RECIPIENT = "sending", "sent", "no_recipient"


@dataclass(frozen=True)
class AlertOutcome:
    """What one call did about one alert: ``status`` is 'sent' or 'no_recipient'."""

    kind: str
    subject_key: str
    period_start: date
    status: str
    recipients: tuple[str, ...]
    message_id: str | None = None
    delivered_to: str | None = None


class AlertDeliveryError(Exception):
    """Some alerts could not be delivered; they stay claimed and the next attempt sends them.

    Deliberately not a SocialMetricsError: those fail a task without retries, and a mail
    server that is down for a minute is exactly what a task retry is for.
    """

    def __init__(self, failures: list[tuple[str, BaseException]], sent: list[AlertOutcome]):
        self.failures = failures
        self.sent = sent
        listed = "; ".join(f"{key}: {type(exc).__name__}: {exc}" for key, exc in failures)
        super().__init__(
            f"{len(failures)} alert(s) not delivered ({len(sent)} delivered in this attempt); "
            f"a retry sends only the undelivered ones. {listed}"
        )


@dataclass(frozen=True)
class _Alert:
    kind: str
    subject_key: str
    period_start: date
    organisation: str
    account_key: str | None
    iso_week: str | None
    as_of: date | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject_key}:{self.iso_week or self.period_start.isoformat()}"


def iso_week(day: date) -> tuple[str, date]:
    """``('2024-W26', Monday of that week)`` for ``day`` (ISO 8601 weeks start on Monday)."""
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}", day - timedelta(days=weekday - 1)


def send_dormancy_alerts(engine: Engine, delivery: Delivery) -> list[AlertOutcome]:
    """Send one email per account dormant now whose current spell was not alerted yet.

    Reads marts.dormant_accounts (build the marts first). The email goes to the account's
    owner (core.account.owner_email) with the organisation's comms lead
    (core.organisation.comms_email) in copy, one address once. A spell is
    (account_key, spell_anchor_on): it is alerted once, whatever the retries, reruns,
    threshold changes and late-loaded posts (step 0 above); a new spell (the account posted
    after the alert, then went quiet again) is alerted again. When neither address
    exists the spell is recorded as 'no_recipient' and logged, and it is sent once an
    address appears. Returns what this call sent or recorded. Raises AlertDeliveryError after
    trying the rest when some message could not be delivered.
    """
    accounts = dormant_accounts(engine)
    covered = _covered_through(engine)
    pending = []
    for account, comms_email in accounts:
        alert = _Alert(
            DORMANCY,
            account.account_key,
            account.spell_anchor_on,
            account.organisation,
            account.account_key,
            None,
            account.as_of,
        )
        recipients = Recipients.of([account.owner_email], [comms_email])
        through = covered.get(account.account_key, {})
        if _on_or_after(through.get(SENT), alert.period_start):
            continue
        if not recipients and _on_or_after(through.get(NO_RECIPIENT), alert.period_start):
            continue
        pending.append((alert, recipients, account))

    def build(alert: _Alert, recipients: Recipients, account: DormantAccount) -> EmailMessage:
        return dormancy_message(account, recipients, message_id=deterministic_message_id(alert.key))

    return _send_all(engine, delivery, pending, build)


def send_weekly_digests(engine: Engine, delivery: Delivery, day: date) -> list[AlertOutcome]:
    """Send each organisation's digest of its dormant accounts once per ISO week.

    The week is the ISO week of ``day`` (the run's day), so the first run on or after Monday
    sends it and the other runs of that week send nothing. It lists every account of the
    organisation in marts.dormant_accounts and, apart, the accounts the pipeline could not
    see on the as-of day (status unreachable) with the reason and what to do. It goes to
    the organisation's comms lead, or, when the registry names none, to the owners of the
    listed accounts. An organisation with no dormant and no unreachable account gets no
    digest (no spam) and can still get one later that week. Returns and raises as
    send_dormancy_alerts. Call it with the current day, not from a backfill: the digest
    lists the accounts as they are now, so a run for a day of an earlier week that never
    had its digest would send one with today's list.
    """
    week, monday = iso_week(day)
    by_organisation: dict[str, tuple[list[DormantAccount], list[UnreachableAccount]]] = {}
    comms: dict[str, str | None] = {}
    for account, comms_email in dormant_accounts(engine):
        by_organisation.setdefault(account.organisation, ([], []))[0].append(account)
        comms[account.organisation] = comms_email
    for blind, comms_email in unreachable_accounts(engine):
        by_organisation.setdefault(blind.organisation, ([], []))[1].append(blind)
        comms[blind.organisation] = comms_email
    done = _finished(engine, DIGEST)
    pending = []
    for organisation, listed in sorted(by_organisation.items()):
        alert = _Alert(DIGEST, organisation, monday, organisation, None, week)
        recipients = Recipients.of([comms[organisation]])
        if not recipients:
            recipients = Recipients.of(a.owner_email for group in listed for a in group)
        status = done.get((organisation, monday))
        if status == SENT or (status == NO_RECIPIENT and not recipients):
            continue
        pending.append((alert, recipients, listed))

    def build(
        alert: _Alert,
        recipients: Recipients,
        listed: tuple[list[DormantAccount], list[UnreachableAccount]],
    ) -> EmailMessage:
        return digest_message(
            alert.organisation,
            week,
            listed[0],
            recipients,
            message_id=deterministic_message_id(alert.key),
            unreachable=listed[1],
        )

    return _send_all(engine, delivery, pending, build)


def _send_all(engine: Engine, delivery: Delivery, pending, build) -> list[AlertOutcome]:
    outcomes: list[AlertOutcome] = []
    failures: list[tuple[str, BaseException]] = []
    for alert, recipients, facts in pending:
        if not recipients:
            outcome = _record_no_recipient(engine, alert)
            if outcome:
                outcomes.append(outcome)
            continue
        message = build(alert, recipients, facts)
        attempt = _claim(engine, alert, recipients, str(message["Subject"]))
        if attempt is None:
            continue
        try:
            delivered_to = delivery.send(message, alert.key)
        except MessageRejected as exc:
            # This message's problem only (its addresses): the others can still go.
            _record_error(engine, alert, attempt, exc)
            failures.append((alert.key, exc))
            continue
        except Exception as exc:
            # The route itself failed (server down, bad login, disk full): every other
            # message would fail the same way, so stop and let the retry resume from here.
            _record_error(engine, alert, attempt, exc)
            failures.append((alert.key, exc))
            break
        message_id = str(message["Message-ID"])
        _mark_sent(engine, alert, attempt, message_id, delivered_to)
        outcomes.append(
            AlertOutcome(
                alert.kind,
                alert.subject_key,
                alert.period_start,
                SENT,
                recipients.all,
                message_id,
                delivered_to,
            )
        )
        log.info("sent %s to %s via %s", alert.key, ", ".join(recipients.all), delivered_to)
    if failures:
        raise AlertDeliveryError(failures, outcomes)
    return outcomes


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _on_or_after(day: date | None, anchor: date) -> bool:
    return day is not None and day >= anchor


def _covered_through(engine: Engine) -> dict[str, dict[str, date]]:
    """Per account, the latest as-of day a dormancy alert was sent for, and the latest one
    recorded without a recipient: what decides whether the current spell was alerted (step
    0). The claim still guards each alert's key against a second attempt."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select account_key, status, max(as_of) from ops.alert_log "
                "where alert_kind = 'dormancy' and status in ('sent', 'no_recipient') "
                "group by account_key, status"
            )
        ).all()
    covered: dict[str, dict[str, date]] = {}
    for account_key, status, as_of in rows:
        covered.setdefault(account_key, {})[status] = as_of
    return covered


def _finished(engine: Engine, kind: str) -> dict[tuple[str, date], str]:
    """Status of every logged alert of ``kind`` that needs nothing more (sent/no_recipient).

    Only a shortcut that spares building messages: the claim below is what decides.
    """
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select subject_key, period_start, status from ops.alert_log "
                "where alert_kind = :kind and status in ('sent', 'no_recipient')"
            ),
            {"kind": kind},
        ).all()
    return {(subject_key, period_start): status for subject_key, period_start, status in rows}


_INSERT_CLAIM = sa.text(
    """
    insert into ops.alert_log (
        alert_kind, subject_key, period_start, organisation, account_key, iso_week, as_of,
        status, recipients, email_subject, attempts, claimed_at
    ) values (
        :kind, :subject_key, :period_start, :organisation, :account_key, :iso_week, :as_of,
        :status, :recipients, :email_subject, 1, :now
    )
    on conflict do nothing
    """
)

_TAKE_OVER = sa.text(
    """
    update ops.alert_log
    set status = 'sending', attempts = attempts + 1, claimed_at = :now,
        recipients = :recipients, email_subject = :email_subject
    where alert_kind = :kind and subject_key = :subject_key and period_start = :period_start
        and status = :seen_status and attempts = :seen_attempts
    """
)


def _alert_params(alert: _Alert) -> dict:
    return {
        "kind": alert.kind,
        "subject_key": alert.subject_key,
        "period_start": alert.period_start,
        "organisation": alert.organisation,
        "account_key": alert.account_key,
        "iso_week": alert.iso_week,
        "as_of": alert.as_of,
    }


def _logged(conn, alert: _Alert):
    return conn.execute(
        sa.text(
            "select status, attempts from ops.alert_log where alert_kind = :kind "
            "and subject_key = :subject_key and period_start = :period_start"
        ),
        {"kind": alert.kind, "subject_key": alert.subject_key, "period_start": alert.period_start},
    ).one_or_none()


def _claim(engine: Engine, alert: _Alert, recipients: Recipients, subject: str) -> int | None:
    """Own ``alert`` for this attempt: return the attempt number, or None to skip it."""
    params = _alert_params(alert) | {
        "status": SENDING,
        "recipients": ", ".join(recipients.all),
        "email_subject": subject,
        "now": _now(),
    }
    with engine.begin() as conn:
        if conn.execute(_INSERT_CLAIM, params).rowcount == 1:
            return 1
    with engine.begin() as conn:
        logged = _logged(conn, alert)
        if logged is None or logged.status == SENT:
            return None
        # 'sending' left by an attempt that did not finish, or 'no_recipient' that now has
        # an address: take it over, unless another attempt just did.
        taken = conn.execute(
            _TAKE_OVER,
            params | {"seen_status": logged.status, "seen_attempts": logged.attempts},
        ).rowcount
    if taken != 1:
        return None
    if logged.status == SENDING:
        log.warning(
            "%s was claimed by an earlier attempt that did not finish (attempt %d); sending it "
            "now, possibly a second time if that attempt crashed after the server accepted it",
            alert.key,
            logged.attempts,
        )
    return logged.attempts + 1


def _record_no_recipient(engine: Engine, alert: _Alert) -> AlertOutcome | None:
    params = _alert_params(alert) | {
        "status": NO_RECIPIENT,
        "recipients": None,
        "email_subject": None,
        "now": _now(),
    }
    with engine.begin() as conn:
        recorded = conn.execute(_INSERT_CLAIM, params).rowcount == 1
        if not recorded:
            # A claim left in 'sending' whose addresses have since been removed.
            logged = _logged(conn, alert)
            if logged is not None and logged.status == SENDING:
                recorded = (
                    conn.execute(
                        sa.text(
                            "update ops.alert_log set status = 'no_recipient' "
                            "where alert_kind = :kind and subject_key = :subject_key "
                            "and period_start = :period_start and status = 'sending' "
                            "and attempts = :attempts"
                        ),
                        {
                            "kind": alert.kind,
                            "subject_key": alert.subject_key,
                            "period_start": alert.period_start,
                            "attempts": logged.attempts,
                        },
                    ).rowcount
                    == 1
                )
    if not recorded:
        return None
    log.warning(
        "%s has no recipient: the registry names no comms_email for %s (organisations.csv) "
        "and no owner_email for %s (accounts.csv); recorded in ops.alert_log as "
        "'no_recipient', to be sent once an address is registered",
        alert.key,
        alert.organisation,
        alert.account_key or "its dormant accounts",
    )
    return AlertOutcome(alert.kind, alert.subject_key, alert.period_start, NO_RECIPIENT, ())


def _mark_sent(
    engine: Engine, alert: _Alert, attempt: int, message_id: str, delivered_to: str
) -> None:
    with engine.begin() as conn:
        marked = conn.execute(
            sa.text(
                "update ops.alert_log set status = 'sent', sent_at = :now, "
                "message_id = :message_id, delivered_to = :delivered_to, last_error = null "
                "where alert_kind = :kind and subject_key = :subject_key "
                "and period_start = :period_start and attempts = :attempt"
            ),
            {
                "now": _now(),
                "message_id": message_id,
                "delivered_to": delivered_to,
                "kind": alert.kind,
                "subject_key": alert.subject_key,
                "period_start": alert.period_start,
                "attempt": attempt,
            },
        ).rowcount
    if marked != 1:
        log.warning("%s: another attempt took the claim over while this one sent it", alert.key)


def _record_error(engine: Engine, alert: _Alert, attempt: int, exc: BaseException) -> None:
    log.error("could not send %s: %s: %s", alert.key, type(exc).__name__, exc)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "update ops.alert_log set last_error = :error "
                    "where alert_kind = :kind and subject_key = :subject_key "
                    "and period_start = :period_start and attempts = :attempt"
                ),
                {
                    "error": f"{type(exc).__name__}: {exc}"[:2000],
                    "kind": alert.kind,
                    "subject_key": alert.subject_key,
                    "period_start": alert.period_start,
                    "attempt": attempt,
                },
            )
    except sa.exc.SQLAlchemyError:
        # The claim stays 'sending' either way, which is what makes the retry send it.
        log.exception("could not record the error of %s in ops.alert_log", alert.key)
