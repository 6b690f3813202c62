"""Builders and read-back helpers of the sync tests."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import text

from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.client import ARTICLES
from amazon_passweb.site.records import NewAddress, NewCustomer, NewOrder, OrderRowData
from amazon_passweb.site.states import CustomerKind, DocumentSigla, OrderState, RowKind
from amazon_passweb.site.unit_of_work import SiteStore

_serial = itertools.count(1)


def registrato_order(store: SiteStore, account: AccountConfig) -> str:
    """A site order waiting for the gestionale (Registrato), with a new customer and address."""
    n = next(_serial)
    amazon_order_id = f"171-{n:07d}-{n * 7919 % 10**7:07d}"
    home = NewAddress(name=f"Cliente Sync{n}", line1=f"Via Mazzini {n}", postal_code="20121", city="Milano",
                      country_code="IT", province="MI")
    buyer = NewCustomer(kind=CustomerKind.PRIVATE, name=f"Cliente Sync{n}", email=f"sync{n}@marketplace.amazon.it",
                        source_account=account.id)
    rows = (
        OrderRowData(RowKind.ARTICLE, 1, "ART001", "Tazza in ceramica", Decimal("2"), Decimal("12.99"), "22"),
        OrderRowData(RowKind.SPESA, 2, "SPEDSTD", "Spese di spedizione", Decimal("1"), Decimal("4.90"), "22"),
    )
    with store.unit_of_work() as uow:
        match = uow.customers.get_or_create(buyer, home)
        address = uow.customers.get_or_add_address(match.customer.id, home)
        uow.orders.create(NewOrder(
            account=account.id, marketplace_id=account.marketplaces[0], amazon_order_id=amazon_order_id,
            sezionale=account.orders_series, sigla=DocumentSigla.OX, fulfillment="MFN", amazon_status="UNSHIPPED",
            currency="EUR", total_gross=Decimal("30.88"), rows=rows, customer_id=match.customer.id,
            shipping_address_id=address.address.id, purchase_date=datetime(2026, 11, 20, 9, 30, tzinfo=UTC)))
    return amazon_order_id


def order_states(store: SiteStore) -> dict[str, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT amazon_order_id, state FROM orders")).all())


def sync_runs(store: SiteStore) -> list[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, run_id, sync_type, outcome, counted, message FROM sync_runs ORDER BY id"))
        return [dict(row._mapping) for row in rows]


def read_emails(directory: Path) -> list[EmailMessage]:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(directory.glob("*.eml"))]


STORED = OrderState.MEMORIZZATO.value
WAITING = OrderState.REGISTRATO.value


class SlowArticles:
    """A gestionale that answers the article read slowly: a sync takes long enough to be overlapped.

    Only the pull reaches it (no Registrato orders means no push): articles, no customers, empty tables."""

    def __init__(self, seconds: float = 0.0, articles: int = 3):
        self.seconds = seconds
        self.articles = articles
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    @staticmethod
    def clock() -> str:
        return datetime.now().strftime("%Y%m%d %H%M%S")

    def records(self, resource: str, *, fields: list[str] | None = None, page_size: int = 100) -> Iterator[dict]:
        return self.changed_since(resource, None, fields=fields, page_size=page_size)

    def changed_since(self, resource: str, since: str | None, *, fields: list[str] | None = None,
                      page_size: int = 100) -> Iterator[dict]:
        return self._articles() if resource == ARTICLES else iter(())

    def _articles(self) -> Iterator[dict]:
        with self._lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            time.sleep(self.seconds)
            for i in range(1, self.articles + 1):
                yield {"codice": f"ART{i:03d}", "descrizione": f"Articolo {i}", "alq_iva": " 22,0"}
        finally:
            with self._lock:
                self.active -= 1
