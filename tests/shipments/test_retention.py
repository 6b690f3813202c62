"""Rule (domain.md §7, Amazon's data protection policy): buyer data is erased
``buyer_data_retention_days`` after an order's life ends, and every end is recorded by the flow
that reaches it: shipped (Amazon's packages DELIVERED, else the confirmation + the delivery
margin), cancelled (the cancellation flow's Annullato), never importable (an inbox entry failed,
rejected or skipped: its last update). Tax data stays.

Everything runs through the product over both stand-ins, on SQLite and PostgreSQL: the import
(fetch to push), the cancellation flow, the shipment step; time moves only through the purge's
``now``. The last assertions read the stored bytes: the SQLite file, and every binary column."""

from __future__ import annotations

import copy
import datetime as dt
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, select

from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.orders.dates import ROME
from amazon_passweb.orders.status import OrderState, RowKind
from amazon_passweb.site import InboxStatus, SiteStore, purge_buyer_data
from amazon_passweb.site.models import Address, Base, Customer, InboxEntry
from sandbox.amazon.generate import generate_orders
from sandbox.gestionale.catalogue import seed_site_articles
from tests.fixtures.sqlite_files import database_bytes
from tests.shipments.delivery_notes import deliver
from tests.shipments.test_confirm_shipments import WINDOW_START, amazon_client

RETENTION = 30
UNKNOWN_SKU = "AMZ-NEW-77"


@pytest.fixture
def site(store: SiteStore) -> SiteStore:
    """The dialect-parametrised store with the catalogue's articles, as an article sync leaves it."""
    seed_site_articles(store)
    return store


def _articles(order) -> list[tuple[str, int]]:
    return [(r.article_code, int(r.quantity)) for r in order.rows if r.kind == RowKind.ARTICLE]


def _stored_bytes(store: SiteStore) -> bytes:
    """Every binary column of every row (what SQL can read), and on SQLite the files themselves."""
    found = b""
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in (c for c in table.columns if isinstance(c.type, LargeBinary)):
                found += b"".join(v for v in connection.execute(select(column)).scalars() if v)
    if store.engine.dialect.name == "sqlite":
        found += database_bytes(Path(store.engine.url.database))
    return found


