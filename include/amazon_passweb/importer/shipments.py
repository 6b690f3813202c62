"""Shipment confirmation (domain.md §7, protocols.md "After import"): from the gestionale's delivery
documents to "Spedito" on the site and a package at Amazon, exactly once.

Two phases, each safe to stop at any point (two tasks of the account DAG: only the first holds the
gestionale's pool slot, the second waits on Amazon's rate limits alone):

1. **read**: the delivery documents dated in the last ``reread_days`` days (tracking is often added
   later, documents are backdated) that evade one of the account's stored orders become shipments,
   matched to the order's Amazon items; a new one is committed before anything is sent. Memorizzato →
   In attesa di spedizione;
2. **send**: every pending shipment of the account, whatever run found it: ``getOrder`` first (a
   cancelled order is never confirmed; a tracking number Amazon already has is confirmed without a
   call), then ``confirmShipment`` with the shipment's id as ``packageReferenceId``. A crash before the
   answer is recorded leaves it pending: the next run finds the package at Amazon, or sends the same
   id again, which Amazon treats as an edit. Once the confirmed packages cover every item: Spedito.

A 400 from Amazon (``ShipmentRefused``) is kept with Amazon's reason and sent again only once the
document's data change; other Amazon errors leave the shipment pending for the next run. Never for
AFN orders (Amazon ships them), never for an account with ``confirm_shipments: false``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.errors import AuthenticationError, SpApiError
from amazon_passweb.amazon.shipments import AmazonShipmentState, PackageConfirmation, ShipmentRefused, ShippedItem
from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import GestionaleError
from amazon_passweb.gestionale.shipments import DeliveryDocument
from amazon_passweb.notify.messages import Kind, OperatorMessage, message
from amazon_passweb.notify.report import ShipmentLine, ShipmentReport
from amazon_passweb.orders.dates import ROME
from amazon_passweb.orders.shipments import (
    assumed_delivery,
    document_lines,
    fingerprint,
    is_ready,
    is_shipped,
    match_rows,
)
from amazon_passweb.orders.status import HistoryOutcome, OrderState, ShipmentStatus
from amazon_passweb.site.records import OrderRecord, ShipmentData, ShipmentRecord
from amazon_passweb.site.shipments import NEEDS_ATTENTION
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)

AFN = "AFN"
# Orders whose shipments are read: stored in the gestionale and not cancelled on the site.
SHIPPABLE = (OrderState.MEMORIZZATO, OrderState.ATTESA_SPEDIZIONE, OrderState.SPEDITO)


@dataclass
class ShipmentCounts:
    """What one run did (numbers only: they travel through XCom to the report)."""

    read: int = 0  # delivery documents of the account's orders read (new or changed)
    confirmed: int = 0  # packages Amazon accepted in this run
    already_at_amazon: int = 0  # tracking Amazon already had: confirmed without a call
    waiting_tracking: int = 0  # documents read this run without carrier, tracking or date
    refused: int = 0
    cancelled: int = 0
    unmatched: int = 0
    retry: int = 0  # transient Amazon errors: pending for the next run
    shipped_orders: int = 0  # orders that became Spedito
    gestionale_failed: bool = False
    disabled: bool = False

    def as_summary(self) -> dict:
        return {f"shipments_{name}": value for name, value in asdict(self).items()}

    @classmethod
    def from_summary(cls, summary: dict) -> ShipmentCounts:
        """Back from a task summary (XCom), as :meth:`as_summary` wrote it."""
        names = {f.name for f in fields(cls)}
        return cls(**{name: summary[f"shipments_{name}"] for name in names if f"shipments_{name}" in summary})


def confirm_shipments(store: SiteStore, gestionale: GestionaleClient | None, amazon: OrdersClient,
                      account: AccountConfig, run_id: str, *, today: dt.date | None = None,
                      now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> ShipmentCounts:
    """Both phases in this process: read the account's delivery documents (without ``gestionale``:
    only send what is pending), then confirm every pending shipment to Amazon."""
    counts = read_delivery_documents(store, gestionale, account, run_id, today=today, now=now)
    return send_pending_shipments(store, amazon, account, run_id, counts, now=now)


def read_delivery_documents(store: SiteStore, gestionale: GestionaleClient | None, account: AccountConfig,
                            run_id: str, *, today: dt.date | None = None,
                            now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> ShipmentCounts:
    """Phase 1 (the gestionale only): the delivery documents become shipments. A gestionale that cannot
    be read is counted, not raised: what earlier runs read is still sent."""
    if not account.confirm_shipments:
        log.info("account %s: confirm_shipments is off, no shipment is read or confirmed", account.id)
        return ShipmentCounts(disabled=True)
    counts = ShipmentCounts()
    if gestionale is not None:
        try:
            read_shipments(store, gestionale, account, run_id, counts, today=today or now().astimezone(ROME).date())
        except GestionaleError as error:
            log.error("account %s: reading the delivery documents failed: %s", account.id, error)
            counts.gestionale_failed = True
    return counts


def send_pending_shipments(store: SiteStore, amazon: OrdersClient, account: AccountConfig, run_id: str,
                           counts: ShipmentCounts | None = None, *,
                           now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> ShipmentCounts:
    """Phase 2 (Amazon only): every pending shipment of the account confirmed; ``counts`` (phase 1's)
    are completed and returned."""
    counts = counts or ShipmentCounts()
    if not account.confirm_shipments:
        return ShipmentCounts(disabled=True)
    send_pending(store, amazon, account, run_id, counts, now=now)
    log.info("account %s shipments: %s", account.id, counts)
    return counts


# -- reading the gestionale --------------------------------------------------------------------------


def reread_window(today: dt.date, reread_days: int, year: int) -> tuple[dt.date, dt.date] | None:
    """The days of delivery documents to read: the last ``reread_days`` days, within the client's working
    year (the WebAPI reads no other); None when they fall outside it."""
    since = max(today - dt.timedelta(days=reread_days), dt.date(year, 1, 1))
    until = min(today, dt.date(year, 12, 31))
    return (since, until) if since <= until else None


def read_shipments(store: SiteStore, gestionale: GestionaleClient, account: AccountConfig, run_id: str,
                   counts: ShipmentCounts, *, today: dt.date) -> None:
    settings = account.shipments
    window = reread_window(today, settings.reread_days, gestionale.settings.anno)
    if window is None:
        return
    documents = list(gestionale.delivery_documents(*window, sigle=tuple(settings.sigle)))
    with store.unit_of_work(read_only=True) as uow:
        candidates: dict[str, list[OrderRecord]] = {}
        for order in uow.orders.by_document_keys(account.id, {d.order_key for d in documents}):
            candidates.setdefault(order.gestionale_document_key or "", []).append(order)
        known = uow.shipments.of_orders(o.id for found in candidates.values() for o in found)
    lines: dict[str, dict[int, int]] = {}
    waiting: set[int] = set()  # orders this run moved to In attesa di spedizione
    for document in documents:
        order = order_of(document, candidates.get(document.order_key, []))
        if order is None or order.fulfillment == AFN or order.state not in SHIPPABLE:
            continue
        digest = fingerprint(document.carrier_code, document.tracking_number, document.shipped_at, document.rows)
        existing = next((s for s in known[order.id] if s.delivery_key == document.key
                         and s.order_key == document.order_key), None)
        if existing is not None and existing.fingerprint == digest:
            continue  # read before, unchanged
        if document.order_key not in lines and any(row.order_row for row in document.rows):
            lines[document.order_key] = _document_lines(gestionale, document.order_key, order)
        shipped_before: dict[str, int] = {}
        for other in known[order.id]:
            if other.delivery_key != document.key and other.status not in (ShipmentStatus.CANCELLED,
                                                                           ShipmentStatus.UNMATCHED):
                for item in other.items:
                    shipped_before[item.order_item_id] = shipped_before.get(item.order_item_id, 0) + item.quantity
        matched = match_rows(document.rows, order.rows, lines.get(document.order_key, {}), shipped_before)
        status, note = _status(document, matched.problem)
        if matched.problem:
            log.warning("order %s, %s: %s", order.amazon_order_id, document.key, matched.problem)
        elif matched.matched_by == "article":
            log.info("order %s, %s: rows matched by article code", order.amazon_order_id, document.key)
        data = ShipmentData(
            order_id=order.id, account=account.id, delivery_key=document.key, order_key=document.order_key,
            document_date=document.document_date, carrier_code=document.carrier_code,
            tracking_number=document.tracking_number, shipped_at=document.shipped_at, items=matched.items,
            matched_by=matched.matched_by, fingerprint=digest, status=status,
            last_error=note.text if note else None,
        )  # fmt: skip
        with store.unit_of_work() as uow:
            recorded = uow.shipments.record(data)
            if order.state is OrderState.MEMORIZZATO and order.id not in waiting:
                # in the UPDATE itself: an order an operator moved meanwhile keeps its state
                uow.orders.move_state(order.id, OrderState.ATTESA_SPEDIZIONE, [OrderState.MEMORIZZATO])
                waiting.add(order.id)
        known[order.id] = [s for s in known[order.id] if s.id != recorded.id] + [recorded]
        counts.read += 1
        counts.waiting_tracking += recorded.status is ShipmentStatus.WAITING_TRACKING
        counts.unmatched += recorded.status is ShipmentStatus.UNMATCHED


def order_of(document: DeliveryDocument, candidates: list[OrderRecord]) -> OrderRecord | None:
    """The site order a document evades. Order numbers start again each year, so a key may name
    orders of several years: the latest one created by the document's date (a day's margin for the
    clock), else the earliest one."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda o: o.created_at)
    limit = document.document_date + dt.timedelta(days=1)
    before = [o for o in ordered if o.created_at.astimezone(ROME).date() <= limit]
    return before[-1] if before else ordered[0]


