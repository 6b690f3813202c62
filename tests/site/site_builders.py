"""Builders of store inputs for the site tests: realistic Amazon-like values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from amazon_passweb.site import (
    CustomerKind,
    DocumentSigla,
    NewAddress,
    NewCustomer,
    NewOrder,
    OrderRowData,
    RowKind,
)

ACCOUNT = "it_main"
MARKETPLACE_IT = "APJ6JRA9NG5V4"


def address(n: int = 1, **overrides: object) -> NewAddress:
    values: dict[str, object] = {
        "name": f"Mario Rossi{n}",
        "line1": f"Via Garibaldi {n}",
        "postal_code": "20121",
        "city": "Milano",
        "country_code": "IT",
        "province": "MI",
        "phone": "+39 333 1234567",
    }
    values.update(overrides)
    return NewAddress(**values)  # type: ignore[arg-type]


def private_buyer(n: int = 1, **overrides: object) -> NewCustomer:
    values: dict[str, object] = {
        "kind": CustomerKind.PRIVATE,
        "name": f"Mario Rossi{n}",
        "email": f"buyer{n}@marketplace.amazon.it",
        "phone": "+39 333 1234567",
        "source_account": ACCOUNT,
    }
    values.update(overrides)
    return NewCustomer(**values)  # type: ignore[arg-type]


def company_buyer(vat: str | None = "IT01234567890", **overrides: object) -> NewCustomer:
    values: dict[str, object] = {
        "kind": CustomerKind.COMPANY,
        "name": "Giulia Bianchi",
        "company": "Bianchi Forniture S.r.l.",
        "vat_number": vat,
        "email": "no-reply-amazon-iba-buyer@amazon.it",
        "source_account": ACCOUNT,
    }
    values.update(overrides)
    return NewCustomer(**values)  # type: ignore[arg-type]


def rows() -> tuple[OrderRowData, ...]:
    return (
        OrderRowData(
            RowKind.NOTE,
            1,
            None,
            "Ordine Amazon 171-0000000-0000001 del 2026-11-20",
            Decimal(0),
            Decimal(0),
            None,
        ),
        OrderRowData(RowKind.ARTICLE, 2, "ART001", "Tazza in ceramica", Decimal("3"), Decimal("12.99"), "22"),
        OrderRowData(RowKind.SPESA, 3, "SPEDSTD", "Spese di spedizione", Decimal("1"), Decimal("4.90"), "22"),
    )


def order(
    amazon_order_id: str = "171-0000000-0000001",
    *,
    customer_id: int | None = None,
    address_id: int | None = None,
    sezionale: int = 2,
    **overrides: object,
) -> NewOrder:
    values: dict[str, object] = {
        "account": ACCOUNT,
        "marketplace_id": MARKETPLACE_IT,
        "amazon_order_id": amazon_order_id,
        "sezionale": sezionale,
        "sigla": DocumentSigla.OX,
        "fulfillment": "MFN",
        "amazon_status": "UNSHIPPED",
        "currency": "EUR",
        "total_gross": Decimal("43.87"),
        "rows": rows(),
        "customer_id": customer_id,
        "shipping_address_id": address_id,
        "purchase_date": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return NewOrder(**values)  # type: ignore[arg-type]
