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
    asset_event_id: int | None = None
    asset_event_at: datetime | None = None


@dataclass(frozen=True)
class AssetEventMark:
    """One of Airflow's asset events (a batch the triggerer read from the queue): its id and time."""

    id: int
    at: datetime


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, account_id: str, *, received: int, last_event_at: datetime | None,
               at: datetime | None = None, asset_event: AssetEventMark | None = None) -> None:
        """``received`` notifications arrived at ``at``; ``last_event_at``: the newest time Amazon gave them;
        ``asset_event``: the newest asset event the run consumed (kept only if newer than the one stored)."""
        if received < 0:
            raise ValueError("received must not be negative")
        at = at or utcnow()
        insert = dialect_insert(self._session, NOTIFICATIONS).values(
            account=account_id, last_received_at=at, last_event_at=last_event_at, received_total=received,
            asset_event_id=asset_event.id if asset_event else None,
            asset_event_at=asset_event.at if asset_event else None)
        newer_event = (NOTIFICATIONS.c.last_event_at.is_(None)
                       | (insert.excluded.last_event_at > NOTIFICATIONS.c.last_event_at))
        stored_id = NOTIFICATIONS.c.asset_event_id
        newer_asset_event = insert.excluded.asset_event_id.is_not(None) & (
            stored_id.is_(None) | (insert.excluded.asset_event_id > stored_id))
        self._session.execute(insert.on_conflict_do_update(
            index_elements=[NOTIFICATIONS.c.account],
            set_={
                "last_received_at": case((insert.excluded.last_received_at > NOTIFICATIONS.c.last_received_at,
                                          insert.excluded.last_received_at), else_=NOTIFICATIONS.c.last_received_at),
                "last_event_at": case((insert.excluded.last_event_at.is_not(None) & newer_event,
                                       insert.excluded.last_event_at), else_=NOTIFICATIONS.c.last_event_at),
                "received_total": NOTIFICATIONS.c.received_total + insert.excluded.received_total,
                "asset_event_id": case((newer_asset_event, insert.excluded.asset_event_id),
                                       else_=NOTIFICATIONS.c.asset_event_id),
                "asset_event_at": case((newer_asset_event, insert.excluded.asset_event_at),
                                       else_=NOTIFICATIONS.c.asset_event_at),
            },
        ))

    def consumed(self, account_id: str) -> AssetEventMark | None:
        """The newest asset event the account's event runs have consumed, if any."""
        row = self._session.execute(select(NOTIFICATIONS.c.asset_event_id, NOTIFICATIONS.c.asset_event_at)
                                    .where(NOTIFICATIONS.c.account == account_id)).first()
        if row is None or row.asset_event_id is None:
            return None
        return AssetEventMark(row.asset_event_id, row.asset_event_at)

    def status(self, account_ids: Iterable[str]) -> dict[str, NotificationStatus]:
        """The accounts that received notifications, by id (an account never notified is absent)."""
        ids = list(account_ids)
        if not ids:
            return {}
        rows = self._session.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.account.in_(ids))).all()
        return {row.account: NotificationStatus(**row._mapping) for row in rows}
