"""searchOrders / getOrders paging, the window rules and pagination-token errors, over real sockets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from amazon_passweb.amazon.errors import SpApiError
from amazon_passweb.config import AmazonStatus
from sandbox.amazon.generate import MARKETPLACE_IDS as MARKETPLACES

SINCE = datetime(2026, 9, 1, tzinfo=UTC)


def test_fetches_all_pages_in_order(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders)
    client = client_factory(standin)
    result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACES, page_size=50)
    assert result.pages == 5  # 240 orders, 50 a page
    assert [o.amazon_order_id for o in result.orders] == [o["orderId"] for o in sample_orders]
    assert client.stats.calls == {"searchOrders": 5}
    assert standin.state.counters.calls == {"searchOrders": 5}


@pytest.mark.parametrize("api_version", ["2026-01-01", "v0"])
def test_status_and_marketplace_filters(standin_factory, client_factory, sample_orders, api_version):
    standin = standin_factory(sample_orders)
    client = client_factory(standin, api_version)
    wanted = [AmazonStatus.UNSHIPPED, AmazonStatus.SHIPPED]
    result = client.fetch_orders(SINCE, marketplace_ids=["APJ6JRA9NG5V4"], statuses=wanted, page_size=20)
    expected = [
        o["orderId"] for o in sample_orders
        if o["fulfillment"]["fulfillmentStatus"] in {"UNSHIPPED", "SHIPPED"}
        and o["salesChannel"]["marketplaceId"] == "APJ6JRA9NG5V4"
    ]
    assert len(expected) > 40 and result.pages >= 3
    assert [o.amazon_order_id for o in result.orders] == expected


def test_window_bounds_are_half_open(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders)
    client = client_factory(standin)
    middle = sample_orders[100]["lastUpdatedTime"]
    cut = datetime.fromisoformat(middle.replace("Z", "+00:00"))
    before = client.fetch_orders(SINCE, cut, marketplace_ids=MARKETPLACES)
    after = client.fetch_orders(cut, marketplace_ids=MARKETPLACES)
    assert len(before.orders) + len(after.orders) == len(sample_orders)
    assert before.window_end == cut and after.orders[0].last_update_date >= cut


def test_before_is_clamped_two_minutes_back(standin_factory, client_factory):
    standin = standin_factory([])
    client = client_factory(standin)
    now = datetime.now(UTC)
    result = client.fetch_orders(now - timedelta(hours=1), now, marketplace_ids=MARKETPLACES)
    assert result.window_end <= datetime.now(UTC) - timedelta(minutes=2)
    assert result.window_end > now - timedelta(minutes=2, seconds=2)
    assert result.orders == [] and client.stats.calls == {"searchOrders": 1}


def test_empty_window_after_clamping_makes_no_call(standin_factory, client_factory):
    client = client_factory(standin_factory([]))
    result = client.fetch_orders(datetime.now(UTC) - timedelta(seconds=30), marketplace_ids=MARKETPLACES)
    assert result.orders == [] and client.stats.total_calls == 0


def test_standin_enforces_the_two_minute_rule(standin_factory, client_factory):
    client = client_factory(standin_factory([]), validate=False)
    too_recent = (datetime.now(UTC) - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(SpApiError) as failure:
        client.transport.call("searchOrders", "GET", "/orders/2026-01-01/orders", params={
            "lastUpdatedAfter": "2026-10-01T00:00:00Z", "lastUpdatedBefore": too_recent,
        })
    assert (failure.value.status, failure.value.code) == (400, "InvalidInput")
    assert "2 minutes" in failure.value.amazon_message


def test_standin_wants_exactly_one_after(standin_factory, client_factory):
    client = client_factory(standin_factory([]), validate=False)
    for params in ({}, {"lastUpdatedAfter": "2026-10-01T00:00:00Z", "createdAfter": "2026-10-01T00:00:00Z"}):
        with pytest.raises(SpApiError) as failure:
            client.transport.call("searchOrders", "GET", "/orders/2026-01-01/orders", params=params)
        assert failure.value.code == "InvalidInput"
    assert client.stats.retries == 0


def _first_token(client, path="/orders/2026-01-01/orders"):
    answer = client.transport.call("searchOrders", "GET", path, params={
        "lastUpdatedAfter": "2026-09-01T00:00:00Z", "maxResultsPerPage": 10,
    })
    return answer["pagination"]["nextToken"]


def test_corrupted_pagination_token_is_invalid_input(standin_factory, client_factory, sample_orders):
    client = client_factory(standin_factory(sample_orders))
    token = _first_token(client)
    corrupted = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(SpApiError) as failure:
        client.transport.call("searchOrders", "GET", "/orders/2026-01-01/orders",
                              params={"paginationToken": corrupted})
    assert (failure.value.status, failure.value.code) == (400, "InvalidInput")
    assert "paginationToken" in str(failure.value)


def test_expired_pagination_token_is_invalid_input(standin_factory, client_factory, sample_orders):
    # 60 Amazon seconds of token life at 1000x: gone after 0.06 real seconds.
    client = client_factory(standin_factory(sample_orders, pagination_token_lifetime=60))
    token = _first_token(client)
    time.sleep(0.15)
    with pytest.raises(SpApiError) as failure:
        client.transport.call("searchOrders", "GET", "/orders/2026-01-01/orders",
                              params={"paginationToken": token})
    assert failure.value.code == "InvalidInput" and "expired" in failure.value.amazon_message


def test_get_order(standin_factory, client_factory, sample_orders):
    client = client_factory(standin_factory(sample_orders))
    raw = sample_orders[7]
    order = client.get_order(raw["orderId"])
    assert order.amazon_order_id == raw["orderId"]
    assert len(order.items) == len(raw["orderItems"])
    with pytest.raises(SpApiError) as failure:
        client.get_order("999-0000000-0000000")
    assert (failure.value.status, failure.value.operation) == (404, "getOrder")


def test_progress_is_logged(standin_factory, client_factory, sample_orders, caplog):
    import logging

    client = client_factory(standin_factory(sample_orders))
    with caplog.at_level(logging.INFO, logger="amazon_passweb.amazon"):
        client.fetch_orders(SINCE, marketplace_ids=MARKETPLACES, page_size=100)
    pages = [r.getMessage() for r in caplog.records if "page" in r.getMessage() and "so far" in r.getMessage()]
    assert len(pages) == 3
    assert "(240 so far)" in pages[-1] and "waited on rate limits" in pages[-1]
    assert any(r.getMessage().startswith("fetched 240 orders") for r in caplog.records)
