"""Amazon Selling Partner API: login (LWA), rate limiting, orders client, mapping to the domain model,
ORDER_CHANGE notifications.

Names are loaded on first use, so importing ``amazon_passweb.amazon.models`` stays light
(no HTTP stack) for code that only needs the domain order.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "OrdersClient": "client", "FetchResult": "client",
    "SpApiError": "errors", "AuthenticationError": "errors", "MalformedResponseError": "errors",
    "QuotaExceededError": "errors",
    "AmazonOrder": "models", "OrderItem": "models", "Buyer": "models", "Address": "models",
    "FulfillmentChannel": "models", "ShippingLevel": "models",
    "SpApiSettings": "settings",
    "PackageConfirmation": "shipments", "ShippedItem": "shipments", "AmazonShipmentState": "shipments",
    "ShipmentRefused": "shipments",
    "OrderChange": "notifications", "parse_order_change": "notifications", "NotificationError": "notifications",
    "NotificationsClient": "notifications", "SetupResult": "notifications",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
