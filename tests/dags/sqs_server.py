"""A real SQS endpoint for the trigger's tests: moto's server in its own process, on a free port."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import requests

from tests.fixtures.mail import free_port

REGION = "eu-west-1"


@contextlib.contextmanager
def moto_sqs() -> Iterator[str]:
    """The server's endpoint URL while it runs."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def sqs_client(endpoint: str):
    import boto3

    return boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def aws_connection_uri(endpoint: str) -> str:
    """The ``AIRFLOW_CONN_…`` value of an aws connection reaching the endpoint (dummy keys)."""
    return json.dumps({"conn_type": "aws", "login": "testing", "password": "testing",
                       "extra": {"endpoint_url": endpoint, "region_name": REGION}})


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
