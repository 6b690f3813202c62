"""Shipment confirmation to Amazon: what one package says, and what Amazon already knows.

``PackageConfirmation`` becomes the body of Orders v0 ``confirmShipment`` (v2026-01-01 only
reads orders); ``AmazonShipmentState`` is read from v2026 ``getOrder`` with ``includedData``
``FULFILLMENT`` and ``PACKAGES``. The HTTP calls are ``OrdersClient.confirm_shipment`` and
``OrdersClient.shipment_state`` (client.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from amazon_passweb.amazon.errors import SpApiError

OTHER_CARRIER = "Other"
POSITIVE_NUMBER = re.compile(r"^[1-9][0-9]*$")
# Amazon refuses a shipDate in the future by its own clock. A ship date later than now minus this
# margin (a delivery note dated ahead, our clock ahead of Amazon's) is sent as now minus the
# margin: a date a little early is harmless, a refused one would wait until the data changed.
CLOCK_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class ShippedItem:
    order_item_id: str  # Amazon's orderItemId
    quantity: int

    def __post_init__(self) -> None:
        if not self.order_item_id:
            raise ValueError("a shipped item needs Amazon's orderItemId")
        if not isinstance(self.quantity, int) or isinstance(self.quantity, bool) or self.quantity < 1:
            raise ValueError(f"item {self.order_item_id}: quantity must be a positive whole number")


@dataclass(frozen=True)
class PackageConfirmation:
    """One package of one order, as ``confirmShipment``'s ``packageDetail`` describes it."""

    package_reference_id: str  # positive integer, as a string; the same id again edits the package
    carrier_code: str  # Amazon's carrier code, or "Other"
    carrier_name: str | None  # required with "Other"
    tracking_number: str
    ship_date: datetime  # aware
    items: tuple[ShippedItem, ...]
    shipping_method: str | None = None

    def __post_init__(self) -> None:
        if not POSITIVE_NUMBER.match(self.package_reference_id or ""):
            raise ValueError(f"packageReferenceId {self.package_reference_id!r} is not a positive number")
        if not (self.carrier_code or "").strip():
            raise ValueError("a package needs a carrier code")
        if self.carrier_code == OTHER_CARRIER and not (self.carrier_name or "").strip():
            raise ValueError('carrier code "Other" needs the carrier name')
        if not (self.tracking_number or "").strip():
            raise ValueError("a package needs a tracking number")
        if self.ship_date.tzinfo is None:
            raise ValueError("ship_date must be timezone-aware")
        if not self.items:
            raise ValueError("a package needs at least one item")
        if len({item.order_item_id for item in self.items}) != len(self.items):
            raise ValueError("an order item appears twice in one package")

    def request_body(self, marketplace_id: str, now: datetime) -> dict[str, Any]:
        """The ``ConfirmShipmentRequest``; ``shipDate`` is never later than ``now`` (see CLOCK_MARGIN)."""
        ship_date = min(self.ship_date, now - CLOCK_MARGIN)
        detail: dict[str, Any] = {
            "packageReferenceId": self.package_reference_id,  # a string: Amazon refuses a JSON number
            "carrierCode": self.carrier_code,
            "trackingNumber": self.tracking_number,
            "shipDate": ship_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "orderItems": [{"orderItemId": i.order_item_id, "quantity": i.quantity} for i in self.items],
        }
        if self.carrier_name:
            detail["carrierName"] = self.carrier_name
        if self.shipping_method:
            detail["shippingMethod"] = self.shipping_method
        return {"marketplaceId": marketplace_id, "packageDetail": detail}


@dataclass(frozen=True)
class AmazonShipmentState:
    """What v2026 ``getOrder`` says of an order's shipment before we confirm a package."""

    cancelled: bool
    fulfilment_status: str | None  # fulfillment.fulfillmentStatus, e.g. UNSHIPPED, PARTIALLY_SHIPPED
    tracking_numbers: frozenset[str]  # of the packages Amazon already has
    package_reference_ids: frozenset[str]
    quantity_shipped: Mapping[str, int]  # orderItemId -> quantityFulfilled
    # every package Amazon has is packageStatus.status DELIVERED (and there is at least one)
    delivered: bool = False

    @classmethod
    def from_v2026(cls, order: dict[str, Any]) -> AmazonShipmentState:
        """Read an ``Order``; raises ValueError/TypeError when it is not the documented shape."""
        fulfillment = order.get("fulfillment") or {}
        if not isinstance(fulfillment, dict):
            raise TypeError("fulfillment is not an object")
        status = fulfillment.get("fulfillmentStatus")
        packages = order.get("packages") or []
        items = order.get("orderItems") or []
        if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
            raise TypeError("packages is not a list of packages")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise TypeError("orderItems is not a list of items")
        shipped: dict[str, int] = {}
        for item in items:
            quantity = (item.get("fulfillment") or {}).get("quantityFulfilled", 0)
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise ValueError(f"item {item.get('orderItemId')}: quantityFulfilled {quantity!r}")
            shipped[str(item.get("orderItemId"))] = quantity
        return cls(
            cancelled=status == "CANCELLED",
            fulfilment_status=str(status) if status else None,
            tracking_numbers=frozenset(str(p["trackingNumber"]) for p in packages if p.get("trackingNumber")),
            package_reference_ids=frozenset(
                str(p["packageReferenceId"]) for p in packages if p.get("packageReferenceId")
            ),
            quantity_shipped=MappingProxyType(shipped),
            delivered=bool(packages) and all(
                isinstance(p.get("packageStatus"), dict) and p["packageStatus"].get("status") == "DELIVERED"
                for p in packages),
        )


class ShipmentRefused(SpApiError):
    """Amazon answered 400 to a confirmation: the order's data must change before it is sent again.

    Carries Amazon's ``code`` (e.g. ``InvalidInput``, ``PackageToUpdateNotFound``) and
    ``amazon_message``; never retried."""
