"""Rule: one writer at a time per WebAPI user, decided by the site database's lease (importer/write_lease.py),
whatever the Airflow pool or executor: a push waits for another holder (saying who in its log), then
defers its orders; a dead holder's lease expires; a push that lost its lease writes nothing more."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from importer_helpers import Importer, amazon_order, site_order

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import WritesNotExclusive
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.importer.sync import SyncStatus, run_site_sync
from amazon_passweb.importer.write_lease import LeasePolicy, WriteLease, exclusive_writes, lease_holder
from amazon_passweb.notify.messages import TEXTS, Kind
from amazon_passweb.site.states import OrderState, SyncType

OTHER = "scheduled__2026-12-09T10:00:00/push@worker-2:4242"


def leased_client(client: GestionaleClient, *, ttl_s: float, wait_s: float) -> GestionaleClient:
    settings = replace(client.settings, write_lease_ttl_s=ttl_s, write_lease_wait_s=wait_s)
    return GestionaleClient(settings, settle_s=client.settle_s)


def hold(store, client: GestionaleClient, holder: str = OTHER, ttl_s: float = 600):
    with store.unit_of_work() as uow:
        return uow.leases.take(client.settings.writer_key, holder, timedelta(seconds=ttl_s))


def lease_row(store, client: GestionaleClient):
    with store.unit_of_work(read_only=True) as uow:
        return uow.leases.get(client.settings.writer_key)


def imported(store, client, account, count: int = 2) -> list:
    """Orders created in the site, not pushed yet (as create_orders leaves them)."""
    orders = [amazon_order() for _ in range(count)]
    AccountImport(store, account, "run-0").run([orders])
    return orders


def test_the_push_holds_the_lease_while_it_writes_and_releases_it(store, client, it_main, monkeypatch):
    seen = []
    original = client.create_document

    def create_document(*args, **kwargs):
        seen.append(lease_row(store, client))
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "create_document", create_document)
    Importer(store, client, it_main).run([amazon_order()], run_id="manual__1")
    assert seen and seen[0].holder == lease_holder("manual__1", "push")
    assert lease_row(store, client) is None, "released at the end"
    assert client.write_guard is None


def test_a_push_finding_the_lease_held_waits_then_defers_its_orders(store, client, it_main, standin, caplog):
    orders = imported(store, client, it_main)
    waiting = leased_client(client, ttl_s=60, wait_s=0.6)
    hold(store, waiting)
    caplog.set_level(logging.INFO, logger="amazon_passweb.importer")
    started = time.monotonic()
    counts = AccountImport(store, it_main, "manual__2").push(waiting)
    assert counts["busy"] == 1 and not counts["pushed"] and time.monotonic() - started >= 0.6
    assert f"held by {OTHER}" in caplog.text, "the task log says who holds the lease"
    for order in orders:
        assert site_order(store, it_main, order.amazon_order_id).state is OrderState.REGISTRATO
    assert standin.standin.count_documents() == 0 and standin.standin.count_customers() == 0
    assert lease_row(store, waiting).holder == OTHER, "the other holder's lease is left alone"
    assert TEXTS[Kind.GESTIONALE_BUSY].startswith("Un altro invio al gestionale con lo stesso utente WebAPI")


def test_a_dead_holders_lease_expires_and_the_push_goes_on(store, client, it_main, standin, caplog):
    orders = imported(store, client, it_main)
    waiting = leased_client(client, ttl_s=1, wait_s=10)
    hold(store, waiting, ttl_s=1)  # never renewed: its holder died
    caplog.set_level(logging.INFO, logger="amazon_passweb.importer")
    counts = AccountImport(store, it_main, "manual__3").push(waiting)
    assert counts["pushed"] == len(orders) and not counts["busy"]
    assert f"after waiting for {OTHER}" in caplog.text
    assert standin.standin.count_documents() == len(orders)


def test_the_heartbeat_keeps_the_lease_through_a_push_longer_than_its_ttl(store, client, it_main, standin):
    orders = imported(store, client, it_main, count=4)
    pushing = leased_client(client, ttl_s=1, wait_s=0)
    standin.faults.update(latency_s=0.2)  # about 2 s of requests: twice the lease's ttl
    counts = AccountImport(store, it_main, "manual__4").push(pushing)
    assert counts["pushed"] == len(orders) and not counts["failed"]


def test_a_push_that_lost_its_lease_writes_nothing_more(store, client, it_main, standin, monkeypatch):
    """Another push took the lease over (ours looked dead to it): the heartbeat finds out and the next
    write is refused before it is sent; the push stops."""
    imported(store, client, it_main, count=3)
    pushing = leased_client(client, ttl_s=1, wait_s=0)
    original = pushing.create_document

    def create_document(*args, **kwargs):
        with store.unit_of_work() as uow:  # as a rival would, once our lease had expired
            uow.leases.release(pushing.settings.writer_key, pushing.write_guard.holder)
            uow.leases.take(pushing.settings.writer_key, OTHER, timedelta(minutes=5))
        time.sleep(0.6)  # the heartbeat (every ttl / 4) notices
        return original(*args, **kwargs)

    monkeypatch.setattr(pushing, "create_document", create_document)
    with pytest.raises(WritesNotExclusive, match="taken by another push"):
        AccountImport(store, it_main, "manual__5").push(pushing)
    assert standin.standin.count_documents() == 0
    assert lease_row(store, pushing).holder == OTHER


def test_writes_stop_when_the_lease_could_not_be_renewed_for_half_its_ttl(store, client):
    lease = WriteLease(store, client.settings.writer_key, "me", LeasePolicy(ttl=timedelta(seconds=2)))
    lease()  # just taken: writes allowed
    lease._renewed -= 1.5  # no renewal for 1.5 s (the database unreachable): more than half the ttl
    with pytest.raises(WritesNotExclusive, match="not renewed"):
        lease()


def test_nested_write_paths_share_one_lease(store, client):
    with exclusive_writes(store, client, "outer") as outer, exclusive_writes(store, client, "inner") as inner:
        assert inner is outer and lease_row(store, client).holder == "outer"
    assert lease_row(store, client) is None


def test_a_sync_finding_the_lease_held_is_not_counted_and_says_why(store, client, accounts, it_main):
    imported(store, client, it_main)
    waiting = leased_client(client, ttl_s=60, wait_s=0.3)
    hold(store, waiting)
    report = run_site_sync(store, waiting, accounts, SyncType.CHANGED, "sync__1")
    assert report.status is SyncStatus.FAILED
    assert TEXTS[Kind.GESTIONALE_BUSY] in report.message
    assert report.quota.used == 0
