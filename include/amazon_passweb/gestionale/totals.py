"""Document totals computed the way the gestionale computes them.

- OX (private buyer, gross prices): each row is quantity x gross price rounded to the cent;
  the total is the sum of the rows (the gestionale splits the VAT out, the total does not move).
- OC (company, net prices): each row is quantity x net price rounded to the cent; VAT is
  computed per VAT code on that code's net sum and rounded to the cent; total = net + VAT.

Rounding is half-up (arrotondamento commerciale), as Italian invoices round: ``orders.money.cents``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from amazon_passweb.orders.money import CENT, VAT_RATES, cents, rate_of

__all__ = ["CENT", "VAT_RATES", "PricedRow", "cents", "document_total", "rate_of"]

@dataclass(frozen=True)
class PricedRow:
    quantity: Decimal
    price: Decimal  # net for OC, gross for OX
    vat_code: str
    rate: Decimal | None = None  # the code's rate when it is not an Italian one (a destination's, domain.md §8)


def document_total(sigla: str, rows: Iterable[PricedRow], exempt: frozenset[str] = frozenset()) -> Decimal:
    """``exempt``: further VAT exemption codes (outside the VAT base), e.g. the configured rounding one."""
    by_code: dict[str, Decimal] = {}
    rates: dict[str, Decimal] = {}
    for row in rows:
        by_code[row.vat_code] = by_code.get(row.vat_code, Decimal(0)) + cents(row.quantity * row.price)
        rates[row.vat_code] = row.rate if row.rate is not None else rate_of(row.vat_code, exempt)
    if sigla == "OX":
        return sum(by_code.values(), Decimal(0))
    if sigla == "OC":
        return sum((net + cents(net * rates[code] / 100) for code, net in by_code.items()), Decimal(0))
    raise ValueError(f"unknown document sigla {sigla!r}")
