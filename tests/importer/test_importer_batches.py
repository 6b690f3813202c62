"""Orders spread over many batches: each step pages through them all, in Amazon update order, and
says in the task log how far it has come."""

import logging
from datetime import timedelta

from importer_helpers import PURCHASED, amazon_order, inbox_entry, item, site_order

from amazon_passweb.config import AmazonStatus
from amazon_passweb.importer import steps
from amazon_passweb.site.states import InboxStatus, OrderState


def test_every_batch_is_worked_once_in_update_order_with_progress_logged(importer, store, it_main, gestionale_db,
                                                                          monkeypatch, caplog):
    monkeypatch.setattr(steps, "BATCH", 3)
    monkeypatch.setattr(steps, "PROGRESS_EVERY", 4)
    # Listed newest first, so update order and arrival order differ; one skipped, one unknown SKU.
    orders = [amazon_order(purchased=PURCHASED + timedelta(minutes=10 - n)) for n in range(10)]
    orders.append(amazon_order(status=AmazonStatus.PENDING))
    orders.append(amazon_order(item(sku="SKU-NOBODY-KNOWS")))
    caplog.set_level(logging.INFO, logger="amazon_passweb.importer.steps")

    outcome = importer.run(orders)

    assert (outcome["selected"], outcome["skipped"], outcome["failed"], outcome["created"]) == (11, 1, 1, 10)
    numbers = {o.amazon_order_id: site_order(store, it_main, o.amazon_order_id).number for o in orders[:10]}
    assert [numbers[o.amazon_order_id] for o in reversed(orders[:10])] == list(range(1, 11))
    assert all(site_order(store, it_main, o.amazon_order_id).state is OrderState.MEMORIZZATO for o in orders[:10])
    assert inbox_entry(store, it_main, orders[-1].amazon_order_id).status is InboxStatus.FAILED
    progress = [r.getMessage() for r in caplog.records if r.name == steps.__name__ and "so far" in r.getMessage()]
    assert progress == ["new/failed orders: 6 so far", "new/failed orders: 9 so far", "new/failed orders: 12 so far",
                        "selected orders: 6 so far", "selected orders: 9 so far",
                        "reconciled orders: 6 so far", "reconciled orders: 9 so far"]
