"""ORDER_CHANGE notifications as Amazon's schema describes them, for the trigger's tests."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime


def order_change_body(order_id: str, seller_id: str, *, event_time: datetime | None = None,
                      postal_code: str = "20121", sku: str = "SKU-SECRET-1") -> str:
    """An ORDER_CHANGE notification as reference/sp-api/OrderChangeNotification.json describes it."""
    moment = (event_time or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps({
        "NotificationVersion": "1.0", "NotificationType": "ORDER_CHANGE", "PayloadVersion": "1.0",
        "EventTime": moment,
        "Payload": {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel", "SellerId": seller_id, "AmazonOrderId": order_id,
            "OrderChangeType": "OrderStatusChange",
            "OrderChangeTrigger": {"TimeOfOrderChange": moment, "ChangeReason": "NewOrder"},
            "Summary": {"MarketplaceId": "APJ6JRA9NG5V4", "OrderStatus": "Unshipped", "PurchaseDate": moment,
                        "DestinationPostalCode": postal_code, "FulfillmentType": "MFN", "OrderType": "StandardOrder",
                        "OrderItems": [{"OrderItemId": "1", "SellerSKU": sku, "SupplySourceId": "s", "Quantity": 1}]},
        }},
        "NotificationMetadata": {"ApplicationId": "amzn1.sellerapps.app.test", "SubscriptionId": str(uuid.uuid4()),
                                 "PublishTime": moment, "NotificationId": str(uuid.uuid4())},
    })
