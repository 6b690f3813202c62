"""The domain order: types, normalisation and its stored JSON form."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from amazon_passweb.amazon.models import AmazonOrder, FulfillmentChannel, ShippingLevel
from amazon_passweb.amazon.v0 import upper_snake
from amazon_passweb.amazon.v2026 import order_from_v2026
from amazon_passweb.config import AmazonStatus
from sandbox.amazon.generate import generate_orders


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("STANDARD", ShippingLevel.STANDARD),
        ("FREE_ECONOMY", ShippingLevel.STANDARD),
        ("EXPEDITED", ShippingLevel.EXPEDITED),
        ("NEXT_DAY", ShippingLevel.EXPEDITED),
        ("SecondDay", ShippingLevel.EXPEDITED),
        (None, ShippingLevel.STANDARD),
    ],
)
def test_shipping_level(raw, level):
    assert ShippingLevel.from_amazon(raw) is level


def test_v0_spellings_become_v2026_spellings():
    assert upper_snake("NextDay") == "NEXT_DAY" and upper_snake("FreeEconomy") == "FREE_ECONOMY"


def test_mapped_order_types():
    raw = next(o for o in generate_orders(60, seed=5) if len(o["orderItems"]) > 1 and "recipient" in o)
    order = order_from_v2026(raw)
    assert isinstance(order.purchase_date, datetime) and order.purchase_date.utcoffset().total_seconds() == 0
    assert isinstance(order.status, AmazonStatus)
    assert order.fulfillment_channel is FulfillmentChannel.MFN
    assert isinstance(order.order_total, Decimal)
    for item in order.items:
        for name in ("unit_price", "item_tax", "shipping_price", "promotion_discount", "gift_wrap_price"):
            assert isinstance(getattr(item, name), Decimal)
    assert order.order_total == sum(item.line_total for item in order.items)


def test_json_form_is_plain_and_exact():
    orders = [order_from_v2026(raw) for raw in generate_orders(80, seed=6)]
    for order in orders:
        text = json.dumps(order.to_json())  # no Decimal or datetime left
        rebuilt = AmazonOrder.from_json(json.loads(text))
        assert rebuilt == order
        assert rebuilt.order_total.as_tuple() == order.order_total.as_tuple()


def test_naive_datetimes_are_refused():
    data = order_from_v2026(generate_orders(1, seed=1)[0]).to_json()
    data["purchase_date"] = "2026-10-01T10:00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        AmazonOrder.from_json(data)


def test_orders_are_immutable():
    order = order_from_v2026(generate_orders(1, seed=1)[0])
    with pytest.raises(AttributeError):
        order.status = AmazonStatus.SHIPPED  # type: ignore[misc]
