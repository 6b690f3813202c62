"""Rule: a create whose answer is lost is never sent twice, even when the gestionale commits it late.

The stand-in's ``commit_late`` fault holds a create's answer until the client gives up (its read
timeout), then commits it ``commit_late_s`` after the request arrived: over real sockets, as a slow
gestionale would. The client searches ``settle_s`` after giving up (read timeout 0.3 s + settle 0.6 s
= 0.9 s after the POST). A commit sooner than that is found by that search; a later one is not, and
the order is parked as *esito incerto* until a later push finds the record, or until the wait
(``uncertain_wait_s``) passes with the record still absent and it is created again.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from importer_helpers import Importer, address, amazon_order, last_message, private_buyer, site_order

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.importer.run_outcomes import build_report
from amazon_passweb.importer.window import RunKind, Window
from amazon_passweb.notify.csv_export import render_orders_csv
from amazon_passweb.notify.report import Outcome
from amazon_passweb.site.states import OrderState

READ_TIMEOUT_S, SETTLE_S = 0.3, 0.6
SEARCHED_AFTER_S = READ_TIMEOUT_S + SETTLE_S
LATE = {"sooner": 0.4, "later": 2.5}  # commit delays: before and after the search that follows the POST
CREATES = {"document": "create_document", "customer": "ensure_customer", "address": "ensure_shipping_address"}
WHAT = {"document": "del documento", "customer": "del cliente", "address": "dell'indirizzo di spedizione"}


def uncertain_client(standin, **overrides) -> GestionaleClient:
    settings = WebApiSettings(**{
        "base_url": standin.base_url, "user": "webapi", "password": "webapi", "dominio": "demo", "azienda": "DEMO",
        "retry_budget_s": 5.0, "read_timeout_s": READ_TIMEOUT_S, "connect_timeout_s": 2.0, **overrides})
    return GestionaleClient(settings, settle_s=SETTLE_S)


def fault_at(monkeypatch, client: GestionaleClient, standin, target: str, **faults) -> dict:
    """Arm the stand-in's ``faults`` as the first ``target`` create starts; returns when it was armed."""
    method = CREATES[target]
    original = getattr(client, method)
    armed: dict = {}

    def arm_then_create(*args, **kwargs):
        if not armed:
            armed["at"] = time.monotonic()
            standin.faults.update(**faults)
        return original(*args, **kwargs)

    monkeypatch.setattr(client, method, arm_then_create)
    return armed


def commit_late_at(monkeypatch, client: GestionaleClient, standin, target: str, delay: float) -> dict:
    """The POST of the first ``target`` create commits ``delay`` seconds late."""
    return fault_at(monkeypatch, client, standin, target, commit_late_next=1, commit_late_s=delay)


def gestionale_counts(standin) -> dict[str, int]:
    backend = standin.standin
    return {"document": backend.count_documents(), "customer": backend.count_customers(),
            "address": backend.count_addresses()}


def wait_for_the_late_commit(standin, target: str, before: int, timeout_s: float = 15.0) -> None:
    """Until the stand-in holds the late create: it commits its delay after the POST arrived, which on a busy
    machine is later than the fault was armed."""
    deadline = time.monotonic() + timeout_s
    while gestionale_counts(standin)[target] == before:
        assert time.monotonic() < deadline, f"the late {target} create never committed"
        time.sleep(0.1)


def orders_for(target: str):
    """The orders whose push sends the ``target`` create: for an address, a known buyer shipping elsewhere."""
    buyer = private_buyer("Marta Neri", "marta.neri@marketplace.amazon.it")
    home = amazon_order(buyer=buyer, delivery=address("Marta Neri", "Via Po 4", "10123", "Torino", province="TO"))
    if target != "address":
        return [], [home]
    elsewhere = amazon_order(buyer=buyer, delivery=address("Sara Neri", "Corso Como 9", "20154", "Milano"))
    return [home], [elsewhere]


CASES = [
    pytest.param("document", "search", "sooner"), pytest.param("document", "search", "later"),
    pytest.param("customer", "auto", "sooner"), pytest.param("customer", "auto", "later"),
    pytest.param("customer", "search", "later"),
    pytest.param("address", "search", "sooner"), pytest.param("address", "search", "later"),
]


