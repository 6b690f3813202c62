"""``POST /_sandbox/orders/{orderId}``: change a stored order after import, as Amazon would.

The body is a JSON merge patch (RFC 7396) applied to the stored v2026 order: an object merges
member by member, ``null`` deletes a member, any other value (an array included) replaces the
member whole. ``lastUpdatedTime`` moves to the request time minus 3 minutes (so a search whose
``lastUpdatedBefore`` must be 2 minutes old already finds it) unless the patch sets it. Both
API versions are derived from the stored order, so v0 shows the change too (``OrderStatus``,
``BuyerRequestedCancel``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sandbox.amazon.errors import ApiError
from sandbox.amazon.orders_v2026 import iso
from sandbox.amazon.store import OrderStore, parse_time

UPDATE_LAG = timedelta(minutes=3)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 ``MergePatch(Target, Patch)``; neither argument is changed."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def patch_order(store: OrderStore, order_id: str, patch: Any, now: datetime) -> dict[str, Any]:
    """Apply ``patch`` to the stored order and serve the result from now on; returns it."""
    if not isinstance(patch, dict):
        raise ApiError(400, "InvalidInput", "The body must be a JSON merge patch object (RFC 7396).")
    if "orderId" in patch and patch["orderId"] != order_id:
        raise ApiError(400, "InvalidInput", "A patch cannot change the orderId.")
    if "lastUpdatedTime" in patch:
        try:
            parse_time(patch["lastUpdatedTime"])
        except (AttributeError, TypeError, ValueError):
            raise ApiError(400, "InvalidInput", "lastUpdatedTime must be an ISO 8601 date-time.") from None
    with store.lock:
        order = store.get(order_id)
        if order is None:
            raise ApiError(404, "NotFound", f"Order {order_id} not found.")
        updated = merge_patch(order, patch)
        if "lastUpdatedTime" not in patch:
            updated["lastUpdatedTime"] = iso(now - UPDATE_LAG)
        store.replace(order_id, updated)
    return updated


def _status(order: dict[str, Any] | None) -> Any:
    return ((order or {}).get("fulfillment") or {}).get("fulfillmentStatus")


def _buyer_requests(order: dict[str, Any] | None) -> set[Any]:
    lines = (order or {}).get("orderItems")
    return {line.get("orderItemId") for line in lines if isinstance(line, dict)
            and ((line.get("cancellation") or {}).get("cancellationRequest") or {}).get("requester") == "BUYER"
            } if isinstance(lines, list) else set()


def change_kind(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[str, str]:
    """The ORDER_CHANGE type and reason of a patch: a new status is an OrderStatusChange, a buyer's
    new request to cancel a BuyerRequestedChange. The notification schema names no type for other
    changes; they are announced as OrderStatusChange (the status as it is) so that a listener reads
    the order again rather than miss the change."""
    if _status(before) != _status(after):
        return "OrderStatusChange", "Order Status Changed"
    if _buyer_requests(after) - _buyer_requests(before):
        return "BuyerRequestedChange", "Buyer Requested Cancel"
    return "OrderStatusChange", "Order Updated"
