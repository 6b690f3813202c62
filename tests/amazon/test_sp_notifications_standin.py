"""The stand-in's Notifications API and its ORDER_CHANGE notifications, over real sockets: the stand-in
on a local port, a moto SQS server as its own process, answers checked against Amazon's
``notifications.json`` and messages against ``OrderChangeNotification.json``."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from sandbox.amazon.generate import generate_orders
from sandbox.amazon.server import RunningStandIn
from sandbox.amazon.state import StandInConfig
from sandbox.amazon.store import OrderStore
from sandbox.stack import free_port

SPEC_DIR = Path(__file__).resolve().parents[2] / "reference" / "sp-api"

MODEL = json.loads((SPEC_DIR / "notifications.json").read_text())
MESSAGE_SCHEMA = json.loads((SPEC_DIR / "OrderChangeNotification.json").read_text())
SCOPE = "sellingpartnerapi::notifications"
DESTINATIONS = "/notifications/v1/destinations"
SUBSCRIPTIONS = "/notifications/v1/subscriptions/ORDER_CHANGE"


@pytest.fixture(scope="module")
def sqs_endpoint(local_sqs) -> str:
    return local_sqs.endpoint_url


@pytest.fixture
def sqs(local_sqs) -> Any:
    return local_sqs.client()


@pytest.fixture
def queue(sqs: Any) -> tuple[str, str]:
    """A new queue: (url, ARN)."""
    url = sqs.create_queue(QueueName=f"orders-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


@pytest.fixture
def orders() -> list[dict[str, Any]]:
    return generate_orders(60, seed=3)


@pytest.fixture
def standin(standin_factory, orders, sqs_endpoint) -> RunningStandIn:
    return standin_factory(orders, sqs_endpoint=sqs_endpoint)


class Caller:
    """Raw SP-API calls with either kind of token, each answer checked against the model."""

    def __init__(self, standin: RunningStandIn):
        self.standin = standin
        self.seller = self.token("refresh_token")
        self.grantless = self.token("client_credentials")

    def token(self, grant: str, **overrides: str) -> str:
        form = {"grant_type": grant, "client_id": self.standin.config.client_id,
                "client_secret": self.standin.config.client_secret}
        form |= {"refresh_token": self.standin.config.refresh_token} if grant == "refresh_token" else {"scope": SCOPE}
        response = requests.post(self.standin.lwa_endpoint, data=form | overrides, timeout=10)
        response.raise_for_status()
        return response.json()["access_token"]

    def call(self, method: str, path: str, token: str, body: Any = None, **params: str) -> requests.Response:
        response = requests.request(method, self.standin.base_url + path, json=body, params=params or None,
                                    headers={"x-amz-access-token": token}, timeout=10)
        check_answer(method, path, response)
        return response

    def destination(self, arn: str, name: str = "orders") -> str:
        response = self.call("POST", DESTINATIONS, self.grantless,
                             {"name": name, "resourceSpecification": {"sqs": {"arn": arn}}})
        assert response.status_code == 200, response.text
        return response.json()["payload"]["destinationId"]

    def subscribe(self, destination_id: str, **extra: Any) -> str:
        response = self.call("POST", SUBSCRIPTIONS, self.seller,
                             {"payloadVersion": "1.0", "destinationId": destination_id} | extra)
        assert response.status_code == 200, response.text
        return response.json()["payload"]["subscriptionId"]


def _operation(method: str, path: str) -> dict[str, Any]:
    candidates = []
    for template, operations in MODEL["paths"].items():
        pattern = "^" + "/".join("[^/]+" if part.startswith("{") else part for part in template.split("/")) + "$"
        if method.lower() in operations and re.match(pattern, path):
            candidates.append((template.count("{"), operations[method.lower()]))
    assert candidates, f"{method} {path} is not an operation of notifications.json"
    return min(candidates, key=lambda c: c[0])[1]  # literal segments win over {parameters}


def check_answer(method: str, path: str, response: requests.Response) -> None:
    """The answer's status is one the operation declares and its body validates against its schema."""
    operation = _operation(method, path)
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{operation['operationId']} does not declare HTTP {response.status_code}"
    schema = {**declared["schema"], "definitions": MODEL["definitions"]}
    jsonschema.Draft4Validator(schema).validate(response.json())
    assert response.headers.get("x-amzn-RequestId")


