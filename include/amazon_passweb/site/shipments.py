"""Shipments: the gestionale's delivery documents of each order and what Amazon was told of them.

A shipment is written (and committed) before Amazon is called: its ``id`` is the package's
``packageReferenceId``, so whatever happens to the answer, a later call sends the same id and Amazon
edits that package instead of adding one. ``(delivery_key, order_key)`` is unique: a document read
again by a later run is the same shipment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from amazon_passweb.orders.shipments import PackageItem
from amazon_passweb.orders.status import ShipmentStatus

from ._sql import utcnow
from .errors import NotFound
from .models import Shipment
from .records import ShipmentData, ShipmentRecord

SHIPMENTS = Shipment.__table__
# Statuses the operator must act on (the report and the orders page list them).
NEEDS_ATTENTION = (ShipmentStatus.WAITING_TRACKING, ShipmentStatus.REFUSED, ShipmentStatus.CANCELLED,
                   ShipmentStatus.UNMATCHED)


class ShipmentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, shipment_id: int) -> ShipmentRecord:
        row = self._session.execute(select(SHIPMENTS).where(SHIPMENTS.c.id == shipment_id)).first()
        if row is None:
            raise NotFound(f"shipment {shipment_id} does not exist")
        return _record(row)

    def find(self, delivery_key: str, order_key: str) -> ShipmentRecord | None:
        row = self._session.execute(select(SHIPMENTS).where(
            SHIPMENTS.c.delivery_key == delivery_key, SHIPMENTS.c.order_key == order_key)).first()
        return _record(row) if row is not None else None

    def of_orders(self, order_ids: Iterable[int]) -> dict[int, list[ShipmentRecord]]:
        """The shipments of these orders, by order, oldest first."""
        ids = sorted(set(order_ids))
        found: dict[int, list[ShipmentRecord]] = {order_id: [] for order_id in ids}
        for start in range(0, len(ids), 500):
            query = select(SHIPMENTS).where(SHIPMENTS.c.order_id.in_(ids[start:start + 500])).order_by(SHIPMENTS.c.id)
            for row in self._session.execute(query):
                found[row.order_id].append(_record(row))
        return found

    def by_status(self, account: str, statuses: Iterable[ShipmentStatus], *, limit: int | None = None
                  ) -> list[ShipmentRecord]:
        query = (select(SHIPMENTS)
                 .where(SHIPMENTS.c.account == account, SHIPMENTS.c.status.in_([s.value for s in statuses]))
                 .order_by(SHIPMENTS.c.id).limit(limit))
        return [_record(row) for row in self._session.execute(query)]

    def counts(self, account: str) -> dict[ShipmentStatus, int]:
        query = (select(SHIPMENTS.c.status, func.count()).where(SHIPMENTS.c.account == account)
                 .group_by(SHIPMENTS.c.status))
        return {ShipmentStatus(status): count for status, count in self._session.execute(query)}

    def record(self, data: ShipmentData) -> ShipmentRecord:
        """Add the shipment, or bring an existing one up to the document's data (same id: the same
        package at Amazon). A confirmed one whose data changed goes back to pending (Amazon is told
        the edit); a cancelled order's stays cancelled."""
        now = utcnow()
        existing = self.find(data.delivery_key, data.order_key)
        values = {
            "order_id": data.order_id, "account": data.account, "document_date": data.document_date,
            "carrier_code": data.carrier_code, "tracking_number": data.tracking_number,
            "shipped_at": data.shipped_at, "items": _items_json(data.items), "matched_by": data.matched_by,
            "fingerprint": data.fingerprint, "last_error": data.last_error, "updated_at": now,
        }  # fmt: skip
        if existing is None:
            shipment_id = self._session.execute(
                insert(SHIPMENTS).values(delivery_key=data.delivery_key, order_key=data.order_key,
                                         status=data.status.value, attempts=0, created_at=now, **values)
                .returning(SHIPMENTS.c.id)
            ).scalar_one()
            return self.get(shipment_id)
        status = existing.status if existing.status is ShipmentStatus.CANCELLED else data.status
        self._session.execute(update(SHIPMENTS).where(SHIPMENTS.c.id == existing.id)
                              .values(status=status.value, attempts=0, **values))
        return self.get(existing.id)

    def mark(self, shipment_id: int, status: ShipmentStatus, *, error: str | None = None,
             confirmed_at: datetime | None = None, attempted: bool = False) -> None:
        values: dict[str, object] = {"status": status.value, "last_error": error, "updated_at": utcnow()}
        if confirmed_at is not None:
            values["confirmed_at"] = confirmed_at
        if attempted:
            values["attempts"] = SHIPMENTS.c.attempts + 1
        self._session.execute(update(SHIPMENTS).where(SHIPMENTS.c.id == shipment_id).values(values))


def _items_json(items: Iterable[PackageItem]) -> str:
    return json.dumps([item.to_json() for item in items], sort_keys=True)


def _record(row: Row) -> ShipmentRecord:
    m = row._mapping
    return ShipmentRecord(
        id=m["id"], order_id=m["order_id"], account=m["account"], delivery_key=m["delivery_key"],
        order_key=m["order_key"], document_date=m["document_date"], carrier_code=m["carrier_code"],
        tracking_number=m["tracking_number"], shipped_at=m["shipped_at"],
        items=tuple(PackageItem.from_json(raw) for raw in json.loads(m["items"])), matched_by=m["matched_by"],
        fingerprint=m["fingerprint"], status=ShipmentStatus(m["status"]), last_error=m["last_error"],
        attempts=m["attempts"], confirmed_at=m["confirmed_at"], updated_at=m["updated_at"],
    )  # fmt: skip
