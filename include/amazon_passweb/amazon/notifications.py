"""Amazon's ORDER_CHANGE notifications: reading one SQS message, and setting up delivery to a queue.

``parse_order_change`` reads the message body (reference/sp-api/OrderChangeNotification.json) into
an ``OrderChange`` that carries only identifiers, status and times: the notification's Summary
(postal code, items) is left behind, so nothing of the buyer travels further.

``NotificationsClient`` speaks the Notifications API v1 (reference/sp-api/notifications.json):
destinations are grantless (the application's ``client_credentials`` token, scope
``sellingpartnerapi::notifications``), subscriptions act for the seller (the account's LWA token).
``setup(queue_arn)`` is idempotent: it reuses what already exists and never replaces a subscription
that delivers elsewhere.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from amazon_passweb.amazon.errors import MalformedResponseError, SpApiError
from amazon_passweb.amazon.lwa import GrantlessTokenProvider, LwaTokenProvider
from amazon_passweb.amazon.rate_limit import RateLimiter
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.amazon.transport import SpApiTransport, TransportClient

log = logging.getLogger(__name__)

ORDER_CHANGE = "ORDER_CHANGE"
PAYLOAD_VERSION = "1.0"
BASE_PATH = "/notifications/v1"
# A notification type is quoted in errors only when it looks like one (never free text from a body).
_TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
# arn:aws:sqs:REGION:AWS-ACCOUNT:QUEUE (queue names: 80 characters at most, ".fifo" included).
QUEUE_ARN = re.compile(
    r"^arn:aws:sqs:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$"
)


# -- the message ------------------------------------------------------------------------------------


class NotificationError(ValueError):
    """A message that is not a readable ORDER_CHANGE notification. The text names what is wrong,
    never what the body contains (the Summary carries buyer data)."""


@dataclass(frozen=True)
class OrderChange:
    order_id: str
    seller_id: str
    marketplace_id: str | None
    change_type: str
    event_time: datetime
    notification_id: str | None
    order_status: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe: the time as ISO 8601 in UTC."""
        return {
            "order_id": self.order_id,
            "seller_id": self.seller_id,
            "marketplace_id": self.marketplace_id,
            "change_type": self.change_type,
            "event_time": self.event_time.astimezone(UTC).isoformat(),
            "notification_id": self.notification_id,
            "order_status": self.order_status,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrderChange:
        try:
            return cls(
                order_id=_required(data, "order_id"),
                seller_id=_required(data, "seller_id"),
                marketplace_id=_optional(data, "marketplace_id"),
                change_type=_required(data, "change_type"),
                event_time=_utc(data.get("event_time"), "event_time"),
                notification_id=_optional(data, "notification_id"),
                order_status=_optional(data, "order_status"),
            )
        except AttributeError:
            raise NotificationError("an order change must be a mapping") from None


def parse_order_change(body: str | bytes) -> OrderChange:
    """The order change an SQS message body announces; ``NotificationError`` for anything else."""
    try:
        message = json.loads(body)
    except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
        raise NotificationError("the message is not JSON") from None
    if not isinstance(message, dict):
        raise NotificationError("the message is not a JSON object")
    kind = message.get("NotificationType")
    if kind != ORDER_CHANGE:
        named = f" ({kind})" if isinstance(kind, str) and _TYPE_NAME.match(kind) else ""
        raise NotificationError(f"not an ORDER_CHANGE notification{named}")
    payload = message.get("Payload")
    change = payload.get("OrderChangeNotification") if isinstance(payload, dict) else None
    if not isinstance(change, dict):
        raise NotificationError("ORDER_CHANGE notification without Payload.OrderChangeNotification")
    summary = change.get("Summary") if isinstance(change.get("Summary"), dict) else {}
    metadata = message.get("NotificationMetadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return OrderChange(
        order_id=_required(change, "AmazonOrderId"),
        seller_id=_required(change, "SellerId"),
        marketplace_id=_optional(summary, "MarketplaceId"),
        change_type=_required(change, "OrderChangeType"),
        event_time=_utc(message.get("EventTime"), "EventTime"),
        notification_id=_optional(metadata, "NotificationId"),
        order_status=_optional(summary, "OrderStatus"),
    )


def _required(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise NotificationError(f"{key} missing or not a text")
    return value.strip()


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NotificationError(f"{key} is not a text")
    return value.strip() or None


def _utc(value: Any, key: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise NotificationError(f"{key} is not an ISO 8601 time") from None
    else:
        raise NotificationError(f"{key} missing or not a time")
    # Amazon's times end in Z; one without an offset is read as UTC, the API's only zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- the queue ----------------------------------------------------------------------------------------


class InvalidQueueArn(ValueError):
    """Not the ARN of an SQS queue."""


@dataclass(frozen=True)
class QueueArn:
    region: str
    aws_account: str
    name: str

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.aws_account}:{self.name}"


def parse_queue_arn(arn: str) -> QueueArn:
    match = QUEUE_ARN.match(arn.strip()) if isinstance(arn, str) else None
    if not match:
        raise InvalidQueueArn(
            f"{arn!r} is not an SQS queue ARN: expected arn:aws:sqs:REGION:ACCOUNT:QUEUE, e.g. "
            "arn:aws:sqs:eu-west-1:123456789012:amazon-orders-it_main (ACCOUNT = the 12-digit AWS account)"
        )
    return QueueArn(*match.groups())


# -- the Notifications API -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    destination_id: str
    name: str
    queue_arn: str | None  # None: not an SQS destination (EventBridge)


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    destination_id: str
    payload_version: str


@dataclass(frozen=True)
class SetupResult:
    """What ``setup`` found and did. ``conflict``: the seller's ORDER_CHANGE subscription delivers to
    another destination (``existing_destination``); nothing was created and the operator decides."""

    queue_arn: str
    destination: Destination | None
    destination_created: bool
    subscription: Subscription | None
    subscription_created: bool
    existing_destination: Destination | None = None

    @property
    def conflict(self) -> bool:
        return self.subscription is not None and (
            self.destination is None or self.subscription.destination_id != self.destination.destination_id
        )

    @property
    def ready(self) -> bool:
        return self.subscription is not None and not self.conflict


@dataclass(frozen=True)
class NotificationsState:
    """What ``describe`` found: the application's destinations and the seller's subscription."""

    destinations: tuple[Destination, ...]
    subscription: Subscription | None

    @property
    def subscribed_destination(self) -> Destination | None:
        if self.subscription is None:
            return None
        return next((d for d in self.destinations if d.destination_id == self.subscription.destination_id), None)


class NotificationsClient(TransportClient):
    """Destinations with the grantless token, the seller's subscription with the seller's token,
    over the same transport (rate limits 1/s burst 5, retries, typed errors) as the orders client."""

    def __init__(
        self,
        settings: SpApiSettings,
        *,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
    ):
        self.settings = settings
        # A session passed in (e.g. by SpApiHook) is handed over: close() closes it too.
        self.session = session or requests.Session()
        self.lwa = LwaTokenProvider(settings, self.session)
        self.grantless = GrantlessTokenProvider(settings, self.session)
        self.transport = SpApiTransport(settings, self.session, self.lwa, limiter)

    # -- operations ---------------------------------------------------------------------------------

    def destinations(self) -> list[Destination]:
        """getDestinations (grantless): every destination of the application."""
        body = self.transport.call("getDestinations", "GET", f"{BASE_PATH}/destinations", token=self.grantless)
        payload = body.get("payload")
        if not isinstance(payload, list):
            raise MalformedResponseError("getDestinations", 200, "MalformedResponse", "no 'payload' list")
        return [_destination("getDestinations", raw) for raw in payload]

    def create_destination(self, queue_arn: str, name: str) -> Destination:
        """createDestination (grantless) for an SQS queue."""
        arn = parse_queue_arn(queue_arn).arn
        body = self.transport.call(
            "createDestination", "POST", f"{BASE_PATH}/destinations",
            json={"name": name, "resourceSpecification": {"sqs": {"arn": arn}}}, token=self.grantless,
        )
        destination = _destination("createDestination", body.get("payload"))
        log.info("destination %s created for queue %s", destination.destination_id, arn)
        return destination

    def subscription(self, notification_type: str = ORDER_CHANGE) -> Subscription | None:
        """getSubscription (seller's token): the seller's subscription, None when there is none (404)."""
        try:
            body = self.transport.call(
                "getSubscription", "GET", f"{BASE_PATH}/subscriptions/{notification_type}",
                params={"payloadVersion": PAYLOAD_VERSION},
            )
        except SpApiError as error:
            if error.status == 404:
                return None
            raise
        return _subscription("getSubscription", body.get("payload"))

    def create_subscription(self, destination_id: str, notification_type: str = ORDER_CHANGE) -> Subscription:
        """createSubscription (seller's token), payload version 1.0."""
        body = self.transport.call(
            "createSubscription", "POST", f"{BASE_PATH}/subscriptions/{notification_type}",
            json={"payloadVersion": PAYLOAD_VERSION, "destinationId": destination_id},
        )
        subscription = _subscription("createSubscription", body.get("payload"))
        log.info("%s subscription %s created to destination %s", notification_type,
                 subscription.subscription_id, destination_id)
        return subscription

    # -- what the product needs ---------------------------------------------------------------------

    def describe(self) -> NotificationsState:
        return NotificationsState(tuple(self.destinations()), self.subscription(ORDER_CHANGE))

    def setup(self, queue_arn: str, name: str | None = None) -> SetupResult:
        """Have the seller's ORDER_CHANGE notifications delivered to ``queue_arn``, creating only what
        is missing. A subscription to another destination is reported (``conflict``), never replaced:
        that other queue may be another installation's."""
        arn = parse_queue_arn(queue_arn)
        destinations = self.destinations()
        subscription = self.subscription(ORDER_CHANGE)
        destination = _with_arn(destinations, arn.arn, subscription.destination_id if subscription else None)
        if subscription is not None and (destination is None or subscription.destination_id
                                         != destination.destination_id):
            elsewhere = next((d for d in destinations if d.destination_id == subscription.destination_id), None)
            log.warning("ORDER_CHANGE subscription %s delivers to destination %s, not to %s: left as it is",
                        subscription.subscription_id, subscription.destination_id, arn.arn)
            return SetupResult(arn.arn, destination, False, subscription, False, elsewhere)
        destination_created = False
        if destination is None:
            destination, destination_created = self._create_or_find_destination(arn.arn, name or arn.name)
        if subscription is not None:
            return SetupResult(arn.arn, destination, destination_created, subscription, False)
        try:
            subscription = self.create_subscription(destination.destination_id)
            created = True
        except SpApiError as error:
            # 409: one appeared since we looked (another setup running): read it and judge it.
            if error.status != 409:
                raise
            subscription, created = self.subscription(ORDER_CHANGE), False
            if subscription is None:
                raise
        existing = None
        if subscription.destination_id != destination.destination_id:
            existing = next((d for d in self.destinations() if d.destination_id == subscription.destination_id),
                            None)
        return SetupResult(arn.arn, destination, destination_created, subscription, created, existing)

    def _create_or_find_destination(self, arn: str, name: str) -> tuple[Destination, bool]:
        try:
            return self.create_destination(arn, name), True
        except SpApiError as error:
            # 409: the ARN was registered since we listed (another setup running): use that one.
            if error.status != 409:
                raise
            found = _with_arn(self.destinations(), arn)
            if found is None:
                raise
            return found, False


def _with_arn(destinations: list[Destination], arn: str, preferred: str | None = None) -> Destination | None:
    """The destination of ``arn``; the ``preferred`` one if several carry it."""
    matching = [d for d in destinations if d.queue_arn == arn]
    return next((d for d in matching if d.destination_id == preferred), matching[0] if matching else None)


def _destination(operation: str, raw: Any) -> Destination:
    if not isinstance(raw, dict) or not isinstance(raw.get("destinationId"), str):
        raise MalformedResponseError(operation, 200, "MalformedResponse", "no destination with a destinationId")
    resource = raw.get("resource") if isinstance(raw.get("resource"), dict) else {}
    sqs = resource.get("sqs") if isinstance(resource.get("sqs"), dict) else {}
    arn = sqs.get("arn")
    return Destination(raw["destinationId"], str(raw.get("name") or ""), arn if isinstance(arn, str) else None)


def _subscription(operation: str, raw: Any) -> Subscription:
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(key), str) for key in ("subscriptionId", "destinationId", "payloadVersion")
    ):
        raise MalformedResponseError(operation, 200, "MalformedResponse", "no subscription in the payload")
    return Subscription(raw["subscriptionId"], raw["destinationId"], raw["payloadVersion"])