def _document_lines(gestionale: GestionaleClient, order_key: str, order: OrderRecord) -> dict[int, int]:
    """The order document's rows as the gestionale numbers them, mapped to the site rows."""
    record = gestionale.get_document(order_key) or {}
    ids = {index: value for index, value in record.get("id_riga") or []}
    codes = {index: value for index, value in record.get("codice_articolo") or []}
    return document_lines(((i, int(v), codes.get(i)) for i, v in ids.items() if v), order.rows)


def _status(document: DeliveryDocument, problem: str | None) -> tuple[ShipmentStatus, OperatorMessage | None]:
    if problem:
        return ShipmentStatus.UNMATCHED, message(Kind.SHIPMENT_UNMATCHED, document=document.key, detail=problem)
    if is_ready(document.carrier_code, document.tracking_number, document.shipped_at):
        return ShipmentStatus.PENDING, None
    missing = [name for name, value in (("vettore", document.carrier_code), ("tracking", document.tracking_number),
                                        ("data inizio trasporto", document.shipped_at)) if not value]  # fmt: skip
    return ShipmentStatus.WAITING_TRACKING, message(Kind.SHIPMENT_WAITING_TRACKING, document=document.key,
                                                    missing=", ".join(missing))


# -- telling Amazon ---------------------------------------------------------------------------------


