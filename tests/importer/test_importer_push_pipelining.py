"""The push keeps the gestionale busy: a result is recorded while other orders are in flight, the next
page is sent before the last one drains, and orders sharing a new customer or address still create it once."""

import threading

from importer_helpers import address, amazon_order, private_buyer, site_order

from amazon_passweb.gestionale import push
from amazon_passweb.importer import partial_push
from amazon_passweb.site.states import OrderState


def test_a_result_is_recorded_while_other_orders_are_still_in_flight(importer, store, it_main, gestionale_db,
                                                                     monkeypatch):
    orders = [amazon_order(buyer=private_buyer(f"Cliente Veloce{n}", f"veloce{n}@marketplace.amazon.it"))
              for n in range(3)]
    first, last = orders[0].amazon_order_id, orders[-1].amazon_order_id
    first_recorded = threading.Event()
    record, push_order = partial_push._record, push.push_order

    def recording(store, account, order, result, run_id):
        record(store, account, order, result, run_id)
        if order.amazon_order_id == first:
            first_recorded.set()

    def pushing(client, account, item, **options):
        if item.order.amazon_order_id == last:  # in flight until the first order's result is in the site
            assert first_recorded.wait(timeout=30), "the first result was not recorded while this one was in flight"
        return push_order(client, account, item, **options)

    monkeypatch.setattr(partial_push, "_record", recording)
    monkeypatch.setattr(push, "push_order", pushing)

    outcome = importer.run(orders)

    assert (outcome["pushed"], outcome["push_failed"]) == (3, 0)
    assert all(site_order(store, it_main, o.amazon_order_id).state is OrderState.MEMORIZZATO for o in orders)


def test_orders_of_new_buyers_across_pages_create_each_customer_and_address_once(importer, store, it_main,
                                                                                gestionale_db, client,
                                                                                monkeypatch):
    monkeypatch.setattr(partial_push, "BATCH", 3)  # each buyer's orders fall in one page, or in two
    buyers = [private_buyer(f"Cliente Pagina{n}", f"pagina{n}@marketplace.amazon.it") for n in range(4)]
    orders = []
    for n, buyer in enumerate(buyers):
        orders.append(amazon_order(buyer=buyer, delivery=address(buyer.name, f"Via Roma {n + 1}", "20121", "Milano",
                                                                 province="MI")))
        orders.append(amazon_order(buyer=buyer, delivery=address(buyer.name, f"Corso Como {n + 1}", "20121",
                                                                 "Milano", province="MI")))
    posts: list[str] = []
    request = client.transport.request

    def counting(method, path, body=None, **options):
        if method == "POST" and not path.endswith("/ricerca"):
            posts.append(path)
        return request(method, path, body, **options)

    monkeypatch.setattr(client.transport, "request", counting)

    outcome = importer.run(orders)

    assert (outcome["pushed"], outcome["push_failed"]) == (8, 0)
    assert sorted(posts) == sorted(["risorse/clienti"] * 4 + ["risorse/indirizzi-spedizione"] * 4
                                   + ["risorse/documenti/ordini-clienti"] * 8)
    customers = gestionale_db.customers()
    assert len(customers) == 4
    for home, elsewhere in zip(orders[::2], orders[1::2], strict=True):
        home_document = gestionale_db.document(home.amazon_order_id)
        other_document = gestionale_db.document(elsewhere.amazon_order_id)
        assert home_document["cod_conto"] == other_document["cod_conto"]
        assert home_document.get("id_ind_sped") is None  # the customer's own address
        [shipping] = gestionale_db.addresses(other_document["cod_conto"])
        assert other_document["id_ind_sped"] == shipping["id"]
        assert shipping["indirizzo"].startswith("Corso Como")
    assert all(site_order(store, it_main, o.amazon_order_id).state is OrderState.MEMORIZZATO for o in orders)
