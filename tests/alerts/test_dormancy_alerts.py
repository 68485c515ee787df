"""Dormancy alerts and weekly digests read the real marts (built by build_marts from hand-made
core rows) and send each alert once, with ops.alert_log as the record, on both warehouses."""

import sys
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from socialmetrics.alerts import (
    AlertDeliveryError,
    MessageRejected,
    send_dormancy_alerts,
    send_weekly_digests,
)
from socialmetrics.transform.build import build_marts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "warehouse"))
from core_rows import (  # noqa: E402
    AS_OF,
    add_account,
    add_loaded_days,
    add_post,
    add_snapshot,
    add_threshold,
    days_before,
    fetch,
)

MONDAY = date(2024, 7, 1)  # ISO week 2024-W27, the day after AS_OF


class RecordingDelivery:
    """Keeps what it is given; with fail_after=n, the route breaks after n messages."""

    def __init__(self, fail_after: int | None = None):
        self.sent = []
        self.fail_after = fail_after

    def send(self, message, key):
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise ConnectionResetError("SMTP server went away")
        self.sent.append((key, message))
        return f"memory:{key}"

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.sent]

    def parts(self, index: int = 0) -> tuple[str, str]:
        raw = self.sent[index][1].as_bytes()
        parsed = message_from_bytes(raw, policy=policy.default)
        return (
            parsed.get_body(preferencelist=("plain",)).get_content(),
            parsed.get_body(preferencelist=("html",)).get_content(),
        )

    def recipients(self, index: int = 0) -> list[str]:
        message = self.sent[index][1]
        return [
            address.strip()
            for header in ("To", "Cc")
            if message[header]
            for address in str(message[header]).split(",")
        ]


class RefusingDelivery(RecordingDelivery):
    """A mail server that refuses every address at refused.example."""

    def send(self, message, key):
        if "refused.example" in str(message["To"]):
            raise MessageRejected(f"{message['To']}: 550 no such user")
        return super().send(message, key)


def add_organisation(conn, organisation: str, comms_email: str | None) -> None:
    conn.execute(
        sa.text("insert into core.organisation (organisation, comms_email) values (:o, :c)"),
        {"o": organisation, "c": comms_email},
    )


def dormant_account(conn, ref: str, *, quiet_days: int = 45, **account) -> str:
    """An account whose last post was quiet_days before AS_OF (dormant after 30 days)."""
    key = add_account(conn, ref, opened_on=days_before(400), **account)
    add_post(conn, key, days_before(quiet_days))
    return key


def build_day(engine, *days: date) -> None:
    """Record loaded days and rebuild the marts, as a pipeline run does."""
    with engine.begin() as conn:
        add_loaded_days(conn, *days)
    build_marts(engine)


def alert_log(engine) -> list[dict]:
    return fetch(
        engine,
        "select alert_kind, subject_key, period_start, status, attempts, recipients "
        "from ops.alert_log order by alert_kind, subject_key, period_start",
    )


@pytest.fixture
def shire(warehouse):
    """Shire Police (comms lead comms@shire.example) with PCRobert dormant 45 days, 1,234
    followers, and an active account."""
    with warehouse.begin() as conn:
        add_organisation(conn, "Shire Police", "comms@shire.example")
        robert = dormant_account(
            conn, "PCRobert", organisation="Shire Police", owner_email="robert@shire.example"
        )
        add_snapshot(conn, robert, days_before(3), 1234)
        active = add_account(conn, "ShirePolice", opened_on=days_before(400))
        add_post(conn, active, days_before(2))
    build_day(warehouse, AS_OF)
    return warehouse


def test_newly_dormant_account_gets_one_email_to_its_owner_and_comms_lead(shire):
    delivery = RecordingDelivery()
    send_dormancy_alerts(shire, delivery)
    assert delivery.keys == ["dormancy:x:PCRobert:2024-05-16"]
    assert delivery.recipients() == ["robert@shire.example", "comms@shire.example"]


def test_alert_email_names_account_days_followers_and_the_three_actions(shire):
    delivery = RecordingDelivery()
    send_dormancy_alerts(shire, delivery)
    assert delivery.sent[0][1]["Subject"] == (
        "Dormant account: @PCRobert (Shire Police) — 45 days without a post"
    )
    for body in delivery.parts():
        for needle in ("@PCRobert", "45 days", "1,234", "Post", "Hand over", "Close and redirect"):
            assert needle in body


