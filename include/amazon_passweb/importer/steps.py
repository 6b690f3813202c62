"""The import steps, each a plain function over the site store (and a client where it needs one).

Every step reads its input from the site database and writes its result there,
one Amazon order per transaction, so a step can be re-run after a crash and one
order's failure never undoes another's. The inbox status says how far each
order has come: new → selected | skipped → reconciled | failed → imported |
incomplete.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.config import AccountConfig, AmazonStatus
from amazon_passweb.importer import buyer
from amazon_passweb.importer.article_lookup import ArticleLookup
from amazon_passweb.importer.order_builder import OrderBuildError, build_rows
from amazon_passweb.importer.window import Window
from amazon_passweb.site.errors import UnidentifiableBuyer
from amazon_passweb.site.inbox import InboxItem, UpsertResult
from amazon_passweb.site.records import InboxRecord, NewOrder
from amazon_passweb.site.states import DocumentSigla, InboxStatus, OrderState
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchCounts:
    fetched: int
    inserted: int
    updated: int
    cancelled_after_import: tuple[str, ...]


def fetch_into_inbox(store: SiteStore, pages: Iterable[list[AmazonOrder]], account: AccountConfig,
                     run_id: str) -> FetchCounts:
    """Store every fetched order in the inbox, one transaction per page.

    A newer version of an order already imported updates its latest Amazon
    status on the site order; a cancellation after import is returned so the
    report flags it (domain.md §7)."""
    results: Counter[UpsertResult] = Counter()
    cancelled: list[str] = []
    for page in pages:
        with store.unit_of_work() as uow:
            for order in page:
                result = uow.inbox.upsert(account.id, InboxItem(
                    amazon_order_id=order.amazon_order_id,
                    last_update=order.last_update_date,
                    payload=order.to_json(),
                    marketplace_id=order.marketplace_id,
                    amazon_status=order.status.value,
                ))
                results[result] += 1
                if result is UpsertResult.UPDATED:
                    site_order = uow.orders.find(account.id, order.amazon_order_id)
                    if site_order and site_order.amazon_status_latest != order.status.value:
                        uow.orders.record_amazon_status(site_order.id, order.status.value)
                        if order.status is AmazonStatus.CANCELLED:
                            cancelled.append(order.amazon_order_id)
                            uow.inbox.add_history(
                                account.id, order.amazon_order_id, run_id=run_id, outcome="cancelled",
                                message="annullato su Amazon dopo l'importazione: verificare il documento",
                            )
    counts = FetchCounts(sum(results.values()), results[UpsertResult.INSERTED], results[UpsertResult.UPDATED],
                         tuple(cancelled))
    log.info("inbox: %d orders fetched, %d new, %d updated, %d cancelled after import",
             counts.fetched, counts.inserted, counts.updated, len(cancelled))
    return counts


def select_by_status(store: SiteStore, account: AccountConfig, run_id: str) -> Counter[str]:
    """Keep the orders in the account's statuses and marketplaces; earlier failures are retried."""
    wanted = {status.value for status in account.order_statuses}
    wanted_text = ", ".join(sorted(wanted))
    outcome: Counter[str] = Counter()
    for entry in _entries(store, account, InboxStatus.NEW, InboxStatus.FAILED):
        with store.unit_of_work() as uow:
            if entry.marketplace_id not in account.marketplaces:
                status, message = InboxStatus.SKIPPED, (
                    f"marketplace {entry.marketplace_id} non collegato all'account {account.id}")
            elif entry.amazon_status not in wanted:
                status, message = InboxStatus.SKIPPED, (
                    f"stato Amazon {entry.amazon_status} non tra gli stati importati ({wanted_text})")
            else:
                status, message = InboxStatus.SELECTED, None
            uow.inbox.mark(account.id, entry.amazon_order_id, status, run_id=run_id, message=message)
            outcome[status.value] += 1
    log.info("selection: %d selected, %d skipped", outcome["selected"], outcome["skipped"])
    return outcome


def reconcile_selected(store: SiteStore, account: AccountConfig, run_id: str) -> Counter[str]:
    """Find or create each selected order's customer and shipping address, never changing existing ones.

    An order that cannot become a site order (unknown SKU, totals that do not
    add up, unidentifiable buyer) fails here, before any customer is created."""
    outcome: Counter[str] = Counter()
    articles = ArticleLookup()
    for entry in _entries(store, account, InboxStatus.SELECTED):
        with store.unit_of_work() as uow:
            try:
                order = AmazonOrder.from_json(entry.payload)
                build_rows(order, account, articles.using(uow.articles))
                if buyer.lacks_buyer_data(order):
                    if not order.is_afn:
                        raise OrderBuildError("Amazon gave neither buyer name nor shipping address")
                    uow.inbox.mark_reconciled(account.id, order.amazon_order_id, run_id=run_id)
                    outcome["afn_without_buyer"] += 1
                    continue
                match = uow.customers.get_or_create(
                    buyer.customer(order, account.id), address := buyer.shipping_address(order))
                address_match = (uow.customers.get_or_add_address(match.customer.id, address)
                                 if address is not None else None)
            except (OrderBuildError, UnidentifiableBuyer) as error:
                uow.rollback()
                uow.inbox.mark(account.id, entry.amazon_order_id, InboxStatus.FAILED, run_id=run_id,
                               message=str(error))
                outcome["failed"] += 1
                continue
            except UNEXPECTED as error:
                _fail_unexpected(uow, account, entry.amazon_order_id, run_id, error)
                outcome["failed"] += 1
                continue
            uow.inbox.mark_reconciled(
                account.id, order.amazon_order_id, run_id=run_id,
                customer_id=match.customer.id, customer_new=match.created,
                address_id=address_match.address.id if address_match else None,
                address_new=bool(address_match and address_match.created),
            )
            outcome["customer_new" if match.created else "customer_existing"] += 1
            outcome["reconciled"] += 1
    log.info("reconcile: %s", dict(outcome))
    return outcome


