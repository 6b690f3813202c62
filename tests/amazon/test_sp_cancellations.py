"""Orders that change after import, as the import's own reads see them (domain.md §7): Amazon's
cancellation and the buyer's request to cancel, from v2026 (``includedData`` CANCELLATION) and v0
(``OrderStatus``, ``BuyerRequestedCancel``) payloads, and through the stand-in over sockets."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.amazon.v0 import order_from_v0
from amazon_passweb.amazon.v2026 import INCLUDED_DATA, order_from_v2026
from amazon_passweb.config import AmazonStatus
from sandbox.amazon.v0_view import items_v0, order_v0


def _unshipped(orders: list[dict[str, Any]]) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in orders if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
                              and o["fulfillment"]["fulfilledBy"] == "MERCHANT"))


def _with_cancellation(order: dict[str, Any], cancellation: dict[str, Any]) -> dict[str, Any]:
    return {**order, "orderItems": [{**item, "cancellation": cancellation} for item in order["orderItems"]]}


REQUEST = {"cancellationRequest": {"requester": "BUYER", "cancelReason": "REASON_NO_LONGER_NEEDED"}}


def test_the_import_asks_for_cancellation_data_in_its_own_pages():
    assert "CANCELLATION" in INCLUDED_DATA and "FULFILLMENT" in INCLUDED_DATA


def test_v2026_buyer_request_is_read(sample_orders):
    order = _unshipped(sample_orders)
    assert not order_from_v2026(order).buyer_cancel_requested
    requested = order_from_v2026(_with_cancellation(order, REQUEST))
    assert requested.buyer_cancel_requested and requested.buyer_cancel_reason == "REASON_NO_LONGER_NEEDED"
    assert requested.status is AmazonStatus.UNSHIPPED
    # a request by anyone else, or an executed cancellation, is no buyer's request
    seller = {"cancellationRequest": {"requester": "SELLER", "cancelReason": "x"}}
    assert not order_from_v2026(_with_cancellation(order, seller)).buyer_cancel_requested
    executed = {"cancellationExecution": {"cancelledBy": "BUYER", "cancelReason": "x"}}
    cancelled = order_from_v2026({**_with_cancellation(order, executed),
                                  "fulfillment": {**order["fulfillment"], "fulfillmentStatus": "CANCELLED"}})
    assert cancelled.status is AmazonStatus.CANCELLED and not cancelled.buyer_cancel_requested
    # kept in the inbox's JSON form; an older entry without the keys reads as no request
    assert AmazonOrder.from_json(requested.to_json()) == requested
    old = {k: v for k, v in requested.to_json().items() if not k.startswith("buyer_cancel")}
    assert not AmazonOrder.from_json(old).buyer_cancel_requested


@pytest.mark.parametrize(("flag", "expected"), [("true", True), (True, True), ("false", False), (None, False)])
def test_v0_buyer_requested_cancel_is_read(sample_orders, flag, expected):
    order = _unshipped(sample_orders)
    raw, items = order_v0(order, restricted=True), items_v0(order, restricted=True)
    if flag is not None:
        items = [{**items[0], "BuyerRequestedCancel": {"IsBuyerRequestedCancel": flag,
                                                       "BuyerCancelReason": "Ordered by mistake"}}, *items[1:]]
    mapped = order_from_v0(raw, items)
    assert mapped.buyer_cancel_requested is expected
    assert mapped.buyer_cancel_reason == ("Ordered by mistake" if expected else None)


def test_v0_canceled_status_is_cancelled(sample_orders):
    order = _unshipped(sample_orders)
    raw = {**order_v0(order, restricted=True), "OrderStatus": "Canceled"}
    assert order_from_v0(raw, items_v0(order, restricted=True)).status is AmazonStatus.CANCELLED


@pytest.mark.parametrize("api_version", ["2026-01-01", "v0"])
def test_the_import_pages_bring_the_changes_without_extra_calls(sample_orders, standin_factory, client_factory,
                                                                api_version):
    mine = [o for o in sample_orders if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
            and o["fulfillment"]["fulfilledBy"] == "MERCHANT"][:2]
    asked, cancelled = (o["orderId"] for o in mine)
    standin = standin_factory(sample_orders)
    client = client_factory(standin, api_version)
    marketplace = mine[0]["salesChannel"]["marketplaceId"]
    # the controls move lastUpdatedTime to now; a search reads up to 2 minutes ago: the window is read later
    moved = datetime.now(UTC) - timedelta(minutes=5)
    standin.request_cancellation(asked, updated_at=moved)
    standin.cancel_order(cancelled, updated_at=moved)
    calls = client.stats.total_calls
    seen = {o.amazon_order_id: o for page in client.iter_pages(moved - timedelta(seconds=1),
                                                               marketplace_ids=[marketplace]) for o in page}
    assert seen[asked].buyer_cancel_requested and seen[asked].status is AmazonStatus.UNSHIPPED
    assert seen[cancelled].status is AmazonStatus.CANCELLED and not seen[cancelled].buyer_cancel_requested
    if api_version == "2026-01-01":
        assert client.stats.total_calls - calls == 1, "one searchOrders page: nothing asked order by order"
