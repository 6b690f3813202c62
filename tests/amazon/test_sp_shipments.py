"""Shipment confirmation: the stand-in's confirmShipment as ordersV0.json describes it, and the
client's ``confirm_shipment`` / ``shipment_state`` against it, over sockets."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from amazon_passweb.amazon.errors import QuotaExceededError, SpApiError
from amazon_passweb.amazon.rate_limit import RateLimiter, lower_bound_seconds
from amazon_passweb.amazon.shipments import PackageConfirmation, ShipmentRefused, ShippedItem
from amazon_passweb.amazon.transport import CallRecord

SHIPPED_AT = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
ALL_DATA = {"includedData": ["FULFILLMENT", "PACKAGES"]}


def _pick(orders: list[dict[str, Any]], status: str = "UNSHIPPED", by: str = "MERCHANT",
          where: Callable[[dict[str, Any]], bool] = lambda o: True, count: int = 1) -> list[dict[str, Any]]:
    found = [o for o in orders if o["fulfillment"]["fulfillmentStatus"] == status
             and o["fulfillment"]["fulfilledBy"] == by and where(o)]
    assert len(found) >= count
    return found[:count]


def _units(order: dict[str, Any]) -> int:
    return sum(i["quantityOrdered"] for i in order["orderItems"])


def _package(reference: str, items: list[tuple[str, int]], tracking: str = "BRT0001",
             carrier: str = "BRT", name: str | None = None, when: datetime = SHIPPED_AT) -> PackageConfirmation:
    return PackageConfirmation(reference, carrier, name, tracking, when,
                               tuple(ShippedItem(item, quantity) for item, quantity in items))


def _marketplace(order: dict[str, Any]) -> str:
    return order["salesChannel"]["marketplaceId"]


def _get(client, order_id: str) -> dict[str, Any]:
    return client.transport.call("getOrder", "GET", f"/orders/2026-01-01/orders/{order_id}", params=ALL_DATA)["order"]


def _get_v0(client, order_id: str) -> dict[str, Any]:
    return client.transport.call("getOrderV0", "GET", f"/orders/v0/orders/{order_id}")["payload"]


def _raw_body(order: dict[str, Any]) -> dict[str, Any]:
    item = order["orderItems"][0]
    return {
        "marketplaceId": _marketplace(order),
        "packageDetail": {
            "packageReferenceId": "1",
            "carrierCode": "BRT",
            "trackingNumber": "BRT0001",
            "shipDate": "2026-11-02T08:30:00Z",
            "orderItems": [{"orderItemId": item["orderItemId"], "quantity": 1}],
        },
    }


def _send(client, order_id: str, body: Any) -> dict[str, Any]:
    return client.transport.call(
        "confirmShipment", "POST", f"/orders/v0/orders/{order_id}/shipmentConfirmation", json=body
    )


@pytest.fixture
def responses_checked(openapi):
    """A client whose answers (not requests: these tests send invalid ones on purpose) follow the models."""
    def attach(client):
        def check(record: CallRecord) -> None:
            if record.status is not None and record.response is not None:
                openapi.validate_response(record.method, record.path, record.status, record.response)
        client.transport.observers.append(check)
        return client
    return attach


def test_confirmation_answers_204_and_shows_in_both_api_versions(sample_orders, standin_factory, client_factory):
    order = _pick(sample_orders, where=lambda o: len(o["orderItems"]) == 1 and _units(o) == 1)[0]
    item = order["orderItems"][0]["orderItemId"]
    client = client_factory(standin_factory(sample_orders))
    records: list[CallRecord] = []
    client.transport.observers.append(records.append)
    before = client.shipment_state(order["orderId"])
    assert (before.cancelled, before.fulfilment_status, before.tracking_numbers) == (False, "UNSHIPPED", frozenset())
    assert before.quantity_shipped == {item: 0}

    client.confirm_shipment(order["orderId"], _marketplace(order),
                            _package("7", [(item, 1)], tracking="BRT123456", when=SHIPPED_AT))

    assert (records[-1].status, records[-1].response) == (204, None)
    state = client.shipment_state(order["orderId"])
    assert state.fulfilment_status == "SHIPPED" and not state.cancelled
    assert state.tracking_numbers == {"BRT123456"} and state.package_reference_ids == {"7"}
    assert state.quantity_shipped == {item: 1}
    [package] = _get(client, order["orderId"])["packages"]
    assert package["packageReferenceId"] == "7" and package["carrier"] == "BRT"
    assert package["shipTime"] == "2026-11-02T08:30:00Z" and package["packageStatus"] == {"status": "SHIPPED"}
    assert package["packageItems"] == [{"orderItemId": item, "quantity": 1}]
    v0 = _get_v0(client, order["orderId"])
    assert (v0["OrderStatus"], v0["NumberOfItemsShipped"], v0["NumberOfItemsUnshipped"]) == ("Shipped", 1, 0)


def test_partial_then_full_shipment(sample_orders, standin_factory, client_factory):
    order = _pick(sample_orders, where=lambda o: _units(o) >= 2)[0]
    lines = [(i["orderItemId"], i["quantityOrdered"]) for i in order["orderItems"]]
    first, rest = (lines[0][0], 1), [(lines[0][0], lines[0][1] - 1)] + lines[1:]
    rest = [(item, quantity) for item, quantity in rest if quantity]
    client = client_factory(standin_factory(sample_orders))
    client.confirm_shipment(order["orderId"], _marketplace(order), _package("1", [first], tracking="T1"))

    partial = client.shipment_state(order["orderId"])
    assert partial.fulfilment_status == "PARTIALLY_SHIPPED" and partial.quantity_shipped[first[0]] == 1
    raw = _get(client, order["orderId"])
    item = next(i for i in raw["orderItems"] if i["orderItemId"] == first[0])
    assert item["fulfillment"]["quantityUnfulfilled"] == lines[0][1] - 1
    v0 = _get_v0(client, order["orderId"])
    assert (v0["OrderStatus"], v0["NumberOfItemsShipped"], v0["NumberOfItemsUnshipped"]) == (
        "PartiallyShipped", 1, _units(order) - 1)

    client.confirm_shipment(order["orderId"], _marketplace(order), _package("2", rest, tracking="T2"))
    done = client.shipment_state(order["orderId"])
    assert done.fulfilment_status == "SHIPPED" and done.tracking_numbers == {"T1", "T2"}
    assert dict(done.quantity_shipped) == dict(lines)
    assert _get_v0(client, order["orderId"])["OrderStatus"] == "Shipped"

    # Nothing is left: a third package is refused with Amazon's code, and changes nothing.
    with pytest.raises(ShipmentRefused) as refused:
        client.confirm_shipment(order["orderId"], _marketplace(order), _package("3", [first], tracking="T3"))
    assert (refused.value.status, refused.value.code) == (400, "PackageToUpdateNotFound")
    assert client.shipment_state(order["orderId"]) == done


def test_the_same_package_reference_edits_the_package(sample_orders, standin_factory, client_factory):
    order = _pick(sample_orders, where=lambda o: o["orderItems"][0]["quantityOrdered"] >= 2)[0]
    item, ordered = order["orderItems"][0]["orderItemId"], order["orderItems"][0]["quantityOrdered"]
    client = client_factory(standin_factory(sample_orders))
    client.confirm_shipment(order["orderId"], _marketplace(order), _package("5", [(item, 2)], tracking="OLD1"))
    # A retry of the same package after a lost answer, with the tracking corrected and one unit less.
    client.confirm_shipment(order["orderId"], _marketplace(order),
                            _package("5", [(item, 1)], tracking="NEW1", carrier="Other", name="Corriere Rossi"))
    packages = _get(client, order["orderId"])["packages"]
    assert len(packages) == 1
    assert (packages[0]["trackingNumber"], packages[0]["carrier"]) == ("NEW1", "Corriere Rossi")
    state = client.shipment_state(order["orderId"])
    assert state.tracking_numbers == {"NEW1"} and state.quantity_shipped[item] == 1
    # The edit gives back what it no longer ships: the whole item fits in the same package again.
    client.confirm_shipment(order["orderId"], _marketplace(order), _package("5", [(item, ordered)], tracking="NEW1"))
    assert client.shipment_state(order["orderId"]).quantity_shipped[item] == ordered


INVALID: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "no marketplaceId": lambda b, d: b.pop("marketplaceId"),
    "no packageDetail": lambda b, d: b.pop("packageDetail"),
    "no packageReferenceId": lambda b, d: d.pop("packageReferenceId"),
    "no carrierCode": lambda b, d: d.pop("carrierCode"),
    "no trackingNumber": lambda b, d: d.pop("trackingNumber"),
    "no shipDate": lambda b, d: d.pop("shipDate"),
    "no orderItems": lambda b, d: d.pop("orderItems"),
    "packageReferenceId a JSON number": lambda b, d: d.update(packageReferenceId=1),
    "packageReferenceId zero": lambda b, d: d.update(packageReferenceId="0"),
    "packageReferenceId negative": lambda b, d: d.update(packageReferenceId="-3"),
    "packageReferenceId not a number": lambda b, d: d.update(packageReferenceId="DDT-12"),
    "carrier Other without a name": lambda b, d: d.update(carrierCode="Other"),
    "shipDate not ISO 8601": lambda b, d: d.update(shipDate="02/21/2022"),  # Amazon's own 400 example
    "shipDate without offset": lambda b, d: d.update(shipDate="2026-11-02T08:30:00"),
    "shipDate in the future": lambda b, d: d.update(
        shipDate=(datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")),
    "no items": lambda b, d: d.update(orderItems=[]),
    "item of another order": lambda b, d: d["orderItems"][0].update(orderItemId="99999999999999"),
    "quantity zero": lambda b, d: d["orderItems"][0].update(quantity=0),
    "quantity a string": lambda b, d: d["orderItems"][0].update(quantity="1"),
    "item twice": lambda b, d: d["orderItems"].append(dict(d["orderItems"][0])),
    "another marketplace": lambda b, d: b.update(marketplaceId="ATVPDKIKX0DER"),
}


@pytest.fixture(scope="module")
def refusal_orders():
    from sandbox.amazon.generate import generate_orders
    return generate_orders(120, seed=31)


@pytest.mark.parametrize("case", INVALID)
def test_invalid_requests_are_refused_with_invalid_input(case, refusal_orders, standin_factory, client_factory,
                                                         responses_checked):
    order = _pick(refusal_orders)[0]
    client = responses_checked(client_factory(standin_factory(refusal_orders), validate=False))
    body = _raw_body(order)
    INVALID[case](body, body.get("packageDetail", {}))
    with pytest.raises(SpApiError) as refused:
        _send(client, order["orderId"], body)
    assert (refused.value.status, refused.value.code) == (400, "InvalidInput"), refused.value
    assert refused.value.amazon_message
    assert client.shipment_state(order["orderId"]).fulfilment_status == "UNSHIPPED"
    assert "packages" not in _get(client, order["orderId"])
    # The same request made valid again is accepted: the refusal was about that field only.
    assert _send(client, order["orderId"], _raw_body(order)) == {}


def test_quantity_above_what_is_left_and_unknown_order(refusal_orders, standin_factory, client_factory,
                                                       responses_checked):
    order = _pick(refusal_orders)[0]
    client = responses_checked(client_factory(standin_factory(refusal_orders), validate=False))
    body = _raw_body(order)
    body["packageDetail"]["orderItems"][0]["quantity"] = order["orderItems"][0]["quantityOrdered"] + 1
    with pytest.raises(SpApiError) as refused:
        _send(client, order["orderId"], body)
    assert (refused.value.status, refused.value.code) == (400, "PackageToUpdateNotFound")
    with pytest.raises(SpApiError) as unknown:
        _send(client, "999-0000000-0000000", _raw_body(order))
    assert unknown.value.status == 404 and not isinstance(unknown.value, ShipmentRefused)


def test_afn_pending_and_cancelled_orders_are_refused(sample_orders, standin_factory, client_factory):
    afn = _pick(sample_orders, by="AMAZON")[0]
    pending = _pick(sample_orders, status="PENDING")[0]
    cancelled, shipped_later = _pick(sample_orders, count=2)
    standin = standin_factory(sample_orders)
    client = client_factory(standin)
    for order in (afn, pending):
        item = order["orderItems"][0]["orderItemId"]
        with pytest.raises(ShipmentRefused) as refused:
            client.confirm_shipment(order["orderId"], _marketplace(order), _package("1", [(item, 1)]))
        assert refused.value.code == "InvalidInput"

    # An order cancelled after import ("cancelled meanwhile"), through the stand-in's control.
    assert standin.cancel_order(cancelled["orderId"]) == {"orderId": cancelled["orderId"],
                                                          "fulfillmentStatus": "CANCELLED"}
    state = client.shipment_state(cancelled["orderId"])
    assert state.cancelled and state.fulfilment_status == "CANCELLED"
    raw = _get(client, cancelled["orderId"])
    assert datetime.fromisoformat(raw["lastUpdatedTime"]) > datetime.now(UTC) - timedelta(minutes=1)
    assert _get_v0(client, cancelled["orderId"])["OrderStatus"] == "Canceled"
    item = cancelled["orderItems"][0]["orderItemId"]
    with pytest.raises(ShipmentRefused) as refused:
        client.confirm_shipment(cancelled["orderId"], _marketplace(cancelled), _package("1", [(item, 1)]))
    assert refused.value.code == "InvalidInput" and "cancelled" in refused.value.amazon_message

    # An order that has shipped cannot be cancelled any more.
    item = shipped_later["orderItems"][0]["orderItemId"]
    client.confirm_shipment(shipped_later["orderId"], _marketplace(shipped_later), _package("1", [(item, 1)]))
    with pytest.raises(Exception, match="409"):
        standin.cancel_order(shipped_later["orderId"])


def test_status_changes_are_found_by_searches(sample_orders, standin_factory, client_factory):
    order = _pick(sample_orders, where=lambda o: _units(o) == 1)[0]
    client = client_factory(standin_factory(sample_orders))
    item = order["orderItems"][0]["orderItemId"]
    client.confirm_shipment(order["orderId"], _marketplace(order), _package("1", [(item, 1)]))
    params = {"createdAfter": order["createdTime"], "marketplaceIds": [_marketplace(order)]}
    found = {}
    for status in ("UNSHIPPED", "SHIPPED"):
        answer = client.transport.call("searchOrders", "GET", "/orders/2026-01-01/orders",
                                       params=params | {"fulfillmentStatuses": [status]})
        found[status] = {o["orderId"] for o in answer["orders"]}
    assert order["orderId"] in found["SHIPPED"] and order["orderId"] not in found["UNSHIPPED"]
    assert order["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"  # the caller's orders stay as given


def test_future_ship_date_is_sent_as_now(sample_orders, standin_factory, client_factory):
    order = _pick(sample_orders, where=lambda o: _units(o) == 1)[0]
    client = client_factory(standin_factory(sample_orders))
    item = order["orderItems"][0]["orderItemId"]
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    client.confirm_shipment(order["orderId"], _marketplace(order), _package("1", [(item, 1)], when=tomorrow))
    ship_time = datetime.fromisoformat(_get(client, order["orderId"])["packages"][0]["shipTime"])
    assert datetime.now(UTC) - timedelta(minutes=5) < ship_time <= datetime.now(UTC)


def test_request_body_follows_the_confirm_shipment_request_model(sample_orders, standin_factory, client_factory,
                                                                  openapi):
    order = _pick(sample_orders, where=lambda o: len(o["orderItems"]) >= 2)[0]
    client = client_factory(standin_factory(sample_orders))
    records: list[CallRecord] = []
    client.transport.observers.append(records.append)
    items = [(i["orderItemId"], 1) for i in order["orderItems"]]
    package = PackageConfirmation("12", "Other", "Corriere Rossi", "CR-99", SHIPPED_AT,
                                  tuple(ShippedItem(i, q) for i, q in items), shipping_method="Standard")
    client.confirm_shipment(order["orderId"], _marketplace(order), package)
    [record] = [r for r in records if r.operation == "confirmShipment"]
    openapi.validate_request(record)
    openapi.validate_definition(record.body, "v0", "ConfirmShipmentRequest")
    detail = record.body["packageDetail"]
    assert isinstance(detail["packageReferenceId"], str)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", detail["shipDate"])
    assert (detail["carrierCode"], detail["carrierName"], detail["shippingMethod"]) == (
        "Other", "Corriere Rossi", "Standard")
    assert record.path == f"/orders/v0/orders/{order['orderId']}/shipmentConfirmation"


def test_package_confirmation_refuses_what_amazon_would():
    item = (ShippedItem("1", 1),)
    for reference in ("0", "-1", "A1", "", "01"):
        with pytest.raises(ValueError):
            PackageConfirmation(reference, "BRT", None, "T", SHIPPED_AT, item)
    with pytest.raises(ValueError):
        PackageConfirmation("1", "Other", None, "T", SHIPPED_AT, item)
    with pytest.raises(ValueError):
        PackageConfirmation("1", "BRT", None, "T", SHIPPED_AT.replace(tzinfo=None), item)
    with pytest.raises(ValueError):
        PackageConfirmation("1", "BRT", None, "T", SHIPPED_AT, ())
    with pytest.raises(ValueError):
        ShippedItem("1", 0)


def test_usage_plan_refuses_the_eleventh_call_at_once(sample_orders, standin_factory, client_factory):
    """Burst 10: a client ignoring the plan gets 429 (at Amazon's own speed, so the refill is slow)."""
    order = _pick(sample_orders, where=lambda o: _units(o) == 1)[0]
    standin = standin_factory(sample_orders, time_scale=1.0)
    client = client_factory(standin, max_attempts=1)
    client.transport.limiter = RateLimiter(1.0, {"confirmShipment": (1000.0, 1000)})  # no pacing
    item = order["orderItems"][0]["orderItemId"]
    refused = 0
    for _ in range(16):
        try:
            client.confirm_shipment(order["orderId"], _marketplace(order), _package("1", [(item, 1)]))
        except QuotaExceededError:
            refused += 1
    throttled = standin.state.counters.throttled.get("confirmShipment", 0)
    assert refused == throttled >= 1
    assert standin.state.counters.calls["confirmShipment"] == 16


def test_client_paces_confirmations_to_the_usage_plan(standin_factory, client_factory):
    """30 confirmations: 10 from the burst, 20 at 2/s, so at least 10 s of Amazon's time; no 429."""
    from sandbox.amazon.generate import generate_orders

    orders = generate_orders(200, seed=41)
    chosen = _pick(orders, count=30)
    scale = 20.0
    standin = standin_factory(copy.deepcopy(orders), time_scale=scale)
    client = client_factory(standin)
    client.lwa.access_token()  # log in first: only confirmations are timed
    started = time.monotonic()
    for number, order in enumerate(chosen, 1):
        item = order["orderItems"][0]["orderItemId"]
        client.confirm_shipment(order["orderId"], _marketplace(order), _package(str(number), [(item, 1)]))
    amazon_seconds = (time.monotonic() - started) * scale
    assert amazon_seconds >= lower_bound_seconds(30, 2.0, 10) == 10.0
    assert standin.state.counters.calls["confirmShipment"] == 30
    assert standin.state.counters.throttled == {} and client.stats.throttled == 0


def test_lost_answers_and_server_errors_never_make_a_second_package(sample_orders, standin_factory,
                                                                    client_factory):
    """Amazon records the package but the answer is lost (timeout), or answers 500/429: the
    transport retries with the same packageReferenceId, which edits the package Amazon has."""
    from sandbox.amazon.state import Faults

    chosen = _pick(sample_orders, where=lambda o: _units(o) == 1, count=6)
    standin = standin_factory(sample_orders)
    client = client_factory(standin, timeout=0.3)
    client.lwa.access_token()
    lost = []
    client.transport.observers.append(lambda record: lost.append(record) if record.status is None else None)
    standin.set_faults(Faults(p500=0.2, p429=0.1, timeout_probability=0.3, timeout_seconds=0.6, seed=5))
    for order in chosen:
        item = order["orderItems"][0]["orderItemId"]
        client.confirm_shipment(order["orderId"], _marketplace(order), _package("1", [(item, 1)]))
    standin.set_faults(Faults())
    time.sleep(0.8)  # answers still held back by the stand-in arrive at Amazon's side meanwhile
    assert lost and client.stats.retries >= len(lost)  # answers did get lost, and were retried
    for order in chosen:
        packages = _get(client, order["orderId"])["packages"]
        assert [p["packageReferenceId"] for p in packages] == ["1"]
        assert client.shipment_state(order["orderId"]).fulfilment_status == "SHIPPED"
