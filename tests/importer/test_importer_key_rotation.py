"""After ``rotate-key`` the importer meets the same buyers: their new orders go to the existing customers
and addresses, in the site and in the gestionale; an import still holding the old key stops at its start."""

from __future__ import annotations

import pytest
from importer_helpers import Importer, address, amazon_order, business_buyer, private_buyer, site_counts

from amazon_passweb.site.crypto import PiiCipher, generate_key
from amazon_passweb.site.key_check import KeyMismatch
from amazon_passweb.site.key_rotation import rotate_key
from amazon_passweb.site.unit_of_work import open_site_store

LUCIA_HOME = address("Lucia Galli", "Via Mazzini 8", "40121", "Bologna", province="BO")
GIUSEPPE_HOME = address("Giuseppe Rossi", "Via XX Settembre 4", "16121", "Genova", province="GE")
OTTICA_HOME = address("Ottica Zappalà S.r.l.", "Via Etnea 9", "95121", "Catania", province="CT")


def orders_of_three_buyers() -> list:
    """A buyer known by email, one without email (identity), a company behind the shared business email."""
    return [
        amazon_order(buyer=private_buyer("Lucia Galli", "lucia.galli@marketplace.amazon.it"), delivery=LUCIA_HOME),
        amazon_order(buyer=private_buyer("Giuseppe Rossi", None), delivery=GIUSEPPE_HOME),
        amazon_order(business=True, buyer=business_buyer("Ottica Zappalà S.r.l.", "IT01234567890"),
                     delivery=OTTICA_HOME),
    ]


def test_after_rotation_the_same_buyers_are_found_and_nothing_is_created_twice(
        importer, store, client, it_main, site_url, gestionale_db) -> None:
    importer.run(orders_of_three_buyers(), run_id="run-1")
    before_site, before_gestionale = site_counts(store), gestionale_db.counts()
    assert (before_site["customers"], before_gestionale["clienti"]) == (3, 3)

    new_key = generate_key()
    rotate_key(store.engine, store.cipher, PiiCipher(new_key))

    with pytest.raises(KeyMismatch):  # the run that kept the old key stops before writing anything
        importer.run(orders_of_three_buyers(), run_id="run-stale")
    rotated = open_site_store(site_url, pii_key=new_key)
    try:
        # Lucia now without email (found by her identity), the others as before
        again = orders_of_three_buyers()
        again[0] = amazon_order(buyer=private_buyer("LUCIA GALLI", None), delivery=LUCIA_HOME)
        counts = Importer(rotated, client, it_main).run(again, run_id="run-2")
        assert counts["pushed"] == 3
        after = site_counts(rotated)
        assert (after["customers"], after["addresses"]) == (before_site["customers"], before_site["addresses"])
        assert after["orders"] == before_site["orders"] + 3
        assert gestionale_db.counts()["clienti"] == before_gestionale["clienti"]
        assert gestionale_db.counts()["indirizzi"] == before_gestionale["indirizzi"]
    finally:
        rotated.dispose()
