"""Imported orders that change on Amazon: cancellations and buyers' requests to cancel (domain.md §7).

Two halves, so that each event happens exactly once:

- :func:`record_changes`, inside the fetch's transaction, when newer versions of imported orders
  arrive (a page at a time). A Registrato order Amazon cancelled becomes Annullato there and then
  (the push, which takes Registrato orders only, never sees it). An order already in the
  gestionale gets a ``pending`` cancellation: the intent, stored before anything is asked of the
  gestionale. A buyer's request is flagged. Seen again (the same version re-read, or a later
  one), nothing is recorded twice.
- :func:`apply_cancellations`, with the gestionale client, before the push: each pending one is
  either annulled (every row of its document set to annullata, the document kept) or, when a
  delivery document already evades it, left as it is for the operator to handle the return. The
  outcome and the order's state are written in one transaction after the gestionale answered; a
  crash or a lost answer before that leaves it pending, and the next attempt finds the rows
  already annullate (the revision is idempotent) or sends it again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.cancellation import annul_rows, evading_movements
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import GestionaleError, GestionaleUnavailable, PushStopped
from amazon_passweb.importer.write_lease import exclusive_writes, lease_holder
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.orders.cancellation import (
    CLOSED_STATES,
    NOT_SENT_STATES,
    AmazonCancel,
    buyer_request_open,
    on_amazon_cancel,
)
from amazon_passweb.orders.shipments import assumed_delivery
from amazon_passweb.orders.status import AmazonStatus, HistoryOutcome, OrderState
from amazon_passweb.site.cancellations import CancellationStatus
from amazon_passweb.site.records import OrderRecord
from amazon_passweb.site.unit_of_work import SiteStore, UnitOfWork

log = logging.getLogger(__name__)

CANCELLED, REQUESTED = "cancelled", "requested"
# States an order in the gestionale may be in when its rows are annulled (ship-flow's included).
IN_GESTIONALE = [state for state in OrderState if state not in CLOSED_STATES | NOT_SENT_STATES]


# What one order's change recorded: the change, and its history entry (outcome, message).
_Step = tuple[str, HistoryOutcome, str]


def record_changes(uow: UnitOfWork, account: AccountConfig, orders: Sequence[AmazonOrder], run_id: str
                   ) -> list[tuple[str, str]]:
    """Newer versions of a page of orders (each once): for those imported, record their Amazon status
    and what changed, in a few statements for the whole page (not a handful per order). Returns
    ``(amazon_order_id, change)`` in page order, ``change`` being ``"cancelled"`` (Amazon cancelled
    it, first seen now) or ``"requested"`` (the buyer asked to cancel, first seen now)."""
    sites = uow.orders.find_many(account.id, [order.amazon_order_id for order in orders])
    imported = [(order, sites[order.amazon_order_id]) for order in orders if order.amazon_order_id in sites]
    statuses = {site.id: order.status.value for order, site in imported
                if site.amazon_status_latest != order.status.value}
    uow.orders.record_amazon_statuses(statuses)
    # shipped elsewhere (AFN, another tool): life ends
    uow.orders.end_life_many([site.id for order, site in imported
                              if site.id in statuses and order.status is AmazonStatus.SHIPPED],
                             assumed_delivery(datetime.now(UTC), account.shipments.delivery_margin_days))
    cancelled = [(order, site) for order, site in imported if order.status is AmazonStatus.CANCELLED]
    requested = [(order, site) for order, site in imported if order.status is not AmazonStatus.CANCELLED
                 and order.buyer_cancel_requested and buyer_request_open(order.status, site.state)]
    steps = _cancelled(uow, account, cancelled) | _requested(uow, account, requested)
    # one INSERT for the page's history, in page order as one order at a time wrote it
    in_order = [(order.amazon_order_id, steps[order.amazon_order_id]) for order in orders
                if order.amazon_order_id in steps]
    uow.inbox.add_history_many(account.id, [(amazon_order_id, outcome.value, text)
                                            for amazon_order_id, (_, outcome, text) in in_order], run_id=run_id)
    return [(amazon_order_id, change) for amazon_order_id, (change, _, _) in in_order]


def _cancelled(uow: UnitOfWork, account: AccountConfig, cancelled: list[tuple[AmazonOrder, OrderRecord]]
               ) -> dict[str, _Step]:
    """Amazon cancelled these imported orders. Not sent yet: Annullato at once; in the gestionale: a
    pending cancellation; already closed, or recorded before: nothing."""
    actions = {site.id: (site, on_amazon_cancel(site.state)) for _, site in cancelled}
    recorded = uow.cancellations.record_cancelled_many(account.id, {
        order_id: CancellationStatus.APPLIED if action is AmazonCancel.NOT_SENT else CancellationStatus.PENDING
        for order_id, (_, action) in actions.items() if action is not AmazonCancel.NOTHING})
    not_sent = [order_id for order_id in recorded if actions[order_id][1] is AmazonCancel.NOT_SENT]
    uow.orders.set_state_many(not_sent, OrderState.ANNULLATO, expected=NOT_SENT_STATES)
    steps: dict[str, _Step] = {}
    for order_id in recorded:
        site, action = actions[order_id]
        steps[site.amazon_order_id] = (
            (CANCELLED, HistoryOutcome.CANCEL_APPLIED, message(Kind.CANCELLED_NOT_SENT).text)
            if action is AmazonCancel.NOT_SENT else
            (CANCELLED, HistoryOutcome.CANCELLED, message(Kind.CANCELLED_AFTER_IMPORT).text))
    return steps


def _requested(uow: UnitOfWork, account: AccountConfig, requested: list[tuple[AmazonOrder, OrderRecord]]
               ) -> dict[str, _Step]:
    """The buyers asked to cancel these imported orders, still unshipped: flagged, the first time only."""
    orders = {site.id: (order, site) for order, site in requested}
    recorded = uow.cancellations.record_requests_many(
        account.id, {order_id: order.buyer_cancel_reason for order_id, (order, _) in orders.items()})
    steps: dict[str, _Step] = {}
    for order_id in recorded:
        order, site = orders[order_id]
        text = message(Kind.CANCEL_REQUESTED, reason=order.buyer_cancel_reason or "motivo non indicato").text
        steps[site.amazon_order_id] = (REQUESTED, HistoryOutcome.CANCEL_REQUEST, text)
    return steps


def _history(uow: UnitOfWork, account: AccountConfig, site: OrderRecord, run_id: str, outcome: HistoryOutcome,
             text: str, detail: str | None = None) -> None:
    uow.inbox.add_history(account.id, site.amazon_order_id, run_id=run_id, outcome=outcome.value, message=text,
                          detail=detail)


def apply_cancellations(store: SiteStore, client: GestionaleClient, account: AccountConfig, run_id: str
                        ) -> Counter[str]:
    """Every pending cancellation of the account, in the gestionale. ``annulled``: rows annullate,
    order Annullato; ``after_shipping``: a delivery document evades it, the operator is alerted;
    ``pending``: the gestionale refused or could not answer, tried again next time. An unreachable
    gestionale stops here (the push after it would meet the same); ``PushStopped`` is raised. Holds the
    WebAPI user's write lease (``importer.write_lease``; ``GestionaleBusy`` when another push kept it)."""
    with exclusive_writes(store, client, lease_holder(run_id, "cancellations")):
        return _apply_all(store, client, account, run_id)


