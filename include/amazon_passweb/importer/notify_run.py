"""End of a run: the operator's report and, for AFN orders left incomplete, the administrator's notice.

A failed email is recorded with the run and never fails or undoes the import.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from amazon_passweb.config import AccountConfig, load_accounts
from amazon_passweb.importer.run_outcomes import build_report
from amazon_passweb.importer.shipments import shipment_report
from amazon_passweb.importer.window import Window
from amazon_passweb.notify import (
    AfnIncompleteNotice,
    SendResult,
    SendStatus,
    send_afn_incomplete_notice,
    send_report,
    should_send,
)
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)


def send_run_report(
    store: SiteStore,
    account: AccountConfig,
    run_id: str,
    window: Window,
    watermark_before: datetime | None,
    watermark_after: datetime | None,
    fetched: int,
    *,
    notes: tuple[str, ...] = (),
    conn_id: str | None = None,
    shipments: dict | None = None,
) -> dict:
    """``notes``: what went wrong with the run as a whole (a failed push), shown above the orders.
    ``conn_id``: the SMTP connection (default: the accounts file's, read here). ``shipments``: the
    shipment confirmation's counts (its task's ``shipments_*`` summary values), when it ran."""
    report = build_report(store, account, run_id, window, watermark_before, watermark_after, fetched)
    shipped = shipment_report(store, account, shipments or {})
    if shipped is not None and shipped.gestionale_failed:
        notes = (*notes, message(Kind.SHIPMENTS_GESTIONALE_FAILED).text)
    if notes or shipped is not None:
        report = replace(report, notes=(*notes, *report.notes), shipments=shipped)
    counts = report.counts
    log.info("run %s of %s: %d fetched, %d selected, %d skipped, %d created, %d pushed, %d failed, "
             "%d incomplete", run_id, account.id, counts.fetched, counts.selected, counts.skipped,
             counts.created, counts.pushed, counts.failed, counts.incomplete)
    conn_id = conn_id or load_accounts().smtp_conn_id
    status = "email non necessaria (nessun ordine importato, nessun errore)"
    if notes or should_send(report):
        result = send_report(report, account.notification_emails, conn_id=conn_id)
        status = sent_status("email", result)
        log.info("report email to %d recipient(s): %s (%s)", len(account.notification_emails),
                 result.status.value, result.reason or "")
    notice = AfnIncompleteNotice.from_report(report)
    if notice.orders:
        afn = send_afn_incomplete_notice(notice, account.admin_emails, conn_id=conn_id)
        log.info("AFN incomplete notice (%d orders): %s", len(notice.orders), afn.status.value)
        status += "; " + sent_status("avviso AFN", afn)
    return {"email_status": status, **{f"report_{k}": v for k, v in vars(counts).items()}}


def sent_status(what: str, result: SendResult) -> str:
    """How the run record (shown on the accounts page) says whether an email went out."""
    if result.status is SendStatus.SENT:
        return message(Kind.EMAIL_SENT, what=what).text
    return message(Kind.EMAIL_NOT_SENT, what=what, reason=result.reason or result.status.value).text
