"""Rule: a push killed while a create is in flight never leads to that record being created twice.

A worker process runs the real partial push against the gestionale stand-in, one request at a time; the
stand-in holds the first create without answering and commits it ``COMMIT_LATE_S`` after it arrived
(``commit_late``). The process is killed with SIGKILL while that create is in flight: it leaves no answer
and no parked order, only the write-ahead intent the push committed before the POST left. The next push
(another run, once the dead worker's write lease has expired) searches first, does not find the record
yet, and parks that order as *esito incerto* instead of creating it again; the orders the killed push had
not sent yet go through at once. Once the late commit has landed, a later push finds the record and
stores the order: the gestionale holds it exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from importer_helpers import Importer, address, amazon_order, last_message, private_buyer, site_order

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.site.crypto import KEY_ENV
from amazon_passweb.site.states import OrderState

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("killed_push_worker.py")
COMMIT_LATE_S = 8.0  # well after the next push's search (the dead worker's lease frees ~2 s after the kill)
ORDERS = 4
WHAT = {"document": "del documento", "customer": "del cliente"}


# Customers numbered by the gestionale (mastro.AUTO): with codes the push picks itself, the next run's
# customers would take the held create's free conto and the stand-in would refuse that late commit.
CUSTOMER_CODE = "auto"


def next_push_client(standin) -> GestionaleClient:
    """The later runs' client: the worker's WebAPI user (so the same write lease), a short lost-answer wait."""
    settings = WebApiSettings(base_url=standin.base_url, user="webapi", password="webapi", dominio="demo",
                              azienda="DEMO", retry_budget_s=5.0, read_timeout_s=0.3, connect_timeout_s=2.0,
                              uncertain_wait_s=60.0, write_lease_ttl_s=2.0, write_lease_wait_s=15.0,
                              customer_code=CUSTOMER_CODE)
    return GestionaleClient(settings, settle_s=0.6)


def buyers() -> list[tuple]:
    return [(private_buyer(f"Cliente Prova{n}", f"cliente{n}@marketplace.amazon.it"),
             address(f"Cliente Prova{n}", f"Via Torino {n + 1}", "10121", "Torino", province="TO"))
            for n in range(ORDERS)]


def registrato_orders(store, client, account, target: str) -> list:
    """``ORDERS`` Registrato orders whose push starts with a ``target`` create: new buyers for a customer;
    buyers already in the gestionale (an earlier order of each stored) for a document."""
    people = buyers()
    if target == "document":
        earlier = [amazon_order(buyer=buyer, delivery=home) for buyer, home in people]
        assert Importer(store, client, account).run(earlier, run_id="run-0")["pushed"] == ORDERS
    orders = [amazon_order(buyer=buyer, delivery=home) for buyer, home in people]
    AccountImport(store, account, "run-1").run([orders])  # no client: imported, not pushed
    return orders


def kill_worker_mid_create(store, standin, site_url: str, pii_key: str) -> float:
    """Run the push in a worker, SIGKILL it once the stand-in holds its first create; when that create arrived."""
    standin.faults.update(commit_late_next=1, commit_late_s=COMMIT_LATE_S)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), str(ROOT)]), KEY_ENV: pii_key}
    worker = subprocess.Popen([sys.executable, str(WORKER), site_url, standin.base_url, "run-killed",
                               CUSTOMER_CODE],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while standin.faults.commit_late_next:  # taken by the stand-in as the held create arrives
            assert worker.poll() is None, f"the worker ended first:\n{worker.stderr.read().decode()[-3000:]}"
            assert time.monotonic() < deadline, "the worker never sent a create"
            time.sleep(0.02)
        arrived = time.monotonic()
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stderr.close()
    return arrived


def count(standin, target: str) -> int:
    return standin.standin.count_documents() if target == "document" else standin.standin.count_customers()


@pytest.mark.parametrize("target", ["document", "customer"])
def test_a_create_in_flight_when_the_worker_is_killed_is_stored_once(store, standin, it_main, site_url, pii_key,
                                                                      monkeypatch, target):
    monkeypatch.setattr(standin.standin, "customer_auto", True)
    client = next_push_client(standin)
    orders = registrato_orders(store, client, it_main, target)
    before = count(standin, target)

    arrived = kill_worker_mid_create(store, standin, site_url, pii_key)
    committed_at = arrived + COMMIT_LATE_S
    # one request at a time, in the site's order: the first order's create was the one in flight
    held = min(orders, key=lambda o: site_order(store, it_main, o.amazon_order_id).id)
    assert count(standin, target) == before, "nothing is committed before the stand-in's late commit"

    # the next run: the held create is searched for, not sent again; the orders never sent go through at once
    started = time.monotonic()
    second = push_registrato(store, client, it_main, "run-2")
    assert time.monotonic() < committed_at, "the next push ran past the late commit: the test proves nothing"
    assert second["pushed"] == ORDERS - 1 and second["uncertain"] == 1, second
    assert time.monotonic() - started < COMMIT_LATE_S - 2, "the unsent orders waited"
    assert count(standin, target) == before + ORDERS - 1
    parked = site_order(store, it_main, held.amazon_order_id)
    assert parked.state is OrderState.REGISTRATO and parked.push_uncertain == target
    assert last_message(store, it_main, held.amazon_order_id).startswith(
        f"Esito incerto: il gestionale non ha risposto alla creazione {WHAT[target]}")
    for order in orders:
        if order is not held:
            stored = site_order(store, it_main, order.amazon_order_id)
            assert stored.state is OrderState.MEMORIZZATO and stored.push_uncertain is None

    # the late commit lands: a later push finds the record and stores the order, once
    time.sleep(max(0.0, committed_at - time.monotonic()) + 0.5)
    third = push_registrato(store, client, it_main, "run-3")
    assert third["pushed"] == 1 and third["failed"] == 0, third
    stored = site_order(store, it_main, held.amazon_order_id)
    assert stored.state is OrderState.MEMORIZZATO and stored.push_uncertain is None
    assert count(standin, target) == before + ORDERS
    assert standin.standin.count_documents(rif_nr_attuale=held.amazon_order_id) == 1


def test_a_refused_create_withdraws_its_intent(importer, store, it_main, standin):
    """A create the gestionale refused created nothing: its intent goes, and the next push, once the data is
    fixed, sends it again at once instead of waiting as for an uncertain create."""
    first = amazon_order()
    importer.run([first], run_id="run-1")
    standin.standin.reset()  # the customer was deleted in the gestionale since: the document is refused
    again = amazon_order(buyer=first.buyer, delivery=first.delivery_address)
    assert importer.run([again], run_id="run-2")["push_failed"] == 1
    refused = site_order(store, it_main, again.amazon_order_id)
    assert refused.state is OrderState.REGISTRATO
    assert (refused.push_uncertain, refused.push_uncertain_at) == (None, None)