def errors(response: requests.Response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def received(sqs: Any, url: str, *, settle: float = 1.0) -> list[dict[str, Any]]:
    """Every message the queue delivers until it has been empty for ``settle`` seconds."""
    bodies = []
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < settle:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in answer.get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            quiet_since = time.monotonic()
        time.sleep(0.05)
    return bodies


def wait_sent(standin: RunningStandIn, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (report := standin.notifications())["pending"]:
        assert time.monotonic() < deadline, "notifications still pending"
        time.sleep(0.05)
    return report


def change(message: dict[str, Any]) -> dict[str, Any]:
    jsonschema.Draft7Validator(MESSAGE_SCHEMA).validate(message)
    return message["Payload"]["OrderChangeNotification"]


@pytest.fixture
def subscribed(standin, queue) -> tuple[Caller, str, str]:
    """An ORDER_CHANGE subscription to ``queue``: (caller, queue url, subscription id)."""
    caller = Caller(standin)
    subscription_id = caller.subscribe(caller.destination(queue[1]))
    return caller, queue[0], subscription_id


# -- Login with Amazon ------------------------------------------------------------------------------------


def test_client_credentials_with_the_notifications_scope_give_a_grantless_token(standin):
    config = standin.config
    form = {"grant_type": "client_credentials", "client_id": config.client_id,
            "client_secret": config.client_secret, "scope": SCOPE}
    answer = requests.post(standin.lwa_endpoint, data=form, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["scope"] == SCOPE and answer.json()["token_type"] == "bearer"
    assert "refresh_token" not in answer.json()
    wrong_secret = requests.post(standin.lwa_endpoint, data=form | {"client_secret": "x"}, timeout=10)
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "invalid_client")
    for scope in ({"scope": "sellingpartnerapi::orders"}, {"scope": ""}):
        refused = requests.post(standin.lwa_endpoint, data=form | scope, timeout=10)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")


GRANTLESS = [("POST", DESTINATIONS), ("GET", DESTINATIONS), ("GET", f"{DESTINATIONS}/some-id"),
             ("DELETE", f"{DESTINATIONS}/some-id"), ("GET", f"{SUBSCRIPTIONS}/some-id"),
             ("DELETE", f"{SUBSCRIPTIONS}/some-id")]
SELLER = [("POST", SUBSCRIPTIONS), ("GET", SUBSCRIPTIONS)]


@pytest.mark.parametrize(("method", "path", "kind"), [(*op, "seller") for op in GRANTLESS]
                         + [(*op, "grantless") for op in SELLER])
def test_each_operation_refuses_the_other_kind_of_token(standin, method, path, kind):
    caller = Caller(standin)
    response = caller.call(method, path, getattr(caller, kind), {} if method == "POST" else None)
    assert response.status_code == 403 and errors(response) == ["Unauthorized"]


def test_a_grantless_token_reads_no_orders(standin, orders):
    caller = Caller(standin)
    path = f"/orders/2026-01-01/orders/{orders[0]['orderId']}"
    refused = requests.get(standin.base_url + path, headers={"x-amz-access-token": caller.grantless}, timeout=10)
    assert refused.status_code == 403
    allowed = requests.get(standin.base_url + path, headers={"x-amz-access-token": caller.seller}, timeout=10)
    assert allowed.status_code == 200


# -- destinations --------------------------------------------------------------------------------------------


def test_destination_lifecycle_and_conflicts(standin, queue):
    caller = Caller(standin)
    created = caller.call("POST", DESTINATIONS, caller.grantless,
                          {"name": "it-main", "resourceSpecification": {"sqs": {"arn": queue[1]}}})
    assert created.status_code == 200
    destination = created.json()["payload"]
    assert destination["name"] == "it-main" and destination["resource"] == {"sqs": {"arn": queue[1]}}
    again = caller.call("POST", DESTINATIONS, caller.grantless,
                        {"name": "other", "resourceSpecification": {"sqs": {"arn": queue[1]}}})
    assert again.status_code == 409 and errors(again) == ["Conflict"]
    listed = caller.call("GET", DESTINATIONS, caller.grantless)
    assert listed.json()["payload"] == [destination]
    one = caller.call("GET", f"{DESTINATIONS}/{destination['destinationId']}", caller.grantless)
    assert one.json()["payload"] == destination
    assert caller.call("GET", f"{DESTINATIONS}/nope", caller.grantless).status_code == 404

    subscription_id = caller.subscribe(destination["destinationId"])
    in_use = caller.call("DELETE", f"{DESTINATIONS}/{destination['destinationId']}", caller.grantless)
    assert in_use.status_code == 409 and errors(in_use) == ["Conflict"]
    assert caller.call("DELETE", f"{SUBSCRIPTIONS}/{subscription_id}", caller.grantless).json() == {}
    deleted = caller.call("DELETE", f"{DESTINATIONS}/{destination['destinationId']}", caller.grantless)
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert caller.call("DELETE", f"{DESTINATIONS}/{destination['destinationId']}",
                       caller.grantless).status_code == 404
    assert caller.call("GET", DESTINATIONS, caller.grantless).json()["payload"] == []


@pytest.mark.parametrize("body", [
    None,
    {"resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:eu-west-1:123456789012:q"}}},
    {"name": "x"},
    {"name": 5, "resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:eu-west-1:123456789012:q"}}},
    {"name": "x" * 257, "resourceSpecification": {"sqs": {"arn": "QUEUE"}}},
    {"name": "x", "resourceSpecification": {}},
    {"name": "x", "resourceSpecification": {"sqs": {}}},
    {"name": "x", "resourceSpecification": {"sqs": {"arn": "arn:aws:sns:eu-west-1:123456789012:q"}}},
    {"name": "x", "resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:eu-west-1:123456789012:" + "q" * 1000}}},
    {"name": "x", "resourceSpecification": {"sqs": {"arn": "QUEUE"}, "eventBridge": {"region": "eu-west-1",
                                                                                     "accountId": "1"}}},
    {"name": "x", "resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:eu-west-1:123456789012:missing"}}},
], ids=["no-body", "no-name", "no-resource", "name-type", "name-length", "empty-resource", "no-arn",
        "not-sqs", "arn-length", "two-resources", "no-such-queue"])
