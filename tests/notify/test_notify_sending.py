"""Sending through a real SMTP server (aiosmtpd on localhost) and reading the message back."""

from __future__ import annotations

import csv
import io

import pytest
from notify_fixtures import make_report, when

from amazon_passweb.notify import (
    AfnIncompleteNotice,
    IncompleteAfnOrder,
    PlainSmtpTransport,
    RetryPolicy,
    SendStatus,
    send_afn_incomplete_notice,
    send_report,
)
from tests.fixtures.mail import CONN_ID, FROM_EMAIL, SMTP_LOGIN, SMTP_PASSWORD, airflow_smtp_connection, free_port

QUICK_RETRY = RetryPolicy(attempts=3, first_wait_seconds=0.01, max_wait_seconds=0.05)
OPERATORS = ["operatore@negozio.example", "Contabilita@negozio.example"]


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    attachments = list(message.iter_attachments())
    return text, html, attachments


def test_report_through_the_airflow_smtp_hook(smtp_server, smtp_connection, busy_report):
    result = send_report(busy_report, OPERATORS, conn_id=smtp_connection, retry=QUICK_RETRY)

    assert result.status is SendStatus.SENT and result.sent
    assert result.attempts == 1 and result.reason is None
    [envelope] = smtp_server.handler.received
    assert envelope.mail_from == FROM_EMAIL
    assert envelope.rcpt_tos == OPERATORS
    [message] = smtp_server.handler.messages()
    assert message["Subject"] == "[Amazon → Passweb] it_main: 3 ordini importati, 1 incompleto, 1 errore"
    assert message["From"] == FROM_EMAIL
    assert message["Message-ID"] == result.message_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/mixed"

    text, html, [attachment] = parts(message)
    assert "402-0000001-0000001" in text and "OX+2+15" in text and "1.234,50 EUR" in text
    assert "<h3>Ordini importati (3)</h3>" in html and "SKU ABC-99 sconosciuto" in html
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == "ordini_amazon_it_main_manual__2026-11-27T10_00_00_00_00.csv"
    assert attachment.get_content_charset() == "utf-8"
    rows = list(
        csv.reader(io.StringIO(attachment.get_payload(decode=True).decode("utf-8-sig")), delimiter=";")
    )
    assert [row[0] for row in rows[1:]] == [
        "402-0000004-0000004",
        "402-0000001-0000001",
        "402-0000002-0000002",
        "171-0000003-0000003",
        "402-0000005-0000005",
    ]
    # The connection's login was used to authenticate, and the password appears nowhere in the mail.
    assert smtp_server.handler.logins == [SMTP_LOGIN.encode()]
    assert SMTP_PASSWORD.encode() not in envelope.original_content


def test_report_without_an_airflow_connection(smtp_server, busy_report):
    transport = PlainSmtpTransport("127.0.0.1", smtp_server.port, timeout=5)

    result = send_report(busy_report, "operatore@negozio.example; altro@negozio.example", transport=transport)

    assert result.sent and result.recipients == ("operatore@negozio.example", "altro@negozio.example")
    [message] = smtp_server.handler.messages()
    text, html, [attachment] = parts(message)
    assert message["Subject"].startswith("[Amazon → Passweb] it_main")
    assert attachment.get_filename().endswith(".csv")


def test_smtp_down_is_a_recorded_failure_not_an_exception(monkeypatch, busy_report):
    closed_port = free_port()  # nothing listens there any more
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", airflow_smtp_connection(closed_port))

    result = send_report(busy_report, OPERATORS, conn_id=CONN_ID, retry=QUICK_RETRY)

    assert result.status is SendStatus.FAILED and not result.sent
    assert result.attempts == QUICK_RETRY.attempts  # refused connections are retried, boundedly
    assert "ConnectionRefusedError" in result.reason
    assert result.recipients == tuple(OPERATORS)


def test_temporary_rejection_is_retried(smtp_server, smtp_connection, busy_report):
    smtp_server.handler.replies = ["451 4.3.0 riprova più tardi"]

    result = send_report(busy_report, OPERATORS, conn_id=smtp_connection, retry=QUICK_RETRY)

    assert result.sent and result.attempts == 2
    assert len(smtp_server.handler.received) == 1


