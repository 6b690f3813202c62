"""Orders API v0 and v2026-01-01 give equal domain orders for the same data."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from amazon_passweb.amazon.models import AmazonOrder
from sandbox.amazon.generate import MARKETPLACE_IDS

SINCE = datetime(2026, 9, 1, tzinfo=UTC)


def test_v0_and_v2026_give_equal_orders(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders)
    v2026 = client_factory(standin).fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS)
    v0_client = client_factory(standin, "v0")
    v0 = v0_client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS)
    assert len(v2026.orders) == len(v0.orders) == len(sample_orders)
    assert v2026.orders == v0.orders
    # Minimum calls for each version: one per page, or one RDT + one per page + one per order.
    assert v0_client.stats.calls == {"createRestrictedDataToken": 1, "getOrders": 3,
                                     "getOrderItems": len(sample_orders)}
    # The comparison means something only if the data is varied.
    orders = v2026.orders
    assert len(Counter(o.status for o in orders)) == 7
    assert any(o.is_business and o.buyer.vat_number and o.buyer.fiscal_code for o in orders)
    assert any(o.is_afn and o.buyer.email is None for o in orders)
    assert any(i.promotion_discount for o in orders for i in o.items)
    assert any(i.shipping_discount for o in orders for i in o.items)
    assert any(i.gift_wrap_price for o in orders for i in o.items)
    assert any(o.delivery_address and len(o.delivery_address.lines) == 2 for o in orders)


def test_v0_get_order_equals_v2026_get_order(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders)
    business = next(o for o in sample_orders if "AMAZON_BUSINESS" in o["programs"] and "recipient" in o)
    new = client_factory(standin).get_order(business["orderId"])
    old = client_factory(standin, "v0").get_order(business["orderId"])
    assert new == old and new.buyer.vat_number


def test_without_rdt_v0_hides_buyer_and_street(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders)
    client = client_factory(standin, "v0")
    answer = client.transport.call("getOrders", "GET", "/orders/v0/orders", params={
        "MarketplaceIds": "APJ6JRA9NG5V4", "LastUpdatedAfter": "2026-09-01T00:00:00Z",
    })
    orders = answer["payload"]["Orders"]
    assert all("BuyerInfo" not in o for o in orders)
    addresses = [o["ShippingAddress"] for o in orders if "ShippingAddress" in o]
    public = {"City", "StateOrRegion", "PostalCode", "CountryCode"}
    assert addresses and all(set(address) <= public for address in addresses)


def test_round_trip_through_json(standin_factory, client_factory, sample_orders):
    import json

    standin = standin_factory(sample_orders)
    orders = client_factory(standin).fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS).orders
    for order in orders:
        stored = json.loads(json.dumps(order.to_json()))
        assert AmazonOrder.from_json(stored) == order