@pytest.mark.parametrize(("target", "customer_code", "commit"), CASES)
def test_a_create_committed_late_is_stored_once(store, standin, it_main, monkeypatch, target, customer_code,
                                                commit):
    monkeypatch.setattr(standin.standin, "customer_auto", customer_code == "auto")  # mastro.AUTO numbered there
    client = uncertain_client(standin, customer_code=customer_code)
    importer = Importer(store, client, it_main)
    before, orders = orders_for(target)
    if before:
        assert importer.run(before, run_id="run-0")["pushed"] == 1
    counts_before = gestionale_counts(standin)
    delay = LATE[commit]
    armed = commit_late_at(monkeypatch, client, standin, target, delay)
    [order] = orders

    first = importer.run(orders, run_id="run-1")
    committed_at = armed["at"] + delay
    if commit == "sooner":  # found by the search after the lost answer: stored in the same push
        assert first["pushed"] == 1, last_message(store, it_main, order.amazon_order_id)
    else:  # not found by that search: never sent again, the order waits as esito incerto
        if time.monotonic() < committed_at:
            assert gestionale_counts(standin)[target] == counts_before[target], (
                f"the {target} was sent again while its first create could still commit")
        parked = site_order(store, it_main, order.amazon_order_id)
        assert parked.state is OrderState.REGISTRATO and first["pushed"] == 0
        assert parked.push_uncertain == target and parked.push_uncertain_at is not None
        assert last_message(store, it_main, order.amazon_order_id).startswith(
            f"Esito incerto: il gestionale non ha risposto alla creazione {WHAT[target]}")
        # a push while the commit is still on its way searches and sends nothing
        again = push_registrato(store, client, it_main, "run-2")
        if time.monotonic() < committed_at:
            assert again["pushed"] == 0 and again["uncertain"] == 1
            assert gestionale_counts(standin)[target] == counts_before[target]
        wait_for_the_late_commit(standin, target, counts_before[target])
        settled = push_registrato(store, client, it_main, "run-3")
        assert settled["pushed"] == 1 and settled["failed"] == 0

    stored = site_order(store, it_main, order.amazon_order_id)
    assert stored.state is OrderState.MEMORIZZATO and stored.push_uncertain is None
    after = gestionale_counts(standin)
    assert after[target] == counts_before[target] + 1, f"{target} stored {after[target] - counts_before[target]} times"
    assert after["document"] == counts_before["document"] + 1
    assert standin.standin.count_documents(rif_nr_attuale=order.amazon_order_id) == 1


def test_every_order_of_a_customer_whose_create_is_uncertain_waits_for_it(store, standin, it_main, monkeypatch):
    """Two orders of one new buyer in one push, a third arriving in the next run: the customer's create
    commits late; none of them sends it again, and once it is there all three use it."""
    client = uncertain_client(standin)
    importer = Importer(store, client, it_main)
    buyer = private_buyer("Piero Gallo", "piero.gallo@marketplace.amazon.it")
    home = address("Piero Gallo", "Via Verdi 8", "40121", "Bologna", province="BO")
    first_two = [amazon_order(buyer=buyer, delivery=home) for _ in range(2)]
    armed = commit_late_at(monkeypatch, client, standin, "customer", 3.0)

    assert importer.run(first_two, run_id="run-1")["pushed"] == 0
    third = amazon_order(buyer=buyer, delivery=home)
    assert importer.run([third], run_id="run-2")["pushed"] == 0
    if time.monotonic() < armed["at"] + 3.0:
        assert standin.standin.count_customers() == 0
    for order in (*first_two, third):
        assert site_order(store, it_main, order.amazon_order_id).push_uncertain == "customer"
    wait_for_the_late_commit(standin, "customer", 0)

    assert push_registrato(store, client, it_main, "run-3")["pushed"] == 3
    assert standin.standin.count_customers() == 1 and standin.standin.count_documents() == 3
    for order in (*first_two, third):
        assert site_order(store, it_main, order.amazon_order_id).push_uncertain is None


def test_a_create_never_committed_is_sent_again_only_after_the_wait(store, standin, it_main, monkeypatch):
    """The answer is lost and nothing was stored: within ``uncertain_wait_s`` of that POST later pushes only
    search; after it, the document is created, once. The operator reads why in Italian, in the report and
    its CSV, with the technical detail apart."""
    client = uncertain_client(standin, uncertain_wait_s=2.0)
    importer = Importer(store, client, it_main)
    order = amazon_order()
    posted = datetime.now(UTC)
    fault_at(monkeypatch, client, standin, "document", drop_before_commit_next=1)
    assert importer.run([order], run_id="run-1")["pushed"] == 0
    parked = site_order(store, it_main, order.amazon_order_id)
    assert parked.push_uncertain == "document" and parked.push_uncertain_at >= posted

    report = build_report(store, it_main, "run-1", Window(posted, posted, RunKind.MANUAL), None, None, 1)
    [line] = report.orders
    assert line.outcome is Outcome.FAILED and line.reason.startswith("Esito incerto")
    assert "il prossimo invio lo cerca prima di ricrearlo" in line.reason and "UncertainCreate" in line.detail
    csv_text = render_orders_csv(report).decode("utf-8-sig")
    assert "Esito incerto" in csv_text and "UncertainCreate: POST risorse/documenti/ordini-clienti" in csv_text

    assert push_registrato(store, client, it_main, "run-2")["uncertain"] == 1
    assert standin.standin.count_documents() == 0
    time.sleep(max(0.0, (parked.push_uncertain_at - datetime.now(UTC)).total_seconds() + 2.0))
    assert push_registrato(store, client, it_main, "run-3")["pushed"] == 1
    assert standin.standin.count_documents(rif_nr_attuale=order.amazon_order_id) == 1
