"""Orders API v0 handlers (getOrders, getOrder, getOrderItems, address, buyerInfo) and the Tokens API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sandbox.amazon.errors import ACCESS_DENIED, ApiError, invalid_input, not_linked
from sandbox.amazon.orders_v2026 import csv, iso, page_size, parse_when, window
from sandbox.amazon.state import StandInState
from sandbox.amazon.store import OrderStore
from sandbox.amazon.v0_view import (
    STATUS_FROM_V0,
    address_v0,
    buyer_info_v0,
    items_v0,
    order_v0,
    v0_status,
)

V0_STATUSES = set(STATUS_FROM_V0)
CHANNELS = {"AFN": "AMAZON", "MFN": "MERCHANT"}


def covers(resources: list[dict[str, Any]] | None, method: str, path: str, element: str) -> bool:
    """Does a Restricted Data Token grant ``element`` for this call?"""
    for resource in resources or ():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(resource.get("path", ""))) + "$"
        if resource.get("method") == method and re.match(pattern, path):
            return element in (resource.get("dataElements") or ["buyerInfo", "shippingAddress"])
    return False


def get_orders(
    state: StandInState, store: OrderStore, query: dict[str, str], resources: list[dict[str, Any]] | None
) -> dict[str, Any]:
    if not csv(query.get("MarketplaceIds")):
        raise invalid_input("MarketplaceIds is required.")
    token = query.get("NextToken")
    if token:
        decoded = state.read_page_token(token)
        if isinstance(decoded, str):
            raise invalid_input(f"Invalid NextToken: the token {decoded}.")
        saved, offset = decoded
    else:
        by, after, before = window(
            query,
            datetime.now(UTC),
            ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"),
        )
        statuses = csv(query.get("OrderStatuses"))
        for status in statuses:
            if status not in V0_STATUSES:
                raise invalid_input(f"{status} is not a valid value for OrderStatuses.")
        channels = csv(query.get("FulfillmentChannels"))
        for channel in channels:
            if channel not in CHANNELS:
                raise invalid_input(f"{channel} is not a valid value for FulfillmentChannels.")
        if state.config.unlinked(csv(query.get("MarketplaceIds"))):
            raise not_linked(state.config.unlinked(csv(query.get("MarketplaceIds"))))
        saved = {
            "by": by,
            "after": iso(after),
            "before": iso(before),
            "marketplaces": csv(query.get("MarketplaceIds")),
            "statuses": sorted({STATUS_FROM_V0[s] for s in statuses if s != "InvoiceUnconfirmed"}),
            "fulfilledBy": [CHANNELS[c] for c in channels],
            "size": page_size(query.get("MaxResultsPerPage"), "MaxResultsPerPage"),
            "onlyInvoiceUnconfirmed": statuses == ["InvoiceUnconfirmed"],
        }
        offset = 0
    matching = (
        []
        if saved["onlyInvoiceUnconfirmed"]
        else store.search(
            by=saved["by"],
            after=parse_when("after", saved["after"]),
            before=parse_when("before", saved["before"]),
            marketplaces=saved["marketplaces"],
            statuses=saved["statuses"],
            fulfilled_by=saved["fulfilledBy"],
        )
    )
    restricted = covers(resources, "GET", "/orders/v0/orders", "buyerInfo")
    size = saved["size"]
    payload: dict[str, Any] = {
        "Orders": [order_v0(o, restricted) for o in matching[offset : offset + size]],
    }
    if offset + size < len(matching):
        payload["NextToken"] = state.make_page_token(saved, offset + size)
    payload["CreatedBefore" if saved["by"] == "created" else "LastUpdatedBefore"] = saved["before"]
    return {"payload": payload}


def _order(store: OrderStore, order_id: str) -> dict[str, Any]:
    order = store.get(order_id)
    if order is None:
        raise ApiError(404, "NotFound", f"Order {order_id} was not found.")
    return order


def get_order(store: OrderStore, order_id: str, resources: list[dict[str, Any]] | None) -> dict[str, Any]:
    restricted = covers(resources, "GET", f"/orders/v0/orders/{order_id}", "buyerInfo")
    return {"payload": order_v0(_order(store, order_id), restricted)}


def get_order_items(
    store: OrderStore, order_id: str, resources: list[dict[str, Any]] | None
) -> dict[str, Any]:
    restricted = covers(resources, "GET", f"/orders/v0/orders/{order_id}/orderItems", "buyerInfo")
    order = _order(store, order_id)
    return {"payload": {"OrderItems": items_v0(order, restricted), "AmazonOrderId": order_id}}


def get_order_address(store: OrderStore, order_id: str, resources: list[dict[str, Any]] | None) -> dict:
    order = _order(store, order_id)
    restricted = covers(resources, "GET", f"/orders/v0/orders/{order_id}/address", "shippingAddress")
    payload: dict[str, Any] = {"AmazonOrderId": order_id}
    address = (order.get("recipient") or {}).get("deliveryAddress")
    if address and v0_status(order) in ("Unshipped", "PartiallyShipped", "Shipped"):
        payload["ShippingAddress"] = address_v0(address, restricted)
    return {"payload": payload}


def get_order_buyer_info(store: OrderStore, order_id: str, resources: list[dict[str, Any]] | None) -> dict:
    order = _order(store, order_id)
    payload: dict[str, Any] = {"AmazonOrderId": order_id}
    info = buyer_info_v0(order)
    if covers(resources, "GET", f"/orders/v0/orders/{order_id}/buyerInfo", "buyerInfo") and isinstance(info, dict):
        payload |= info
    return {"payload": payload}


def create_restricted_data_token(state: StandInState, body: Any) -> tuple[dict[str, Any], str]:
    """Validate the request and issue an RDT; returns (answer, token)."""
    if not isinstance(body, dict) or not isinstance(body.get("restrictedResources"), list):
        raise invalid_input("restrictedResources is required.")
    resources = body["restrictedResources"]
    if not 1 <= len(resources) <= 50:
        raise invalid_input("restrictedResources must hold 1 to 50 resources.")
    for resource in resources:
        if (
            not isinstance(resource, dict)
            or resource.get("method") not in {"GET", "PUT", "POST", "DELETE"}
            or not isinstance(resource.get("path"), str)
        ):
            raise invalid_input(
                "Each restricted resource needs a method (GET, PUT, POST, DELETE) and a path."
            )
        if not resource["path"].startswith("/"):
            raise ApiError(400, "InvalidInput", f"Invalid path: {resource['path']}")
    token = state.issue_rdt(resources)
    return {"restrictedDataToken": token, "expiresIn": int(state.config.rdt_lifetime)}, token


def forbidden() -> ApiError:
    return ApiError(403, "Unauthorized", ACCESS_DENIED)
