"""Money and VAT: amounts in cents, one rounding rule, the VAT codes the documents use.

Rounding is half-up (arrotondamento commerciale), as Italian invoices round and as the
gestionale computes its totals: every comparison of amounts to the cent uses ``cents``.
"""

from __future__ import annotations

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
# The Italian rates an article can carry (the exemption codes are not rates of goods).
KNOWN_VAT_RATES = (Decimal(22), Decimal(10), Decimal(5), Decimal(4), Decimal(0))


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, half-up: 0.125 → 0.13, -0.125 → -0.13."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_of(vat_code: str, exempt: frozenset[str] = frozenset()) -> Decimal:
    """The rate (percent) of a VAT code; a code in ``exempt`` is outside the VAT base (0)."""
    if vat_code in exempt:
        return Decimal(0)
    try:
        return VAT_RATES[vat_code]
    except KeyError:
        raise ValueError(f"unknown VAT code {vat_code!r}; known: {', '.join(VAT_RATES)}") from None


def vat_code(rate: str) -> str:
    """The VAT code of a rate as the site stores it: "22", "22.0", "22.00", "22%" -> "22".
    A ValueError when it is not a number or no code has that rate."""
    try:
        value = Decimal(str(rate).strip().rstrip("%"))
    except ArithmeticError:
        raise ValueError(f"VAT rate {rate!r} is not a number") from None
    code = format(value.normalize(), "f")
    if code not in VAT_RATES:
        raise ValueError(f"VAT rate {rate!r} has no gestionale VAT code")
    return code


def net_of_vat(gross: Decimal, rate: Decimal) -> Decimal:
    """A VAT-included amount without its VAT, rounded to the cent."""
    return cents(Decimal(gross) / (1 + Decimal(rate) / 100))


def vat_rate_from_tax(gross: Decimal, tax: Decimal) -> str | None:
    """The known VAT rate of a gross amount that contains ``tax`` (Amazon's item tax), when it is
    within half a point of one; None otherwise."""
    net = gross - tax
    if tax <= 0 or net <= 0:
        return None
    rate = tax / net * 100
    nearest = min(KNOWN_VAT_RATES, key=lambda known: abs(known - rate))
    return str(nearest) if abs(nearest - rate) < Decimal("0.5") else None