def test_create_destination_is_validated_against_the_model(standin, queue, body):
    caller = Caller(standin)
    if body is not None and "QUEUE" in json.dumps(body):
        body = json.loads(json.dumps(body).replace("QUEUE", queue[1]))
    response = caller.call("POST", DESTINATIONS, caller.grantless, body)
    assert response.status_code == 400 and errors(response) == ["InvalidInput"]
    assert caller.call("GET", DESTINATIONS, caller.grantless).json()["payload"] == []


# -- subscriptions -------------------------------------------------------------------------------------------


def test_subscription_lifecycle_and_conflicts(standin, queue):
    caller = Caller(standin)
    destination_id = caller.destination(queue[1])
    directive = {"eventFilter": {"eventFilterType": "ORDER_CHANGE", "orderChangeTypes": ["OrderStatusChange"]}}
    created = caller.call("POST", SUBSCRIPTIONS, caller.seller, {"payloadVersion": "1.0",
                                                                  "destinationId": destination_id,
                                                                  "processingDirective": directive})
    subscription = created.json()["payload"]
    assert subscription["destinationId"] == destination_id and subscription["processingDirective"] == directive
    again = caller.call("POST", SUBSCRIPTIONS, caller.seller, {"payloadVersion": "1.0",
                                                                "destinationId": destination_id})
    assert again.status_code == 409 and errors(again) == ["Conflict"]
    assert caller.call("GET", SUBSCRIPTIONS, caller.seller).json()["payload"] == subscription
    assert caller.call("GET", SUBSCRIPTIONS, caller.seller, payloadVersion="1.0").json()["payload"] == subscription
    assert caller.call("GET", SUBSCRIPTIONS, caller.seller, payloadVersion="9.9").status_code == 400
    by_id = caller.call("GET", f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}", caller.grantless)
    assert by_id.json()["payload"] == subscription
    other_type = caller.call("GET", f"/notifications/v1/subscriptions/ANY_OFFER_CHANGED/"
                                    f"{subscription['subscriptionId']}", caller.grantless)
    assert other_type.status_code == 400
    deleted = caller.call("DELETE", f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}", caller.grantless)
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert caller.call("GET", SUBSCRIPTIONS, caller.seller).status_code == 404
    assert caller.call("GET", f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}",
                       caller.grantless).status_code == 404
    assert caller.call("DELETE", f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}",
                       caller.grantless).status_code == 404


