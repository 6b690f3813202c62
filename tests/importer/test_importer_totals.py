"""Rule: every gestionale document's total equals the Amazon order total to the cent (domain.md §5)."""

from decimal import Decimal

from importer_helpers import amazon_order, article_codes, inbox_entry, item, site_order

from amazon_passweb.amazon.v2026 import order_from_v2026
from amazon_passweb.site.states import InboxStatus
from sandbox.amazon.generate import generate_orders
from sandbox.gestionale.totals import document_totals

CENT = Decimal("0.01")
SEED = 7  # 300 orders: private and business, 4/10/22% VAT, promotions, free shipping, gift wrap


def test_every_document_total_equals_the_amazon_total_to_the_cent(importer, store, it_main, gestionale_db):
    orders = [order_from_v2026(raw) for raw in generate_orders(300, SEED)]

    importer.run(orders)

    documents = {d["rif_nr_attuale"]: d for d in gestionale_db.documents()}
    importable = {o.amazon_order_id for o in orders
                  if o.marketplace_id in it_main.marketplaces and o.status in it_main.order_statuses
                  and o.buyer.name}  # AFN orders come without buyer and wait as incomplete
    assert set(documents) == importable
    assert {d["sigla"] for d in documents.values()} == {"OC", "OX"}  # net and gross prices
    assert {"SCSPED", "PROMO", "CONFREG"} <= {code for d in documents.values() for code in article_codes(d)}
    with store.unit_of_work(read_only=True) as uow:
        assert uow.inbox.counts(it_main.id).get(InboxStatus.FAILED, 0) == 0
    for order in orders:
        if order.amazon_order_id not in documents:
            continue
        document = documents[order.amazon_order_id]
        amazon_total = order.order_total.quantize(CENT)
        assert document_totals(document)["totale_documento"] == amazon_total, order.amazon_order_id
        assert site_order(store, it_main, order.amazon_order_id).total_gross == amazon_total


def test_a_zero_amazon_total_with_non_zero_items_is_an_error_of_that_order(importer, store, it_main, gestionale_db):
    zero_total = amazon_order(item("ART001", 2, "19.90"), total=Decimal(0))
    fine = amazon_order()

    importer.run([zero_total, fine])

    entry = inbox_entry(store, it_main, zero_total.amazon_order_id)
    assert entry.status is InboxStatus.FAILED
    assert entry.last_error.startswith("Amazon indica un totale dell'ordine di 0,00")
    assert "39,80" in entry.last_error and "ordine non importato" in entry.last_error
    assert "Amazon's order total is 0" in entry.last_error_detail
    assert site_order(store, it_main, zero_total.amazon_order_id) is None
    assert gestionale_db.document(zero_total.amazon_order_id) is None
    assert gestionale_db.document(fine.amazon_order_id) is not None
