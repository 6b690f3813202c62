"""A total and a changed sync started together never run at the same time, on SQLite and PostgreSQL.

The second one waits for the first (polling, with a bounded wait); past the wait it is refused.
Each sync runs in its own thread on the same database; the gestionale answers slowly, so the
two would overlap if nothing stopped them.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sync_builders import SlowArticles

from amazon_passweb.importer.sync import SyncReport, SyncStatus, WaitPolicy, run_site_sync
from amazon_passweb.site.states import SyncType
from amazon_passweb.site.unit_of_work import SiteStore, open_site_store

SLOW = 1.0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_store(request, site_url, postgres_url, pii_key):
    url = site_url if request.param == "sqlite" else postgres_url()
    site = open_site_store(url, pii_key=pii_key, upgrade=True)
    yield site
    site.dispose()


def _start_together(store: SiteStore, accounts, gestionale, wait: WaitPolicy) -> dict[SyncType, SyncReport]:
    barrier = threading.Barrier(2)
    reports: dict[SyncType, SyncReport] = {}

    def run(sync_type: SyncType) -> None:
        barrier.wait()
        reports[sync_type] = run_site_sync(store, gestionale, accounts, sync_type, f"run-{sync_type}", wait=wait)

    threads = [threading.Thread(target=run, args=(t,)) for t in (SyncType.TOTAL, SyncType.CHANGED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return reports


def _intervals(store: SiteStore) -> list[tuple]:
    with store.engine.connect() as conn:
        return conn.execute(text(
            "SELECT sync_type, started_at, finished_at FROM sync_runs "
            "WHERE sync_type IN ('changed', 'total') ORDER BY started_at")).all()


def test_the_second_sync_waits_for_the_first(shared_store, accounts):
    gestionale = SlowArticles(SLOW)
    reports = _start_together(shared_store, accounts, gestionale,
                              WaitPolicy(timeout=timedelta(seconds=30), poll_seconds=0.1))

    assert {t: r.status for t, r in reports.items()} == {SyncType.TOTAL: SyncStatus.COMPLETED,
                                                          SyncType.CHANGED: SyncStatus.COMPLETED}
    assert gestionale.most_active == 1
    (_, _, first_finished), (_, second_started, _) = _intervals(shared_store)
    assert first_finished <= second_started


def test_past_the_wait_the_second_sync_is_refused(shared_store, accounts):
    reports = _start_together(shared_store, accounts, SlowArticles(SLOW),
                              WaitPolicy(timeout=timedelta(0), poll_seconds=0.1))

    assert sorted(r.status for r in reports.values()) == [SyncStatus.BUSY, SyncStatus.COMPLETED]
    [refused] = [r for r in reports.values() if r.status is SyncStatus.BUSY]
    assert "un'altra sincronizzazione variati o totale è ancora in corso" in refused.message
    assert refused.sync_run_id is None and refused.partial_run_id is None, "the running one carries the orders"
    assert len(_intervals(shared_store)) == 1
