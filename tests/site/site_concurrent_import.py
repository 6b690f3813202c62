"""Stand-ins for the importer's transactions, run in separate processes by the
concurrency test: one unit of work per order (the repositories' one-order
forms), or one per batch of orders (the batch forms, as the import steps use
them)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from site_builders import ACCOUNT, rows

from amazon_passweb.site import (
    CustomerKind,
    DocumentSigla,
    InboxItem,
    InboxMark,
    InboxStatus,
    NewAddress,
    NewCustomer,
    NewOrder,
    PiiCipher,
)
from amazon_passweb.site.db import make_engine
from amazon_passweb.site.unit_of_work import SiteStore

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AmazonOrder:
    amazon_order_id: str
    buyer: NewCustomer
    ship_to: NewAddress
    sigla: DocumentSigla


def dataset(n_orders: int = 1000, n_buyers: int = 250) -> list[AmazonOrder]:
    """Orders of repeat buyers: most with an email (in varying case), some
    without one, some business buyers behind Amazon's one shared address."""
    orders = []
    for i in range(n_orders):
        b = i % n_buyers
        ship_to = NewAddress(
            name=f"Cliente {b}",
            line1=f"Via Numero {b}" if i % 2 else f"V. NUMERO {b},",  # same address, written two ways
            postal_code=f"{20000 + b}",
            city="Milano",
            country_code="IT",
        )
        if b % 10 == 8:
            buyer = NewCustomer(
                kind=CustomerKind.COMPANY,
                company=f"Impresa {b} srl",
                vat_number=f"IT{b:011d}",
                email="no-reply-amazon-iba-buyer@amazon.it",
            )
        elif b % 10 == 9:
            buyer = NewCustomer(kind=CustomerKind.PRIVATE, name=f"Cliente {b}", email=None)
        else:
            email = f"buyer{b}@marketplace.amazon.it"
            buyer = NewCustomer(kind=CustomerKind.PRIVATE, name=f"Cliente {b}", email=email.upper() if i % 3 else email)
        sigla = DocumentSigla.OC if buyer.kind == CustomerKind.COMPANY else DocumentSigla.OX
        orders.append(AmazonOrder(f"171-{i:07d}-0000000", buyer, ship_to, sigla))
    return orders


def _inbox_item(item: AmazonOrder) -> InboxItem:
    return InboxItem(item.amazon_order_id, T0 + timedelta(minutes=1), {"id": item.amazon_order_id})


def _new_order(item: AmazonOrder, customer_id: int, address_id: int) -> NewOrder:
    return NewOrder(
        account=ACCOUNT,
        marketplace_id="APJ6JRA9NG5V4",
        amazon_order_id=item.amazon_order_id,
        sezionale=2,
        sigla=item.sigla,
        fulfillment="MFN",
        amazon_status="UNSHIPPED",
        currency="EUR",
        total_gross=Decimal("43.87"),
        rows=rows(),
        customer_id=customer_id,
        shipping_address_id=address_id,
    )


def import_one(store: SiteStore, item: AmazonOrder, run_id: str) -> int:
    with store.unit_of_work() as uow:
        uow.inbox.upsert(ACCOUNT, _inbox_item(item))
        customer = uow.customers.get_or_create(item.buyer, item.ship_to).customer
        address = uow.customers.get_or_add_address(customer.id, item.ship_to).address
        creation = uow.orders.create(_new_order(item, customer.id, address.id))
        if creation.created:
            uow.inbox.mark(
                ACCOUNT, item.amazon_order_id, InboxStatus.IMPORTED, run_id=run_id, order_id=creation.order.id
            )
        return int(creation.created)


def import_batch(store: SiteStore, items: list[AmazonOrder], run_id: str) -> int:
    with store.unit_of_work() as uow:
        uow.inbox.upsert_many(ACCOUNT, [_inbox_item(item) for item in items])
        keys = [uow.customers.buyer_key(item.buyer, item.ship_to) for item in items]
        customers = uow.customers.get_or_create_many([(i.buyer, k) for i, k in zip(items, keys, strict=True)])
        addresses = uow.customers.get_or_add_addresses(
            [(c.id, i.ship_to) for i, c in zip(items, customers, strict=True)])
        placed = uow.orders.create_many([
            _new_order(item, c.id, a.id) for item, c, a in zip(items, customers, addresses, strict=True)])
        uow.inbox.mark_many(ACCOUNT, [
            InboxMark(item.amazon_order_id, InboxStatus.IMPORTED, order_id=p.id)
            for item, p in zip(items, placed, strict=True) if p.created
        ], run_id=run_id)
        return sum(p.created for p in placed)


BATCH = 25
# Between two transactions, as the importer reads and parses the next order or batch: the other worker's
# turn. Without it SQLite's busy handler can lose to a worker that begins again at once, every time.
PAUSE_S = {False: 0.002, True: 0.05}


def worker(url: str, key: str, reverse: bool, batched: bool, start: Any, results: Any) -> None:
    """Import the whole data set (the second worker in reverse order, so the
    two meet in the middle) once ``start`` is set."""
    store = SiteStore(make_engine(url), PiiCipher(key))
    items = dataset()
    if reverse:
        items.reverse()
    run_id = f"worker-{int(reverse)}"
    start.wait()
    if batched:
        created = 0
        for i in range(0, len(items), BATCH):
            created += import_batch(store, items[i:i + BATCH], run_id)
            time.sleep(PAUSE_S[batched])
    else:
        created = 0
        for item in items:
            created += import_one(store, item, run_id)
            time.sleep(PAUSE_S[batched])
    store.dispose()
    results.put(created)
