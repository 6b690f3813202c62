"""The import-run report: a plain data model, its Italian HTML/text/CSV rendering, and sending it.

Typical use at the end of an account's run::

    report = ImportReport(...)
    if should_send(report):
        result = send_report(report, account.notification_emails, conn_id=accounts.smtp_conn_id)
        # record result.status / result.reason with the run; a failure never raises

Personal data: the emails name no buyer (no name, email, phone or address). An
order is identified by its Amazon id, site number and gestionale document; the
customer by "nuovo"/"esistente" and its gestionale account code.

No database and no Airflow here: the emails read plain data (the sync email reads the sync
report through the protocols of ``sync_email.py``), and only ``hook.py`` touches Airflow, for
the SMTP connection, when an email is sent. ``formatting.py`` formats moments and amounts for
the emails and the operator pages alike.
"""

from amazon_passweb.notify.afn import AfnIncompleteNotice, IncompleteAfnOrder, build_afn_incomplete_email
from amazon_passweb.notify.csv_export import render_orders_csv
from amazon_passweb.notify.hook import AirflowSmtpTransport
from amazon_passweb.notify.message import Attachment, EmailContent, build_mime_message, build_report_email
from amazon_passweb.notify.present import build_subject
from amazon_passweb.notify.render import render_report_html, render_report_text
from amazon_passweb.notify.report import (
    ImportReport,
    OrderLine,
    Outcome,
    RunCounts,
    RunKind,
    ShipmentLine,
    ShipmentReport,
    should_send,
)
from amazon_passweb.notify.sending import (
    RetryPolicy,
    SendResult,
    SendStatus,
    send_afn_incomplete_notice,
    send_email,
    send_report,
)
from amazon_passweb.notify.transport import DEFAULT_SMTP_CONN_ID, Delivery, MailTransport, PlainSmtpTransport

__all__ = [
    "DEFAULT_SMTP_CONN_ID",
    "AfnIncompleteNotice",
    "AirflowSmtpTransport",
    "Attachment",
    "Delivery",
    "EmailContent",
    "ImportReport",
    "IncompleteAfnOrder",
    "MailTransport",
    "OrderLine",
    "Outcome",
    "PlainSmtpTransport",
    "RetryPolicy",
    "RunCounts",
    "ShipmentLine",
    "ShipmentReport",
    "RunKind",
    "SendResult",
    "SendStatus",
    "build_afn_incomplete_email",
    "build_mime_message",
    "build_report_email",
    "build_subject",
    "render_orders_csv",
    "render_report_html",
    "render_report_text",
    "send_afn_incomplete_notice",
    "send_email",
    "send_report",
    "should_send",
]
