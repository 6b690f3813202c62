"""Read-only queries of the pages over the site store's tables (SQLAlchemy Core).

The orders list starts from the inbox, so it shows every Amazon order seen,
imported or not, joined to its site order when there is one. No column holding
buyer personal data is read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from amazon_passweb.orders.dates import ROME
from amazon_passweb.orders.status import HistoryOutcome, ShipmentStatus
from amazon_passweb.site.models import (
    AccountState,
    ImportRun,
    InboxEntry,
    InboxHistory,
    Order,
    OrderCancellation,
    Shipment,
)
from amazon_passweb.site.runs import DEFAULT_STALE_AFTER
from amazon_passweb.site.states import InboxStatus, OrderState, RunOutcome

INBOX = InboxEntry.__table__
ORDERS = Order.__table__
HISTORY = InboxHistory.__table__
IMPORTS = ImportRun.__table__
CANCELLATIONS = OrderCancellation.__table__
SHIPMENTS = Shipment.__table__

PAGE_SIZE = 50
PUSHED, PUSH_FAILED = HistoryOutcome.PUSHED.value, HistoryOutcome.PUSH_FAILED.value  # written by the partial sync

# State filter values that are not a site order state.
ERRORS = "errori"
WAITING = "in_attesa"
SKIPPED = "scartati"
REJECTED = "rifiutati"
STATE_FILTERS: dict[str, str] = {
    ERRORS: "In errore (da riprovare)",
    REJECTED: "Rifiutati (dati Amazon illeggibili)",
    WAITING: "In attesa di import",
    SKIPPED: "Scartati (stato o marketplace non importato)",
    **{state.value: state.value for state in OrderState},
}


@dataclass(frozen=True)
class OrderFilter:
    account: str | None = None
    state: str | None = None
    date_from: date | None = None  # Italian calendar days, inclusive
    date_to: date | None = None
    amazon_order_id: str | None = None
    page: int = 1
    # The accounts the list may show at all (the user's readable ones, ``ui.access``), lines and
    # total alike; None: every account (the command line, which has no Airflow user).
    visible_accounts: frozenset[str] | None = None


SHIPMENT_LABELS = {
    ShipmentStatus.PENDING: "da confermare ad Amazon",
    ShipmentStatus.WAITING_TRACKING: "manca il tracking",
    ShipmentStatus.CONFIRMED: "confermata ad Amazon",
    ShipmentStatus.REFUSED: "rifiutata da Amazon",
    ShipmentStatus.CANCELLED: "ordine annullato su Amazon",
    ShipmentStatus.UNMATCHED: "righe non riconosciute",
}


@dataclass(frozen=True)
class ShipmentEntry:
    """A delivery document of the order and what Amazon was told of it."""

    delivery_key: str
    status: ShipmentStatus
    carrier_code: str | None
    tracking_number: str | None
    last_error: str | None

    @property
    def label(self) -> str:
        return SHIPMENT_LABELS[self.status]

    @property
    def failed(self) -> bool:
        return self.status in (ShipmentStatus.REFUSED, ShipmentStatus.UNMATCHED, ShipmentStatus.CANCELLED)


@dataclass(frozen=True)
class OrderListEntry:
    """One Amazon order of the operator's list: its inbox entry and, once imported, its site order."""

    account: str
    amazon_order_id: str
    marketplace_id: str | None
    amazon_status: str | None
    order_date: datetime | None
    date_is_purchase: bool  # False: not imported, the date is Amazon's last update
    inbox_status: InboxStatus
    site_state: OrderState | None
    sezionale: int | None
    number: int | None
    sigla: str | None
    gestionale_document_key: str | None
    currency: str | None
    total_gross: Decimal | None
    import_error: str | None
    push_error: str | None
    attempts: int
    cancellation: str | None = None  # site.cancellations.CancellationStatus value: Amazon cancelled it
    cancel_requested: bool = False  # the buyer asked to cancel (domain.md §7)
    order_id: int | None = None
    shipments: tuple[ShipmentEntry, ...] = ()

    @property
    def site_number(self) -> str | None:
        return f"{self.sigla} {self.sezionale}/{self.number}" if self.number is not None else None

    @property
    def failed(self) -> bool:
        """In error, and retried by the next import of the account."""
        return self.inbox_status is InboxStatus.FAILED or self.push_error is not None

    @property
    def rejected(self) -> bool:
        """Unreadable as Amazon sent it: only a newer, readable version from Amazon replaces it."""
        return self.inbox_status is InboxStatus.REJECTED

    @property
    def last_error(self) -> str | None:
        if self.push_error:
            return self.push_error
        if self.failed or self.rejected:
            return self.import_error
        # the last confirmation error of its shipments (refused, cancelled, tracking missing, retried)
        return next((s.last_error for s in reversed(self.shipments) if s.last_error), None)

    @property
    def cancellation_note(self) -> str | None:
        """What Amazon said about cancelling it, when the operator has something to know or do."""
        if self.cancellation == "after_shipping":
            return "Annullato su Amazon dopo la spedizione: gestire il reso"
        if self.cancellation == "pending":
            return "Annullato su Amazon: righe da annullare nel gestionale al prossimo invio"
        if self.cancel_requested and self.cancellation is None:
            return "L'acquirente ha chiesto di annullarlo: decidi in Seller Central"
        return None

    @property
    def state_label(self) -> str:
        if self.inbox_status is InboxStatus.FAILED:
            return "Errore di import"
        if self.rejected:
            return "Rifiutato: dati Amazon illeggibili"
        if self.site_state is OrderState.REGISTRATO and self.push_error:
            return "Registrato – invio al gestionale non riuscito"
        if self.site_state is not None:
            return self.site_state.value
        if self.inbox_status is InboxStatus.SKIPPED:
            return "Scartato"
        if self.inbox_status is InboxStatus.INCOMPLETE:
            return OrderState.INCOMPLETO_AFN.value
        return "In attesa di import"


