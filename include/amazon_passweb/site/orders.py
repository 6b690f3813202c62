"""Site orders, their rows, and the per-sezionale order number.

An order is created in one savepoint together with its number and rows. The
number comes from a counter row updated in the same transaction: concurrent
creators queue on that row, and an order that turns out to exist already
rolls the savepoint back, giving its number back, so numbers have no gaps and
no duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Row, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
from .errors import NotFound, StateConflict
from .models import Order, OrderNumberCounter, OrderRow
from .records import NewOrder, OrderCreation, OrderRecord, OrderRowData, PlacedOrder
from .states import DocumentSigla, OrderState, RowKind

ORDERS = Order.__table__
ROWS = OrderRow.__table__
COUNTERS = OrderNumberCounter.__table__
UNCERTAIN_TARGETS = frozenset({"customer", "address", "document"})


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, order_id: int) -> OrderRecord:
        row = self._session.execute(select(ORDERS).where(ORDERS.c.id == order_id)).first()
        if row is None:
            raise NotFound(f"order {order_id} does not exist")
        return self._order(row)

    def find(self, account: str, amazon_order_id: str) -> OrderRecord | None:
        row = self._session.execute(
            select(ORDERS).where(ORDERS.c.account == account, ORDERS.c.amazon_order_id == amazon_order_id)
        ).first()
        return self._order(row) if row is not None else None

    def find_many(self, account: str, amazon_order_ids: Iterable[str]) -> dict[str, OrderRecord]:
        """:meth:`find` for a page of Amazon orders, in two queries: Amazon order id → the site order,
        for those imported."""
        wanted = sorted(set(amazon_order_ids))
        if not wanted:
            return {}
        query = select(ORDERS).where(ORDERS.c.account == account, ORDERS.c.amazon_order_id.in_(wanted))
        return {order.amazon_order_id: order for order in self._orders(self._session.execute(query).all())}

    def by_state(
        self, state: OrderState, account: str | None = None, limit: int | None = None, after_id: int = 0
    ) -> list[OrderRecord]:
        """Orders in ``state``, by id; ``after_id`` pages through them (keyset paging)."""
        query = (
            select(ORDERS)
            .where(ORDERS.c.state == state.value, ORDERS.c.id > after_id)
            .order_by(ORDERS.c.id)
            .limit(limit)
        )
        if account is not None:
            query = query.where(ORDERS.c.account == account)
        return self._orders(self._session.execute(query).all())

    def created_by_import(self, import_run_id: int) -> dict[str, int]:
        """How many orders the import run ``import_run_id`` created, by state, all its tries
        together: a retried task must count what its killed try committed too."""
        found = self._session.execute(
            select(ORDERS.c.state, func.count()).where(ORDERS.c.import_run_id == import_run_id)
            .group_by(ORDERS.c.state)
        ).all()
        return {state: count for state, count in found}

    def by_document_keys(self, account: str, keys: Iterable[str]) -> list[OrderRecord]:
        """The account's orders stored in the gestionale under these document keys ("OX+2+541"), with
        their rows; a key may name orders of several years (numbers start again each year)."""
        wanted = sorted(set(keys))
        if not wanted:
            return []
        found: list[OrderRecord] = []
        for start in range(0, len(wanted), 500):  # bounded IN lists
            query = select(ORDERS).where(ORDERS.c.account == account,
                                         ORDERS.c.gestionale_document_key.in_(wanted[start:start + 500]))
            found += self._orders(self._session.execute(query.order_by(ORDERS.c.id)).all())
        return found

    def many(self, order_ids: Iterable[int]) -> dict[int, OrderRecord]:
        """Orders by id, with their rows, in two queries whatever their number."""
        ids = list(set(order_ids))
        if not ids:
            return {}
        found = self._orders(self._session.execute(select(ORDERS).where(ORDERS.c.id.in_(ids))).all())
        return {order.id: order for order in found}

    def create(self, order: NewOrder) -> OrderCreation:
        """Create the order with its rows, or return the one that already exists
        for (account, Amazon order id). Safe against concurrent creators."""
        existing = self.find(order.account, order.amazon_order_id)
        if existing is not None:
            return OrderCreation(existing, created=False)
        check_rows(order.rows)
        now = utcnow()
        try:
            with self._session.begin_nested():
                number = self._next_number(order.sezionale)
                order_id = self._session.execute(
                    insert(ORDERS)
                    .values(_order_values(order, number, now))
                    .returning(ORDERS.c.id)
                ).scalar_one()
                if order.rows:
                    self._session.execute(insert(ROWS), _row_values(order_id, order.rows))
        except IntegrityError:
            existing = self.find(order.account, order.amazon_order_id)
            if existing is None:
                raise  # a different constraint failed: a real error
            return OrderCreation(existing, created=False)
        # Built from what was just written: saves two queries on the hot path.
        created = OrderRecord(
            id=order_id,
            account=order.account,
            marketplace_id=order.marketplace_id,
            amazon_order_id=order.amazon_order_id,
            sezionale=order.sezionale,
            number=number,
            sigla=order.sigla,
            state=order.state,
            fulfillment=order.fulfillment,
            amazon_status_at_import=order.amazon_status,
            amazon_status_latest=order.amazon_status,
            purchase_date=order.purchase_date,
            customer_id=order.customer_id,
            shipping_address_id=order.shipping_address_id,
            currency=order.currency,
            total_gross=order.total_gross,
            gestionale_document_key=None,
            delivered_at=None,
            pii_purged_at=None,
            created_at=now,
            rows=tuple(sorted(order.rows, key=lambda r: r.line_no)),
        )
        return OrderCreation(created, created=True)

    def create_many(self, orders: Sequence[NewOrder]) -> list[PlacedOrder]:
        """:meth:`create` for a batch, in a few statements: results follow ``orders``.

        Per sezionale, the counter row is locked first; the orders that exist
        already are read after that (so no concurrent creator can add one
        unseen), and the new ones take the next numbers in one step. Should an
        insert still conflict, the batch goes back to :meth:`create` one by one.
        """
        keys = [(o.account, o.amazon_order_id) for o in orders]
        if len(set(keys)) != len(keys):
            raise ValueError("an Amazon order appears twice in one batch")
        for order in orders:
            check_rows(order.rows)
        placed: dict[tuple[str, str], PlacedOrder] = {}
        try:
            with self._session.begin_nested():
                for sezionale in sorted({o.sezionale for o in orders}):
                    group = [o for o in orders if o.sezionale == sezionale]
                    placed |= self._create_numbered(sezionale, group)
        except IntegrityError:
            placed = {}
            for order in orders:
                creation = self.create(order)
                site = creation.order
                placed[(order.account, order.amazon_order_id)] = PlacedOrder(
                    site.id, site.sezionale, site.number, site.state, creation.created)
        return [placed[key] for key in keys]

    def _create_numbered(self, sezionale: int, orders: list[NewOrder]) -> dict[tuple[str, str], PlacedOrder]:
        last = self._lock_counter(sezionale)
        placed = self._existing(orders)
        new = [o for o in orders if (o.account, o.amazon_order_id) not in placed]
        if not new:
            return placed
        self._session.execute(_SET_COUNTER, {"b_sezionale": sezionale, "b_last": last + len(new)})
        now = utcnow()
        numbered = {(o.account, o.amazon_order_id): last + 1 + i for i, o in enumerate(new)}
        ids = {
            (account, amazon_order_id): order_id
            for order_id, account, amazon_order_id in self._session.connection().execute(
                _INSERT_ORDER, [_order_values(o, numbered[(o.account, o.amazon_order_id)], now) for o in new])
        }
        rows = [row for o in new for row in _row_values(ids[(o.account, o.amazon_order_id)], o.rows)]
        if rows:
            self._session.execute(insert(ROWS), rows)
        for o in new:
            key = (o.account, o.amazon_order_id)
            placed[key] = PlacedOrder(ids[key], sezionale, numbered[key], o.state, created=True)
        return placed

    def _lock_counter(self, sezionale: int) -> int:
        """The sezionale's last number, its counter row locked until the transaction ends."""
        last = self._session.execute(_LOCK_COUNTER, {"b_sezionale": sezionale}).scalar()
        if last is None:  # first order of this sezionale
            self._session.execute(
                dialect_insert(self._session, COUNTERS)
                .values(sezionale=sezionale, last_number=0)
                .on_conflict_do_nothing()
            )
            last = self._session.execute(_LOCK_COUNTER, {"b_sezionale": sezionale}).scalar_one()
        return last

    def _existing(self, orders: list[NewOrder]) -> dict[tuple[str, str], PlacedOrder]:
        placed = {}
        for account in {o.account for o in orders}:
            rows = self._session.connection().execute(_EXISTING, {
                "b_account": account, "b_ids": [o.amazon_order_id for o in orders if o.account == account]})
            for row in rows:
                placed[(account, row.amazon_order_id)] = PlacedOrder(
                    row.id, row.sezionale, row.number, OrderState(row.state), created=False)
        return placed

    def _next_number(self, sezionale: int) -> int:
        number = self._lock_counter(sezionale) + 1
        self._session.execute(_SET_COUNTER, {"b_sezionale": sezionale, "b_last": number})
        return number

    # -- state changes -----------------------------------------------------

    def set_state(
        self, order_id: int, state: OrderState, *, expected: Iterable[OrderState] | None = None
    ) -> None:
        """Move the order to ``state``; with ``expected``, only from one of those
        states (checked in the UPDATE itself, so two workers cannot both win)."""
        stmt = update(ORDERS).where(ORDERS.c.id == order_id).values(_state_values(state))
        allowed = None if expected is None else [s.value for s in expected]
        if allowed is not None:
            stmt = stmt.where(ORDERS.c.state.in_(allowed))
        if self._session.execute(stmt).rowcount != 1:
            current = self.get(order_id).state  # raises NotFound for a missing order
            raise StateConflict(f"order {order_id} is {current.value!r}, expected one of {allowed}")

    def set_state_many(self, order_ids: Iterable[int], state: OrderState, *, expected: Iterable[OrderState]) -> None:
        """:meth:`set_state` for many orders in one UPDATE, each only from one of ``expected``;
        ``StateConflict`` (the caller's transaction to roll back) when any of them is in another state."""
        ids = sorted(set(order_ids))
        if not ids:
            return
        allowed = [s.value for s in expected]
        stmt = update(ORDERS).where(ORDERS.c.id.in_(ids), ORDERS.c.state.in_(allowed)).values(_state_values(state))
        moved = self._session.execute(stmt).rowcount
        if moved != len(ids):
            raise StateConflict(f"{len(ids) - moved} of orders {ids} not in one of {allowed}")

    def move_state(self, order_id: int, state: OrderState, expected: Iterable[OrderState]) -> bool:
        """Move the order to ``state`` only from one of ``expected`` (in the UPDATE itself); False,
        and nothing changed, when it is in another state by now."""
        allowed = [s.value for s in expected]
        stmt = (update(ORDERS).where(ORDERS.c.id == order_id, ORDERS.c.state.in_(allowed))
                .values(_state_values(state)))
        return self._session.execute(stmt).rowcount == 1

    def end_life(self, order_id: int, at: datetime) -> None:
        """The order's life ended at ``at`` (delivered, or assumed delivered): the buyer-data
        retention clock starts there. A date already recorded is kept unless this one is earlier
        (Amazon's DELIVERED read after the assumed date was recorded)."""
        self.end_life_many([order_id], at)

    def end_life_many(self, order_ids: Iterable[int], at: datetime) -> None:
        """:meth:`end_life` for many orders at the same date, in one UPDATE."""
        ids = sorted(set(order_ids))
        if ids:
            self._session.execute(
                update(ORDERS).where(ORDERS.c.id.in_(ids),
                                     or_(ORDERS.c.life_ended_at.is_(None), ORDERS.c.life_ended_at > at))
                .values(life_ended_at=at))

    def mark_stored(self, order_id: int, document_key: str) -> None:
        """Registrato → Memorizzato once the gestionale has the document (no longer uncertain, if it was)."""
        self.set_state(order_id, OrderState.MEMORIZZATO, expected=[OrderState.REGISTRATO])
        self._session.execute(
            update(ORDERS).where(ORDERS.c.id == order_id)
            .values(gestionale_document_key=document_key, push_uncertain=None, push_uncertain_at=None)
        )

    # -- creates in the gestionale whose outcome is uncertain (gestionale/client.py) -----------------

    def park_uncertain(self, order_id: int, target: str, posted_at: datetime) -> None:
        """The order's create of ``target`` (customer, address, document), sent at ``posted_at``, has an
        uncertain outcome: the order waits, and later pushes search for that record before sending it."""
        if target not in UNCERTAIN_TARGETS:
            raise ValueError(f"unknown uncertain create {target!r}: one of {sorted(UNCERTAIN_TARGETS)}")
        self._session.execute(
            update(ORDERS).where(ORDERS.c.id == order_id)
            .values(push_uncertain=target, push_uncertain_at=posted_at, updated_at=utcnow()))

    def announce_create(self, order_id: int, target: str, posted_at: datetime) -> None:
        """Write-ahead intent: the order's create of ``target`` is about to be sent at ``posted_at``. Recorded as
        an uncertain create, so that a push killed while it is in flight leaves it parked for the next push's
        search; the answer replaces it (stored, parked) or withdraws it (refused)."""
        self.park_uncertain(order_id, target, posted_at)

    def withdraw_create(self, order_id: int, target: str, posted_at: datetime) -> None:
        """That create was answered without creating anything: its intent goes, unless something replaced it."""
        self._session.execute(
            update(ORDERS).where(ORDERS.c.id == order_id, ORDERS.c.push_uncertain == target,
                                 ORDERS.c.push_uncertain_at == posted_at)
            .values(push_uncertain=None, push_uncertain_at=None))

    def uncertain_creates(self, target: str, subject_ids: Iterable[int]) -> dict[int, datetime]:
        """Customer (or shipping address) id → the latest uncertain create of it, whichever of its
        orders sent it: an order of the same customer must not send it again either."""
        column = {"customer": ORDERS.c.customer_id, "address": ORDERS.c.shipping_address_id}[target]
        ids = sorted(set(subject_ids))
        if not ids:
            return {}
        rows = self._session.execute(
            select(column, func.max(ORDERS.c.push_uncertain_at))
            .where(ORDERS.c.push_uncertain == target, column.in_(ids))
            .group_by(column))
        return {subject: at for subject, at in rows if at is not None}

    def settle_uncertain(self, target: str, subject_id: int) -> None:
        """The customer (or address) is in the gestionale now, its code recorded: no order waits on it."""
        column = {"customer": ORDERS.c.customer_id, "address": ORDERS.c.shipping_address_id}[target]
        self._session.execute(
            update(ORDERS).where(ORDERS.c.push_uncertain == target, column == subject_id)
            .values(push_uncertain=None, push_uncertain_at=None))

    def complete_afn(self, order_id: int, customer_id: int | None, shipping_address_id: int | None) -> None:
        """An AFN order completed by hand → Registrato; ``customer_id`` None: it goes to the account's
        placeholder customer (the push uses ``afn_placeholder_customer`` for an AFN order without one)."""
        self.set_state(order_id, OrderState.REGISTRATO, expected=[OrderState.INCOMPLETO_AFN])
        self._session.execute(
            update(ORDERS)
            .where(ORDERS.c.id == order_id)
            .values(customer_id=customer_id, shipping_address_id=shipping_address_id)
        )

    def record_amazon_status(
        self, order_id: int, status: str, *, delivered_at: datetime | None = None
    ) -> None:
        """The latest Amazon status seen (a cancellation after import must be
        visible); ``delivered_at`` starts the personal-data retention clock."""
        values: dict[str, object] = {"amazon_status_latest": status, "updated_at": utcnow()}
        if delivered_at is not None:
            values["delivered_at"] = delivered_at
        self._session.execute(update(ORDERS).where(ORDERS.c.id == order_id).values(values))

    def record_amazon_statuses(self, statuses: Mapping[int, str]) -> None:
        """:meth:`record_amazon_status` for a page of orders (order id → status): one UPDATE per
        distinct status, not one per order."""
        now = utcnow()
        for status in sorted(set(statuses.values())):
            ids = sorted(order_id for order_id, seen in statuses.items() if seen == status)
            self._session.execute(
                update(ORDERS).where(ORDERS.c.id.in_(ids)).values(amazon_status_latest=status, updated_at=now))

    # -- mapping -----------------------------------------------------------

    def rows(self, order_id: int) -> tuple[OrderRowData, ...]:
        return self._rows_of([order_id]).get(order_id, ())

    def _rows_of(self, order_ids: Sequence[int]) -> dict[int, tuple[OrderRowData, ...]]:
        """The rows of many orders in one query (a page of orders is never one query per order)."""
        rows: dict[int, list[OrderRowData]] = {}
        if not order_ids:
            return {}
        result = self._session.execute(
            select(ROWS).where(ROWS.c.order_id.in_(list(order_ids))).order_by(ROWS.c.order_id, ROWS.c.line_no)
        )
        for r in result:
            rows.setdefault(r.order_id, []).append(OrderRowData(
                kind=RowKind(r.kind),
                line_no=r.line_no,
                article_code=r.article_code,
                description=r.description,
                quantity=r.quantity,
                unit_price_gross=r.unit_price_gross,
                vat_rate=r.vat_rate,
                order_item_id=r.order_item_id,
                vat_code=r.vat_code,
            ))
        return {order_id: tuple(found) for order_id, found in rows.items()}

    def _orders(self, found: Sequence[Row]) -> list[OrderRecord]:
        rows = self._rows_of([row._mapping["id"] for row in found])
        return [self._order(row, rows.get(row._mapping["id"], ())) for row in found]

    def _order(self, row: Row, rows: tuple[OrderRowData, ...] | None = None) -> OrderRecord:
        m = row._mapping
        return OrderRecord(
            id=m["id"],
            account=m["account"],
            marketplace_id=m["marketplace_id"],
            amazon_order_id=m["amazon_order_id"],
            sezionale=m["sezionale"],
            number=m["number"],
            sigla=DocumentSigla(m["sigla"]),
            state=OrderState(m["state"]),
            fulfillment=m["fulfillment"],
            amazon_status_at_import=m["amazon_status_at_import"],
            amazon_status_latest=m["amazon_status_latest"],
            purchase_date=m["purchase_date"],
            customer_id=m["customer_id"],
            shipping_address_id=m["shipping_address_id"],
            currency=m["currency"],
            total_gross=m["total_gross"],
            gestionale_document_key=m["gestionale_document_key"],
            delivered_at=m["delivered_at"],
            pii_purged_at=m["pii_purged_at"],
            created_at=m["created_at"],
            rows=self.rows(m["id"]) if rows is None else rows,
            life_ended_at=m["life_ended_at"],
            push_uncertain=m["push_uncertain"],
            push_uncertain_at=m["push_uncertain_at"],
        )


