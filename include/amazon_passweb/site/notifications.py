"""What each account received of Amazon's ORDER_CHANGE notifications, as the accounts page shows it.

Recorded by the event run's fetch with one upsert: the count adds up, the newest event time is kept
(Amazon's notifications arrive out of order), and two event runs recording at once both count (on
PostgreSQL the second insert waits for the first's commit, then updates the row it committed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
from .models import AccountNotifications

NOTIFICATIONS = AccountNotifications.__table__


@dataclass(frozen=True)
class NotificationStatus:
    account: str
    last_received_at: datetime
    last_event_at: datetime | None
    received_total: int


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, account_id: str, *, received: int, last_event_at: datetime | None,
               at: datetime | None = None) -> None:
        """``received`` notifications arrived at ``at``; ``last_event_at``: the newest time Amazon gave them."""
        if received < 0:
            raise ValueError("received must not be negative")
        at = at or utcnow()
        insert = dialect_insert(self._session, NOTIFICATIONS).values(
            account=account_id, last_received_at=at, last_event_at=last_event_at, received_total=received)
        newer_event = (NOTIFICATIONS.c.last_event_at.is_(None)
                       | (insert.excluded.last_event_at > NOTIFICATIONS.c.last_event_at))
        self._session.execute(insert.on_conflict_do_update(
            index_elements=[NOTIFICATIONS.c.account],
            set_={
                "last_received_at": case((insert.excluded.last_received_at > NOTIFICATIONS.c.last_received_at,
                                          insert.excluded.last_received_at), else_=NOTIFICATIONS.c.last_received_at),
                "last_event_at": case((insert.excluded.last_event_at.is_not(None) & newer_event,
                                       insert.excluded.last_event_at), else_=NOTIFICATIONS.c.last_event_at),
                "received_total": NOTIFICATIONS.c.received_total + insert.excluded.received_total,
            },
        ))

    def status(self, account_ids: Iterable[str]) -> dict[str, NotificationStatus]:
        """The accounts that received notifications, by id (an account never notified is absent)."""
        ids = list(account_ids)
        if not ids:
            return {}
        rows = self._session.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.account.in_(ids))).all()
        return {row.account: NotificationStatus(**row._mapping) for row in rows}
