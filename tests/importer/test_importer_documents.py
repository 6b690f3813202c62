"""Rules of the order document (domain.md §5): notes, spesa rows, carrier, warehouse."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from importer_helpers import amazon_order, article_codes, item, note_texts, site_order

from amazon_passweb.amazon.models import ShippingLevel
from amazon_passweb.config import AmazonStatus
from amazon_passweb.site.states import RowKind


def site_notes(order):
    return [row.description for row in order.rows if row.kind is RowKind.NOTE]


def site_spesa_codes(order):
    return [row.article_code for row in order.rows if row.kind is RowKind.SPESA]


@pytest.mark.parametrize(("purchased", "day"), [
    pytest.param(datetime(2026, 10, 5, 9, 30, tzinfo=UTC), "05/10/2026", id="daytime"),
    pytest.param(datetime(2026, 10, 5, 22, 45, tzinfo=UTC), "06/10/2026", id="already-the-next-day-in-italy"),
])
def test_the_site_order_and_the_document_carry_the_amazon_date_and_id_and_status_notes(
        importer, store, it_main, gestionale_db, purchased, day):
    order = amazon_order(status=AmazonStatus.PARTIALLY_SHIPPED, purchased=purchased)

    importer.run([order])

    expected = [f"Ordine Amazon {order.amazon_order_id} del {day}",
                "Stato Amazon all'importazione: PARTIALLY_SHIPPED"]
    assert site_notes(site_order(store, it_main, order.amazon_order_id)) == expected
    document = gestionale_db.document(order.amazon_order_id)
    assert note_texts(document) == expected
    assert document["rif_nr_attuale"] == order.amazon_order_id
    assert document["rif_dt_attuale"] == "".join(reversed(day.split("/")))


@pytest.mark.parametrize(("service_level", "article"), [
    ("STANDARD", "SPEDSTD"),
    ("FREE_ECONOMY", "SPEDSTD"),
    ("EXPEDITED", "SPEDEXP"),
    ("NEXT_DAY", "SPEDEXP"),
    ("SECOND_DAY", "SPEDEXP"),
])
def test_the_shipping_charge_is_a_spesa_row_on_the_standard_or_express_article(
        importer, store, it_main, gestionale_db, service_level, article):
    order = amazon_order(item("ART003", 2, "24.50", shipping="6.90"), level=ShippingLevel.from_amazon(service_level))

    importer.run([order])

    site = site_order(store, it_main, order.amazon_order_id)
    [shipping] = [row for row in site.rows if row.kind is RowKind.SPESA]
    assert (shipping.article_code, shipping.unit_price_gross) == (article, Decimal("6.90"))
    assert article_codes(gestionale_db.document(order.amazon_order_id)) == ["ART003", article]


@pytest.mark.parametrize(("level", "expected"), [(ShippingLevel.STANDARD, "SPEDVOL"),
                                                   (ShippingLevel.EXPEDITED, "SPEDVOLX")])
def test_a_per_sku_shipping_article_wins_over_the_account_one(importer, store, it_main, standin, gestionale_db,
                                                              level, expected):
    for code in ("SPEDVOL", "SPEDVOLX"):
        standin.store.insert_article({"codice": code, "descrizione": "Spedizione voluminosi", "alq_iva": "22"})
    with store.unit_of_work() as uow:
        for code in ("SPEDVOL", "SPEDVOLX"):
            uow.articles.upsert(code, "Spedizione voluminosi", "22", is_spesa=True)
        uow.articles.map_sku(it_main.id, "AMZ-LAMP-01", "ART007", shipping_article_code="SPEDVOL",
                             shipping_article_express_code="SPEDVOLX")
    bulky = amazon_order(item("AMZ-LAMP-01", 1, "49.00", shipping="12.00"), level=level)

    importer.run([bulky])

    site = site_order(store, it_main, bulky.amazon_order_id)
    assert site_spesa_codes(site) == [expected]
    assert article_codes(gestionale_db.document(bulky.amazon_order_id)) == ["ART007", expected]


@pytest.mark.parametrize(("line", "carrier"), [
    pytest.param(item(shipping="4.90"), "BRT", id="paid-shipping"),
    pytest.param(item(), "GLS", id="no-shipping-charge"),
    pytest.param(item(shipping="4.90", shipping_discount="4.90"), "GLS", id="shipping-fully-discounted"),
])
def test_the_carrier_is_the_paid_or_the_free_shipping_one(importer, it_main, gestionale_db, line, carrier):
    assert (it_main.carrier, it_main.carrier_free_shipping) == ("BRT", "GLS")
    order = amazon_order(line)

    importer.run([order])

    assert gestionale_db.document(order.amazon_order_id)["cod_vettore"] == carrier


@pytest.mark.parametrize(("afn", "warehouse"), [pytest.param(False, 1, id="mfn"), pytest.param(True, 9, id="afn")])
def test_the_warehouse_is_the_mfn_or_the_afn_one(importer, it_main, gestionale_db, afn, warehouse):
    assert (it_main.warehouse_mfn, it_main.warehouse_afn) == (1, 9)
    order = amazon_order(afn=afn)  # an AFN order that came with buyer data

    importer.run([order])

    document = gestionale_db.document(order.amazon_order_id)
    assert document["id_magazzino"] == warehouse
    assert (document["serie"], document["id_causale"], document["id_costo_ricavo"]) == (2, 1, 10)
