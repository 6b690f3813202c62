"""Cross-border orders with the TAX breakdowns Amazon gives them (domain.md §8), in the v2026 shape.

One order per case, deterministic: B2C under the One-Stop-Shop at the destination's rate (Germany 19 %,
France 20 % with a book at 5.5 %, Spain 21 %); an Amazon Business buyer with a German VAT number,
reverse charge, no tax; a United Kingdom order in pounds at 20 %; one where Amazon collects the tax as
marketplace facilitator (``tax.taxCollections[].model``); an Austrian one at 20 % (for a configuration
without Austria); an Italian one.

Amazon EU prices include VAT: ``ITEM`` and ``SHIPPING`` are what the buyer pays, ``TAX`` the VAT they
contain (``detailedBreakdowns`` ITEM, SHIPPING), rounded to the cent per unit; the item's proceeds total
and the order's ``grandTotal`` are the gross amounts, as in ``generate``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.amazon.generate import ASINS, CATALOGUE

CENT = Decimal("0.01")
TITLES = {sku: title for sku, title, _ in CATALOGUE}
MARKETPLACES = {
    "IT": ("APJ6JRA9NG5V4", "Amazon.it"), "DE": ("A1PA6795UKMFR9", "Amazon.de"),
    "FR": ("A13V1IB3VIYZZH", "Amazon.fr"), "ES": ("A1RKKUPIHCS9HS", "Amazon.es"),
    "UK": ("A1F83G8C2ARO7P", "Amazon.co.uk"),
}
# case -> (marketplace, currency, destination, buyer, [(sku, quantity, unit gross, rate)], shipping, options)
ADDRESSES = {
    "DE": ("Jürgen Weiß", "Hauptstraße 12", "Berlin", "10115", "BE"),
    "FR": ("Amélie Lefèvre", "12 rue de la Paix", "Paris", "75002", "Île-de-France"),
    "ES": ("José Núñez", "Calle Mayor 5", "Madrid", "28013", "Madrid"),
    "GB": ("Oliver Smith", "221B Baker Street", "London", "NW1 6XE", "Greater London"),
    "AT": ("Lukas Gruber", "Stephansplatz 1", "Wien", "1010", "Wien"),
    "IT": ("Giulia Bianchi", "Via Roma 12", "Milano", "20121", "MI"),
}
CASES: dict[str, dict[str, Any]] = {
    "de_b2c": {"marketplace": "DE", "currency": "EUR", "country": "DE", "rate": "19",
               "lines": [("ART001", 2, "24.90"), ("ART018", 1, "12.99")], "shipping": "4.90"},
    "fr_reduced": {"marketplace": "FR", "currency": "EUR", "country": "FR", "rate": "20",
                   "lines": [("ART030", 1, "18.50", "5.5"), ("ART007", 1, "59.90")], "shipping": "5.90"},
    "es_b2c": {"marketplace": "ES", "currency": "EUR", "country": "ES", "rate": "21",
               "lines": [("ART010", 1, "49.00")], "shipping": "3.99"},
    "de_b2b_reverse_charge": {"marketplace": "DE", "currency": "EUR", "country": "DE", "rate": "0",
                              "lines": [("ART003", 3, "25.13")], "shipping": "4.12",
                              "company": "Weiß Gastronomie GmbH", "vat_number": "DE811234567"},
    "uk_gbp": {"marketplace": "UK", "currency": "GBP", "country": "GB", "rate": "20",
               "lines": [("ART015", 4, "42.50")], "shipping": "6.99"},
    "uk_marketplace_facilitator": {"marketplace": "UK", "currency": "GBP", "country": "GB", "rate": "20",
                                   "lines": [("ART017", 1, "14.99")], "shipping": "2.99", "facilitator": True},
    "at_unconfigured": {"marketplace": "DE", "currency": "EUR", "country": "AT", "rate": "20",
                        "lines": [("ART011", 1, "19.90")], "shipping": "4.90"},
    "it_domestic": {"marketplace": "IT", "currency": "EUR", "country": "IT", "rate": "22",
                    "lines": [("ART002", 1, "29.99")], "shipping": "4.90"},
}


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(CENT)), "currencyCode": currency}


def unit_tax(gross: Decimal, rate: str) -> Decimal:
    """The VAT in one unit's gross price, rounded to the cent as Amazon rounds it (per unit)."""
    rate_d = Decimal(rate)
    return (gross * rate_d / (100 + rate_d)).quantize(CENT, rounding=ROUND_HALF_UP)


