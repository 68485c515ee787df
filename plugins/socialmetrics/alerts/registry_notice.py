"""Registry rows left out of a run, told to the data engineers once each.

A bad line in ``accounts.csv`` leaves that account out of every run until someone fixes it;
the task log says so each run, but a log is not where anyone looks. So each distinct problem
is emailed once to ``socialmetrics_alert_emails`` (the route of failure notices), with
``ops.registry_notice`` as the record: a problem is claimed ('sending') before the message
goes and marked 'sent' after, so a retry resends only what did not go, and a problem that
is still there tomorrow is not sent again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.alerts.delivery import (
    Delivery,
    OutboxDelivery,
    delivery_from_airflow,
    outbox_dir,
)
from socialmetrics.alerts.failure import alert_email_recipients
from socialmetrics.alerts.messages import Recipients, registry_problem_message
from socialmetrics.registry import RegistryProblem

__all__ = ["notify_registry_problems"]

log = logging.getLogger(__name__)


def notify_registry_problems(
    engine: Engine,
    problems: list[RegistryProblem],
    run_id: str,
    folder: str,
    *,
    delivery: Delivery | None = None,
    recipients: Recipients | None = None,
) -> list[str]:
    """Email the problems of ``problems`` not told before, in one message; returns them.

    ``delivery`` and ``recipients`` default to the failure notices' route and addresses
    (the outbox when ``socialmetrics_alert_emails`` is not set). Nothing is sent when every
    problem was told already.
    """
    texts = sorted({str(problem) for problem in problems})
    if not texts:
        return []
    with engine.begin() as conn:
        for text in texts:
            conn.execute(
                sa.text(
                    "insert into ops.registry_notice (problem, first_run_id, status) "
                    "values (:problem, :run_id, 'sending') on conflict do nothing"
                ),
                {"problem": text, "run_id": run_id},
            )
        sent = {
            row[0]
            for row in conn.execute(
                sa.text("select problem from ops.registry_notice where status = 'sent'")
            )
        }
    untold = [text for text in texts if text not in sent]
    if not untold:
        return []
    recipients = recipients if recipients is not None else alert_email_recipients()
    if delivery is None:
        delivery = delivery_from_airflow() if recipients else OutboxDelivery(outbox_dir())
    message = registry_problem_message(untold, folder, recipients)
    where = delivery.send(message, f"registry-{run_id}")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "update ops.registry_notice set status = 'sent', notified_at = :now, "
                "delivered_to = :where where problem in :problems"
            ).bindparams(sa.bindparam("problems", expanding=True)),
            {"now": datetime.now(UTC).replace(tzinfo=None), "where": where, "problems": untold},
        )
    log.info(
        "registry problems told to %s via %s: %d", ", ".join(recipients.all), where, len(untold)
    )
    return untold