def test_owner_who_is_also_the_comms_lead_gets_the_alert_once(warehouse):
    with warehouse.begin() as conn:
        add_organisation(conn, "Shire Police", "comms@shire.example")
        dormant_account(
            conn, "Press", organisation="Shire Police", owner_email="Comms@Shire.example"
        )
    build_day(warehouse, AS_OF)
    delivery = RecordingDelivery()
    send_dormancy_alerts(warehouse, delivery)
    assert delivery.recipients() == ["Comms@Shire.example"]


def test_rerun_of_the_same_day_sends_nothing_more(shire):
    send_dormancy_alerts(shire, RecordingDelivery())
    rerun = RecordingDelivery()
    assert send_dormancy_alerts(shire, rerun) == []
    assert rerun.sent == []


def test_later_day_with_the_account_still_dormant_sends_nothing_more(shire):
    send_dormancy_alerts(shire, RecordingDelivery())
    build_day(shire, AS_OF + timedelta(days=1))
    later = RecordingDelivery()
    send_dormancy_alerts(shire, later)
    assert later.sent == []


def test_new_dormancy_spell_after_a_post_is_alerted_again(shire):
    send_dormancy_alerts(shire, RecordingDelivery())
    with shire.begin() as conn:
        add_post(conn, "x:PCRobert", AS_OF + timedelta(days=1))
    build_day(shire, AS_OF + timedelta(days=1))
    assert send_dormancy_alerts(shire, RecordingDelivery()) == []
    build_day(shire, AS_OF + timedelta(days=40))
    again = RecordingDelivery()
    send_dormancy_alerts(shire, again)
    assert again.keys == ["dormancy:x:PCRobert:2024-07-01"]


def test_a_changed_threshold_does_not_alert_the_same_spell_again(shire):
    send_dormancy_alerts(shire, RecordingDelivery())
    with shire.begin() as conn:
        add_threshold(conn, "*", 40)
    build_day(shire, AS_OF + timedelta(days=1))
    assert _dormant_since(shire, "x:PCRobert") == days_before(4)
    later = RecordingDelivery()
    send_dormancy_alerts(shire, later)
    assert later.sent == []


def test_a_late_loaded_post_inside_the_alerted_spell_does_not_alert_it_again(shire):
    send_dormancy_alerts(shire, RecordingDelivery())
    with shire.begin() as conn:
        # Published before the alert, loaded after it: the account is still silent since.
        add_post(conn, "x:PCRobert", days_before(35))
    build_day(shire, AS_OF + timedelta(days=1))
    assert _dormant_since(shire, "x:PCRobert") == days_before(4)
    later = RecordingDelivery()
    send_dormancy_alerts(shire, later)
    assert later.sent == []


def _dormant_since(engine, account_key):
    rows = fetch(
        engine,
        "select dormant_since from marts.dormant_accounts where account_key = :key",
        key=account_key,
    )
    return rows[0]["dormant_since"]


def test_retry_after_a_crash_mid_way_sends_only_the_undelivered_alert(warehouse):
    with warehouse.begin() as conn:
        dormant_account(conn, "PCAnn", owner_email="ann@example.org")
        dormant_account(conn, "PCBob", owner_email="bob@example.org")
    build_day(warehouse, AS_OF)
    crashing = RecordingDelivery(fail_after=1)
    with pytest.raises(AlertDeliveryError, match="SMTP server went away"):
        send_dormancy_alerts(warehouse, crashing)
    assert crashing.keys == ["dormancy:x:PCAnn:2024-05-16"]
    retry = RecordingDelivery()
    send_dormancy_alerts(warehouse, retry)
    assert retry.keys == ["dormancy:x:PCBob:2024-05-16"]
    assert [
        (row["subject_key"], row["status"], row["attempts"]) for row in alert_log(warehouse)
    ] == [
        ("x:PCAnn", "sent", 1),
        ("x:PCBob", "sent", 2),
    ]


def test_a_refused_address_does_not_hold_back_the_other_alerts(warehouse):
    with warehouse.begin() as conn:
        dormant_account(conn, "PCAnn", owner_email="ann@refused.example")
        dormant_account(conn, "PCBob", owner_email="bob@example.org")
    build_day(warehouse, AS_OF)
    delivery = RefusingDelivery()
    with pytest.raises(AlertDeliveryError, match="ann@refused.example"):
        send_dormancy_alerts(warehouse, delivery)
    assert delivery.keys == ["dormancy:x:PCBob:2024-05-16"]
    assert [(row["subject_key"], row["status"]) for row in alert_log(warehouse)] == [
        ("x:PCAnn", "sending"),
        ("x:PCBob", "sent"),
    ]


