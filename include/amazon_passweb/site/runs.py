"""Per-account state (the watermark), import runs, site–gestionale sync runs
and the monthly sync quota."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amazon_passweb.orders.dates import ROME_ZONE_NAME

from ._sql import dialect_insert, utcnow
from .errors import ImportAlreadyRunning, NotFound, SyncAlreadyRunning
from .models import AccountState, ImportRun, SyncRun
from .records import ImportRunCounts, ImportRunRecord, QuotaUsage, SyncRunRecord
from .states import RunOutcome, SyncType

STATE = AccountState.__table__
IMPORTS = ImportRun.__table__
SYNCS = SyncRun.__table__

# How long the operator pages show an open run as "in corso" without asking Airflow. Runs are never
# closed for their age: whether a run still runs is Airflow's answer (orchestration/airflow_runs.py).
DEFAULT_STALE_AFTER = timedelta(hours=6)
QUOTA_TIME_ZONE = ROME_ZONE_NAME  # the merchant's month, not UTC's
_COUNTED_TYPES = (SyncType.CHANGED.value, SyncType.TOTAL.value)


class AccountStateRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def watermark(self, account: str) -> datetime | None:
        """ "Data Ultima Sincronizzazione Ordini": orders were read up to here."""
        return self._session.execute(select(STATE.c.watermark).where(STATE.c.account == account)).scalar()

    def set_watermark(self, account: str, value: datetime | None, *, set_by: str = "operator") -> None:
        """Set it to any value, e.g. back in time to force re-reading orders."""
        stmt = dialect_insert(self._session, STATE).values(
            account=account, watermark=value, watermark_set_by=set_by, updated_at=utcnow()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[STATE.c.account],
            set_={"watermark": value, "watermark_set_by": set_by, "updated_at": stmt.excluded.updated_at},
        )
        self._session.execute(stmt)

    def advance_watermark(self, account: str, value: datetime, *, set_by: str = "import") -> datetime:
        """Move it forward to ``value``, never back (an older concurrent run
        cannot undo a newer one's progress). Returns the watermark now stored."""
        stmt = dialect_insert(self._session, STATE).values(
            account=account, watermark=value, watermark_set_by=set_by, updated_at=utcnow()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[STATE.c.account],
            set_={"watermark": value, "watermark_set_by": set_by, "updated_at": stmt.excluded.updated_at},
            where=or_(STATE.c.watermark.is_(None), STATE.c.watermark < value),
        )
        self._session.execute(stmt)
        stored = self.watermark(account)
        return stored if stored is not None else value


class ImportRunRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def start(
        self,
        account: str,
        *,
        run_id: str | None = None,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        stale_after: timedelta | None = None,
    ) -> int:
        """Open a run; raises ``ImportAlreadyRunning`` while another one of the
        same account is open (a unique partial index decides, not this code).

        An open run is never closed here for its age alone (a long backfill can last hours): the
        caller asks the scheduler whether it still runs. ``stale_after``, for callers without a
        scheduler to ask, closes runs open longer than that first."""
        now = utcnow()
        if stale_after is not None:
            self._session.execute(
                update(IMPORTS)
                .where(
                    IMPORTS.c.account == account,
                    IMPORTS.c.outcome == RunOutcome.RUNNING.value,
                    IMPORTS.c.started_at < now - stale_after,
                )
                .values(outcome=RunOutcome.ABANDONED.value, finished_at=now, message="no longer running")
            )
        try:
            with self._session.begin_nested():
                return self._session.execute(
                    insert(IMPORTS)
                    .values(
                        account=account,
                        run_id=run_id,
                        started_at=now,
                        outcome=RunOutcome.RUNNING.value,
                        window_start=window_start,
                        window_end=window_end,
                        fetched=0,
                        selected=0,
                        created=0,
                        pushed=0,
                        failed=0,
                        skipped=0,
                    )
                    .returning(IMPORTS.c.id)
                ).scalar_one()
        except IntegrityError:
            raise ImportAlreadyRunning(account) from None

    def finish(
        self, import_run_id: int, outcome: RunOutcome, counts: ImportRunCounts, *, message: str | None = None
    ) -> None:
        if outcome == RunOutcome.RUNNING:
            raise ValueError("finish() needs a final outcome")
        result = self._session.execute(
            update(IMPORTS)
            .where(IMPORTS.c.id == import_run_id)
            .values(
                outcome=outcome.value,
                finished_at=utcnow(),
                message=message,
                fetched=counts.fetched,
                selected=counts.selected,
                created=counts.created,
                pushed=counts.pushed,
                failed=counts.failed,
                skipped=counts.skipped,
            )
        )
        if result.rowcount != 1:
            raise NotFound(f"import run {import_run_id} does not exist")

    def get(self, import_run_id: int) -> ImportRunRecord:
        row = self._session.execute(select(IMPORTS).where(IMPORTS.c.id == import_run_id)).first()
        if row is None:
            raise NotFound(f"import run {import_run_id} does not exist")
        return _import_run(row)

    def recent(self, account: str, limit: int = 20) -> list[ImportRunRecord]:
        rows = self._session.execute(
            select(IMPORTS).where(IMPORTS.c.account == account).order_by(IMPORTS.c.id.desc()).limit(limit)
        )
        return [_import_run(row) for row in rows]


class SyncRunRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def start(
        self, sync_type: SyncType, *, run_id: str | None = None, stale_after: timedelta | None = None
    ) -> int:
        """Open a sync run. A changed or total sync raises ``SyncAlreadyRunning``
        while another changed/total one is open; partial syncs always start. Open runs are closed
        for their age only when ``stale_after`` is given (see :meth:`ImportRunRepository.start`)."""
        now = utcnow()
        if stale_after is not None:
            self._session.execute(
                update(SYNCS)
                .where(SYNCS.c.outcome == RunOutcome.RUNNING.value, SYNCS.c.started_at < now - stale_after)
                .values(outcome=RunOutcome.ABANDONED.value, finished_at=now, message="no longer running")
            )
        try:
            with self._session.begin_nested():
                return self._session.execute(
                    insert(SYNCS)
                    .values(
                        sync_type=sync_type.value,
                        run_id=run_id,
                        started_at=now,
                        outcome=RunOutcome.RUNNING.value,
                        counted=False,
                    )
                    .returning(SYNCS.c.id)
                ).scalar_one()
        except IntegrityError:
            raise SyncAlreadyRunning(sync_type.value) from None

    def finish(
        self, sync_run_id: int, *, success: bool, message: str | None = None, gestionale_time: str | None = None
    ) -> None:
        """Close the run; a successful changed/total sync counts in the quota. ``gestionale_time``: the
        gestionale's clock when the sync began reading (kept only for a success)."""
        run = self.get(sync_run_id)
        self._session.execute(
            update(SYNCS)
            .where(SYNCS.c.id == sync_run_id)
            .values(
                outcome=(RunOutcome.SUCCESS if success else RunOutcome.FAILED).value,
                finished_at=utcnow(),
                counted=success and run.sync_type in _COUNTED_TYPES,
                message=message,
                gestionale_time=gestionale_time if success else None,
            )
        )

    def running_exclusive(self) -> list[SyncRunRecord]:
        """The changed/total runs still open (at most one, unless a killed one was never closed)."""
        rows = self._session.execute(
            select(SYNCS).where(SYNCS.c.outcome == RunOutcome.RUNNING.value,
                                SYNCS.c.sync_type.in_(_COUNTED_TYPES)).order_by(SYNCS.c.id))
        return [_sync_run(row) for row in rows]

    def abandon(self, sync_run_id: int, message: str) -> None:
        """Close a run its scheduler no longer runs (a killed worker): never counted."""
        self._session.execute(
            update(SYNCS).where(SYNCS.c.id == sync_run_id, SYNCS.c.outcome == RunOutcome.RUNNING.value)
            .values(outcome=RunOutcome.ABANDONED.value, finished_at=utcnow(), message=message))

    def last_gestionale_time(self) -> str | None:
        """Since when (gestionale clock) a changed sync reads: when the latest successful changed/total
        sync began reading. None: the site never had one, and the next sync must be total."""
        return self._session.execute(
            select(func.max(SYNCS.c.gestionale_time)).where(
                SYNCS.c.outcome == RunOutcome.SUCCESS.value, SYNCS.c.sync_type.in_(_COUNTED_TYPES)
            )
        ).scalar()

    def get(self, sync_run_id: int) -> SyncRunRecord:
        row = self._session.execute(select(SYNCS).where(SYNCS.c.id == sync_run_id)).first()
        if row is None:
            raise NotFound(f"sync run {sync_run_id} does not exist")
        return _sync_run(row)

    def quota(self, month: date, quota: int, *, time_zone: str = QUOTA_TIME_ZONE) -> QuotaUsage:
        """Used / available counted syncs in the calendar month containing ``month``."""
        zone = ZoneInfo(time_zone)
        first = month.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        start = datetime(first.year, first.month, 1, tzinfo=zone)
        end = datetime(following.year, following.month, 1, tzinfo=zone)
        used = self._session.execute(
            select(func.count())
            .select_from(SYNCS)
            .where(SYNCS.c.counted.is_(True), SYNCS.c.started_at >= start, SYNCS.c.started_at < end)
        ).scalar_one()
        return QuotaUsage(month=first, quota=quota, used=used)


def _import_run(row: Row) -> ImportRunRecord:
    m = row._mapping
    return ImportRunRecord(
        id=m["id"],
        account=m["account"],
        run_id=m["run_id"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        outcome=RunOutcome(m["outcome"]),
        counts=ImportRunCounts(
            fetched=m["fetched"],
            selected=m["selected"],
            created=m["created"],
            pushed=m["pushed"],
            failed=m["failed"],
            skipped=m["skipped"],
        ),
        window_start=m["window_start"],
        window_end=m["window_end"],
        message=m["message"],
    )


def _sync_run(row: Row) -> SyncRunRecord:
    m = row._mapping
    return SyncRunRecord(
        id=m["id"],
        sync_type=SyncType(m["sync_type"]),
        run_id=m["run_id"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        outcome=RunOutcome(m["outcome"]),
        counted=bool(m["counted"]),
        message=m["message"],
        gestionale_time=m["gestionale_time"],
    )
