"""Alerts (docs/design.md#9-alerts): dormancy emails, weekly digests and failure notices.

- ``send_dormancy_alerts(engine, delivery)``: one email per dormancy spell, owner + comms lead.
- ``send_weekly_digests(engine, delivery, day)``: one digest per organisation per ISO week.
- ``notify_failure(context)``: an Airflow ``on_failure_callback`` for the data engineers.
- ``delivery_from_airflow()``: SMTP through the connection ``smtp_default``, else .eml files
  in the outbox folder (Variable ``socialmetrics_outbox_dir``, default ``$AIRFLOW_HOME/outbox``).

ops.alert_log records every alert, which is what makes each go out once across task retries
and reruns (see ``socialmetrics.alerts.dormancy``).
"""

from socialmetrics.alerts.delivery import (
    Delivery,
    MessageRejected,
    OutboxDelivery,
    SmtpDelivery,
    delivery_from_airflow,
    outbox_dir,
)
from socialmetrics.alerts.dormancy import (
    AlertDeliveryError,
    AlertOutcome,
    iso_week,
    send_dormancy_alerts,
    send_weekly_digests,
)
from socialmetrics.alerts.failure import notify_failure

__all__ = [
    "AlertDeliveryError",
    "AlertOutcome",
    "Delivery",
    "MessageRejected",
    "OutboxDelivery",
    "SmtpDelivery",
    "delivery_from_airflow",
    "iso_week",
    "notify_failure",
    "outbox_dir",
    "send_dormancy_alerts",
    "send_weekly_digests",
]