def test_account_without_owner_or_comms_lead_is_logged_as_no_recipient(warehouse):
    with warehouse.begin() as conn:
        dormant_account(conn, "Orphan")
    build_day(warehouse, AS_OF)
    delivery = RecordingDelivery()
    [outcome] = send_dormancy_alerts(warehouse, delivery)
    assert (outcome.subject_key, outcome.status, delivery.sent) == ("x:Orphan", "no_recipient", [])
    assert [row["status"] for row in alert_log(warehouse)] == ["no_recipient"]


def test_no_recipient_spell_is_sent_once_an_owner_is_registered(warehouse):
    with warehouse.begin() as conn:
        dormant_account(conn, "Orphan")
    build_day(warehouse, AS_OF)
    send_dormancy_alerts(warehouse, RecordingDelivery())
    assert send_dormancy_alerts(warehouse, RecordingDelivery()) == []
    with warehouse.begin() as conn:
        conn.execute(sa.text("update core.account set owner_email = 'new@example.org'"))
    build_day(warehouse, AS_OF + timedelta(days=1))
    delivery = RecordingDelivery()
    send_dormancy_alerts(warehouse, delivery)
    assert (delivery.keys, delivery.recipients()) == (
        ["dormancy:x:Orphan:2024-05-16"],
        ["new@example.org"],
    )


@pytest.fixture
def two_organisations(warehouse):
    """Shire Police: PCRobert and PCAnn dormant, ShirePolice active; Vale Police: PCVic dormant."""
    with warehouse.begin() as conn:
        add_organisation(conn, "Shire Police", "comms@shire.example")
        add_organisation(conn, "Vale Police", "comms@vale.example")
        dormant_account(conn, "PCRobert", organisation="Shire Police")
        dormant_account(conn, "PCAnn", organisation="Shire Police", quiet_days=100)
        active = add_account(
            conn, "ShirePolice", organisation="Shire Police", opened_on=days_before(400)
        )
        add_post(conn, active, days_before(2))
        dormant_account(conn, "PCVic", organisation="Vale Police")
    build_day(warehouse, AS_OF)
    return warehouse


def test_weekly_digest_goes_once_to_each_organisation_listing_all_its_dormant_accounts(
    two_organisations,
):
    delivery = RecordingDelivery()
    send_weekly_digests(two_organisations, delivery, MONDAY)
    assert delivery.keys == ["digest:Shire Police:2024-W27", "digest:Vale Police:2024-W27"]
    assert delivery.recipients(0) == ["comms@shire.example"]
    for body in delivery.parts(0):
        assert "@PCRobert" in body and "@PCAnn" in body
        assert "@ShirePolice" not in body and "@PCVic" not in body


def test_weekly_digest_is_not_sent_again_in_the_same_week(two_organisations):
    send_weekly_digests(two_organisations, RecordingDelivery(), MONDAY)
    thursday = RecordingDelivery()
    send_weekly_digests(two_organisations, thursday, MONDAY + timedelta(days=3))
    send_weekly_digests(two_organisations, thursday, MONDAY + timedelta(days=6))
    assert thursday.sent == []


def test_weekly_digest_is_sent_again_the_next_week(two_organisations):
    send_weekly_digests(two_organisations, RecordingDelivery(), MONDAY)
    next_week = RecordingDelivery()
    send_weekly_digests(two_organisations, next_week, MONDAY + timedelta(days=7))
    assert next_week.keys == ["digest:Shire Police:2024-W28", "digest:Vale Police:2024-W28"]


def test_weekly_digest_first_run_of_the_week_may_fall_after_monday(two_organisations):
    delivery = RecordingDelivery()
    send_weekly_digests(two_organisations, delivery, MONDAY + timedelta(days=2))
    assert delivery.keys[0] == "digest:Shire Police:2024-W27"
    period_starts = {row["period_start"] for row in alert_log(two_organisations)}
    assert period_starts == {MONDAY}


def test_weekly_digest_goes_to_the_owners_when_the_organisation_has_no_comms_lead(warehouse):
    with warehouse.begin() as conn:
        dormant_account(conn, "PCAnn", owner_email="ann@example.org")
        dormant_account(conn, "PCBob", owner_email="bob@example.org")
    build_day(warehouse, AS_OF)
    delivery = RecordingDelivery()
    send_weekly_digests(warehouse, delivery, MONDAY)
    assert delivery.recipients() == ["ann@example.org", "bob@example.org"]
