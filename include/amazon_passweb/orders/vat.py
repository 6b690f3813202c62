"""Which VAT a row carries when the goods leave Italy (domain.md §8). Pure rules, no I/O.

- **Reverse charge**: a buyer with a VAT registration in another EU member state, charged no tax by
  Amazon, on goods delivered to an EU country other than Italy: the configured exemption code.
- **Marketplace facilitator**: Amazon collects and remits the tax itself: the configured code.
- **Otherwise** the rate is the one Amazon applied, read from its TAX breakdown of the item, and it
  must be one of the destination country's configured rates (One-Stop-Shop), or an Italian rate
  (a seller under the EU distance-selling threshold charges its own VAT). Anything else is an error
  naming the country and the rate: never a silent 22 %. A country with configured rates must come
  with a TAX breakdown; one without, and without tax, is sold with the article's own code as before.

Tolerance: Amazon EU prices include VAT and Amazon rounds the tax to the cent per unit (v0 ItemTax is
the line's; v2026's TAX ITEM too), so the tax of a line of ``q`` units may differ from the exact
``gross × r / (100 + r)`` by at most half a cent per unit. A configured rate matches when the tax it
implies is within that bound of Amazon's; rates closer than that are told apart by the nearest.
A rate test on the percentage itself would not do: 0.02 of tax on 0.12 is "20 %" and "16.7 %" at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from amazon_passweb.orders.money import KNOWN_VAT_RATES

HOME_COUNTRY = "IT"
HALF_CENT = Decimal("0.005")
# EU member states (ISO 3166-1 alpha-2; Greece as Amazon writes it, GR, and as VAT numbers do, EL).
EU_MEMBER_STATES = frozenset([
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GR", "HR",
    "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
])


class VatRegime(StrEnum):
    DOMESTIC = "domestic"  # goods delivered in Italy (or nowhere known): the article's own code, as always
    DESTINATION = "destination"  # the rate Amazon applied, matched to the destination's configured rates
    REVERSE_CHARGE = "reverse_charge"
    MARKETPLACE_FACILITATOR = "marketplace_facilitator"


class VatRuleError(ValueError):
    """A row's VAT cannot be decided; ``country`` and ``rate`` (the one Amazon applied, or None) say which."""

    def __init__(self, text: str, country: str, rate: str | None = None) -> None:
        super().__init__(text)
        self.country = country
        self.rate = rate


@dataclass(frozen=True)
class RowVat:
    rate: str  # percent, as the domain spells it: "19", "5.5", "0"
    code: str  # the gestionale's cod_iva


def rate_text(rate: Decimal) -> str:
    return format(Decimal(rate).normalize(), "f")


def exact_tax(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a gross amount at ``rate`` percent, unrounded."""
    return Decimal(gross) * rate / (100 + rate)


def tax_tolerance(quantity: int) -> Decimal:
    """How far Amazon's tax of a line may be from the exact one: half a cent per unit (at least one)."""
    return HALF_CENT * max(quantity, 1)


def applied_rate(gross: Decimal, tax: Decimal) -> str:
    """The rate Amazon's tax implies on a gross amount, to one decimal (its tax is rounded to the cent,
    so the second decimal is noise: 3.32 of 19.90 is "20.02 %"), for messages."""
    net = gross - tax
    if net <= 0:
        return "?"
    return rate_text((tax / net * 100).quantize(Decimal("0.1")))


def match_rate(gross: Decimal, tax: Decimal, quantity: int, rates: dict[str, str]) -> str | None:
    """The configured rate (a key of ``rates``) whose tax on ``gross`` is within the rounding of
    Amazon's ``tax`` for ``quantity`` units; the nearest when several are; None when none is."""
    tolerance = tax_tolerance(quantity)
    distances = {rate: abs(tax - exact_tax(gross, Decimal(rate))) for rate in rates}
    within = [rate for rate, distance in distances.items() if distance <= tolerance]
    return min(within, key=lambda rate: distances[rate]) if within else None


def vat_number_country(vat_number: str | None) -> str | None:
    """The member state of a VAT number from its prefix ("DE123456789" → DE; Greece's EL → GR)."""
    text = (vat_number or "").strip().upper()
    prefix = text[:2]
    if len(text) > 2 and prefix.isalpha() and prefix in EU_MEMBER_STATES:
        return "GR" if prefix == "EL" else prefix
    return None


def regime(destination: str | None, buyer_vat_number: str | None, tax_charged: Decimal,
           marketplace_facilitator: bool) -> VatRegime:
    """Which rule decides the rows' VAT. ``tax_charged``: all the tax Amazon charged on the order."""
    if marketplace_facilitator:
        return VatRegime.MARKETPLACE_FACILITATOR
    country = (destination or HOME_COUNTRY).upper()
    if country == HOME_COUNTRY:
        return VatRegime.DOMESTIC
    registered = vat_number_country(buyer_vat_number) or (country if buyer_vat_number else None)
    if (tax_charged == 0 and registered is not None and registered != HOME_COUNTRY
            and registered in EU_MEMBER_STATES and country in EU_MEMBER_STATES):
        return VatRegime.REVERSE_CHARGE
    return VatRegime.DESTINATION


def destination_vat(country: str, gross: Decimal, tax: Decimal, quantity: int,
                    configured: dict[str, dict[str, str]]) -> RowVat | None:
    """The VAT of a line delivered to ``country`` on which Amazon charged ``tax`` (of ``gross``).

    None when Amazon reports no tax for a country with no configured rates: the seller sells there
    with its own (Italian) VAT, and the row keeps its article's code as before. For a configured
    country the TAX breakdown is expected: without it the rate is unknown, and that is an error."""
    country = country.upper()
    rates = configured.get(country) or {}
    if tax <= 0:
        if not rates:
            return None
        raise VatRuleError(
            f"Amazon's TAX breakdown of an item delivered to {country} is missing or zero, and the buyer has "
            "no VAT registration in another member state (no reverse charge)", country)
    found = match_rate(gross, tax, quantity, rates)
    if found is not None:
        return RowVat(found, rates[found])
    italian = {rate_text(rate): rate_text(rate) for rate in KNOWN_VAT_RATES if rate}
    found = match_rate(gross, tax, quantity, italian)
    if found is not None:  # the seller's own VAT, below the distance-selling threshold
        return RowVat(found, found)
    rate = applied_rate(gross, tax)
    if not rates:
        raise VatRuleError(f"Amazon applied {rate} % VAT on an item delivered to {country} and no VAT "
                           f"codes are configured for {country} (vat.codes.{country})", country, rate)
    raise VatRuleError(f"Amazon applied {rate} % VAT on an item delivered to {country}; the rates configured "
                       f"for {country} are {', '.join(sorted(rates, key=Decimal))} (vat.codes.{country})",
                       country, rate)
