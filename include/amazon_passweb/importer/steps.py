"""The import steps, each a plain function over the site store (and a client where it needs one).

Every step reads its input from the site database and writes its result there,
a batch of Amazon orders per transaction (a page of the fetch, up to ``BATCH``
inbox entries after it), so a step can be re-run after a crash. An order that
cannot go on is recorded as failed on its own and the rest of its batch goes
on: everything that can go wrong with one order is checked before the batch
writes. The inbox status says how far each order has come: new → selected |
skipped → reconciled | failed | waiting → imported | incomplete. A Pending order
without its address waits in the inbox, neither failed nor imported, until a
newer version (with the address) puts it back to new.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.config import AccountConfig
from amazon_passweb.importer import buyer, cancellations
from amazon_passweb.importer.article_lookup import ArticleLookup
from amazon_passweb.importer.order_builder import OrderBuildError, build_rows
from amazon_passweb.importer.window import Window
from amazon_passweb.notify.messages import IDENTITY_BASIS, Kind, OperatorMessage, message
from amazon_passweb.orders.document import document_sigla
from amazon_passweb.orders.identity import identity_basis
from amazon_passweb.orders.shipments import assumed_delivery
from amazon_passweb.orders.status import AmazonStatus, HistoryOutcome
from amazon_passweb.site.errors import UnidentifiableBuyer
from amazon_passweb.site.inbox import InboxItem, UpsertResult
from amazon_passweb.site.orders import check_rows
from amazon_passweb.site.records import (
    BuyerKey,
    InboxMark,
    InboxRecord,
    NewAddress,
    NewCustomer,
    NewOrder,
    ReconciledEntry,
)
from amazon_passweb.site.states import InboxStatus, OrderState
from amazon_passweb.site.unit_of_work import SiteStore, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchCounts:
    fetched: int
    inserted: int
    updated: int
    cancelled_after_import: tuple[str, ...]
    cancel_requests: tuple[str, ...] = ()


def fetch_into_inbox(store: SiteStore, pages: Iterable[list[AmazonOrder]], account: AccountConfig,
                     run_id: str) -> FetchCounts:
    """Store every fetched order in the inbox, one statement and one transaction per page.

    A newer version of an order already imported updates its latest Amazon
    status on the site order, and a cancellation or a buyer's request to cancel
    is recorded in the same transaction (``importer.cancellations``, domain.md §7)."""
    results: Counter[UpsertResult] = Counter()
    changed: dict[str, list[str]] = {cancellations.CANCELLED: [], cancellations.REQUESTED: []}
    for page in pages:
        with store.unit_of_work() as uow:
            page_results = uow.inbox.upsert_many(account.id, [
                InboxItem(
                    amazon_order_id=order.amazon_order_id,
                    last_update=order.last_update_date,
                    payload=order.to_json(),
                    marketplace_id=order.marketplace_id,
                    amazon_status=order.status.value,
                )
                for order in page
            ])
            results.update(page_results)
            updated = [order for order, result in zip(page, page_results, strict=True)
                       if result is UpsertResult.UPDATED]
            if updated:  # the page's status changes together: a few statements, not a few per order
                for amazon_order_id, change in cancellations.record_changes(uow, account, updated, run_id):
                    changed[change].append(amazon_order_id)
    counts = FetchCounts(sum(results.values()), results[UpsertResult.INSERTED], results[UpsertResult.UPDATED],
                         tuple(changed[cancellations.CANCELLED]), tuple(changed[cancellations.REQUESTED]))
    log.info("inbox: %d orders fetched, %d new, %d updated, %d cancelled after import, %d cancellations asked",
             counts.fetched, counts.inserted, counts.updated, len(counts.cancelled_after_import),
             len(counts.cancel_requests))
    return counts


def select_by_status(store: SiteStore, account: AccountConfig, run_id: str) -> Counter[str]:
    """Keep the orders in the account's statuses and marketplaces; earlier failures are retried."""
    wanted = {status.value for status in account.order_statuses}
    wanted_text = ", ".join(sorted(wanted))
    outcome: Counter[str] = Counter()
    # the status and marketplace are columns of the entry: no payload is decrypted or parsed here
    for batch in _batches(store, account, InboxStatus.NEW, InboxStatus.FAILED, with_payload=False):
        marks = []
        for entry in batch:
            if entry.marketplace_id not in account.marketplaces:
                skip = message(Kind.SKIPPED_MARKETPLACE, marketplace=entry.marketplace_id, account=account.id)
                marks.append(InboxMark(entry.amazon_order_id, InboxStatus.SKIPPED, skip.text))
            elif entry.amazon_status not in wanted:
                skip = message(Kind.SKIPPED_STATUS, status=entry.amazon_status, wanted=wanted_text)
                marks.append(InboxMark(entry.amazon_order_id, InboxStatus.SKIPPED, skip.text))
            else:
                marks.append(InboxMark(entry.amazon_order_id, InboxStatus.SELECTED))
        with store.unit_of_work() as uow:
            uow.inbox.mark_many(account.id, marks, run_id=run_id)
        outcome.update(mark.status.value for mark in marks)
    log.info("selection: %d selected, %d skipped", outcome["selected"], outcome["skipped"])
    return outcome