def send_pending(store: SiteStore, amazon: OrdersClient, account: AccountConfig, run_id: str,
                 counts: ShipmentCounts, *, now: Callable[[], dt.datetime]) -> None:
    with store.unit_of_work(read_only=True) as uow:
        pending = uow.shipments.by_status(account.id, [ShipmentStatus.PENDING])
        orders = uow.orders.many(s.order_id for s in pending)
    states: dict[int, AmazonShipmentState] = {}
    for shipment in pending:
        order = orders[shipment.order_id]
        status, note, called = _send(amazon, account, order, shipment, states)
        confirmed_at = now() if status is ShipmentStatus.CONFIRMED else None
        with store.unit_of_work() as uow:
            uow.shipments.mark(shipment.id, status, error=note.text if note else None,
                               confirmed_at=confirmed_at, attempted=True)
            if status is ShipmentStatus.CONFIRMED:
                uow.inbox.add_history(account.id, order.amazon_order_id, run_id=run_id,
                                      outcome=HistoryOutcome.SHIPPED.value, message=_confirmed_note(shipment))
                confirmed = [item for s in uow.shipments.of_orders([order.id])[order.id]
                             if s.status is ShipmentStatus.CONFIRMED for item in s.items]
                current = uow.orders.get(order.id)
                if current.state is not OrderState.SPEDITO and current.state in SHIPPABLE \
                        and is_shipped(order.rows, confirmed):
                    uow.orders.move_state(order.id, OrderState.SPEDITO, SHIPPABLE)
                    counts.shipped_orders += 1
                    uow.orders.end_life(order.id, _life_end(account, states.get(order.id), confirmed_at, now))
        _count(counts, status, called)


def _life_end(account: AccountConfig, state: AmazonShipmentState | None, confirmed_at: dt.datetime | None,
              now: Callable[[], dt.datetime]) -> dt.datetime:
    """When a shipped order's life ends (domain.md §7): now if Amazon already reports every package
    DELIVERED, else the confirmation date + ``delivery_margin_days`` (carriers deliver within it)."""
    if state is not None and state.delivered:
        return now()
    return assumed_delivery(confirmed_at or now(), account.shipments.delivery_margin_days)


def _confirmed_note(shipment: ShipmentRecord) -> str:
    return message(Kind.SHIPMENT_CONFIRMED, document=shipment.delivery_key, carrier=shipment.carrier_code,
                   tracking=shipment.tracking_number).text


def _count(counts: ShipmentCounts, status: ShipmentStatus, called: bool) -> None:
    if status is ShipmentStatus.CONFIRMED:
        if called:
            counts.confirmed += 1
        else:
            counts.already_at_amazon += 1
    elif status is ShipmentStatus.REFUSED:
        counts.refused += 1
    elif status is ShipmentStatus.CANCELLED:
        counts.cancelled += 1
    elif status is ShipmentStatus.PENDING:
        counts.retry += 1


