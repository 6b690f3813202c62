"""A dry run: fetch and plan, write nothing, report what would happen.

Orders are read from Amazon and held in memory; the site database is only read
(customers, addresses, articles, orders already imported) and nothing is sent to
the gestionale. The report goes out marked as a trial ("PROVA").
"""

from __future__ import annotations

import logging
from datetime import datetime

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.config import AccountConfig, load_accounts
from amazon_passweb.importer import buyer
from amazon_passweb.importer.order_builder import OrderBuildError, build_rows
from amazon_passweb.importer.window import Window
from amazon_passweb.notify import ImportReport, OrderLine, Outcome, RunCounts, send_report, should_send
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)


def plan_order(uow, account: AccountConfig, order: AmazonOrder) -> OrderLine:
    line = {"amazon_order_id": order.amazon_order_id, "purchase_date": order.purchase_date,
            "total": order.order_total, "currency": order.currency}
    if order.marketplace_id not in account.marketplaces:
        skip = message(Kind.SKIPPED_MARKETPLACE, marketplace=order.marketplace_id, account=account.id)
        return OrderLine(**line, outcome=Outcome.SKIPPED, reason=skip.text)
    if order.status not in account.order_statuses:
        wanted = ", ".join(sorted(status.value for status in account.order_statuses))
        skip = message(Kind.SKIPPED_STATUS, status=order.status.value, wanted=wanted)
        return OrderLine(**line, outcome=Outcome.SKIPPED, reason=skip.text)
    existing = uow.orders.find(account.id, order.amazon_order_id)
    if existing is not None:
        number = f"{existing.sezionale}/{existing.number}"
        return OrderLine(**line, outcome=Outcome.SKIPPED, site_order_number=number,
                         reason=message(Kind.ALREADY_IMPORTED, site_order=number).text)
    try:
        built = build_rows(order, account, uow.articles)
    except OrderBuildError as error:
        return OrderLine(**line, outcome=Outcome.FAILED, reason=error.message.text, detail=error.message.detail)
    line["total"] = built.total_gross
    if buyer.lacks_buyer_data(order):
        outcome = Outcome.WOULD_CREATE if account.afn_placeholder_customer else Outcome.INCOMPLETE
        return OrderLine(**line, outcome=outcome, customer_code=account.afn_placeholder_customer)
    customer = buyer.customer(order, account.id)
    address = buyer.shipping_address(order)
    # the key the import itself uses: the email when it identifies the buyer, else the fallback identity
    found = (uow.customers.find_by_email(customer.email) if customer.match_email()
             else uow.customers.find_by_identity(customer, address))
    address_new = True
    if found is not None and address is not None:
        address_new = uow.customers.find_address(found.id, address) is None
    return OrderLine(**line, outcome=Outcome.WOULD_CREATE, customer_is_new=found is None,
                     customer_code=found.gestionale_code if found else None,
                     address_is_new=address_new if address is not None else None)


def plan_and_report(store: SiteStore, account: AccountConfig, window: Window, run_id: str,
                    watermark: datetime | None, client: OrdersClient, *, conn_id: str | None = None) -> dict:

    lines: list[OrderLine] = []
    fetched = 0
    with store.unit_of_work() as uow:
        for page in client.iter_pages(window.start, window.end, marketplace_ids=account.marketplaces):
            fetched += len(page)
            lines.extend(plan_order(uow, account, order) for order in page)
        uow.rollback()  # nothing of a dry run is ever kept
    count = {outcome: sum(1 for line in lines if line.outcome is outcome) for outcome in Outcome}
    report = ImportReport(
        account_id=account.id, account_description=account.description, run_id=run_id,
        run_kind=window.kind, window_start=window.start, window_end=window.end,
        watermark_before=watermark, watermark_after=watermark, dry_run=True, orders=tuple(lines),
        counts=RunCounts(fetched=fetched, selected=fetched - count[Outcome.SKIPPED],
                         skipped=count[Outcome.SKIPPED], failed=count[Outcome.FAILED],
                         created=count[Outcome.WOULD_CREATE] + count[Outcome.INCOMPLETE],
                         incomplete=count[Outcome.INCOMPLETE]),
    )
    for line in lines:
        log.info("dry run: %s → %s%s", line.amazon_order_id, line.outcome.value,
                 f" ({line.detail or line.reason})" if line.reason else "")
    status = "email non necessaria"
    if should_send(report):
        result = send_report(report, account.notification_emails, conn_id=conn_id or load_accounts().smtp_conn_id)
        status = f"email {result.status.value}"
    return {"fetched": fetched, "would_create": count[Outcome.WOULD_CREATE],
            "would_fail": count[Outcome.FAILED], "skipped": count[Outcome.SKIPPED], "email_status": status}