def test_permanent_rejection_is_not_retried(smtp_server, smtp_connection, busy_report):
    smtp_server.handler.replies = ["554 5.7.1 messaggio rifiutato"] * 3

    result = send_report(busy_report, OPERATORS, conn_id=smtp_connection, retry=QUICK_RETRY)

    assert result.status is SendStatus.FAILED and result.attempts == 1
    assert "554" in result.reason
    assert smtp_server.handler.received == []


def test_a_refused_recipient_is_reported_and_the_others_get_it(smtp_server, smtp_connection, busy_report):
    smtp_server.handler.unknown_recipients = {OPERATORS[1]}

    result = send_report(busy_report, OPERATORS, conn_id=smtp_connection, retry=QUICK_RETRY)

    assert result.sent and result.refused == (OPERATORS[1],)
    [envelope] = smtp_server.handler.received
    assert envelope.rcpt_tos == [OPERATORS[0]]


def test_wrong_password_fails_without_revealing_it(smtp_server, monkeypatch, busy_report):
    wrong = "wrong-Pa55-also-secret"
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", airflow_smtp_connection(smtp_server.port, wrong))

    result = send_report(busy_report, OPERATORS, conn_id=CONN_ID, retry=QUICK_RETRY)

    assert result.status is SendStatus.FAILED and result.attempts == 1
    assert "SMTPAuthenticationError" in result.reason
    assert wrong not in result.reason and SMTP_PASSWORD not in result.reason


def test_unknown_connection_is_a_recorded_failure(busy_report):
    result = send_report(busy_report, OPERATORS, conn_id="smtp_does_not_exist", retry=QUICK_RETRY)

    assert result.status is SendStatus.FAILED and result.reason


def test_no_recipients_is_skipped(busy_report):
    result = send_report(busy_report, [" ", ""], conn_id="smtp_does_not_exist")

    assert result.status is SendStatus.SKIPPED and result.attempts == 0


def test_afn_incomplete_notice_to_the_administrator(smtp_server, smtp_connection, busy_report):
    notice = AfnIncompleteNotice.from_report(busy_report)
    assert [order.amazon_order_id for order in notice.orders] == ["171-0000003-0000003"]

    result = send_afn_incomplete_notice(notice, ["admin@negozio.example"], conn_id=smtp_connection)

    assert result.sent
    [message] = smtp_server.handler.messages()
    assert message["To"] == "admin@negozio.example"
    assert message["Subject"] == (
        "[Amazon → Passweb] it_main: 1 ordine Incompleto da Logistica Amazon da completare"
    )
    text, html, attachments = parts(message)
    assert attachments == []
    assert "- 171-0000003-0000003 del 26/11/2026 13:30 (ordine sito 10003)" in text
    assert "<td><bdi>171-0000003-0000003</bdi></td>" in html


def test_afn_notice_escapes_amazon_values_and_skips_when_empty():
    hostile = IncompleteAfnOrder("<b onmouseover=x>1</b>\x1b", when(26))
    notice = AfnIncompleteNotice("it_main", "Amazon <Italia>", (hostile,), run_id="r1")

    from amazon_passweb.notify import build_afn_incomplete_email

    content = build_afn_incomplete_email(notice)
    assert "<b onmouseover" not in content.html and "&lt;b onmouseover=x&gt;1&lt;/b&gt;" in content.html
    assert "Amazon &lt;Italia&gt;" in content.html and "\x1b" not in content.text

    empty = send_afn_incomplete_notice(AfnIncompleteNotice("it_main", "", ()), ["a@b.example"])
    assert empty.status is SendStatus.SKIPPED


@pytest.mark.parametrize("dry_run", [False, True])
def test_empty_report_still_renders_and_sends_when_asked(smtp_server, dry_run):
    # should_send() says no for such a run; sending it anyway must still work (e.g. a manual resend).
    transport = PlainSmtpTransport("127.0.0.1", smtp_server.port, timeout=5)
    result = send_report(make_report(dry_run=dry_run), ["operatore@negozio.example"], transport=transport)

    assert result.sent
    [message] = smtp_server.handler.messages()
    [attachment] = message.iter_attachments()
    assert attachment.get_payload(decode=True).decode("utf-8-sig").count("\r\n") == 1  # the header only