def _order_values(order: NewOrder, number: int, now: datetime) -> dict[str, object]:
    return {
        "account": order.account,
        "marketplace_id": order.marketplace_id,
        "amazon_order_id": order.amazon_order_id,
        "sezionale": order.sezionale,
        "number": number,
        "sigla": order.sigla.value,
        "state": order.state.value,
        "fulfillment": order.fulfillment,
        "amazon_status_at_import": order.amazon_status,
        "amazon_status_latest": order.amazon_status,
        "purchase_date": order.purchase_date,
        "customer_id": order.customer_id,
        "shipping_address_id": order.shipping_address_id,
        "currency": order.currency,
        "total_gross": order.total_gross,
        "import_run_id": order.import_run_id,
        "created_at": now,
        "updated_at": now,
    }


def _row_values(order_id: int, rows: Iterable[OrderRowData]) -> list[dict[str, object]]:
    return [
        {
            "order_id": order_id,
            "line_no": r.line_no,
            "kind": r.kind.value,
            "article_code": r.article_code,
            "description": r.description,
            "quantity": r.quantity,
            "unit_price_gross": r.unit_price_gross,
            "vat_rate": r.vat_rate,
            "order_item_id": r.order_item_id,
            "vat_code": r.vat_code,
        }
        for r in rows
    ]


