"""notify_failure as an Airflow on_failure_callback: a real DAG and task carry it, Airflow's own
callback runner calls it with the context the task runner builds (a Task SDK
RuntimeTaskInstance, the exception), and the notice reaches a real SMTP server (aiosmtpd) or
the outbox."""

import json
import logging
import socket
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
import structlog
from aiosmtpd.controller import Controller
from airflow.sdk import dag, task
from airflow.sdk.execution_time.task_runner import (
    RuntimeTaskInstance,
    _run_task_state_change_callbacks,
)

from socialmetrics.alerts import notify_failure


class Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_connection(port: int) -> str:
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "extra": {"starttls": False, "from_email": "alerts@example.org"},
        }
    )


@pytest.fixture
def outbox(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR", str(tmp_path / "outbox"))
    return tmp_path / "outbox"


@pytest.fixture
def smtp_server(monkeypatch, outbox):
    """aiosmtpd on a free port, reachable as the Airflow connection smtp_default."""
    port = free_port()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(port))
    yield sink
    controller.stop()


@pytest.fixture
def engineers(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_VAR_SOCIALMETRICS_ALERT_EMAILS", "data@example.org, oncall@example.org"
    )


def failing_task_context(exception: BaseException) -> tuple[object, dict]:
    """A DAG whose tasks carry notify_failure, and the context Airflow's task runner gives
    the callbacks when try 2 of its task ``load`` fails with ``exception``."""

    @dag(
        dag_id="social_metrics_daily",
        schedule=None,
        start_date=datetime(2024, 1, 1),
        default_args={"on_failure_callback": notify_failure},
    )
    def pipeline():
        @task
        def load():
            raise exception

        load()

    operator = pipeline().get_task("load")
    ti = RuntimeTaskInstance.model_construct(
        id=uuid.uuid4(),
        dag_id="social_metrics_daily",
        task_id="load",
        run_id="scheduled__2024-06-30T00:00:00+00:00",
        try_number=2,
        map_index=-1,
        dag_version_id=uuid.uuid4(),
        task=operator,
        max_tries=2,
        start_date=datetime.now(UTC),
    )
    try:
        raise exception
    except BaseException as raised:
        exception = raised
    context = {
        "dag": operator.dag,
        "task": operator,
        "ti": ti,
        "task_instance": ti,
        "run_id": ti.run_id,
        "exception": exception,
    }
    return operator, context


def fail(exception: BaseException) -> None:
    operator, context = failing_task_context(exception)
    _run_task_state_change_callbacks(
        operator, "on_failure_callback", context, structlog.get_logger()
    )


def text_of(raw: bytes) -> tuple[str, str, str]:
    parsed = message_from_bytes(raw, policy=policy.default)
    return (
        # Python folds a subject that fits one continuation line right after "Subject:", and
        # unfolding keeps the space; mail clients strip it.
        parsed["Subject"].strip(),
        parsed.get_body(preferencelist=("plain",)).get_content(),
        parsed.get_body(preferencelist=("html",)).get_content(),
    )


def test_failed_task_notifies_the_data_engineers_by_smtp(smtp_server, engineers):
    fail(RuntimeError("warehouse unreachable: connection refused"))
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["data@example.org", "oncall@example.org"]
    subject, text, html = text_of(envelope.original_content)
    assert "social_metrics_daily.load" in subject
    for body in (text, html):
        assert "social_metrics_daily" in body
        assert "load" in body
        assert "scheduled__2024-06-30T00:00:00+00:00" in body
        assert "RuntimeError: warehouse unreachable: connection refused" in body


def test_failure_notice_gives_the_try_number_and_the_task_log_url(smtp_server, engineers):
    fail(RuntimeError("boom"))
    _, text, _ = text_of(smtp_server.envelopes[0].original_content)
    assert "Try:        2" in text
    assert "/dags/social_metrics_daily/runs/scheduled__2024-06-30T00%3A00%3A00%2B00%3A00" in text
    assert "/tasks/load?try_number=2" in text


def test_without_alert_emails_the_notice_is_written_to_the_outbox_with_a_warning(
    outbox, monkeypatch, caplog
):
    monkeypatch.delenv("AIRFLOW_VAR_SOCIALMETRICS_ALERT_EMAILS", raising=False)
    with caplog.at_level(logging.WARNING, logger="socialmetrics.alerts.failure"):
        fail(ValueError("bad registry"))
    [written] = outbox.glob("*.eml")
    _, text, _ = text_of(written.read_bytes())
    assert "ValueError: bad registry" in text
    assert "socialmetrics_alert_emails" in caplog.text


def test_notice_goes_to_the_outbox_when_the_smtp_server_is_down(outbox, engineers, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))
    fail(RuntimeError("extract failed"))
    [written] = outbox.glob("*.eml")
    _, text, _ = text_of(written.read_bytes())
    assert "RuntimeError: extract failed" in text


def test_dag_level_callback_without_a_task_instance_names_the_dag_and_reason(outbox, monkeypatch):
    monkeypatch.delenv("AIRFLOW_VAR_SOCIALMETRICS_ALERT_EMAILS", raising=False)
    operator, _ = failing_task_context(RuntimeError("unused"))
    notify_failure({"dag": operator.dag, "run_id": "manual__1", "reason": "task_failure"})
    [written] = outbox.glob("*.eml")
    subject, text, _ = text_of(written.read_bytes())
    assert subject == "Airflow DAG run failed: social_metrics_daily (run manual__1): task_failure"
    assert "A DAG run failed: task_failure." in text
