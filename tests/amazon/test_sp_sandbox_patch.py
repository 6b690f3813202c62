"""``POST /_sandbox/orders/{orderId}``: a JSON merge patch (RFC 7396) to a stored order, seen through
both API versions over sockets, with ``lastUpdatedTime`` moved so the next import's window finds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from sandbox.amazon.control import merge_patch

V2026 = "/orders/2026-01-01/orders"


def _unshipped(orders: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in orders if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
                and o["fulfillment"]["fulfilledBy"] == "MERCHANT" and len(o["orderItems"]) == 1)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def setup(sample_orders, standin_factory, client_factory):
    standin = standin_factory(sample_orders)
    return standin, client_factory(standin), _unshipped(sample_orders)


def _v2026(client, order_id: str) -> dict[str, Any]:
    return client.transport.call("getOrder", "GET", f"{V2026}/{order_id}",
                                 params={"includedData": ["CANCELLATION", "FULFILLMENT"]})["order"]


def _search_updated(client, order: dict[str, Any], since: datetime) -> dict[str, dict[str, Any]]:
    answer = client.transport.call("searchOrders", "GET", V2026, params={
        "lastUpdatedAfter": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "marketplaceIds": [order["salesChannel"]["marketplaceId"]],
        "includedData": ["CANCELLATION", "FULFILLMENT"]})
    return {o["orderId"]: o for o in answer["orders"]}


def _v0_orders(client, order: dict[str, Any], since: datetime) -> dict[str, dict[str, Any]]:
    answer = client.transport.call("getOrders", "GET", "/orders/v0/orders", params={
        "LastUpdatedAfter": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "MarketplaceIds": [order["salesChannel"]["marketplaceId"]]})
    return {o["AmazonOrderId"]: o for o in answer["payload"]["Orders"]}


def test_a_cancelling_patch_shows_in_both_versions_with_the_update_time_moved(setup):
    standin, client, order = setup
    order_id = order["orderId"]
    before = datetime.now(UTC)
    answer = standin.patch_order(order_id, {"fulfillment": {"fulfillmentStatus": "CANCELLED"}})
    after = datetime.now(UTC)

    moved = _when(answer["lastUpdatedTime"])
    assert before - timedelta(minutes=3, seconds=1) <= moved <= after - timedelta(minutes=3)
    v2026 = _v2026(client, order_id)
    assert v2026["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
    assert v2026["fulfillment"]["fulfilledBy"] == "MERCHANT", "members the patch leaves out are kept"
    assert v2026["lastUpdatedTime"] == answer["lastUpdatedTime"]
    since = before - timedelta(minutes=10)
    assert _search_updated(client, order, since)[order_id]["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
    assert _v0_orders(client, order, since)[order_id]["OrderStatus"] == "Canceled"
    v0 = client.transport.call("getOrderV0", "GET", f"/orders/v0/orders/{order_id}")["payload"]
    assert (v0["OrderStatus"], v0["LastUpdateDate"]) == ("Canceled", answer["lastUpdatedTime"])
    assert order["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED", "the caller's orders stay as given"


def test_a_buyer_cancellation_request_shows_as_buyer_requested_cancel(setup):
    standin, client, order = setup
    order_id = order["orderId"]
    request = {"requester": "BUYER", "cancelReason": "Ordinato per errore"}
    items = [{**order["orderItems"][0], "cancellation": {"cancellationRequest": request}}]
    standin.patch_order(order_id, {"orderItems": items, "lastUpdatedTime": "2026-11-20T10:00:00Z"})

    v2026 = _v2026(client, order_id)
    assert v2026["orderItems"][0]["cancellation"] == {"cancellationRequest": request}
    assert v2026["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
    assert v2026["lastUpdatedTime"] == "2026-11-20T10:00:00Z", "a time the patch sets is kept"
    found = _search_updated(client, order, datetime(2026, 11, 20, 9, 59, tzinfo=UTC))
    assert found[order_id]["orderItems"][0]["cancellation"] == {"cancellationRequest": request}
    v0 = client.transport.call("getOrderV0", "GET", f"/orders/v0/orders/{order_id}")["payload"]
    assert v0["OrderStatus"] == "Unshipped" and v0["LastUpdateDate"] == "2026-11-20T10:00:00Z"
    [item] = client.transport.call("getOrderItems", "GET",
                                   f"/orders/v0/orders/{order_id}/orderItems")["payload"]["OrderItems"]
    assert item["BuyerRequestedCancel"] == {"IsBuyerRequestedCancel": "true",
                                            "BuyerCancelReason": "Ordinato per errore"}


@pytest.mark.parametrize("body", [
    "not json", "[1, 2]", '"CANCELLED"', '{"orderId": "999-0000000-0000000"}', '{"lastUpdatedTime": "ieri"}',
])
def test_an_invalid_patch_is_refused_and_changes_nothing(setup, body):
    standin, client, order = setup
    response = requests.post(f"{standin.base_url}/_sandbox/orders/{order['orderId']}", data=body, timeout=10)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "InvalidInput"
    assert _v2026(client, order["orderId"])["lastUpdatedTime"] == order["lastUpdatedTime"]


def test_an_unknown_order_is_not_found(setup):
    standin, _, _ = setup
    response = requests.post(f"{standin.base_url}/_sandbox/orders/999-0000000-0000000",
                             json={"fulfillment": {"fulfillmentStatus": "CANCELLED"}}, timeout=10)
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "NotFound"


def test_the_existing_cancel_control_still_answers(setup):
    standin, client, order = setup
    assert standin.cancel_order(order["orderId"])["fulfillmentStatus"] == "CANCELLED"
    assert _v2026(client, order["orderId"])["fulfillment"]["fulfillmentStatus"] == "CANCELLED"


@pytest.mark.parametrize(("target", "patch", "result"), [  # RFC 7396 appendix A, in part
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
])
def test_merge_patch_follows_rfc_7396(target, patch, result):
    assert merge_patch(target, patch) == result
