"""The order generator: deterministic, realistic, and covering the cases the import must handle."""

from __future__ import annotations

import re
from collections import Counter

from sandbox.amazon.generate import CATALOGUE, SHARED_BUSINESS_EMAIL, generate_orders


def test_same_seed_same_orders():
    assert generate_orders(50, seed=3) == generate_orders(50, seed=3)
    assert generate_orders(50, seed=3) != generate_orders(50, seed=4)


def test_catalogue():
    assert [sku for sku, _, _ in CATALOGUE] == [f"ART{n:03d}" for n in range(1, 41)]
    assert {rate for _, _, rate in CATALOGUE} == {"22", "10", "4"}


def test_realistic_italian_orders(sample_orders):
    orders = sample_orders
    skus = {sku for sku, _, _ in CATALOGUE}
    assert all(item["product"]["sellerSku"] in skus for o in orders for item in o["orderItems"])
    assert Counter(o["fulfillment"]["fulfillmentStatus"] for o in orders).keys() == {
        "PENDING_AVAILABILITY",
        "PENDING",
        "UNSHIPPED",
        "PARTIALLY_SHIPPED",
        "SHIPPED",
        "CANCELLED",
        "UNFULFILLABLE",
    }
    addresses = [o["recipient"]["deliveryAddress"] for o in orders if "recipient" in o]
    italian = [a for a in addresses if a["countryCode"] == "IT"]
    assert all(
        re.fullmatch(r"\d{5}", a["postalCode"]) and re.fullmatch(r"[A-Z]{2}", a["stateOrRegion"]) for a in italian
    )
    names = [o["buyer"]["buyerName"] for o in orders if "buyer" in o]
    assert any(re.search(r"[àèéìòù]", name) for name in names)
    assert any(a["countryCode"] in {"DE", "FR", "ES"} for a in addresses)
    afn = [o for o in orders if o["fulfillment"]["fulfilledBy"] == "AMAZON"]
    assert afn and all("buyer" not in o for o in afn)
    business = [o for o in orders if "AMAZON_BUSINESS" in o["programs"]]
    assert business and all(o["tax"]["taxRegistrations"][0]["taxRegistrationNumber"].startswith("IT") for o in business)
    assert any(o["buyer"].get("buyerEmail") == SHARED_BUSINESS_EMAIL for o in business)
    merchant = [o for o in orders if "buyer" in o]
    assert any("buyerEmail" not in o["buyer"] for o in merchant)
    assert max(Counter(o["buyer"]["buyerName"] for o in merchant).values()) > 1  # repeated buyers
    assert any(len(o["orderItems"]) >= 3 for o in orders)
    kinds = Counter(b["type"] for o in orders for i in o["orderItems"] for b in i["proceeds"]["breakdowns"])
    assert kinds["SHIPPING"] and kinds["DISCOUNT"] and kinds["GIFT_WRAP"] and kinds["TAX"]