@pytest.mark.parametrize(("path", "body"), [
    (SUBSCRIPTIONS, {"destinationId": "DEST"}),
    (SUBSCRIPTIONS, {"payloadVersion": "1.0"}),
    (SUBSCRIPTIONS, {"payloadVersion": 1.0, "destinationId": "DEST"}),
    (SUBSCRIPTIONS, {"payloadVersion": "2.0", "destinationId": "DEST"}),
    (SUBSCRIPTIONS, {"payloadVersion": "1.0", "destinationId": "not-a-destination"}),
    ("/notifications/v1/subscriptions/NOT_A_TYPE", {"payloadVersion": "1.0", "destinationId": "DEST"}),
    (SUBSCRIPTIONS, {"payloadVersion": "1.0", "destinationId": "DEST",
                     "processingDirective": {"eventFilter": {"eventFilterType": "ANY_OFFER_CHANGED"}}}),
    (SUBSCRIPTIONS, {"payloadVersion": "1.0", "destinationId": "DEST",
                     "processingDirective": {"eventFilter": {"marketplaceIds": ["APJ6JRA9NG5V4"]}}}),
    (SUBSCRIPTIONS, {"payloadVersion": "1.0", "destinationId": "DEST",
                     "processingDirective": {"eventFilter": {"eventFilterType": "ORDER_CHANGE",
                                                             "orderChangeTypes": ["Shipped"]}}}),
    (SUBSCRIPTIONS, {"payloadVersion": "1.0", "destinationId": "DEST",
                     "processingDirective": {"eventFilter": {"eventFilterType": "ORDER_CHANGE"},
                                             "filterExpression": "true"}}),
], ids=["no-version", "no-destination", "version-type", "unknown-version", "unknown-destination",
        "unknown-type", "filter-type", "filter-without-type", "change-type-enum", "filter-exclusive"])
def test_create_subscription_is_validated_against_the_model(standin, queue, path, body):
    caller = Caller(standin)
    destination_id = caller.destination(queue[1])
    body = json.loads(json.dumps(body).replace('"DEST"', json.dumps(destination_id)))
    response = caller.call("POST", path, caller.seller, body)
    assert response.status_code == 400 and errors(response) == ["InvalidInput"]
    assert caller.call("GET", SUBSCRIPTIONS, caller.seller).status_code == 404


