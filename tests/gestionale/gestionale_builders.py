"""Builders for gestionale test inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from amazon_passweb.gestionale.mapping import CustomerInput, OrderInput, OrderRowInput, ShippingAddressInput
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.orders.document import document_sigla, standard_notes


def customer(n: int = 1, **overrides) -> CustomerInput:
    values = dict(
        name=f"Mario Rossi {n}",
        email=f"buyer{n}@marketplace.amazon.it",
        phone="+39 02 1234567",
        address_line1=f"Via Roma {n}",
        postal_code="20100",
        city="Milano",
        province="MI",
        country="IT",
    )
    return CustomerInput(**{**values, **overrides})


def row(
    line_no: int,
    code: str | None,
    price: str,
    qty: int = 1,
    vat: str = "22",
    kind: str = "article",
    description: str | None = None,
) -> OrderRowInput:
    return OrderRowInput(
        kind=kind,
        line_no=line_no,
        article_code=code,
        description=description or f"Riga {line_no}",
        quantity=Decimal(qty),
        unit_price_gross=Decimal(price),
        vat_rate=vat,
    )


def note_rows(amazon_id: str, purchased: dt.datetime, status: str) -> tuple[OrderRowInput, ...]:
    """The site order's two standard notes, numbered before the rows the test gives (from 1)."""
    texts = standard_notes(amazon_id, purchased, status)
    return tuple(row(index - len(texts), None, "0", 0, kind="note", description=text)
                 for index, text in enumerate(texts, start=1))


def order(
    amazon_id: str = "405-0000001-0000001",
    *,
    is_company: bool = False,
    rows=None,
    total=None,
    channel: str = "MFN",
    buyer: CustomerInput | None = None,
    shipping: ShippingAddressInput | None = None,
    **overrides,
) -> OrderInput:
    rows = tuple(rows or (row(1, "ART001", "24.40", 2), row(2, "SPEDSTD", "5.90", kind="spesa")))
    if total is None:
        total = sum((r.quantity * r.unit_price_gross for r in rows), Decimal(0))
    purchased = dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.UTC)
    values = dict(
        amazon_order_id=amazon_id,
        purchase_date=purchased,
        fulfilment_channel=channel,
        sigla=document_sigla(is_company),
        currency="EUR",
        total_gross=Decimal(total),
        rows=note_rows(amazon_id, purchased, "UNSHIPPED") + rows,
        customer=buyer if buyer is not None else customer(),
        shipping_address=shipping,
    )
    return OrderInput(**{**values, **overrides})


def shipping(n: int = 1, **overrides) -> ShippingAddressInput:
    values = dict(
        name=f"Luca Bianchi {n}",
        address_line1=f"Corso Italia {n}",
        postal_code="00100",
        city="Roma",
        province="RM",
        country="IT",
        phone="06 123456",
    )
    return ShippingAddressInput(**{**values, **overrides})


USER, PASSWORD, DOMINIO, AZIENDA = "webapi", "s3cret-Pw!", "demo", "DEMO"


def make_settings(base_url: str, **overrides) -> WebApiSettings:
    values = dict(
        base_url=base_url,
        user=USER,
        password=PASSWORD,
        dominio=DOMINIO,
        azienda=AZIENDA,
        anno=dt.date.today().year,
        retry_budget_s=5.0,
        read_timeout_s=2.0,
        connect_timeout_s=1.0,
    )
    return WebApiSettings(**{**values, **overrides})