def test_every_end_of_life_starts_the_clock_and_the_purge_erases_from_it(
        site, amazon_standins, gestionale_client, gestionale_standin, it_main):
    mine = [o for o in generate_orders(80, 21) if o["salesChannel"]["marketplaceId"] in it_main.marketplaces
            and o["fulfillment"]["fulfilledBy"] == "MERCHANT"]
    unshipped = [o for o in mine if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"]
    failing, broken = copy.deepcopy(unshipped[4]), copy.deepcopy(unshipped[5])
    for item in failing["orderItems"]:
        item["product"]["sellerSku"] = UNKNOWN_SKU  # fails: no article for it
    broken["proceeds"]["grandTotal"]["amount"] = "dodici euro"  # rejected: unreadable
    pending = next(o for o in mine if o["fulfillment"]["fulfillmentStatus"] == "PENDING")  # skipped
    already = next(o for o in mine if o["fulfillment"]["fulfillmentStatus"] == "SHIPPED")  # shipped before import
    standin = amazon_standins(unshipped[:4] + [failing, broken, pending, already])
    amazon = amazon_client(standin)
    rejected: list = []

    def pages():
        return amazon.iter_pages(WINDOW_START, None, marketplace_ids=it_main.marketplaces,
                                 on_rejected=rejected.append)

    start = datetime.now(UTC)
    AccountImport(site, it_main, "run-1").run(pages(), gestionale_client, rejected=rejected)
    with site.unit_of_work(read_only=True) as uow:
        shipped, delivered, cancelled, still_open = (uow.orders.find(it_main.id, o["orderId"])
                                                     for o in unshipped[:4])
        before = uow.orders.find(it_main.id, already["orderId"])
        never = {o["orderId"]: uow.inbox.get(it_main.id, o["orderId"]).status for o in (failing, broken, pending)}
    assert list(never.values()) == [InboxStatus.FAILED, InboxStatus.REJECTED, InboxStatus.SKIPPED]
    assert {o.state for o in (shipped, delivered, cancelled, still_open)} == {OrderState.MEMORIZZATO}

    # Delivery notes for two orders; Amazon already has the second's package, delivered.
    at = datetime.combine(dt.date.today(), dt.time(9, 30), tzinfo=ROME)
    base = gestionale_standin.base_url
    deliver(base, shipped.gestionale_document_key, _articles(shipped), carrier="BRT", tracking="BRT-A-1", shipped=at)
    deliver(base, delivered.gestionale_document_key, _articles(delivered), carrier="BRT", tracking="BRT-B-1",
            shipped=at)
    standin.patch_order(delivered.amazon_order_id, {"packages": [{
        "packageReferenceId": "seller-own-1", "packageStatus": {"status": "DELIVERED"}, "carrier": "BRT",
        "trackingNumber": "BRT-B-1", "shipTime": at.isoformat(),
        "packageItems": [{"orderItemId": r.order_item_id, "quantity": int(r.quantity)}
                         for r in delivered.rows if r.kind == RowKind.ARTICLE]}]})
    # Amazon cancels the third: the next import's cancellation flow annuls it.
    standin.cancel_order(cancelled.amazon_order_id, "AMAZON", updated_at=datetime.now(UTC) - timedelta(minutes=5))
    AccountImport(site, it_main, "run-2").run(pages(), gestionale_client)
    counts = AccountImport(site, it_main, "run-3").ship(gestionale_client, amazon)
    amazon.close()
    end = datetime.now(UTC)
    assert counts.shipped_orders == 2

    with site.unit_of_work(read_only=True) as uow:
        shipped, delivered, cancelled, still_open = (uow.orders.get(o.id)
                                                     for o in (shipped, delivered, cancelled, still_open))
        before = uow.orders.get(before.id)
    margin = timedelta(days=it_main.shipments.delivery_margin_days)
    assert margin == timedelta(days=10)  # the documented default
    assert shipped.state is OrderState.SPEDITO and start + margin <= shipped.life_ended_at <= end + margin
    assert delivered.state is OrderState.SPEDITO and start <= delivered.life_ended_at <= end  # Amazon: DELIVERED
    assert cancelled.state is OrderState.ANNULLATO and start <= cancelled.life_ended_at <= end
    assert still_open.life_ended_at is None
    assert start + margin <= before.life_ended_at <= end + margin  # seen shipped at import

    with site.unit_of_work(read_only=True) as uow:
        session = uow.session
        secrets = {e.amazon_order_id: e.payload_enc for e in session.execute(select(InboxEntry)).scalars()}
        buyers = {o.id: session.get(Customer, o.customer_id) for o in (shipped, delivered, cancelled, still_open)}
        addresses = {o.id: session.get(Address, o.shipping_address_id)
                     for o in (shipped, delivered, cancelled, still_open)}
        kept_company = {(c.id, c.company_enc, c.vat_number_enc) for c in buyers.values() if c.kind == "company"}
        names = {o.id: uow.customers.get(o.customer_id).name for o in (shipped, delivered, cancelled)}
    assert all(secrets.values())

    # Before the period: nothing. Day 31 after the end: the delivered, the cancelled and the never
    # imported; the shipped one waits its delivery margin.
    assert purge_buyer_data(site, older_than_days=RETENTION, now=end + timedelta(days=29)).orders == 0
    first = purge_buyer_data(site, older_than_days=RETENTION, now=end + timedelta(days=RETENTION + 1))
    assert (first.orders, first.inbox_payloads) == (2, 5)
    later = purge_buyer_data(site, older_than_days=RETENTION, now=end + margin + timedelta(days=RETENTION + 1))
    assert (later.orders, later.inbox_payloads) == (2, 2)

    erased = {o.amazon_order_id for o in (shipped, before, delivered, cancelled)} | set(never)
    with site.unit_of_work(read_only=True) as uow:
        assert all(uow.orders.get(o.id).pii_purged_at for o in (shipped, delivered, cancelled, before))
        assert uow.orders.get(still_open.id).pii_purged_at is None
        for order in (shipped, delivered, cancelled):
            kept = uow.orders.get(order.id)  # the tax record stays
            assert kept.number == order.number and kept.rows == order.rows and kept.total_gross == order.total_gross
            assert uow.customers.get(order.customer_id).name is None
        assert uow.inbox.get(it_main.id, still_open.amazon_order_id).payload is not None
        for amazon_order_id in erased:
            assert uow.inbox.get(it_main.id, amazon_order_id).payload is None
        for customer_id, company, vat in kept_company:
            row = uow.session.get(Customer, customer_id)
            assert (row.company_enc, row.vat_number_enc) == (company, vat)  # business data for invoices

    # No copy left anywhere in the store: neither the ciphertexts nor the plaintexts.
    stored = _stored_bytes(site)
    assert secrets[still_open.amazon_order_id] in stored  # the check can see what is there
    for amazon_order_id in erased:
        assert secrets[amazon_order_id] not in stored
    for order in (shipped, delivered, cancelled):
        buyer, address = buyers[order.id], addresses[order.id]
        for ciphertext in (buyer.email_enc, buyer.name_enc, buyer.phone_enc, address.line1_enc, address.name_enc):
            assert not ciphertext or ciphertext not in stored
        assert names[order.id].encode() not in stored
