"""Orders v0 ``confirmShipment`` and the stand-in's control to cancel an order after import.

Built from ``ordersV0.json`` (``ConfirmShipmentRequest``, ``PackageDetail``,
``ConfirmShipmentOrderItem``, ``ErrorList``), independently of the product's client:

- 204 with no body on success; 400 ``InvalidInput`` for a request the model refuses (a required
  field missing or of the wrong type, ``packageReferenceId`` not a positive number in a string,
  ``carrierName`` missing with ``carrierCode`` ``Other``, ``shipDate`` not ISO 8601 or in the
  future, an ``orderItemId`` not of the order); 404 for an unknown order.
- A ``packageReferenceId`` already confirmed edits that package (Amazon's use-case guide); a new
  one adds a package. Quantities above what is left unshipped are refused with
  ``PackageToUpdateNotFound``, the code Amazon gives when it "cannot find a matching package or
  the order is already fulfilled".
- Confirmations show in v2026 ``packages[]``, item ``fulfillment.quantityFulfilled`` /
  ``quantityUnfulfilled`` and ``fulfillment.fulfillmentStatus`` (``PARTIALLY_SHIPPED`` /
  ``SHIPPED``), hence in v0 ``OrderStatus`` and ``NumberOfItemsShipped`` / ``Unshipped`` (v0_view),
  and move ``lastUpdatedTime`` to now, as any change of an order does on Amazon.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sandbox.amazon.errors import ApiError, invalid_input
from sandbox.amazon.store import OrderStore

# The model does not say which statuses accept a confirmation. Amazon's guides confirm orders
# that can ship (UNSHIPPED, PARTIALLY_SHIPPED) and edit packages of shipped ones; anything else
# (PENDING: not yet paid, CANCELLED, UNFULFILLABLE) is refused as the safe choice.
CONFIRMABLE = {"UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"}
# Orders the stand-in control may cancel: those with nothing shipped yet.
CANCELLABLE = {"PENDING_AVAILABILITY", "PENDING", "UNSHIPPED"}
POSITIVE_NUMBER = re.compile(r"^[0-9]+$")
# RFC 3339 date-time (Swagger's format "date-time"), with its offset.
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
REQUIRED = ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems")
STRINGS = ("packageReferenceId", "carrierCode", "carrierName", "shippingMethod", "trackingNumber", "shipDate",
           "shipFromSupplySourceId")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wrong_type(field: str) -> ApiError:
    # Amazon's wording for a field of the wrong JSON type (e.g. a number as packageReferenceId).
    return invalid_input(
        f"The input you have submitted is not valid. Please check the fields with invalid type [{field}]."
    )


def _order(store: OrderStore, order_id: str) -> dict[str, Any]:
    order = store.get(order_id)
    if order is None:
        raise ApiError(404, "NotFound", f"Order {order_id} was not found.")
    return order


def _validate(body: Any, now: datetime) -> tuple[str, dict[str, Any], datetime, list[dict[str, Any]]]:
    """(marketplaceId, packageDetail, shipDate, orderItems) of a request the model accepts."""
    if not isinstance(body, dict):
        raise invalid_input("The request body must be a ConfirmShipmentRequest object.")
    for name in ("marketplaceId", "packageDetail"):
        if name not in body:
            raise invalid_input(f"{name} is required.")
    if not isinstance(body["marketplaceId"], str) or not body["marketplaceId"]:
        raise _wrong_type("marketplaceId")
    if "codCollectionMethod" in body and body["codCollectionMethod"] != "DirectPayment":
        raise invalid_input("codCollectionMethod must be DirectPayment.")
    detail = body["packageDetail"]
    if not isinstance(detail, dict):
        raise _wrong_type("packageDetail")
    for name in REQUIRED:
        if name not in detail:
            raise invalid_input(f"packageDetail.{name} is required.")
    for name in STRINGS:
        if name in detail and not isinstance(detail[name], str):
            raise _wrong_type(f"packageDetail.{name}")
    reference = detail["packageReferenceId"]
    if not POSITIVE_NUMBER.match(reference) or int(reference) <= 0:
        raise invalid_input("PackageReferenceId: is invalid, must be a positive numeric value.")
    if not detail["carrierCode"].strip():
        raise invalid_input("packageDetail.carrierCode is required.")
    if detail["carrierCode"] == "Other" and not (detail.get("carrierName") or "").strip():
        raise invalid_input("packageDetail.carrierName is required when carrierCode is Other.")
    if not detail["trackingNumber"].strip():
        raise invalid_input("packageDetail.trackingNumber is required.")
    if not DATE_TIME.match(detail["shipDate"]):
        raise invalid_input("packageDetail.shipDate must be an ISO 8601 date-time.")
    ship_date = datetime.fromisoformat(detail["shipDate"].replace("Z", "+00:00"))
    if ship_date > now:
        raise invalid_input("packageDetail.shipDate cannot be in the future.")
    items = detail["orderItems"]
    if not isinstance(items, list):
        raise _wrong_type("packageDetail.orderItems")
    if not items:
        raise invalid_input("packageDetail.orderItems must hold at least one item.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or "orderItemId" not in item or "quantity" not in item:
            raise invalid_input("Each order item needs orderItemId and quantity.")
        if not isinstance(item["orderItemId"], str):
            raise _wrong_type("packageDetail.orderItems.orderItemId")
        if not isinstance(item["quantity"], int) or isinstance(item["quantity"], bool):
            raise _wrong_type("packageDetail.orderItems.quantity")
        codes = item.get("transparencyCodes", [])
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise _wrong_type("packageDetail.orderItems.transparencyCodes")
        if item["quantity"] < 1:
            raise invalid_input(f"Quantity of order item {item['orderItemId']} must be positive.")
        # The model is silent on an item listed twice in one package: refused, not summed.
        if item["orderItemId"] in seen:
            raise invalid_input(f"Order item {item['orderItemId']} is listed more than once.")
        seen.add(item["orderItemId"])
    return body["marketplaceId"], detail, ship_date, items


def _count(value: Any) -> int:
    """A quantity as stored on the order; one that is not a whole number counts as none."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _lines(order: dict[str, Any]) -> list[Any]:
    lines = order.get("orderItems")
    return lines if isinstance(lines, list) else []


