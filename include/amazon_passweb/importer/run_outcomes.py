"""The run's report, read back from the site database: what this run did with each order.

The inbox history holds one line per step an order went through, tagged with the
Airflow run id; the furthest step of this run is the order's outcome. Only ids,
numbers, amounts and the gestionale code reach the report: no buyer data.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.config import AccountConfig
from amazon_passweb.importer.window import Window
from amazon_passweb.notify import ImportReport, OrderLine, Outcome, RunCounts
from amazon_passweb.notify.report import AfterImport, AfterImportLine
from amazon_passweb.orders.status import HistoryOutcome
from amazon_passweb.site.states import InboxStatus
from amazon_passweb.site.unit_of_work import SiteStore, UnitOfWork

# the history outcomes this report reads (orders.status.HistoryOutcome), by their short names
PUSHED, PUSH_FAILED = HistoryOutcome.PUSHED.value, HistoryOutcome.PUSH_FAILED.value
# what happened this run to an order imported earlier that changed on Amazon; its last such step counts
_AFTER_IMPORT = {
    HistoryOutcome.CANCELLED.value: AfterImport.PENDING,  # seen cancelled; applied by the push
    HistoryOutcome.CANCEL_PENDING.value: AfterImport.PENDING,
    HistoryOutcome.CANCEL_APPLIED.value: AfterImport.CANCELLED,
    HistoryOutcome.CANCEL_SHIPPED.value: AfterImport.AFTER_SHIPPING,
    HistoryOutcome.CANCEL_REQUEST.value: AfterImport.REQUESTED,
}
BATCH = 500  # orders described per round of queries

_OUTCOMES = {
    InboxStatus.SKIPPED.value: Outcome.SKIPPED,
    InboxStatus.WAITING.value: Outcome.SKIPPED,  # not imported this run; its reason says it waits for the address
    InboxStatus.FAILED.value: Outcome.FAILED,
    InboxStatus.REJECTED.value: Outcome.FAILED,
    InboxStatus.IMPORTED.value: Outcome.CREATED,
    InboxStatus.INCOMPLETE.value: Outcome.INCOMPLETE,
    PUSHED: Outcome.PUSHED,
    PUSH_FAILED: Outcome.FAILED,
}


def build_report(
    store: SiteStore,
    account: AccountConfig,
    run_id: str,
    window: Window,
    watermark_before: datetime | None,
    watermark_after: datetime | None,
    fetched: int,
) -> ImportReport:
    lines: list[OrderLine] = []
    with store.unit_of_work(read_only=True) as uow:
        last_step: dict[str, tuple[str, str | None, str | None]] = {}
        changed: dict[str, tuple[AfterImport, str]] = {}
        for step in uow.inbox.run_history(account.id, run_id):
            if step.outcome in _AFTER_IMPORT:
                changed[step.amazon_order_id] = (_AFTER_IMPORT[step.outcome], step.message or "")
            elif step.outcome in _OUTCOMES:
                last_step[step.amazon_order_id] = (step.outcome, step.message, step.detail)
        after_import = _after_import(uow, account, changed)
        ids = list(last_step)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            # A batch at a time, in a few queries: entries without their payload, the site orders
            # with their rows, the customers' gestionale codes (no buyer data decrypted for them).
            entries = uow.inbox.many(account.id, chunk, with_payload=False)
            orders = uow.orders.many(e.order_id for e in entries.values() if e.order_id)
            codes = uow.customers.gestionale_codes([o.customer_id for o in orders.values() if o.customer_id])
            # An order that never became a site order is described by its payload (date, total).
            payloads = uow.inbox.many(account.id, [i for i in chunk if not entries[i].order_id])
            for amazon_order_id in chunk:
                step, message, detail = last_step[amazon_order_id]
                entry = entries[amazon_order_id]
                order = orders.get(entry.order_id) if entry.order_id else None
                payload = payloads[amazon_order_id].payload if order is None else None
                purchase_date = (order.purchase_date if order and order.purchase_date
                                 else _purchase_date(payload, entry.last_update))
                outcome = _OUTCOMES[step]
                explained = outcome in (Outcome.SKIPPED, Outcome.FAILED, Outcome.INCOMPLETE)
                lines.append(OrderLine(
                    amazon_order_id=amazon_order_id,
                    purchase_date=purchase_date,
                    outcome=outcome,
                    total=order.total_gross if order else _total(payload),
                    currency=order.currency if order else (payload or {}).get("currency", "EUR"),
                    site_order_number=f"{order.sezionale}/{order.number}" if order else None,
                    gestionale_key=order.gestionale_document_key if order else None,
                    customer_code=(codes.get(order.customer_id) if order and order.customer_id else None)
                    or (account.afn_placeholder_customer if order and not order.customer_id else None),
                    customer_is_new=entry.customer_new if entry.customer_id else None,
                    address_is_new=entry.address_new if entry.shipping_address_id else None,
                    reason=message if explained else None,
                    detail=detail if explained else None,
                ))
    count = {outcome: sum(1 for line in lines if line.outcome is outcome) for outcome in Outcome}
    created = count[Outcome.CREATED] + count[Outcome.PUSHED] + count[Outcome.INCOMPLETE]
    return ImportReport(
        account_id=account.id,
        account_description=account.description,
        run_id=run_id,
        run_kind=window.kind,
        window_start=window.start,
        window_end=window.end,
        watermark_before=watermark_before,
        watermark_after=watermark_after,
        counts=RunCounts(
            fetched=fetched,
            selected=len(lines) - count[Outcome.SKIPPED],
            skipped=count[Outcome.SKIPPED],
            created=created,
            pushed=count[Outcome.PUSHED],
            failed=count[Outcome.FAILED],
            incomplete=count[Outcome.INCOMPLETE],
        ),
        orders=tuple(lines),
        after_import=after_import,
    )


def _after_import(uow: UnitOfWork, account: AccountConfig, changed: dict[str, tuple[AfterImport, str]]
                  ) -> tuple[AfterImportLine, ...]:
    entries = uow.inbox.many(account.id, list(changed), with_payload=False)
    orders = uow.orders.many(e.order_id for e in entries.values() if e.order_id)
    found = []
    for amazon_order_id, (event, text) in changed.items():
        entry = entries.get(amazon_order_id)
        order = orders.get(entry.order_id) if entry and entry.order_id else None
        found.append(AfterImportLine(
            amazon_order_id, event, text,
            site_order_number=f"{order.sezionale}/{order.number}" if order else None,
            gestionale_key=order.gestionale_document_key if order else None,
        ))
    return tuple(found)


def _purchase_date(payload: dict | None, fallback: datetime) -> datetime:
    try:
        return AmazonOrder.from_json(payload).purchase_date
    except (TypeError, KeyError, ValueError):
        return fallback


def _total(payload: dict | None) -> Decimal | None:
    try:
        return Decimal(payload["order_total"])
    except (TypeError, KeyError, ArithmeticError):
        return None
