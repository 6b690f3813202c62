"""Document totals computed the way the gestionale computes them.

- OX (private buyer, gross prices): each row is quantity x gross price rounded to the cent;
  the total is the sum of the rows (the gestionale splits the VAT out, the total does not move).
- OC (company, net prices): each row is quantity x net price rounded to the cent; VAT is
  computed per VAT code on that code's net sum and rounded to the cent; total = net + VAT.

Rounding is half-up (arrotondamento commerciale), as Italian invoices round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# VAT code -> rate; E15 ("escluso art. 15") is the usual exemption of the rounding adjustment row.
VAT_RATES = {
    "22": Decimal(22),
    "10": Decimal(10),
    "5": Decimal(5),
    "4": Decimal(4),
    "0": Decimal(0),
    "E15": Decimal(0),
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_of(vat_code: str, exempt: frozenset[str] = frozenset()) -> Decimal:
    if vat_code in exempt:
        return Decimal(0)
    try:
        return VAT_RATES[vat_code]
    except KeyError:
        raise ValueError(f"unknown VAT code {vat_code!r}; known: {', '.join(VAT_RATES)}") from None


@dataclass(frozen=True)
class PricedRow:
    quantity: Decimal
    price: Decimal  # net for OC, gross for OX
    vat_code: str


def document_total(sigla: str, rows: Iterable[PricedRow], exempt: frozenset[str] = frozenset()) -> Decimal:
    """``exempt``: further VAT exemption codes (outside the VAT base), e.g. the configured rounding one."""
    by_code: dict[str, Decimal] = {}
    for row in rows:
        by_code[row.vat_code] = by_code.get(row.vat_code, Decimal(0)) + cents(row.quantity * row.price)
    if sigla == "OX":
        return sum(by_code.values(), Decimal(0))
    if sigla == "OC":
        return sum((net + cents(net * rate_of(code, exempt) / 100) for code, net in by_code.items()), Decimal(0))
    raise ValueError(f"unknown document sigla {sigla!r}")
