"""Builders and read-back helpers of the importer tests.

Orders are built by hand from the Amazon domain model, so each test shows the
exact buyer, address and amounts its rule depends on. The helpers that read
results go straight to the databases (the site store's tables, the stand-in's
SQLite file), not through the code under test.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import text

from amazon_passweb.amazon.models import Address, AmazonOrder, Buyer, FulfillmentChannel, OrderItem, ShippingLevel
from amazon_passweb.config import AccountConfig, AmazonStatus
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.site.records import InboxRecord, OrderRecord
from amazon_passweb.site.unit_of_work import SiteStore

IT = "APJ6JRA9NG5V4"
DE = "A1PA6795UKMFR9"
ES = "A1RKKUPIHCS9HS"
SHARED_BUSINESS_EMAIL = "no-reply-amazon-iba-buyer@amazon.it"
PURCHASED = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)
SITE_TABLES = ("customers", "addresses", "orders", "order_rows", "inbox")
GESTIONALE_TABLES = ("clienti", "indirizzi", "documenti")

_sequence = itertools.count(1)


def new_order_id() -> str:
    n = next(_sequence)
    return f"402-{n:07d}-{n * 7919 % 10**7:07d}"


def item(sku: str = "ART001", quantity: int = 1, unit_price: str = "19.90", *, shipping: str = "0",
         shipping_discount: str = "0", promotion: str = "0", gift_wrap: str = "0") -> OrderItem:
    """One Amazon order line; amounts are gross and, except ``unit_price``, for the whole line."""
    return OrderItem(
        order_item_id=f"item-{next(_sequence)}",
        seller_sku=sku,
        asin=f"B0TEST{sku}",
        title=None,
        quantity=quantity,
        unit_price=Decimal(unit_price),
        shipping_price=Decimal(shipping),
        shipping_discount=Decimal(shipping_discount),
        promotion_discount=Decimal(promotion),
        gift_wrap_price=Decimal(gift_wrap),
    )


def address(name: str = "Giulia Bianchi", street: str = "Via Roma 12", postal_code: str = "20121",
            city: str = "Milano", *, province: str = "MI", country: str = "IT", line2: str | None = None,
            phone: str | None = None, company: str | None = None) -> Address:
    lines = (street,) if line2 is None else (street, line2)
    return Address(name=name, lines=lines, city=city, postal_code=postal_code, state_or_region=province,
                   country_code=country, phone=phone, company=company)


def private_buyer(name: str = "Giulia Bianchi", email: str | None = "x@marketplace.amazon.it") -> Buyer:
    return Buyer(name=name, email=email)


def business_buyer(company: str, vat_number: str, name: str = "Ufficio acquisti",
                   email: str | None = SHARED_BUSINESS_EMAIL) -> Buyer:
    return Buyer(name=name, email=email, company=company, vat_number=vat_number)


def amazon_order(*items: OrderItem, order_id: str | None = None,
                 status: AmazonStatus = AmazonStatus.UNSHIPPED, marketplace: str = IT, afn: bool = False,
                 level: ShippingLevel = ShippingLevel.STANDARD, business: bool = False,
                 buyer: Buyer | None = None, delivery: Address | None = None, no_buyer_data: bool = False,
                 purchased: datetime = PURCHASED, total: Decimal | None = None) -> AmazonOrder:
    """An order whose total is the sum of its lines. Without ``buyer``/``delivery`` every order
    has a buyer of its own (distinct email, name and street); ``no_buyer_data`` gives neither,
    as Amazon sends AFN orders."""
    order_id = order_id or new_order_id()
    items = items or (item(),)
    serial = order_id[-4:]
    if no_buyer_data:
        buyer, delivery = Buyer(), None
    else:
        buyer = buyer or private_buyer(f"Cliente Prova {serial}", f"buyer-{serial}@marketplace.amazon.it")
        delivery = delivery or address(buyer.name, f"Via Garibaldi {int(serial)}")
    return AmazonOrder(
        amazon_order_id=order_id,
        marketplace_id=marketplace,
        purchase_date=purchased,
        last_update_date=purchased + timedelta(hours=1),
        status=status,
        fulfillment_channel=FulfillmentChannel.AFN if afn else FulfillmentChannel.MFN,
        shipping_level=level,
        shipping_service_level_raw=level.value,
        is_business=business,
        is_prime=afn,
        currency="EUR",
        order_total=total if total is not None else sum((i.line_total for i in items), Decimal(0)),
        buyer=buyer,
        delivery_address=delivery,
        items=tuple(items),
    )


def newer_version(order: AmazonOrder, **changes) -> AmazonOrder:
    """The same order as Amazon returns it after a later update."""
    return replace(order, last_update_date=order.last_update_date + timedelta(hours=1), **changes)


@dataclass
class Importer:
    """Runs the import steps (fetch → select → reconcile → create → push) as the DAG does
    (``importer.pipeline``), their counts in one ``Counter``."""

    store: SiteStore
    client: GestionaleClient
    account: AccountConfig

    def run(self, orders: list[AmazonOrder], run_id: str = "run-1",
            account: AccountConfig | None = None) -> Counter[str]:
        account = account or self.account
        steps = AccountImport(self.store, account, run_id).run([list(orders)], self.client)
        outcome: Counter[str] = Counter(inserted=steps.fetch.counts.inserted)
        for counts in (steps.select, steps.reconcile, steps.create):
            outcome.update(counts)
        outcome["pushed"], outcome["push_failed"] = steps.push["pushed"], steps.push["failed"]
        return outcome


# -- the site ------------------------------------------------------------------


def site_order(store: SiteStore, account: AccountConfig, amazon_order_id: str) -> OrderRecord | None:
    with store.unit_of_work(read_only=True) as uow:
        return uow.orders.find(account.id, amazon_order_id)


def inbox_entry(store: SiteStore, account: AccountConfig, amazon_order_id: str) -> InboxRecord:
    with store.unit_of_work(read_only=True) as uow:
        return uow.inbox.get(account.id, amazon_order_id)


def last_message(store: SiteStore, account: AccountConfig, amazon_order_id: str) -> str | None:
    with store.unit_of_work(read_only=True) as uow:
        return uow.inbox.history(account.id, amazon_order_id)[-1].message


def site_counts(store: SiteStore, *more_tables: str) -> dict[str, int]:
    """Row counts of the site tables an import writes to."""
    with store.engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in (*SITE_TABLES, *more_tables)}


# -- the gestionale stand-in ---------------------------------------------------


class GestionaleDb:
    """Read-only view of the stand-in's own SQLite file."""

    def __init__(self, path: Path):
        self.path = path

    def _rows(self, sql: str, params: tuple = ()) -> list[dict]:
        with sqlite3.connect(self.path) as connection:
            return [json.loads(data) for (data,) in connection.execute(sql, params)]

    def counts(self) -> dict[str, int]:
        with sqlite3.connect(self.path) as connection:
            return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in GESTIONALE_TABLES}

    def documents(self) -> list[dict]:
        return self._rows("SELECT data FROM documenti ORDER BY rowid")

    def document(self, amazon_order_id: str) -> dict | None:
        found = self._rows("SELECT data FROM documenti WHERE json_extract(data, '$.rif_nr_attuale') = ?",
                           (amazon_order_id,))
        assert len(found) <= 1, f"{len(found)} documents for {amazon_order_id}"
        return found[0] if found else None

    def customers(self) -> list[dict]:
        return self._rows("SELECT data FROM clienti ORDER BY rowid")

    def customer(self, codice: str) -> dict | None:
        found = self._rows("SELECT data FROM clienti WHERE codice = ?", (codice,))
        return found[0] if found else None

    def addresses(self, cod_conto: str) -> list[dict]:
        return self._rows("SELECT data FROM indirizzi WHERE cod_conto = ? ORDER BY id", (cod_conto,))


def document_rows(document: dict) -> list[dict]:
    """The document's rows from the WebAPI's parallel ``[[row, value], ...]`` arrays, in order."""
    rows: dict[int, dict] = {}
    for name, pairs in document.items():
        if name == "id_riga" or not isinstance(pairs, list):
            continue
        for index, value in pairs:
            rows.setdefault(index, {})[name] = value
    return [rows[index] for index in sorted(rows)]


def article_codes(document: dict) -> list[str]:
    return [row["codice_articolo"] for row in document_rows(document) if row["tp_riga"] == "R"]


def note_texts(document: dict) -> list[str]:
    return [row["descr_riga"] for row in document_rows(document) if row["tp_riga"] == "D"]


# -- email ---------------------------------------------------------------------


def read_emails(directory: Path) -> list[EmailMessage]:
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(directory.glob("*.eml"))]


def decoded_text(message: EmailMessage) -> str:
    """Headers and every part of the message, decoded (base64, quoted-printable, BOM)."""
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        parts.append(content.decode("utf-8-sig") if isinstance(content, bytes) else content)
    return "\n".join(parts)

