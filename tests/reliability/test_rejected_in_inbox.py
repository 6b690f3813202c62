"""Unreadable Amazon orders are kept in the inbox as rejected: reported, never imported, never lost."""

from __future__ import annotations

import copy

import pytest

from amazon_passweb.amazon.client import RejectedOrder
from amazon_passweb.amazon.v2026 import order_from_v2026
from amazon_passweb.config import load_accounts
from amazon_passweb.importer import steps
from amazon_passweb.importer.rejected import inbox_id, record_rejected
from amazon_passweb.site.states import InboxStatus
from amazon_passweb.site.unit_of_work import open_site_store
from sandbox.amazon.generate import generate_orders
from sandbox.gestionale.catalogue import seed_site_articles

ACCOUNT = load_accounts().account("it_main")


@pytest.fixture()
def store(tmp_path, pii_key):
    store = open_site_store(f"sqlite:///{tmp_path / 'site.db'}", pii_key=pii_key, upgrade=True)
    seed_site_articles(store)
    yield store
    store.dispose()


def _wanted_raw(count: int = 60) -> list[dict]:
    statuses = {s.value for s in ACCOUNT.order_statuses}
    return [o for o in generate_orders(count, 3)
            if o["salesChannel"]["marketplaceId"] in ACCOUNT.marketplaces
            and o["fulfillment"]["fulfillmentStatus"] in statuses and o["fulfillment"]["fulfilledBy"] == "MERCHANT"]


def _status(store, order_id):
    with store.unit_of_work() as uow:
        return uow.inbox.get(ACCOUNT.id, order_id)


def test_rejected_order_is_stored_reported_and_not_selected(store):
    raw = _wanted_raw()
    broken = copy.deepcopy(raw[0])
    broken["proceeds"]["grandTotal"]["amount"] = "NaN-euro"
    readable = [order_from_v2026(o) for o in raw[1:]]
    steps.fetch_into_inbox(store, [readable], ACCOUNT, "run-1")
    assert record_rejected(store, ACCOUNT, [RejectedOrder(broken["orderId"], broken, "bad amount")], "run-1") == 1
    steps.select_by_status(store, ACCOUNT, "run-1")
    steps.reconcile_selected(store, ACCOUNT, "run-1")
    steps.create_site_orders(store, ACCOUNT, "run-1", None)

    entry = _status(store, broken["orderId"])
    assert entry.status is InboxStatus.REJECTED and entry.last_error_detail == "bad amount"
    assert entry.last_error.startswith(
        "Amazon ha inviato l'ordine con dati mancanti o non validi: ordine non importato")
    assert entry.payload["rejected_raw"]["orderId"] == broken["orderId"]
    with store.unit_of_work() as uow:
        assert uow.orders.find(ACCOUNT.id, broken["orderId"]) is None
        assert all(uow.orders.find(ACCOUNT.id, o.amazon_order_id) for o in readable)
        outcomes = {h.amazon_order_id: h.outcome for h in uow.inbox.run_history(ACCOUNT.id, "run-1")}
    assert outcomes[broken["orderId"]] == "rejected"


def test_a_later_readable_version_replaces_the_rejected_one_and_is_imported(store):
    raw = _wanted_raw()[0]
    broken = copy.deepcopy(raw)
    broken["proceeds"]["grandTotal"]["amount"] = "?"
    broken["lastUpdatedTime"] = "2026-10-01T00:00:00Z"
    record_rejected(store, ACCOUNT, [RejectedOrder(raw["orderId"], broken, "bad amount")], "run-1")
    fixed = order_from_v2026(raw)  # its lastUpdatedTime is later than the broken version's
    assert fixed.last_update_date.isoformat() > "2026-10-01"
    steps.fetch_into_inbox(store, [[fixed]], ACCOUNT, "run-2")
    steps.select_by_status(store, ACCOUNT, "run-2")
    steps.reconcile_selected(store, ACCOUNT, "run-2")
    steps.create_site_orders(store, ACCOUNT, "run-2", None)
    assert _status(store, raw["orderId"]).status is InboxStatus.IMPORTED


def test_an_unreadable_update_of_an_imported_order_leaves_it_imported(store):
    raw = _wanted_raw()[0]
    order = order_from_v2026(raw)
    steps.fetch_into_inbox(store, [[order]], ACCOUNT, "run-1")
    for step in (steps.select_by_status, steps.reconcile_selected):
        step(store, ACCOUNT, "run-1")
    steps.create_site_orders(store, ACCOUNT, "run-1", None)
    broken = copy.deepcopy(raw)
    broken["lastUpdatedTime"] = "2027-01-01T00:00:00Z"
    broken["orderItems"] = "not a list"
    assert record_rejected(store, ACCOUNT, [RejectedOrder(raw["orderId"], broken, "no items")], "run-2") == 0
    entry = _status(store, raw["orderId"])
    assert entry.status is InboxStatus.IMPORTED
    assert entry.payload["amazon_order_id"] == raw["orderId"], "the readable payload is kept"


def test_orders_without_a_usable_id_get_a_stable_one():
    first = RejectedOrder(None, {"weird": 1}, "no id")
    assert inbox_id(first) == inbox_id(RejectedOrder("", {"weird": 1}, "no id")).strip()
    assert inbox_id(first).startswith("UNREADABLE-") and len(inbox_id(first)) <= 32
    assert inbox_id(RejectedOrder("x" * 200, {}, "long")) != inbox_id(RejectedOrder("y" * 200, {}, "long"))
    assert inbox_id(RejectedOrder("402-1234567-1234567", {}, "e")) == "402-1234567-1234567"
