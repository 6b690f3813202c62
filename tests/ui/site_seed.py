"""A small site history for the page tests: one order per interesting state, buyer data included
so the tests can check it never reaches the pages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from amazon_passweb.importer.partial_push import push_failure
from amazon_passweb.site import (
    CustomerKind,
    DocumentSigla,
    InboxItem,
    InboxStatus,
    NewAddress,
    NewCustomer,
    NewOrder,
    OrderRowData,
    RowKind,
)

ACCOUNT = "it_main"
OTHER = "eu_de_fr"
MARKETPLACE_IT = "APJ6JRA9NG5V4"
BUYER_NAME = "Mario Rossi"
BUYER_EMAIL = "mario.rossi@marketplace.amazon.it"
BUYER_STREET = "Via Garibaldi 7"
HOSTILE_ERROR = "SKU <script>alert('x')</script> sconosciuto"
# as the importer records the gestionale refusing a document (importer.partial_push)
PUSH_REFUSAL = push_failure("DocumentRefused: the gestionale refused the data: magazzino 1 chiuso")

STORED = "171-0000001-0000001"  # Memorizzato
PUSH_FAILED = "171-0000002-0000002"  # Registrato, the gestionale refused it
IMPORT_FAILED = "171-0000003-0000003"  # failed before becoming a site order
SKIPPED = "171-0000004-0000004"  # status not imported
WAITING = "171-0000005-0000005"  # fetched, not processed yet
OTHER_STORED = "302-0000006-0000006"  # another account
REJECTED = "171-0000007-0000007"  # unreadable as Amazon sent it


def _payload(amazon_order_id: str) -> dict:
    return {"orderId": amazon_order_id, "buyer": {"buyerEmail": BUYER_EMAIL, "buyerName": BUYER_NAME},
            "shippingAddress": {"name": BUYER_NAME, "addressLine1": BUYER_STREET}}


def _inbox(uow, account: str, amazon_order_id: str, day: int, status: str = "SHIPPED") -> None:
    uow.inbox.upsert(account, InboxItem(amazon_order_id, datetime(2026, 10, day, 9, tzinfo=UTC),
                                        _payload(amazon_order_id), MARKETPLACE_IT, status))


def _order(uow, account: str, amazon_order_id: str, day: int, total: str, sezionale: int = 2):
    customer = uow.customers.get_or_create(
        NewCustomer(kind=CustomerKind.PRIVATE, name=BUYER_NAME, email=BUYER_EMAIL, source_account=account),
        NewAddress(name=BUYER_NAME, line1=BUYER_STREET, postal_code="20121", city="Milano", country_code="IT"),
    ).customer
    rows = (OrderRowData(RowKind.ARTICLE, 1, "ART001", "Tazza", Decimal(1), Decimal(total), "22"),)
    created = uow.orders.create(NewOrder(
        account=account, marketplace_id=MARKETPLACE_IT, amazon_order_id=amazon_order_id, sezionale=sezionale,
        sigla=DocumentSigla.OX, fulfillment="MFN", amazon_status="SHIPPED", currency="EUR",
        total_gross=Decimal(total), rows=rows, customer_id=customer.id,
        purchase_date=datetime(2026, 10, day, 8, tzinfo=UTC)))
    uow.inbox.mark(account, amazon_order_id, InboxStatus.IMPORTED, run_id="run-1", order_id=created.order.id)
    return created.order


def seed(store) -> None:
    with store.unit_of_work() as uow:
        for amazon_order_id, day in ((STORED, 10), (PUSH_FAILED, 11), (IMPORT_FAILED, 12), (WAITING, 14)):
            _inbox(uow, ACCOUNT, amazon_order_id, day)
        _inbox(uow, ACCOUNT, SKIPPED, 13, status="PENDING")
        _inbox(uow, ACCOUNT, REJECTED, 9)
        _inbox(uow, OTHER, OTHER_STORED, 15)

        stored = _order(uow, ACCOUNT, STORED, 10, "25.90")
        uow.orders.mark_stored(stored.id, "OX/2/1")
        uow.inbox.add_history(ACCOUNT, STORED, run_id="run-1", outcome="pushed", message="documento OX/2/1")
        _order(uow, ACCOUNT, PUSH_FAILED, 11, "12.00")
        uow.inbox.add_history(ACCOUNT, PUSH_FAILED, run_id="run-1", outcome="push_failed",
                              message=PUSH_REFUSAL.text, detail=PUSH_REFUSAL.detail)
        uow.inbox.mark(ACCOUNT, IMPORT_FAILED, InboxStatus.FAILED, run_id="run-1", message=HOSTILE_ERROR)
        uow.inbox.mark(ACCOUNT, SKIPPED, InboxStatus.SKIPPED, run_id="run-1", message="stato PENDING")
        uow.inbox.mark(ACCOUNT, REJECTED, InboxStatus.REJECTED, run_id="run-1", message="totale mancante")
        other = _order(uow, OTHER, OTHER_STORED, 15, "40.00", sezionale=3)
        uow.orders.mark_stored(other.id, "OX/3/1")
