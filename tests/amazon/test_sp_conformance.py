"""Amazon's own x-amzn-api-sandbox examples, replayed against the stand-in through the client's transport."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from amazon_passweb.amazon.errors import SpApiError
from amazon_passweb.amazon.v2026 import order_from_v2026
from sandbox.amazon.static_examples import Example, default_spec_dir, load_examples

EXAMPLES = load_examples()
# The operations the v0 import path uses (plus getOrder/address/buyerInfo the stand-in serves), and
# confirmShipment, which every account uses to confirm shipments.
V0_USED = {"getOrders", "getOrder", "getOrderItems", "getOrderAddress", "getOrderBuyerInfo",
           "createRestrictedDataToken", "confirmShipment"}
V2026 = [e for e in EXAMPLES if e.path.startswith("/orders/2026-01-01")]
REPLAYED = V2026 + [e for e in EXAMPLES if not e.path.startswith("/orders/2026-01-01")
                    and e.operation in V0_USED]


def _call_args(example: Example) -> tuple[str, dict[str, Any], Any]:
    params = dict(example.parameters)
    body = params.pop("body", None)
    path = example.path
    for name in re.findall(r"\{([^}]+)\}", path):
        path = path.replace("{" + name + "}", str(params.pop(name)))
    return path, params, body


def test_every_example_is_covered():
    operations = {e.operation for e in V2026}
    assert operations == {"searchOrders", "getOrder"}
    assert len(V2026) >= 6
    assert {e.operation for e in REPLAYED} >= V0_USED


@pytest.fixture(scope="module")
def static_standin():
    from sandbox.amazon.server import running_standin
    from sandbox.amazon.state import StandInConfig

    with running_standin([], StandInConfig(static_sandbox=True, enforce_rate_limits=False)) as standin:
        yield standin


@pytest.mark.parametrize("example", REPLAYED, ids=lambda e: f"{e.operation}-{e.status}")
def test_static_example_replays(example, static_standin, client_factory, openapi):
    client = client_factory(static_standin, validate=False)
    path, params, body = _call_args(example)
    records = []
    client.transport.observers.append(records.append)
    if example.status >= 400:
        with pytest.raises(SpApiError) as failure:
            client.transport.call(example.operation, example.method, path, params=params, json=body)
        assert failure.value.status == example.status
        error = example.response["errors"][0]
        assert (failure.value.code, failure.value.amazon_message) == (error["code"], error["message"])
        assert records[-1].response == example.response
    else:
        answer = client.transport.call(example.operation, example.method, path, params=params, json=body)
        assert answer == example.response
    # Amazon's 400 examples send deliberately invalid input; every other request must satisfy the model.
    if example.status < 400:
        openapi.validate_request(records[-1])
    openapi.validate_response(example.method, path, example.status, records[-1].response)


def _example_orders() -> list[dict[str, Any]]:
    orders: dict[str, dict[str, Any]] = {}
    for example in V2026:
        if example.status == 200:
            for order in example.response.get("orders") or [example.response.get("order")]:
                orders.setdefault(order["orderId"], order)
    return list(orders.values())


def test_dynamic_get_order_reproduces_amazon_examples(standin_factory, client_factory):
    """The dynamic stand-in, loaded with the orders of Amazon's examples, gives Amazon's answers."""
    standin = standin_factory(_example_orders())
    client = client_factory(standin)
    for example in (e for e in V2026 if e.operation == "getOrder" and e.status == 200):
        path, params, _ = _call_args(example)
        assert client.transport.call("getOrder", "GET", path, params=params) == example.response


def test_dynamic_search_orders_serves_example_orders(standin_factory, client_factory):
    orders = _example_orders()
    standin = standin_factory(orders)
    client = client_factory(standin)
    for example in (e for e in V2026 if e.operation == "searchOrders" and e.status == 200):
        params = {k: v for k, v in example.parameters.items() if k != "paginationToken"}
        answer = client.transport.call("searchOrders", "GET", "/orders/2026-01-01/orders", params=params)
        by_id = {o["orderId"]: o for o in answer["orders"]}
        for expected in example.response["orders"]:
            assert by_id[expected["orderId"]] == expected


def test_example_orders_map_to_domain():
    for raw in _example_orders():
        if "fulfillment" not in raw:
            continue
        order = order_from_v2026(raw)
        assert order.amazon_order_id == raw["orderId"]
        assert order.purchase_date.tzinfo is not None
        assert order.items and all(item.quantity >= 1 for item in order.items)


def test_uk_example_tax_breakdown_maps_to_item_and_shipping_tax():
    def has_shipping(order: dict[str, Any]) -> bool:
        return any(
            breakdown.get("type") == "SHIPPING"
            for item in order["orderItems"]
            for breakdown in (item.get("proceeds") or {}).get("breakdowns", [])
        )

    # getOrder's documentation example (the "examples" block, not the sandbox one) is a UK order with
    # shipping and a TAX breakdown split into ITEM and SHIPPING.
    spec = json.loads((default_spec_dir() / "orders_2026-01-01.json").read_text())
    documented = spec["paths"]["/orders/2026-01-01/orders/{orderId}"]["get"]["responses"]["200"]["examples"]
    raw = documented["application/json"]["order"]
    assert has_shipping(raw)
    order = order_from_v2026(raw)
    taxes = {
        detail["subtype"]: Decimal(detail["value"]["amount"])
        for item in raw["orderItems"]
        for breakdown in item["proceeds"]["breakdowns"] if breakdown["type"] == "TAX"
        for detail in breakdown.get("detailedBreakdowns", [])
    }
    assert sum(i.item_tax for i in order.items) == taxes["ITEM"]
    assert sum(i.shipping_tax for i in order.items) == taxes["SHIPPING"]
    assert sum(i.shipping_price for i in order.items) > 0


def test_generated_orders_are_valid_v2026_orders(sample_orders, openapi):
    for order in sample_orders:
        openapi.validate_definition(order, "v2026", "Order")
    assert all(datetime.fromisoformat(o["createdTime"].replace("Z", "+00:00")) < datetime.now(UTC)
               for o in sample_orders)
