"""Rule: only orders in the account's statuses and marketplaces are imported (domain.md §3)."""

import pytest
from importer_helpers import DE, ES, IT, amazon_order, inbox_entry, last_message, site_order

from amazon_passweb.config import AmazonStatus
from amazon_passweb.site.states import InboxStatus, OrderState

NOT_CONFIGURED = [AmazonStatus.PENDING, AmazonStatus.PENDING_AVAILABILITY, AmazonStatus.CANCELLED,
                  AmazonStatus.UNFULFILLABLE]


def test_orders_in_configured_statuses_are_imported_and_the_others_skipped_with_a_reason(
        importer, store, it_main, gestionale_db):
    wanted = [amazon_order(status=status) for status in it_main.order_statuses]
    unwanted = [amazon_order(status=status) for status in NOT_CONFIGURED]

    importer.run(wanted + unwanted)

    for order in wanted:
        assert site_order(store, it_main, order.amazon_order_id).state is OrderState.MEMORIZZATO
        assert gestionale_db.document(order.amazon_order_id) is not None
    for order in unwanted:
        assert site_order(store, it_main, order.amazon_order_id) is None
        assert gestionale_db.document(order.amazon_order_id) is None
        assert inbox_entry(store, it_main, order.amazon_order_id).status is InboxStatus.SKIPPED
        reason = last_message(store, it_main, order.amazon_order_id)
        assert f"Stato Amazon {order.status.value} non tra gli stati importati" in reason
        assert "ordine scartato" in reason


@pytest.mark.parametrize("status", [AmazonStatus.UNSHIPPED, AmazonStatus.CANCELLED])
def test_an_order_from_a_marketplace_not_linked_to_the_account_is_skipped(importer, store, it_main,
                                                                          gestionale_db, status):
    linked, foreign = amazon_order(marketplace=IT), amazon_order(marketplace=ES, status=status)

    importer.run([linked, foreign])

    assert site_order(store, it_main, linked.amazon_order_id) is not None
    assert site_order(store, it_main, foreign.amazon_order_id) is None
    assert gestionale_db.document(foreign.amazon_order_id) is None
    assert inbox_entry(store, it_main, foreign.amazon_order_id).status is InboxStatus.SKIPPED
    assert f"Marketplace {ES} non collegato all'account it_main: ordine scartato" in last_message(
        store, it_main, foreign.amazon_order_id)


def test_the_statuses_are_each_accounts_own(importer, store, it_main, eu_de_fr, gestionale_db):
    assert AmazonStatus.PENDING in eu_de_fr.order_statuses and AmazonStatus.PENDING not in it_main.order_statuses
    pending_de, pending_it = amazon_order(status=AmazonStatus.PENDING, marketplace=DE), amazon_order(
        status=AmazonStatus.PENDING, marketplace=IT)

    importer.run([pending_de], account=eu_de_fr)
    importer.run([pending_it], account=it_main)

    assert site_order(store, eu_de_fr, pending_de.amazon_order_id).state is OrderState.MEMORIZZATO
    assert gestionale_db.document(pending_de.amazon_order_id)["serie"] == eu_de_fr.orders_series
    assert inbox_entry(store, it_main, pending_it.amazon_order_id).status is InboxStatus.SKIPPED
    assert gestionale_db.document(pending_it.amazon_order_id) is None
