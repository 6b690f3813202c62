"""The v0 view of a v2026-01-01 order, so both API versions serve the same data.

Restricted data (buyer info, full shipping address, gift wrap) is included only
when the call carries a Restricted Data Token that covers it, as on Amazon.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

V0_STATUS = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}
STATUS_FROM_V0 = {v0: v2026 for v2026, v0 in V0_STATUS.items()} | {"InvoiceUnconfirmed": "SHIPPED"}
# Amazon shows the shipping address only in these statuses.
ADDRESS_VISIBLE = {"Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed"}


def camel(value: str) -> str:
    """``NEXT_DAY`` -> ``NextDay`` (v0 spelling)."""
    return "".join(part.capitalize() for part in value.lower().split("_"))


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": f"{amount:.2f}"}


def item_amounts(item: dict[str, Any]) -> dict[str, Decimal]:
    """Read an item's proceeds breakdowns into v0's line amounts."""
    amounts = {
        key: Decimal(0)
        for key in (
            "ItemTax",
            "ShippingPrice",
            "ShippingTax",
            "ShippingDiscount",
            "PromotionDiscount",
            "GiftWrapPrice",
            "GiftWrapTax",
        )
    }
    for breakdown in (item.get("proceeds") or {}).get("breakdowns") or ():
        value = Decimal(breakdown["subtotal"]["amount"])
        details = breakdown.get("detailedBreakdowns") or ()
        kind = breakdown["type"]
        if kind == "SHIPPING":
            amounts["ShippingPrice"] += value
        elif kind == "GIFT_WRAP":
            amounts["GiftWrapPrice"] += value
        elif kind == "TAX":
            targets = {"ITEM": "ItemTax", "SHIPPING": "ShippingTax", "GIFT_WRAP": "GiftWrapTax"}
            for detail in details:
                if detail.get("subtype") in targets:
                    amounts[targets[detail["subtype"]]] += Decimal(detail["value"]["amount"])
        elif kind == "DISCOUNT":
            for detail in details:
                target = "ShippingDiscount" if detail.get("subtype") == "SHIPPING" else "PromotionDiscount"
                amounts[target] += -Decimal(detail["value"]["amount"])
    return amounts


def _currency(order: dict[str, Any]) -> str:
    total = (order.get("proceeds") or {}).get("grandTotal") or {}
    return total.get("currencyCode") or "EUR"


def v0_status(order: dict[str, Any]) -> str:
    return V0_STATUS[order["fulfillment"]["fulfillmentStatus"]]


def order_v0(order: dict[str, Any], restricted: bool) -> dict[str, Any]:
    fulfillment = order.get("fulfillment") or {}
    programs = set(order.get("programs") or ())
    status = v0_status(order)
    currency = _currency(order)
    items = order.get("orderItems") or []
    shipped = sum((i.get("fulfillment") or {}).get("quantityFulfilled", 0) for i in items)
    ordered = sum(i.get("quantityOrdered", 0) for i in items)
    level = fulfillment.get("fulfillmentServiceLevel") or "STANDARD"
    result: dict[str, Any] = {
        "AmazonOrderId": order["orderId"],
        "PurchaseDate": order["createdTime"],
        "LastUpdateDate": order["lastUpdatedTime"],
        "OrderStatus": status,
        "FulfillmentChannel": "AFN" if fulfillment.get("fulfilledBy") == "AMAZON" else "MFN",
        "SalesChannel": order["salesChannel"].get("marketplaceName", "Amazon.it"),
        "ShipServiceLevel": f"{camel(level)} IT",
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": ordered - shipped,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": order["salesChannel"]["marketplaceId"],
        "ShipmentServiceLevelCategory": camel(level),
        "OrderType": "Preorder" if status == "PendingAvailability" else "StandardOrder",
        "IsBusinessOrder": "AMAZON_BUSINESS" in programs,
        "IsPrime": "PRIME" in programs,
        "IsPremiumOrder": "PREMIUM" in programs,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
    }
    grand_total = (order.get("proceeds") or {}).get("grandTotal")
    if grand_total:
        result["OrderTotal"] = _money(Decimal(grand_total["amount"]), currency)
    window = fulfillment.get("shipByWindow") or {}
    if window:
        result["EarliestShipDate"] = window.get("earliestDateTime")
        result["LatestShipDate"] = window.get("latestDateTime")
    address = (order.get("recipient") or {}).get("deliveryAddress")
    if address and status in ADDRESS_VISIBLE:
        result["ShippingAddress"] = address_v0(address, restricted)
    if restricted:
        result["BuyerInfo"] = buyer_info_v0(order)
    return result


def address_v0(address: dict[str, Any], restricted: bool) -> dict[str, Any]:
    names = {
        "name": "Name",
        "companyName": "CompanyName",
        "addressLine1": "AddressLine1",
        "addressLine2": "AddressLine2",
        "addressLine3": "AddressLine3",
        "city": "City",
        "districtOrCounty": "County",
        "stateOrRegion": "StateOrRegion",
        "municipality": "Municipality",
        "postalCode": "PostalCode",
        "countryCode": "CountryCode",
        "phone": "Phone",
    }
    public = {"city", "stateOrRegion", "postalCode", "countryCode"}
    result = {names[k]: v for k, v in address.items() if k in names and (restricted or k in public)}
    if restricted and address.get("addressType") in ("RESIDENTIAL", "COMMERCIAL"):
        result["AddressType"] = address["addressType"].capitalize()
    return result


def buyer_info_v0(order: dict[str, Any]) -> dict[str, Any]:
    buyer = order.get("buyer") or {}
    info: dict[str, Any] = {}
    if buyer.get("buyerEmail"):
        info["BuyerEmail"] = buyer["buyerEmail"]
    if buyer.get("buyerName"):
        info["BuyerName"] = buyer["buyerName"]
    for registration in (order.get("tax") or {}).get("taxRegistrations") or ():
        if registration.get("entityType") != "BUYER":
            continue
        classifications = [{"Name": "VATNumber", "Value": registration["taxRegistrationNumber"]}]
        for attribute in registration.get("taxRegistrationAttributes") or ():
            if attribute.get("key") == "FISCAL_CODE" and attribute.get("value"):
                classifications.append({"Name": "CodiceFiscale", "Value": attribute["value"]})
        info["BuyerTaxInfo"] = {
            "CompanyLegalName": buyer.get("buyerCompanyName") or registration.get("legalName"),
            "TaxingRegion": "IT",
            "TaxClassifications": classifications,
        }
    if "BuyerTaxInfo" not in info and buyer.get("buyerCompanyName"):
        info["BuyerTaxInfo"] = {"CompanyLegalName": buyer["buyerCompanyName"]}
    return info


def items_v0(order: dict[str, Any], restricted: bool) -> list[dict[str, Any]]:
    currency = _currency(order)
    result = []
    for item in order.get("orderItems") or []:
        product = item.get("product") or {}
        quantity = item.get("quantityOrdered", 0)
        unit = Decimal(((product.get("price") or {}).get("unitPrice") or {}).get("amount", "0"))
        amounts = item_amounts(item)
        gift = ((item.get("fulfillment") or {}).get("packing") or {}).get("giftOption")
        promotions = [
            p["promotionId"]
            for p in (item.get("promotion") or {}).get("breakdowns") or ()
            if p.get("promotionId")
        ]
        row: dict[str, Any] = {
            "ASIN": product.get("asin", ""),
            "SellerSKU": product.get("sellerSku"),
            "OrderItemId": item["orderItemId"],
            "Title": product.get("title"),
            "QuantityOrdered": quantity,
            "QuantityShipped": (item.get("fulfillment") or {}).get("quantityFulfilled", 0),
            "ItemPrice": _money(unit * quantity, currency),
            "ItemTax": _money(amounts["ItemTax"], currency),
            "ShippingPrice": _money(amounts["ShippingPrice"], currency),
            "ShippingTax": _money(amounts["ShippingTax"], currency),
            "ShippingDiscount": _money(amounts["ShippingDiscount"], currency),
            "ShippingDiscountTax": _money(Decimal(0), currency),
            "PromotionDiscount": _money(amounts["PromotionDiscount"], currency),
            "PromotionDiscountTax": _money(Decimal(0), currency),
            "PromotionIds": promotions,
            "IsGift": "true" if gift else "false",
            "ConditionId": "New",
            "ConditionSubtypeId": "New",
            "IsTransparency": False,
            "SerialNumberRequired": False,
        }
        if restricted and gift:
            row["BuyerInfo"] = {
                "GiftWrapPrice": _money(amounts["GiftWrapPrice"], currency),
                "GiftWrapTax": _money(amounts["GiftWrapTax"], currency),
                "GiftMessageText": gift.get("giftMessage", ""),
                "GiftWrapLevel": gift.get("giftWrapLevel", ""),
            }
        result.append({k: v for k, v in row.items() if v is not None})
    return result


def v0_spelling_to_v2026(value: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", value).upper()
