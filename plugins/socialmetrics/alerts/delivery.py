"""Where alert emails go (docs/design.md#9-alerts): an SMTP server, or an outbox of .eml files.

``delivery_from_airflow()`` picks the route: the Airflow connection ``smtp_default`` when it
exists, otherwise the outbox folder (Variable ``socialmetrics_outbox_dir``, default
``$AIRFLOW_HOME/outbox``).

``smtp_default`` fields: host, port, login and password (both optional), and extra
``{"from_email": "alerts@example.org", "starttls": true, "ssl": false, "timeout": 30}``.
``starttls`` defaults to true (false when the provider-style ``disable_tls`` is true);
``ssl`` (implicit TLS) defaults to true on port 465 only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from socialmetrics.errors import ConfigurationError

__all__ = [
    "DEFAULT_OUTBOX_FROM",
    "SMTP_CONN_ID",
    "Delivery",
    "MessageRejected",
    "OutboxDelivery",
    "SmtpDelivery",
    "delivery_from_airflow",
    "outbox_dir",
]

log = logging.getLogger(__name__)

SMTP_CONN_ID = "smtp_default"
OUTBOX_VARIABLE = "socialmetrics_outbox_dir"
DEFAULT_OUTBOX_FROM = "socialmetrics@localhost"

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 120


class MessageRejected(Exception):
    """The route refused this one message (every recipient refused); others may still go."""


class Delivery(Protocol):
    """Sends one message. Implementations set ``From`` when the message has none."""

    def send(self, message: EmailMessage, key: str) -> str:
        """Deliver ``message``; ``key`` names the alert (stable across retries and reruns).

        Returns where it went (``smtp://host:port`` or the .eml path). Raises
        MessageRejected when the route refuses this message only; any other exception means
        the route itself failed.
        """
        ...


@dataclass(frozen=True)
class SmtpDelivery:
    """Hands messages to an SMTP server with smtplib, one connection per message."""

    host: str
    port: int
    from_email: str
    login: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False
    timeout: float = 30.0

    @classmethod
    def from_connection(cls, conn) -> SmtpDelivery:
        """Build from an Airflow connection (see the module docstring for its fields).

        Raises ConfigurationError when it names no host or no sender address.
        """
        extra = conn.extra_dejson or {}
        conn_id = getattr(conn, "conn_id", None) or SMTP_CONN_ID
        if not conn.host:
            raise ConfigurationError(
                f"Airflow connection {conn_id!r} names no host: set the SMTP server's host "
                "and port, or delete the connection to write alerts to the outbox folder."
            )
        from_email = extra.get("from_email") or (
            conn.login if conn.login and "@" in conn.login else None
        )
        if not from_email:
            raise ConfigurationError(
                f"Airflow connection {conn_id!r} names no sender: add "
                '"from_email": "alerts@your.domain" to its extra field.'
            )
        port = int(conn.port or 0)
        implicit_tls = _flag(extra.get("ssl"), default=port == 465)
        starttls = _flag(
            extra.get("starttls"), default=not _flag(extra.get("disable_tls"), default=False)
        )
        return cls(
            host=conn.host,
            port=port or (465 if implicit_tls else 25),
            from_email=from_email,
            login=conn.login or None,
            password=conn.password or None,
            starttls=starttls and not implicit_tls,
            ssl=implicit_tls,
            timeout=float(extra.get("timeout") or 30),
        )

    def send(self, message: EmailMessage, key: str) -> str:
        if "From" not in message:
            message["From"] = self.from_email
        context = ssl.create_default_context()
        if self.ssl:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.login:
                client.login(self.login, self.password or "")
            try:
                refused = client.send_message(message, from_addr=self.from_email)
            except smtplib.SMTPRecipientsRefused as exc:
                raise MessageRejected(
                    f"{self.host}:{self.port} refused every recipient of {key}: "
                    f"{_refusals(exc.recipients)}"
                ) from exc
        if refused:
            log.warning("%s: %s refused %s", key, self.host, _refusals(refused))
        return f"smtp://{self.host}:{self.port}"


@dataclass(frozen=True)
class OutboxDelivery:
    """Writes each message as ``<folder>/<name from key>.eml``.

    The file name depends only on ``key``, so sending the same alert again (a retry, a
    rerun) replaces its file instead of adding one. Files appear whole: each is written to a
    temporary name and renamed.
    """

    folder: Path
    from_email: str = DEFAULT_OUTBOX_FROM

    def path_for(self, key: str) -> Path:
        """The .eml file of ``key``: a readable slug plus a hash, so distinct keys never
        share a file even when their slugs do."""
        slug = _UNSAFE_FILE_CHARS.sub("_", key).strip("._")[:_MAX_STEM] or "message"
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
        return Path(self.folder) / f"{slug}-{digest}.eml"

    def send(self, message: EmailMessage, key: str) -> str:
        if "From" not in message:
            message["From"] = self.from_email
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = message.as_bytes(policy=policy.SMTP)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return str(path)


def outbox_dir() -> Path:
    """The outbox folder: Variable ``socialmetrics_outbox_dir``, else ``$AIRFLOW_HOME/outbox``
    (``~/airflow/outbox`` when AIRFLOW_HOME is unset, as Airflow itself defaults)."""
    from socialmetrics.airflow_support import get_variable

    configured = get_variable(OUTBOX_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    home = os.environ.get("AIRFLOW_HOME") or "~/airflow"
    return Path(home).expanduser() / "outbox"


def delivery_from_airflow(conn_id: str = SMTP_CONN_ID) -> Delivery:
    """SMTP through the Airflow connection ``conn_id`` when it is defined, else the outbox.

    Works inside tasks and outside them (connections from AIRFLOW_CONN_* environment
    variables, then the secrets backends Airflow is configured with).
    """
    from socialmetrics.airflow_support import get_connection

    try:
        conn = get_connection(conn_id)
    except ConfigurationError:
        folder = outbox_dir()
        log.info("no Airflow connection %r: alerts go to the outbox %s", conn_id, folder)
        return OutboxDelivery(folder)
    delivery = SmtpDelivery.from_connection(conn)
    log.info("alerts go by SMTP to %s:%s (connection %r)", delivery.host, delivery.port, conn_id)
    return delivery


def _flag(value, *, default: bool) -> bool:
    # Extras written in URI form arrive as strings ("false"), in JSON form as booleans.
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _refusals(refused: dict) -> str:
    return "; ".join(
        f"{address} ({code} {_decode(text)})" for address, (code, text) in refused.items()
    )


def _decode(text) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
