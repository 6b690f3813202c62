from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from amazon_passweb.site import (
    ImportAlreadyRunning,
    ImportRunCounts,
    RunOutcome,
    SiteStore,
    SyncAlreadyRunning,
    SyncType,
)
from amazon_passweb.site.models import ImportRun, SyncRun

T0 = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def test_watermark_set_by_operator_and_advanced_by_imports(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.accounts.watermark("acc") is None
        assert uow.accounts.advance_watermark("acc", T0) == T0
        assert uow.accounts.advance_watermark("acc", T0 - timedelta(days=1)) == T0  # never back
        assert uow.accounts.advance_watermark("acc", T0 + timedelta(hours=2)) == T0 + timedelta(hours=2)
        uow.accounts.set_watermark("acc", T0 - timedelta(days=30))  # the operator forces a re-read
        assert uow.accounts.watermark("acc") == T0 - timedelta(days=30)
        assert uow.accounts.watermark("other") is None


def test_import_run_records_counts_and_outcome(store: SiteStore) -> None:
    counts = ImportRunCounts(fetched=10, selected=8, created=6, pushed=5, failed=1, skipped=2)
    with store.unit_of_work() as uow:
        run_id = uow.imports.start("acc", run_id="manual__1", window_start=T0, window_end=T0 + timedelta(hours=1))
        uow.imports.finish(run_id, RunOutcome.PARTIAL, counts, message="1 ordine non importato")
        run = uow.imports.get(run_id)
        assert uow.imports.recent("acc") == [run]
    assert run.outcome == "partial" and run.counts == counts
    assert run.window_end == T0 + timedelta(hours=1)
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_second_import_of_the_same_account_is_refused(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        first = uow.imports.start("acc")
    with store.unit_of_work() as uow:
        with pytest.raises(ImportAlreadyRunning, match="acc"):
            uow.imports.start("acc")
        other_account = uow.imports.start("other")  # the unit of work is still usable
    with store.unit_of_work() as uow:
        uow.imports.finish(first, RunOutcome.SUCCESS, ImportRunCounts())
        uow.imports.finish(other_account, RunOutcome.SUCCESS, ImportRunCounts())
        uow.imports.start("acc")


def test_a_dead_run_stops_blocking_after_the_stale_period(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        dead = uow.imports.start("acc")
        uow.session.execute(update(ImportRun).where(ImportRun.id == dead).values(started_at=T0 - timedelta(days=1)))
    with store.unit_of_work() as uow:
        uow.imports.start("acc", stale_after=timedelta(hours=6))
        assert uow.imports.get(dead).outcome == "abandoned"


def test_an_open_run_is_never_closed_for_its_age_alone(store: SiteStore) -> None:
    # A v0 backfill can run for hours: only the scheduler can tell it is over (airflow_runs).
    with store.unit_of_work() as uow:
        backfill = uow.imports.start("acc", run_id="backfill__1")
        sync = uow.syncs.start(SyncType.TOTAL, run_id="sync__1")
        uow.session.execute(update(ImportRun).where(ImportRun.id == backfill).values(started_at=T0))
        uow.session.execute(update(SyncRun).where(SyncRun.id == sync).values(started_at=T0))
    with store.unit_of_work() as uow:
        with pytest.raises(ImportAlreadyRunning):
            uow.imports.start("acc")
        with pytest.raises(SyncAlreadyRunning):
            uow.syncs.start(SyncType.CHANGED)
        assert [run.id for run in uow.syncs.running_exclusive()] == [sync]
        uow.syncs.abandon(sync, "terminata senza chiudersi")
        assert uow.syncs.get(sync).outcome == "abandoned" and not uow.syncs.get(sync).counted
        assert uow.syncs.running_exclusive() == []


def test_changed_and_total_syncs_exclude_each_other_but_not_partial(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        total = uow.syncs.start(SyncType.TOTAL)
    with store.unit_of_work() as uow:
        with pytest.raises(SyncAlreadyRunning):
            uow.syncs.start(SyncType.CHANGED)
        with pytest.raises(SyncAlreadyRunning):
            uow.syncs.start(SyncType.TOTAL)
        partial = uow.syncs.start(SyncType.PARTIAL)
        uow.syncs.start(SyncType.PARTIAL)
    with store.unit_of_work() as uow:
        uow.syncs.finish(total, success=True)
        uow.syncs.finish(partial, success=True)
        changed = uow.syncs.start(SyncType.CHANGED)
        assert uow.syncs.get(total).counted
        assert not uow.syncs.get(partial).counted
        assert uow.syncs.get(changed).outcome == "running"


def test_monthly_quota_counts_successful_changed_and_total_syncs(store: SiteStore) -> None:
    def run(sync_type: SyncType, started: datetime, success: bool) -> None:
        with store.unit_of_work() as uow:
            run_id = uow.syncs.start(sync_type)
            uow.syncs.finish(run_id, success=success)
            uow.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(started_at=started))

    run(SyncType.TOTAL, datetime(2026, 11, 3, 6, tzinfo=UTC), True)
    run(SyncType.CHANGED, datetime(2026, 11, 4, 6, tzinfo=UTC), True)
    run(SyncType.CHANGED, datetime(2026, 11, 5, 6, tzinfo=UTC), False)  # failed: not counted
    run(SyncType.PARTIAL, datetime(2026, 11, 5, 7, tzinfo=UTC), True)  # partial: never counted
    run(SyncType.CHANGED, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), True)  # 1 November in Rome
    run(SyncType.CHANGED, datetime(2026, 10, 15, 6, tzinfo=UTC), True)
    with store.unit_of_work() as uow:
        november = uow.syncs.quota(date(2026, 11, 17), quota=30)
        october = uow.syncs.quota(date(2026, 10, 1), quota=1)
    assert (november.month, november.used, november.available) == (date(2026, 11, 1), 3, 27)
    assert (october.used, october.available) == (1, 0)