@dataclass(frozen=True)
class OrderPage:
    lines: list[OrderListEntry]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _last_push():
    """The latest push outcome of each Amazon order (pushed or push_failed), as a subquery."""
    ranked = (
        select(
            HISTORY.c.account,
            HISTORY.c.amazon_order_id,
            HISTORY.c.outcome,
            HISTORY.c.message,
            func.row_number()
            .over(partition_by=(HISTORY.c.account, HISTORY.c.amazon_order_id), order_by=HISTORY.c.id.desc())
            .label("rank"),
        )
        .where(HISTORY.c.outcome.in_((PUSHED, PUSH_FAILED)))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).subquery("last_push")


def _base_query():
    push = _last_push()
    order_date = func.coalesce(ORDERS.c.purchase_date, INBOX.c.last_update)
    push_failed = and_(ORDERS.c.state == OrderState.REGISTRATO.value, push.c.outcome == PUSH_FAILED)
    columns = [
        INBOX.c.account,
        INBOX.c.amazon_order_id,
        INBOX.c.marketplace_id,
        INBOX.c.amazon_status,
        INBOX.c.status.label("inbox_status"),
        INBOX.c.last_error,
        INBOX.c.attempts,
        INBOX.c.last_update,
        ORDERS.c.purchase_date,
        ORDERS.c.state.label("site_state"),
        ORDERS.c.sezionale,
        ORDERS.c.number,
        ORDERS.c.sigla,
        ORDERS.c.gestionale_document_key,
        ORDERS.c.id.label("order_id"),
        ORDERS.c.currency,
        ORDERS.c.total_gross,
        push.c.message.label("push_message"),
        push_failed.label("push_failed"),
        CANCELLATIONS.c.status.label("cancellation"),
        CANCELLATIONS.c.requested_at.label("cancel_requested_at"),
    ]
    joined = INBOX.outerjoin(
        ORDERS, and_(ORDERS.c.account == INBOX.c.account, ORDERS.c.amazon_order_id == INBOX.c.amazon_order_id)
    ).outerjoin(push, and_(push.c.account == INBOX.c.account, push.c.amazon_order_id == INBOX.c.amazon_order_id)
                ).outerjoin(CANCELLATIONS, CANCELLATIONS.c.order_id == ORDERS.c.id)
    return select(*columns).select_from(joined), order_date, push_failed


def _conditions(flt: OrderFilter, order_date, push_failed) -> list:
    conditions = []
    if flt.visible_accounts is not None:
        conditions.append(INBOX.c.account.in_(sorted(flt.visible_accounts)))
    if flt.account:
        conditions.append(INBOX.c.account == flt.account)
    if flt.amazon_order_id:
        conditions.append(INBOX.c.amazon_order_id == flt.amazon_order_id.strip())
    if flt.date_from:
        conditions.append(order_date >= _day_start(flt.date_from))
    if flt.date_to:
        conditions.append(order_date < _day_start(flt.date_to + timedelta(days=1)))
    if flt.state == ERRORS:
        conditions.append(or_(INBOX.c.status == InboxStatus.FAILED.value, push_failed))
    elif flt.state == WAITING:
        waiting = (InboxStatus.NEW.value, InboxStatus.SELECTED.value, InboxStatus.RECONCILED.value,
                   InboxStatus.WAITING.value)
        conditions.append(and_(INBOX.c.status.in_(waiting), ORDERS.c.id.is_(None)))
    elif flt.state == REJECTED:
        conditions.append(INBOX.c.status == InboxStatus.REJECTED.value)
    elif flt.state == SKIPPED:
        conditions.append(INBOX.c.status == InboxStatus.SKIPPED.value)
    elif flt.state:
        conditions.append(ORDERS.c.state == OrderState(flt.state).value)
    return conditions


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ROME)


