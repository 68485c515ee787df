"""Delivery routes: a real SMTP server (aiosmtpd) through the Airflow connection smtp_default,
and the outbox folder of .eml files when that connection does not exist."""

import json
import socket
from datetime import date
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from socialmetrics.alerts.delivery import (
    MessageRejected,
    OutboxDelivery,
    SmtpDelivery,
    delivery_from_airflow,
)
from socialmetrics.alerts.messages import DormantAccount, Recipients, dormancy_message


class Sink:
    """aiosmtpd handler that keeps every envelope; refuses recipients at refused.example."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    yield sink
    controller.stop()


@pytest.fixture
def smtp_default(smtp_server, monkeypatch):
    """The Airflow connection smtp_default, as an environment variable, to smtp_server."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp_server.port,
                "extra": {"starttls": False, "from_email": "alerts@example.org"},
            }
        ),
    )
    return smtp_server


@pytest.fixture
def no_smtp_default(monkeypatch, tmp_path):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR", str(tmp_path / "outbox"))
    return tmp_path / "outbox"


def alert(recipients=("robert@shire.example",), cc=("comms@shire.example",), **changes):
    account = DormantAccount(
        **{
            "account_key": "x:PCRobert",
            "organisation": "Shire Police",
            "platform": "x",
            "account_ref": "PCRobert",
            "display_name": "PC Robert",
            "kind": "officer",
            "owner_email": "robert@shire.example",
            "followers": 1234,
            "last_post_at": None,
            "days_since_last_post": None,
            "dormant_since": date(2024, 6, 16),
            "days_dormant": 15,
            "as_of": date(2024, 6, 30),
            "suggested_action": "post again or hand the account to an active colleague",
            "opened_on": date(2024, 5, 1),
        }
        | changes
    )
    return dormancy_message(account, Recipients.of(recipients, cc))


def both_parts(raw: bytes) -> tuple[str, str]:
    parsed = message_from_bytes(raw, policy=policy.default)
    return (
        parsed.get_body(preferencelist=("plain",)).get_content(),
        parsed.get_body(preferencelist=("html",)).get_content(),
    )


def test_smtp_default_connection_selects_smtp_delivery(smtp_default):
    delivery = delivery_from_airflow()
    assert delivery == SmtpDelivery(
        host="127.0.0.1",
        port=smtp_default.port,
        from_email="alerts@example.org",
        starttls=False,
    )


def test_smtp_delivery_hands_the_message_to_the_server_for_owner_and_comms_lead(smtp_default):
    where = delivery_from_airflow().send(alert(), "dormancy:x:PCRobert:2024-06-16")
    assert where == f"smtp://127.0.0.1:{smtp_default.port}"
    [envelope] = smtp_default.envelopes
    assert envelope.mail_from == "alerts@example.org"
    assert envelope.rcpt_tos == ["robert@shire.example", "comms@shire.example"]
    text, html = both_parts(envelope.original_content)
    assert "@PCRobert" in text and "@PCRobert" in html


def test_smtp_delivery_sets_from_to_the_connections_sender(smtp_default):
    delivery_from_airflow().send(alert(), "key")
    parsed = message_from_bytes(smtp_default.envelopes[0].original_content, policy=policy.default)
    assert parsed["From"] == "alerts@example.org"


def test_smtp_refusing_every_recipient_rejects_only_that_message(smtp_default):
    with pytest.raises(MessageRejected, match="nobody@refused.example"):
        delivery_from_airflow().send(alert(("nobody@refused.example",), ()), "key")
    assert smtp_default.envelopes == []


def test_without_smtp_default_alerts_go_to_the_outbox_variable_folder(no_smtp_default):
    assert delivery_from_airflow() == OutboxDelivery(no_smtp_default)


def test_outbox_defaults_to_airflow_home(monkeypatch, tmp_path):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    monkeypatch.delenv("AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow-home"))
    assert delivery_from_airflow() == OutboxDelivery(tmp_path / "airflow-home" / "outbox")


def test_outbox_writes_a_parseable_eml_file_with_both_parts(no_smtp_default):
    path = delivery_from_airflow().send(alert(), "dormancy:x:PCRobert:2024-06-16")
    [written] = no_smtp_default.glob("*.eml")
    assert str(written) == path
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["To"] == "robert@shire.example"
    assert parsed["Cc"] == "comms@shire.example"
    text, html = both_parts(written.read_bytes())
    assert "@PCRobert" in text and "@PCRobert" in html


def test_outbox_rerun_of_the_same_alert_overwrites_its_file(no_smtp_default):
    delivery = delivery_from_airflow()
    delivery.send(alert(followers=1000), "dormancy:x:PCRobert:2024-06-16")
    delivery.send(alert(followers=2000), "dormancy:x:PCRobert:2024-06-16")
    [written] = no_smtp_default.glob("*.eml")
    text, _ = both_parts(written.read_bytes())
    assert "2,000" in text
    assert list(no_smtp_default.iterdir()) == [written]


def test_outbox_keeps_alerts_with_similar_keys_apart(no_smtp_default):
    delivery = delivery_from_airflow()
    delivery.send(alert(), "digest:Shire Police:2024-W27")
    delivery.send(alert(), "digest:Shire/Police:2024-W27")
    assert len(list(no_smtp_default.glob("*.eml"))) == 2