@dataclass(frozen=True)
class _Buyer:
    amazon_order_id: str
    customer: NewCustomer
    key: BuyerKey
    address: NewAddress | None


def reconcile_selected(store: SiteStore, account: AccountConfig, run_id: str) -> Counter[str]:
    """Find or create each selected order's customer and shipping address, never changing existing ones.

    An order that cannot become a site order (unknown SKU, totals that do not
    add up, unidentifiable buyer) fails here, before any customer is created; a
    Pending order without its address waits here for the version that has it."""
    outcome: Counter[str] = Counter()
    articles = ArticleLookup()
    for batch in _batches(store, account, InboxStatus.SELECTED):
        with store.unit_of_work() as uow:
            failures: list[InboxMark] = []
            waiting: list[InboxMark] = []
            without_buyer: list[ReconciledEntry] = []
            buyers: list[_Buyer] = []
            for entry in batch:
                try:
                    order = AmazonOrder.from_json(entry.payload)
                    if buyer.awaits_address(order):
                        waits = message(Kind.PENDING_WITHOUT_ADDRESS, status=order.status.value)
                        waiting.append(InboxMark(order.amazon_order_id, InboxStatus.WAITING, waits.text))
                        continue
                    build_rows(order, account, articles.using(uow.articles))
                    if buyer.lacks_buyer_data(order):
                        if not order.is_afn:
                            raise OrderBuildError(Kind.NO_BUYER_DATA,
                                                  "Amazon gave neither buyer name nor shipping address")
                        without_buyer.append(ReconciledEntry(order.amazon_order_id))
                        continue
                    customer, address = buyer.customer(order, account.id), buyer.shipping_address(order)
                    buyers.append(_Buyer(order.amazon_order_id, customer, uow.customers.buyer_key(customer, address),
                                         address))
                except OrderBuildError as error:
                    failures.append(_failure(entry.amazon_order_id, error.message))
                except UnidentifiableBuyer as error:
                    failures.append(_failure(entry.amazon_order_id,
                                             message(Kind.UNIDENTIFIABLE_BUYER, detail=str(error))))
                except UNEXPECTED as error:
                    failures.append(_unexpected_failure(entry.amazon_order_id, error))
            with_buyer = _find_or_create_buyers(uow, buyers)
            uow.inbox.mark_many(account.id, failures + waiting, run_id=run_id)
            uow.inbox.mark_reconciled_many(account.id, without_buyer + with_buyer, run_id=run_id)
            uow.inbox.add_history_many(account.id, _recognised_by_identity(buyers, with_buyer), run_id=run_id)
        outcome["failed"] += len(failures)
        outcome["waiting"] += len(waiting)
        outcome["afn_without_buyer"] += len(without_buyer)
        outcome["reconciled"] += len(with_buyer)
        outcome.update("customer_new" if entry.customer_new else "customer_existing" for entry in with_buyer)
    log.info("reconcile: %s", dict(outcome))
    return outcome