def confirm_shipment(store: OrderStore, order_id: str, body: Any, now: datetime | None = None) -> None:
    """Validate one package confirmation and record it on the order; None means 204."""
    with store.lock:  # read, check and replace the order as one step
        _confirm(store, order_id, body, now or datetime.now(UTC))


def _confirm(store: OrderStore, order_id: str, body: Any, now: datetime) -> None:
    order = _order(store, order_id)  # 404 first: nothing about an unknown order can be checked
    marketplace, detail, ship_date, items = _validate(body, now)
    fulfillment = order.get("fulfillment") or {}
    # The model is silent on the marketplace: one that is not the order's is refused (safe).
    if marketplace != (order.get("salesChannel") or {}).get("marketplaceId"):
        raise invalid_input(f"Order {order_id} does not belong to marketplace {marketplace}.")
    # The model is silent on Amazon-fulfilled orders; its packages are "only available for
    # merchant-fulfilled (FBM) orders" and Amazon ships FBA orders itself: refused.
    if fulfillment.get("fulfilledBy") == "AMAZON":
        raise invalid_input(f"Order {order_id} is fulfilled by Amazon and cannot be confirmed by the seller.")
    status = fulfillment.get("fulfillmentStatus")
    if status == "CANCELLED":
        raise invalid_input(f"Order {order_id} has been cancelled and cannot be shipped.")
    if status not in CONFIRMABLE:
        raise invalid_input(f"Order {order_id} is {status} and cannot be shipped yet.")

    reference = detail["packageReferenceId"]
    packages = [p for p in order.get("packages") or () if isinstance(p, dict)]
    previous = next((p for p in packages if p.get("packageReferenceId") == reference), None)
    before = {i["orderItemId"]: i["quantity"] for i in (previous or {}).get("packageItems", ())}
    by_id = {i.get("orderItemId"): i for i in _lines(order) if isinstance(i, dict)}
    for item in items:
        line = by_id.get(item["orderItemId"])
        if line is None:
            raise invalid_input(f"Order item {item['orderItemId']} is not in order {order_id}.")
        shipped = _count((line.get("fulfillment") or {}).get("quantityFulfilled", 0))
        left = _count(line.get("quantityOrdered")) - shipped + before.get(item["orderItemId"], 0)
        if item["quantity"] > left:
            raise ApiError(400, "PackageToUpdateNotFound",
                           f"Unable to find package to update for order ({order_id}): only {left} of "
                           f"order item {item['orderItemId']} left to ship.")

    carrier = detail["carrierName"] if detail["carrierCode"] == "Other" else detail["carrierCode"]
    package: dict[str, Any] = {
        "packageReferenceId": reference,
        "createdTime": (previous or {}).get("createdTime") or iso(now),
        "packageStatus": {"status": "SHIPPED"},
        "carrier": carrier,
        "shipTime": iso(ship_date),
        "trackingNumber": detail["trackingNumber"],
        "packageItems": [
            {k: v for k, v in item.items() if k in ("orderItemId", "quantity", "transparencyCodes")}
            for item in items
        ],
    }
    if detail.get("shippingMethod"):
        package["shippingService"] = detail["shippingMethod"]
    after = {i["orderItemId"]: i["quantity"] for i in items}
    updated = dict(order)
    updated["packages"] = [package if p is previous else p for p in packages] + ([] if previous else [package])
    updated["orderItems"] = [_shipped(line, after.get(line.get("orderItemId"), 0)
                                      - before.get(line.get("orderItemId"), 0)) for line in _lines(order)]
    updated["fulfillment"] = {**fulfillment, "fulfillmentStatus": _status(updated["orderItems"])}
    updated["lastUpdatedTime"] = iso(now)
    store.replace(order_id, updated)