# A no-op update: it returns the last number and locks the counter row (PostgreSQL; SQLite's
# write transactions are serial anyway), so concurrent creators of a sezionale queue here.
_LOCK_COUNTER = (
    update(COUNTERS)
    .where(COUNTERS.c.sezionale == bindparam("b_sezionale"))
    .values(last_number=COUNTERS.c.last_number)
    .returning(COUNTERS.c.last_number)
)
_SET_COUNTER = (
    update(COUNTERS).where(COUNTERS.c.sezionale == bindparam("b_sezionale")).values(last_number=bindparam("b_last"))
)
_EXISTING = select(ORDERS.c.id, ORDERS.c.amazon_order_id, ORDERS.c.sezionale, ORDERS.c.number, ORDERS.c.state).where(
    ORDERS.c.account == bindparam("b_account"), ORDERS.c.amazon_order_id.in_(bindparam("b_ids", expanding=True))
)
_INSERT_ORDER = insert(ORDERS).returning(ORDERS.c.id, ORDERS.c.account, ORDERS.c.amazon_order_id)


def check_rows(rows: Iterable[OrderRowData]) -> None:
    seen: set[int] = set()
    for r in rows:
        if r.line_no in seen:
            raise ValueError(f"duplicate row number {r.line_no}")
        seen.add(r.line_no)
        if r.kind != RowKind.NOTE and not r.article_code:
            raise ValueError(f"row {r.line_no}: a {r.kind.value} row needs an article code")


def _state_values(state: OrderState) -> dict[str, object]:
    """An UPDATE's values for a state change; a cancelled or refunded order's life ends with it
    (the first time: the retention clock never moves forward)."""
    now = utcnow()
    values: dict[str, object] = {"state": state.value, "updated_at": now}
    if state in _LIFE_ENDING:
        values["life_ended_at"] = func.coalesce(ORDERS.c.life_ended_at, now)
    return values


_LIFE_ENDING = frozenset({OrderState.ANNULLATO, OrderState.RIMBORSATO})
