"""Amazon's cancellations and buyers' requests of imported orders (domain.md §7), one row per order.

The row is written in the same transaction that sees the change (the fetch), before anything is
asked of the gestionale: a ``pending`` row is the intent to annul the order's document, and it
leaves ``pending`` only in the transaction that records the outcome. Each event is therefore
recorded once, whatever is retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ._sql import utcnow
from .models import OrderCancellation

CANCELLATIONS = OrderCancellation.__table__


class CancellationStatus(StrEnum):
    PENDING = "pending"  # Amazon cancelled it; the gestionale document is still to annul
    APPLIED = "applied"  # the order is Annullato (never pushed, or its document's rows annullate)
    AFTER_SHIPPING = "after_shipping"  # cancelled after a delivery document evaded it: a return to handle


@dataclass(frozen=True)
class CancellationRecord:
    order_id: int
    account: str
    status: CancellationStatus | None
    cancelled_at: datetime | None
    settled_at: datetime | None
    requested_at: datetime | None
    request_reason: str | None


class CancellationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, order_id: int) -> CancellationRecord | None:
        row = self._session.execute(select(CANCELLATIONS).where(CANCELLATIONS.c.order_id == order_id)).first()
        return _record(row) if row else None

    def many(self, order_ids: list[int]) -> dict[int, CancellationRecord]:
        if not order_ids:
            return {}
        rows = self._session.execute(select(CANCELLATIONS).where(CANCELLATIONS.c.order_id.in_(order_ids)))
        return {row.order_id: _record(row) for row in rows}

    def record_cancelled(self, order_id: int, account: str, status: CancellationStatus) -> bool:
        """Amazon cancelled the order: ``status`` is ``applied`` (settled at once: it never reached the
        gestionale) or ``pending``. False when its cancellation was already recorded."""
        return order_id in self.record_cancelled_many(account, {order_id: status})

    def record_cancelled_many(self, account: str, statuses: Mapping[int, CancellationStatus]) -> set[int]:
        """:meth:`record_cancelled` for a page of orders (order id → status), in a few statements
        whatever their number; returns the ids recorded now (the others were already recorded)."""
        existing = self.many(list(statuses))
        recorded = {order_id for order_id in statuses
                    if order_id not in existing or existing[order_id].status is None}
        now = utcnow()

        def values(status: CancellationStatus) -> dict[str, object]:
            settled = now if status is not CancellationStatus.PENDING else None
            return {"status": status.value, "cancelled_at": now, "settled_at": settled}

        self._insert(account, {order_id: values(statuses[order_id])
                               for order_id in recorded if order_id not in existing})
        # rows already there (only the buyer's request so far): one UPDATE per status, not per order
        for status in sorted(set(statuses.values())):
            ids = [order_id for order_id in recorded if order_id in existing and statuses[order_id] is status]
            if ids:
                self._session.execute(
                    update(CANCELLATIONS).where(CANCELLATIONS.c.order_id.in_(ids)).values(values(status)))
        return recorded

    def record_request(self, order_id: int, account: str, reason: str | None) -> bool:
        """The buyer asked to cancel; False when that was already recorded."""
        return order_id in self.record_requests_many(account, {order_id: reason})

    def record_requests_many(self, account: str, reasons: Mapping[int, str | None]) -> set[int]:
        """:meth:`record_request` for a page of orders (order id → Amazon's reason); returns the ids
        recorded now (the others were already recorded)."""
        existing = self.many(list(reasons))
        recorded = {order_id for order_id in reasons
                    if order_id not in existing or existing[order_id].requested_at is None}
        now = utcnow()
        values = {order_id: {"requested_at": now, "request_reason": (reasons[order_id] or "")[:100] or None}
                  for order_id in recorded}
        self._insert(account, {order_id: v for order_id, v in values.items() if order_id not in existing})
        # a row already there (Amazon's cancellation came first) is rare: each reason its own UPDATE
        for order_id in sorted(recorded & existing.keys()):
            self._session.execute(
                update(CANCELLATIONS).where(CANCELLATIONS.c.order_id == order_id).values(values[order_id]))
        return recorded

    def _insert(self, account: str, rows: Mapping[int, dict[str, object]]) -> None:
        """New rows, one INSERT for all of them."""
        if rows:
            self._session.execute(insert(CANCELLATIONS), [
                {"order_id": order_id, "account": account, **values} for order_id, values in sorted(rows.items())])

    def pending(self, account: str, *, limit: int = 100, after_id: int = 0) -> list[int]:
        """Ids of the account's orders whose cancellation is still to apply in the gestionale."""
        rows = self._session.execute(
            select(CANCELLATIONS.c.order_id)
            .where(CANCELLATIONS.c.account == account, CANCELLATIONS.c.status == CancellationStatus.PENDING.value,
                   CANCELLATIONS.c.order_id > after_id)
            .order_by(CANCELLATIONS.c.order_id).limit(limit))
        return [row.order_id for row in rows]

    def settle(self, order_id: int, status: CancellationStatus) -> bool:
        """``pending`` → ``applied`` or ``after_shipping``; False when it was no longer pending."""
        result = self._session.execute(
            update(CANCELLATIONS)
            .where(CANCELLATIONS.c.order_id == order_id,
                   CANCELLATIONS.c.status == CancellationStatus.PENDING.value)
            .values(status=status.value, settled_at=utcnow()))
        return result.rowcount == 1


def _record(row) -> CancellationRecord:
    m = row._mapping
    return CancellationRecord(
        order_id=m["order_id"], account=m["account"],
        status=CancellationStatus(m["status"]) if m["status"] else None,
        cancelled_at=m["cancelled_at"], settled_at=m["settled_at"], requested_at=m["requested_at"],
        request_reason=m["request_reason"],
    )
