"""Rule: an account may leave causale and cost centre empty (manual 0839); the document goes without them."""

from importer_helpers import amazon_order


def test_a_document_without_causale_and_cost_centre_is_accepted(importer, it_main, gestionale_db):
    """Proves issue #17 item 13: with causale and cost centre left empty the order document is sent without
    id_causale and id_costo_ricavo (the published WebAPI has them optional) and the gestionale stores it. A check
    item 13 asked for: it held before the change too (the doctor's note test is the one that did not)."""
    account = it_main.model_copy(update={"causale": None, "cost_centre": None})
    order, configured = amazon_order(), amazon_order()

    outcome = importer.run([order], account=account)
    importer.run([configured], run_id="run-2")

    assert outcome["pushed"] == 1 and outcome["push_failed"] == 0
    document = gestionale_db.document(order.amazon_order_id)
    assert "id_causale" not in document and "id_costo_ricavo" not in document
    assert document["id_magazzino"] == it_main.warehouse_mfn
    with_them = gestionale_db.document(configured.amazon_order_id)  # the stand-in keeps them when they are sent
    assert (with_them["id_causale"], with_them["id_costo_ricavo"]) == (it_main.causale, it_main.cost_centre)
