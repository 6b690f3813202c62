"""Sample reports and a real SMTP server on localhost, shared by the report tests."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from amazon_passweb.notify import ImportReport, OrderLine, Outcome, RunCounts, RunKind

SMTP_LOGIN = "report-sender"
SMTP_PASSWORD = "s3cr3t-Pa55-never-in-mail"
CONN_ID = "smtp_notify_test"
FROM_EMAIL = "ordini@negozio.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RecordingHandler:
    """Keeps every accepted message; ``replies`` scripts the answers to DATA (default 250),
    ``unknown_recipients`` are refused at RCPT."""

    received: list = field(default_factory=list)
    logins: list = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    unknown_recipients: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.unknown_recipients:
            return "550 5.1.1 utente sconosciuto"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.replies:
            return self.replies.pop(0)
        self.received.append(envelope)
        self.logins.append(session.login_data)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.received]


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == SMTP_LOGIN
        and auth_data.password.decode() == SMTP_PASSWORD
    )
    # handled=False: the server itself answers 235 or 535.
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    # Plain-text AUTH is fine on loopback; it lets the tests prove the login is used and never leaks.
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=_authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


def airflow_smtp_connection(port: int, password: str = SMTP_PASSWORD) -> str:
    """An Airflow connection in the JSON form of ``AIRFLOW_CONN_<ID>``."""
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "login": SMTP_LOGIN,
            "password": password,
            "extra": {
                "from_email": FROM_EMAIL,
                "disable_ssl": True,
                "disable_tls": True,
                "timeout": 5,
                "retry_limit": 0,
            },
        }
    )


@pytest.fixture
def smtp_connection(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", airflow_smtp_connection(smtp_server.port))
    return CONN_ID


def when(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 30, tzinfo=UTC)


def make_report(
    orders: tuple[OrderLine, ...] = (),
    counts: RunCounts | None = None,
    **overrides,
) -> ImportReport:
    fields = {
        "account_id": "it_main",
        "account_description": "Amazon Italia",
        "run_id": "manual__2026-11-27T10:00:00+00:00",
        "run_kind": RunKind.MANUAL,
        "window_start": when(26, 8),
        "window_end": when(27, 9),
        "watermark_before": when(26, 8),
        "watermark_after": when(27, 9),
        "counts": counts or RunCounts(),
        "orders": orders,
    }
    fields.update(overrides)
    return ImportReport(**fields)


@pytest.fixture
def busy_report() -> ImportReport:
    """Two imported orders, one incomplete AFN, one skipped, one failed."""
    orders = (
        OrderLine(
            "402-0000001-0000001",
            when(26, 9),
            Outcome.PUSHED,
            Decimal("1234.50"),
            "EUR",
            site_order_number="10001",
            gestionale_key="OX+2+15",
            customer_code="501.00042",
            customer_is_new=True,
            address_is_new=True,
        ),
        OrderLine(
            "402-0000002-0000002",
            when(26, 11),
            Outcome.CREATED,
            Decimal("19.90"),
            "EUR",
            site_order_number="10002",
            customer_code="501.00007",
            customer_is_new=False,
            address_is_new=True,
        ),
        OrderLine(
            "171-0000003-0000003",
            when(26, 12),
            Outcome.INCOMPLETE,
            Decimal("45.00"),
            "EUR",
            site_order_number="10003",
        ),
        OrderLine(
            "402-0000004-0000004",
            when(25),
            Outcome.SKIPPED,
            reason="già importato in un'esecuzione precedente",
        ),
        OrderLine(
            "402-0000005-0000005",
            when(27, 8),
            Outcome.FAILED,
            Decimal("7.00"),
            reason="SKU ABC-99 sconosciuto: nessun articolo con questo codice nel sito",
        ),
    )
    counts = RunCounts(fetched=9, selected=5, skipped=1, created=3, pushed=1, failed=1, incomplete=1)
    return make_report(orders, counts)