def _send(amazon: OrdersClient, account: AccountConfig, order: OrderRecord, shipment: ShipmentRecord,
          states: dict[int, AmazonShipmentState]) -> tuple[ShipmentStatus, OperatorMessage | None, bool]:
    """What became of one pending shipment, its note, and whether confirmShipment was called; Amazon's
    state is read once per order and run."""
    document = shipment.delivery_key
    try:
        if order.id not in states:
            states[order.id] = amazon.shipment_state(order.amazon_order_id)
        state = states[order.id]
        if state.cancelled:
            log.warning("order %s is cancelled on Amazon: %s not confirmed", order.amazon_order_id, document)
            return ShipmentStatus.CANCELLED, message(Kind.SHIPMENT_CANCELLED, document=document), False
        if shipment.tracking_number in state.tracking_numbers:
            log.info("order %s: Amazon already has tracking of %s", order.amazon_order_id, document)
            return ShipmentStatus.CONFIRMED, None, False
        carrier_code, carrier_name = account.shipments.carrier(shipment.carrier_code or "")
        package = PackageConfirmation(
            package_reference_id=shipment.package_reference_id, carrier_code=carrier_code,
            carrier_name=carrier_name, tracking_number=shipment.tracking_number or "",
            ship_date=shipment.shipped_at,
            items=tuple(ShippedItem(item.order_item_id, item.quantity) for item in shipment.items),
        )  # fmt: skip
        amazon.confirm_shipment(order.amazon_order_id, order.marketplace_id, package)
    except ShipmentRefused as refused:
        return ShipmentStatus.REFUSED, message(Kind.SHIPMENT_REFUSED, document=document, code=refused.code,
                                               reason=refused.amazon_message, detail=str(refused)), True
    except AuthenticationError:
        raise  # the account's credentials: every shipment would fail alike; the task fails and says so
    except SpApiError as error:
        log.warning("order %s, %s: confirmation not done, retried next run: %s", order.amazon_order_id,
                    document, error)
        return ShipmentStatus.PENDING, message(Kind.SHIPMENT_RETRY, document=document, detail=str(error)), True
    except ValueError as error:  # a package Amazon could not take (checked before the call)
        return ShipmentStatus.REFUSED, message(Kind.SHIPMENT_REFUSED, document=document, code="InvalidInput",
                                               reason=str(error), detail=str(error)), False
    # Amazon's state stays cached for the order's next package: it is read for a cancellation and
    # for that package's own tracking, which this confirmation did not add.
    return ShipmentStatus.CONFIRMED, None, True


# -- what the report says ---------------------------------------------------------------------------

STATE_LABELS = {
    ShipmentStatus.PENDING: "da confermare",
    ShipmentStatus.WAITING_TRACKING: "manca il tracking",
    ShipmentStatus.CONFIRMED: "confermata",
    ShipmentStatus.REFUSED: "rifiutata da Amazon",
    ShipmentStatus.CANCELLED: "ordine annullato su Amazon",
    ShipmentStatus.UNMATCHED: "righe non riconosciute",
}
REPORT_LINES = 500  # a bound on the email; the orders page lists them all


def shipment_report(store: SiteStore, account: AccountConfig, summary: dict,
                    now: dt.datetime | None = None) -> ShipmentReport | None:
    """The report's shipment part: this run's counts (``summary``: the task's ``shipments_*`` values)
    and every shipment still held up, read or changed in the last ``reread_days`` days (an older one
    was in earlier reports and stays on the orders page). None when the run confirmed nothing by choice."""
    if not summary or summary.get("shipments_disabled"):
        return None
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=account.shipments.reread_days)
    held = (*NEEDS_ATTENTION, ShipmentStatus.PENDING)
    with store.unit_of_work(read_only=True) as uow:
        found = [s for s in uow.shipments.by_status(account.id, held)
                 if s.updated_at >= since and (s.status is not ShipmentStatus.PENDING or s.last_error)]
        orders = uow.orders.many(s.order_id for s in found[:REPORT_LINES])
    lines = tuple(
        ShipmentLine(amazon_order_id=orders[s.order_id].amazon_order_id, delivery_key=s.delivery_key,
                     state=STATE_LABELS[s.status], carrier=s.carrier_code, tracking=s.tracking_number,
                     reason=s.last_error)
        for s in found[:REPORT_LINES]
    )  # fmt: skip
    number = lambda name: int(summary.get(f"shipments_{name}", 0) or 0)  # noqa: E731
    return ShipmentReport(
        confirmed=number("confirmed") + number("already_at_amazon"), waiting_tracking=number("waiting_tracking"),
        refused=number("refused"), cancelled=number("cancelled"), unmatched=number("unmatched"),
        retry=number("retry"), shipped_orders=number("shipped_orders"),
        gestionale_failed=bool(summary.get("shipments_gestionale_failed")), lines=lines,
    )  # fmt: skip