def test_usage_plan_is_one_per_second_burst_five(standin_factory, orders):
    standin = standin_factory(orders, time_scale=1.0)
    caller = Caller(standin)
    started = time.monotonic()
    answers = [caller.call("GET", DESTINATIONS, caller.grantless).status_code for _ in range(8)]
    elapsed = time.monotonic() - started
    # The burst, then refusals; a loaded machine may earn one more token per second taken.
    assert answers[:5] == [200] * 5 and 429 in answers
    assert answers.count(200) <= 5 + int(elapsed)
    assert standin.state.counters.throttled == {"getDestinations": answers.count(429)}


# -- new orders ------------------------------------------------------------------------------------------------


def test_new_orders_are_placed_now_and_served_by_both_versions(standin, openapi):
    before = datetime.now(UTC).replace(microsecond=0)
    ids = standin.place_orders(4, seed=9, fulfilled_by="MERCHANT")
    assert len(set(ids)) == 4
    caller = Caller(standin)
    for order_id in ids:
        answer = requests.get(f"{standin.base_url}/orders/2026-01-01/orders/{order_id}",
                              params={"includedData": "FULFILLMENT"},
                              headers={"x-amz-access-token": caller.seller}, timeout=10)
        openapi.validate_response("GET", f"/orders/2026-01-01/orders/{order_id}", 200, answer.json())
        order = answer.json()["order"]
        assert order["fulfillment"]["fulfilledBy"] == "MERCHANT"
        assert order["fulfillment"]["fulfillmentStatus"] in ("PENDING", "UNSHIPPED")
        created = datetime.fromisoformat(order["createdTime"].replace("Z", "+00:00"))
        assert before <= created <= datetime.now(UTC) and order["lastUpdatedTime"] == order["createdTime"]
        v0 = requests.get(f"{standin.base_url}/orders/v0/orders/{order_id}",
                          headers={"x-amz-access-token": caller.seller}, timeout=10)
        assert v0.json()["payload"]["OrderStatus"] in ("Pending", "Unshipped")
    # The same seed on the same store gives other orders (the first ones are taken).
    assert not set(standin.place_orders(4, seed=9, fulfilled_by="MERCHANT")) & set(ids)
    for body in ({}, {"count": 0}, {"count": "3"}, {"count": 1, "fulfilledBy": "SELLER"}):
        assert requests.post(f"{standin.base_url}/_sandbox/orders", json=body, timeout=10).status_code == 400


def test_added_orders_are_indexed_for_searches():
    store = OrderStore(generate_orders(10, seed=1))
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    placed = [dict(o, createdTime="2026-12-01T11:00:00Z", lastUpdatedTime="2026-12-01T11:30:00Z")
              for o in generate_orders(3, seed=2)]
    store.add(placed)
    assert len(store) == 13
    for by in ("created", "updated"):
        found = store.search(by=by, after=now - timedelta(hours=2), before=now, marketplaces=[], statuses=[],
                             fulfilled_by=[])
        assert sorted(o["orderId"] for o in found) == sorted(o["orderId"] for o in placed)
    with pytest.raises(ValueError):
        store.add(placed[:1])
    assert len(store) == 13


# -- notifications -------------------------------------------------------------------------------------------


def test_a_new_order_sends_exactly_one_valid_message(standin, subscribed, sqs):
    caller, url, subscription_id = subscribed
    [order_id] = standin.place_orders(1, seed=4)
    report = wait_sent(standin)
    [message] = received(sqs, url)
    notification = change(message)
    assert notification["AmazonOrderId"] == order_id and notification["SellerId"] == "A1STANDINSELLER"
    assert notification["OrderChangeType"] == "OrderStatusChange"
    assert notification["Summary"]["OrderStatus"] in ("Pending", "Unshipped")
    assert message["NotificationMetadata"]["SubscriptionId"] == subscription_id
    assert report["published"] == 1 and report["notifications"][0]["orderId"] == order_id
    assert report["notifications"][0]["notificationId"] == message["NotificationMetadata"]["NotificationId"]


