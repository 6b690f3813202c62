"""Email content (subject, bodies, attachments) and the MIME message built from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from amazon_passweb.notify.csv_export import csv_filename, render_orders_csv
from amazon_passweb.notify.present import build_subject
from amazon_passweb.notify.render import render_report_html, render_report_text
from amazon_passweb.notify.report import ImportReport
from amazon_passweb.notify.sanitize import clean_text

MESSAGE_ID_DOMAIN = "amazon-passweb.local"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "text/csv"


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def build_report_email(report: ImportReport) -> EmailContent:
    return EmailContent(
        subject=build_subject(report),
        text=render_report_text(report),
        html=render_report_html(report),
        attachments=(Attachment(csv_filename(report), render_orders_csv(report)),),
    )


def build_mime_message(content: EmailContent, sender: str, recipients: Iterable[str]) -> EmailMessage:
    """multipart/mixed: a text/HTML alternative, then the attachments."""
    message = EmailMessage()
    message["Subject"] = clean_text(content.subject)  # never a line break: header injection
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=MESSAGE_ID_DOMAIN)
    # RFC 3834: out-of-office replies must not answer a robot.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    for attachment in content.attachments:
        maintype, subtype = attachment.mime_type.split("/", 1)
        params = {"charset": "utf-8"} if maintype == "text" else None
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return message
