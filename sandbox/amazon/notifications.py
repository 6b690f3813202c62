"""ORDER_CHANGE notifications, published into the SQS queue of the subscription's destination.

Each message body is the notification JSON of Amazon's schema ``OrderChangeNotification.json``
(NotificationVersion, NotificationType, PayloadVersion, EventTime, Payload.OrderChangeNotification,
NotificationMetadata), built from the stored v2026 order as it is after the change.

Sending happens on a background thread, so an HTTP answer never waits for the queue. Nothing is lost
silently: a message the queue refuses is retried, then logged and counted as ``failed``. The
notification faults (``PUT /_standin/notification-faults``) drop a notification, send it twice
(the same body, as an at-least-once delivery does) or hold each copy back a random 0..delay_max_s
seconds (so messages arrive out of order); ``GET /_standin/notifications`` reports what happened.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sandbox.amazon.v0_view import V0_STATUS, camel

log = logging.getLogger(__name__)

ORDER_CHANGE = "ORDER_CHANGE"
STATUS_CHANGE = "OrderStatusChange"
BUYER_REQUEST = "BuyerRequestedChange"
# The schema's enums; a v2026 program without a counterpart is left out of OrderPrograms.
PROGRAMS = {"AMAZON_BUSINESS": "Business", "PRIME": "Prime", "PREMIUM": "Premium"}
SEND_ATTEMPTS = 3
# Dummy credentials for the local SQS server (it checks none).
DUMMY_KEY = "standin"


@dataclass
class NotificationFaults:
    duplicate: float = 0.0  # probability that a notification is sent twice
    drop: float = 0.0  # probability that a notification is never sent
    delay_max_s: float = 0.0  # each message waits a random 0..delay_max_s real seconds
    seed: int | None = None
    drop_next: int = 0  # the next n notifications are dropped
    duplicate_next: int = 0  # the next n notifications (not dropped) are sent twice

    def __post_init__(self) -> None:
        for name in ("duplicate", "drop"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a probability from 0 to 1")
        if isinstance(self.delay_max_s, bool) or not isinstance(self.delay_max_s, int | float) \
                or self.delay_max_s < 0:
            raise ValueError("delay_max_s must be a number of seconds, 0 or more")
        for name in ("drop_next", "duplicate_next"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number, 0 or more")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError("seed must be a whole number")


@dataclass(frozen=True)
class Target:
    """Where a notification goes: the ORDER_CHANGE subscription and its destination's SQS queue."""

    subscription_id: str
    payload_version: str
    queue_arn: str
    marketplace_ids: tuple[str, ...] | None  # the subscription's eventFilter, None for every one
    change_types: tuple[str, ...] | None


class Targets(Protocol):
    def target(self, notification_type: str) -> Target | None: ...


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _item(line: dict[str, Any]) -> dict[str, Any]:
    quantity = _count(line.get("quantityOrdered"))
    shipped = _count((line.get("fulfillment") or {}).get("quantityFulfilled"))
    request = (line.get("cancellation") or {}).get("cancellationRequest") or {}
    return {
        "OrderItemId": str(line.get("orderItemId", "")),
        "SellerSKU": str((line.get("product") or {}).get("sellerSku", "")),
        # The v2026 order names no supply source for these orders; the schema allows null.
        "SupplySourceId": None,
        "OrderItemStatus": "Shipped" if quantity and shipped >= quantity else "Unshipped",
        "Quantity": quantity,
        "QuantityShipped": shipped,
        "IsBuyerRequestedCancel": request.get("requester") == "BUYER",
    }


def summary(order: dict[str, Any]) -> dict[str, Any]:
    """The notification's Summary of a v2026 order (the v0 spellings the schema enumerates)."""
    fulfillment = order.get("fulfillment") or {}
    status = fulfillment.get("fulfillmentStatus") or "PENDING"
    lines = [line for line in order.get("orderItems") or () if isinstance(line, dict)]
    items = [_item(line) for line in lines]
    shipped = sum(item["QuantityShipped"] for item in items)
    address = (order.get("recipient") or {}).get("deliveryAddress") or {}
    result: dict[str, Any] = {
        "MarketplaceId": (order.get("salesChannel") or {}).get("marketplaceId", ""),
        "OrderStatus": V0_STATUS.get(status) or camel(status),
        "PurchaseDate": order.get("createdTime"),
        "DestinationPostalCode": address.get("postalCode"),
        "FulfillmentType": "AFN" if fulfillment.get("fulfilledBy") == "AMAZON" else "MFN",
        "OrderType": "Preorder" if status == "PENDING_AVAILABILITY" else "StandardOrder",
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": sum(item["Quantity"] for item in items) - shipped,
        "OrderPrograms": [PROGRAMS[p] for p in order.get("programs") or () if p in PROGRAMS],
        "OrderItems": items,
    }
    window = fulfillment.get("shipByWindow") or {}
    if window.get("earliestDateTime") and window.get("latestDateTime"):
        result["EarliestShipDate"], result["LatestShipDate"] = window["earliestDateTime"], window["latestDateTime"]
    return result


