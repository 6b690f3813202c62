"""Orders API v2026-01-01 handlers: searchOrders and getOrder."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.amazon.errors import ApiError, invalid_input, not_linked
from sandbox.amazon.state import StandInState
from sandbox.amazon.store import OrderStore

STATUSES = {
    "PENDING_AVAILABILITY",
    "PENDING",
    "UNSHIPPED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "UNFULFILLABLE",
}
FULFILLED_BY = {"MERCHANT", "AMAZON"}
INCLUDED_DATA = {
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "EXPENSE",
    "PROMOTION",
    "CANCELLATION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
    "PAYMENT",
    "FULFILLMENT_ORDERS",
}
ORDER_SECTIONS = {
    "buyer": "BUYER",
    "recipient": "RECIPIENT",
    "proceeds": "PROCEEDS",
    "payment": "PAYMENT",
    "tax": "TAX",
    "fulfillment": "FULFILLMENT",
    "packages": "PACKAGES",
    "fulfillmentOrders": "FULFILLMENT_ORDERS",
}
ITEM_SECTIONS = {
    "proceeds": "PROCEEDS",
    "expense": "EXPENSE",
    "promotion": "PROMOTION",
    "cancellation": "CANCELLATION",
    "fulfillment": "FULFILLMENT",
    "tax": "TAX",
}
MIN_BEFORE_AGE = timedelta(minutes=2)
MAX_PAGE = 100


def csv(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def parse_when(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_input(f"{name} '{value}' is not a valid ISO 8601 date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_enum(name: str, values: list[str], allowed: set[str]) -> list[str]:
    for value in values:
        if value not in allowed:
            raise invalid_input(f"{value} is not a valid value for {name}.")
    return values


def shape(order: dict[str, Any], included: set[str]) -> dict[str, Any]:
    """The order with only the sections ``includedData`` asked for."""
    result = {
        k: copy.deepcopy(v)
        for k, v in order.items()
        if k not in ORDER_SECTIONS or ORDER_SECTIONS[k] in included
    }
    items = result.get("orderItems")
    if isinstance(items, list):  # anything else is served as it is: the client must cope
        result["orderItems"] = [
            {k: v for k, v in item.items() if k not in ITEM_SECTIONS or ITEM_SECTIONS[k] in included}
            if isinstance(item, dict) else item
            for item in items
        ]
    elif items is None:
        result["orderItems"] = []
    return result


def window(
    query: dict[str, str],
    now: datetime,
    names: tuple[str, str, str, str],
) -> tuple[str, datetime, datetime]:
    """Validate the created/updated window: exactly one After, Befores 2 minutes old."""
    created_after, created_before, updated_after, updated_before = names
    if bool(query.get(created_after)) == bool(query.get(updated_after)):
        raise invalid_input(f"Exactly one of {created_after} and {updated_after} must be specified.")
    if query.get(created_before) and not query.get(created_after):
        raise invalid_input(f"{created_before} can only be used with {created_after}.")
    if query.get(updated_before) and not query.get(updated_after):
        raise invalid_input(f"{updated_before} can only be used with {updated_after}.")
    by = "created" if query.get(created_after) else "updated"
    after_name, before_name = (
        (created_after, created_before) if by == "created" else (updated_after, updated_before)
    )
    latest = now - MIN_BEFORE_AGE
    after = parse_when(after_name, query[after_name])
    if after > latest:
        raise invalid_input(f"{after_name} must be no later than 2 minutes before the request time.")
    before = parse_when(before_name, query[before_name]) if query.get(before_name) else latest
    if before > latest:
        raise invalid_input(f"{before_name} must be no later than 2 minutes before the request time.")
    if before <= after:
        raise invalid_input(f"{before_name} must be later than {after_name}.")
    return by, after, before


def page_size(value: str | None, name: str) -> int:
    if value is None:
        return MAX_PAGE
    try:
        size = int(value)
    except ValueError:
        raise invalid_input(f"{name} must be an integer.") from None
    if not 1 <= size <= MAX_PAGE:
        raise invalid_input(f"{name} must be between 1 and {MAX_PAGE}.")
    return size


def search_orders(state: StandInState, store: OrderStore, query: dict[str, str]) -> dict[str, Any]:
    token = query.get("paginationToken")
    if token:
        decoded = state.read_page_token(token)
        if isinstance(decoded, str):
            raise invalid_input(f"The paginationToken {decoded}.")
        saved, offset = decoded
    else:
        by, after, before = window(
            query,
            datetime.now(UTC),
            ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"),
        )
        marketplaces = csv(query.get("marketplaceIds"))
        if len(marketplaces) > 50:
            raise invalid_input("marketplaceIds accepts at most 50 values.")
        if state.config.unlinked(marketplaces):
            raise not_linked(state.config.unlinked(marketplaces))
        saved = {
            "by": by,
            "after": iso(after),
            "before": iso(before),
            "marketplaces": marketplaces,
            "statuses": check_enum("fulfillmentStatuses", csv(query.get("fulfillmentStatuses")), STATUSES),
            "fulfilledBy": check_enum("fulfilledBy", csv(query.get("fulfilledBy")), FULFILLED_BY),
            "size": page_size(query.get("maxResultsPerPage"), "maxResultsPerPage"),
            "included": check_enum("includedData", csv(query.get("includedData")), INCLUDED_DATA),
        }
        offset = 0
    matching = store.search(
        by=saved["by"],
        after=parse_when("after", saved["after"]),
        before=parse_when("before", saved["before"]),
        marketplaces=saved["marketplaces"],
        statuses=saved["statuses"],
        fulfilled_by=saved["fulfilledBy"],
    )
    size = saved["size"]
    included = set(saved["included"])
    body: dict[str, Any] = {"orders": [shape(o, included) for o in matching[offset : offset + size]]}
    if offset + size < len(matching):
        body["pagination"] = {"nextToken": state.make_page_token(saved, offset + size)}
    body["createdBefore" if saved["by"] == "created" else "lastUpdatedBefore"] = saved["before"]
    return body


def get_order(store: OrderStore, order_id: str, query: dict[str, str]) -> dict[str, Any]:
    included = set(check_enum("includedData", csv(query.get("includedData")), INCLUDED_DATA))
    order = store.get(order_id)
    if order is None:
        raise ApiError(404, "NotFound", f"Order {order_id} was not found.")
    return {"order": shape(order, included)}
