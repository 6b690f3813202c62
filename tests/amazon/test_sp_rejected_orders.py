"""One unreadable order in a page is set aside with its reason; the rest of the page goes on."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from amazon_passweb.amazon.errors import MalformedResponseError

AFTER = datetime(2026, 9, 1, tzinfo=UTC)


def _broken(orders: list[dict]) -> tuple[list[dict], str]:
    orders = copy.deepcopy(orders[:30])
    victim = orders[7]
    victim["proceeds"]["grandTotal"]["amount"] = "dodici euro"
    return orders, victim["orderId"]


def test_unreadable_order_is_rejected_and_the_page_goes_on(standin_factory, client_factory, sample_orders):
    orders, broken_id = _broken(sample_orders)
    client = client_factory(standin_factory(orders), validate=False)
    rejected = []
    fetched = [o for page in client.iter_pages(AFTER, marketplace_ids=_marketplaces(orders),
                                               on_rejected=rejected.append) for o in page]
    assert [r.amazon_order_id for r in rejected] == [broken_id]
    assert "dodici euro" in str(rejected[0].raw)
    assert rejected[0].error
    assert {o.amazon_order_id for o in fetched} == {o["orderId"] for o in orders} - {broken_id}


def test_without_a_handler_an_unreadable_order_fails_the_fetch(standin_factory, client_factory, sample_orders):
    orders, _ = _broken(sample_orders)
    client = client_factory(standin_factory(orders), validate=False)
    with pytest.raises(MalformedResponseError, match="UnexpectedOrderShape"):
        list(client.iter_pages(AFTER, marketplace_ids=_marketplaces(orders)))


def _marketplaces(orders: list[dict]) -> list[str]:
    return sorted({o["salesChannel"]["marketplaceId"] for o in orders})
