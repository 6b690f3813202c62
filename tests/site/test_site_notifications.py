"""What each account received of Amazon's notifications: counts add up, the newest times stay, on both
dialects and with two event runs recording at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from amazon_passweb.site.notifications import AssetEventMark
from amazon_passweb.site.unit_of_work import SiteStore

T0 = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def test_an_account_never_notified_has_no_status(store: SiteStore) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.notifications.status(["it_main"]) == {}
        assert uow.notifications.status([]) == {}


def test_counts_add_up_and_the_newest_times_stay(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.notifications.record("it_main", received=3, last_event_at=T0, at=T0 + timedelta(seconds=20))
    with store.unit_of_work() as uow:  # a later batch naming an older change (notifications reorder)
        uow.notifications.record("it_main", received=2, last_event_at=T0 - timedelta(minutes=5),
                                 at=T0 + timedelta(minutes=1))
    with store.unit_of_work() as uow:  # a run recording late, after a newer one
        uow.notifications.record("it_main", received=1, last_event_at=None, at=T0)
        uow.notifications.record("eu_de_fr", received=4, last_event_at=T0, at=T0)
    with store.unit_of_work(read_only=True) as uow:
        status = uow.notifications.status(["it_main", "eu_de_fr", "other"])
    assert set(status) == {"it_main", "eu_de_fr"}
    it = status["it_main"]
    assert (it.received_total, it.last_event_at, it.last_received_at) == (6, T0, T0 + timedelta(minutes=1))
    assert status["eu_de_fr"].received_total == 4


def test_a_first_record_without_event_time_then_one_with(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.notifications.record("it_main", received=1, last_event_at=None, at=T0)
    with store.unit_of_work() as uow:
        uow.notifications.record("it_main", received=1, last_event_at=T0, at=T0 + timedelta(seconds=1))
    with store.unit_of_work(read_only=True) as uow:
        assert uow.notifications.status(["it_main"])["it_main"].last_event_at == T0


def test_two_runs_recording_at_once_both_count(store: SiteStore) -> None:
    barrier, errors = threading.Barrier(4), []

    def record(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                with store.unit_of_work() as uow:
                    uow.notifications.record("it_main", received=n, last_event_at=T0 + timedelta(seconds=n), at=T0)
        except Exception as error:  # reported below: a thread's exception would be lost
            errors.append(error)

    threads = [threading.Thread(target=record, args=(n,)) for n in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.unit_of_work(read_only=True) as uow:
        status = uow.notifications.status(["it_main"])["it_main"]
    assert (status.received_total, status.last_event_at) == (5 * (1 + 2 + 3 + 4), T0 + timedelta(seconds=4))


def test_the_newest_asset_event_consumed_is_kept_whatever_order_runs_record_in(store: SiteStore) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.notifications.consumed("it_main") is None
    with store.unit_of_work() as uow:
        uow.notifications.record("it_main", received=1, last_event_at=T0, at=T0)  # a run outside Airflow: no mark
    with store.unit_of_work(read_only=True) as uow:
        assert uow.notifications.consumed("it_main") is None
    with store.unit_of_work() as uow:
        uow.notifications.record("it_main", received=2, last_event_at=T0, at=T0,
                                 asset_event=AssetEventMark(7, T0 + timedelta(seconds=7)))
    with store.unit_of_work() as uow:  # a run that consumed older events records after it
        uow.notifications.record("it_main", received=1, last_event_at=T0, at=T0,
                                 asset_event=AssetEventMark(5, T0 + timedelta(seconds=5)))
        uow.notifications.record("it_main", received=0, last_event_at=None, at=T0)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.notifications.consumed("it_main") == AssetEventMark(7, T0 + timedelta(seconds=7))
        assert uow.notifications.consumed("eu_de_fr") is None
        assert uow.notifications.status(["it_main"])["it_main"].received_total == 4
