"""The rules of the order document (domain.md §5) that the import and the push share.

- the two note rows: the Amazon order id and date (the day in Italy), and the Amazon status at
  import. The site order stores them when it is created; the gestionale document carries the
  stored rows as they are, so their wording is decided here once;
- the spesa rows: shipping on the standard or express shipping article (a per-SKU one wins),
  shipping discount, gift wrap and promotion on their own articles, discounts negative;
- the shipping charge: what Amazon charged for shipping net of shipping discounts, VAT included,
  read from the order's spesa rows (it chooses the carrier);
- the document sigla: OC for a company, OX for a private buyer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from amazon_passweb.orders.dates import rome_date
from amazon_passweb.orders.status import DocumentSigla, RowKind

if TYPE_CHECKING:
    from amazon_passweb.config import SpesaArticles


class PricedLine(Protocol):
    """What the rules read of a row, whichever layer holds it (site row, document input)."""

    kind: str
    article_code: str | None
    quantity: Decimal
    unit_price_gross: Decimal


def standard_notes(amazon_order_id: str, purchase_date: dt.datetime | dt.date, amazon_status: str) -> list[str]:
    """The two note rows every document starts with. An aware purchase time is read in Italian
    time: an order placed at 23:30 in Italy is dated that day, not the next one in UTC."""
    day = rome_date(purchase_date) if isinstance(purchase_date, dt.datetime) else purchase_date
    return [
        f"Ordine Amazon {amazon_order_id} del {day.strftime('%d/%m/%Y')}",
        f"Stato Amazon all'importazione: {amazon_status}",
    ]


def document_sigla(is_company: bool) -> DocumentSigla:
    """OC for a company customer (net prices), OX for a private buyer (gross prices)."""
    return DocumentSigla.for_company(is_company)


def shipping_article(express: bool, per_sku: Iterable[str | None], standard_code: str, express_code: str) -> str:
    """The spesa article of the shipping row: the first item's own shipping article for that
    speed (``per_sku``, already chosen by speed), else the account's standard or express one."""
    own = next((code for code in per_sku if code), None)
    if own is not None:
        return own
    return express_code if express else standard_code


def spesa_charges(shipping_code: str, spesa: SpesaArticles) -> tuple[tuple[str, str, str, int], ...]:
    """(Amazon item amount, spesa article, row description, sign) of each non-article part of an
    Amazon total; discounts come as positive amounts and become negative rows."""
    return (
        ("shipping_price", shipping_code, "Spese di spedizione", 1),
        ("shipping_discount", spesa.shipping_discount, "Sconto spedizione", -1),
        ("gift_wrap_price", spesa.gift_wrap, "Confezione regalo", 1),
        ("promotion_discount", spesa.promotion, "Promozione Amazon", -1),
    )


def shipping_charge(rows: Iterable[PricedLine], spesa: SpesaArticles) -> Decimal:
    """Shipping net of shipping discounts, VAT included: the spesa rows other than gift wrap and
    promotions (the shipping rows, on whichever article, and the shipping discount rows)."""
    not_shipping = (spesa.gift_wrap, spesa.promotion)
    return sum(
        (row.quantity * row.unit_price_gross for row in rows
         if row.kind == RowKind.SPESA and row.article_code not in not_shipping),
        Decimal(0),
    )