def create_site_orders(store: SiteStore, account: AccountConfig, run_id: str, import_run_id: int | None
                       ) -> Counter[str]:
    """One site order per reconciled Amazon order, in its own transaction (Registrato, or
    Incompleto da Logistica Amazon for an AFN order without buyer data and no placeholder)."""
    outcome: Counter[str] = Counter()
    articles = ArticleLookup()
    for entry in _entries(store, account, InboxStatus.RECONCILED):
        with store.unit_of_work() as uow:
            try:
                order = AmazonOrder.from_json(entry.payload)
                built = build_rows(order, account, articles.using(uow.articles))
            except OrderBuildError as error:  # the articles changed since reconcile
                uow.inbox.mark(account.id, entry.amazon_order_id, InboxStatus.FAILED, run_id=run_id,
                               message=str(error))
                outcome["failed"] += 1
                continue
            except UNEXPECTED as error:
                _fail_unexpected(uow, account, entry.amazon_order_id, run_id, error)
                outcome["failed"] += 1
                continue
            incomplete = entry.customer_id is None and not account.afn_placeholder_customer
            creation = uow.orders.create(NewOrder(
                account=account.id,
                marketplace_id=order.marketplace_id,
                amazon_order_id=order.amazon_order_id,
                sezionale=account.orders_series,
                sigla=DocumentSigla.OC if buyer.is_company(order) else DocumentSigla.OX,
                fulfillment=order.fulfillment_channel.value,
                amazon_status=order.status.value,
                currency=order.currency,
                total_gross=built.total_gross,
                rows=built.rows,
                customer_id=entry.customer_id,
                shipping_address_id=entry.shipping_address_id,
                purchase_date=order.purchase_date,
                state=OrderState.INCOMPLETO_AFN if incomplete else OrderState.REGISTRATO,
                import_run_id=import_run_id,
            ))
            site = creation.order
            incomplete = site.state is OrderState.INCOMPLETO_AFN
            status = InboxStatus.INCOMPLETE if incomplete else InboxStatus.IMPORTED
            message = (f"ordine sito {site.sezionale}/{site.number} "
                       f"{'creato' if creation.created else 'già presente'} ({site.state.value})")
            uow.inbox.mark(account.id, order.amazon_order_id, status, run_id=run_id, message=message,
                           order_id=site.id)
            if not creation.created:  # seen again (a newer version of an incomplete AFN order): nothing new
                uow.inbox.add_history(account.id, order.amazon_order_id, run_id=run_id,
                                      outcome=InboxStatus.SKIPPED.value, message=message)
            outcome[status.value] += 1
            outcome["created" if creation.created else "already_present"] += 1
    log.info("site orders: %s", dict(outcome))
    return outcome


BATCH = 200

# What bad data in one order can raise where no rule above foresaw it: that order fails with the
# reason and the batch goes on. Database errors are none of these: they still fail the task.
UNEXPECTED = (ValueError, ArithmeticError, LookupError, TypeError, AttributeError)


def _fail_unexpected(uow, account: AccountConfig, amazon_order_id: str, run_id: str,
                     error: Exception) -> None:
    """Record an unforeseen per-order error as the order's failure; the traceback goes to the log
    (a programming error must stay visible), only the error's type to the order's history."""
    log.exception("order %s: unexpected %s, recorded as the order's failure", amazon_order_id,
                  type(error).__name__)
    uow.rollback()
    uow.inbox.mark(account.id, amazon_order_id, InboxStatus.FAILED, run_id=run_id,
                   message=f"errore imprevisto ({type(error).__name__}) nell'elaborazione dell'ordine: "
                           "dettagli nel log del task; l'ordine viene ritentato alla prossima esecuzione")


def _entries(store: SiteStore, account: AccountConfig, *statuses: InboxStatus) -> Iterator[InboxRecord]:
    """The account's entries in ``statuses``, a batch at a time (memory stays flat in the inbox size).
    Each caller moves every entry it is given out of ``statuses``, so the next batch is new work."""
    while True:
        with store.unit_of_work() as uow:
            batch = uow.inbox.entries(account.id, statuses=statuses, limit=BATCH)
        if not batch:
            return
        yield from batch


def window_summary(window: Window) -> dict:
    return {"window_start": window.start.isoformat(), "window_end": window.end.isoformat(),
            "kind": window.kind.value}