def _apply_all(store: SiteStore, client: GestionaleClient, account: AccountConfig, run_id: str) -> Counter[str]:
    outcome: Counter[str] = Counter()
    last_id = 0
    while True:
        with store.unit_of_work(read_only=True) as uow:
            pending = uow.cancellations.pending(account.id, after_id=last_id)
            orders = uow.orders.many(pending)
        if not pending:
            break
        last_id = pending[-1]
        for order_id in pending:
            try:
                outcome[_apply(store, client, account, orders[order_id], run_id)] += 1
            except PushStopped:
                raise
            except GestionaleUnavailable as error:
                _still_pending(store, account, orders[order_id], run_id, error)
                outcome["pending"] += 1
                log.warning("gestionale unreachable: the other cancellations wait for the next push")
                return outcome
            except GestionaleError as error:
                _still_pending(store, account, orders[order_id], run_id, error)
                outcome["pending"] += 1
    if outcome:
        log.info("cancellations of %s: %s", account.id, dict(outcome))
    return outcome


def _apply(store: SiteStore, client: GestionaleClient, account: AccountConfig, order: OrderRecord,
           run_id: str) -> str:
    key = order.gestionale_document_key
    if order.state in CLOSED_STATES or not key:  # closed meanwhile; or never pushed (not reachable)
        with store.unit_of_work() as uow:
            uow.cancellations.settle(order.id, CancellationStatus.APPLIED)
        return "annulled"
    evading = evading_movements(client, key)
    if evading:
        with store.unit_of_work() as uow:
            if uow.cancellations.settle(order.id, CancellationStatus.AFTER_SHIPPING):
                alert = message(Kind.CANCELLED_AFTER_SHIPPING, document=key, delivery=", ".join(evading))
                _history(uow, account, order, run_id, HistoryOutcome.CANCEL_SHIPPED, alert.text)
        log.warning("order %s cancelled on Amazon after %s evaded it: left for the operator",
                    order.amazon_order_id, ", ".join(evading))
        return "after_shipping"
    annulment = annul_rows(client, key, account.cancellation_category)
    with store.unit_of_work() as uow:
        if uow.cancellations.settle(order.id, CancellationStatus.APPLIED):
            uow.orders.set_state(order.id, OrderState.ANNULLATO, expected=IN_GESTIONALE)
            done = message(Kind.CANCELLED_ROWS_ANNULLED, document=key,
                           detail=f"{annulment.rows} rows, revision {'sent' if annulment.sent else 'already applied'}")
            _history(uow, account, order, run_id, HistoryOutcome.CANCEL_APPLIED, done.text, done.detail)
    return "annulled"


def _still_pending(store: SiteStore, account: AccountConfig, order: OrderRecord, run_id: str,
                   error: GestionaleError) -> None:
    log.warning("order %s: cancellation not applied in the gestionale yet: %s", order.amazon_order_id, error)
    with store.unit_of_work() as uow:
        wait = message(Kind.CANCEL_NOT_APPLIED, document=order.gestionale_document_key,
                       detail=f"{type(error).__name__}: {error}")
        _history(uow, account, order, run_id, HistoryOutcome.CANCEL_PENDING, wait.text, wait.detail)