def _find_or_create_buyers(uow: UnitOfWork, buyers: list[_Buyer]) -> list[ReconciledEntry]:
    customers = uow.customers.get_or_create_many([(b.customer, b.key) for b in buyers])
    with_address = [(c.id, b.address) for b, c in zip(buyers, customers, strict=True) if b.address is not None]
    addresses = iter(uow.customers.get_or_add_addresses(with_address))
    reconciled = []
    for b, c in zip(buyers, customers, strict=True):
        address = next(addresses) if b.address is not None else None
        reconciled.append(ReconciledEntry(b.amazon_order_id, c.id, c.created, address.id if address else None,
                                          bool(address and address.created)))
    return reconciled


def _recognised_by_identity(buyers: list[_Buyer], reconciled: list[ReconciledEntry]) -> list[tuple[str, str, str]]:
    """A history note on each order attached to an existing customer without an email to say so:
    the operator can check that name and address (or VAT number) really are that customer's."""
    notes = []
    for b, entry in zip(buyers, reconciled, strict=True):
        if b.key.matched_by == "identity" and not entry.customer_new:
            basis = IDENTITY_BASIS[identity_basis(b.customer.identity(b.address))]
            recognised = message(Kind.CUSTOMER_BY_IDENTITY, basis=basis).text
            notes.append((b.amazon_order_id, HistoryOutcome.RECOGNISED.value, recognised))
    return notes


def create_site_orders(store: SiteStore, account: AccountConfig, run_id: str, import_run_id: int | None
                       ) -> Counter[str]:
    """One site order per reconciled Amazon order (Registrato, or Incompleto da Logistica Amazon
    for an AFN order without buyer data and no placeholder), a batch per transaction."""
    outcome: Counter[str] = Counter()
    articles = ArticleLookup()
    for batch in _batches(store, account, InboxStatus.RECONCILED):
        with store.unit_of_work() as uow:
            failures: list[InboxMark] = []
            new_orders: list[NewOrder] = []
            for entry in batch:
                try:
                    new_orders.append(_new_order(entry, account, articles.using(uow.articles), import_run_id))
                except OrderBuildError as error:  # the articles changed since reconcile
                    failures.append(_failure(entry.amazon_order_id, error.message))
                except UNEXPECTED as error:
                    failures.append(_unexpected_failure(entry.amazon_order_id, error))
            outcome["failed"] += len(failures)
            marks, seen_again = list(failures), []
            for new, site in zip(new_orders, uow.orders.create_many(new_orders), strict=True):
                status = InboxStatus.INCOMPLETE if site.state is OrderState.INCOMPLETO_AFN else InboxStatus.IMPORTED
                text = _created_text(site.sezionale, site.number, site.state, site.created)
                marks.append(InboxMark(new.amazon_order_id, status, text, site.id))
                if site.created and new.amazon_status == AmazonStatus.SHIPPED.value:
                    # Shipped before import (by Amazon for AFN): no confirmation of ours will end it.
                    uow.orders.end_life(site.id, assumed_delivery(
                        datetime.now(UTC), account.shipments.delivery_margin_days))
                if not site.created:  # seen again (a newer version of an incomplete AFN order): nothing new
                    seen_again.append((new.amazon_order_id, InboxStatus.SKIPPED.value, text))
                outcome[status.value] += 1
                outcome["created" if site.created else "already_present"] += 1
            uow.inbox.mark_many(account.id, marks, run_id=run_id)
            uow.inbox.add_history_many(account.id, seen_again, run_id=run_id)
    log.info("site orders: %s", dict(outcome))
    return outcome


