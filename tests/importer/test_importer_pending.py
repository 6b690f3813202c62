"""Rule: a Pending order comes without the buyer's address; it waits in the inbox (neither failed nor
imported) and is imported, with its address, from the version that brings it (domain.md §3, §4)."""

from dataclasses import replace

import pytest
from importer_helpers import (
    DE,
    address,
    amazon_order,
    inbox_entry,
    newer_version,
    private_buyer,
    site_counts,
    site_order,
)

from amazon_passweb.amazon.models import Buyer
from amazon_passweb.config import AmazonStatus
from amazon_passweb.site.states import InboxStatus, OrderState


@pytest.mark.parametrize(
    "pending_buyer",
    [Buyer(), Buyer(name="Klara Vogel", email="klara@marketplace.amazon.de")],
    ids=["no buyer data", "buyer without address"],
)
def test_a_pending_order_waits_for_its_address_and_is_imported_with_it_when_unshipped(
    importer, store, eu_de_fr, gestionale_db, pending_buyer
):
    assert AmazonStatus.PENDING in eu_de_fr.order_statuses
    # as Amazon sends a Pending order: no buyer name, no shipping address
    pending = replace(
        amazon_order(status=AmazonStatus.PENDING, marketplace=DE), buyer=pending_buyer, delivery_address=None
    )

    first = importer.run([pending], run_id="run-1", account=eu_de_fr)

    entry = inbox_entry(store, eu_de_fr, pending.amazon_order_id)
    assert entry.status is InboxStatus.WAITING and entry.attempts == 0
    assert entry.last_error.startswith("Ordine ancora PENDING su Amazon") and "in attesa" in entry.last_error
    assert (first["waiting"], first["failed"]) == (1, 0)
    assert site_order(store, eu_de_fr, pending.amazon_order_id) is None
    assert site_counts(store)["customers"] == 0
    assert gestionale_db.document(pending.amazon_order_id) is None

    importer.run([pending], run_id="run-2", account=eu_de_fr)  # the same version again: still waiting
    assert inbox_entry(store, eu_de_fr, pending.amazon_order_id).status is InboxStatus.WAITING

    unshipped = newer_version(
        pending,
        status=AmazonStatus.UNSHIPPED,
        buyer=private_buyer("Klara Vogel", "klara@marketplace.amazon.de"),
        delivery_address=address("Klara Vogel", "Hauptstrasse 5", "10115", "Berlin", province="BE", country="DE"),
    )
    importer.run([unshipped], run_id="run-3", account=eu_de_fr)

    entry = inbox_entry(store, eu_de_fr, pending.amazon_order_id)
    assert entry.status is InboxStatus.IMPORTED and entry.last_error is None
    site = site_order(store, eu_de_fr, pending.amazon_order_id)
    assert site.state is OrderState.MEMORIZZATO
    assert site.customer_id is not None and site.shipping_address_id is not None
    assert site.amazon_status_at_import == "UNSHIPPED"
    document = gestionale_db.document(pending.amazon_order_id)
    customer = gestionale_db.customer(document["cod_conto"])
    assert (customer["indirizzo"], customer["cap"], customer["localita"]) == ("Hauptstrasse 5", "10115", "Berlin")
