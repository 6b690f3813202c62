"""How an email leaves: the transport interface, what a delivery answers, and plain SMTP.

The Airflow SMTP connection's transport is in ``hook.py``, the one module of ``notify/``
that uses Airflow.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from typing import Protocol

from amazon_passweb.notify.message import EmailContent, build_mime_message

DEFAULT_SMTP_CONN_ID = "smtp_default"
# Used only when neither the caller nor the connection's ``from_email`` extra names a sender.
FALLBACK_SENDER = "amazon-passweb@localhost"


@dataclass(frozen=True)
class Delivery:
    message_id: str
    refused: tuple[str, ...] = ()


class MailTransport(Protocol):
    name: str  # where the mail goes, for the failure reason; never a credential

    def send(self, content: EmailContent, recipients: list[str], from_email: str | None) -> Delivery:
        """Deliver the email to at least one recipient, or raise."""


class PlainSmtpTransport:
    """A host and port without an Airflow connection: the demo's local SMTP sink."""

    def __init__(self, host: str = "127.0.0.1", port: int = 25, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.name = f"smtp://{host}:{port}"

    def send(self, content: EmailContent, recipients: list[str], from_email: str | None) -> Delivery:
        sender = from_email or FALLBACK_SENDER
        message = build_mime_message(content, sender, recipients)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
        return Delivery(message["Message-ID"], tuple(refused))
