"""Sending the emails: a bounded retry on transient SMTP errors, and never an exception.

An email that cannot be sent must not fail the import: the caller gets a
:class:`SendResult`, records it with the run and retries later.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from amazon_passweb.notify.afn import AfnIncompleteNotice, build_afn_incomplete_email
from amazon_passweb.notify.hook import AirflowSmtpTransport
from amazon_passweb.notify.message import EmailContent, build_report_email
from amazon_passweb.notify.report import ImportReport
from amazon_passweb.notify.sanitize import clean_text
from amazon_passweb.notify.transport import DEFAULT_SMTP_CONN_ID, MailTransport

log = logging.getLogger(__name__)

REASON_LENGTH = 300


class SendStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # nobody to send to: a configuration matter, not a delivery failure


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    subject: str
    recipients: tuple[str, ...]
    attempts: int = 0
    reason: str | None = None
    message_id: str | None = None
    # Accepted for some recipients but refused for these (the server's per-address answer).
    refused: tuple[str, ...] = ()

    @property
    def sent(self) -> bool:
        return self.status is SendStatus.SENT


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    first_wait_seconds: float = 2.0
    max_wait_seconds: float = 30.0


def is_transient(error: BaseException) -> bool:
    """Worth another attempt: the server is unreachable, dropped us or answered 4xx."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPException | ssl.SSLError):
        return False  # protocol or certificate problems do not heal by themselves
    return isinstance(error, OSError)  # refused, reset, timed out, name not resolved


def _recipient_list(recipients: Iterable[str] | str) -> list[str]:
    if isinstance(recipients, str):
        recipients = recipients.replace(";", ",").split(",")
    unique: dict[str, None] = {}
    for address in recipients:
        address = clean_text(address)
        if address:
            unique.setdefault(address, None)
    return list(unique)


def _describe(error: BaseException) -> str:
    return clean_text(f"{type(error).__name__}: {error}", REASON_LENGTH)


def send_email(
    content: EmailContent,
    recipients: Iterable[str] | str,
    *,
    conn_id: str = DEFAULT_SMTP_CONN_ID,
    transport: MailTransport | None = None,
    from_email: str | None = None,
    retry: RetryPolicy | None = None,
) -> SendResult:
    """Send ``content``; every failure comes back as a FAILED result, never as an exception."""
    addresses = _recipient_list(recipients)
    if not addresses:
        return SendResult(SendStatus.SKIPPED, content.subject, (), reason="nessun destinatario configurato")
    transport = transport or AirflowSmtpTransport(conn_id)
    policy = retry or RetryPolicy()
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.first_wait_seconds, max=policy.max_wait_seconds),
        retry=retry_if_exception(is_transient),
        reraise=True,
        before_sleep=lambda state: log.warning(
            "email %r: attempt %d failed (%s), retrying",
            content.subject,
            state.attempt_number,
            _describe(state.outcome.exception()),
        ),
    )
    try:
        delivery = retrying(transport.send, content, addresses, from_email)
    except Exception as error:  # the import must go on whatever went wrong here
        attempts = retrying.statistics.get("attempt_number", 1)
        reason = clean_text(f"{transport.name}: {_describe(error)}", REASON_LENGTH)
        log.error("email %r not sent after %d attempt(s): %s", content.subject, attempts, reason)
        return SendResult(SendStatus.FAILED, content.subject, tuple(addresses), attempts, reason=reason)
    attempts = retrying.statistics.get("attempt_number", 1)
    if delivery.refused:
        log.warning("email %r refused for %s", content.subject, ", ".join(delivery.refused))
    log.info("email %r sent to %d recipient(s)", content.subject, len(addresses) - len(delivery.refused))
    return SendResult(
        SendStatus.SENT,
        content.subject,
        tuple(addresses),
        attempts,
        message_id=delivery.message_id,
        refused=delivery.refused,
    )


def _build_then_send(
    build: Callable[[Any], EmailContent], source: Any, recipients: Iterable[str] | str, **options: Any
) -> SendResult:
    try:
        content = build(source)
    except Exception as error:  # a rendering bug must not fail the import either
        log.exception("email for account %r could not be built", getattr(source, "account_id", "?"))
        return SendResult(
            SendStatus.FAILED,
            "",
            tuple(_recipient_list(recipients)),
            0,
            reason=f"email non preparata: {_describe(error)}",
        )
    return send_email(content, recipients, **options)


def send_report(
    report: ImportReport,
    recipients: Iterable[str] | str,
    conn_id: str = DEFAULT_SMTP_CONN_ID,
    *,
    transport: MailTransport | None = None,
    from_email: str | None = None,
    retry: RetryPolicy | None = None,
) -> SendResult:
    """Send the run report (text + HTML + CSV). Whether to send at all is :func:`should_send`'s call."""
    return _build_then_send(
        build_report_email,
        report,
        recipients,
        conn_id=conn_id,
        transport=transport,
        from_email=from_email,
        retry=retry,
    )


def send_afn_incomplete_notice(
    notice: AfnIncompleteNotice,
    recipients: Iterable[str] | str,
    conn_id: str = DEFAULT_SMTP_CONN_ID,
    *,
    transport: MailTransport | None = None,
    from_email: str | None = None,
    retry: RetryPolicy | None = None,
) -> SendResult:
    """Send the administrator the AFN orders waiting for manual completion (``admin_emails``)."""
    if not notice.orders:
        return SendResult(SendStatus.SKIPPED, "", (), reason="nessun ordine incompleto")
    return _build_then_send(
        build_afn_incomplete_email,
        notice,
        recipients,
        conn_id=conn_id,
        transport=transport,
        from_email=from_email,
        retry=retry,
    )
