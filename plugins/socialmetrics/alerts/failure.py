"""Failure notices to the data engineers, as an Airflow ``on_failure_callback``.

Put it on every task of a DAG with ``default_args={"on_failure_callback": notify_failure}``:
a task's callback runs once the task has failed for good (after its retries) and carries the
exception and the log URL. It can also be the DAG's own ``on_failure_callback``, which
reports a failed run (including one stopped by ``dagrun_timeout``) with Airflow's reason and
no exception; with both, a failing task gives two notices. Recipients are the Variable
``socialmetrics_alert_emails`` (comma-separated); the route is the alerts' route:
``smtp_default`` when it exists, else the outbox folder.
"""

from __future__ import annotations

import logging
import re

from socialmetrics.alerts.delivery import OutboxDelivery, delivery_from_airflow, outbox_dir
from socialmetrics.alerts.messages import Recipients, failure_message

__all__ = ["ALERT_EMAILS_VARIABLE", "alert_email_recipients", "notify_failure"]

log = logging.getLogger(__name__)

ALERT_EMAILS_VARIABLE = "socialmetrics_alert_emails"


def notify_failure(context) -> None:
    """Email the data engineers that a task (or a DAG run) failed.

    The message names the DAG id, task id, run id, try number, the exception (type, message
    and traceback) and the task's log URL (``context['ti'].log_url``) when the context has
    them. Without ``socialmetrics_alert_emails`` it logs a warning and writes the notice to
    the outbox; when the SMTP route fails it writes to the outbox too. Never raises: a
    callback error must not hide the task's own failure.
    """
    try:
        _notify(context)
    except Exception:
        log.exception("could not send the failure notice")


def _notify(context) -> None:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    dag_id = (
        getattr(ti, "dag_id", None)
        or getattr(dag_run, "dag_id", None)
        or getattr(dag, "dag_id", None)
        or "unknown DAG"
    )
    task_id = getattr(ti, "task_id", None)
    run_id = (
        getattr(ti, "run_id", None) or context.get("run_id") or getattr(dag_run, "run_id", None)
    )
    try_number = getattr(ti, "try_number", None)
    log_url = _log_url(ti)
    exception = context.get("exception")
    # Airflow gives a DAG's own callback a 'reason' and no 'exception' (its 'ti' is the last
    # task that failed); a task's callback gets the exception.
    dag_run_reason = None
    if exception is None and context.get("reason") is not None:
        dag_run_reason = str(context["reason"])

    recipients = alert_email_recipients()
    message = failure_message(
        dag_id=dag_id,
        task_id=task_id,
        run_id=run_id,
        try_number=try_number,
        exception=exception,
        log_url=log_url,
        recipients=recipients,
        dag_run_reason=dag_run_reason,
    )
    if dag_run_reason is not None:
        key = "-".join(["failure", dag_id, "dagrun", run_id or "run"])
    else:
        # A mapped task's instances fail one by one: each gets its notice.
        map_index = getattr(ti, "map_index", -1)
        task = task_id or "task"
        if isinstance(map_index, int) and map_index >= 0:
            task = f"{task}[{map_index}]"
        key = "-".join(["failure", dag_id, task, run_id or "run", f"try{try_number or 0}"])
    if not recipients:
        log.warning(
            "Variable %s is not set: the failure notice for %s goes to the outbox only",
            ALERT_EMAILS_VARIABLE,
            key,
        )
        where = OutboxDelivery(outbox_dir()).send(message, key)
    else:
        try:
            where = delivery_from_airflow().send(message, key)
        except Exception:
            log.exception("could not send the failure notice %s; writing it to the outbox", key)
            where = OutboxDelivery(outbox_dir()).send(message, key)
    log.info("failure notice %s sent to %s via %s", key, ", ".join(recipients.all), where)


def alert_email_recipients() -> Recipients:
    """The data engineers: the addresses of the Variable ``socialmetrics_alert_emails``."""
    from socialmetrics.airflow_support import get_variable

    addresses = [
        address.strip()
        for address in re.split(r"[,;]", get_variable(ALERT_EMAILS_VARIABLE) or "")
        if address.strip()
    ]
    return Recipients.of(addresses)


def _log_url(ti) -> str | None:
    if ti is None:
        return None
    try:
        return getattr(ti, "log_url", None)
    except Exception:
        # The property reads Airflow configuration; a notice without the link still helps.
        return None