def _shipped(line: Any, change: int) -> Any:
    if not change or not isinstance(line, dict):
        return line
    fulfillment = dict(line.get("fulfillment") or {})
    fulfilled = _count(fulfillment.get("quantityFulfilled", 0)) + change
    fulfillment["quantityFulfilled"] = fulfilled
    fulfillment["quantityUnfulfilled"] = _count(line.get("quantityOrdered")) - fulfilled
    return {**line, "fulfillment": fulfillment}


def _status(lines: list[Any]) -> str:
    fulfilled = [(line.get("fulfillment") or {}) for line in lines if isinstance(line, dict)]
    if fulfilled and all(f.get("quantityUnfulfilled", 1) == 0 for f in fulfilled):
        return "SHIPPED"
    if any(_count(f.get("quantityFulfilled", 0)) > 0 for f in fulfilled):
        return "PARTIALLY_SHIPPED"
    return "UNSHIPPED"


def cancel_order(
    store: OrderStore, order_id: str, cancelled_by: str = "BUYER", reason: str = "Cancelled by the buyer",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Cancel an order that has shipped nothing (a buyer's or Amazon's cancellation after import).

    As on Amazon, the order becomes ``CANCELLED``, each item carries ``cancellation.
    cancellationExecution``, the delivery address is no longer shown, and ``lastUpdatedTime`` moves."""
    with store.lock:
        return _cancel(store, order_id, cancelled_by, reason, now or datetime.now(UTC))


def request_cancellation(
    store: OrderStore, order_id: str, reason: str = "REASON_NO_LONGER_NEEDED", now: datetime | None = None,
) -> dict[str, Any]:
    """The buyer asks to cancel an unshipped order: each item carries ``cancellation.
    cancellationRequest`` {requester BUYER, cancelReason}; the status stays; ``lastUpdatedTime`` moves."""
    with store.lock:
        order = _order(store, order_id)
        status = (order.get("fulfillment") or {}).get("fulfillmentStatus")
        if status not in CANCELLABLE:
            raise ApiError(409, "InvalidState", f"Order {order_id} is {status}: the buyer cannot ask to cancel.")
        request = {"cancellationRequest": {"requester": "BUYER", "cancelReason": reason}}
        updated = {**order, "lastUpdatedTime": iso(now or datetime.now(UTC))}
        updated["orderItems"] = [
            {**line, "cancellation": request} if isinstance(line, dict) else line for line in _lines(order)
        ]
        store.replace(order_id, updated)
        return {"orderId": order_id, "fulfillmentStatus": status, "cancellationRequest": request}


def _cancel(store: OrderStore, order_id: str, cancelled_by: str, reason: str, now: datetime) -> dict[str, Any]:
    order = _order(store, order_id)
    fulfillment = order.get("fulfillment") or {}
    status = fulfillment.get("fulfillmentStatus")
    if status not in CANCELLABLE:
        raise ApiError(409, "InvalidState", f"Order {order_id} is {status} and cannot be cancelled.")
    if cancelled_by not in ("BUYER", "MERCHANT", "AMAZON"):
        raise invalid_input("cancelledBy must be BUYER, MERCHANT or AMAZON.")
    execution = {"cancellationExecution": {"cancelledBy": cancelled_by, "cancelReason": reason}}
    updated = {k: v for k, v in order.items() if k != "recipient"}
    updated["fulfillment"] = {**fulfillment, "fulfillmentStatus": "CANCELLED"}
    updated["orderItems"] = [
        {**line, "cancellation": execution} if isinstance(line, dict) else line for line in _lines(order)
    ]
    updated["lastUpdatedTime"] = iso(now)
    store.replace(order_id, updated)
    return {"orderId": order_id, "fulfillmentStatus": "CANCELLED"}