def _item(order_id: str, index: int, case: dict, line: tuple, shipping: Decimal) -> dict[str, Any]:
    sku, quantity, unit = line[0], line[1], Decimal(line[2])
    rate = line[3] if len(line) > 3 else case["rate"]
    currency = case["currency"]
    gross = unit * quantity
    taxes = [("ITEM", unit_tax(unit, rate) * quantity)]
    breakdowns: list[dict[str, Any]] = [{"type": "ITEM", "subtotal": _money(gross, currency)}]
    if shipping:
        breakdowns.append({"type": "SHIPPING", "subtotal": _money(shipping, currency)})
        taxes.append(("SHIPPING", unit_tax(shipping, rate)))  # shipping follows the goods' rate
    breakdowns.append({
        "type": "TAX",
        "subtotal": _money(sum((value for _, value in taxes), Decimal(0)), currency),
        "detailedBreakdowns": [{"subtype": subtype, "value": _money(value, currency)} for subtype, value in taxes],
    })
    item: dict[str, Any] = {
        "orderItemId": f"{order_id.replace('-', '')[:12]}{index:02d}",
        "quantityOrdered": quantity,
        "product": {"asin": ASINS[sku], "title": TITLES[sku], "sellerSku": sku,
                    "condition": {"conditionType": "NEW", "conditionSubtype": "NEW", "conditionNote": ""},
                    "price": {"unitPrice": _money(unit, currency)}},
        "proceeds": {"proceedsTotal": _money(gross + shipping, currency), "breakdowns": breakdowns},
        "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": quantity},
    }
    if case["country"] in ("DE", "FR", "ES", "AT") and rate != "0":
        item["tax"] = {"taxCalculationBreakdowns": [{"reportingScheme": "UOSS"}]}
    if case.get("facilitator"):
        item["tax"] = {"taxCollections": [{"model": "MARKETPLACE_FACILITATOR",
                                           "responsibleParty": "Amazon Services Europe S.a.r.L."}]}
    return item


def cross_border_order(name: str, order_id: str, created: datetime) -> dict[str, Any]:
    """The v2026 ``Order`` of case ``name`` (a key of CASES), created at ``created``."""
    case = CASES[name]
    marketplace_id, marketplace_name = MARKETPLACES[case["marketplace"]]
    person, street, city, postal_code, region = ADDRESSES[case["country"]]
    items = [_item(order_id, index, case, line, Decimal(case["shipping"]) if index == 0 else Decimal(0))
             for index, line in enumerate(case["lines"])]
    total = sum((Decimal(i["proceeds"]["proceedsTotal"]["amount"]) for i in items), Decimal(0))
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    updated = (created + timedelta(minutes=5)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    address = {"name": person, "addressLine1": street, "city": city, "stateOrRegion": region,
               "postalCode": postal_code, "countryCode": case["country"],
               "addressType": "COMMERCIAL" if case.get("company") else "RESIDENTIAL"}
    buyer: dict[str, Any] = {"buyerName": person,
                             "buyerEmail": f"{order_id.replace('-', '')}@marketplace.amazon.example"}
    order: dict[str, Any] = {
        "orderId": order_id,
        "createdTime": stamp,
        "lastUpdatedTime": updated,
        "programs": ["AMAZON_BUSINESS"] if case.get("company") else [],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": marketplace_id,
                         "marketplaceName": marketplace_name},
        "proceeds": {"grandTotal": _money(total, case["currency"])},
        "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT",
                        "fulfillmentServiceLevel": "STANDARD"},
        "orderItems": items,
        "buyer": buyer,
        "recipient": {"deliveryAddress": address},
    }
    if case.get("company"):
        buyer["buyerCompanyName"] = case["company"]
        address["companyName"] = case["company"]
        order["tax"] = {"taxRegistrations": [{
            "entityType": "BUYER", "taxRegistrationType": "VAT", "taxRegistrationNumber": case["vat_number"],
            "legalName": case["company"]}]}
    return order


def cross_border_orders(created: datetime = datetime(2026, 10, 20, 9, tzinfo=UTC)) -> list[dict[str, Any]]:
    """Every case once, an hour apart, with order ids 028-…-000000N."""
    return [cross_border_order(name, f"028-{7000000 + n:07d}-{n:07d}", created + timedelta(hours=n))
            for n, name in enumerate(CASES, start=1)]