def _line(row) -> OrderListEntry:
    m = row._mapping
    return OrderListEntry(
        account=m["account"],
        amazon_order_id=m["amazon_order_id"],
        marketplace_id=m["marketplace_id"],
        amazon_status=m["amazon_status"],
        order_date=m["purchase_date"] or m["last_update"],
        date_is_purchase=m["purchase_date"] is not None,
        inbox_status=InboxStatus(m["inbox_status"]),
        site_state=OrderState(m["site_state"]) if m["site_state"] else None,
        sezionale=m["sezionale"],
        number=m["number"],
        sigla=m["sigla"],
        gestionale_document_key=m["gestionale_document_key"],
        currency=m["currency"],
        total_gross=m["total_gross"],
        import_error=m["last_error"],
        push_error=m["push_message"] if m["push_failed"] else None,
        attempts=m["attempts"] or 0,
        cancellation=m["cancellation"],
        cancel_requested=m["cancel_requested_at"] is not None,
        order_id=m["order_id"],
    )


def list_orders(session: Session, flt: OrderFilter, *, page_size: int = PAGE_SIZE) -> OrderPage:
    """One page of Amazon orders matching the filter, newest first."""
    query, order_date, push_failed = _base_query()
    conditions = _conditions(flt, order_date, push_failed)
    query = query.where(*conditions)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = max(1, flt.page)
    rows = session.execute(
        query.order_by(order_date.desc(), INBOX.c.id.desc()).limit(page_size).offset((page - 1) * page_size)
    )
    return OrderPage(_with_shipments(session, [_line(row) for row in rows]), total, page, page_size)


def _with_shipments(session: Session, lines: list[OrderListEntry]) -> list[OrderListEntry]:
    """The page's orders with their shipments, in one query."""
    ids = [line.order_id for line in lines if line.order_id is not None]
    if not ids:
        return lines
    found: dict[int, list[ShipmentEntry]] = {}
    query = select(SHIPMENTS).where(SHIPMENTS.c.order_id.in_(ids)).order_by(SHIPMENTS.c.id)
    for row in session.execute(query):
        found.setdefault(row.order_id, []).append(ShipmentEntry(
            row.delivery_key, ShipmentStatus(row.status), row.carrier_code, row.tracking_number, row.last_error))
    return [replace(line, shipments=tuple(found.get(line.order_id, ()))) if line.order_id in found else line
            for line in lines]


def find_order(session: Session, account: str, amazon_order_id: str) -> OrderListEntry | None:
    query, _, _ = _base_query()
    row = session.execute(
        query.where(INBOX.c.account == account, INBOX.c.amazon_order_id == amazon_order_id)
    ).first()
    return _with_shipments(session, [_line(row)])[0] if row else None


def failed_counts(session: Session, account: str | None = None) -> dict[str, int]:
    """Per account, how many orders are in error (import failed or not sent to the gestionale)."""
    query, order_date, push_failed = _base_query()
    errors = OrderFilter(account=account, state=ERRORS)
    failing = query.where(*_conditions(errors, order_date, push_failed)).subquery()
    rows = session.execute(select(failing.c.account, func.count()).group_by(failing.c.account))
    return {account: count for account, count in rows}


def running_import(session: Session, account: str, now: datetime) -> datetime | None:
    """When the account's open import run started, if one is open and not stale (a dead worker's)."""
    return session.execute(
        select(IMPORTS.c.started_at).where(
            IMPORTS.c.account == account,
            IMPORTS.c.outcome == RunOutcome.RUNNING.value,
            IMPORTS.c.started_at >= now - DEFAULT_STALE_AFTER,
        )
    ).scalar()


@dataclass(frozen=True)
class WatermarkInfo:
    value: datetime | None
    set_by: str | None
    updated_at: datetime | None


def watermark_info(session: Session, account: str) -> WatermarkInfo:
    """The watermark and who set it last (an operator's name, or "import")."""
    state = AccountState.__table__
    row = session.execute(
        select(state.c.watermark, state.c.watermark_set_by, state.c.updated_at).where(state.c.account == account)
    ).first()
    return WatermarkInfo(*row) if row else WatermarkInfo(None, None, None)
