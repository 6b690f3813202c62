"""Notifications API v1: destinations and subscriptions, built from ``notifications.json``.

Operations (each 1 request/s, burst 5): createDestination, getDestinations, getDestination,
deleteDestination, getSubscriptionById and deleteSubscriptionById are grantless (the model says so of
each) and take only a grantless token; createSubscription, getSubscription and getSubscriptions act
for the seller and take only the seller's token (``app.py`` refuses the other kind with 403
Unauthorized). sendTestNotification is "sandbox-only" in the model and is not served.

Requests are checked against the model's ``CreateDestinationRequest`` and ``CreateSubscriptionRequest``
(required members, types, ``maxLength``, the SQS ARN ``pattern``, the enums of ``EventFilter``); answers
carry ``payload`` and errors ``errors``, both as the model's response definitions. Where the model is
silent the stand-in takes the safe side, each time said where it happens.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.amazon.errors import ApiError, invalid_input
from sandbox.amazon.notifications import ORDER_CHANGE, SqsQueues, Target

# The model leaves notification types and their payload versions to the use-case guide. The stand-in
# publishes ORDER_CHANGE only (payload version 1.0, the version of OrderChangeNotification.json) and
# refuses any other type rather than accept a subscription it would never serve.
PAYLOAD_VERSIONS = {ORDER_CHANGE: ("1.0",)}
SQS_ARN = re.compile(r"^arn:aws:sqs:\S+:\S+:\S+")
EVENT_FILTER_TYPES = ("ANY_OFFER_CHANGED", "ORDER_CHANGE", "SHIPMENT_TRACKING_MILESTONE_CHANGED")
ORDER_CHANGE_TYPES = ("BuyerRequestedChange", "DeliveryTipChange", "OrderStatusChange")
AGGREGATION_PERIODS = ("FiveMinutes", "TenMinutes")


@dataclass(frozen=True)
class Destination:
    destination_id: str
    name: str
    arn: str

    def as_json(self) -> dict[str, Any]:
        return {"destinationId": self.destination_id, "name": self.name, "resource": {"sqs": {"arn": self.arn}}}


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    notification_type: str
    payload_version: str
    destination_id: str
    processing_directive: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"subscriptionId": self.subscription_id, "payloadVersion": self.payload_version,
                                "destinationId": self.destination_id}
        if self.processing_directive is not None:
            body["processingDirective"] = self.processing_directive
        return body


def _string(value: Any, name: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise invalid_input(f"{name} is required and must be a string.")
    if max_length is not None and len(value) > max_length:
        raise invalid_input(f"{name} must be at most {max_length} characters long.")
    return value


def _strings(value: Any, name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_input(f"{name} must be an array of strings.")
    wrong = [v for v in value if allowed is not None and v not in allowed]
    if wrong:
        raise invalid_input(f"{name}: {', '.join(wrong)} not one of {', '.join(allowed or ())}.")
    return tuple(value)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_input(f"{name} must be an object.")
    return value


def check_notification_type(notification_type: str) -> None:
    if notification_type not in PAYLOAD_VERSIONS:
        raise invalid_input(f"Notification type {notification_type} is not supported.")


def check_payload_version(notification_type: str, version: str) -> None:
    if version not in PAYLOAD_VERSIONS[notification_type]:
        raise invalid_input(f"Payload version {version} is not supported for {notification_type}.")


def _processing_directive(notification_type: str, value: Any) -> dict[str, Any]:
    directive = _object(value, "processingDirective")
    if "eventFilter" in directive and "filterExpression" in directive:
        raise invalid_input("eventFilter and filterExpression are mutually exclusive.")
    if "filterExpression" in directive:
        expression = _string(directive["filterExpression"], "processingDirective.filterExpression", 256)
        if not expression:
            raise invalid_input("processingDirective.filterExpression must not be empty.")
        # The model allows CEL expressions; the stand-in cannot evaluate them, and delivering what a
        # filter would have excluded is worse than refusing it.
        raise invalid_input("processingDirective.filterExpression is not supported by this endpoint.")
    if "eventFilter" in directive:
        event_filter = _object(directive["eventFilter"], "processingDirective.eventFilter")
        kind = event_filter.get("eventFilterType")
        if kind not in EVENT_FILTER_TYPES:
            raise invalid_input(f"eventFilter.eventFilterType must be one of {', '.join(EVENT_FILTER_TYPES)}.")
        if kind != notification_type:  # "An eventFilterType value that the notificationType supports"
            raise invalid_input(f"eventFilterType {kind} is not supported for {notification_type}.")
        if "marketplaceIds" in event_filter:
            _strings(event_filter["marketplaceIds"], "eventFilter.marketplaceIds")
        if "orderChangeTypes" in event_filter:
            _strings(event_filter["orderChangeTypes"], "eventFilter.orderChangeTypes", ORDER_CHANGE_TYPES)
        if "aggregationSettings" in event_filter:
            settings = _object(event_filter["aggregationSettings"], "eventFilter.aggregationSettings")
            if settings.get("aggregationTimePeriod") not in AGGREGATION_PERIODS:
                raise invalid_input("aggregationSettings.aggregationTimePeriod must be FiveMinutes or TenMinutes.")
            # The model says aggregation is "marketplace-ASIN level" (offer notifications): an order
            # must not wait five minutes for its notification, so it is refused for ORDER_CHANGE.
            raise invalid_input(f"aggregationSettings is not supported for {notification_type}.")
        if "trackingIdentifier" in event_filter:
            raise invalid_input(f"trackingIdentifier is not supported for {notification_type}.")
    return directive


class NotificationsApi:
    """The application's destinations and the seller's subscriptions, and the operations on them."""

    def __init__(self, queues: SqsQueues):
        self.queues = queues
        self._lock = threading.Lock()
        self._destinations: dict[str, Destination] = {}
        self._subscriptions: dict[str, Subscription] = {}

    # -- destinations (grantless) ----------------------------------------------------------------------

    def create_destination(self, body: Any) -> dict[str, Any]:
        request = _object(body, "The request body")
        name = _string(request.get("name"), "name", 256)  # Destination.name is at most 256 characters
        if "resourceSpecification" not in request:
            raise invalid_input("resourceSpecification is required.")
        specification = _object(request["resourceSpecification"], "resourceSpecification")
        kinds = [kind for kind in ("sqs", "eventBridge") if kind in specification]
        if len(kinds) != 1:
            raise invalid_input("resourceSpecification must hold one resource: sqs or eventBridge.")
        if kinds == ["eventBridge"]:
            bridge = _object(specification["eventBridge"], "resourceSpecification.eventBridge")
            _string(bridge.get("region"), "eventBridge.region")
            _string(bridge.get("accountId"), "eventBridge.accountId")
            # Only SQS queues are served here; an EventBridge destination would never receive anything.
            raise invalid_input("EventBridge destinations are not supported by this endpoint.")
        arn = _string(_object(specification["sqs"], "resourceSpecification.sqs").get("arn"), "sqs.arn", 1000)
        if not SQS_ARN.match(arn):
            raise invalid_input(f"sqs.arn {arn} is not an SQS queue ARN.")
        with self._lock:
            if any(d.arn == arn for d in self._destinations.values()):
                raise ApiError(409, "Conflict", "A destination with this resource already exists.")
        if self.queues.endpoint:
            # The model is silent on a queue Amazon cannot reach: refused now rather than losing every
            # notification later.
            try:
                self.queues.queue_url(arn)
            except Exception:
                raise invalid_input(f"The SQS queue {arn} does not exist or cannot be reached.") from None
        destination = Destination(str(uuid.uuid4()), name, arn)
        with self._lock:
            if any(d.arn == arn for d in self._destinations.values()):  # created meanwhile
                raise ApiError(409, "Conflict", "A destination with this resource already exists.")
            self._destinations[destination.destination_id] = destination
        return {"payload": destination.as_json()}

    def get_destinations(self) -> dict[str, Any]:
        with self._lock:
            return {"payload": [d.as_json() for d in self._destinations.values()]}

    def _destination(self, destination_id: str) -> Destination:
        destination = self._destinations.get(destination_id)
        if destination is None:
            raise ApiError(404, "NotFound", f"Destination {destination_id} was not found.")
        return destination

    def get_destination(self, destination_id: str) -> dict[str, Any]:
        with self._lock:
            return {"payload": self._destination(destination_id).as_json()}

    def delete_destination(self, destination_id: str) -> dict[str, Any]:
        with self._lock:
            self._destination(destination_id)
            # The model documents 409 without saying when; a destination a subscription still delivers
            # to is kept (deleting it would silence the subscription).
            if any(s.destination_id == destination_id for s in self._subscriptions.values()):
                raise ApiError(409, "Conflict", f"Destination {destination_id} has subscriptions; "
                                                "delete them first.")
            del self._destinations[destination_id]
        return {}

    # -- subscriptions ---------------------------------------------------------------------------------

    def create_subscription(self, notification_type: str, body: Any) -> dict[str, Any]:
        check_notification_type(notification_type)
        request = _object(body, "The request body")
        version = _string(request.get("payloadVersion"), "payloadVersion")
        destination_id = _string(request.get("destinationId"), "destinationId")
        check_payload_version(notification_type, version)
        directive = (_processing_directive(notification_type, request["processingDirective"])
                     if "processingDirective" in request else None)
        with self._lock:
            if destination_id not in self._destinations:
                # The model's own example of this refusal (sendTestNotification): 400 InvalidInput.
                raise invalid_input(f"Destination {destination_id} is not a destination of this application.")
            if any(s.notification_type == notification_type and s.payload_version == version
                   for s in self._subscriptions.values()):
                raise ApiError(409, "Conflict", f"A subscription to {notification_type} (payload version "
                                                f"{version}) already exists.")
            subscription = Subscription(str(uuid.uuid4()), notification_type, version, destination_id, directive)
            self._subscriptions[subscription.subscription_id] = subscription
        return {"payload": subscription.as_json()}

    def get_subscriptions(self, query: dict[str, str]) -> dict[str, Any]:
        """getSubscriptions: ``notificationTypes`` (one, required), ``payloadVersion``, ``pageSize`` 30..100."""
        types = [t for t in (query.get("notificationTypes") or "").split(",") if t]
        if len(types) != 1:
            raise invalid_input("notificationTypes must name exactly one notification type.")
        check_notification_type(types[0])
        version = query.get("payloadVersion")
        if version is not None:
            check_payload_version(types[0], version)
        size = query.get("pageSize", "30")
        if not size.isdigit() or not 30 <= int(size) <= 100:
            raise invalid_input("pageSize must be a whole number from 30 to 100.")
        if query.get("nextToken"):  # never issued: one page holds every subscription the stand-in keeps
            raise invalid_input("The nextToken is invalid.")
        with self._lock:
            found = [s.as_json() for s in self._subscriptions.values()
                     if s.notification_type == types[0] and version in (None, s.payload_version)]
        return {"payload": {"subscriptions": found}}

    def get_subscription(self, notification_type: str, payload_version: str | None) -> dict[str, Any]:
        check_notification_type(notification_type)
        if payload_version is not None:
            check_payload_version(notification_type, payload_version)
        with self._lock:
            found = [s for s in self._subscriptions.values() if s.notification_type == notification_type
                     and payload_version in (None, s.payload_version)]
        if not found:
            raise ApiError(404, "NotFound", f"No subscription to {notification_type} was found.")
        latest = max(found, key=lambda s: tuple(int(p) for p in s.payload_version.split(".")))
        return {"payload": latest.as_json()}

    def _subscription(self, notification_type: str, subscription_id: str) -> Subscription:
        check_notification_type(notification_type)
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None or subscription.notification_type != notification_type:
            raise ApiError(404, "NotFound", f"Subscription {subscription_id} was not found.")
        return subscription

    def get_subscription_by_id(self, notification_type: str, subscription_id: str) -> dict[str, Any]:
        with self._lock:
            return {"payload": self._subscription(notification_type, subscription_id).as_json()}

    def delete_subscription_by_id(self, notification_type: str, subscription_id: str) -> dict[str, Any]:
        with self._lock:
            self._subscription(notification_type, subscription_id)
            del self._subscriptions[subscription_id]
        return {}

    # -- what the publisher needs ------------------------------------------------------------------------

    def target(self, notification_type: str) -> Target | None:
        with self._lock:
            subscription = next((s for s in self._subscriptions.values()
                                 if s.notification_type == notification_type), None)
            if subscription is None:
                return None
            destination = self._destinations[subscription.destination_id]
        event_filter = (subscription.processing_directive or {}).get("eventFilter") or {}
        marketplaces = event_filter.get("marketplaceIds")
        change_types = event_filter.get("orderChangeTypes")
        return Target(subscription.subscription_id, subscription.payload_version, destination.arn,
                      tuple(marketplaces) if marketplaces is not None else None,
                      tuple(change_types) if change_types is not None else None)
