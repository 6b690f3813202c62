"""Rule: the same Amazon order is imported once per account, ever, however many runs see it (§3)."""

from importer_helpers import newer_version, site_counts
from sqlalchemy import text

from amazon_passweb.amazon.v2026 import order_from_v2026
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.site.states import OrderState
from sandbox.amazon.generate import generate_orders


def test_running_every_step_again_on_the_same_orders_creates_nothing_new(importer, store, gestionale_db):
    orders = [order_from_v2026(raw) for raw in generate_orders(80, 11)]
    first = importer.run(orders, run_id="run-1")
    site, gestionale = site_counts(store), gestionale_db.counts()
    assert first["created"] > 0 and first["pushed"] > 0 and first["incomplete"] > 0
    assert site["orders"] == first["created"] and gestionale["documenti"] == first["pushed"]

    again = importer.run(orders, run_id="run-2")
    refreshed = importer.run([newer_version(o) for o in orders], run_id="run-3")

    for later in (again, refreshed):
        assert later["created"] == 0 and later["pushed"] == 0 and later["customer_new"] == 0
    assert again["inserted"] == 0 and again["selected"] == 0
    assert site_counts(store) == site
    assert gestionale_db.counts() == gestionale


def test_a_push_whose_results_never_reached_the_site_is_not_stored_twice(importer, store, it_main, client,
                                                                        gestionale_db):
    orders = [order_from_v2026(raw) for raw in generate_orders(80, 12)]
    importer.run(orders, run_id="run-1")
    gestionale = gestionale_db.counts()
    with store.unit_of_work(read_only=True) as uow:
        keys = {o.amazon_order_id: o.gestionale_document_key
                for o in uow.orders.by_state(OrderState.MEMORIZZATO, account=it_main.id)}
    with store.engine.begin() as connection:  # as if the worker died right after the gestionale answered
        connection.execute(text("UPDATE orders SET state = 'Registrato', gestionale_document_key = NULL "
                                "WHERE state = 'Memorizzato'"))
        connection.execute(text("UPDATE customers SET gestionale_code = NULL"))
        connection.execute(text("UPDATE addresses SET gestionale_address_id = NULL"))

    retried = push_registrato(store, client, it_main, "run-2")

    assert retried["pushed"] == len(keys) and retried["failed"] == 0
    assert gestionale_db.counts() == gestionale
    with store.unit_of_work(read_only=True) as uow:
        for amazon_order_id, key in keys.items():
            assert uow.orders.find(it_main.id, amazon_order_id).gestionale_document_key == key
