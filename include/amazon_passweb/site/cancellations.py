"""Amazon's cancellations and buyers' requests of imported orders (domain.md §7), one row per order.

The row is written in the same transaction that sees the change (the fetch), before anything is
asked of the gestionale: a ``pending`` row is the intent to annul the order's document, and it
leaves ``pending`` only in the transaction that records the outcome. Each event is therefore
recorded once, whatever is retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
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
        now = utcnow()
        settled = now if status is not CancellationStatus.PENDING else None
        existing = self.get(order_id)
        if existing is not None and existing.status is not None:
            return False
        if existing is None:
            self._session.execute(dialect_insert(self._session, CANCELLATIONS).values(
                order_id=order_id, account=account, status=status.value, cancelled_at=now, settled_at=settled))
        else:
            self._session.execute(update(CANCELLATIONS).where(CANCELLATIONS.c.order_id == order_id).values(
                status=status.value, cancelled_at=now, settled_at=settled))
        return True

    def record_request(self, order_id: int, account: str, reason: str | None) -> bool:
        """The buyer asked to cancel; False when that was already recorded."""
        existing = self.get(order_id)
        if existing is not None and existing.requested_at is not None:
            return False
        values = {"requested_at": utcnow(), "request_reason": (reason or "")[:100] or None}
        if existing is None:
            self._session.execute(dialect_insert(self._session, CANCELLATIONS).values(
                order_id=order_id, account=account, **values))
        else:
            self._session.execute(update(CANCELLATIONS).where(CANCELLATIONS.c.order_id == order_id).values(values))
        return True

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
