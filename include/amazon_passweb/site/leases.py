"""The exclusive right to write to the gestionale with one WebAPI user: one lease row per user identity.

Taken with one statement, an upsert on the row's primary key whose update applies only when the row
is this holder's or has expired, so two takers never both win, on PostgreSQL (the conflicting
insert waits for the other's commit, then re-checks the condition on the row it committed) as on
SQLite (one writer at a time). Renewed by its holder only, released by its holder only; a holder that
stops renewing loses it at ``expires_at``. Times are the workers' UTC clocks (kept by NTP): the
lease's users leave a margin for the difference (importer/write_lease.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
from .models import GestionaleLease

LEASES = GestionaleLease.__table__


@dataclass(frozen=True)
class LeaseRecord:
    lease_key: str
    holder: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime


class LeaseRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str) -> LeaseRecord | None:
        row = self._session.execute(select(LEASES).where(LEASES.c.lease_key == key)).first()
        return LeaseRecord(**row._mapping) if row is not None else None

    def take(self, key: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> LeaseRecord:
        """Take the lease for ``ttl`` unless another holder's has not expired; returns the lease as it
        is now: ``holder`` says who has it (this one, or the one still holding it)."""
        now = now or utcnow()
        insert = dialect_insert(self._session, LEASES).values(
            lease_key=key, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl)
        retaken = LEASES.c.holder == insert.excluded.holder
        self._session.execute(insert.on_conflict_do_update(
            index_elements=[LEASES.c.lease_key],
            set_={
                "holder": insert.excluded.holder,
                "acquired_at": case((retaken, LEASES.c.acquired_at), else_=insert.excluded.acquired_at),
                "renewed_at": insert.excluded.renewed_at,
                "expires_at": insert.excluded.expires_at,
            },
            where=or_(retaken, LEASES.c.expires_at <= now),
        ))
        current = self.get(key)
        if current is None:  # released between the two statements of this transaction: impossible
            raise RuntimeError(f"lease {key} vanished while being taken")
        return current

    def renew(self, key: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
        """Extend the holder's lease to ``now + ttl``; False when it is no longer this holder's."""
        now = now or utcnow()
        result = self._session.execute(
            update(LEASES).where(LEASES.c.lease_key == key, LEASES.c.holder == holder)
            .values(renewed_at=now, expires_at=now + ttl))
        return result.rowcount == 1

    def release(self, key: str, holder: str) -> bool:
        """End the holder's lease; False when it was not (or no longer) this holder's."""
        result = self._session.execute(
            delete(LEASES).where(LEASES.c.lease_key == key, LEASES.c.holder == holder))
        return result.rowcount == 1