def test_no_subscription_no_message(standin, queue, sqs):
    Caller(standin).destination(queue[1])
    standin.place_orders(2, seed=4)
    assert wait_sent(standin)["published"] == 0
    assert received(sqs, queue[0], settle=0.5) == []


def test_cancel_and_buyer_request_send_their_change_types(standin, subscribed, sqs):
    _, url, _ = subscribed
    first, second = standin.place_orders(2, seed=12, fulfilled_by="MERCHANT")
    wait_sent(standin)
    received(sqs, url, settle=0.3)
    standin.cancel_order(first)
    standin.request_cancellation(second)
    wait_sent(standin)
    by_order = {change(m)["AmazonOrderId"]: change(m) for m in received(sqs, url)}
    assert by_order[first]["OrderChangeType"] == "OrderStatusChange"
    assert by_order[first]["Summary"]["OrderStatus"] == "Canceled"
    assert by_order[second]["OrderChangeType"] == "BuyerRequestedChange"
    assert by_order[second]["Summary"]["OrderStatus"] in ("Pending", "Unshipped")
    assert all(item["IsBuyerRequestedCancel"] for item in by_order[second]["Summary"]["OrderItems"])


def test_shipment_and_patches_send_notifications(standin, subscribed, sqs, orders):
    caller, url, _ = subscribed
    order = next(o for o in orders if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
                 and o["fulfillment"]["fulfilledBy"] == "MERCHANT" and len(o["orderItems"]) > 1)
    first, *_ = order["orderItems"]
    package = {"marketplaceId": order["salesChannel"]["marketplaceId"], "packageDetail": {
        "packageReferenceId": "1", "carrierCode": "BRT", "trackingNumber": "T1",
        "shipDate": (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "orderItems": [{"orderItemId": first["orderItemId"], "quantity": first["quantityOrdered"]}]}}
    shipped = requests.post(f"{standin.base_url}/orders/v0/orders/{order['orderId']}/shipmentConfirmation",
                            json=package, headers={"x-amz-access-token": caller.seller}, timeout=10)
    assert shipped.status_code == 204, shipped.text
    wait_sent(standin)
    [partial] = [change(m) for m in received(sqs, url)]
    assert (partial["OrderChangeType"], partial["Summary"]["OrderStatus"]) == ("OrderStatusChange",
                                                                               "PartiallyShipped")

    other = next(o for o in orders if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
                 and o["orderId"] != order["orderId"])
    request = {"cancellation": {"cancellationRequest": {"requester": "BUYER", "cancelReason": "x"}}}
    standin.patch_order(other["orderId"], {"orderItems": [dict(i, **request) for i in other["orderItems"]]})
    wait_sent(standin)
    standin.patch_order(other["orderId"], {"fulfillment": {"fulfillmentStatus": "CANCELLED"}})
    wait_sent(standin)
    kinds = [(c["OrderChangeType"], c["Summary"]["OrderStatus"]) for c in map(change, received(sqs, url))]
    assert sorted(kinds) == [("BuyerRequestedChange", "Unshipped"), ("OrderStatusChange", "Canceled")]


def test_an_event_filter_is_honoured(standin, queue, sqs):
    caller = Caller(standin)
    caller.subscribe(caller.destination(queue[1]), processingDirective={"eventFilter": {
        "eventFilterType": "ORDER_CHANGE", "orderChangeTypes": ["BuyerRequestedChange"]}})
    first, second = standin.place_orders(2, seed=12, fulfilled_by="MERCHANT")
    standin.request_cancellation(second)
    report = wait_sent(standin)
    assert [change(m)["AmazonOrderId"] for m in received(sqs, queue[0])] == [second]
    assert report["filtered"] == 2 and report["published"] == 1


# -- notification faults ------------------------------------------------------------------------------------------


def test_drop_and_duplicate_show_in_what_the_queue_delivers(standin, subscribed, sqs):
    _, url, _ = subscribed
    standin.set_notification_faults(drop_next=1, duplicate_next=1)
    dropped, duplicated, plain = standin.place_orders(3, seed=21)
    report = wait_sent(standin)
    messages = received(sqs, url)
    assert sorted(change(m)["AmazonOrderId"] for m in messages) == sorted([duplicated, duplicated, plain])
    copies = [m for m in messages if change(m)["AmazonOrderId"] == duplicated]
    assert copies[0] == copies[1]  # the same notification twice, as an at-least-once delivery
    assert (report["dropped"], report["duplicated"], report["published"]) == (1, 1, 3)

    standin.set_notification_faults(drop=1.0)
    standin.place_orders(2, seed=22)
    assert wait_sent(standin)["dropped"] == 3 and received(sqs, url, settle=0.5) == []


def test_delay_reorders_the_messages(standin, subscribed, sqs):
    _, url, _ = subscribed
    seed = 7
    rng = random.Random(seed)
    delays = [rng.uniform(0, 1.5) for _ in range(4)]
    # The seed's delays are far enough apart that the send order is theirs, not the placing order.
    assert min(abs(a - b) for i, a in enumerate(delays) for b in delays[i + 1:]) > 0.05
    assert sorted(delays) != delays
    standin.set_notification_faults(delay_max_s=1.5, seed=seed)
    placed = standin.place_orders(4, seed=30)
    report = wait_sent(standin)
    assert report["delayed"] == 4
    expected = [order_id for _, order_id in sorted(zip(delays, placed, strict=True))]
    assert [sent["orderId"] for sent in report["notifications"]] == expected
    assert sorted(change(m)["AmazonOrderId"] for m in received(sqs, url)) == sorted(placed)


def test_a_queue_that_vanished_counts_as_failed_and_reset_clears(standin, subscribed, sqs):
    _, url, _ = subscribed
    sqs.delete_queue(QueueUrl=url)
    standin.place_orders(1, seed=5)
    report = wait_sent(standin)
    assert (report["failed"], report["published"]) == (1, 0)
    standin.set_notification_faults(drop=1.0)
    assert requests.post(f"{standin.base_url}/_standin/reset", timeout=10).status_code == 200
    report = standin.notifications()
    assert report["failed"] == 0 and report["notifications"] == []
    bad = requests.put(f"{standin.base_url}/_standin/notification-faults", json={"drop": 2}, timeout=10)
    assert bad.status_code == 400


def test_get_subscriptions_lists_the_seller_subscriptions(standin, subscribed):
    caller, _, subscription_id = subscribed
    path = "/notifications/v1/subscriptions"
    listed = caller.call("GET", path, caller.seller, notificationTypes="ORDER_CHANGE")
    assert [s["subscriptionId"] for s in listed.json()["payload"]["subscriptions"]] == [subscription_id]
    assert caller.call("GET", path, caller.seller).status_code == 400
    assert caller.call("GET", path, caller.seller, notificationTypes="ORDER_CHANGE", pageSize="10").status_code == 400
    assert caller.call("GET", path, caller.grantless, notificationTypes="ORDER_CHANGE").status_code == 403


def test_the_command_line_options_reach_the_messages(sqs_endpoint, queue, sqs):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.amazon", "--port", str(port), "--generate", "5", "--time-scale", "1000",
         "--sqs-endpoint", sqs_endpoint, "--seller-id", "A2OTHERSELLER"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "A2OTHERSELLER" in process.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/_standin/stats", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None, "the stand-in did not start"
                time.sleep(0.1)
        standin = RunningStandIn(base, StandInConfig(), None)  # type: ignore[arg-type]
        caller = Caller(standin)
        caller.subscribe(caller.destination(queue[1]))
        [order_id] = standin.place_orders(1)
        wait_sent(standin)
        [message] = received(sqs, queue[0])
        assert (change(message)["SellerId"], change(message)["AmazonOrderId"]) == ("A2OTHERSELLER", order_id)
    finally:
        process.terminate()
        process.wait(timeout=10)