def order_change_message(
    order: dict[str, Any], change_type: str, reason: str, *, seller_id: str, application_id: str,
    target: Target, now: datetime,
) -> dict[str, Any]:
    """One ORDER_CHANGE notification (OrderLevel: the whole order in one message)."""
    moment = _time(now)
    return {
        "NotificationVersion": "1.0",
        "NotificationType": ORDER_CHANGE,
        "PayloadVersion": target.payload_version,
        "EventTime": moment,
        "Payload": {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel",
            "SellerId": seller_id,
            "AmazonOrderId": order.get("orderId"),
            "OrderChangeType": change_type,
            # The change's time is the order's new lastUpdatedTime, what a reader of the order sees.
            "OrderChangeTrigger": {"TimeOfOrderChange": order.get("lastUpdatedTime"), "ChangeReason": reason},
            "Summary": summary(order),
        }},
        "NotificationMetadata": {
            "ApplicationId": application_id,
            "SubscriptionId": target.subscription_id,
            "PublishTime": moment,
            "NotificationId": str(uuid.uuid4()),
        },
    }


def parse_arn(arn: str) -> tuple[str, str, str]:
    """(region, account, queue name) of ``arn:aws:sqs:REGION:ACCOUNT:NAME``."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"] or not all(parts[3:]):
        raise ValueError("not an SQS queue ARN")
    return parts[3], parts[4], parts[5]


class SqsQueues:
    """The SQS server's queues, by ARN (boto3 against ``endpoint``, dummy credentials, the ARN's region)."""

    def __init__(self, endpoint: str | None):
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._urls: dict[str, str] = {}

    def _client(self, region: str) -> Any:
        import boto3  # only the stand-in uses boto3: imported when a queue is first needed
        from botocore.config import Config

        with self._lock:
            client = self._clients.get(region)
            if client is None:
                client = self._clients[region] = boto3.client(
                    "sqs", endpoint_url=self.endpoint, region_name=region,
                    aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY,
                    # An unreachable server must fail fast: createDestination waits for the answer, and
                    # the sender retries on its own.
                    config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}))
            return client

    def queue_url(self, arn: str) -> str:
        """The queue's URL; raises when there is no endpoint, no such queue, or no answer."""
        if not self.endpoint:
            raise LookupError("the stand-in was started without --sqs-endpoint")
        with self._lock:
            known = self._urls.get(arn)
        if known:
            return known
        region, account, name = parse_arn(arn)
        url = self._client(region).get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        with self._lock:
            self._urls[arn] = url
        return url

    def send(self, arn: str, body: str) -> None:
        try:
            url = self.queue_url(arn)
            self._client(parse_arn(arn)[0]).send_message(QueueUrl=url, MessageBody=body)
        except Exception:
            with self._lock:
                self._urls.pop(arn, None)  # the queue may have been re-created: look it up again
            raise


@dataclass(order=True)
class _Outgoing:
    due: float
    sequence: int
    arn: str = field(compare=False)
    body: str = field(compare=False)
    order_id: str = field(compare=False)
    notification_id: str = field(compare=False)


@dataclass
class _Counts:
    published: int = 0  # messages the queue accepted (a duplicate's two copies count twice)
    dropped: int = 0
    duplicated: int = 0
    delayed: int = 0  # messages held back before sending
    failed: int = 0  # messages the queue refused after every attempt (logged)
    filtered: int = 0  # notifications the subscription's eventFilter excludes
    sent: list[dict[str, str]] = field(default_factory=list)