def release_incomplete_afn(store: SiteStore, account: AccountConfig, run_id: str) -> int:
    """Once the account has an ``afn_placeholder_customer``, its orders still Incompleto da Logistica
    Amazon (imported before it was configured) go to it: Registrato, pushed by this run's push."""
    if not account.afn_placeholder_customer:
        return 0
    released = 0
    while True:
        with store.unit_of_work() as uow:
            waiting = uow.orders.by_state(OrderState.INCOMPLETO_AFN, account=account.id, limit=BATCH)
            marks = []
            for order in waiting:
                uow.orders.complete_afn(order.id, None, None)
                done = message(Kind.AFN_RELEASED, customer=account.afn_placeholder_customer,
                               site_order=f"{order.sezionale}/{order.number}")
                marks.append(InboxMark(order.amazon_order_id, InboxStatus.IMPORTED, done.text, order.id))
            uow.inbox.mark_many(account.id, marks, run_id=run_id)
        released += len(waiting)
        if len(waiting) < BATCH:
            break
    if released:
        log.info("%d incomplete AFN orders released to the placeholder customer", released)
    return released


def _created_text(sezionale: int, number: int, state: OrderState, created: bool) -> str:
    site_order = f"{sezionale}/{number}"
    if not created:
        return message(Kind.SITE_ORDER_PRESENT, site_order=site_order, state=state.value).text
    if state is OrderState.INCOMPLETO_AFN:
        return message(Kind.AFN_INCOMPLETE, site_order=site_order).text
    return message(Kind.SITE_ORDER_CREATED, site_order=site_order, state=state.value).text


def _failure(amazon_order_id: str, reason: OperatorMessage) -> InboxMark:
    """A per-order failure: the Italian reason for the operator, its technical detail also to the log."""
    log.warning("order %s not imported (%s): %s", amazon_order_id, reason.kind.value, reason.detail or reason.text)
    return InboxMark(amazon_order_id, InboxStatus.FAILED, reason.text, detail=reason.detail)


def _new_order(entry: InboxRecord, account: AccountConfig, articles: ArticleLookup, import_run_id: int | None
               ) -> NewOrder:
    order = AmazonOrder.from_json(entry.payload)
    built = build_rows(order, account, articles)
    incomplete = entry.customer_id is None and not account.afn_placeholder_customer
    new = NewOrder(
        account=account.id,
        marketplace_id=order.marketplace_id,
        amazon_order_id=order.amazon_order_id,
        sezionale=account.orders_series,
        sigla=document_sigla(buyer.is_company(order)),
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
    )
    check_rows(new.rows)  # a malformed row fails this order here, not its whole batch
    return new


BATCH = 200
PROGRESS_EVERY = 5_000  # a large backfill logs how far each step has come

# What bad data in one order can raise where no rule above foresaw it: that order fails with the
# reason and the batch goes on. Database errors are none of these: they still fail the task.
UNEXPECTED = (ValueError, ArithmeticError, LookupError, TypeError, AttributeError)


def _unexpected_failure(amazon_order_id: str, error: Exception) -> InboxMark:
    """An unforeseen per-order error as the order's failure; the traceback goes to the log
    (a programming error must stay visible), only the error's type to the order's history."""
    log.exception("order %s: unexpected %s, recorded as the order's failure", amazon_order_id,
                  type(error).__name__)
    reason = message(Kind.UNEXPECTED, error_type=type(error).__name__, detail=type(error).__name__)
    return InboxMark(amazon_order_id, InboxStatus.FAILED, reason.text, detail=reason.detail)


def _batches(store: SiteStore, account: AccountConfig, *statuses: InboxStatus, with_payload: bool = True
             ) -> Iterator[list[InboxRecord]]:
    """The account's entries in ``statuses``, a batch at a time, oldest update first (memory stays
    flat in the inbox size). Each status is paged from where its last batch ended, so a batch costs
    the same at the start and at the end of a large inbox. Progress goes to the task log."""
    seen = 0
    for status in statuses:
        after = None
        while True:
            with store.unit_of_work(read_only=True) as uow:
                batch = uow.inbox.entries(account.id, statuses=[status], limit=BATCH, after=after,
                                          with_payload=with_payload)
            if not batch:
                break
            if (seen + len(batch)) // PROGRESS_EVERY > seen // PROGRESS_EVERY:
                log.info("%s orders: %d so far", "/".join(s.value for s in statuses), seen + len(batch))
            seen += len(batch)
            yield batch
            after = batch[-1].position


def window_summary(window: Window) -> dict:
    return {"window_start": window.start.isoformat(), "window_end": window.end.isoformat(),
            "kind": window.kind.value}
