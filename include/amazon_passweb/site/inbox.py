"""The Amazon inbox: the latest raw payload of every order seen, and what
happened to it. The payload holds buyer data, so it is stored encrypted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Insert, Integer, Row, Update, bindparam, case, func, insert, literal, select, tuple_, update
from sqlalchemy.orm import Session

from ._sql import dialect_name, per_dialect, utcnow
from .crypto import PiiCipher
from .errors import NotFound
from .models import InboxEntry, InboxHistory
from .pii_columns import INBOX_PAYLOAD_PURPOSE as _PURPOSE
from .records import HistoryRecord, InboxMark, InboxRecord, ReconciledEntry
from .states import InboxStatus

INBOX = InboxEntry.__table__
HISTORY = InboxHistory.__table__


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
        return self.upsert_many(account, [item])[0]

    def upsert_many(self, account: str, items: Sequence[InboxItem]) -> list[UpsertResult]:
        """:meth:`upsert` for a page of orders in one statement; the results follow ``items``.
        An order given twice keeps its newer version (the other one is ``UNCHANGED``)."""
        newest: dict[str, int] = {}
        for index, item in enumerate(items):
            kept = newest.get(item.amazon_order_id)
            if kept is None or items[kept].last_update < item.last_update:
                newest[item.amazon_order_id] = index
        if not newest:
            return []
        now = utcnow()
        rows = [self._inbox_row(account, items[index], now) for index in newest.values()]
        first_seen = dict(self._session.execute(_UPSERT[dialect_name(self._session)], rows).all())
        results = []
        for index, item in enumerate(items):
            seen = first_seen.get(item.amazon_order_id) if newest[item.amazon_order_id] == index else None
            if seen is None:
                results.append(UpsertResult.UNCHANGED)
            else:
                results.append(UpsertResult.INSERTED if seen == now else UpsertResult.UPDATED)
        return results

    def _inbox_row(self, account: str, item: InboxItem, now: datetime) -> dict[str, Any]:
        text = item.payload if isinstance(item.payload, str) else json.dumps(item.payload, sort_keys=True)
        return {
            "account": account,
            "amazon_order_id": item.amazon_order_id,
            "marketplace_id": item.marketplace_id,
            "amazon_status": item.amazon_status,
            "last_update": item.last_update,
            "payload_enc": self._cipher.encrypt(text, _PURPOSE),
            "status": InboxStatus.NEW.value,
            "attempts": 0,
            "customer_new": False,
            "address_new": False,
            "first_seen_at": now,
            "updated_at": now,
        }

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
        after: tuple[datetime, int] | None = None,
        with_payload: bool = True,
    ) -> list[InboxRecord]:
        """Entries of the account, oldest update first, optionally filtered; ``after`` (an entry's
        ``position``) pages through them from where the previous page ended. ``with_payload=False``:
        the payload (buyer data) is neither decrypted nor parsed, for a caller that needs only the
        entry's columns."""
        query = select(INBOX).where(INBOX.c.account == account)
        if statuses is not None:
            query = query.where(INBOX.c.status.in_([s.value for s in statuses]))
        if amazon_statuses is not None:
            query = query.where(INBOX.c.amazon_status.in_(list(amazon_statuses)))
        if after is not None:
            last_update, entry_id = after
            query = query.where(tuple_(INBOX.c.last_update, INBOX.c.id) > tuple_(
                literal(last_update, INBOX.c.last_update.type), literal(entry_id, INBOX.c.id.type)))
        query = query.order_by(INBOX.c.last_update, INBOX.c.id).limit(limit)
        return [self._record(row, with_payload) for row in self._session.execute(query)]

    def many(self, account: str, amazon_order_ids: Iterable[str], *, with_payload: bool = True
             ) -> dict[str, InboxRecord]:
        """The account's entries with these ids, in one query; ids not in the inbox are left out."""
        ids = list(set(amazon_order_ids))
        if not ids:
            return {}
        rows = self._session.execute(
            select(INBOX).where(INBOX.c.account == account, INBOX.c.amazon_order_id.in_(ids)))
        return {row._mapping["amazon_order_id"]: self._record(row, with_payload) for row in rows}

    def mark(
        self,
        account: str,
        amazon_order_id: str,
        status: InboxStatus,
        *,
        run_id: str | None = None,
        message: str | None = None,
        order_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Set the processing status and append it to the order's history.
        ``message`` (and its technical ``detail``) becomes the last error for ``failed``/``incomplete``/
        ``rejected``/``waiting`` (for ``waiting`` the reason it waits)."""
        self.mark_many(account, [InboxMark(amazon_order_id, status, message, order_id, detail)], run_id=run_id)

    def mark_many(self, account: str, marks: Sequence[InboxMark], *, run_id: str | None = None) -> None:
        """:meth:`mark` for many orders: one UPDATE per status, one INSERT for the history."""
        now = utcnow()
        by_status: dict[InboxStatus, list[InboxMark]] = {}
        for mark in marks:
            by_status.setdefault(mark.status, []).append(mark)
        for status, group in by_status.items():
            self._update_many(account, _MARK[status], [
                {"b_id": m.amazon_order_id, "b_status": status.value, "b_now": now, "b_message": m.message,
                 "b_detail": m.detail, "b_order_id": m.order_id}
                for m in group
            ])
        self.add_history_many(account, [(m.amazon_order_id, m.status.value, m.message, m.detail) for m in marks],
                              run_id=run_id)

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
        self.mark_reconciled_many(
            account, [ReconciledEntry(amazon_order_id, customer_id, customer_new, address_id, address_new)],
            run_id=run_id)

    def mark_reconciled_many(self, account: str, entries: Sequence[ReconciledEntry], *,
                             run_id: str | None = None) -> None:
        now = utcnow()
        self._update_many(account, _RECONCILED, [
            {"b_id": e.amazon_order_id, "b_now": now, "b_customer_id": e.customer_id,
             "b_customer_new": e.customer_new, "b_address_id": e.address_id, "b_address_new": e.address_new}
            for e in entries
        ])
        self.add_history_many(account, [(e.amazon_order_id, InboxStatus.RECONCILED.value, None) for e in entries],
                              run_id=run_id)

    def add_history(
        self,
        account: str,
        amazon_order_id: str,
        *,
        run_id: str | None,
        outcome: str,
        message: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append a step to the order's history without changing its status
        (e.g. "pushed", "cancelled"). Keep buyer data out of ``message`` and ``detail``."""
        self.add_history_many(account, [(amazon_order_id, outcome, message, detail)], run_id=run_id)

    def add_history_many(self, account: str, steps: Sequence[tuple[str | None, ...]],
                         *, run_id: str | None) -> None:
        """:meth:`add_history` for many ``(amazon_order_id, outcome, message[, detail])`` in one INSERT."""
        if not steps:
            return
        now = utcnow()
        self._session.execute(insert(HISTORY), [
            {"account": account, "amazon_order_id": amazon_order_id, "run_id": run_id, "outcome": outcome,
             "message": message, "detail": detail[0] if detail else None, "at": now}
            for amazon_order_id, outcome, message, *detail in steps
        ])

    def _update_many(self, account: str, statement: Update, params: list[dict[str, Any]]) -> None:
        """Run a prepared UPDATE (its WHERE names ``b_account`` and ``b_id``) once per order."""
        if not params:
            return
        for p in params:
            p["b_account"] = account
        result = self._session.connection().execute(statement, params[0] if len(params) == 1 else params)
        counted = len(params) == 1 or self._session.get_bind().dialect.supports_sane_multi_rowcount
        if counted and result.rowcount != len(params):
            missing = params[0]["b_id"] if len(params) == 1 else f"{len(params) - result.rowcount} orders"
            raise NotFound(f"Amazon order {missing} of account {account!r} is not in the inbox")

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

    def _record(self, row: Row, with_payload: bool = True) -> InboxRecord:
        m = row._mapping
        text = self._cipher.decrypt(m["payload_enc"], _PURPOSE) if with_payload else None
        return InboxRecord(
            account=m["account"],
            amazon_order_id=m["amazon_order_id"],
            marketplace_id=m["marketplace_id"],
            amazon_status=m["amazon_status"],
            last_update=m["last_update"],
            payload=json.loads(text) if text is not None else None,
            status=InboxStatus(m["status"]),
            last_error=m["last_error"],
            last_error_detail=m["last_error_detail"],
            attempts=m["attempts"],
            order_id=m["order_id"],
            customer_id=m["customer_id"],
            shipping_address_id=m["shipping_address_id"],
            customer_new=bool(m["customer_new"]),
            address_new=bool(m["address_new"]),
            id=m["id"],
        )


def _history(row: Row) -> HistoryRecord:
    return HistoryRecord(
        amazon_order_id=row.amazon_order_id,
        run_id=row.run_id,
        outcome=row.outcome,
        message=row.message,
        at=row.at,
        detail=row.detail,
    )


# -- prepared statements: built once, so a batch costs no per-order compilation --------------


def _upsert(dialect) -> Insert:
    stmt = dialect.insert(INBOX)
    newer = stmt.excluded
    return stmt.on_conflict_do_update(
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
    ).returning(INBOX.c.amazon_order_id, INBOX.c.first_seen_at)


_UPSERT = per_dialect(_upsert)

_WHERE_ENTRY = (INBOX.c.account == bindparam("b_account"), INBOX.c.amazon_order_id == bindparam("b_id"))


def _mark_values(status: InboxStatus) -> dict[str, Any]:
    values: dict[str, Any] = {"status": bindparam("b_status"), "updated_at": bindparam("b_now"),
                              "order_id": func.coalesce(bindparam("b_order_id", type_=Integer), INBOX.c.order_id)}
    if status in (InboxStatus.FAILED, InboxStatus.INCOMPLETE, InboxStatus.REJECTED, InboxStatus.WAITING):
        values["last_error"] = bindparam("b_message")
        values["last_error_detail"] = bindparam("b_detail")
    elif status == InboxStatus.IMPORTED:
        values["last_error"] = values["last_error_detail"] = None
    if status == InboxStatus.FAILED:
        values["attempts"] = INBOX.c.attempts + 1
    return values


_MARK = {status: update(INBOX).where(*_WHERE_ENTRY).values(_mark_values(status)) for status in InboxStatus}


_RECONCILED = update(INBOX).where(*_WHERE_ENTRY).values(
    status=InboxStatus.RECONCILED.value,
    updated_at=bindparam("b_now"),
    last_error=None,
    last_error_detail=None,
    customer_id=bindparam("b_customer_id"),
    customer_new=bindparam("b_customer_new"),
    shipping_address_id=bindparam("b_address_id"),
    address_new=bindparam("b_address_new"),
)