class Publisher:
    """Builds ORDER_CHANGE notifications for the subscription of ``targets`` and sends them in order of due time."""

    def __init__(self, targets: Targets, queues: SqsQueues, seller_id: str, application_id: str):
        self.targets, self.queues = targets, queues
        self.seller_id, self.application_id = seller_id, application_id
        self._condition = threading.Condition()
        self._heap: list[_Outgoing] = []
        self._sequence = itertools.count()
        self._sending = 0
        self._counts = _Counts()
        self._faults = NotificationFaults()
        self._random = random.Random()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- controls ------------------------------------------------------------------------------------

    def set_faults(self, faults: NotificationFaults) -> None:
        with self._condition:
            self._faults = faults
            self._random = random.Random(faults.seed)

    def faults(self) -> NotificationFaults:
        with self._condition:
            return NotificationFaults(**asdict(self._faults))

    def reset(self) -> None:
        """No faults, counts from zero (messages already waiting are still sent)."""
        with self._condition:
            self._faults, self._random, self._counts = NotificationFaults(), random.Random(), _Counts()

    def report(self) -> dict[str, Any]:
        with self._condition:
            counts = self._counts
            return {"published": counts.published, "dropped": counts.dropped, "duplicated": counts.duplicated,
                    "delayed": counts.delayed, "failed": counts.failed, "filtered": counts.filtered,
                    "pending": len(self._heap) + self._sending, "notifications": list(counts.sent)}

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is waiting or being sent; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._heap or self._sending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- publishing ------------------------------------------------------------------------------------

    def order_changed(self, order: dict[str, Any] | None, change_type: str, reason: str) -> None:
        """An order was placed or changed: queue its notification if a subscription wants it."""
        if order is None:
            return
        target = self.targets.target(ORDER_CHANGE)
        if target is None:
            return
        with self._condition:
            marketplace = (order.get("salesChannel") or {}).get("marketplaceId")
            if (target.marketplace_ids is not None and marketplace not in target.marketplace_ids) or (
                    target.change_types is not None and change_type not in target.change_types):
                self._counts.filtered += 1
                return
            message = order_change_message(order, change_type, reason, seller_id=self.seller_id,
                                           application_id=self.application_id, target=target,
                                           now=datetime.now(UTC))
            faults = self._faults
            if faults.drop_next > 0:
                faults.drop_next -= 1
                dropped = True
            else:
                dropped = faults.drop > 0 and self._random.random() < faults.drop
            notification_id = message["NotificationMetadata"]["NotificationId"]
            if dropped:
                self._counts.dropped += 1
                log.info("notification %s for order %s dropped (fault)", notification_id, order.get("orderId"))
                return
            if faults.duplicate_next > 0:
                faults.duplicate_next -= 1
                copies = 2
            else:
                copies = 2 if faults.duplicate > 0 and self._random.random() < faults.duplicate else 1
            if copies == 2:
                self._counts.duplicated += 1
            body = json.dumps(message, ensure_ascii=False)
            for _ in range(copies):
                delay = self._random.uniform(0, faults.delay_max_s) if faults.delay_max_s > 0 else 0.0
                if delay > 0:
                    self._counts.delayed += 1
                heapq.heappush(self._heap, _Outgoing(time.monotonic() + delay, next(self._sequence),
                                                     target.queue_arn, body, str(order.get("orderId")),
                                                     notification_id))
            self._start()
            self._condition.notify_all()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, daemon=True, name="order-change-notifications")
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._closed and (not self._heap or self._heap[0].due > time.monotonic()):
                    wait = self._heap[0].due - time.monotonic() if self._heap else None
                    self._condition.wait(wait)
                if self._closed:
                    self._abandon()
                    return
                outgoing = heapq.heappop(self._heap)
                self._sending += 1
            try:
                self._send(outgoing)
            finally:
                with self._condition:
                    self._sending -= 1
                    self._condition.notify_all()

    def _abandon(self) -> None:
        """The stand-in stops: what is still waiting is counted as failed, and said."""
        if self._heap:
            log.warning("%d notifications not sent: the stand-in stopped", len(self._heap))
            self._counts.failed += len(self._heap)
            self._heap.clear()

    def _send(self, outgoing: _Outgoing) -> None:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                self.queues.send(outgoing.arn, outgoing.body)
            except Exception as failure:  # any refusal or transport error: retried, then counted
                if attempt < SEND_ATTEMPTS:
                    time.sleep(0.2 * attempt)
                    continue
                log.warning("notification %s for order %s not delivered to %s after %d attempts: %s",
                            outgoing.notification_id, outgoing.order_id, outgoing.arn, attempt,
                            type(failure).__name__)
                with self._condition:
                    self._counts.failed += 1
                return
            with self._condition:
                self._counts.published += 1
                self._counts.sent.append({"orderId": outgoing.order_id, "notificationId": outgoing.notification_id,
                                          "sentAt": _time(datetime.now(UTC))})
            return
