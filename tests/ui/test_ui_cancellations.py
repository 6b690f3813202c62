"""The orders page flags what Amazon said after import (domain.md §7): a buyer's request to cancel
(the merchant decides in Seller Central) and a cancellation Amazon made. The orders reach those
states through the import's own steps, fed by hand-built Amazon orders; nothing is pushed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from amazon_passweb.amazon.models import Address, AmazonOrder, Buyer, FulfillmentChannel, OrderItem, ShippingLevel
from amazon_passweb.config import AmazonStatus, load_accounts
from amazon_passweb.importer.pipeline import AccountImport
from sandbox.gestionale.catalogue import seed_site_articles

ASKED, CANCELLED = "171-0000091-0000091", "171-0000092-0000092"
BOUGHT = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


def amazon_order(order_id: str) -> AmazonOrder:
    line = OrderItem(order_item_id=f"item-{order_id}", seller_sku="ART001", asin="B0TESTART001", title=None,
                     quantity=1, unit_price=Decimal("19.90"))
    return AmazonOrder(
        amazon_order_id=order_id, marketplace_id="APJ6JRA9NG5V4", purchase_date=BOUGHT,
        last_update_date=BOUGHT + timedelta(hours=1), status=AmazonStatus.UNSHIPPED,
        fulfillment_channel=FulfillmentChannel.MFN, shipping_level=ShippingLevel.STANDARD,
        shipping_service_level_raw="STANDARD", is_business=False, is_prime=False, currency="EUR",
        order_total=line.line_total, buyer=Buyer(name=f"Cliente {order_id[-2:]}", email=f"b{order_id[-2:]}@example.it"),
        delivery_address=Address(name=f"Cliente {order_id[-2:]}", lines=(f"Via Roma {order_id[-2:]}",),
                                 city="Milano", postal_code="20121", state_or_region="MI", country_code="IT"),
        items=(line,),
    )


@pytest.fixture
def operator(client, admin_cookie, store):
    seed_site_articles(store)
    account = load_accounts().account("it_main")
    first = [amazon_order(ASKED), amazon_order(CANCELLED)]
    AccountImport(store, account, "run-1").run([first])  # Registrato, not pushed
    later = [replace(first[0], last_update_date=BOUGHT + timedelta(hours=2), buyer_cancel_requested=True),
             replace(first[1], last_update_date=BOUGHT + timedelta(hours=2), status=AmazonStatus.CANCELLED)]
    AccountImport(store, account, "run-2").run([later])
    client.cookies.update(admin_cookie)
    return client


def test_the_orders_page_flags_a_buyers_request_and_shows_the_cancellation(operator):
    html = operator.get("/orders").text
    asked_row = html[html.index(f'data-order="{ASKED}"'):].split("</tr>", 1)[0]
    cancelled_row = html[html.index(f'data-order="{CANCELLED}"'):].split("</tr>", 1)[0]
    assert 'data-field="cancellation">L&#39;acquirente ha chiesto di annullarlo' in asked_row
    assert "Registrato" in asked_row
    assert 'data-field="state">Annullato</span>' in cancelled_row and "Amazon: CANCELLED" in cancelled_row
    assert 'data-field="cancellation"' not in cancelled_row, "applied: the state says it all"
    filtered = operator.get("/orders", params={"state": "Annullato"}).text
    assert CANCELLED in filtered and ASKED not in filtered
