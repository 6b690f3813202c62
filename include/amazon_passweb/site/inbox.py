"""The Amazon inbox: the latest raw payload of every order seen, and what
happened to it. The payload holds buyer data, so it is stored encrypted."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, case, func, insert, select, update
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
from .crypto import PiiCipher
from .errors import NotFound
from .models import InboxEntry, InboxHistory
from .records import HistoryRecord, InboxRecord
from .states import InboxStatus

INBOX = InboxEntry.__table__
HISTORY = InboxHistory.__table__
_PURPOSE = "inbox.payload"


class UpsertResult(StrEnum):
    INSERTED = "inserted"
    UPDATED = "updated"  # a newer version replaced the stored one
    UNCHANGED = "unchanged"  # the stored version is as new or newer


@dataclass(frozen=True)
class InboxItem:
    """One order as fetched from Amazon, ready for :meth:`InboxRepository.upsert`."""

    amazon_order_id: str
    last_update: datetime
    payload: Any  # JSON-serialisable, or a JSON string
    marketplace_id: str | None = None
    amazon_status: str | None = None


class InboxRepository:
    def __init__(self, session: Session, cipher: PiiCipher) -> None:
        self._session = session
        self._cipher = cipher

    def upsert(self, account: str, item: InboxItem) -> UpsertResult:
        """Store the order, keeping whichever version has the newer last-update.

        A newer version puts a not-yet-imported order back to ``new`` (it may
        now qualify); an imported one stays ``imported`` and the importer
        compares the Amazon status.
        """
        now = utcnow()
        text = item.payload if isinstance(item.payload, str) else json.dumps(item.payload, sort_keys=True)
        stmt = dialect_insert(self._session, INBOX).values(
            account=account,
            amazon_order_id=item.amazon_order_id,
            marketplace_id=item.marketplace_id,
            amazon_status=item.amazon_status,
            last_update=item.last_update,
            payload_enc=self._cipher.encrypt(text, _PURPOSE),
            status=InboxStatus.NEW.value,
            attempts=0,
            customer_new=False,
            address_new=False,
            first_seen_at=now,
            updated_at=now,
        )
        newer = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[INBOX.c.account, INBOX.c.amazon_order_id],
            set_={
                "marketplace_id": newer.marketplace_id,
                "amazon_status": newer.amazon_status,
                "last_update": newer.last_update,
                "payload_enc": newer.payload_enc,
                "updated_at": newer.updated_at,
                "status": case(
                    (INBOX.c.status == InboxStatus.IMPORTED.value, InboxStatus.IMPORTED.value),
                    else_=InboxStatus.NEW.value,
                ),
            },
            where=INBOX.c.last_update < newer.last_update,
        ).returning(INBOX.c.first_seen_at)
        first_seen = self._session.execute(stmt).scalar()
        if first_seen is None:
            return UpsertResult.UNCHANGED
        return UpsertResult.INSERTED if first_seen == now else UpsertResult.UPDATED

    def get(self, account: str, amazon_order_id: str) -> InboxRecord:
        row = self._session.execute(
            select(INBOX).where(INBOX.c.account == account, INBOX.c.amazon_order_id == amazon_order_id)
        ).first()
        if row is None:
            raise NotFound(f"Amazon order {amazon_order_id} of account {account!r} is not in the inbox")
        return self._record(row)

    def entries(
        self,
        account: str,
        *,
        statuses: Iterable[InboxStatus] | None = None,
        amazon_statuses: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> list[InboxRecord]:
        """Entries of the account, oldest update first, optionally filtered."""
        query = select(INBOX).where(INBOX.c.account == account)
        if statuses is not None:
            query = query.where(INBOX.c.status.in_([s.value for s in statuses]))
        if amazon_statuses is not None:
            query = query.where(INBOX.c.amazon_status.in_(list(amazon_statuses)))
        query = query.order_by(INBOX.c.last_update, INBOX.c.id).limit(limit)
        return [self._record(row) for row in self._session.execute(query)]

    def mark(
        self,
        account: str,
        amazon_order_id: str,
        status: InboxStatus,
        *,
        run_id: str | None = None,
        message: str | None = None,
        order_id: int | None = None,
    ) -> None:
        """Set the processing status and append it to the order's history.
        ``message`` becomes the last error for ``failed``/``incomplete``/``rejected``."""
        values: dict[str, Any] = {"status": status.value, "updated_at": utcnow()}
        if status in (InboxStatus.FAILED, InboxStatus.INCOMPLETE, InboxStatus.REJECTED):
            values["last_error"] = message
        elif status == InboxStatus.IMPORTED:
            values["last_error"] = None
        if status == InboxStatus.FAILED:
            values["attempts"] = INBOX.c.attempts + 1
        if order_id is not None:
            values["order_id"] = order_id
        self._update(account, amazon_order_id, values)
        self.add_history(account, amazon_order_id, run_id=run_id, outcome=status.value, message=message)

    def mark_reconciled(
        self,
        account: str,
        amazon_order_id: str,
        *,
        run_id: str | None = None,
        customer_id: int | None = None,
        customer_new: bool = False,
        address_id: int | None = None,
        address_new: bool = False,
    ) -> None:
        """The reconcile step's result: the order's customer and shipping address
        (None for an AFN order without buyer data) and whether they were created."""
        self._update(
            account,
            amazon_order_id,
            {
                "status": InboxStatus.RECONCILED.value,
                "updated_at": utcnow(),
                "last_error": None,
                "customer_id": customer_id,
                "customer_new": customer_new,
                "shipping_address_id": address_id,
                "address_new": address_new,
            },
        )
        self.add_history(account, amazon_order_id, run_id=run_id, outcome=InboxStatus.RECONCILED.value)

    def add_history(
        self,
        account: str,
        amazon_order_id: str,
        *,
        run_id: str | None,
        outcome: str,
        message: str | None = None,
    ) -> None:
        """Append a step to the order's history without changing its status
        (e.g. "pushed", "cancelled"). Keep buyer data out of ``message``."""
        self._session.execute(
            insert(HISTORY).values(
                account=account,
                amazon_order_id=amazon_order_id,
                run_id=run_id,
                outcome=outcome,
                message=message,
                at=utcnow(),
            )
        )

    def _update(self, account: str, amazon_order_id: str, values: dict[str, Any]) -> None:
        result = self._session.execute(
            update(INBOX)
            .where(INBOX.c.account == account, INBOX.c.amazon_order_id == amazon_order_id)
            .values(values)
        )
        if result.rowcount != 1:
            raise NotFound(f"Amazon order {amazon_order_id} of account {account!r} is not in the inbox")

    def history(self, account: str, amazon_order_id: str) -> list[HistoryRecord]:
        rows = self._session.execute(
            select(HISTORY)
            .where(HISTORY.c.account == account, HISTORY.c.amazon_order_id == amazon_order_id)
            .order_by(HISTORY.c.id)
        )
        return [_history(r) for r in rows]

    def run_history(self, account: str, run_id: str) -> list[HistoryRecord]:
        """Every step the account's orders went through in one run, in order."""
        rows = self._session.execute(
            select(HISTORY)
            .where(HISTORY.c.account == account, HISTORY.c.run_id == run_id)
            .order_by(HISTORY.c.id)
        )
        return [_history(r) for r in rows]

    def counts(self, account: str) -> dict[InboxStatus, int]:
        rows = self._session.execute(
            select(INBOX.c.status, func.count()).where(INBOX.c.account == account).group_by(INBOX.c.status)
        )
        return {InboxStatus(status): n for status, n in rows}

    def _record(self, row: Row) -> InboxRecord:
        m = row._mapping
        text = self._cipher.decrypt(m["payload_enc"], _PURPOSE)
        return InboxRecord(
            account=m["account"],
            amazon_order_id=m["amazon_order_id"],
            marketplace_id=m["marketplace_id"],
            amazon_status=m["amazon_status"],
            last_update=m["last_update"],
            payload=json.loads(text) if text is not None else None,
            status=InboxStatus(m["status"]),
            last_error=m["last_error"],
            attempts=m["attempts"],
            order_id=m["order_id"],
            customer_id=m["customer_id"],
            shipping_address_id=m["shipping_address_id"],
            customer_new=bool(m["customer_new"]),
            address_new=bool(m["address_new"]),
        )


def _history(row: Row) -> HistoryRecord:
    return HistoryRecord(
        amazon_order_id=row.amazon_order_id,
        run_id=row.run_id,
        outcome=row.outcome,
        message=row.message,
        at=row.at,
    )
