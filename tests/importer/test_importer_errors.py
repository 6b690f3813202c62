"""Rule: an unknown SKU is a per-order error with a clear message; the rest of the batch goes on (§5)."""

from importer_helpers import amazon_order, article_codes, inbox_entry, item, site_counts, site_order

from amazon_passweb.site.states import InboxStatus, OrderState

UNKNOWN_SKU = "AMZ-NEW-77"


def test_an_unknown_sku_fails_only_its_order_and_is_imported_once_mapped(importer, store, it_main,
                                                                         gestionale_db):
    before, after = amazon_order(), amazon_order()
    unknown = amazon_order(item("ART001"), item(UNKNOWN_SKU, 1, "15.00"))

    importer.run([before, unknown, after], run_id="run-1")

    entry = inbox_entry(store, it_main, unknown.amazon_order_id)
    assert entry.status is InboxStatus.FAILED
    assert entry.last_error.startswith(f"SKU «{UNKNOWN_SKU}»") and "non collegato a un articolo" in entry.last_error
    assert "tabella degli SKU Amazon" in entry.last_error  # where to fix it
    assert f"SKU '{UNKNOWN_SKU}'" in entry.last_error_detail and unknown.amazon_order_id in entry.last_error_detail
    assert site_order(store, it_main, unknown.amazon_order_id) is None
    assert gestionale_db.document(unknown.amazon_order_id) is None
    for order in (before, after):
        assert site_order(store, it_main, order.amazon_order_id).state is OrderState.MEMORIZZATO
        assert gestionale_db.document(order.amazon_order_id) is not None
    assert site_counts(store)["customers"] == 2  # the failed order's buyer was not created

    with store.unit_of_work() as uow:
        uow.articles.map_sku(it_main.id, UNKNOWN_SKU, "ART012")
    importer.run([], run_id="run-2")  # Amazon has nothing new: the failed order is retried

    entry = inbox_entry(store, it_main, unknown.amazon_order_id)
    assert entry.status is InboxStatus.IMPORTED and entry.last_error is None and entry.last_error_detail is None
    assert site_order(store, it_main, unknown.amazon_order_id).state is OrderState.MEMORIZZATO
    assert article_codes(gestionale_db.document(unknown.amazon_order_id)) == ["ART001", "ART012"]


def test_with_a_placeholder_article_configured_an_unknown_sku_is_imported_on_it(importer, store, it_main,
                                                                                 gestionale_db):
    account = it_main.model_copy(update={"unknown_sku_article": "ART040"})
    order = amazon_order(item(UNKNOWN_SKU, 2, "15.00"))

    importer.run([order], account=account)

    assert inbox_entry(store, account, order.amazon_order_id).status is InboxStatus.IMPORTED
    assert article_codes(gestionale_db.document(order.amazon_order_id)) == ["ART040"]
